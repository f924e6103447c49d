"""The rerun specification of the simulated panel, shared by the tests of several areas.

``mi.datasets.simulate_panel`` columns: ``y`` counts with ``population`` exposure, ``x1`` and
``x2`` causes, ``treated`` the measure; Poisson and NB2 with unit and time effects, CRV1 by
unit. Tests change one line with ``str.replace`` (the text is kept as a user writes it).
"""

SIM_SPEC = """\
version: 1
title: Simulated panel
data: {unit: province, time: year, level: province}
outcome: {count: y, exposure: population, window: null}
causes:
  social: [x1]
  solving: []
  legal: []
  system: [x2]
measures:
  rule_of_law: []
  government_functions: [treated]
  system_construction: []
  cadre_quality: []
  responsibility_system: []
  livelihood: []
specifications:
  - {name: full, terms: [social, system, treated]}
models: [poisson, negbin]
fixed_effects: [unit, time]
vcov: {CRV1: unit}
bootstrap: null
"""

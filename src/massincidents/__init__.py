"""massincidents: models of mass incidents in China's provinces.

Import as ``import massincidents as mi``. See ``../shared/DESIGN.md`` (in the
repository) and the book for the argument the package reproduces.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from massincidents import datasets, spec
from massincidents.core.least_squares import IllConditionedWarning
from massincidents.counterfactual_prediction import counterfactual
from massincidents.counts import marginal_effects, negbin, poisson, zero_inflated
from massincidents.did.bacon import bacon_decomposition
from massincidents.did.callaway_santanna import staggered_did
from massincidents.did.event_study import event_study, pretrend_test
from massincidents.did.sun_abraham import sun_abraham
from massincidents.dynamic import arellano_bond
from massincidents.errors import (
    DataError,
    DataQualityWarning,
    OutsideMainlandWarning,
    Problem,
    UnknownProvinceError,
)
from massincidents.events import events_to_panel
from massincidents.hausman_test import TestResult, hausman
from massincidents.inference.bootstrap import BootstrapResult, wild_bootstrap
from massincidents.io import read_panel
from massincidents.linear_models import between, first_difference, linear, random_effects
from massincidents.multiverse import specification_curve
from massincidents.provinces import is_mainland, province_code, province_name, provinces
from massincidents.survival import cox, cox_zph
from massincidents.survival.discrete import discrete_hazard, person_period
from massincidents.survival.nonparametric import cumulative_incidence, kaplan_meier, nelson_aalen
from massincidents.survival.parametric import weibull, weibull_ph
from massincidents.survival.recurrent import check_counting_process, recurrent_data
from massincidents.survival.spells import leader_spells_to_first_event
from massincidents.tables import etable
from massincidents.validate import validate

try:
    __version__ = version("massincidents")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

__all__ = [
    "BootstrapResult",
    "DataError",
    "DataQualityWarning",
    "IllConditionedWarning",
    "OutsideMainlandWarning",
    "Problem",
    "TestResult",
    "UnknownProvinceError",
    "__version__",
    "arellano_bond",
    "bacon_decomposition",
    "between",
    "check_counting_process",
    "counterfactual",
    "cox",
    "cox_zph",
    "cumulative_incidence",
    "datasets",
    "discrete_hazard",
    "etable",
    "event_study",
    "events_to_panel",
    "first_difference",
    "hausman",
    "is_mainland",
    "kaplan_meier",
    "leader_spells_to_first_event",
    "linear",
    "marginal_effects",
    "negbin",
    "nelson_aalen",
    "person_period",
    "poisson",
    "pretrend_test",
    "province_code",
    "province_name",
    "provinces",
    "random_effects",
    "read_panel",
    "recurrent_data",
    "spec",
    "specification_curve",
    "staggered_did",
    "sun_abraham",
    "validate",
    "weibull",
    "weibull_ph",
    "wild_bootstrap",
    "zero_inflated",
]

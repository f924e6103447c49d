"""massincidents: models of mass incidents in China's provinces.

Import as ``import massincidents as mi``. See ``../shared/DESIGN.md`` (in the
repository) and the book for the argument the package reproduces.
"""

from __future__ import annotations

import warnings as _warnings
from importlib.metadata import PackageNotFoundError, version

# Some dependencies add warning filters when first imported (statsmodels sets "always" for
# its warnings; scipy and numpy add their own). Importing massincidents must not change the
# user's warning filters: they are saved here and restored after the imports below
# (hence the imports after code).
# ruff: noqa: E402
_import_guard = _warnings.catch_warnings()
_import_guard.__enter__()

from massincidents import datasets, spec
from massincidents.core.least_squares import IllConditionedWarning
from massincidents.counts import marginal_effects, negbin, poisson, zero_inflated
from massincidents.counts.counterfactual import counterfactual
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
from massincidents.inference.bootstrap import BootstrapResult, wild_bootstrap
from massincidents.inference.conventions import ssc
from massincidents.inference.vcov import FewClustersWarning
from massincidents.io import read_panel
from massincidents.linear.estimators import between, first_difference, linear, random_effects
from massincidents.linear.hausman import TestResult, hausman
from massincidents.multiverse import specification_curve
from massincidents.provinces import is_mainland, province_code, province_name, provinces
from massincidents.results.tables import etable
from massincidents.survival import cox, cox_zph
from massincidents.survival.discrete import discrete_hazard, person_period
from massincidents.survival.nonparametric import cumulative_incidence, kaplan_meier, nelson_aalen
from massincidents.survival.parametric import weibull, weibull_ph
from massincidents.survival.recurrent import check_counting_process, recurrent_data
from massincidents.survival.spells import leader_spells_to_first_event
from massincidents.validate import validate

_import_guard.__exit__(None, None, None)
del _import_guard

try:
    __version__ = version("massincidents")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

__all__ = [
    "BootstrapResult",
    "DataError",
    "DataQualityWarning",
    "FewClustersWarning",
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
    "ssc",
    "staggered_did",
    "sun_abraham",
    "validate",
    "weibull",
    "weibull_ph",
    "wild_bootstrap",
    "zero_inflated",
]

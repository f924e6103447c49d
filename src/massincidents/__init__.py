"""massincidents: models of mass incidents in China's provinces.

Import as ``import massincidents as mi``. See ``../shared/DESIGN.md`` (in the
repository) and the book for the argument the package reproduces.

Importing the package is cheap: the public names below are loaded on first
use (PEP 562 module ``__getattr__``), so ``import massincidents`` does not
import pandas, scipy, formulaic, duckdb, pyarrow, jsonschema or matplotlib
until a function that needs them is looked up (the console script relies on
this: see ``massincidents.__main__``). ``mi.poisson`` imports the
count models the first time it is used, and is an ordinary attribute after.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
import warnings

#: Where each lazily loaded public name lives: ``name -> (module, attribute)``;
#: attribute ``None`` means the name is the module itself.
_LAZY: dict[str, tuple[str, str | None]] = {
    "BootstrapResult": ("massincidents.inference.bootstrap", "BootstrapResult"),
    "DataError": ("massincidents.errors", "DataError"),
    "DataQualityWarning": ("massincidents.errors", "DataQualityWarning"),
    "FewClustersWarning": ("massincidents.inference.vcov", "FewClustersWarning"),
    "SingularJackknifeWarning": ("massincidents.inference.jackknife", "SingularJackknifeWarning"),
    "IllConditionedWarning": ("massincidents.core.least_squares", "IllConditionedWarning"),
    "OutsideMainlandWarning": ("massincidents.errors", "OutsideMainlandWarning"),
    "Problem": ("massincidents.errors", "Problem"),
    "TestResult": ("massincidents.linear.hausman", "TestResult"),
    "UnknownProvinceError": ("massincidents.errors", "UnknownProvinceError"),
    "adjust_pvalues": ("massincidents.inference.multiple_testing", "adjust_pvalues"),
    "arellano_bond": ("massincidents.dynamic", "arellano_bond"),
    "bacon_decomposition": ("massincidents.did.bacon", "bacon_decomposition"),
    "between": ("massincidents.linear.estimators", "between"),
    "check_counting_process": ("massincidents.survival.recurrent", "check_counting_process"),
    "counterfactual": ("massincidents.counts.counterfactual", "counterfactual"),
    "cox": ("massincidents.survival", "cox"),
    "cox_zph": ("massincidents.survival", "cox_zph"),
    "cumulative_incidence": ("massincidents.survival.nonparametric", "cumulative_incidence"),
    "datasets": ("massincidents.datasets", None),
    "discrete_hazard": ("massincidents.survival.discrete", "discrete_hazard"),
    "etable": ("massincidents.results.tables", "etable"),
    "event_study": ("massincidents.did.event_study", "event_study"),
    "events_to_panel": ("massincidents.events", "events_to_panel"),
    "first_difference": ("massincidents.linear.estimators", "first_difference"),
    "hausman": ("massincidents.linear.hausman", "hausman"),
    "honest_did": ("massincidents.did.honest", "honest_did"),
    "influence": ("massincidents.inference.influence", "influence"),
    "is_mainland": ("massincidents.provinces", "is_mainland"),
    "iv": ("massincidents.iv.model", "iv"),
    "kaplan_meier": ("massincidents.survival.nonparametric", "kaplan_meier"),
    "leader_spells_to_first_event": (
        "massincidents.survival.spells",
        "leader_spells_to_first_event",
    ),
    "linear": ("massincidents.linear.estimators", "linear"),
    "marginal_effects": ("massincidents.counts", "marginal_effects"),
    "negbin": ("massincidents.counts", "negbin"),
    "nelson_aalen": ("massincidents.survival.nonparametric", "nelson_aalen"),
    "person_period": ("massincidents.survival.discrete", "person_period"),
    "poisson": ("massincidents.counts", "poisson"),
    "pretrend_test": ("massincidents.did.event_study", "pretrend_test"),
    "province_code": ("massincidents.provinces", "province_code"),
    "province_name": ("massincidents.provinces", "province_name"),
    "provinces": ("massincidents.provinces", "provinces"),
    "random_effects": ("massincidents.linear.estimators", "random_effects"),
    "read_panel": ("massincidents.io", "read_panel"),
    "recurrent_data": ("massincidents.survival.recurrent", "recurrent_data"),
    "romano_wolf": ("massincidents.inference.multiple_testing", "romano_wolf"),
    "spec": ("massincidents.spec", None),
    "specification_curve": ("massincidents.multiverse", "specification_curve"),
    "ssc": ("massincidents.inference.conventions", "ssc"),
    "staggered_did": ("massincidents.did.callaway_santanna", "staggered_did"),
    "sun_abraham": ("massincidents.did.sun_abraham", "sun_abraham"),
    "validate": ("massincidents.validate", "validate"),
    "weibull": ("massincidents.survival.parametric", "weibull"),
    "weibull_ph": ("massincidents.survival.parametric", "weibull_ph"),
    "wild_bootstrap": ("massincidents.inference.bootstrap", "wild_bootstrap"),
    "zero_inflated": ("massincidents.counts", "zero_inflated"),
    "prefectures": ("massincidents.divisions.roster", "prefectures"),
    "counties": ("massincidents.divisions.roster", "counties"),
    "division_code": ("massincidents.divisions.names", "division_code"),
    "harmonise_codes": ("massincidents.divisions.harmonise", "harmonise_codes"),
    "AmbiguousDivisionError": ("massincidents.divisions.names", "AmbiguousDivisionError"),
    "UnknownDivisionError": ("massincidents.divisions.names", "UnknownDivisionError"),
    "UnmappedCodesWarning": ("massincidents.divisions.harmonise", "UnmappedCodesWarning"),
}

#: Public functions named like a subpackage or module of their own
#: (``mi.linear`` is the function, ``massincidents.linear`` the subpackage).
_SHADOWED = frozenset({"iv", "linear", "provinces", "validate"})


def _quiet_import(module: str) -> types.ModuleType:
    """Import ``module`` leaving the warning filters as they were.

    Some dependencies add warning filters when first imported (scipy.special
    sets "always" for its warnings, scipy.sparse and formulaic add an
    "ignore"); looking up ``mi.poisson`` must not change the user's filters.
    """
    with warnings.catch_warnings():
        return importlib.import_module(module)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("massincidents")
    except PackageNotFoundError:  # running from a source tree without installing
        return "0.0.0+unknown"


def _is_submodule(name: str) -> bool:
    if name.startswith("_") or not name.isidentifier():
        return False
    return importlib.util.find_spec(f"{__name__}.{name}") is not None


def __getattr__(name: str) -> object:
    """Load a public name (or a subpackage, ``mi.inference``) on first use."""
    if name == "__version__":  # importlib.metadata is a fifth of the import time
        value: object = _version()
    elif name in _LAZY:
        module, attribute = _LAZY[name]
        value = _quiet_import(module)
        if attribute is not None:
            value = getattr(value, attribute)
    elif _is_submodule(name):
        value = _quiet_import(f"{__name__}.{name}")  # a subpackage: mi.inference, mi.core
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """The package module; keeps ``mi.linear`` the function, not the subpackage.

    Importing a submodule sets it as an attribute of its parent package. On
    first import of ``massincidents.linear`` (by any module) that would make
    ``mi.linear`` the subpackage instead of the estimator; the same for
    ``mi.validate`` and ``mi.provinces``. The subpackages stay reachable
    through ``sys.modules`` and ``from massincidents.linear import ...``.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if name in _SHADOWED and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

__all__ = [
    "AmbiguousDivisionError",
    "BootstrapResult",
    "DataError",
    "DataQualityWarning",
    "FewClustersWarning",
    "IllConditionedWarning",
    "OutsideMainlandWarning",
    "Problem",
    "SingularJackknifeWarning",
    "TestResult",
    "UnknownDivisionError",
    "UnknownProvinceError",
    "UnmappedCodesWarning",
    "__version__",
    "adjust_pvalues",
    "arellano_bond",
    "bacon_decomposition",
    "between",
    "check_counting_process",
    "counterfactual",
    "counties",
    "cox",
    "cox_zph",
    "cumulative_incidence",
    "datasets",
    "discrete_hazard",
    "division_code",
    "etable",
    "event_study",
    "events_to_panel",
    "first_difference",
    "harmonise_codes",
    "hausman",
    "honest_did",
    "influence",
    "is_mainland",
    "iv",
    "kaplan_meier",
    "leader_spells_to_first_event",
    "linear",
    "marginal_effects",
    "negbin",
    "nelson_aalen",
    "person_period",
    "poisson",
    "prefectures",
    "pretrend_test",
    "province_code",
    "province_name",
    "provinces",
    "random_effects",
    "read_panel",
    "recurrent_data",
    "romano_wolf",
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

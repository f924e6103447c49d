"""massincidents: models of mass incidents in China's provinces.

Import as ``import massincidents as mi``. See ``../shared/DESIGN.md`` (in the
repository) and the book for the argument the package reproduces.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from massincidents import datasets
from massincidents.counts import marginal_effects, negbin, poisson, zero_inflated
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
from massincidents.provinces import is_mainland, province_code, province_name, provinces
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
    "OutsideMainlandWarning",
    "Problem",
    "TestResult",
    "UnknownProvinceError",
    "__version__",
    "between",
    "datasets",
    "etable",
    "events_to_panel",
    "first_difference",
    "hausman",
    "is_mainland",
    "linear",
    "marginal_effects",
    "negbin",
    "poisson",
    "province_code",
    "province_name",
    "provinces",
    "random_effects",
    "read_panel",
    "validate",
    "wild_bootstrap",
    "zero_inflated",
]

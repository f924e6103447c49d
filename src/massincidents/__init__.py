"""massincidents: models of mass incidents in China's provinces.

Import as ``import massincidents as mi``. See ``../shared/DESIGN.md`` (in the
repository) and the book for the argument the package reproduces.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from massincidents import datasets
from massincidents.errors import (
    DataError,
    DataQualityWarning,
    OutsideMainlandWarning,
    Problem,
    UnknownProvinceError,
)
from massincidents.events import events_to_panel
from massincidents.io import read_panel
from massincidents.provinces import is_mainland, province_code, province_name, provinces
from massincidents.validate import validate

try:
    __version__ = version("massincidents")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

__all__ = [
    "DataError",
    "DataQualityWarning",
    "OutsideMainlandWarning",
    "Problem",
    "UnknownProvinceError",
    "__version__",
    "datasets",
    "events_to_panel",
    "is_mainland",
    "province_code",
    "province_name",
    "provinces",
    "read_panel",
    "validate",
]

"""Prefectures and counties: the GB/T 2260 registry below the province.

``table`` loads the processed tables built by ``analysis/06_divisions.py``;
``roster`` lists the codes valid in a year; ``names`` resolves spellings to
codes; ``harmonise`` maps codes that changed to one vintage.
"""

from massincidents.divisions.harmonise import harmonise_codes
from massincidents.divisions.names import (
    AmbiguousDivisionError,
    UnknownDivisionError,
    division_code,
)
from massincidents.divisions.roster import counties, prefectures

__all__ = [
    "AmbiguousDivisionError",
    "UnknownDivisionError",
    "counties",
    "division_code",
    "harmonise_codes",
    "prefectures",
]

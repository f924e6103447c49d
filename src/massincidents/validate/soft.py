"""Soft problems of a panel, issued as warnings rather than errors.

Gaps in the years of a province, years that lack provinces other years have,
rows for Hong Kong, Macao or Taiwan, and rows for Chongqing before 1997 (when
it was still part of Sichuan; a back-cast series is usable, but may double
count with Sichuan) do not make a panel unusable; each kind becomes one
warning with counts and a few examples.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from massincidents.errors import DataQualityWarning, OutsideMainlandWarning
from massincidents.provinces import MAINLAND_CODES
from massincidents.validate.messages import describe, examples

__all__ = ["CHONGQING", "CHONGQING_FROM", "soft_problems"]

#: Chongqing's code, and the first year it is a province-level unit.
CHONGQING = 500000
CHONGQING_FROM = 1997


def _missing(
    prefix: str, items: Sequence[str], what: str, n_missing: int
) -> tuple[str, type[Warning]]:
    """``data.csv: 2 province(s) have ... (3 missing province-year(s)): ...``."""
    message = f"{prefix}{len(items)} {what} ({n_missing} missing province-year(s)): "
    return message + examples(items), DataQualityWarning


def soft_problems(
    codes: pd.Series, years: pd.Series, source: str | None
) -> list[tuple[str, type[Warning]]]:
    """Gaps in years, provinces missing from some years, HK/MO/TW rows, Chongqing before 1997."""
    prefix = f"{source}: " if source else ""
    keys = pd.DataFrame({"code": codes, "year": years}).dropna().astype("int64")
    keys = keys.drop_duplicates()
    out: list[tuple[str, type[Warning]]] = []

    outside = keys[~keys["code"].isin(MAINLAND_CODES)]
    if len(outside):
        names = ", ".join(describe(int(c)) for c in sorted(outside["code"].unique()))
        out.append(
            (
                f"{prefix}{len(outside)} row(s) are for Hong Kong, Macao or Taiwan ({names}), "
                "outside the mainland panel; drop them before fitting a mainland model",
                OutsideMainlandWarning,
            )
        )

    # Chongqing became a province-level municipality in 1997; before, it was part of Sichuan.
    early = sorted(keys.loc[(keys["code"] == CHONGQING) & (keys["year"] < CHONGQING_FROM), "year"])
    if early:
        out.append(
            (
                f"{prefix}{len(early)} row(s) for {describe(CHONGQING)} before {CHONGQING_FROM} "
                f"({', '.join(map(str, early))}): Chongqing was part of Sichuan until "
                f"{CHONGQING_FROM}; check that the Sichuan figures of those years do not "
                "also include it (back-cast series) before using them",
                DataQualityWarning,
            )
        )

    gaps: list[str] = []
    n_gap = 0
    for code, group in keys.groupby("code"):
        present = set(group["year"])
        missing = sorted(set(range(min(present), max(present) + 1)) - present)
        if missing:
            n_gap += len(missing)
            gaps.append(f"{describe(int(code))}: {', '.join(map(str, missing))}")
    if gaps:
        out.append(_missing(prefix, gaps, "province(s) have gaps in their years", n_gap))

    all_codes = set(keys["code"])
    absent: list[str] = []
    n_absent = 0
    if keys["year"].nunique() > 1 and len(all_codes) > 1:
        for year, group in keys.groupby("year"):
            missing_codes = sorted(all_codes - set(group["code"]))
            if missing_codes:
                n_absent += len(missing_codes)
                absent.append(f"{year}: {', '.join(describe(int(c)) for c in missing_codes)}")
    if absent:
        what = "year(s) lack provinces that other years have"
        out.append(_missing(prefix, absent, what, n_absent))
    return out

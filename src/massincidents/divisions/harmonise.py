"""Map prefecture and county codes that changed to the codes of one year.

Rules (the table of changes is ``data/division_changes.csv``):

- A code in force in ``to_year`` is kept.
- Forward (a code that ended before ``to_year``): a renamed, recoded or
  upgraded unit, or one merged into another, takes its successor's code
  (毕节地区 522400 -> 毕节市 520500 in 2011); chains are followed.
- Backward (a code created after ``to_year``): a unit that is the one-to-one
  successor of an older code takes that code back; a unit formed by merging
  several, or created from parts of others, has no code in ``to_year``.
- A split (巢湖市 341400 in 2011: to Hefei, Wuhu and Ma'anshan) is not mapped
  unless ``splits="seat"``: then the whole old unit goes to the successor that
  kept its seat or name (Hefei), when the lists and the crosswalk name exactly
  one. An abolished unit with no named successor is never mapped.

Codes that cannot be mapped become missing and are listed, with the reason,
in ``frame.attrs["unmapped"]``; every change applied is listed in
``frame.attrs["code_changes"]``. A :class:`UnmappedCodesWarning` says how many
rows lost their code.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from massincidents.divisions.table import changes, check_level, check_year, divisions


class UnmappedCodesWarning(UserWarning):
    """Some codes have no counterpart in the target year (split, abolished or created).

    Raised by :func:`harmonise_codes`; the rows keep a missing code and
    ``attrs["unmapped"]`` gives each code's reason.

    Parameters
    ----------
    message
        What could not be mapped, and why.

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd
    >>> import massincidents as mi
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     out = mi.harmonise_codes(pd.DataFrame({"code": [341400]}), to_year=2017)
    >>> caught[0].category.__name__, out["code"].isna().item()
    ('UnmappedCodesWarning', True)
    >>> out.attrs["unmapped"]["reason"].item()[:24]
    'split in 2011 into 34010'
    """


@dataclass
class _Mapping:
    code: int | None
    steps: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    reason: str = ""


def _level_of(code: int, level: str | None) -> str | None:
    table = divisions()
    levels = set(table.loc[table["code"] == code, "level"])
    if level is not None:
        return level if level in levels else None
    for candidate in ("prefecture", "county", "province"):
        if candidate in levels:
            return candidate
    return None


def _spells(code: int, level: str) -> pd.DataFrame:
    table = divisions()
    return table[(table["code"] == code) & (table["level"] == level)]


def _describe(rows: pd.DataFrame, side: str) -> str:
    return ", ".join(
        f"{int(getattr(r, side + '_code'))} {getattr(r, side + '_name_zh')}"
        for r in rows.itertuples(index=False)
    )


def map_code(
    code: int, to_year: int, level: str | None = None, splits: str | None = None
) -> _Mapping:
    """Follow the changes of one code to ``to_year`` (see the module's rules)."""
    found_level = _level_of(code, level)
    if found_level is None:
        where = f" at level {level!r}" if level else ""
        return _Mapping(None, reason=f"unknown code{where}")
    table = changes()
    table = table[table["level"] == found_level]
    mapping = _Mapping(code)
    current = code
    for _ in range(50):
        spells = _spells(current, found_level)
        if len(spells) == 0:
            return _Mapping(None, mapping.steps, mapping.kinds, "unknown code")
        if ((spells["valid_from"] <= to_year) & (spells["valid_to"] >= to_year)).any():
            mapping.code = current
            return mapping
        moves = table[~(table["old_code"] == table["new_code"]).fillna(False).astype(bool)]
        if spells["valid_to"].max() < to_year:
            rows = moves[(moves["old_code"] == current) & (moves["year"] <= to_year)]
            nxt = _forward(rows, splits, mapping)
        else:
            rows = moves[(moves["new_code"] == current) & (moves["year"] > to_year)]
            nxt = _backward(rows, splits, mapping)
        if nxt is None:
            mapping.code = None
            return mapping
        current = nxt
    raise RuntimeError(f"code {code}: the changes form a cycle")  # pragma: no cover


def _forward(rows: pd.DataFrame, splits: str | None, mapping: _Mapping) -> int | None:
    if len(rows) == 0:
        mapping.reason = "ended with no successor in the lists"
        return None
    year = int(rows["year"].min())
    rows = rows[rows["year"] == year]
    kinds = set(rows["kind"])
    if kinds == {"abolished"}:
        mapping.reason = f"abolished in {year} with no named successor"
        return None
    if kinds == {"split"}:
        seats = rows[rows["seat"]]
        if splits == "seat" and len(seats) == 1:
            row = seats.iloc[0]
            mapping.steps.append(f"{row.old_code} -> {row.new_code} (split {year}, to the seat)")
            mapping.kinds.append("split")
            return int(row.new_code)
        mapping.reason = f"split in {year} into {_describe(rows, 'new')}" + (
            "" if splits == "seat" else '; splits="seat" maps it to the seat'
        ) * (len(seats) == 1)
        return None
    if len(rows) != 1:
        mapping.reason = f"several successors in {year}: {_describe(rows, 'new')}"
        return None
    row = rows.iloc[0]
    mapping.steps.append(f"{row.old_code} -> {row.new_code} ({row.kind} {year})")
    mapping.kinds.append(str(row.kind))
    return int(row.new_code)


def _backward(rows: pd.DataFrame, splits: str | None, mapping: _Mapping) -> int | None:
    if len(rows) == 0:
        mapping.reason = "not yet in force and no predecessor in the lists"
        return None
    year = int(rows["year"].max())
    rows = rows[rows["year"] == year]
    kinds = set(rows["kind"])
    if kinds == {"created"}:
        mapping.reason = f"created in {year}"
        return None
    one_to_one = rows[rows["kind"].isin(["renamed", "recoded", "upgraded"])]
    if len(rows) == 1 and len(one_to_one) == 1:
        row = one_to_one.iloc[0]
    elif splits == "seat" and len(rows) == 1 and kinds == {"split"} and bool(rows["seat"].iloc[0]):
        row = rows.iloc[0]
    else:
        mapping.reason = f"formed in {year} from {_describe(rows, 'old')}"
        return None
    mapping.steps.append(f"{row.new_code} -> {row.old_code} (before {row.kind} {year})")
    mapping.kinds.append(str(row.kind))
    return int(row.old_code)


def harmonise_codes(
    frame: pd.DataFrame,
    to_year: int = 2017,
    column: str = "code",
    *,
    level: str | None = None,
    splits: str | None = None,
) -> pd.DataFrame:
    """Map prefecture or county codes to the codes in force in one year.

    Parameters
    ----------
    frame
        A table with a column of GB/T 2260 codes.
    to_year
        The vintage to map to (2010-2019).
    column
        The column holding the codes.
    level
        ``"prefecture"`` or ``"county"``. ``None`` reads a code at the level
        it has (a province-administered county-level unit, xx90xx, is read as
        a prefecture-equivalent).
    splits
        ``None`` (default): a unit that was split is not mapped. ``"seat"``:
        it is mapped whole to the successor that kept its seat or name.

    Returns
    -------
    pandas.DataFrame
        A copy with ``column`` mapped (nullable integers; missing where no
        code exists in ``to_year``). ``attrs["code_changes"]`` lists every
        change applied (``old_code``, ``new_code``, ``steps``, ``rows``);
        ``attrs["unmapped"]`` every code left missing (``code``, ``reason``,
        ``rows``).

    Warns
    -----
    UnmappedCodesWarning
        When some rows' codes could not be mapped.

    Examples
    --------
    >>> import pandas as pd
    >>> import massincidents as mi
    >>> df = pd.DataFrame({"code": [522400, 652200, 542300, 469003, 440300], "n": [1, 2, 3, 4, 5]})
    >>> out = mi.harmonise_codes(df, to_year=2017)
    >>> out["code"].tolist()
    [520500, 650500, 540200, 460400, 440300]
    >>> out.attrs["code_changes"][["old_code", "new_code", "steps"]].values.tolist()[0]
    [469003, 460400, '469003 -> 460400 (upgraded 2015)']
    >>> back = mi.harmonise_codes(pd.DataFrame({"code": [520500]}), to_year=2010)
    >>> back["code"].tolist()
    [522400]
    """
    if column not in frame.columns:
        raise KeyError(f"no column {column!r} in the table; pass column=")
    year = check_year(to_year)
    assert year is not None
    to_year = year
    level = check_level(level, ("prefecture", "county"))
    if splits not in (None, "seat"):
        raise ValueError(f'splits must be None or "seat"; got {splits!r}')
    values = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
    counts = values.value_counts(dropna=True)
    mapped: dict[int, int | None] = {}
    applied: list[dict[str, object]] = []
    unmapped: list[dict[str, Any]] = []
    for code in sorted(int(c) for c in counts.index):
        result = map_code(code, to_year, level, splits)
        mapped[code] = result.code
        rows = int(counts[code])
        if result.code is None:
            unmapped.append({"code": code, "reason": result.reason, "rows": rows})
        elif result.code != code:
            applied.append(
                {
                    "old_code": code,
                    "new_code": result.code,
                    "steps": "; ".join(result.steps),
                    "kinds": ", ".join(result.kinds),
                    "rows": rows,
                }
            )
    out = frame.copy()
    out[column] = values.map(mapped, na_action="ignore").astype("Int64")
    out.attrs["code_changes"] = pd.DataFrame(
        applied, columns=["old_code", "new_code", "steps", "kinds", "rows"]
    )
    out.attrs["unmapped"] = pd.DataFrame(unmapped, columns=["code", "reason", "rows"])
    if unmapped:
        lost = sum(u["rows"] for u in unmapped)
        first = "; ".join(f"{u['code']}: {u['reason']}" for u in unmapped[:3])
        warnings.warn(
            f"{lost} rows have codes with no counterpart in {to_year} and are now missing "
            f"({first}{'; ...' if len(unmapped) > 3 else ''}); see .attrs['unmapped']",
            UnmappedCodesWarning,
            stacklevel=2,
        )
    return out

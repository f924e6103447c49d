"""Property-based tests (hypothesis) of the readers and of events_to_panel.

- events_to_panel loses and double counts nothing: the counts sum to the
  number of valid events, cell by cell, and the accounting adds up;
- province codes round-trip through every spelling in the registry;
- a long panel written as a yearbook-wide CSV reads back as itself.
"""

from __future__ import annotations

import tempfile
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import massincidents as mi
from massincidents.provinces import MAINLAND_CODES, OUTSIDE_MAINLAND_CODES, normalise_provinces

REGISTRY = mi.provinces(include_outside=True)
SPELLINGS: dict[int, list[str]] = {
    int(row.code): [row.name_zh, row.name_zh_short, row.name_en, row.pinyin]
    for row in REGISTRY.itertuples()
}
FAST = settings(max_examples=50, deadline=None, derandomize=True)

# ---------------------------------------------------------------------------
# events_to_panel: no event lost or double counted
# ---------------------------------------------------------------------------

UNKNOWN = ("Gotham", "Atlantis", "", "999999", "北平府")


@st.composite
def province_cell(draw: st.DrawFn) -> tuple[str, int | None]:
    """A province cell and its mainland code (None: unknown or outside the mainland)."""
    kind = draw(st.sampled_from(["name", "code", "float_code", "unknown", "outside"]))
    if kind == "unknown":
        return draw(st.sampled_from(UNKNOWN)), None
    if kind == "outside":
        code = draw(st.sampled_from(OUTSIDE_MAINLAND_CODES))
        return draw(st.sampled_from(SPELLINGS[code])), None
    code = draw(st.sampled_from(MAINLAND_CODES))
    if kind == "code":
        return str(code), code
    if kind == "float_code":
        return f"{code}.0", code
    name = draw(st.sampled_from(SPELLINGS[code]))
    return draw(st.sampled_from([name, f" {name} ", name.upper()])), code


@st.composite
def date_cell(draw: st.DrawFn) -> tuple[str | None, int | None]:
    """A date cell and its year (None: unparseable or missing)."""
    kind = draw(st.sampled_from(["iso", "slash", "chinese_day", "chinese_month", "bad", "none"]))
    if kind == "bad":
        return draw(st.sampled_from(["not a date", "2015-13-45", "明年", "??"])), None
    if kind == "none":
        return None, None
    day = draw(
        st.dates(
            min_value=pd.Timestamp("2010-01-01").date(), max_value=pd.Timestamp("2014-12-31").date()
        )
    )
    text = {
        "iso": day.isoformat(),
        "slash": f"{day.year}/{day.month}/{day.day}",
        "chinese_day": f"{day.year}年{day.month}月{day.day}日",
        "chinese_month": f"{day.year}年{day.month}月",
    }[kind]
    return text, day.year


@FAST
@given(st.lists(st.tuples(province_cell(), date_cell()), min_size=1, max_size=60))
def test_events_to_panel_counts_every_valid_event_once(events: list) -> None:
    frame = pd.DataFrame(
        {"province": [p for (p, _), _ in events], "date": [d for _, (d, _) in events]},
        dtype=object,
    )
    expected = Counter(
        (code, year) for (_, code), (_, year) in events if code is not None and year is not None
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not expected:
            with pytest.raises(mi.DataError):
                mi.events_to_panel(frame)
            return
        panel = mi.events_to_panel(frame)
    accounting = panel.attrs["accounting"]
    assert accounting["events_read"] == len(events)
    assert accounting["counted"] == sum(expected.values())
    assert accounting["counted"] == len(events) - sum(accounting["left_out"].values())
    assert int(panel["count"].sum()) == sum(expected.values())
    nonzero = panel[panel["count"] > 0]["count"]
    assert {key: int(n) for key, n in nonzero.items()} == dict(expected)
    years = [year for _, year in expected]
    assert panel.shape == (31 * (max(years) - min(years) + 1), 1)


# ---------------------------------------------------------------------------
# province codes round-trip
# ---------------------------------------------------------------------------


@FAST
@given(st.sampled_from(sorted(SPELLINGS)), st.sampled_from(["en", "zh", "zh_short", "pinyin"]))
def test_code_name_code_round_trip(code: int, lang: str) -> None:
    name = mi.province_name(code, lang=lang)
    assert mi.province_code(name) == code
    for spelling in (name, name.upper(), name.lower(), f"  {name} ", f"{name},"):
        assert mi.province_code(spelling) == code


def test_every_registry_spelling_and_code_form_round_trips() -> None:
    for code, spellings in SPELLINGS.items():
        forms = [*spellings, code, str(code), float(code), f"{code}.0", code // 10000]
        for form in forms:
            assert mi.province_code(form) == code, form
        codes, unknown = normalise_provinces(pd.Series(forms, dtype=object))
        assert not unknown.any() and (codes == code).all()


# ---------------------------------------------------------------------------
# long -> yearbook-wide CSV -> read_panel is the identity
# ---------------------------------------------------------------------------

# Chongqing is left out: rows before 1997 would (rightly) warn.
PANEL_CODES = [c for c in MAINLAND_CODES if c != 500000]
VALUES = st.one_of(
    st.integers(min_value=-(10**9), max_value=10**9).map(float),
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False),
    st.just(float("nan")),
)


@st.composite
def long_panel(draw: st.DrawFn) -> tuple[pd.Series, dict[int, str]]:
    codes = draw(st.lists(st.sampled_from(PANEL_CODES), min_size=1, max_size=6, unique=True))
    first = draw(st.integers(min_value=1978, max_value=2020))
    n_years = draw(st.integers(min_value=2, max_value=6))
    index = pd.MultiIndex.from_product(
        [sorted(codes), range(first, first + n_years)], names=["province", "year"]
    )
    values = draw(st.lists(VALUES, min_size=len(index), max_size=len(index)))
    if all(np.isnan(v) for v in values):
        values[0] = 1.0
    names = {code: draw(st.sampled_from(SPELLINGS[code] + [str(code)])) for code in codes}
    return pd.Series(values, index=index, name="gdp", dtype="float64"), names


def _cell(value: float) -> str:
    return "" if np.isnan(value) else repr(float(value))


@FAST
@given(long_panel(), st.booleans(), st.sampled_from(["utf-8", "gbk", "utf-8-sig"]))
def test_long_to_wide_csv_and_back_is_identity(drawn, descending: bool, encoding: str) -> None:
    series, names = drawn
    wide = series.unstack("year")
    years = sorted(wide.columns, reverse=descending)
    lines = ["地区," + ",".join(f"{y}年" for y in years)]
    for code, row in wide.iterrows():
        lines.append(",".join([names[int(code)], *(_cell(row[y]) for y in years)]))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "wide.csv"
        path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            back = mi.read_panel(path, value_name="gdp")
    assert back.attrs["layout"] == "wide"
    pd.testing.assert_series_equal(
        back["gdp"].astype("float64"), series, check_names=False, check_exact=True
    )

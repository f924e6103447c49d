"""Bad event files and arguments for events_to_panel: a clear DataError or a reported result.

The companion of tests/test_bad_inputs.py for the classes of issue 14. The
files live in tests/data/bad/events/ and are written by
tests/data/bad/events/make_bad_events.py. ``CASES`` maps a case to the file,
the keyword arguments and the documented outcome:

- ``Err``: a :class:`~massincidents.DataError` whose message contains given
  words and, for problems in the file, names the file, and the row and
  column where given;
- ``Ok``: a panel with the given cells and accounting, after the named
  warning or none.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import massincidents as mi
from massincidents import DataError, DataQualityWarning

EVENTS = Path(__file__).parent / "data" / "bad" / "events"
sys.path.insert(0, str(EVENTS))
import make_bad_events  # noqa: E402


@dataclass(frozen=True)
class Err:
    """A DataError containing ``words``; in the file (and row, column) when ``in_file``."""

    words: tuple[str, ...]
    row: int | None = None
    column: str | None = None
    in_file: bool = True


@dataclass(frozen=True)
class Ok:
    """A panel: ``warn`` is the one warning expected (or None); cells and accounting to check."""

    warn: type[Warning] | None = None
    words: tuple[str, ...] = ()
    values: dict[tuple[int, int, str], int] = field(default_factory=dict)
    shape: tuple[int, int] | None = None
    accounting: dict[str, int] = field(default_factory=dict)


MISTYPED = ("probably a mistyped year", "pass start= and end=")

#: case -> (file, events_to_panel keyword arguments, expected outcome)
CASES: dict[str, tuple[str, dict[str, object], Err | Ok]] = {
    # mistyped years: refused by row, never a window of centuries
    "typo_1015": ("events_typo_year_1015.csv", {}, Err(("before 1949", *MISTYPED), 3, "date")),
    "typo_0001": ("events_typo_year_0001.csv", {}, Err(("before 1949", *MISTYPED), 3, "date")),
    "typo_9999": ("events_typo_year_9999.csv", {}, Err(("after", *MISTYPED), 3, "date")),
    "typo_0001_daily": (
        "events_typo_year_0001.csv",
        {"freq": "day"},
        Err(("'0001-03-02' is before 1949",), 3, "date"),
    ),
    "typo_9999_with_window": (
        "events_typo_year_9999.csv",
        {"freq": "day", "start": "2015-01-01", "end": "2016-12-31"},
        Ok(DataQualityWarning, ("counted 2 of 3", "1 outside window"), shape=(31 * 731, 1),
           accounting={"counted": 2, "events_read": 3}),
    ),
    # one time-zone rule: China Standard Time
    "tz_offsets": (
        "events_tz_offsets.csv",
        {},
        Ok(values={(440000, 2016, "count"): 3, (510000, 2015, "count"): 1}, shape=(62, 1)),
    ),
    # dates that read two ways
    "day_first_ambiguous_monthly": (
        "events_day_first_ambiguous.csv",
        {"freq": "month"},
        Err(("'03/04/2015' reads as 3 April 2015 (day first) or 4 March 2015 (month first)",
             "dayfirst=True"), 2, "date"),
    ),
    "day_first_told": (
        "events_day_first_ambiguous.csv",
        {"freq": "month", "dayfirst": True},
        Ok(values={(440000, 201504, "count"): 1, (440000, 201512, "count"): 1},
           shape=(31 * 9, 1)),
    ),
    "day_first_same_year": (
        "events_day_first_ambiguous.csv",
        {},
        Ok(values={(440000, 2015, "count"): 2}, shape=(31, 1)),
    ),
    "day_month_mixed": (
        "events_day_month_mixed.csv",
        {},
        Err(("'13/04/2015' can only be read day-first", "mixes two conventions"), 2, "date"),
    ),
    # category values named like the output's own columns
    "category_total": (
        "events_category_total.csv",
        {"by": "band"},
        Err(("category 'total'", "rename it"), 4, "band"),
    ),
    "category_missing": (
        "events_category_missing.csv",
        {"by": "band"},
        Err(("category 'missing'", "events without a category"), 4, "band"),
    ),
    # a path names one file, even when it looks like a glob
    "glob_characters_in_name": (
        "events_glob[1].csv",
        {},
        Ok(values={(130000, 2017, "count"): 1}, shape=(31, 1), accounting={"events_read": 1}),
    ),
    # arguments that cannot be used
    "start_garbage": (
        "events_ok.csv",
        {"start": "garbage"},
        Err(("start must be a date such as '2015-01-01'", "'garbage'"), in_file=False),
    ),
    "start_after_end": (
        "events_ok.csv",
        {"start": "2017-01-01", "end": "2015-12-31"},
        Err(("is after end=",), in_file=False),
    ),
    "start_mid_year": (
        "events_ok.csv",
        {"start": "2015-07-01"},
        Err(("falls inside a year", "start='2015-01-01'"), in_file=False),
    ),
    "start_outside_pandas_daily": (
        "events_ok.csv",
        {"freq": "day", "start": "0001-01-01", "end": "2016-12-31"},
        Err(("outside the dates a panel can hold",), in_file=False),
    ),
    "duplicate_provinces": (
        "events_ok.csv",
        {"provinces": [440000, 510000, "Guangdong"]},
        Err(("lists 440000 twice",), in_file=False),
    ),
}


def _listing(directory: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(directory)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(directory.rglob("*"))
        if "__pycache__" not in p.parts
    }


def test_every_file_has_a_case() -> None:
    files = {p.name for p in EVENTS.iterdir() if p.is_file() and p.suffix != ".py"}
    assert files == {name for name, _, _ in CASES.values()} | {"events_glob1.csv"}


def test_corpus_matches_its_generator(tmp_path: Path) -> None:
    for path in make_bad_events.write(tmp_path):
        assert path.read_bytes() == (EVENTS / path.name).read_bytes(), path.name


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_event_input(case: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    name, kwargs, expected = CASES[case]
    path = EVENTS / name
    monkeypatch.chdir(tmp_path)
    before = _listing(EVENTS)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = mi.events_to_panel(path, **kwargs)
            error = None
        except DataError as err:
            error = err
        except Exception as err:  # pragma: no cover - the failure being tested for
            pytest.fail(f"{case}: {type(err).__name__} escaped instead of DataError: {err}")
    assert _listing(EVENTS) == before, "the corpus directory changed"
    assert list(tmp_path.iterdir()) == [], "something was written to the working directory"

    if isinstance(expected, Err):
        assert error is not None, f"{case}: expected a DataError, got a result"
        assert type(error) is DataError
        text = str(error)
        assert "Traceback" not in text
        for word in expected.words:
            assert word in text, (word, text)
        if expected.in_file:
            assert all(problem.file == str(path) for problem in error.problems), text
            assert any(
                (expected.row is None or problem.row == expected.row)
                and (expected.column is None or problem.column == expected.column)
                and expected.words[0] in problem.message
                for problem in error.problems
            ), text
        return

    assert error is None, f"{case}: unexpected DataError {error}"
    categories = [w.category for w in caught if issubclass(w.category, UserWarning)]
    assert categories == ([expected.warn] if expected.warn else []), [
        str(w.message) for w in caught
    ]
    for word in expected.words:
        assert word in str(caught[0].message), (word, str(caught[0].message))
    if expected.shape is not None:
        assert result.shape == expected.shape
    for (province, period, column), value in expected.values.items():
        assert result.loc[(province, period), column] == value, (province, period, column)
    accounting = result.attrs["accounting"]
    for key, value in expected.accounting.items():
        assert accounting[key] == value, (key, accounting)
    assert int(result["count"].sum()) == accounting["counted"]
    assert accounting["counted"] == accounting["events_read"] - sum(
        accounting["left_out"].values()
    )

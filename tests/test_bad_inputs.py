"""Malformed and awkward inputs: a clear DataError or a reported repair, never a traceback.

The corpus lives in tests/data/bad/ and is written by
tests/data/bad/make_bad_inputs.py. ``CASES`` gives, for every file, the
keyword arguments it is read with and the documented outcome:

- ``Err``: a :class:`~massincidents.DataError` whose message names the file
  and, where meaningful, the row and the column, and contains given words;
- ``Ok``: a result with the given values, after the named warning
  (:class:`~massincidents.DataQualityWarning` or
  :class:`~massincidents.OutsideMainlandWarning`) reporting the repair, or no
  warning at all.

Files whose names start with ``events_`` go through
:func:`massincidents.events_to_panel`, the others through
:func:`massincidents.read_panel`. Nothing may be written to disk.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

import massincidents as mi
from massincidents import DataError, DataQualityWarning, OutsideMainlandWarning

BAD = Path(__file__).parent / "data" / "bad"
sys.path.insert(0, str(BAD))
import make_bad_inputs  # noqa: E402


@dataclass(frozen=True)
class Err:
    """A DataError naming the file, the row and column when given, and ``words``."""

    words: tuple[str, ...]
    row: int | None = None
    column: str | None = None


@dataclass(frozen=True)
class Ok:
    """A result; ``warn`` is the one warning expected (or None), ``values`` cells to check.

    ``values`` maps (province, period, column) to the expected number (NaN for
    a missing cell); for events files, ``accounting`` is compared with
    ``attrs["accounting"]`` entries.
    """

    warn: type[Warning] | None = None
    words: tuple[str, ...] = ()
    values: dict[tuple[int, int, str], float] = field(default_factory=dict)
    shape: tuple[int, int] | None = None
    accounting: dict[str, object] = field(default_factory=dict)


NAN = float("nan")
GDP2 = {(110000, 2016, "gdp"): 1.5, (310000, 2016, "gdp"): 2.5}
MERGED = {(110000, 2017, "地区生产总值"): 2, (120000, 2016, "人口"): 7}
WIDE = {(110000, 2017, "value"): 2.5, (110000, 2016, "value"): 1.5, (120000, 2016, "value"): 2.0}

#: file -> (read_panel / events_to_panel keyword arguments, expected outcome)
CASES: dict[str, tuple[dict[str, object], Err | Ok]] = {
    # encodings
    "gbk_mislabelled.csv": ({"encoding": "utf-8"}, Err(("cannot decode as utf-8",), row=1)),
    "gbk_autodetect.csv": ({}, Ok(values=GDP2, shape=(2, 1))),
    "latin1.csv": ({}, Err(("cannot detect the text encoding", "latin-1"))),
    "utf16_no_bom.csv": ({}, Err(("cannot detect the text encoding", "utf-16-le"))),
    "utf16_bom.csv": ({}, Ok(values=GDP2, shape=(2, 1))),
    "mixed_encoding.csv": (
        {},
        Err(("cannot detect the text encoding", "utf-8 (invalid byte at line 3)")),
    ),
    "bom_plus_gbk.csv": ({}, Err(("byte-order mark but is not valid",), row=1)),
    "nul_bytes.csv": ({}, Err(("non-numeric value",), row=2, column="gdp")),
    # delimiters, line endings, quoting
    "semicolon.csv": ({}, Ok(values=GDP2, shape=(2, 1))),
    "crlf_blank_lines.csv": ({}, Ok(values=GDP2, shape=(2, 1))),
    "tab_separated.txt": ({}, Ok(values=GDP2, shape=(2, 1))),
    "unclosed_quote.csv": ({}, Err(("quoted field", "never closed"), row=2)),
    "ragged_rows.csv": ({}, Err(("no header",), row=1, column="column 4")),
    # empty and near-empty
    "empty.csv": ({}, Err(("empty",))),
    "blank_lines_only.csv": ({}, Err(("empty",))),
    "header_only.csv": ({}, Err(("only a header",), row=1)),
    "header_only_wide.csv": ({}, Err(("only a header",), row=1)),
    "title_lines_only.csv": ({}, Err(("no table found",))),
    "empty_sheet.xlsx": ({}, Err(("sheet 'empty'", "is empty"))),
    # headers, footnotes, units
    "merged_header_two_rows.csv": ({}, Ok(values=MERGED, shape=(4, 2))),
    "merged_header.xlsx": ({}, Ok(values=MERGED, shape=(4, 2))),
    "two_row_header_years_first.csv": (
        {},
        Ok(
            values={
                (110000, 2017, "地区生产总值"): 2.5,
                (120000, 2016, "年末常住人口"): 1562,
                (120000, 2017, "地区生产总值"): 3.5,
            },
            shape=(4, 2),
        ),
    ),
    "two_row_header_and_units_row.csv": ({}, Err(("third header row", "long form"), row=3)),
    "footnotes.csv": (
        {},
        Ok(values={(110000, 2017, "地区生产总值"): 2.5, (120000, 2016, "地区生产总值"): 2.0}),
    ),
    "note_between_rows.csv": ({}, Ok(values={(510000, 2017, "value"): 3.5}, shape=(4, 1))),
    "units_row.csv": ({}, Err(("non-numeric value '亿元'",), row=2, column="2017年")),
    "mixed_unit_headers.csv": ({}, Err(("no year column found",), row=1)),
    "numbers_with_units.csv": ({}, Err(("non-numeric value '1.5亿元'",), row=2, column="gdp")),
    # keys
    "duplicate_keys_long.csv": (
        {},
        Err(("duplicate province-year", "row 2"), row=4, column="province"),
    ),
    "duplicate_province_wide.csv": (
        {},
        Err(("duplicate province-years", "2016-2017"), row=4, column="地区"),
    ),
    "wide_repeated_years.csv": ({}, Err(("duplicate column name",), row=1, column="2017")),
    "wide_same_year_two_spellings.csv": (
        {},
        Err(("duplicate province-year",), row=2, column="地区"),
    ),
    "year_niandu.csv": ({}, Ok(values={(110000, 2015, "gdp"): 1.5, (110000, 2016, "gdp"): 2.5})),
    "wide_niandu_header.csv": ({}, Ok(values={(120000, 2015, "value"): 3.0}, shape=(4, 1))),
    "year_fractional.csv": ({}, Err(("not an integer year",), row=2, column="year")),
    "year_out_of_range.csv": ({}, Err(("outside the plausible range",), row=2, column="year")),
    "year_missing.csv": ({}, Err(("year is missing",), row=2, column="year")),
    "unknown_province.csv": ({}, Err(("unknown province 'Gotham'",), row=3, column="province")),
    "trailing_spaces_fullwidth.csv": (
        {},
        Ok(values={**GDP2, (120000, 2016, "gdp"): 3.0}, shape=(3, 1)),
    ),
    "province_codes_float.csv": ({}, Ok(values=GDP2, shape=(2, 1))),
    "province_codes_two_digit.csv": ({}, Ok(values=GDP2, shape=(2, 1))),
    "float_codes_and_years.xlsx": (
        {"counts": ["strikes"]},
        Ok(values={(110000, 2016, "strikes"): 3, (310000, 2016, "strikes"): 4}, shape=(2, 1)),
    ),
    "hk_macao_taiwan.csv": (
        {},
        Ok(OutsideMainlandWarning, ("removed 3 row(s)", "香港 (row 3)"), GDP2, (2, 1)),
    ),
    "transposed_with_hk.csv": ({}, Ok(OutsideMainlandWarning, ("1 column(s)", "Hong Kong"), WIDE)),
    "national_total.csv": ({}, Ok(DataQualityWarning, ("national totals", "row 2"), WIDE, (4, 1))),
    # Chongqing before 1997: kept, with a DataQualityWarning (documented in validate.soft).
    "chongqing_1995.csv": (
        {},
        Ok(
            DataQualityWarning,
            ("Chongqing", "before 1997", "1995, 1996", "Sichuan"),
            {(500000, 1995, "gdp"): 1.0, (510000, 1995, "gdp"): 5.0},
            (6, 1),
        ),
    ),
    # values
    "excel_errors.csv": ({}, Err(("Excel error value '#DIV/0!'", "'#REF!'"), row=2, column="gdp")),
    "excel_errors.xlsx": ({}, Err(("Excel error value '#DIV/0!'", "'#REF!'"), row=2, column="gdp")),
    "negative_counts.csv": (
        {"counts": ["strikes"]},
        Err(("negative count",), row=3, column="strikes"),
    ),
    "fractional_counts.csv": (
        {"counts": ["strikes"]},
        Err(("fractional count",), row=3, column="strikes"),
    ),
    "huge_1e308.csv": (
        {},
        Ok(values={(110000, 2016, "gdp"): 1e308, (310000, 2016, "gdp"): -1.7e308}),
    ),
    "overflow_1e400.csv": ({}, Err(("non-numeric value '1e400'",), row=2, column="gdp")),
    "huge_counts_1e20.csv": (
        {"counts": ["strikes"]},
        Err(("huge count", "2**53"), row=2, column="strikes"),
    ),
    "huge_integers_1e20.csv": (
        {},
        Ok(values={(110000, 2016, "pop"): 1e20, (310000, 2016, "pop"): 3.0}),
    ),
    "thousands_and_missing_tokens.csv": (
        {},
        Ok(
            values={
                (110000, 2016, "gdp"): 1234.5,
                (310000, 2016, "gdp"): NAN,
                (130000, 2016, "gdp"): NAN,
            }
        ),
    ),
    "all_missing_column.csv": ({}, Err(("entirely missing",), column="gdp")),
    # cells that float() or NFKC would turn into other numbers
    "footnote_superscript.csv": (
        {},
        Ok(
            DataQualityWarning,
            ("removed the footnote marks of 1 cell", "初步核算数", "'28014.94¹' (row 2"),
            {(110000, 2017, "value"): 28014.94, (120000, 2017, "value"): 18549.19},
            (4, 1),
        ),
    ),
    "footnote_undefined.csv": (
        {},
        Err(("non-numeric value '28014.94¹'", "superscript"), row=2, column="2017年"),
    ),
    "superscript_exponent.csv": (
        {},
        Err(("non-numeric value '10²'", "superscript"), row=2, column="gdp"),
    ),
    "circled_digit.csv": (
        {},
        Err(("non-numeric value '2.5②'", "footnote mark"), row=2, column="gdp"),
    ),
    "arabic_indic_digits.csv": (
        {},
        Err(("non-numeric value '٣'", "not ASCII"), row=2, column="gdp"),
    ),
    "space_inside_number.csv": (
        {},
        Err(("non-numeric value '12 34'", "spaces between digits"), row=2, column="gdp"),
    ),
    "two_numbers_in_cell.csv": (
        {},
        Err(("non-numeric value '2016 2017'", "one number or two"), row=2, column="gdp"),
    ),
    "underscore_digits.csv": (
        {},
        Err(("non-numeric value '1_000'", "underscores"), row=2, column="gdp"),
    ),
    "infinity_text.csv": ({}, Err(("non-numeric value '-Infinity'",), row=2, column="gdp")),
    # numeric columns mostly (or entirely) made of cells that are not numbers
    "european_decimals_mostly.csv": (
        {},
        Err(
            ("non-numeric value '3.456,7'", "decimal comma", "row 2", "row 3"),
            row=4,
            column="gdp",
        ),
    ),
    "units_in_cells_mostly.csv": (
        {},
        Err(("non-numeric value '3.5亿元'", "'亿元'", "row 2", "row 3"), row=4, column="gdp"),
    ),
    "units_in_every_cell.csv": (
        {},
        Err(("non-numeric value '2.5亿元'", "2 of the 2 filled cells"), row=3, column="gdp"),
    ),
    "not_reported_mostly.csv": (
        {},
        Err(("non-numeric value 'n.r.'", "3 of the 4 filled cells"), row=4, column="gdp"),
    ),
    "percent_cells.csv": ({}, Err(("non-numeric value '87.9%'", "'%'"), row=3, column="urban")),
    "markup_in_cells.csv": ({}, Err(("non-numeric value '[/]'",), row=2, column="[bold]gdp")),
    "markup_in_header.csv": ({}, Ok(values={(120000, 2016, "[/red]gdp"): 2}, shape=(2, 1))),
    # not a table file
    "not_a_workbook.xlsx": ({}, Err(("cannot open as an .xlsx workbook",))),
    "wrong_extension.json": ({}, Err(("unsupported file extension",))),
    "missing_sheet.xlsx": ({"sheet": "nope"}, Err(("no sheet 'nope'", "分省年度数据"))),
    # events
    "events_chinese_month.csv": (
        {},
        Ok(
            values={
                (440000, 2015, "count"): 2,
                (510000, 2016, "count"): 1,
                (130000, 2015, "count"): 1,
            },
            shape=(62, 1),
            accounting={"events_read": 4, "counted": 4},
        ),
    ),
    "events_mixed_dates.csv": (
        {},
        Ok(
            DataQualityWarning,
            ("counted 4 of 9", "1 unknown province", "1 outside mainland", "3 unparseable date"),
            {(440000, 2015, "count"): 2, (510000, 2015, "count"): 2, (130000, 2015, "count"): 0},
            (31, 1),
            {"events_read": 9, "counted": 4},
        ),
    ),
    "events_empty.csv": ({}, Err(("the file is empty",))),
    "events_header_only.csv": ({}, Err(("no event has both",))),
    "events_missing_column.csv": (
        {},
        Err(("province column is missing", "close column names: prov")),
    ),
    "events_codes_float.csv": (
        {},
        Ok(values={(440000, 2015, "count"): 2, (510000, 2016, "count"): 1}, shape=(62, 1)),
    ),
    "events_gbk.csv": ({}, Err(("cannot be read", "not utf-8 encoded"))),
}


def _listing(directory: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(directory)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(directory.rglob("*"))
        if "__pycache__" not in p.parts
    }


def test_corpus_is_large_and_every_file_has_a_case() -> None:
    files = {p.name for p in BAD.iterdir() if p.is_file() and p.suffix != ".py"}
    assert len(files) >= 40
    assert files == set(CASES)


def test_corpus_matches_its_generator(tmp_path: Path) -> None:
    for path in make_bad_inputs.write(tmp_path):
        assert path.read_bytes() == (BAD / path.name).read_bytes(), path.name


def test_generator_is_deterministic(tmp_path: Path) -> None:
    first = {p.name: p.read_bytes() for p in make_bad_inputs.write(tmp_path / "a")}
    second = {p.name: p.read_bytes() for p in make_bad_inputs.write(tmp_path / "b")}
    assert first == second


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input(name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    kwargs, expected = CASES[name]
    path = BAD / name
    reader = mi.events_to_panel if name.startswith("events_") else mi.read_panel
    monkeypatch.chdir(tmp_path)  # anything written to the working directory would show
    before, before_cwd = _listing(BAD), _listing(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = reader(path, **kwargs)
            error = None
        except DataError as err:
            error = err
        except Exception as err:  # pragma: no cover - the failure being tested for
            pytest.fail(f"{name}: {type(err).__name__} escaped instead of DataError: {err}")
    assert _listing(BAD) == before, "the corpus directory changed"
    assert _listing(tmp_path) == before_cwd, "something was written to the working directory"

    if isinstance(expected, Err):
        assert error is not None, f"{name}: expected a DataError, got a result"
        assert type(error) is DataError
        text = str(error)
        assert "Traceback" not in text
        assert str(path) in text, text
        for word in expected.words:
            assert word in text, (word, text)
        assert all(problem.file == str(path) for problem in error.problems)
        # Some problem points at the expected row and column and says the first words.
        assert any(
            (expected.row is None or problem.row == expected.row)
            and (expected.column is None or problem.column == expected.column)
            and expected.words[0] in problem.message
            for problem in error.problems
        ), text
        return

    assert error is None, f"{name}: unexpected DataError {error}"
    categories = [w.category for w in caught if issubclass(w.category, UserWarning)]
    if expected.warn is None:
        assert categories == [], [str(w.message) for w in caught]
    else:
        assert categories == [expected.warn], [str(w.message) for w in caught]
        message = str(caught[0].message)
        for word in expected.words:
            assert word in message, (word, message)
    if expected.shape is not None:
        assert result.shape == expected.shape
    for (province, period, column), value in expected.values.items():
        got = result.loc[(province, period), column]
        if np.isnan(value):
            assert np.isnan(got)
        else:
            assert got == value, (province, period, column, got)
    for key, value in expected.accounting.items():
        assert result.attrs["accounting"][key] == value
    if name.startswith("events_"):
        accounting = result.attrs["accounting"]
        assert int(result["count"].sum()) == accounting["counted"]
        assert accounting["counted"] == accounting["events_read"] - sum(
            accounting["left_out"].values()
        )


#: read_panel keyword -> the option of `massincidents validate` that passes it on.
_CLI_OPTIONS = {"sheet": "--sheet", "counts": "--counts"}


@pytest.mark.parametrize(
    "name",
    sorted(
        name
        for name, (kwargs, _) in CASES.items()
        if not name.startswith("events_") and set(kwargs) <= set(_CLI_OPTIONS)
    ),
)
def test_validate_command(name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`massincidents validate FILE`: the same outcome, a message and exit code, no traceback."""
    from typer.testing import CliRunner

    from massincidents.cli import app

    kwargs, expected = CASES[name]
    args = ["validate", str(BAD / name)]
    for key, value in kwargs.items():
        for item in value if isinstance(value, list) else [value]:
            args += [_CLI_OPTIONS[key], str(item)]
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args)
    output = result.output
    assert "Traceback" not in output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    if isinstance(expected, Err):
        assert result.exit_code == 1, output
        flat = " ".join(output.split())  # the console wraps long lines
        assert name in flat and expected.words[0] in flat, output
    else:
        assert result.exit_code == 0, output
        assert "OK" in output

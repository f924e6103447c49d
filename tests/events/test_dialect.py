"""A plain CSV's dialect, known without DuckDB's sniffer (``massincidents.events.dialect``).

The oracle is DuckDB's own sniffer: wherever :func:`plain_header` answers, its
answer must be the one ``sniff_csv`` gives (comma, no quote, no escape, ``\\n``,
no comment, nothing skipped, the header's names), on plain files and on files
one character away from plain, below and beyond the lines the sniffer reads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import massincidents as mi
from massincidents.events import sources
from massincidents.events.dialect import (
    CHECKED_LINES,
    SNIFFER_LINES,
    plain_header,
    sniffer_answer_known,
)

#: What DuckDB's sniffer answers for a plain file, but the columns
PLAIN = (",", "(empty)", "(empty)", "\\n", "(empty)", 0)


def _agrees_with_duckdb(path: Path) -> tuple[str, ...] | None:
    """``plain_header(path)``, after checking it against DuckDB's sniffer where it answers."""
    names = plain_header(path)
    if names is not None:
        with sources.connect() as con:
            sniffed = sources.sniff_csv(con, sources.escape_glob(str(path)))
        assert sniffed is not None, path.read_bytes()[:200]
        assert tuple(sniffed[:6]) == PLAIN
        assert tuple(c["name"] for c in sniffed[6]) == names
    return names


def _rows(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    places = np.array(["Guangdong", "四川", "110000", "Hebei", "Inner Mongolia", "Xi'an"])[:5]
    days = rng.integers(1, 29, n)
    return [f"{places[i % 5]},2015-03-{d:02d},12:30" for i, d in enumerate(days)]


PLAIN_FILES = {
    "events": "province,date,time\n" + "\n".join(_rows(3_000)) + "\n",
    "no final line break": "province,date,time\n" + "\n".join(_rows(50)),
    "header only": "province,date,time\n",
    "Chinese and spaced names": "省份,事件 日期,note (1)\n" + "\n".join(_rows(40)) + "\n",
    "empty fields": "province,date,time\n" + "\n".join(["Hebei,,", ",2015-01-01,"] * 30) + "\n",
}

NOT_PLAIN = {
    "CRLF": "province,date\r\nHebei,2015-01-01\r\n",
    "byte-order mark": "\ufeffprovince,date\nHebei,2015-01-01\n",
    "a quoted field": 'province,date\n"Hebei",2015-01-01\n',
    "an apostrophe": "province,date\nXi'an,2015-01-01\n",
    "semicolons": "province;date\nHebei;2015-01-01\n",
    "a tab in a field": "province,date\nHe\tbei,2015-01-01\n",
    "a comment line": "# events\nprovince,date\nHebei,2015-01-01\n",
    "a blank line": "province,date\n\nHebei,2015-01-01\n",
    "a ragged row": "province,date\nHebei,2015-01-01,x\n",
    "one column": "date\n2015-01-01\n",
    "an empty name": "province,date,\nHebei,2015-01-01,\n",
    "names equal but for case": "Date,date\n2015-01-01,2015-01-02\n",
    "a name with an outer space": "province, date\nHebei,2015-01-01\n",
    "a name with a non-breaking space": "province,date\u00a0\nHebei,2015-01-01\n",
    "a backslash": "province,date\nHe\\bei,2015-01-01\n",
    "not UTF-8": b"province,date\nHebei,2015-01-01\n\xff,x\n",
    "a line of more than a MiB": "province,date\n" + "x" * (1 << 20) + ",2015-01-01\n",
}


@pytest.mark.parametrize("text", PLAIN_FILES.values(), ids=PLAIN_FILES.keys())
def test_a_plain_file_is_read_as_duckdbs_sniffer_reads_it(text, tmp_path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(text, encoding="utf-8")
    assert _agrees_with_duckdb(path) is not None


@pytest.mark.parametrize("text", NOT_PLAIN.values(), ids=NOT_PLAIN.keys())
def test_a_file_that_is_not_plain_is_left_to_duckdbs_sniffer(text, tmp_path) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    assert plain_header(path) is None


@pytest.mark.parametrize(
    "line, plain",
    [
        (SNIFFER_LINES - 1, False),  # the last line the sniffer reads: it finds the quote
        (SNIFFER_LINES, False),  # beyond it, but within the lines checked here
        (CHECKED_LINES - 1, False),
        (CHECKED_LINES, True),  # beyond both: the sniffer too says "no quote"
    ],
)
def test_a_quote_far_down_the_file(line, plain, tmp_path) -> None:
    lines = ["province,date,time", *_rows(CHECKED_LINES + 100)]
    lines[line] = '"Hebei",2015-01-01,12:00'
    path = tmp_path / "events.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert (_agrees_with_duckdb(path) is not None) is plain


_PLAIN_TEXT = st.text(st.sampled_from(list("ab北1-.:/ _")), max_size=5)
_NAME_TEXT = st.text(st.sampled_from(list("ab北1-._")), min_size=1, max_size=5)
_SPECIAL = st.sampled_from(list(",;\"'\t|#\\\r\n\u00a0\ufeff") + ["\r\n", "\n\n"] + [""] * 12)


@st.composite
def _nearly_plain(draw: st.DrawFn) -> str:
    """A table of plain fields with the same number of columns, then at most one
    character that can decide a dialect put anywhere in it."""
    width = draw(st.integers(1, 4))  # one column: never plain (no comma)
    rows = draw(st.lists(st.lists(_PLAIN_TEXT, min_size=width, max_size=width), max_size=30))
    header = draw(st.lists(_NAME_TEXT, min_size=width, max_size=width))
    text = "\n".join(",".join(fields) for fields in [header, *rows])
    text += draw(st.sampled_from(["\n", ""]))
    at = draw(st.integers(0, len(text)))
    return text[:at] + draw(_SPECIAL) + text[at:]


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_nearly_plain())
def test_wherever_plain_header_answers_duckdb_answers_the_same(text, tmp_path) -> None:
    path = tmp_path / "made.csv"
    path.write_text(text, encoding="utf-8")
    _agrees_with_duckdb(path)


def test_a_plain_file_is_read_without_duckdbs_sniffer(tmp_path, monkeypatch) -> None:
    path = tmp_path / "events.csv"
    path.write_text(PLAIN_FILES["events"], encoding="utf-8")
    expected = mi.events_to_panel(path, freq="month")

    def no_sniffing(con, file):
        raise AssertionError("DuckDB's sniffer ran on a plain file")

    monkeypatch.setattr(sources, "sniff_csv", no_sniffing)
    pd.testing.assert_frame_equal(mi.events_to_panel(path, freq="month"), expected)
    monkeypatch.setattr(sources, "_sniffed", lambda con, file: None)  # auto-detection
    pd.testing.assert_frame_equal(mi.events_to_panel(path, freq="month"), expected)


def test_a_file_cut_into_parts_counts_as_one_read_whole(tmp_path, monkeypatch) -> None:
    """A file that two DuckDB threads read in parts of about 2 MB: lines cut at the
    parts' edges, and lines near DuckDB's limit of 2,000,000 bytes, count once. DuckDB
    reads it in parts (it refuses a buffer whose last part is shorter than a line,
    and the file is then read again as one stream)."""
    rng = np.random.default_rng(3)
    path = tmp_path / "events.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("province,note,date\n")
        for block in range(4):
            handle.write(f"Hebei,{'x' * 1_999_970},2015-01-0{block + 1}\n")
            notes = rng.integers(0, 60, 40_000)
            handle.writelines(f"Guangdong,{'y' * k},2015-02-{1 + k % 28:02d}\n" for k in notes)
    assert -(-path.stat().st_size // 2) % 16 != 0  # half the file is not a whole buffer
    monkeypatch.setattr(
        sources, "_buffer_size", lambda con, p: sources.buffer_option(p.stat().st_size, 2)
    )
    with sources.connect() as con:
        relation = sources._sniffed(con, path)[0]
        assert "buffer_size=" in relation
        assert con.execute(f"SELECT count(*) FROM {relation}").fetchone() == (4 * 40_001,)
    cut = mi.events_to_panel(path, freq="month")
    monkeypatch.setattr(sources, "_buffer_size", lambda con, path: "")
    whole = mi.events_to_panel(path, freq="month")
    pd.testing.assert_frame_equal(cut, whole)
    assert int(cut["count"].sum()) == 4 * 40_001
    assert int(cut.loc[(130000, 201501), "count"]) == 4


def test_one_buffer_per_thread_where_it_helps() -> None:
    mib = 1 << 20

    def option(buffer: int) -> str:  # with DuckDB's default longest line, which it replaces
        return f", buffer_size={buffer}, max_line_size=2000000"

    assert sources.buffer_option(9 * mib, 2) == option(8_000_000)  # the least: 4 x 2,000,000
    assert sources.buffer_option(mib, 2) == option(8_000_000)
    assert sources.buffer_option(9 * mib, 1) == ""  # one thread reads it whole
    assert sources.buffer_option(64 * mib, 2) == ""  # DuckDB's own buffers are enough
    assert sources.buffer_option(63 * mib, 2) == option(63 * mib // 2)
    assert sources.buffer_option(20_000_001, 2) == option(10_000_016)  # whole quarters


def test_a_compressed_file_keeps_duckdbs_buffer(tmp_path) -> None:
    gz = tmp_path / "e.csv.gz"
    gz.write_bytes(b"x" * (5 << 20))
    with sources.connect() as con:
        assert sources._buffer_size(con, gz) == ""


def test_an_older_duckdb_sniffs_every_file(tmp_path, monkeypatch) -> None:
    """DuckDB 1.0 and 1.1 read a plain file with the quote ``"`` (a quote beyond the
    sniffer's lines then quotes); 1.2 spells "no quote" as NUL. There, the sniffer runs."""
    assert sniffer_answer_known()  # the DuckDB installed here
    assert [sniffer_answer_known(v) for v in ("1.0.0", "1.1.3", "1.2.2", "1.3.0", "2.0.1")] == [
        False, False, False, True, True,
    ]
    assert sniffer_answer_known("1.10.0.dev12") and not sniffer_answer_known("0.10.3")
    path = tmp_path / "events.csv"
    path.write_text(PLAIN_FILES["events"], encoding="utf-8")
    sniffed: list[str] = []
    real = sources.sniff_csv

    def counted(con, file):
        sniffed.append(file)
        return real(con, file)

    monkeypatch.setattr(sources, "sniff_csv", counted)
    monkeypatch.setattr(sources, "sniffer_answer_known", lambda: False)
    mi.events_to_panel(path, freq="month")
    assert sniffed == [str(path)]


def _outcome(path: Path) -> tuple:
    """What ``events_to_panel`` gives for ``path``: the DataError's text, or the panel."""
    try:
        panel = mi.events_to_panel(path, freq="month")
    except mi.DataError as err:
        return ("DataError", str(err), [(p.row, p.column) for p in err.problems])
    return ("panel", panel.to_csv(), panel.attrs["accounting"])


def _auto_detected(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple:
    """:func:`_outcome` with DuckDB's auto-detection at every query."""
    with monkeypatch.context() as patched:
        patched.setattr(sources, "_sniffed", lambda con, file: None)
        return _outcome(path)


#: Longer than DuckDB's longest line (2,000,000 bytes), shorter than its least buffer here
_TOO_LONG = "Guangdong,2015-02-01," + "y" * 2_050_000


@pytest.mark.parametrize("rows_before", [0, CHECKED_LINES + 200], ids=["checked", "beyond"])
def test_a_line_longer_than_duckdb_reads_is_refused_as_auto_detection_refuses_it(
    rows_before, tmp_path, monkeypatch
) -> None:
    """DuckDB refuses a line over 2,000,000 bytes. With a ``buffer_size`` of its own
    it took the buffer for the longest line and counted it; and a plain file whose
    first lines hold it was read as if the sniffer had answered (it fails on it),
    so that the error was not auto-detection's."""
    path = tmp_path / "events.csv"
    rows = ["Hebei,2015-01-01,x"] * rows_before
    lines = ["province,date,note", *rows, _TOO_LONG, "Hebei,2015-03-01,x"]
    path.write_text("\n".join(lines) + "\n")
    # two DuckDB threads, whatever this machine has: the file is read in two buffers
    monkeypatch.setattr(
        sources, "_buffer_size", lambda con, p: sources.buffer_option(p.stat().st_size, 2)
    )
    expected = _auto_detected(path, monkeypatch)
    assert expected[0] == "DataError" and "Maximum line size" in expected[1]
    assert _outcome(path) == expected


def test_a_dialect_with_a_quote_keeps_duckdbs_buffers(tmp_path, monkeypatch) -> None:
    """DuckDB's parallel reader refuses some files with line breaks in quoted fields,
    or not, as its parts of the file fall: a 9 MB file of such fields that
    auto-detection refuses was read whole in two buffers (3,551 events). A quoted
    dialect is read in DuckDB's own buffers, as auto-detection reads it; a file
    without quotes, whose lines all end at a line break, in one buffer per thread."""
    monkeypatch.setattr(
        sources, "_buffer_size", lambda con, p: sources.buffer_option(5 << 20, 2)
    )
    quoted, semicolons = tmp_path / "quoted.csv", tmp_path / "semicolons.csv"
    quoted.write_text('province,date,note\n' + 'Hebei,2015-01-01,"a\nb"\n' * 3)
    semicolons.write_text("province;date\r\n" + "Hebei;2015-01-01\r\n" * 3)
    with sources.connect() as con:
        assert "buffer_size" not in sources._sniffed(con, quoted)[0]
        assert "buffer_size" in sources._sniffed(con, semicolons)[0]


def test_an_older_duckdb_keeps_its_own_buffers(tmp_path, monkeypatch) -> None:
    """DuckDB 1.0 and 1.1 read lines of up to 2 MiB (2,097,152 bytes) by default, 1.2 and
    later up to 2,000,000 (checked on 1.0.0 to 2.0.1): the buffers, which give
    max_line_size=2000000, are given only to releases checked."""
    path = tmp_path / "events.csv"
    path.write_text("province,date\n" + "Hebei,2015-01-01\n" * 3)
    with sources.connect() as con:
        con.execute("SET threads=2")
        assert "max_line_size=2000000" in sources._buffer_size(con, path)
        monkeypatch.setattr(sources, "sniffer_answer_known", lambda: False)
        assert sources._buffer_size(con, path) == ""

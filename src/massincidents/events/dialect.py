"""The dialect of a plain CSV file, known without running DuckDB's sniffer.

DuckDB's sniffer (``sniff_csv``) tries every candidate dialect on the first
:data:`SNIFFER_LINES` lines of a file: about 10 ms on anything longer than a
few thousand lines, whatever the file's size. When those lines are *plain*,
its answer is known in advance, and :func:`plain_header` finds it in well
under a millisecond:

* the bytes are UTF-8 without a byte-order mark, lines end in ``\\n``;
* no line is longer than :data:`_LONGEST` bytes (the sniffer fails on a
  line of more than 2,000,000);
* no line is blank, and no byte is a quote (``"`` ``'``), an escape (``\\``),
  a comment mark (``#``), another delimiter candidate (``;`` ``|`` tab), a
  carriage return or NUL;
* every line holds the same number (at least one) of commas;
* the header's names are distinct (ignoring case), not empty, and made of
  letters, digits, ``_``, ``.``, ``-``, ``(``, ``)``, ``/``, ``%`` and inner
  spaces (DuckDB would rename an empty or repeated name and trim spaces).

Then DuckDB's sniffer (1.3 and later) says: delimiter ``,``, no quote, no
escape, new line ``\\n``, no comment, no line skipped, the header's names.
Earlier releases answer otherwise (1.0 and 1.1 choose the quote ``"``), so
there every file is sniffed (:func:`sniffer_answer_known`). A test compares the
two on plain and nearly plain files (:mod:`tests.events.test_dialect`). Any
other file is sniffed by DuckDB; and a file whose later lines do not fit the
dialect fails to read and is read again with DuckDB's auto-detection, as a
sniffed one is.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import duckdb
import numpy as np

#: The lines DuckDB's sniffer reads to choose a dialect (its ``sample_size``)
SNIFFER_LINES = 20_480
#: The lines checked here: more than the sniffer reads
CHECKED_LINES = 32_768
#: Bytes read at a time while looking for those lines
_BLOCK = 1 << 20
#: Bytes read at most: a file whose lines are longer than this allows is sniffed
_MOST = 16 << 20
#: The longest line of a plain file, in bytes with its ``\n`` (well under DuckDB's 2,000,000)
_LONGEST = 1 << 20

#: Bytes a plain file has none of: quotes, escape, comment, delimiters, CR, NUL, a blank line
_NOT_PLAIN = (b'"', b"'", b"\\", b"#", b";", b"|", b"\t", b"\r", b"\x00", b"\n\n")
_NAME = re.compile(r"[\w.\-()/%]([\w.\-()/% ]*[\w.\-()/%])?")


#: The first DuckDB release whose sniffer is known to answer as described above
FIRST_KNOWN_RELEASE = (1, 3)


def sniffer_answer_known(version: str | None = None) -> bool:
    """Whether this DuckDB's (or ``version``'s) answer for a plain file is the one above.

    Checked on 1.3.2, 1.4.1 and 2.0.1; 1.0.0 and 1.1.3 choose the quote ``"``
    for a file without quotes, 1.2.2 reports "no quote" as a NUL character.
    """
    release = []
    for part in (version or duckdb.__version__).split(".")[:2]:
        digits = "".join(c for c in part if c.isdigit())
        release.append(int(digits) if digits else 0)
    return tuple(release) >= FIRST_KNOWN_RELEASE


def _first_lines(path: Path) -> bytes | None:
    """At least the file's first :data:`CHECKED_LINES` lines, or all of it; ``None``
    if they are longer than :data:`_MOST` bytes."""
    chunks: list[bytes] = []
    lines = read = 0
    with path.open("rb") as handle:
        while lines < CHECKED_LINES:
            block = handle.read(_BLOCK)
            if not block:
                break
            chunks.append(block)
            read += len(block)
            lines += block.count(b"\n")
            if read >= _MOST and lines < CHECKED_LINES:
                return None
    return b"".join(chunks)


def plain_header(path: Path) -> tuple[str, ...] | None:
    """The header's names if the file is plain (see the module docstring), else ``None``."""
    try:
        text = _first_lines(path)
    except OSError:
        return None
    if not text or text.startswith((codecs.BOM_UTF8, b"\n")):
        return None
    data = np.frombuffer(text, dtype=np.uint8)
    ends = np.flatnonzero(data == ord("\n"))
    if ends.size >= CHECKED_LINES:  # the lines checked, each with its \n
        text, ends = text[: ends[CHECKED_LINES - 1] + 1], ends[:CHECKED_LINES]
        data = data[: len(text)]
    elif ends.size == 0 or ends[-1] != data.size - 1:  # the last line, without a \n
        ends = np.append(ends, data.size)
    if any(mark in text for mark in _NOT_PLAIN) or np.diff(ends, prepend=-1).max() > _LONGEST:
        return None
    try:
        text.decode("utf-8")
    except UnicodeDecodeError:
        return None
    commas = np.flatnonzero(data == ord(","))
    per_line = np.diff(np.searchsorted(commas, ends), prepend=0)  # commas before each end
    if per_line[0] < 1 or np.any(per_line != per_line[0]):
        return None
    names = tuple(text[: ends[0]].decode("utf-8").split(","))
    if any(_NAME.fullmatch(name) is None for name in names):
        return None
    if len({name.casefold() for name in names}) != len(names):
        return None
    return names

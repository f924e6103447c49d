"""Read provincial panel files: CSV, Excel, Parquet, long or wide.

:func:`read_panel` reads the tables academics actually have: National Bureau
of Statistics (NBS) exports in GBK with title lines above the table and
footnotes below, yearbook tables with provinces down and years across
(``地区,2017年,2016年,...``), English datasets with years down and provinces
across, and tidy long files. It finds the header row and the layout by itself,
normalises province names to GB/T 2260 codes, validates the result with
:func:`massincidents.validate` and returns a DataFrame indexed by
(``province``, ``year``).

Every failure is a :class:`~massincidents.errors.DataError` (a
``ValueError``) naming the file, and the row and column when there is one --
including a file that does not exist, an unsupported extension, an undecodable
file and a missing Excel sheet. Errors from pandas, openpyxl and xlrd are
wrapped (``raise DataError(...) from err``). Nothing is written to disk.

The package is read in the order the data flows: :mod:`~massincidents.io.reader`
(:func:`read_panel` itself), :mod:`~massincidents.io.files` (opening files and
reading their cells), :mod:`~massincidents.io.encoding` (decoding CSV bytes),
:mod:`~massincidents.io.table` (header row, title lines, footnotes),
:mod:`~massincidents.io.keys` (finding the province and year columns),
:mod:`~massincidents.io.layout` (long, wide and transposed tables to long form),
:mod:`~massincidents.io.footnotes` (footnote marks that the notes define)
and :mod:`~massincidents.io.output` (dropping rows outside the panel, building
the result). Cells are parsed with :mod:`massincidents.core.cells`, as in the
validator.
"""

from __future__ import annotations

# Also importable from here (massincidents.io.AUTO_ENCODINGS), though not in __all__.
from massincidents.io.encoding import AUTO_ENCODINGS as AUTO_ENCODINGS
from massincidents.io.files import SUPPORTED_EXTENSIONS
from massincidents.io.reader import LAYOUTS, read_panel

__all__ = ["LAYOUTS", "SUPPORTED_EXTENSIONS", "read_panel"]

"""Validation of provincial panels.

:func:`validate` looks at a province-year table once and reports *every*
problem it finds in a single :class:`~massincidents.errors.DataError`, each with
the file, the row (the file's line number when known) and the column, so that a
user can fix a file in one go. Problems that do not make the data unusable
(gaps in years, provinces missing from some years, rows for Hong Kong, Macao or
Taiwan) are issued as one warning each, with counts.

The modules: :mod:`~massincidents.validate.validator` (:func:`validate`
itself), :mod:`~massincidents.validate.checks` (the hard checks, also run by
:func:`massincidents.read_panel`), :mod:`~massincidents.validate.soft` (the
warnings) and :mod:`~massincidents.validate.messages` (how values are written
in messages). Numbers, years and missing cells are parsed with
:mod:`massincidents.core.cells`, shared with :mod:`massincidents.io`, so that a
reader and the validator agree on what a number, a year and a missing cell are.
"""

from __future__ import annotations

from massincidents.validate.validator import validate

__all__ = ["validate"]

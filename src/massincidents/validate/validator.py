"""validate: check a province-year panel given as a DataFrame.

Brings the keys from the index into columns, takes file line numbers from
``df.attrs["source_rows"]`` when :func:`massincidents.read_panel` left them,
and runs :func:`massincidents.validate.checks.check_frame`.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence

import pandas as pd

from massincidents.errors import DataError, Problem
from massincidents.validate.checks import check_frame

__all__ = ["validate"]


def _as_columns(df: pd.DataFrame, province: str, year: str, source: str | None) -> pd.DataFrame:
    """Bring ``province`` and ``year`` from the index into columns if needed."""
    names = [n for n in df.index.names if n is not None]
    frame = df
    if province in names or year in names:
        overlap = [n for n in names if n in df.columns]
        if overlap:
            raise DataError(
                [Problem(f"{overlap[0]!r} is both an index level and a column", file=source)]
            )
        frame = df.reset_index(level=[n for n in names if n in (province, year)])
    missing = [n for n in (province, year) if n not in frame.columns]
    if missing:
        known = ", ".join(repr(c) for c in frame.columns)
        problems = [
            Problem(
                f"no {name!r} column or index level (the columns are {known}); "
                f"pass {'province' if name == province else 'year'}=... to name it",
                file=source,
            )
            for name in missing
        ]
        raise DataError(problems)
    return frame


def _source_rows(df: pd.DataFrame) -> list[int | None] | None:
    """Row numbers from ``df.attrs["source_rows"]`` when they match the frame.

    ``read_panel`` stores a dict from (province, year) to file line; a list
    aligned with the rows is accepted too. Anything that does not match the
    current rows (for example after filtering) is ignored.
    """
    stored = df.attrs.get("source_rows")
    if isinstance(stored, Mapping):
        labels: list[Hashable] = list(df.index)
        if labels and all(label in stored for label in labels):
            return [stored[label] for label in labels]
        return None
    if isinstance(stored, list | tuple) and len(stored) == len(df):
        return list(stored)
    return None


def validate(
    df: pd.DataFrame,
    *,
    counts: Sequence[str] | None = None,
    year_range: tuple[int, int] = (1949, 2100),
    source: str | None = None,
    province: str = "province",
    year: str = "year",
    text: Sequence[str] | None = None,
    level: str = "province",
    unit: str | None = None,
) -> pd.DataFrame:
    """Check a province-year (or prefecture-, county-year) panel and report every problem at once.

    Hard problems, each reported with file, row and column:

    - duplicate (province, year) keys (after normalising province names, so
      ``北京`` and ``北京市`` in the same year are duplicates);
    - unknown provinces (with the closest known spellings), national-total
      rows, missing provinces;
    - missing years, non-integer years (``2017.5``, ``"2017-06"``) and years
      outside ``year_range``;
    - cells that are not numbers in numeric columns, whatever their share.
      A number is ASCII digits with an optional sign, decimal point,
      exponent and comma thousands separators (full-width digits are
      narrowed); superscript, circled and other Unicode digits, spaces or
      underscores between digits, decimal commas, units in the cell
      (``"1.5亿元"``, ``"12%"``), ``inf``, complex numbers, durations and
      booleans are not numbers, in a CSV and a DataFrame alike. A column is
      numeric when its dtype is, when any cell looks meant as a number
      (``"1.234,5"``, ``"28014.94¹"``), or when it holds numbers and its
      other cells are placeholders such as ``"n.r."`` or ``"x"``, at any
      share. A column without numbers is text and left alone, and so is one
      whose identifiers and dates (``"Le945062828"``), or whose words of more
      than five kinds (names, notes), outnumber its numbers;
    - negative or fractional values in the columns named in ``counts``, and
      count columns that do not exist;
    - a value column that is entirely missing.

    Soft problems, issued as one warning each with counts:
    :class:`~massincidents.errors.DataQualityWarning` for gaps in the years of
    a province and for years that lack provinces present in other years;
    :class:`~massincidents.errors.OutsideMainlandWarning` for rows for Hong
    Kong, Macao or Taiwan.

    Parameters
    ----------
    df
        The panel, with ``province`` and ``year`` either as index levels (as
        returned by :func:`massincidents.read_panel`) or as columns. Provinces
        may be codes or any spelling :func:`massincidents.province_code`
        accepts.
    counts
        Names of count columns (incidents, strikes), which must hold whole
        numbers >= 0. Nothing is treated as a count unless named here.
    year_range
        Inclusive range of plausible years.
    source
        File name to print in messages; defaults to ``df.attrs["source"]``.
    province, year
        Names of the key columns or index levels.
    text
        Columns to leave alone as text whatever they hold (codes, size bands
        such as ``">10000"``); names that are not columns are problems.
    level
        ``"province"`` (default), ``"prefecture"`` or ``"county"``. Below the
        province the key is a unit: a GB/T 2260 code, or a Chinese, pinyin or
        English name resolved by :func:`massincidents.division_code` within the
        row's year and, when the table has a ``province`` column, its
        province. Unknown (with the closest spellings), ambiguous (with the
        candidates), missing units, units outside the row's province, codes
        not in force in the row's year (2010-2019) and duplicate unit-years
        are problems, each with its row and column.
    unit
        Name of the unit column or index level (default: named like ``level``).

    Returns
    -------
    pandas.DataFrame
        ``df`` itself, unchanged, when there are no hard problems.

    Raises
    ------
    DataError
        Listing every hard problem. Rows are file line numbers when
        ``df.attrs["source_rows"]`` (set by ``read_panel``) matches the rows,
        otherwise 0-based positions in ``df``.

    Examples
    --------
    >>> import pandas as pd
    >>> import massincidents as mi
    >>> df = pd.DataFrame({"province": ["北京", "Beijing", "Gotham"],
    ...                    "year": [2017, 2017, 2017], "strikes": [3, 2.5, "n/a"]})
    >>> try:
    ...     mi.validate(df, counts=["strikes"])
    ... except mi.DataError as err:
    ...     print(err)
    3 problems found in the input data:
      - row 1, column 'province': duplicate province-year ('Beijing' = 110000 (Beijing), 2017); the same key is at row 0
      - row 1, column 'strikes': fractional count 2.5; counts must be whole numbers >= 0
      - row 2, column 'province': unknown province 'Gotham'.

    A prefecture-year table keyed by names, with a province column to tell
    apart names shared by several provinces:

    >>> pref = pd.DataFrame({"province": ["Liaoning", "Liaoning", "Jilin"],
    ...                      "prefecture": ["朝阳", "Chaoyang", "吉林市"],
    ...                      "year": [2015, 2016, 2015], "strikes": [1, 0, 2]})
    >>> mi.validate(pref, level="prefecture", counts=["strikes"]) is pref
    True
    >>> try:
    ...     mi.validate(pref.drop(columns="province").assign(prefecture=["Suzhou", "Bijie", "Hami"]),
    ...                 level="prefecture")
    ... except mi.DataError as err:
    ...     print(err)
    1 problem found in the input data:
      - row 0, column 'prefecture': ambiguous prefecture 'Suzhou': 320500 苏州市 (320000); 341300 宿州市 (340000); add a province column
    """  # noqa: E501
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"validate expects a pandas DataFrame, got {type(df).__name__}")
    if source is None and isinstance(df.attrs.get("source"), str):
        source = df.attrs["source"]
    if level not in ("province", "prefecture", "county"):
        raise DataError(f"level must be 'province', 'prefecture' or 'county', got {level!r}")
    rows = _source_rows(df)
    unit_column = None
    if level == "province":
        frame = _as_columns(df, province, year, source)
    else:
        unit_column = unit or level
        frame = _as_columns(df, unit_column, year, source)
        if province in frame.index.names:
            frame = frame.reset_index(level=province)
    checked = check_frame(
        frame,
        province=province,
        year=year,
        rows=rows,
        counts=counts,
        year_range=year_range,
        source=source,
        text=text,
        level=level,
        unit=unit_column,
    )
    if checked.problems:
        raise DataError(checked.problems)
    for message, category in checked.soft:
        warnings.warn(message, category, stacklevel=2)
    return df

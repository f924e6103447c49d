"""Exceptions and warnings raised by massincidents.

Every problem with a user's data is reported as a :class:`DataError` that lists
*all* problems found (file, row, column, message), never just the first one, and
never as a bare ``KeyError`` from pandas.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found in an input table.

    Parameters
    ----------
    message
        What is wrong, in plain words.
    file
        The file the table was read from (``None`` for an in-memory table).
    row
        The 1-based line number in the file (for a CSV, counting the header as
        line 1), or the 0-based position in a DataFrame when there is no file.
    column
        The column concerned, if any.

    Examples
    --------
    >>> from massincidents.errors import Problem
    >>> print(Problem("negative count -3", file="strikes.csv", row=4, column="strikes"))
    strikes.csv, row 4, column 'strikes': negative count -3
    """

    message: str
    file: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class DataError(ValueError):
    """Input data that cannot be used as given.

    ``problems`` holds every :class:`Problem` found in one pass, so a user can
    fix a file once rather than once per error. A :class:`ValueError`.

    Parameters
    ----------
    problems
        The problems found, or a single message.
    max_shown
        Problems listed in the message; the rest are counted (all stay in
        ``problems``).

    Examples
    --------
    >>> import massincidents as mi
    >>> from massincidents.errors import Problem
    >>> err = mi.DataError([Problem("negative count -3", file="strikes.csv", row=4,
    ...                             column="strikes"),
    ...                     Problem("unknown province 'Gotham'", row=7, column="province")])
    >>> print(err)
    2 problems found in the input data:
      - strikes.csv, row 4, column 'strikes': negative count -3
      - row 7, column 'province': unknown province 'Gotham'
    >>> len(err.problems), isinstance(err, ValueError)
    (2, True)
    """

    def __init__(self, problems: list[Problem] | str, *, max_shown: int = 50) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        self.problems: list[Problem] = list(problems)
        lines = [str(p) for p in self.problems[:max_shown]]
        more = len(self.problems) - max_shown
        if more > 0:
            lines.append(f"... and {more} more problem(s)")
        noun = "problem" if len(self.problems) == 1 else "problems"
        header = f"{len(self.problems)} {noun} found in the input data:"
        super().__init__("\n".join([header, *("  - " + line for line in lines)]))


class UnknownProvinceError(ValueError):
    """A province name or code that is not in the registry.

    The message names the closest known spellings. A :class:`ValueError`.

    Parameters
    ----------
    name
        The name or code as given (kept as ``.name``).
    suggestions
        The closest known spellings (kept as ``.suggestions``).

    Examples
    --------
    >>> import massincidents as mi
    >>> try:
    ...     mi.province_code("Guangdon")
    ... except mi.UnknownProvinceError as err:
    ...     print(err)
    Unknown province 'Guangdon'. Did you mean: Guangdong, Guangxi, Shandong?
    """

    def __init__(self, name: object, suggestions: list[str]) -> None:
        self.name = name
        self.suggestions = suggestions
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"Unknown province {name!r}.{hint}")


class DataQualityWarning(UserWarning):
    """A soft problem in input data: gaps in years, provinces missing from a year.

    Issued by :func:`massincidents.validate` and :func:`massincidents.read_panel`,
    once per kind of problem, with counts; the data are still returned.

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd, massincidents as mi
    >>> df = pd.DataFrame({"province": ["北京", "北京", "北京", "天津", "天津"],
    ...                    "year": [2015, 2016, 2018, 2015, 2016], "gdp": [1.0, 2, 3, 4, 5]})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = mi.validate(df)
    >>> for w in caught:
    ...     print(w.category.__name__, "|", str(w.message).split(": ", 1)[1])
    DataQualityWarning | 110000 (Beijing): 2017
    DataQualityWarning | 2018: 120000 (Tianjin)
    >>> print(caught[0].message)  # doctest: +ELLIPSIS
    1 province(s) have gaps in their years (1 missing province-year(s)): ...
    """


class OutsideMainlandWarning(UserWarning):
    """Rows for Hong Kong, Macao or Taiwan, which are outside the mainland panel.

    :func:`massincidents.read_panel` removes such rows and says so with this
    warning (with the count and the rows).

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd, massincidents as mi
    >>> df = pd.DataFrame({"province": ["北京", "香港", "天津"], "year": 2017,
    ...                    "gdp": [1.0, 2.0, 3.0]})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     panel = mi.read_panel(df)
    >>> caught[0].category.__name__, len(panel)
    ('OutsideMainlandWarning', 2)
    >>> print(str(caught[0].message).split(": ", 1)[1])
    removed 1 row(s) for Hong Kong, Macao or Taiwan, outside the mainland panel: 香港 (row 1)
    """

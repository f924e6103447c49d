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
    fix a file once rather than once per error.
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

    The message names the closest known spellings.
    """

    def __init__(self, name: object, suggestions: list[str]) -> None:
        self.name = name
        self.suggestions = suggestions
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"Unknown province {name!r}.{hint}")


class DataQualityWarning(UserWarning):
    """A soft problem in input data: gaps in years, provinces missing from a year."""


class OutsideMainlandWarning(UserWarning):
    """Rows for Hong Kong, Macao or Taiwan, which are outside the mainland panel."""

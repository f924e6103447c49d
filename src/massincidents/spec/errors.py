"""The error raised for a bad analysis specification."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SpecProblem:
    """One problem in a specification.

    Attributes
    ----------
    message
        What is wrong, in words.
    source
        The YAML file (as given), ``"<text>"`` or ``"<dict>"``.
    line, column
        1-based position in the YAML text, ``None`` when unknown (a dict).
    path
        Dotted location in the document, e.g. ``"multiverse.families"``.

    Examples
    --------
    >>> print(SpecProblem("unknown key 'famlies'", "spec.yaml", 12, 5, "multiverse.famlies"))
    spec.yaml, line 12, column 5: unknown key 'famlies'
    >>> print(SpecProblem("missing key 'data'", "<dict>", path="data"))
    <dict>, at data: missing key 'data'
    """

    message: str
    source: str = "<spec>"
    line: int | None = None
    column: int | None = None
    path: str = ""

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f", line {self.line}"
            if self.column is not None:
                where += f", column {self.column}"
        elif self.path:
            where += f", at {self.path}"
        return f"{where}: {self.message}"


class SpecError(ValueError):
    """A specification that cannot be run, listing every problem found.

    A ``ValueError``. ``problems`` holds the :class:`SpecProblem` objects; the
    message has one line per problem, each naming the file, line and column.

    Parameters
    ----------
    problems
        The problems found (a single message is also accepted).

    Examples
    --------
    >>> err = SpecError([SpecProblem("unknown key 'famlies'", "spec.yaml", 12, 5)])
    >>> print(err)
    spec.yaml, line 12, column 5: unknown key 'famlies'
    >>> isinstance(err, ValueError)
    True
    """

    def __init__(self, problems: Sequence[SpecProblem] | str) -> None:
        if isinstance(problems, str):
            problems = [SpecProblem(problems)]
        self.problems: list[SpecProblem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class NothingEstimatedError(ValueError):
    """No model of a specification could be estimated; nothing was written.

    A ``ValueError``. ``failures`` holds ``(model, reason)`` pairs, one per
    model tried; the message lists them one per line.

    Parameters
    ----------
    failures
        ``(model, reason)`` for every model of the run.

    Examples
    --------
    >>> err = NothingEstimatedError([("All causes", "DataError: no row is left")])
    >>> print(err)
    no model could be estimated, so nothing was written:
      - All causes: DataError: no row is left
    """

    def __init__(self, failures: Sequence[tuple[str, str]]) -> None:
        self.failures = list(failures)
        lines = [f"  - {model}: {' '.join(reason.split())}" for model, reason in self.failures]
        super().__init__(
            "\n".join(["no model could be estimated, so nothing was written:", *lines])
        )


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or an empty string.

    Examples
    --------
    >>> did_you_mean("famlies", ["families", "windows"])
    " (did you mean 'families'?)"
    >>> did_you_mean("zzz", ["families"])
    ''
    """
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""

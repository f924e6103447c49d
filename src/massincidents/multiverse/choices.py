r"""The choices of a multiverse analysis and the specifications they span.

A *specification* fixes every analytic choice: one indicator column for each
cause or measure, the model family, the fixed effects, the exposure and the
sample window. :class:`Choices` lists the reasonable alternatives of each
choice; :func:`enumerate_specifications` crosses them, so with :math:`a_c`
alternatives for cause :math:`c`, :math:`F` families, :math:`E` fixed-effect
structures, :math:`X` exposures and :math:`W` windows there are

.. math::

    S = \Big(\prod_c a_c\Big)\, F\, E\, X\, W

specifications (Simonsohn, Simmons and Nelson 2020).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from massincidents.registry import get_model, models

#: The registry's family of models a multiverse may cross (:mod:`massincidents.registry`).
MODEL_FAMILY = "count"
ROLES: tuple[str, ...] = ("unit", "time")
KEYS: tuple[str, ...] = (
    "indicators",
    "families",
    "fixed_effects",
    "exposure",
    "windows",
    "standardize",
)

Window = tuple[Any, Any]
T = TypeVar("T")


class ChoicesError(ValueError):
    """Choices of a multiverse analysis that cannot be used as given (every problem listed).

    Parameters
    ----------
    problems
        Every problem found, in plain words; kept in ``.problems``.

    Examples
    --------
    >>> err = ChoicesError(["families is empty: give at least one alternative"])
    >>> err.problems
    ['families is empty: give at least one alternative']
    >>> isinstance(err, ValueError)
    True
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        noun = "problem" if len(problems) == 1 else "problems"
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} {noun} in the multiverse choices:\n{lines}")


def _as_list(value: object, what: str, problems: list[str]) -> list[Any] | None:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        problems.append(f"{what} must be a list, got {type(value).__name__} {value!r}")
        return None
    if len(value) == 0:
        problems.append(f"{what} is empty: give at least one alternative")
        return None
    return list(value)


def _duplicates(values: Sequence[T]) -> list[T]:
    seen: list[T] = []
    dups: list[T] = []
    for v in values:
        if v in seen and v not in dups:
            dups.append(v)
        seen.append(v)
    return dups


def _check_indicators(
    value: object, problems: list[str]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        pairs = list(value)
        if not all(
            isinstance(p, Sequence) and not isinstance(p, str | bytes) and len(p) == 2
            for p in pairs
        ):
            problems.append("indicators must map each cause or measure to a list of columns")
            return ()
    else:
        problems.append(
            "indicators must map each cause or measure to a list of columns, "
            f"got {type(value).__name__}"
        )
        return ()
    if not pairs:
        problems.append("indicators is empty: name at least one cause or measure")
        return ()
    out: list[tuple[str, tuple[str, ...]]] = []
    owner: dict[str, str] = {}
    for name, columns in pairs:
        if not isinstance(name, str) or not name.strip():
            problems.append(f"a cause or measure name must be a non-empty string, got {name!r}")
            continue
        items = _as_list(columns, f"indicators[{name!r}]", problems)
        if items is None:
            continue
        bad = [c for c in items if not isinstance(c, str) or not c]
        if bad:
            problems.append(f"indicators[{name!r}] must list column names, got {bad!r}")
            continue
        dups = _duplicates(items)
        if dups:
            problems.append(f"indicators[{name!r}] lists {dups!r} more than once")
        for column in dict.fromkeys(items):
            if column in owner and owner[column] != name:
                problems.append(
                    f"column {column!r} is an indicator of both {owner[column]!r} and {name!r}; "
                    "a column can measure one cause or measure only"
                )
            owner[column] = name
        out.append((name, tuple(dict.fromkeys(items))))
    dups = _duplicates([name for name, _ in out])
    if dups:
        problems.append(f"indicators names {dups!r} more than once")
    return tuple(out)


def _check_families(value: object, problems: list[str]) -> tuple[str, ...]:
    items = _as_list(value, "families", problems)
    if items is None:
        return ()
    known = models(MODEL_FAMILY)
    unknown = [f for f in items if f not in known]
    if unknown:
        problems.append(f"unknown model family {unknown!r}; choose from {list(known)}")
    dups = _duplicates(items)
    if dups:
        problems.append(f"families lists {dups!r} more than once")
    return tuple(dict.fromkeys(f for f in items if f in known))


def _check_fixed_effects(value: object, problems: list[str]) -> tuple[tuple[str, ...], ...]:
    items = _as_list(value, "fixed_effects", problems)
    if items is None:
        return ()
    out: list[tuple[str, ...]] = []
    for item in items:
        if item is None:
            item = ()
        if isinstance(item, str | bytes) or not isinstance(item, Sequence):
            problems.append(
                f"each fixed-effect structure is a list of roles such as ['unit', 'time'] "
                f"(or [] for none), got {item!r}"
            )
            continue
        unknown = [r for r in item if r not in ROLES]
        if unknown:
            problems.append(f"unknown fixed-effect role {unknown!r}; choose from {list(ROLES)}")
            continue
        if _duplicates(list(item)):
            problems.append(f"fixed-effect structure {list(item)!r} repeats a role")
            continue
        out.append(tuple(r for r in ROLES if r in item))
    dups = _duplicates(out)
    if dups:
        problems.append(f"fixed_effects lists {[list(d) for d in dups]!r} more than once")
    return tuple(dict.fromkeys(out))


def _check_exposure(value: object, problems: list[str]) -> tuple[str | None, ...]:
    items = _as_list(value, "exposure", problems)
    if items is None:
        return ()
    bad = [e for e in items if e is not None and (not isinstance(e, str) or not e)]
    if bad:
        problems.append(f"exposure lists column names or None (no exposure), got {bad!r}")
    dups = _duplicates(items)
    if dups:
        problems.append(f"exposure lists {dups!r} more than once")
    return tuple(dict.fromkeys(e for e in items if e not in bad))


def _check_windows(value: object, problems: list[str]) -> tuple[Window | None, ...]:
    items = _as_list(value, "windows", problems)
    if items is None:
        return ()
    out: list[Window | None] = []
    for item in items:
        if item is None:
            out.append(None)
            continue
        if isinstance(item, str | bytes) or not isinstance(item, Sequence) or len(item) != 2:
            problems.append(
                f"each window is [start, end] (inclusive; None for open) or None, got {item!r}"
            )
            continue
        start, end = item
        if start is None and end is None:
            out.append(None)
            continue
        if start is not None and end is not None:
            try:
                if start > end:
                    problems.append(f"window {list(item)!r} starts after it ends")
                    continue
            except TypeError:
                problems.append(f"window {list(item)!r}: start and end cannot be compared")
                continue
        out.append((start, end))
    dups = _duplicates(out)
    if dups:
        problems.append(f"windows lists {dups!r} more than once")
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class Choices:
    """The alternatives of each analytic choice of a multiverse analysis.

    Lists may be given as any sequence; they are stored as tuples, and the
    whole object is checked on construction: every problem is reported at
    once in a :class:`ChoicesError` (a ``ValueError``).

    Parameters
    ----------
    indicators
        Each cause or measure (e.g. ``"inequality"``, ``"rule_of_law"``) mapped
        to the columns that could measure it; each specification uses one of
        them, and every cause enters the same regression. A column may measure
        one cause only.
    families
        Model families: the registry's count models
        (:func:`massincidents.registry.models`), ``"poisson"``
        (:func:`massincidents.poisson`, PPML) and ``"negbin"``
        (:func:`massincidents.negbin`, NB2) unless more are registered.
    fixed_effects
        Fixed-effect structures, each a list of the roles ``"unit"`` and
        ``"time"``; ``[]`` (or ``None``) fits no fixed effects (a pooled model
        with an intercept).
    exposure
        Exposure columns (their log is the offset), ``None`` for none.
    windows
        Sample windows on the time column, each ``[start, end]`` (inclusive;
        either end ``None`` for open) or ``None`` for all rows.
    standardize
        Not a choice that varies but how every estimate is expressed: per
        standard deviation of its indicator in the specification's window
        (see :func:`~massincidents.multiverse.fit_specification`), so that
        alternative indicators of a cause compare by size.

    Examples
    --------
    >>> c = Choices({"social": ["x1", "x3"]}, families=["poisson", "negbin"])
    >>> c.n_specifications, c.terms
    (4, ('social',))
    >>> Choices({"social": ["x1"]}, families=["ols"])
    Traceback (most recent call last):
    ...
    massincidents.multiverse.choices.ChoicesError: 1 problem in the multiverse choices:
      - unknown model family ['ols']; choose from ['poisson', 'negbin']
    """

    indicators: Mapping[str, Sequence[str]] | tuple[tuple[str, tuple[str, ...]], ...]
    families: Sequence[str] = ("poisson",)
    fixed_effects: Sequence[Sequence[str]] = (("unit", "time"),)
    exposure: Sequence[str | None] = (None,)
    windows: Sequence[Sequence[Any] | None] = field(default=(None,))
    standardize: bool = False

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not isinstance(self.standardize, bool):
            problems.append(f"standardize must be true or false, got {self.standardize!r}")
        values = {
            "indicators": _check_indicators(self.indicators, problems),
            "families": _check_families(self.families, problems),
            "fixed_effects": _check_fixed_effects(self.fixed_effects, problems),
            "exposure": _check_exposure(self.exposure, problems),
            "windows": _check_windows(self.windows, problems),
        }
        if any(e is not None for e in values["exposure"]):
            problems += [
                f"model family {f!r} takes no exposure; drop it or use exposure: [null]"
                for f in values["families"]
                if not get_model(str(f)).exposure
            ]
        if problems:
            raise ChoicesError(problems)
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Choices:
        """Choices from the ``multiverse:`` section of an analysis specification.

        Parameters
        ----------
        d
            Keys ``indicators`` (required), ``families``, ``fixed_effects``,
            ``exposure``, ``windows``, ``standardize`` (optional; defaults as
            the class).
            Unknown keys are an error, so that a misspelt key is not ignored.

        Returns
        -------
        Choices

        Examples
        --------
        >>> c = Choices.from_dict({"indicators": {"legal": ["x2"]},
        ...                        "fixed_effects": [["unit", "time"], ["unit"]],
        ...                        "windows": [None, [2000, 2009]]})
        >>> c.fixed_effects, c.windows
        ((('unit', 'time'), ('unit',)), (None, (2000, 2009)))
        """
        if not isinstance(d, Mapping):
            raise ChoicesError(
                [f"the multiverse section must be a mapping, got {type(d).__name__}"]
            )
        problems = [
            f"unknown key {k!r} in the multiverse section; the keys are {list(KEYS)}"
            for k in d
            if k not in KEYS
        ]
        if "indicators" not in d:
            problems.append("the multiverse section needs 'indicators'")
        if problems:
            raise ChoicesError(problems)
        return cls(**{k: d[k] for k in KEYS if k in d})

    # The fields accept any sequences; __post_init__ stores them as tuples. These
    # views give the stored forms their exact types.
    @property
    def indicator_pairs(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """``((cause, (column, ...)), ...)`` in the order given."""
        return cast("tuple[tuple[str, tuple[str, ...]], ...]", self.indicators)

    @property
    def axes(
        self,
    ) -> tuple[
        tuple[str, ...],
        tuple[tuple[str, ...], ...],
        tuple[str | None, ...],
        tuple[Window | None, ...],
    ]:
        """The families, fixed-effect structures, exposures and windows, as stored."""
        return cast(
            "tuple[tuple[str, ...], tuple[tuple[str, ...], ...], tuple[str | None, ...], "
            "tuple[Window | None, ...]]",
            (self.families, self.fixed_effects, self.exposure, self.windows),
        )

    @property
    def terms(self) -> tuple[str, ...]:
        """The causes and measures, in the order given."""
        return tuple(name for name, _ in self.indicator_pairs)

    def alternatives(self, term: str) -> tuple[str, ...]:
        """The indicator columns of one cause or measure."""
        for name, columns in self.indicator_pairs:
            if name == term:
                return columns
        raise KeyError(f"{term!r} is not a cause or measure of these choices: {list(self.terms)}")

    @property
    def columns(self) -> tuple[str, ...]:
        """Every data column the choices name (indicators and exposures)."""
        names = [c for _, cols in self.indicator_pairs for c in cols]
        names += [e for e in self.exposure if e is not None]
        return tuple(dict.fromkeys(names))

    @property
    def n_specifications(self) -> int:
        """How many specifications the choices span."""
        n = len(self.families) * len(self.fixed_effects) * len(self.exposure) * len(self.windows)
        for _, columns in self.indicator_pairs:
            n *= len(columns)
        return n


@dataclass(frozen=True)
class Specification:
    """One combination of choices: a model that the multiverse fits.

    Attributes
    ----------
    number
        Position in :func:`enumerate_specifications` (0-based); results are
        sorted by it.
    indicators
        ``(cause, column)`` pairs: the indicator used for each cause or measure.
    family
        ``"poisson"`` or ``"negbin"``.
    fixed_effects
        Roles absorbed (``("unit", "time")``, ``("unit",)``, ``()``).
    exposure
        Exposure column, or ``None``.
    window
        ``(start, end)`` on the time column (inclusive; ``None`` ends open), or
        ``None`` for all rows.

    Examples
    --------
    >>> s = enumerate_specifications(Choices({"social": ["x1"]}, fixed_effects=[["unit"]]))[0]
    >>> s.family, s.fe_label, s.window_label, s.id
    ('poisson', 'unit', 'all', '06a8288fbb')
    """

    number: int
    indicators: tuple[tuple[str, str], ...]
    family: str
    fixed_effects: tuple[str, ...]
    exposure: str | None
    window: Window | None

    @property
    def id(self) -> str:
        """A stable identifier: a hash of the choices (not of the position).

        The same specification has the same id in every run, on every
        machine, whatever other alternatives the multiverse holds.
        """
        content = {
            "indicators": [list(p) for p in self.indicators],
            "family": self.family,
            "fixed_effects": list(self.fixed_effects),
            "exposure": self.exposure,
            "window": None if self.window is None else [str(v) for v in self.window],
        }
        text = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]

    def indicator(self, term: str) -> str:
        """The column used for one cause or measure."""
        return dict(self.indicators)[term]

    def formula(self, outcome: str, unit: str, time: str) -> str:
        """The model formula, built from column names only.

        Examples
        --------
        >>> s = enumerate_specifications(Choices({"social": ["x1"], "legal": ["x2"]}))[0]
        >>> s.formula("y", "province", "year")
        'y ~ x1 + x2 | province + year'
        """
        roles = {"unit": unit, "time": time}
        rhs = " + ".join(column for _, column in self.indicators)
        if not self.fixed_effects:
            return f"{outcome} ~ {rhs}"
        return f"{outcome} ~ {rhs} | {' + '.join(roles[r] for r in self.fixed_effects)}"

    @property
    def fe_label(self) -> str:
        """``"unit+time"``, ``"unit"``, ``"none"``."""
        return "+".join(self.fixed_effects) if self.fixed_effects else "none"

    @property
    def exposure_label(self) -> str:
        """The exposure column, or ``"none"``."""
        return self.exposure if self.exposure is not None else "none"

    @property
    def window_label(self) -> str:
        """``"2000-2009"``, ``"2005-"``, ``"-2009"`` or ``"all"``."""
        if self.window is None:
            return "all"
        start, end = self.window
        return f"{'' if start is None else start}-{'' if end is None else end}"


def enumerate_specifications(choices: Choices) -> list[Specification]:
    """Every combination of the choices, in a fixed order.

    The order is that of :func:`itertools.product` over the indicators of
    each cause (causes in the order given), then families, fixed-effect
    structures, exposures and windows, the last varying fastest; each list
    keeps the order given.

    Parameters
    ----------
    choices
        The alternatives.

    Returns
    -------
    list of Specification
        ``choices.n_specifications`` of them, numbered from 0.

    Examples
    --------
    >>> c = Choices({"social": ["x1", "x3"]}, families=["poisson", "negbin"])
    >>> [(s.number, s.indicator("social"), s.family) for s in enumerate_specifications(c)]
    [(0, 'x1', 'poisson'), (1, 'x1', 'negbin'), (2, 'x3', 'poisson'), (3, 'x3', 'negbin')]
    """
    if not isinstance(choices, Choices):
        raise TypeError(f"choices must be a Choices, got {type(choices).__name__}")
    names = choices.terms
    indicator_combinations = itertools.product(*(choices.alternatives(n) for n in names))
    families, fixed_effects, exposures, windows = choices.axes
    combos = itertools.product(indicator_combinations, families, fixed_effects, exposures, windows)
    specs = []
    for number, (columns, family, fe, exposure, window) in enumerate(combos):
        specs.append(
            Specification(
                number=number,
                indicators=tuple(zip(names, columns, strict=True)),
                family=family,
                fixed_effects=fe,
                exposure=exposure,
                window=window,
            )
        )
    return specs

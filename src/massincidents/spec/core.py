"""The analysis specification: load, check and normalise it.

A specification is a YAML document (see :data:`massincidents.spec.schema.SCHEMA`
and the book's chapter on rerunning) naming the unit and time columns, the
outcome and its exposure, the columns that stand for each of the thesis's four
groups of causes and six measures, derived columns from a closed vocabulary of
transforms, the model families, fixed effects and variance, the bootstrap and
an optional staggered-adoption design. :func:`load_spec` reads one from a
file, a YAML string or a dict; every problem is collected and raised together
as a :class:`~massincidents.spec.errors.SpecError` naming the line and column.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from massincidents.registry import get_model, vcov_kind
from massincidents.spec._yaml import MAX_DEPTH, LoadProblem, Located, load_located
from massincidents.spec.errors import SpecError, SpecProblem, did_you_mean
from massincidents.spec.schema import (
    CAUSES,
    COLUMN_PATTERN,
    MEASURES,
    RESERVED,
    _dotted,
    families,
    schema_problems,
)

if TYPE_CHECKING:  # pragma: no cover
    from massincidents.inference.vcov import VcovChoice

_COLUMN = re.compile(COLUMN_PATTERN)

#: File name of the default specification inside the package.
DEFAULT_SPEC_FILE = "default.yaml"

#: Largest specification file read (the book's is 5 kB).
MAX_SPEC_BYTES = 1_000_000

#: Most specifications a multiverse may have (the book's has 144).
MAX_MULTIVERSE = 100_000


@dataclass(frozen=True)
class Specification:
    """One model specification: a name, its regressors and the families to fit.

    Attributes
    ----------
    name
        Display name, e.g. ``"(1) Social"``.
    terms
        Regressor columns, groups expanded, in order and without repeats.
    families
        Model families fitted for this specification.

    Examples
    --------
    >>> spec = default_spec()
    >>> second = spec.specifications[1]
    >>> second.name, second.terms[-3:], second.families
    ('(2) + system', ('gdp_growth_target', 'tenure_years', 'secretary_turnover'), ('poisson',))
    """

    name: str
    terms: tuple[str, ...]
    families: tuple[str, ...]


@dataclass(frozen=True)
class Spec:
    r"""A checked analysis specification.

    The count models it describes are, for unit :math:`i`, period :math:`t`,
    count :math:`y_{it}`, exposure :math:`N_{it}` and the regressors
    :math:`x_{it}` of one specification,

    .. math::

        \mathrm{E}[y_{it} \mid x_{it}] = N_{it}\,\exp(x_{it}'\beta + \alpha_i + \gamma_t),

    fitted by Poisson PML (``poisson``) or NB2 (``negbin``), with the fixed
    effects listed in ``fixed_effects``.

    Attributes
    ----------
    unit, time, level
        Unit and time columns; ``level`` is ``"province"`` (names normalised to
        GB/T codes by :func:`massincidents.read_panel`), ``"prefecture"`` or
        ``"county"`` (codes or names resolved by the division registry,
        ``read_panel(level=...)``) or ``"other"`` (unit labels kept as they are).
    count, exposure, window
        Outcome count column, exposure column (``None``: none) and inclusive
        ``(start, end)`` of the periods analysed (``None``: all).
    causes, measures
        Group name -> columns (possibly empty).
    missing_reasons
        Group name -> why it has no columns (as given).
    shifts
        Measure -> column -> shift of the counterfactual: a number of units,
        or ``{"within_sd": k}`` for :math:`k` within-unit standard deviations
        (net of the fixed effects, on the model's sample, rounded to two
        significant digits as in the book); default 1 unit.
    transforms
        New column -> (kind, arguments), applied in order.
    specifications
        The models to fit (:class:`Specification`).
    models
        Every family fitted.
    fixed_effects
        Fixed-effect columns.
    vcov
        The variance choice in the form the models take
        (``{"CRV1": "province"}``).
    level_ci
        Confidence level of intervals (the key ``level`` of the document).
    bootstrap
        ``{"reps", "seed", "weights"}`` or ``None``.
    timing
        ``{"cohort", "outcome", "control_group", "method"}`` or ``None``;
        an optional ``honest`` asks for
        :func:`massincidents.honest_did` on the event study:
        ``{"method": "relative_magnitudes", "mbar": [0.5, 1, 2]}`` or
        ``{"method": "smoothness", "m": [...]}``, with an optional ``target``
        (event time or ``"average"``) and ``window`` (first and last event time).
    mapping
        Old column name -> new name, applied when the data are read.
    multiverse
        The optional ``multiverse`` section as a plain dict (``None`` if absent).
    document
        The document as loaded (a plain dict).
    source
        Where it came from (a file name, ``"<text>"``, ``"<dict>"``).
    title
        Title of the report (``None``: a generic one).
    located
        Line and column of every key and value of the YAML text (``None`` for
        a dict), for messages.
    multiple_testing
        ``{"method", "reps", "seed", "weights"}`` or ``None``: adjusted
        p-values over every coefficient of every model of the run
        (``romano_wolf``: :func:`massincidents.romano_wolf`; ``holm``, ``bh``,
        ``bonferroni``: :func:`massincidents.adjust_pvalues`).

    Examples
    --------
    >>> spec = default_spec()
    >>> spec.unit, spec.count, spec.exposure, spec.fixed_effects
    ('province', 'strikes', 'population', ('province', 'year'))
    >>> spec.causes["legal"], spec.measures["livelihood"]
    ([], ['edu_share', 'livelihood_share'])
    """

    unit: str
    time: str
    level: str
    count: str
    exposure: str | None
    window: tuple[int, int] | None
    causes: dict[str, list[str]]
    measures: dict[str, list[str]]
    missing_reasons: dict[str, str]
    shifts: dict[str, dict[str, float | dict[str, float]]]
    transforms: dict[str, tuple[str, list[Any]]]
    specifications: tuple[Specification, ...]
    models: tuple[str, ...]
    fixed_effects: tuple[str, ...]
    vcov: VcovChoice
    level_ci: float
    bootstrap: dict[str, Any] | None
    timing: dict[str, Any] | None
    mapping: dict[str, str]
    multiverse: dict[str, Any] | None
    document: dict[str, Any] = field(repr=False)
    source: str = "<spec>"
    title: str | None = None
    located: Located | None = field(default=None, repr=False, compare=False)
    multiple_testing: dict[str, Any] | None = None

    # -- derived -------------------------------------------------------------
    @property
    def outcome_column(self) -> str:
        """The count column (the name the multiverse engine reads)."""
        return self.count

    @property
    def seed(self) -> int | None:
        """Seed of the bootstrap and of every random draw of a run."""
        return None if self.bootstrap is None else int(self.bootstrap["seed"])

    @property
    def cluster_columns(self) -> tuple[str, ...]:
        """Columns the variance clusters by (empty unless ``vcov`` is CRV1, CRV0 or CV3)."""
        if isinstance(self.vcov, dict):
            ((kind, value),) = self.vcov.items()
            if kind in ("CRV1", "CRV0", "CV3"):
                return tuple(c for c in str(value).split("+") if c)
        return ()

    @property
    def bootstrap_cluster(self) -> str:
        """Column the wild bootstrap draws by: the first cluster column, else the unit."""
        return self.cluster_columns[0] if self.cluster_columns else self.unit

    @property
    def group_names(self) -> tuple[str, ...]:
        """The four causes and six measures, in the thesis's order."""
        return CAUSES + MEASURES

    def columns_for(self, name: str) -> list[str]:
        """Columns of a cause or measure group."""
        if name in self.causes:
            return list(self.causes[name])
        if name in self.measures:
            return list(self.measures[name])
        raise KeyError(
            f"{name!r} is neither a cause nor a measure{did_you_mean(name, self.group_names)}"
        )

    def needed_columns(self) -> list[str]:
        """Every data column the run reads (before transforms), in order of first use."""
        made = set(self.transforms)
        wanted: dict[str, None] = {self.unit: None, self.time: None, self.count: None}
        if self.exposure:
            wanted[self.exposure] = None
        for kind, args in self.transforms.values():
            for arg in _column_args(kind, args):
                wanted[arg] = None
        for spec in self.specifications:
            wanted.update(dict.fromkeys(spec.terms))
        for cols in self.measures.values():
            wanted.update(dict.fromkeys(cols))
        wanted.update(dict.fromkeys(self.fixed_effects))
        if self.timing:
            wanted[self.timing["cohort"]] = None
            wanted[self.timing["outcome"]] = None
        return [c for c in wanted if c not in made]

    def formula(self, terms: tuple[str, ...] | list[str]) -> str:
        """The fixest-style formula of a specification.

        Built only from checked column names (never from free text), so that
        the formula interpreter sees names and ``+`` signs and nothing else.
        """
        rhs = " + ".join(terms) if terms else "1"
        fe = f" | {' + '.join(self.fixed_effects)}" if self.fixed_effects else ""
        return f"{self.count} ~ {rhs}{fe}"

    def where(self, *path: str | int) -> str:
        """``"spec.yaml, line 12, column 5"`` for a path in the document, if known."""
        pos = self.located.where(tuple(path)) if self.located is not None else None
        if pos is None:
            return f"{self.source}, at {'.'.join(map(str, path))}"
        return f"{self.source}, line {pos[0]}, column {pos[1]}"

    def problem(self, message: str, *path: str | int) -> SpecProblem:
        """A :class:`SpecProblem` at ``path`` of this specification."""
        pos = self.located.where(tuple(path)) if self.located is not None else None
        line, column = pos if pos is not None else (None, None)
        return SpecProblem(message, self.source, line, column, ".".join(map(str, path)))

    def find(self, column: str) -> tuple[str | int, ...]:
        """The first path of the document that names ``column`` (for messages)."""
        return _find_value(self.document, column) or ()

    def to_dict(self) -> dict[str, Any]:
        """The specification in normal form (JSON-serialisable), as recorded in run.json.

        Examples
        --------
        >>> d = default_spec().to_dict()
        >>> d["data"], d["models"]
        ({'unit': 'province', 'time': 'year', 'level': 'province'}, ['poisson', 'negbin'])
        """
        out: dict[str, Any] = {"version": 1}
        if self.title:
            out["title"] = self.title
        out["data"] = {"unit": self.unit, "time": self.time, "level": self.level}
        out["outcome"] = {
            "count": self.count,
            "exposure": self.exposure,
            "window": list(self.window) if self.window else None,
        }
        for section, names in (("causes", CAUSES), ("measures", MEASURES)):
            groups: dict[str, Any] = {}
            for name in names:
                entry: dict[str, Any] = {"columns": self.columns_for(name)}
                if name in self.missing_reasons:
                    entry["missing_reason"] = self.missing_reasons[name]
                if self.shifts.get(name):
                    entry["shift"] = dict(self.shifts[name])
                groups[name] = entry
            out[section] = groups
        out["transforms"] = {
            k: {kind: list(args) if kind not in ("log", "first") else args[0]}
            for k, (kind, args) in self.transforms.items()
        }
        out["specifications"] = [
            {"name": s.name, "terms": list(s.terms), "families": list(s.families)}
            for s in self.specifications
        ]
        out["models"] = list(self.models)
        out["fixed_effects"] = list(self.fixed_effects)
        out["vcov"] = copy.deepcopy(self.vcov)
        out["level"] = self.level_ci
        out["bootstrap"] = copy.deepcopy(self.bootstrap)
        out["timing"] = copy.deepcopy(self.timing)
        out["mapping"] = dict(self.mapping)
        out["multiverse"] = copy.deepcopy(self.multiverse)
        if self.multiple_testing is not None:
            out["multiple_testing"] = copy.deepcopy(self.multiple_testing)
        return json.loads(json.dumps(out))

    def with_mapping(self, extra: Mapping[str, str] | None, source: str = "--map") -> Spec:
        """A copy with more column renames (``old -> new``); ``extra`` wins on conflicts.

        Raises
        ------
        SpecError
            When a new name is not a plain column name, or two old names map
            to the same new one.

        Examples
        --------
        >>> s = default_spec().with_mapping({"人口": "population"})
        >>> s.mapping
        {'人口': 'population'}
        """
        if not extra:
            return self
        problems = [
            SpecProblem(f"{new!r} (for {old!r}) {why}", source)
            for old, new in extra.items()
            if (why := column_name_problem(new))
        ]
        merged = {**self.mapping, **dict(extra)}
        problems += _mapping_clashes(merged, source)
        if problems:
            raise SpecError(problems)
        return replace(self, mapping=merged)


def column_name_problem(name: object) -> str | None:
    """Why ``name`` cannot be a column name in a specification, or ``None``.

    Parameters
    ----------
    name
        A proposed column name.

    Returns
    -------
    str or None
        The reason, or ``None`` when the name is a plain identifier (letters,
        digits, underscores, Chinese characters; not starting with a digit or
        ``__``; not a Python keyword or formula helper).

    Examples
    --------
    >>> column_name_problem("log_gdppc") is None
    True
    >>> column_name_problem("__import__('os')")
    'is not a plain column name (letters, digits, underscores; not starting with a digit or __)'
    """
    if not isinstance(name, str) or not _COLUMN.match(name):
        return (
            "is not a plain column name (letters, digits, underscores; not starting with a "
            "digit or __)"
        )
    if name in RESERVED:
        return "is a reserved word (a Python keyword or formula helper)"
    return None


def _mapping_clashes(mapping: Mapping[str, str], source: str) -> list[SpecProblem]:
    seen: dict[str, str] = {}
    problems = []
    for old, new in mapping.items():
        if new in seen and seen[new] != old:
            problems.append(
                SpecProblem(f"{seen[new]!r} and {old!r} are both mapped to {new!r}", source)
            )
        seen[new] = old
    return problems


def _find_value(doc: object, value: str, path: tuple[str | int, ...] = ()) -> tuple | None:
    if isinstance(doc, dict):
        for k, v in doc.items():
            found = _find_value(v, value, (*path, k))
            if found is not None:
                return found
        return None
    if isinstance(doc, list):
        for i, v in enumerate(doc):
            found = _find_value(v, value, (*path, i))
            if found is not None:
                return found
        return None
    return path if doc == value else None


def _column_args(kind: str, args: list[Any]) -> list[str]:
    if kind in ("log", "first"):
        return [args[0]]
    if kind == "sum":
        return list(args)
    if kind in ("ratio", "share"):
        return [a for a in args if isinstance(a, str)]
    if kind == "per_million":
        return [args[0], args[1]]
    return [args[0]]  # lag, scale


# -- loading ------------------------------------------------------------------
def _is_file(text: str) -> bool:
    try:
        return Path(text).is_file()
    except (OSError, ValueError):  # a name too long or with a NUL byte is not a file
        return False


def _too_deep(doc: object) -> bool:
    """Whether lists and mappings nest deeper than :data:`MAX_DEPTH` (walked without recursion).

    Examples
    --------
    >>> deep: dict = {}
    >>> inner = deep
    >>> for _ in range(100):
    ...     inner["a"] = {}
    ...     inner = inner["a"]
    >>> _too_deep(deep), _too_deep({"a": [1, {"b": 2}]})
    (True, False)
    """
    stack = [(doc, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(item, Mapping):
            stack.extend((value, depth + 1) for value in item.values())
        elif isinstance(item, list | tuple):
            stack.extend((value, depth + 1) for value in item)
    return False


def _read_source(source: object) -> tuple[object, Located | None, str]:
    """The document, its positions and a label, from a path, text or dict."""
    if isinstance(source, Mapping):
        if _too_deep(source):
            raise SpecError(
                [SpecProblem(f"the document is nested more than {MAX_DEPTH} levels deep", "<dict>")]
            )
        return copy.deepcopy(dict(source)), None, "<dict>"
    if isinstance(source, os.PathLike) or (
        isinstance(source, str)
        and "\n" not in source
        and (Path(source).suffix.lower() in (".yaml", ".yml", ".json") or _is_file(source))
    ):
        path = Path(source)  # type: ignore[arg-type]
        label = str(source)
        try:
            if path.is_file() and path.stat().st_size > MAX_SPEC_BYTES:
                raise SpecError(
                    [
                        SpecProblem(
                            f"the file has {path.stat().st_size:,} bytes; a specification has "
                            f"at most {MAX_SPEC_BYTES:,}",
                            label,
                        )
                    ]
                )
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise SpecError([SpecProblem("no such specification file", label)]) from None
        except UnicodeDecodeError:
            raise SpecError([SpecProblem("the specification is not UTF-8 text", label)]) from None
        except OSError as err:
            raise SpecError([SpecProblem(f"cannot read: {err.strerror}", label)]) from None
    elif isinstance(source, str):
        text, label = source, "<text>"
    else:
        raise TypeError(
            f"load_spec takes a path, YAML text, a dict or a Spec; got {type(source).__name__}"
        )
    try:
        located = load_located(text)
    except LoadProblem as err:
        raise SpecError([SpecProblem(err.message, label, err.line, err.column)]) from None
    return located.data, located, label


def load_spec(source: object) -> Spec:
    """Read and check an analysis specification.

    Parameters
    ----------
    source
        A path to a YAML file (``str`` ending in ``.yaml``/``.yml`` or a
        :class:`os.PathLike`), YAML text, a dict, or a :class:`Spec`
        (returned unchanged). YAML is read with PyYAML's safe loader: no tags
        beyond plain mappings, lists and scalars, and no Python objects.

    Returns
    -------
    Spec

    Raises
    ------
    SpecError
        Listing every problem -- unknown keys (with the closest known key),
        wrong types, unknown families or transforms, column names that are
        not plain identifiers, references to undefined groups or transforms
        -- each with file, line and column.

    Examples
    --------
    >>> spec = load_spec('''
    ... version: 1
    ... data: {unit: prefecture, time: year, level: prefecture}
    ... outcome: {count: protests, exposure: population, window: null}
    ... causes: {social: [unemployment], solving: [], legal: [], system: []}
    ... measures: {rule_of_law: [], government_functions: [], system_construction: [],
    ...            cadre_quality: [], responsibility_system: [], livelihood: []}
    ... models: [poisson]
    ... ''')
    >>> spec.formula(spec.specifications[0].terms)
    'protests ~ unemployment | prefecture + year'
    >>> try:
    ...     load_spec("version: 1\\nmodels: [poison]\\n")
    ... except SpecError as err:
    ...     last = err.problems[-1]
    ...     print(last.line, last.column, last.message)
    2 10 'poison' is not allowed at models[0]: use 'poisson', 'negbin' (did you mean 'poisson'?)
    """
    if isinstance(source, Spec):
        return source
    doc, located, label = _read_source(source)
    if not isinstance(doc, dict):
        raise SpecError(
            [
                SpecProblem(
                    "a specification is a mapping of keys (version: 1, data: ...)", label, 1, 1
                )
            ]
        )
    problems = _non_finite(doc, located, label)
    flagged = {p.path for p in problems}
    problems += [p for p in schema_problems(doc, located, label) if p.path not in flagged]
    if problems:
        raise SpecError(problems)
    return _build(doc, located, label)


def _non_finite(doc: object, located: Located | None, label: str) -> list[SpecProblem]:
    """Every number that is not finite (``.nan``, ``.inf``): no bound can hold them.

    Examples
    --------
    >>> [p.message for p in _non_finite({"level": float("nan")}, None, "<dict>")]
    ['level is nan; numbers in a specification must be finite']
    """
    problems = []
    for path, value in _leaves(doc, ()):
        if isinstance(value, float) and not math.isfinite(value):
            pos = located.where(path) if located is not None else None
            line, column = pos if pos is not None else (None, None)
            problems.append(
                SpecProblem(
                    f"{_dotted(path) or 'the document'} is {value!r}; numbers in a "
                    "specification must be finite",
                    label,
                    line,
                    column,
                    _dotted(path),
                )
            )
    return problems


def _leaves(doc: object, path: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...], object]]:
    if isinstance(doc, dict):
        return [leaf for k, v in doc.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(doc, list):
        return [leaf for i, v in enumerate(doc) for leaf in _leaves(v, (*path, i))]
    return [(path, doc)]


def default_spec() -> Spec:
    """The book's own analysis (chapters 3, causes; 4, timing; 5, measures) as a specification.

    Strikes recorded by China Labour Bulletin per province and year,
    2011-2017, with population as exposure, province and year fixed effects,
    CRV1 standard errors by province and a wild cluster bootstrap (999 draws,
    seed 20110101); the three Poisson specifications of chapter 3 and the
    negative binomial check of the first; chapter 4's staggered adoption (the
    first new party secretary of 2011-2017, strikes per million residents,
    not-yet-treated controls); chapter 5's measure indicators, each shifted by
    one within-province standard deviation in the measure's direction.

    Returns
    -------
    Spec

    Examples
    --------
    >>> spec = default_spec()
    >>> [s.name for s in spec.specifications]
    ['(1) Social', '(2) + system', '(3) + public security']
    >>> spec.formula(spec.specifications[0].terms)
    'strikes ~ log_gdppc + unemployment_rate + urbanisation_rate + aged65_share | province + year'
    >>> spec.vcov, spec.seed, spec.window
    ({'CRV1': 'province'}, 20110101, (2011, 2017))
    """
    ref = resources.files("massincidents.spec").joinpath(DEFAULT_SPEC_FILE)
    doc, located, _ = _read_source(ref.read_text(encoding="utf-8"))
    label = f"<default spec {DEFAULT_SPEC_FILE}>"
    assert isinstance(doc, dict)
    problems = schema_problems(doc, located, label)
    if problems:  # pragma: no cover - the shipped file is tested
        raise SpecError(problems)
    return _build(doc, located, label)


def default_spec_text() -> str:
    """The YAML text of :func:`default_spec` (a starting point for your own).

    Returns
    -------
    str
        The commented YAML file shipped with the package.

    Examples
    --------
    >>> default_spec_text().startswith("# The book's analysis")
    True
    """
    return resources.files("massincidents.spec").joinpath(DEFAULT_SPEC_FILE).read_text("utf-8")


def _group_entry(value: Any) -> tuple[list[str], str | None, dict[str, Any]]:
    if isinstance(value, list):
        return list(value), None, {}
    return list(value["columns"]), value.get("missing_reason"), dict(value.get("shift") or {})


class _Problems:
    """The problems found while building a :class:`Spec`, each placed at its line."""

    def __init__(self, located: Located | None, label: str) -> None:
        self.located, self.label = located, label
        self.found: list[SpecProblem] = []

    def __call__(self, message: str, *path: str | int, key: bool = False) -> None:
        where = self.located.where(tuple(path), key=key) if self.located is not None else None
        line, column = where if where is not None else (None, None)
        self.found.append(SpecProblem(message, self.label, line, column, ".".join(map(str, path))))


@dataclass
class _Groups:
    """The causes and measures of a document: columns, reasons for none, shifts."""

    causes: dict[str, list[str]] = field(default_factory=dict)
    measures: dict[str, list[str]] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    shifts: dict[str, dict[str, float | dict[str, float]]] = field(default_factory=dict)

    @property
    def names(self) -> set[str]:
        return set(CAUSES + MEASURES)

    def columns(self, name: str) -> list[str]:
        return self.causes.get(name, self.measures.get(name, []))


def _read_groups(doc: dict[str, Any], problem: _Problems) -> _Groups:
    """The causes and measures, with columns named like a group and stray shifts refused."""
    groups = _Groups()
    for section, names, target in (
        ("causes", CAUSES, groups.causes),
        ("measures", MEASURES, groups.measures),
    ):
        for name in names:
            cols, reason, shift = _group_entry(doc[section][name])
            target[name] = cols
            if reason:
                groups.reasons[name] = reason
            for col in cols:
                if col in groups.names:
                    problem(
                        f"column {col!r} has the name of a group; rename it (mapping:)",
                        section,
                        name,
                    )
            for col in shift:
                if col not in cols:
                    problem(
                        f"shift names {col!r}, which is not a column of {section}.{name} "
                        f"({', '.join(cols) or 'none'})",
                        section,
                        name,
                        "shift",
                        col,
                        key=True,
                    )
            if shift:
                groups.shifts[name] = {
                    k: {"within_sd": float(v["within_sd"])} if isinstance(v, dict) else float(v)
                    for k, v in shift.items()
                }
    return groups


def _read_transforms(
    doc: dict[str, Any], protected: set[str], groups: _Groups, problem: _Problems
) -> dict[str, tuple[str, list[Any]]]:
    """The transforms in order; a transform may not overwrite ``protected`` or use itself."""
    transforms: dict[str, tuple[str, list[Any]]] = {}
    order = list(doc.get("transforms") or {})
    for new, entry in (doc.get("transforms") or {}).items():
        ((kind, args),) = entry.items()
        args = [args] if kind in ("log", "first") else list(args)
        if new in protected:
            problem(
                f"transform {new!r} would overwrite a key, outcome or exposure column",
                "transforms",
                new,
                key=True,
            )
        if new in groups.names:
            problem(f"transform {new!r} has the name of a group", "transforms", new, key=True)
        for arg in _column_args(kind, args):
            if arg == new:
                problem(f"transform {new!r} uses itself", "transforms", new)
            elif arg in order and order.index(arg) > order.index(new):
                problem(
                    f"transform {new!r} uses {arg!r}, which is defined below it; "
                    "transforms run in the order written",
                    "transforms",
                    new,
                )
        transforms[new] = (kind, args)
    return transforms


def _expand_terms(
    terms: list[str], path: tuple[str | int, ...], groups: _Groups, problem: _Problems
) -> tuple[str, ...]:
    """Terms with each group name replaced by its columns (an empty group is an error)."""
    out: dict[str, None] = {}
    for i, term in enumerate(terms):
        if term in groups.names:
            cols = groups.columns(term)
            if not cols:
                reason = groups.reasons.get(term)
                problem(
                    f"group {term!r} has no columns"
                    + (f" ({reason})" if reason else "")
                    + "; list its columns or leave it out of the specification",
                    *path,
                    i,
                )
            out.update(dict.fromkeys(cols))
        else:
            out[term] = None
    return tuple(out)


def _read_specifications(
    doc: dict[str, Any],
    models: tuple[str, ...],
    groups: _Groups,
    keys: set[str | None],
    problem: _Problems,
) -> list[Specification]:
    """The specifications to fit (default: every cause's column in one model)."""
    specs: list[Specification] = []
    if doc.get("specifications"):
        names_seen: set[str] = set()
        for i, entry in enumerate(doc["specifications"]):
            if entry["name"] in names_seen:
                problem(
                    f"two specifications are called {entry['name']!r}", "specifications", i, "name"
                )
            names_seen.add(entry["name"])
            fams = tuple(entry.get("families") or models)
            for j, fam in enumerate(fams):
                if fam not in models:
                    problem(
                        f"family {fam!r} is not in models ({', '.join(models)})",
                        "specifications",
                        i,
                        "families",
                        j,
                    )
            terms = _expand_terms(entry["terms"], ("specifications", i, "terms"), groups, problem)
            specs.append(Specification(entry["name"], terms, fams))
    else:
        terms = tuple(dict.fromkeys(c for name in CAUSES for c in groups.causes[name]))
        if not terms:
            problem(
                "no cause has any column and no specifications are given: nothing to fit",
                "causes",
                key=True,
            )
        specs.append(Specification("All causes", terms, models))
    for spec in specs:
        for bad in keys & set(spec.terms):
            problem(
                f"{bad!r} is a key, outcome or exposure column and cannot be a regressor",
                "specifications" if doc.get("specifications") else "causes",
                key=True,
            )
    return specs


def _read_vcov(
    doc: dict[str, Any], unit: str, time: str, problem: _Problems
) -> VcovChoice:
    """The variance choice in the form the models take, ``unit``/``time`` resolved."""
    vcov_raw = doc.get("vcov", {"CRV1": "unit"})
    if isinstance(vcov_raw, str):
        return vcov_raw
    ((kind, value),) = vcov_raw.items()
    if kind == "DK":
        return {"DK": {"lags": int(value), "time": time}}
    parts = [p.strip() for p in str(value).split("+")]
    resolved = [{"unit": unit, "time": time}.get(p, p) for p in parts]
    for p in resolved:
        if why := column_name_problem(p):
            problem(f"cluster {p!r} {why}", "vcov", kind)
    if not 1 <= len(resolved) <= 2:
        problem("cluster by one column or two joined by '+'", "vcov", kind)
    return {kind: "+".join(resolved)}


def _check_capabilities(
    models: tuple[str, ...], exposure: str | None, vcov: VcovChoice, problem: _Problems
) -> None:
    """Every model named supports the exposure and the variance asked for (the registry)."""
    for i, name in enumerate(models):
        if name not in families():
            continue  # reported by the schema
        entry = get_model(name)
        if exposure is not None and not entry.exposure:
            problem(
                f"model {name!r} takes no exposure; remove outcome.exposure or the model",
                "models",
                i,
            )
        if not entry.supports_vcov(vcov):
            kind = vcov_kind(vcov)
            problem(
                f"model {name!r} has no variance {kind!r}; it offers {', '.join(entry.vcov)}",
                "models",
                i,
            )


def _read_bootstrap(doc: dict[str, Any]) -> dict[str, Any] | None:
    boot = doc.get("bootstrap")
    if boot is None:
        return None
    return {
        "reps": int(boot["reps"]),
        "seed": int(boot["seed"]),
        "weights": boot.get("weights", "rademacher"),
    }


def _read_multiple_testing(doc: dict[str, Any], problem: _Problems) -> dict[str, Any] | None:
    """``{method, reps, seed, weights}``; Romano-Wolf needs a seed, the others take none."""
    entry = doc.get("multiple_testing")
    if entry is None:
        return None
    method = entry["method"]
    if method != "romano_wolf":
        extra = [k for k in ("reps", "seed", "weights") if k in entry]
        if extra:
            problem(
                f"multiple_testing: {', '.join(extra)} apply to method romano_wolf only; "
                f"{method} adjusts the models' own p-values",
                "multiple_testing",
                extra[0],
                key=True,
            )
        return {"method": method}
    if "seed" not in entry:
        problem(
            "multiple_testing: romano_wolf draws bootstrap weights and needs a seed "
            "(e.g. {method: romano_wolf, reps: 9999, seed: 1})",
            "multiple_testing",
            key=True,
        )
        return None
    return {
        "method": method,
        "reps": int(entry.get("reps", 9999)),
        "seed": int(entry["seed"]),
        "weights": entry.get("weights", "rademacher"),
    }


def _read_timing(doc: dict[str, Any], count: str) -> dict[str, Any] | None:
    timing = doc.get("timing")
    if timing is None:
        return None
    out = {
        "cohort": timing["cohort"],
        "outcome": timing.get("outcome", count),
        "control_group": timing.get("control_group", "notyet"),
        "method": timing.get("method", "dr"),
    }
    if timing.get("honest") is not None:
        out["honest"] = copy.deepcopy(timing["honest"])
    return out


def _read_multiverse(
    doc: dict[str, Any], groups: _Groups, problem: _Problems
) -> dict[str, Any] | None:
    """The multiverse section (a copy): indicators known, windows ordered, size bounded."""
    multiverse = doc.get("multiverse")
    if multiverse is None:
        return None
    multiverse = copy.deepcopy(multiverse)
    columns = {c for cols in (*groups.causes.values(), *groups.measures.values()) for c in cols}
    known = groups.names | columns
    for name in multiverse.get("indicators") or {}:
        if name not in known:
            problem(
                f"multiverse indicator {name!r} is neither a cause, a measure nor one of "
                f"their columns{did_you_mean(name, known)}",
                "multiverse",
                "indicators",
                name,
                key=True,
            )
    for i, fam in enumerate(multiverse.get("families") or []):
        if fam not in families():  # pragma: no cover - the schema checks it
            problem(f"unknown family {fam!r}", "multiverse", "families", i)
    for i, w in enumerate(multiverse.get("windows") or []):
        if w is not None and w[0] > w[1]:
            problem(f"the window starts after it ends: {w}", "multiverse", "windows", i)
    size = math.prod(len(v) for v in (multiverse.get("indicators") or {}).values())
    for key in ("families", "fixed_effects", "exposure", "windows"):
        size *= max(1, len(multiverse.get(key) or []))
    if size > MAX_MULTIVERSE:
        problem(
            f"the multiverse has {size:,} specifications; at most {MAX_MULTIVERSE:,} are "
            "fitted: give fewer choices",
            "multiverse",
            key=True,
        )
    return dict(multiverse)


def _build(doc: dict[str, Any], located: Located | None, label: str) -> Spec:
    """Check what the schema cannot and normalise the document into a :class:`Spec`."""
    problem = _Problems(located, label)
    data = doc["data"]
    unit, time, level = data["unit"], data["time"], data.get("level", "province")
    outcome = doc["outcome"]
    count, exposure = outcome["count"], outcome.get("exposure")
    window = outcome.get("window")
    if window is not None and window[0] > window[1]:
        problem(f"the window starts after it ends: {window}", "outcome", "window")
    if unit == time:
        problem("unit and time must be different columns", "data", "time")

    groups = _read_groups(doc, problem)
    transforms = _read_transforms(doc, {unit, time, count, exposure}, groups, problem)
    models = tuple(doc["models"])
    specs = _read_specifications(doc, models, groups, {unit, time, count, exposure}, problem)

    fe_raw = list(doc.get("fixed_effects", ["unit", "time"]))
    fixed_effects = tuple({"unit": unit, "time": time}.get(f, f) for f in fe_raw)
    if len(set(fixed_effects)) != len(fixed_effects):
        problem("fixed_effects lists the same column twice", "fixed_effects")
    vcov = _read_vcov(doc, unit, time, problem)
    _check_capabilities(models, exposure, vcov, problem)
    mapping = dict(doc.get("mapping") or {})
    for p in _mapping_clashes(mapping, label):
        problem(p.message, "mapping")
    multiverse = _read_multiverse(doc, groups, problem)
    multiple_testing = _read_multiple_testing(doc, problem)

    if problem.found:
        problems = sorted(problem.found, key=lambda p: (p.line or 0, p.column or 0, p.message))
        raise SpecError(problems)
    return Spec(
        unit=unit,
        time=time,
        level=level,
        count=count,
        exposure=exposure,
        window=(int(window[0]), int(window[1])) if window is not None else None,
        causes=groups.causes,
        measures=groups.measures,
        missing_reasons=groups.reasons,
        shifts=groups.shifts,
        transforms=transforms,
        specifications=tuple(specs),
        models=models,
        fixed_effects=fixed_effects,
        vcov=vcov,
        level_ci=float(doc.get("level", 0.95)),
        bootstrap=_read_bootstrap(doc),
        timing=_read_timing(doc, count),
        mapping=mapping,
        multiverse=multiverse,
        document=copy.deepcopy(doc),
        source=label,
        title=doc.get("title"),
        located=located,
        multiple_testing=multiple_testing,
    )

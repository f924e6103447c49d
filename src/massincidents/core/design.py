"""From a formula and a DataFrame to model matrices, with row accounting.

Every model goes through :func:`build_design`, so every model reports the same
way which rows it used and why it left others out (a missing value in a named
column, a non-finite transformed value such as ``log(0)``, a singleton
fixed-effect group), and every model gives the same :class:`DataError` for a
column that does not exist.

Categorical regressors are coded as R's ``lm`` and fixest code them: with an
intercept *or with absorbed fixed effects*, ``C(g)`` leaves out its first level
(``C(g, Treatment(r))`` leaves out ``r``), and fixest's ``i()``
(:mod:`massincidents.core.interactions`) is available. With fixed effects the matrix
is the one of the same formula with an intercept, less the intercept column,
so the reference level is the one a dummy-variable regression would use.
"""

from __future__ import annotations

import difflib
import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from formulaic import Formula, ModelMatrices, ModelMatrix, model_matrix

from massincidents.core.formula import ParsedFormula, parse_formula
from massincidents.core.interactions import i as fixest_i
from massincidents.errors import DataError, Problem

#: Functions a formula may call besides formulaic's own (``C``, ``np``, ``log``, ...).
FORMULA_CONTEXT: dict[str, object] = {"i": fixest_i}


class CollinearityWarning(UserWarning):
    """A regressor was dropped: perfectly collinear, or absorbed by the fixed effects."""


class SingletonWarning(UserWarning):
    """Observations alone in their fixed-effect group were found (and dropped)."""


@dataclass
class Design:
    """Model matrices on the rows a model uses.

    Attributes
    ----------
    y
        Dependent variable, shape (n,).
    X
        Regressors, shape (n, k), columns named by ``names``.
    names
        Term names as formulaic writes them (``np.log(gdp)``, ``C(region)[T.west]``),
        and fixest's for ``i()`` (``rel::-2``, ``rel::0:treated``).
    fe
        One integer code array per absorbed fixed effect (0..G-1).
    fe_names
        The fixed effects as written in the formula.
    extra
        Further columns requested by the model (cluster variables, offset,
        exposure, weights, time), on the same rows.
    used
        Boolean mask over the rows of the input data: True where used.
    left_out
        Rows not used, by reason (``"missing value in gdp"``,
        ``"singleton fixed-effect group"``); the counts add up to
        ``len(data) - used.sum()``.
    index
        The input row labels of the rows used.
    """

    y: np.ndarray
    X: np.ndarray
    names: list[str]
    fe: list[np.ndarray]
    fe_names: tuple[str, ...]
    extra: dict[str, np.ndarray]
    used: np.ndarray
    left_out: dict[str, int]
    index: pd.Index
    formula: ParsedFormula
    data_columns: dict[str, pd.Series] = field(default_factory=dict)

    @property
    def nobs(self) -> int:
        return int(self.y.shape[0])


def as_frame(data: pd.DataFrame) -> pd.DataFrame:
    """Bring named index levels (e.g. province, year from read_panel) into columns."""
    if not isinstance(data, pd.DataFrame):
        raise DataError([Problem(f"data must be a pandas DataFrame, got {type(data).__name__}")])
    named = [name for name in data.index.names if name is not None and name not in data.columns]
    return data.reset_index(level=named) if named else data


def _required_variables(parsed: ParsedFormula) -> list[str]:
    from formulaic.errors import FormulaicError

    try:
        formula = Formula(f"{parsed.lhs} ~ {parsed.rhs}")
    except (SyntaxError, ValueError, FormulaicError) as err:
        why = err.msg if isinstance(err, SyntaxError) else str(err).splitlines()[0]
        raise DataError(
            [Problem(f"the formula '{parsed.lhs} ~ {parsed.rhs}' cannot be read: {why}")]
        ) from None
    names = [*sorted(formula.lhs.required_variables), *sorted(formula.rhs.required_variables)]
    # formulaic reports `ph.ecog` (a quoted column name with a dot) as the variable `ph`:
    # use the quoted names as written, and drop the prefixes it derived from them.
    quoted = re.findall(r"`([^`]+)`", f"{parsed.lhs} ~ {parsed.rhs}")
    prefixes = {q.split(".")[0] for q in quoted if "." in q}
    names = [n for n in names if n not in prefixes or n in quoted] + quoted
    skip = {"np", "C", "log", "exp", "sqrt", "center", "scale"}
    if re.search(r"(?<![\w.])i\s*\(", parsed.rhs):
        skip.add("i")  # fixest's i(), not a column
    return [n for n in dict.fromkeys(names) if n not in skip]


def design_rhs(parsed: ParsedFormula, *, intercept: bool = True) -> str:
    """The right-hand side formulaic evaluates for ``parsed``.

    Without fixed effects: the regressors as written (``- 1`` appended when
    ``intercept=False``). With absorbed fixed effects: the regressors *with* an
    intercept (``+ 1``), so categorical terms are coded as in the same model
    with dummy fixed effects (reference level first, or as ``Treatment(r)``
    asks); :func:`build_design` then removes the intercept column. ``"0"`` when
    a fixed-effects model has no regressor.

    Examples
    --------
    >>> design_rhs(parse_formula("y ~ C(t) + x | unit + year"))
    'C(t) + x + 1'
    >>> design_rhs(parse_formula("y ~ C(t) + x"), intercept=False)
    'C(t) + x - 1'
    """
    if parsed.fixed_effects:
        return "0" if parsed.rhs.strip() in {"1", "0"} else f"{parsed.rhs} + 1"
    return parsed.rhs if intercept else f"{parsed.rhs} - 1"


def formula_matrix(
    formula: str, rows: pd.DataFrame, **options: object
) -> ModelMatrix | ModelMatrices:
    """formulaic's ``model_matrix`` with the functions of :data:`FORMULA_CONTEXT` (``i()``).

    Every place that evaluates a model formula goes through here, so that a
    formula means the same everywhere (``i()`` included).
    """
    return model_matrix(formula, rows, context=FORMULA_CONTEXT, **options)


def _without_intercept(x_frame: pd.DataFrame) -> pd.DataFrame:
    """Remove the intercept column(s) formulaic added (found by term, not by name)."""
    spec = getattr(x_frame, "model_spec", None)
    if spec is None:
        return x_frame
    drop = [j for term, idx in spec.term_indices.items() if str(term) == "1" for j in idx]
    if not drop:
        return x_frame
    keep = [j for j in range(x_frame.shape[1]) if j not in set(drop)]
    return x_frame.iloc[:, keep]


def _check_columns(frame: pd.DataFrame, wanted: list[str], source: str | None) -> None:
    columns = [str(c) for c in frame.columns]
    problems = []
    for name in dict.fromkeys(wanted):
        if name not in frame.columns:
            close = difflib.get_close_matches(name, columns, n=3, cutoff=0.5)
            hint = f"; close column names: {', '.join(close)}" if close else ""
            problems.append(
                Problem(f"column not found in the data{hint}", file=source, column=name)
            )
    if problems:
        raise DataError(problems)


def _drop_singletons(codes: list[np.ndarray], keep: np.ndarray) -> np.ndarray:
    """Iteratively drop observations that are alone in a fixed-effect group."""
    keep = keep.copy()
    while True:
        changed = False
        for c in codes:
            counts = np.bincount(c[keep], minlength=c.max() + 1 if c.size else 0)
            single = keep & (counts[c] == 1)
            if single.any():
                keep &= ~single
                changed = True
        if not changed:
            return keep


def build_design(
    formula: str | ParsedFormula,
    data: pd.DataFrame,
    *,
    extra: dict[str, str] | None = None,
    intercept: bool = True,
    drop_singletons: bool = True,
) -> Design:
    """Build the model matrices of ``formula`` on ``data``.

    Parameters
    ----------
    formula
        A formula in fixest's grammar (``"y ~ x1 + x2 | fe1 + fe2"``).
    data
        The data; named index levels are used as columns.
    extra
        Further columns to carry along, by role: ``{"cluster": "province",
        "offset": "log_pop"}``. Rows missing any of them are left out (and
        reported).
    intercept
        Include an intercept when no fixed effect is absorbed. (With absorbed
        fixed effects the intercept is never a column, and categorical terms
        are coded as with an intercept: see :func:`design_rhs`.)
    drop_singletons
        Leave out observations alone in a fixed-effect group (they carry no
        information about the slopes), as fixest and reghdfe do.

    Returns
    -------
    Design

    Raises
    ------
    DataError
        When a column is missing (with close names), or no row is left.
    """
    parsed = formula if isinstance(formula, ParsedFormula) else parse_formula(formula)
    frame = as_frame(data)
    source = frame.attrs.get("source") if isinstance(frame.attrs.get("source"), str) else None
    extra = dict(extra or {})
    variables = _required_variables(parsed)
    fe_columns = list(parsed.fe_columns)
    extra_columns = [c for c in extra.values() if c is not None]
    _check_columns(frame, [*variables, *fe_columns, *extra_columns], source)

    n_rows = len(frame)
    keep = np.ones(n_rows, dtype=bool)
    left_out: dict[str, int] = {}
    for column in dict.fromkeys([*variables, *fe_columns, *extra_columns]):
        missing = keep & frame[column].isna().to_numpy()
        if missing.any():
            left_out[f"missing value in {column}"] = int(missing.sum())
            keep &= ~missing

    if not keep.any():
        raise DataError([Problem("no row has all the variables of the model", file=source)])
    rows = frame.iloc[np.flatnonzero(keep)]
    rhs = design_rhs(parsed, intercept=intercept)
    try:
        matrices = formula_matrix(f"{parsed.lhs} ~ {rhs}", rows, na_action="ignore")
    except Exception as err:  # formulaic raises many types; all mean "cannot evaluate"
        raise DataError(
            [Problem(f"cannot evaluate the formula {parsed.text!r}: {err}", file=source)]
        ) from err
    y_frame, x_frame = matrices.lhs, matrices.rhs
    if parsed.fixed_effects:
        x_frame = _without_intercept(x_frame)
    if y_frame.shape[1] != 1:
        raise DataError([Problem(f"the dependent variable must be one column: {parsed.lhs!r}")])
    y = np.asarray(y_frame, dtype=float).ravel()
    X = np.asarray(x_frame, dtype=float).reshape(len(rows), -1)
    names = [str(c) for c in x_frame.columns]

    finite = np.isfinite(y) & np.isfinite(X).all(axis=1)
    if not finite.all():
        bad_terms = [parsed.lhs] if not np.isfinite(y).all() else []
        bad_terms += [n for j, n in enumerate(names) if not np.isfinite(X[:, j]).all()]
        left_out[f"non-finite value of {', '.join(bad_terms)}"] = int((~finite).sum())
        positions = np.flatnonzero(keep)
        keep[positions[~finite]] = False
        y, X, rows = y[finite], X[finite], rows.iloc[np.flatnonzero(finite)]

    fe_codes: list[np.ndarray] = []
    for fe in parsed.fixed_effects:
        key = rows[list(fe)].astype(str).agg("\x1f".join, axis=1) if len(fe) > 1 else rows[fe[0]]
        codes, _ = pd.factorize(key, sort=True)
        fe_codes.append(codes.astype(np.int64))

    if fe_codes and drop_singletons:
        inner = _drop_singletons(fe_codes, np.ones(len(y), dtype=bool))
        if not inner.all():
            count = int((~inner).sum())
            left_out["singleton fixed-effect group"] = count
            warnings.warn(
                f"{count} observation(s) alone in a fixed-effect group were left out",
                SingletonWarning,
                stacklevel=3,
            )
            positions = np.flatnonzero(keep)
            keep[positions[~inner]] = False
            y, X, rows = y[inner], X[inner], rows.iloc[np.flatnonzero(inner)]
            fe_codes = [pd.factorize(c[inner], sort=True)[0].astype(np.int64) for c in fe_codes]

    if len(y) == 0:
        raise DataError([Problem("no row is left after removing incomplete rows", file=source)])
    extras = {role: rows[col].to_numpy() for role, col in extra.items() if col is not None}
    return Design(
        y=y,
        X=X,
        names=names,
        fe=fe_codes,
        fe_names=parsed.fe_names,
        extra=extras,
        used=keep,
        left_out=left_out,
        index=rows.index,
        formula=parsed,
    )


def drop_collinear(
    X: np.ndarray, names: list[str], *, absorbed: np.ndarray | None = None, tol: float = 1e-9
) -> tuple[np.ndarray, list[str], list[str]]:
    """Drop columns of ``X`` that are linear combinations of earlier columns.

    Parameters
    ----------
    X
        Regressors (already partialled out of fixed effects, when there are any).
    names
        Their names.
    absorbed
        Column norms before partialling out; a column whose norm fell to
        (nearly) zero was absorbed by the fixed effects, which the warning says.
    tol
        Relative tolerance of the pivoted Cholesky test.

    Returns
    -------
    X, names, dropped
        The kept columns and their names, and the names of the dropped ones.
    """
    k = X.shape[1]
    if k == 0:
        return X, names, []
    scale = np.sqrt((X**2).sum(axis=0))
    keep: list[int] = []
    dropped: list[str] = []
    for j in range(k):
        if absorbed is not None and absorbed[j] > 0 and scale[j] <= 1e-8 * absorbed[j]:
            dropped.append(names[j])
            warnings.warn(
                f"{names[j]!r} is absorbed by the fixed effects and was dropped",
                CollinearityWarning,
                stacklevel=3,
            )
            continue
        if scale[j] == 0:
            dropped.append(names[j])
            warnings.warn(
                f"{names[j]!r} is constant zero and was dropped", CollinearityWarning, stacklevel=3
            )
            continue
        candidate = [*keep, j]
        Z = X[:, candidate] / scale[candidate]
        # Smallest eigenvalue of the scaled cross-product tells rank deficiency.
        eig = np.linalg.eigvalsh(Z.T @ Z)
        if eig[0] <= tol * max(eig[-1], 1.0) * len(candidate):
            dropped.append(names[j])
            warnings.warn(
                f"{names[j]!r} is perfectly collinear with other regressors and was dropped",
                CollinearityWarning,
                stacklevel=3,
            )
            continue
        keep.append(j)
    return X[:, keep], [names[j] for j in keep], dropped

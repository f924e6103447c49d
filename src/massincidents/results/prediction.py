r"""Fitted values, residuals, predictions and fixed-effect estimates of a fit.

Each model family attaches a :class:`Prediction` to its
:class:`~massincidents.results.Result` (``Result._prediction``); it holds
arrays of the estimation sample only, and pickles.

The linear predictor of row :math:`i` is

.. math::

    \eta_i = x_i'\hat\beta + o_i + \sum_m \hat\alpha^{(m)}_{g_m(i)},

with :math:`o_i` the offset (``log(exposure) + offset`` for count models) and
:math:`\hat\alpha^{(m)}` the estimates of the absorbed fixed effects. The
response is :math:`\eta` (identity link), :math:`e^\eta` (log link: counts,
the relative hazard of a Cox model, the Weibull AFT time scale as R's
``predict.survreg(type = "response")``), or :math:`F(\eta)` (logit and
complementary log-log hazards).

Fixed effects are recovered as pyfixest's ``fixef()`` does: the part of the
linear predictor the slopes and offset do not explain,
:math:`\eta_i - x_i'\hat\beta - o_i`, is regressed on the dummies of every
level of the first fixed effect and of all but the first (sorted) level of
each further one (``scipy.sparse.linalg.lsqr``). With a connected design this
fixes one normalisation (the first level of each further fixed effect is 0);
the sums :math:`\sum_m \hat\alpha^{(m)}`, and so the predictions, do not
depend on it.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from massincidents.results.sample import SampleColumns


def inverse_link(link: str, eta: np.ndarray) -> np.ndarray:
    """The response :math:`g^{-1}(\\eta)` for the links the package uses."""
    if link in {"identity"}:
        return eta
    if link in {"log", "log-time"}:
        return np.exp(eta)
    if link == "logit":
        return 1.0 / (1.0 + np.exp(-eta))
    if link == "cloglog":
        return -np.expm1(-np.exp(eta))
    raise ValueError(f"no response scale is defined for the {link!r} link")


@dataclass(eq=False)
class NewData:
    """What predicting on new rows needs: the formula and the sample to code it.

    ``rhs`` is the right-hand side formulaic evaluated at the fit; the columns
    of its matrix on new rows are matched to ``names`` (the estimated slopes).
    ``fixed_effects`` are the column tuples of each absorbed fixed effect (a
    tuple of several columns for ``a^b``); ``offset_columns`` are
    ``(exposure, offset)`` column names (``None`` when absent).
    """

    rhs: str
    names: list[str]
    sample: SampleColumns
    fixed_effects: tuple[tuple[str, ...], ...] = ()
    exposure: str | None = None
    offset: str | None = None


@dataclass(eq=False)
class Prediction:
    """Fitted values on the estimation sample and, optionally, a recipe for new rows.

    Attributes
    ----------
    link
        Link of the model (see :func:`inverse_link`).
    eta
        Linear predictor on the estimation sample (fixed effects and offset included).
    y
        The outcome on the estimation sample (``None``: residuals are not defined).
    fitted
        Fitted responses when they are not ``inverse_link(eta)`` (zero-inflated models).
    X
        Regressors (not partialled out) on the sample, columns the estimated slopes.
    offset
        Offset on the sample (zeros when none).
    fe
        Codes of the absorbed fixed effects on the sample.
    newdata
        Recipe for new rows, or ``None`` (then only the sample is predicted).
    refuse_newdata
        The reason new rows are refused, when ``newdata`` is ``None``.
    index
        Row labels of the estimation sample in the input data.
    link_shift
        Subtracted from the linear predictor of new rows (``eta`` already has
        it); 0 for every model today.
    """

    link: str
    eta: np.ndarray
    y: np.ndarray | None = None
    fitted: np.ndarray | None = None
    X: np.ndarray | None = None
    offset: np.ndarray | None = None
    fe: list[np.ndarray] = field(default_factory=list)
    newdata: NewData | None = None
    refuse_newdata: str = "predictions on new rows are not available for this model"
    index: pd.Index | None = None
    link_shift: float = 0.0
    _fixef: dict[str, pd.Series] | None = None

    # -- sample ---------------------------------------------------------------
    def response(self) -> np.ndarray:
        if self.fitted is not None:
            return self.fitted
        return inverse_link(self.link, self.eta)

    def fixef(self, params: pd.Series) -> dict[str, pd.Series]:
        """Estimates of the absorbed fixed effects by level (see module docstring)."""
        if not self.fe:
            raise ValueError("the model has no absorbed fixed effects")
        if self.newdata is None or self.X is None:
            raise NotImplementedError(
                "fixed-effect estimates are not available for this model: " + self.refuse_newdata
            )
        if self._fixef is None:
            self._fixef = _solve_fixef(self, params)
        return self._fixef

    # -- new rows -------------------------------------------------------------
    def predict_link(self, params: pd.Series, data: pd.DataFrame) -> np.ndarray:
        recipe = self.newdata
        if recipe is None:
            raise ValueError(self.refuse_newdata)
        from massincidents.core.design import formula_matrix

        spec = formula_matrix(recipe.rhs, recipe.sample.rows).model_spec
        unseen, known_levels = _mask_unseen_levels(spec, data)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            matrix = spec.get_model_matrix(known_levels, na_action="ignore")
        if any(_UNSEEN in str(w.message) for w in caught):  # a term we could not check
            raise ValueError(
                "newdata has levels of a categorical term that the fit did not see; formulaic "
                "would code them as the reference level: keep to the fit's levels"
            )
        for w in caught:  # pass on every other warning as it came
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        missing = [n for n in recipe.names if n not in matrix.columns]
        if missing:
            raise ValueError(
                f"newdata does not give the terms {missing} of the fit (a level not seen "
                "in the estimation sample?)"
            )
        beta = params[recipe.names].to_numpy(dtype=float)
        eta = np.asarray(matrix[recipe.names], dtype=float).reshape(len(data), -1) @ beta
        for column in (recipe.exposure, recipe.offset):
            if column is None:
                continue
            if column not in data.columns:
                raise ValueError(f"newdata needs the column {column!r} (exposure/offset)")
            values = pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                eta = eta + (np.log(values) if column == recipe.exposure else values)
        if recipe.fixed_effects:
            effects = self.fixef(params)
            for columns, (name, values) in zip(recipe.fixed_effects, effects.items(), strict=True):
                for column in columns:
                    if column not in data.columns:
                        raise ValueError(f"newdata needs the fixed-effect column {column!r}")
                key = _fe_key(data, columns)
                eta = eta + key.map(values).to_numpy(dtype=float)  # unseen level: NaN
                del name
        if unseen.any():
            eta = np.where(unseen, np.nan, eta)  # a level the fit did not see: no prediction
        return eta - self.link_shift


#: formulaic's warning when it casts an unseen category (then coded as the reference level)
_UNSEEN = "outside of the nominated levels"
#: a categorical term written ``name`` or ``C(name, ...)``: group 1 is the column
_CATEGORICAL_TERM = r"\s*(?:C\(\s*)?`?([A-Za-z_][A-Za-z_0-9]*)`?\s*(?:[,)].*)?"


def _mask_unseen_levels(spec: Any, data: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Rows of ``data`` with a level of a categorical term the fit did not see, and ``data``
    with those levels replaced by a level it saw.

    formulaic would code an unseen level as the reference level (all dummies 0),
    which predicts the reference category's value (and pandas 3 deprecates the
    Categorical it builds for it). Terms written ``name`` or ``C(name, ...)`` are
    checked against the fit's levels; their unseen values are replaced by the
    first level, and the caller sets those rows' predictions to NaN. Terms of
    another form are left to formulaic (the caller refuses if it finds unseen
    levels there).
    """
    rows = np.zeros(len(data), dtype=bool)
    replaced = data
    for factor, state in getattr(spec, "factor_contrasts", {}).items():
        found = re.fullmatch(_CATEGORICAL_TERM, factor.expr)
        known = pd.Index(getattr(state, "levels", []))
        if found is None or found.group(1) not in data.columns or known.empty:
            continue
        column = found.group(1)
        values = replaced[column]
        bad = (values.notna() & ~values.isin(known)).to_numpy()
        if bad.any():
            if replaced is data:
                replaced = data.copy()
            fill = known[0]
            if isinstance(values.dtype, pd.CategoricalDtype) and fill not in values.cat.categories:
                values = values.cat.add_categories([fill])
            replaced[column] = values.where(~bad, fill)
            rows |= bad
    return rows, replaced


def _fe_key(rows: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """The level of a fixed effect by row, as ``build_design`` codes it."""
    if len(columns) > 1:
        return rows[list(columns)].astype(str).agg("\x1f".join, axis=1)
    return rows[columns[0]]


def _solve_fixef(prediction: Prediction, params: pd.Series) -> dict[str, pd.Series]:
    import scipy.sparse as sp
    from scipy.sparse.linalg import lsqr

    recipe = prediction.newdata
    assert recipe is not None and prediction.X is not None
    beta = params[recipe.names].to_numpy(dtype=float)
    part = prediction.eta - prediction.X @ beta
    if prediction.offset is not None:
        part = part - prediction.offset
    n = len(part)
    blocks, spans = [], []
    for m, codes in enumerate(prediction.fe):
        levels = int(codes.max()) + 1
        dummies = sp.csr_matrix((np.ones(n), (np.arange(n), codes)), shape=(n, levels))
        first = 0 if m == 0 else 1  # all but the first level of further fixed effects
        blocks.append(dummies[:, first:])
        spans.append((first, levels))
    D = sp.hstack(blocks).tocsr()
    alpha = lsqr(D, part, atol=1e-14, btol=1e-14, iter_lim=100 * D.shape[1])[0]
    rows = recipe.sample.rows
    out: dict[str, pd.Series] = {}
    start = 0
    for columns, (first, levels) in zip(recipe.fixed_effects, spans, strict=True):
        labels = pd.factorize(_fe_key(rows, columns), sort=True)[1]
        values = np.zeros(levels)
        values[first:] = alpha[start : start + levels - first]
        start += levels - first
        out["^".join(columns)] = pd.Series(values, index=pd.Index(labels), name="^".join(columns))
    return out


def attach(result: Any, prediction: Prediction) -> Any:
    """``result`` with ``prediction`` attached (returns the same object)."""
    result._prediction = prediction
    return result


def from_design(
    design: Any,
    sample: SampleColumns,
    names: list[str],
    eta: np.ndarray,
    *,
    link: str,
    offset: np.ndarray | None = None,
    exposure: str | None = None,
    offset_column: str | None = None,
) -> Prediction:
    """The :class:`Prediction` of a fit on a formula design (``core.design.Design``).

    ``names`` are the estimated slopes (columns of ``design.X``); ``eta`` the
    linear predictor on the sample, fixed effects and offset included.
    """
    from massincidents.core.design import design_rhs

    positions = [design.names.index(name) for name in names]
    recipe = NewData(
        rhs=design_rhs(design.formula),
        names=list(names),
        sample=sample,
        fixed_effects=tuple(design.formula.fixed_effects),
        exposure=exposure,
        offset=offset_column,
    )
    return Prediction(
        link=link,
        eta=np.asarray(eta, dtype=float),
        y=np.asarray(design.y, dtype=float),
        X=design.X[:, positions],
        offset=offset,
        fe=list(design.fe),
        newdata=recipe,
        index=design.index,
    )

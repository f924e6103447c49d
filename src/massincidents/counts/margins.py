r"""Average marginal effects of log-link count models, with delta-method standard errors.

For a fitted model with expected count :math:`m_i(\theta) = E[y_i \mid x_i]`
(:math:`\exp(\eta_i)` for Poisson and NB2; :math:`(1-\pi_i)\exp(\eta_i)` for the
zero-inflated models, with :math:`\pi_i` the probability of a structural
zero), the average marginal effect of a variable :math:`v` is the average,
over the rows of the estimation sample, of

* the derivative :math:`\partial m_i / \partial v_i` for a continuous
  variable, taken through every term of the formula in which :math:`v` appears
  (``x + I(x**2)``, ``np.log(x)``, interactions), and
* the discrete change :math:`m_i(v_i = 1) - m_i(v_i = 0)` for a variable whose
  values are only 0 and 1 (a policy dummy), all other variables at their
  observed values.

Fixed effects stay at their estimates, and the rows' offsets (exposure) at
their observed values: the effect is on the expected count of each row, not
on a rate per unit of exposure. Standard errors are by the delta method,
:math:`\nabla\mathrm{AME}'\,\hat V\,\nabla\mathrm{AME}`, with the model's
variance :math:`\hat V` (so clustered SEs give clustered AME SEs). When the
fixed effects are absorbed, the gradient follows the profile of the fixed
effects, along which :math:`\partial\eta_i/\partial\beta = \tilde x_i` (the
regressors partialled out of the fixed effects with the working weights):
for Poisson with fixed effects the fitted counts sum to the observed counts
within each group, so the AME of a linear regressor is
:math:`\hat\beta_j \bar y` with standard error :math:`\bar y\, \mathrm{se}(\hat\beta_j)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pandas as pd
from formulaic import Formula, model_matrix
from scipy import stats
from scipy.special import expit

from massincidents.core.design import FORMULA_CONTEXT, as_frame, design_rhs, formula_matrix
from massincidents.core.least_squares import column_scale

_NOT_VARIABLES = {"np", "C", "log", "exp", "sqrt", "center", "scale", "I"}


@dataclass
class MarginsInfo:
    """What a count model stores so that :func:`marginal_effects` can differentiate it.

    Attributes
    ----------
    count_rhs
        Right-hand side of the count part as evaluated by formulaic.
    count_names, count_positions
        Kept count-part columns and their positions in ``result.params``.
    eta
        Fitted count linear predictor (with offset and fixed effects).
    eta_jacobian
        :math:`\\partial\\eta/\\partial\\beta` on the estimation sample.
    used
        Rows of the input data used by the fit.
    fe_columns
        Columns that only define fixed effects (not differentiated).
    zero_rhs, zero_names, zero_positions, zero_eta
        The inflation part (zero-inflated models only).
    """

    count_rhs: str
    count_names: list[str]
    count_positions: np.ndarray
    eta: np.ndarray
    eta_jacobian: np.ndarray
    used: np.ndarray
    fe_columns: tuple[str, ...] = ()
    zero_rhs: str | None = None
    zero_names: list[str] = field(default_factory=list)
    zero_positions: np.ndarray | None = None
    zero_eta: np.ndarray | None = None

    @classmethod
    def for_count_model(cls, design, fit) -> MarginsInfo:
        """From a design and an IRLS fit (Poisson, NB2)."""
        parsed = design.formula
        return cls(
            count_rhs=design_rhs(parsed),
            count_names=list(fit.names),
            count_positions=np.arange(len(fit.names)),
            eta=fit.eta,
            eta_jacobian=fit.Xt,
            used=design.used,
            fe_columns=tuple(parsed.fe_columns),
        )


def _variables(rhs: str) -> list[str]:
    return [v for v in sorted(Formula(rhs).required_variables) if v not in _NOT_VARIABLES]


def _matrix(spec, rows: pd.DataFrame, names: list[str]) -> np.ndarray:
    mm = spec.get_model_matrix(rows, context=FORMULA_CONTEXT)
    return np.asarray(mm[names], dtype=float).reshape(len(rows), len(names))


def marginal_effects(
    result,
    data: pd.DataFrame,
    *,
    variables: list[str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    r"""Average marginal effects (AME) on the expected count, with delta-method SEs.

    .. math::

        \mathrm{AME}_v = \frac{1}{N}\sum_{i=1}^N \frac{\partial E[y_i \mid x_i]}{\partial v_i}
        \quad\text{or}\quad
        \frac{1}{N}\sum_{i=1}^N \big(E[y_i \mid x_i, v_i = 1] - E[y_i \mid x_i, v_i = 0]\big),

    averaged over the estimation sample, with :math:`E[y \mid x] = e^{\eta}`
    (Poisson, NB2) or :math:`(1-\pi)e^{\eta}` (zero-inflated).

    Parameters
    ----------
    result
        A fit of :func:`~massincidents.poisson`, :func:`~massincidents.negbin`
        (not ``conditional=True``: the conditional likelihood does not identify
        the expected count) or :func:`~massincidents.zero_inflated`.
    data
        The data the model was fitted on (the same rows, in the same order).
    variables
        Numeric columns to differentiate; default every numeric column in the
        formula (not the fixed effects). Variables whose values are all 0 or 1
        get the discrete change.
    level
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        One row per variable: ``term, estimate, std_error, statistic,
        p_value, conf_low, conf_high, kind`` (``"derivative"`` or
        ``"discrete change 0 to 1"``), with the model's reference distribution.

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(seed=1)
    >>> fit = mi.poisson("y ~ x1 + x2 | province + year", df, exposure="population")
    >>> ame = mi.marginal_effects(fit, df).set_index("term")
    >>> bool(abs(ame.loc["x1", "estimate"] - fit.params["x1"] * df["y"].mean()) < 1e-6)
    True
    """
    info = _margins_info(result)
    rows = _estimation_rows(info, data)
    variables = _variables_to_differentiate(info, rows, variables)
    params = result.params.to_numpy()
    model = _ExpectedCount.at_estimates(info, rows, params)
    unit = model.parameter_units(params)
    rows_out = []
    gradients = []
    for v in variables:
        values = rows[v].to_numpy(dtype=float)
        binary = np.isin(values, (0.0, 1.0)).all() and np.unique(values).size == 2
        if binary:
            ame, kind = model.discrete_change(v), "discrete change 0 to 1"
        else:
            ame, kind = model.derivative(v, values), "derivative"
        estimate = ame(params)
        gradients.append(_gradient(ame, params, unit))
        rows_out.append((v, estimate, kind))
    return _ame_table(rows_out, gradients, result, level)


def _margins_info(result) -> MarginsInfo:
    """What the fit stored for its marginal effects; fits of other models are refused."""
    info: MarginsInfo | None = getattr(result, "extra", {}).get("margins")
    if info is None:
        raise ValueError(
            f"marginal effects are not available for {getattr(result, 'model', result)!r}: "
            "use a fit of mi.poisson, mi.negbin (conditional=False) or mi.zero_inflated"
        )
    return info


def _estimation_rows(info: MarginsInfo, data: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``data`` the fit used; ``data`` must be the data of the fit."""
    frame = as_frame(data)
    if len(frame) != info.used.shape[0]:
        raise ValueError(
            "pass the data the model was fitted on: "
            f"it had {info.used.shape[0]} rows, this has {len(frame)}"
        )
    return frame.iloc[np.flatnonzero(info.used)]


def _variables_to_differentiate(
    info: MarginsInfo, rows: pd.DataFrame, variables: list[str] | None
) -> list[str]:
    """The numeric variables of the formula (not fixed effects), or the chosen ones among them."""
    candidates = _variables(info.count_rhs) + (_variables(info.zero_rhs) if info.zero_rhs else [])
    candidates = [v for v in dict.fromkeys(candidates) if v not in info.fe_columns]
    numeric = [
        v for v in candidates if v in rows.columns and pd.api.types.is_numeric_dtype(rows[v])
    ]
    if variables is None:
        return numeric
    bad = [v for v in variables if v not in numeric]
    if bad:
        raise ValueError(
            f"cannot differentiate {bad}: choose numeric variables of the formula ({numeric})"
        )
    return variables


@dataclass
class _ExpectedCount:
    r"""The expected count of every row as a function of the parameters :math:`\theta`.

    Linear indices move along :math:`\partial\eta/\partial\beta` (the profile
    of absorbed fixed effects) from their fitted values; ``X`` and ``Z`` are
    the design matrices of the count and inflation parts on the rows.
    """

    info: MarginsInfo
    rows: pd.DataFrame
    count_spec: object
    X: np.ndarray
    zero_spec: object | None
    Z: np.ndarray | None
    beta_hat: np.ndarray
    gamma_hat: np.ndarray | None

    @classmethod
    def at_estimates(
        cls, info: MarginsInfo, rows: pd.DataFrame, params: np.ndarray
    ) -> _ExpectedCount:
        count_spec = formula_matrix(info.count_rhs, rows).model_spec
        zero_spec = Z = None
        if info.zero_rhs is not None:
            zero_spec = model_matrix(info.zero_rhs, rows).model_spec
            Z = _matrix(zero_spec, rows, info.zero_names)
        return cls(
            info=info,
            rows=rows,
            count_spec=count_spec,
            X=_matrix(count_spec, rows, info.count_names),
            zero_spec=zero_spec,
            Z=Z,
            beta_hat=params[info.count_positions],
            gamma_hat=params[info.zero_positions] if info.zero_positions is not None else None,
        )

    def parameter_units(self, params: np.ndarray) -> np.ndarray:
        """RMS size of each parameter's column in its linear index (1 for other parameters)."""
        # Finite-difference steps in the parameters, in the units of each parameter:
        # a step that moves its linear index by about 1e-6 (RMS over the rows), so
        # the gradient does not depend on the units of the regressors.
        unit = np.ones_like(params)
        unit[self.info.count_positions] = column_scale(self.info.eta_jacobian)
        if self.info.zero_positions is not None:
            unit[self.info.zero_positions] = column_scale(cast(np.ndarray, self.Z))
        return unit

    def linear_parts(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Count and inflation linear indices at ``theta``."""
        info = self.info
        eta = info.eta + info.eta_jacobian @ (theta[info.count_positions] - self.beta_hat)
        if self.gamma_hat is None:
            return eta, None
        zeta = info.zero_eta + self.Z @ (theta[info.zero_positions] - self.gamma_hat)
        return eta, zeta

    @staticmethod
    def mean_count(eta: np.ndarray, zeta: np.ndarray | None) -> np.ndarray:
        return np.exp(eta) if zeta is None else expit(-zeta) * np.exp(eta)

    def design_change(
        self, changed: pd.DataFrame, base: pd.DataFrame | None = None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Count and inflation design matrices at ``changed`` minus at ``base`` (or the data)."""
        info = self.info
        dX = _matrix(self.count_spec, changed, info.count_names) - (
            self.X if base is None else _matrix(self.count_spec, base, info.count_names)
        )
        dZ = None
        if self.zero_spec is not None:
            dZ = _matrix(self.zero_spec, changed, info.zero_names) - (
                self.Z if base is None else _matrix(self.zero_spec, base, info.zero_names)
            )
        return dX, dZ

    def discrete_change(self, v: str) -> Callable[[np.ndarray], float]:
        r"""The AME of a 0/1 variable: mean of :math:`m_i(v_i = 1) - m_i(v_i = 0)`."""
        info = self.info
        at = {a: self.rows.assign(**{v: float(a)}) for a in (0, 1)}
        changes = {a: self.design_change(at[a]) for a in (0, 1)}
        dX = {a: changes[a][0] for a in (0, 1)}
        dZ = {a: cast(np.ndarray, changes[a][1]) for a in (0, 1)}  # used with an inflation part

        def ame(theta: np.ndarray) -> float:
            eta, zeta = self.linear_parts(theta)
            beta = theta[info.count_positions]
            total = 0.0
            for a, sign in ((1, 1.0), (0, -1.0)):
                z_a = None if zeta is None else zeta + dZ[a] @ theta[info.zero_positions]
                total += sign * self.mean_count(eta + dX[a] @ beta, z_a).mean()
            return float(total)

        return ame

    def derivative(self, v: str, values: np.ndarray) -> Callable[[np.ndarray], float]:
        r"""The AME of a continuous variable: mean of :math:`\partial m_i/\partial v_i`."""
        info = self.info
        scale = float(np.std(values)) or 1.0
        h = 1e-5 * scale
        up, down = self.rows.assign(**{v: values + h}), self.rows.assign(**{v: values - h})
        dX, dZ = self.design_change(up, down)
        dX = dX / (2 * h)
        dZ = dZ / (2 * h) if dZ is not None else None
        if not (np.isfinite(dX).all() and (dZ is None or np.isfinite(dZ).all())):
            raise ValueError(f"the formula is not differentiable in {v!r} at every row")

        def ame(theta: np.ndarray) -> float:
            eta, zeta = self.linear_parts(theta)
            d_eta = dX @ theta[info.count_positions]
            if zeta is None:
                return float((np.exp(eta) * d_eta).mean())
            pi = expit(zeta)
            d_zeta = dZ @ theta[info.zero_positions]
            return float(((1 - pi) * np.exp(eta) * (d_eta - pi * d_zeta)).mean())

        return ame


def _gradient(
    ame: Callable[[np.ndarray], float], params: np.ndarray, unit: np.ndarray
) -> np.ndarray:
    """Central finite differences of ``ame`` in each parameter, steps in its units."""
    grad = np.zeros_like(params)
    for j in range(params.shape[0]):
        step = 1e-6 * max(abs(params[j]) * unit[j], 1.0) / unit[j]
        plus, minus = params.copy(), params.copy()
        plus[j] += step
        minus[j] -= step
        grad[j] = (ame(plus) - ame(minus)) / (2 * step)
    return grad


def _ame_table(
    rows_out: list[tuple[str, float, str]],
    gradients: list[np.ndarray],
    result,
    level: float,
) -> pd.DataFrame:
    """Estimates with delta-method SEs, tests and intervals in the model's distribution."""
    params = result.params.to_numpy()
    G = np.array(gradients).reshape(len(rows_out), params.shape[0])
    V = G @ result.vcov.to_numpy() @ G.T
    se = np.sqrt(np.diag(V))
    est = np.array([r[1] for r in rows_out])
    stat = est / se
    df = result.df_inference
    if df is None:
        p = 2 * stats.norm.sf(np.abs(stat))
        crit = stats.norm.ppf(0.5 + level / 2)
    else:
        p = 2 * stats.t.sf(np.abs(stat), df)
        crit = stats.t.ppf(0.5 + level / 2, df)
    return pd.DataFrame(
        {
            "term": [r[0] for r in rows_out],
            "estimate": est,
            "std_error": se,
            "statistic": stat,
            "p_value": p,
            "conf_low": est - crit * se,
            "conf_high": est + crit * se,
            "kind": [r[2] for r in rows_out],
        }
    )

r"""Linear panel regression: pooled OLS and fixed effects absorbed in any number.

.. math::

    y_{it} = x_{it}'\beta + \alpha_i + \gamma_t + \varepsilon_{it}

``mi.linear("y ~ x1 + x2", data)`` is pooled OLS with an intercept;
``mi.linear("y ~ x1 + x2 | province + year", data)`` absorbs the fixed effects
listed after ``|`` (one-way, two-way, or more, and interactions ``a^b``). The
slopes are computed on the variables partialled out of the fixed effects
(Frisch-Waugh-Lovell), so the fixed effects are never estimated as dummies.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from massincidents.demean import demean, fe_degrees_of_freedom
from massincidents.design import Design, as_frame, build_design, drop_collinear
from massincidents.errors import DataError, Problem
from massincidents.inference.vcov import VcovSpec, compute_vcov, parse_vcov
from massincidents.results import Result


def default_vcov(fixed_effects: tuple[str, ...]) -> object:
    """fixest's default: clustered by the first fixed effect, else iid."""
    if fixed_effects and "^" not in fixed_effects[0]:
        return {"CRV1": fixed_effects[0]}
    return "iid"


def vcov_columns(spec: VcovSpec, frame: pd.DataFrame, used: np.ndarray) -> dict[str, np.ndarray]:
    """The cluster or time columns a variance choice needs, on the rows used."""
    missing = [c for c in spec.columns if c not in frame.columns]
    if missing:
        raise DataError([Problem("variance column not found in the data", column=c) for c in missing])
    rows = frame.iloc[np.flatnonzero(used)]
    out = {}
    for column in spec.columns:
        values = rows[column]
        if values.isna().any():
            raise DataError(
                [Problem(f"{int(values.isna().sum())} missing value(s) in a variance column", column=column)]
            )
        out[column] = values.to_numpy()
    return out


def fit_least_squares(
    design: Design,
    frame: pd.DataFrame,
    *,
    vcov: object,
    model: str,
    formula: str,
    X: np.ndarray | None = None,
    y: np.ndarray | None = None,
    fe_dof: int | None = None,
    extra_stats: dict[str, float] | None = None,
    extra: dict[str, Any] | None = None,
) -> Result:
    """Least squares on (already transformed) ``y`` and ``X``, with the variance menu.

    Used by :func:`linear` and by the panel transformations (between, first
    difference, random effects), which pass their transformed ``y`` and ``X``.
    """
    X = design.X if X is None else X
    y = design.y if y is None else y
    names = list(design.names)
    norms_before = np.sqrt((X**2).sum(axis=0))
    absorbed = None
    if design.fe:
        X = demean(X, design.fe)
        y = demean(y, design.fe)
        absorbed = norms_before
    X, names, dropped = drop_collinear(X, names, absorbed=absorbed)
    if not names:
        raise DataError([Problem("no regressor is left to estimate")])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    n, k = X.shape
    if fe_dof is None:
        fe_dof = fe_degrees_of_freedom(design.fe)
    bread = np.linalg.inv(X.T @ X)
    scores = X * resid[:, None]
    rss = float(resid @ resid)
    df_resid = n - k - fe_dof
    if df_resid <= 0:
        raise DataError([Problem(f"no residual degrees of freedom ({n} rows, {k + fe_dof} parameters)")])
    sigma2 = rss / df_resid

    def revcov(choice: object) -> tuple[np.ndarray, float | None, str]:
        spec = parse_vcov(choice)
        columns = vcov_columns(spec, frame, design.used)
        matrix, df = compute_vcov(
            spec,
            bread=bread,
            scores=scores,
            family="ls",
            n_params=k,
            fe=design.fe,
            fe_dof=fe_dof,
            columns=columns,
            sigma2=sigma2,
        )
        return matrix, df, spec.label

    matrix, df, label = revcov(vcov)
    y_raw = design.y
    tss = float(((y_raw - y_raw.mean()) ** 2).sum())
    fit_stats = {"r2": 1 - rss / tss if tss > 0 else float("nan"), "rss": rss, "sigma": float(np.sqrt(sigma2))}
    if design.fe:
        tss_within = float((y**2).sum())
        fit_stats["r2_within"] = 1 - rss / tss_within if tss_within > 0 else float("nan")
    fit_stats.update(extra_stats or {})
    return Result(
        model=model,
        formula=formula,
        params=pd.Series(beta, index=names),
        vcov=pd.DataFrame(matrix, index=names, columns=names),
        vcov_label=label,
        df_inference=df,
        nobs=n,
        left_out=dict(design.left_out),
        fixed_effects=design.fe_names,
        link="identity",
        stats=fit_stats,
        dropped={name: "collinear" for name in dropped},
        extra=dict(extra or {}),
        _revcov=revcov,
    )


def linear(
    formula: str,
    data: pd.DataFrame,
    *,
    vcov: object | None = None,
    drop_singletons: bool = True,
) -> Result:
    r"""Pooled OLS, or OLS with absorbed fixed effects.

    .. math::

        y_{it} = x_{it}'\beta + \sum_{m} \alpha^{(m)}_{g_m(it)} + \varepsilon_{it}

    Parameters
    ----------
    formula
        fixest grammar: ``"y ~ x1 + x2"`` (pooled, with intercept) or
        ``"y ~ x1 + x2 | province + year"`` (two-way fixed effects absorbed).
    data
        A DataFrame; index levels named ``province``/``year`` (as
        :func:`read_panel` returns) can be used as columns.
    vcov
        A choice from the variance menu: ``"iid"``, ``"hetero"`` (HC1),
        ``{"CRV1": "province"}``, ``{"CRV1": "province+year"}``,
        ``{"CRV0": ...}``, ``{"DK": lags}``. Default as fixest: clustered by
        the first fixed effect when there is one, else iid. CRV1 uses
        :math:`\frac{G}{G-1}\frac{N-1}{N-K}` with fixed effects nested in the
        clusters not counted in :math:`K` (Stata, reghdfe); t reference with
        :math:`G-1` degrees of freedom.
    drop_singletons
        Leave out observations alone in a fixed-effect group (reported).

    Returns
    -------
    Result
        With ``stats`` ``r2``, ``r2_within`` (with fixed effects), ``rss``,
        ``sigma``; terms dropped for collinearity (for example a regressor
        absorbed by the fixed effects) in ``dropped``, with a
        :class:`~massincidents.design.CollinearityWarning`.

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(seed=1)
    >>> fit = mi.linear("y_linear ~ x1 + x2 | province + year", df)
    >>> round(float(fit.params["x1"]), 2), fit.vcov_label
    (0.3, 'CRV1 by province')
    """
    frame = as_frame(data)
    parsed_fe = build_design(formula, frame, drop_singletons=drop_singletons)
    choice = vcov if vcov is not None else default_vcov(parsed_fe.fe_names)
    return fit_least_squares(
        parsed_fe,
        frame,
        vcov=choice,
        model="OLS" if not parsed_fe.fe else "OLS, fixed effects absorbed",
        formula=formula,
    )

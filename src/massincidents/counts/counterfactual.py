r"""Counterfactual totals of log-link count models: ``mi.counterfactual``.

For a fitted count model with expected counts

.. math::

    \hat\mu_i = \exp\big(x_i'\hat\beta + \hat\alpha_{g(i)} + o_i\big)

on the rows :math:`i = 1..N` it used (fixed effects :math:`\hat\alpha`, offset
or log exposure :math:`o_i`), moving one term :math:`x_j` by :math:`s` in every
row multiplies each expected count by :math:`e^{\hat\beta_j s}`, so

.. math::

    F = \sum_i \hat\mu_i, \qquad
    C_j(s) = \sum_i \hat\mu_i\, e^{\hat\beta_j s}, \qquad
    \Delta_j(s) = C_j(s) - F, \qquad
    100\,\frac{\Delta_j(s)}{F} = 100\,\big(e^{\hat\beta_j s} - 1\big).

The change is in expected counts over the estimation sample (events over all
the province-years used, at their observed exposure), not per year or per
person. Its uncertainty comes from :math:`\hat\beta` only; see
:func:`counterfactual` for the delta method and the bootstrap alternatives.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from massincidents.inference.bootstrap import BootstrapResult
from massincidents.inference.vcov import VcovChoice

COLUMNS = [
    "term",
    "shift",
    "fitted_total",
    "counterfactual_total",
    "change",
    "change_low",
    "change_high",
    "percent_change",
    "percent_low",
    "percent_high",
]


def _check_result(result: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fitted means, their derivative in the count parameters, and the parameters' positions."""
    model = getattr(result, "model", type(result).__name__)
    if getattr(result, "link", None) != "log" or not hasattr(result, "params"):
        raise ValueError(
            f"counterfactual needs a log-link count model (mi.poisson, mi.negbin); "
            f"got {model!r} with link {getattr(result, 'link', None)!r}"
        )
    extra = getattr(result, "extra", {}) or {}
    info = extra.get("margins")
    mu = extra.get("mu")
    if info is None or mu is None or getattr(info, "zero_rhs", None) is not None:
        raise ValueError(
            f"counterfactual totals are not available for {model!r}: it does not estimate the "
            "expected count of each row (use mi.poisson or mi.negbin with conditional=False; "
            "zero-inflated models and the conditional FE negative binomial are not supported)"
        )
    mu = np.asarray(mu, dtype=float)
    jac = np.asarray(info.eta_jacobian, dtype=float).reshape(mu.shape[0], -1)
    positions = np.asarray(info.count_positions, dtype=int)
    return mu, jac, positions


def _check_shift(result: Any, shift: Mapping[str, float]) -> list[tuple[str, float]]:
    if not isinstance(shift, Mapping):
        raise TypeError(
            f"shift must be a mapping of term to change, e.g. {{'x1': 1.0}}; "
            f"got {type(shift).__name__}"
        )
    if not shift:
        raise ValueError("shift is empty: name at least one term and its change")
    names = list(result.params.index)
    dropped = getattr(result, "dropped", {}) or {}
    out = []
    for term, value in shift.items():
        if term not in names:
            if term in dropped:
                raise ValueError(
                    f"term {term!r} was dropped from the model ({dropped[term]}): "
                    "it has no coefficient to shift"
                )
            raise ValueError(
                f"term {term!r} is not a coefficient of the model; its terms are: "
                f"{', '.join(names)}"
            )
        try:
            s = float(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"the shift of term {term!r} must be a number, got {value!r}"
            ) from None
        if not np.isfinite(s):
            raise ValueError(f"the shift of term {term!r} must be finite, got {value!r}")
        out.append((str(term), s))
    return out


def _covariance(result: Any, vcov: object | None) -> tuple[np.ndarray, str]:
    """The covariance of the parameters, as an array ordered like ``result.params``."""
    names = list(result.params.index)
    k = len(names)
    if vcov is None:
        return result.vcov.to_numpy(dtype=float), str(result.vcov_label)
    if isinstance(vcov, pd.DataFrame):
        missing = [t for t in names if t not in vcov.index or t not in vcov.columns]
        if missing:
            raise ValueError(f"the vcov DataFrame lacks rows or columns for terms {missing}")
        matrix = vcov.loc[names, names].to_numpy(dtype=float)
        label = "user-supplied covariance"
    elif isinstance(vcov, np.ndarray):
        matrix = np.asarray(vcov, dtype=float)
        if matrix.shape != (k, k):
            raise ValueError(
                f"the vcov array must be {k} x {k} (the model's terms {names}), "
                f"got shape {matrix.shape}"
            )
        label = "user-supplied covariance"
    else:
        refit = result.with_vcov(vcov)
        return refit.vcov.to_numpy(dtype=float), str(refit.vcov_label)
    if not np.isfinite(matrix).all():
        raise ValueError("the vcov matrix has non-finite entries")
    if not np.allclose(matrix, matrix.T, rtol=1e-8, atol=1e-12 * np.abs(matrix).max()):
        raise ValueError("the vcov matrix is not symmetric")
    return matrix, label


def _draws(result: Any, draws: object) -> np.ndarray:
    names = list(result.params.index)
    if isinstance(draws, pd.DataFrame):
        missing = [t for t in names if t not in draws.columns]
        if missing:
            raise ValueError(f"the draws lack columns for terms {missing}")
        matrix = draws[names].to_numpy(dtype=float)
    else:
        matrix = np.asarray(draws, dtype=float)
        if matrix.ndim == 1 and len(names) == 1:
            matrix = matrix[:, None]
        if matrix.ndim != 2 or matrix.shape[1] != len(names):
            raise ValueError(
                f"draws must have one column per term ({len(names)}: {names}), "
                f"got shape {matrix.shape}"
            )
    if matrix.shape[0] < 2:
        raise ValueError("draws needs at least two rows (coefficient draws)")
    if not np.isfinite(matrix).all():
        raise ValueError("the draws have non-finite values")
    return matrix


def _bootstrap_intervals(
    result: Any,
    bootstrap: BootstrapResult | Mapping[str, BootstrapResult],
    terms: list[str],
    level: float,
) -> dict[str, tuple[float, float]]:
    if isinstance(bootstrap, BootstrapResult):
        bootstrap = {bootstrap.param: bootstrap}
    if not isinstance(bootstrap, Mapping):
        raise TypeError(
            "bootstrap must be a BootstrapResult of mi.wild_bootstrap or a mapping of term to one"
        )
    out = {}
    for term in terms:
        if term not in bootstrap:
            raise ValueError(
                f"no bootstrap result for term {term!r}: pass mi.wild_bootstrap(result, {term!r}) "
                "for every shifted term"
            )
        boot = bootstrap[term]
        if boot.param != term:
            raise ValueError(f"the bootstrap result given for term {term!r} tests {boot.param!r}")
        if boot.conf_int is None:
            raise ValueError(
                f"the bootstrap result for term {term!r} has no confidence interval "
                "(it was run with conf_int=False)"
            )
        if abs(boot.level - level) > 1e-12:
            raise ValueError(
                f"the bootstrap interval for term {term!r} has level {boot.level:g}, "
                f"not the requested {level:g}"
            )
        estimate = float(result.params[term])
        if abs(boot.estimate - estimate) > 1e-6 * max(1.0, abs(estimate)):
            raise ValueError(
                f"the bootstrap result for term {term!r} is of another fit "
                f"(estimate {boot.estimate:.6g}, the model's {estimate:.6g})"
            )
        out[term] = (float(boot.conf_int[0]), float(boot.conf_int[1]))
    return out


def counterfactual(
    result: Any,
    shift: Mapping[str, float],
    *,
    level: float = 0.95,
    vcov: VcovChoice | None = None,
    draws: object | None = None,
    bootstrap: BootstrapResult | Mapping[str, BootstrapResult] | None = None,
) -> pd.DataFrame:
    r"""Expected total count if one term were shifted in every row, with intervals.

    For a log-link count model fitted on rows :math:`i = 1..N`, with fitted
    means :math:`\hat\mu_i = \exp(x_i'\hat\beta + \hat\alpha_{g(i)} + o_i)`
    (fixed effects and offset or log exposure included), each term
    :math:`x_j` named in ``shift`` is moved alone by :math:`s_j` in every row
    (:math:`x_{ij} \to x_{ij} + s_j`, the other terms as observed):

    .. math::

        F = \sum_{i=1}^N \hat\mu_i, \qquad
        C_j = \sum_{i=1}^N \hat\mu_i\, e^{\hat\beta_j s_j}, \qquad
        \Delta_j = C_j - F, \qquad
        P_j = 100\,\frac{\Delta_j}{F} = 100\,\big(e^{\hat\beta_j s_j} - 1\big).

    Intervals (default): the delta method on the parameters :math:`\theta`
    with the model's covariance :math:`\hat V` (``result.vcov``), the
    interval being :math:`\hat\Delta_j \pm z\,\mathrm{se}(\hat\Delta_j)` with
    :math:`z` the ``(1 + level)/2`` quantile of the model's reference
    distribution and

    .. math::

        \mathrm{se}^2(\hat\Delta_j) = g_j' \hat V g_j, \qquad
        g_j = \frac{\partial\Delta_j}{\partial\theta}
            = \big(e^{\hat\beta_j s_j} - 1\big) \sum_i \hat\mu_i\, \tilde x_i
              + s_j\, C_j\, e_j,

    and :math:`\mathrm{se}(\hat P_j) = 100\,|s_j|\, e^{\hat\beta_j s_j}\,
    \mathrm{se}(\hat\beta_j)`. The fixed effects are held at their estimates:
    their own sampling variance is not added. Formally they follow their
    profile :math:`\hat\alpha(\beta)`, so :math:`\tilde x_i =
    \partial\eta_i/\partial\beta` is :math:`x_i` partialled out of the fixed
    effects with the working weights (:math:`x_i` itself without fixed
    effects), which makes the result invariant to how :math:`x` is centred.
    The weights are the working (expected-information) weights of the fit,
    :math:`\hat\mu` for Poisson, for which this profile is exact, and
    :math:`\hat\mu/(1 + \hat\mu/\hat\theta)` for NB2 (as in
    :func:`~massincidents.marginal_effects`), where the exact profile at fixed
    :math:`\theta` would use the observed-information weights
    :math:`\hat\mu\hat\theta(\hat\theta + y)/(\hat\theta + \hat\mu)^2`; the
    two differ in finite samples (by about 2% in the standard error of the
    change in the tests' 10-by-8 panel) and agree as the rows per
    fixed-effect group grow.
    For Poisson with fixed effects :math:`\sum_i \hat\mu_i \tilde x_i = 0`, the
    fitted total equals the observed total of the rows used, and
    :math:`\mathrm{se}(\hat\Delta_j) = |s_j|\, C_j\, \mathrm{se}(\hat\beta_j)`.
    The interval is thus for the change implied by the fitted baseline; as an
    interval for the change in the true expected total it leaves out the
    sampling noise of the baseline (for Poisson with fixed effects, of the
    observed total) and is too narrow by that. Delta-method intervals are
    symmetric, so for large shifts the lower end of :math:`P_j` can fall
    below :math:`-100`; the ``bootstrap`` mapping cannot.

    Parameters
    ----------
    result
        A fit of :func:`~massincidents.poisson` or :func:`~massincidents.negbin`
        (``conditional=False``), with or without absorbed fixed effects and
        exposure or offset.
    shift
        ``{term: s}``: the change of each term, in the units of the term as it
        enters the model (a column of the design: a shift of 1 in
        ``np.log(x)`` multiplies :math:`x` by :math:`e`; an interaction
        ``x:z`` is not moved by shifting ``x``). Each term is shifted alone.
    level
        Coverage of the intervals.
    vcov
        Default ``None``: the model's own covariance ``result.vcov`` (for
        ``mi.poisson`` and ``mi.negbin`` with fixed effects, CRV1 by the first
        fixed effect unless the fit chose otherwise). Otherwise a replacement
        covariance for the delta method: a choice of the variance
        menu (``"hetero"``, ``{"CRV1": "province"}``, ...; recomputed with
        :meth:`~massincidents.results.Result.with_vcov`), or a matrix (a
        DataFrame labelled by term, or a :math:`k\times k` array ordered like
        ``result.params``).
    draws
        Coefficient draws, shape ``(B, k)`` (or a DataFrame with a column per
        term), e.g. from a cluster bootstrap you ran yourself: percentile
        intervals of :math:`\Delta_j(\theta_b) = \big(F + \sum_i \hat\mu_i
        \tilde x_i'(\theta_b - \hat\theta)\big)(e^{\theta_{bj} s_j} - 1)` and
        :math:`P_j(\theta_b)`, the fitted total following the profile of the
        fixed effects to first order (for Poisson with fixed effects it stays
        at :math:`F`, as it does exactly along the profile).
        (:func:`~massincidents.wild_bootstrap` returns no draws; pass it as
        ``bootstrap``.)
    bootstrap
        Results of :func:`~massincidents.wild_bootstrap` (one, or a mapping
        term to result, one per shifted term, at ``level``): the bootstrap
        interval :math:`[l, u]` of :math:`\beta_j` is carried through the
        monotone maps :math:`b \mapsto F(e^{b s_j} - 1)` and
        :math:`b \mapsto 100(e^{b s_j} - 1)`, the fitted means held at their
        estimates. For Poisson with fixed effects this is exact along the
        profile of the fixed effects (the fitted total stays at the observed
        total); otherwise it ignores the uncertainty of the other parameters.

    Returns
    -------
    pandas.DataFrame
        One row per term: ``term, shift, fitted_total, counterfactual_total,
        change, change_low, change_high, percent_change, percent_low,
        percent_high``. ``attrs`` records ``interval`` (how the intervals were
        made), ``level`` and ``nobs`` (rows used by the model).

    Raises
    ------
    ValueError
        A result that is not a log-link count model with fitted means; a term
        that is not a coefficient of the model (the message names it and the
        model's terms) or was dropped as collinear; a non-finite shift; a
        level outside (0, 1); a covariance, draws or bootstrap result that
        does not fit the model; more than one of ``vcov``, ``draws``,
        ``bootstrap``.
    TypeError
        ``shift`` not a mapping.

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(seed=1)
    >>> fit = mi.poisson("y ~ x1 + x2 | province + year", df, exposure="population")
    >>> cf = mi.counterfactual(fit, {"x1": 1.0, "x2": -0.5})
    >>> list(cf["term"])
    ['x1', 'x2']
    >>> bool(abs(cf["fitted_total"].iloc[0] - df["y"].sum()) < 1e-6 * df["y"].sum())
    True
    >>> row = cf.iloc[0]
    >>> bool(row["change_low"] < row["change"] < row["change_high"])
    True
    """
    mu, jac, positions = _check_result(result)
    pairs = _check_shift(result, shift)
    if isinstance(level, bool) or not (isinstance(level, numbers.Real) and 0 < level < 1):
        raise ValueError(f"level must be between 0 and 1, got {level!r}")
    chosen = [
        name
        for name, v in (("vcov", vcov), ("draws", draws), ("bootstrap", bootstrap))
        if v is not None
    ]
    if len(chosen) > 1:
        raise ValueError(f"give at most one of vcov, draws, bootstrap; got {' and '.join(chosen)}")

    params = result.params.to_numpy(dtype=float)
    names = list(result.params.index)
    k = len(names)
    total = float(mu.sum())
    # d(sum mu)/d(theta) along the profile of the fixed effects
    dtotal = np.zeros(k)
    dtotal[positions] = mu @ jac

    rows = []
    for term, s in pairs:
        j = names.index(term)
        factor = float(np.exp(params[j] * s))
        cf_total = total * factor
        rows.append(
            {
                "term": term,
                "shift": s,
                "fitted_total": total,
                "counterfactual_total": cf_total,
                "change": cf_total - total,
                "percent_change": 100.0 * (factor - 1.0),
            }
        )
    out = pd.DataFrame(rows)

    if bootstrap is not None:
        bounds = _bootstrap_intervals(result, bootstrap, [t for t, _ in pairs], level)
        lows, highs, plows, phighs = [], [], [], []
        for term, s in pairs:
            ends = sorted(np.expm1(np.array(bounds[term]) * s)) if s != 0 else [0.0, 0.0]
            lows.append(total * ends[0])
            highs.append(total * ends[1])
            plows.append(100.0 * ends[0])
            phighs.append(100.0 * ends[1])
        interval = f"wild cluster bootstrap interval of the coefficient, mapped ({level:g})"
    elif draws is not None:
        theta = _draws(result, draws)
        delta = theta - params
        base = total + delta @ dtotal  # fitted total at each draw (profile, first order)
        q = [50.0 * (1.0 - level), 50.0 * (1.0 + level)]
        lows, highs, plows, phighs = [], [], [], []
        for term, s in pairs:
            j = names.index(term)
            growth = np.expm1(theta[:, j] * s)
            lo, hi = np.percentile(base * growth, q)
            plo, phi = np.percentile(100.0 * growth, q)
            lows.append(lo)
            highs.append(hi)
            plows.append(plo)
            phighs.append(phi)
        interval = f"percentiles of {theta.shape[0]} coefficient draws ({level:g})"
    else:
        V, label = _covariance(result, vcov)
        df = getattr(result, "df_inference", None)
        q = 0.5 + level / 2
        crit = float(stats.norm.ppf(q) if df is None else stats.t.ppf(q, df))
        lows, highs, plows, phighs = [], [], [], []
        for (term, s), row in zip(pairs, rows, strict=True):
            j = names.index(term)
            factor = row["counterfactual_total"] / total
            grad = (factor - 1.0) * dtotal
            grad[j] += s * row["counterfactual_total"]
            se = float(np.sqrt(max(grad @ V @ grad, 0.0)))
            se_pct = 100.0 * abs(s) * factor * float(np.sqrt(max(V[j, j], 0.0)))
            lows.append(row["change"] - crit * se)
            highs.append(row["change"] + crit * se)
            plows.append(row["percent_change"] - crit * se_pct)
            phighs.append(row["percent_change"] + crit * se_pct)
        interval = f"delta method, {label} ({level:g})"

    out["change_low"] = np.asarray(lows, dtype=float)
    out["change_high"] = np.asarray(highs, dtype=float)
    out["percent_low"] = np.asarray(plows, dtype=float)
    out["percent_high"] = np.asarray(phighs, dtype=float)
    out = out[COLUMNS]
    out.attrs.update({"interval": interval, "level": float(level), "nobs": int(result.nobs)})
    return out

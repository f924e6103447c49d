r"""Iteratively reweighted least squares for log-link count GLMs with absorbed fixed effects.

For the mean :math:`\mu_i = \exp(\eta_i)`, :math:`\eta_i = x_i'\beta +
\sum_m \alpha^{(m)}_{g_m(i)} + o_i` and variance :math:`V(\mu)` (Poisson:
:math:`\mu`; NB2 with known :math:`\theta`: :math:`\mu + \mu^2/\theta`), each
iteration forms the working variable and weights

.. math::

    z_i = \eta_i - o_i + \frac{y_i - \mu_i}{\mu_i}, \qquad w_i = \frac{\mu_i^2}{V(\mu_i)},

partials the fixed effects out of :math:`z` and :math:`X` with weights
:math:`w` (:func:`~massincidents.core.demean.demean`), and solves the weighted
least-squares problem of :math:`\tilde z` on :math:`\tilde X` (Frisch-Waugh-
Lovell: the same :math:`\beta` as with the dummies). The new linear predictor
is :math:`\eta = z - (\tilde z - \tilde X\beta) + o`. This is the algorithm of
fixest's ``feglm`` and Stata's ``ppmlhdfe`` (Correia, Guimarães and Zylkin
2020); convergence is declared, as in R's ``glm`` and fixest, when
:math:`|D - D_{\text{old}}| / (0.1 + |D|) < \text{tol}` for the deviance
:math:`D` (default :math:`10^{-10}`; :func:`~massincidents.counts.poisson`
uses fixest's :math:`10^{-8}`), with the partialling of the last iterations at
:math:`10^{-12}`; IRLS converges quadratically, so the estimates are then exact
far beyond the digits a table prints. For Poisson, the fixed effects are then
brought to their exact maximum given :math:`\beta` (:func:`fit_fixed_effects`),
so that every group's fitted total equals its observed total whatever the
tolerance.

The variance needs :math:`\tilde X` partialled with the weights of the final
:math:`\mu`: one more partialling pass is made at them. (Reusing the last
iteration's instead was measured and refused: near convergence the linear
predictor of rows with tiny means still moves by about 1e-5, so their weights
are not yet final.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import xlogy

from massincidents.core.demean import ConvergenceError, demean, stack_codes
from massincidents.core.design import drop_collinear
from massincidents.core.least_squares import least_squares
from massincidents.errors import DataError, Problem

_ETA_MAX = 700.0


@dataclass
class IrlsFit:
    """A converged log-link GLM fit.

    Attributes
    ----------
    beta
        Slopes, for the columns in ``keep``.
    eta, mu
        Linear predictor (with offset and fixed effects) and mean.
    Xt
        The kept columns of ``X`` partialled out of the fixed effects with the
        final weights (``X`` itself without fixed effects): the derivative of
        :math:`\\eta` with respect to :math:`\\beta` along the profile of the
        fixed effects.
    weights
        Final working weights :math:`w = \\mu^2/V(\\mu)`.
    keep
        Positions of the columns of ``X`` kept (not collinear).
    names, dropped
        Names kept and names dropped as collinear.
    deviance
        Final deviance.
    iterations
        Number of IRLS iterations.
    bread
        :math:`(\tilde X'W\tilde X)^{-1}` at the final weights, from the
        least-squares kernel (computed on the equilibrated columns).
    condition_number
        Condition number of the equilibrated weighted design
        :math:`W^{1/2}\tilde X S^{-1}` (unit-free).
    """

    beta: np.ndarray
    eta: np.ndarray
    mu: np.ndarray
    Xt: np.ndarray
    weights: np.ndarray
    keep: np.ndarray
    names: list[str]
    dropped: list[str]
    deviance: float
    iterations: int
    bread: np.ndarray
    condition_number: float


def deviance(
    y: np.ndarray, mu: np.ndarray, theta: float | None = None, *, y_log_y: float | None = None
) -> float:
    """Poisson deviance, or NB2 deviance at a known :math:`\\theta`.

    ``y_log_y`` is :math:`\\sum_i y_i \\log y_i` when the caller has it (IRLS
    computes it once, not at every iteration).
    """
    if theta is None:
        if y_log_y is None:
            y_log_y = float(xlogy(y, y).sum())
        return float(2.0 * (y_log_y - (xlogy(y, mu) + (y - mu)).sum()))
    return float(
        2.0
        * np.sum(
            xlogy(y, y) - xlogy(y, mu) - (y + theta) * (np.log(y + theta) - np.log(mu + theta))
        )
    )


#: Condition number of the equilibrated normal equations below which an IRLS step
#: solves them directly (at most 5 of 16 digits lost, and the step is then corrected
#: by the next iteration); above it, the step goes to the least-squares kernel's QR.
_STEP_CONDITION = 1e5


def weighted_least_squares(X: np.ndarray, z: np.ndarray, w: np.ndarray) -> np.ndarray:
    r"""Solve :math:`\min_b \sum_i w_i (z_i - x_i'b)^2` for an intermediate IRLS step.

    The normal equations :math:`X'WX\,b = X'Wz` are equilibrated (scaled to a
    unit diagonal, which is the same as scaling each column to unit weighted
    norm, so the step does not depend on the units of the regressors) and
    solved directly when their condition number is below
    :data:`_STEP_CONDITION`: two passes over the rows instead of the kernel's
    six. Otherwise (nearly collinear regressors) the step is left to
    :func:`massincidents.core.least_squares.least_squares`, which solves by
    pivoted QR. An intermediate step never warns; the final fit, always made
    by the kernel, does.
    """
    Xw = X * w[:, None]
    gram = Xw.T @ X
    rhs = Xw.T @ z
    d = np.sqrt(np.diag(gram))
    if np.all(np.isfinite(d)) and np.all(d > 0):
        scaled = gram / np.outer(d, d)
        eig = np.linalg.eigvalsh(scaled)
        if eig[0] > 0 and eig[-1] / eig[0] < _STEP_CONDITION:
            return np.linalg.solve(scaled, rhs / d) / d
    return least_squares(X, z, w, warn=False).beta


def working_weights(mu: np.ndarray, theta: float | None) -> np.ndarray:
    """:math:`\\mu^2 / V(\\mu)`: :math:`\\mu` (Poisson) or :math:`\\mu/(1 + \\mu/\\theta)` (NB2)."""
    return mu if theta is None else mu / (1.0 + mu / theta)


def fit_fixed_effects(
    y: np.ndarray,
    eta: np.ndarray,
    mu: np.ndarray,
    fe: list[np.ndarray],
    *,
    tol: float = 1e-13,
    maxiter: int = 50,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Poisson: the fixed effects at their exact maximum given the slopes.

    The Poisson likelihood equations of a fixed effect say that the fitted
    total of each of its groups equals the observed one,
    :math:`\sum_{i \in g} \mu_i = \sum_{i \in g} y_i`; for one effect, given
    the others and :math:`\beta`, they are solved in closed form by adding
    :math:`\log(\sum_g y / \sum_g \mu)` to the group's linear predictor.
    Cycling over the effects (iterative proportional fitting) raises the
    likelihood at every step and converges to the maximum over the fixed
    effects; it stops when no group's correction exceeds ``tol``, or after
    ``maxiter`` cycles (then the fit is still better than the one given). It
    costs a few passes of group sums over the rows, no partialling. Groups
    whose outcome is zero in every row have no finite maximum and are left as
    they are (the "fe" separation check removes them first).
    """
    eta, mu = eta.copy(), mu.copy()
    observed = []
    for codes in fe:
        total = np.bincount(codes, weights=y, minlength=int(codes.max()) + 1)
        observed.append(total)
    for _ in range(maxiter):
        largest = 0.0
        for codes, total in zip(fe, observed, strict=True):
            fitted = np.bincount(codes, weights=mu, minlength=total.size)
            ok = (total > 0) & (fitted > 0)
            step = np.zeros(total.size)
            step[ok] = np.log(total[ok] / fitted[ok])
            largest = max(largest, float(np.abs(step).max()))
            eta += step[codes]
            mu *= np.exp(step)[codes]  # exp(eta + step) without an exp per row
        if largest < tol:
            break
    return eta, np.exp(np.minimum(eta, _ETA_MAX))


def irls(
    y: np.ndarray,
    X: np.ndarray,
    names: list[str],
    fe: list[np.ndarray],
    offset: np.ndarray,
    *,
    theta: float | None = None,
    eta_start: np.ndarray | None = None,
    keep: np.ndarray | None = None,
    tol: float = 1e-10,
    maxiter: int = 100,
    demean_tol: float = 1e-12,
) -> IrlsFit:
    """Fit a log-link Poisson (``theta=None``) or NB2 (known ``theta``) GLM by IRLS.

    Parameters
    ----------
    y, X, names, fe, offset
        Outcome, regressors and their names, fixed-effect codes, offset.
    theta
        NB2 shape; ``None`` for Poisson.
    eta_start
        Starting linear predictor (default: :math:`\\log((y + \\bar y)/2)`, as fixest).
    keep
        Columns of ``X`` to use; default: decided at the first iteration by
        dropping columns collinear with each other or absorbed by the fixed
        effects (with a :class:`~massincidents.core.design.CollinearityWarning`).
    tol
        Convergence tolerance on the relative change of the deviance.
    maxiter
        Largest number of iterations.
    demean_tol
        Tolerance of the fixed-effect partialling at each iteration.

    Raises
    ------
    ConvergenceError
        When ``maxiter`` iterations do not converge, or the fit diverges.
    """
    if eta_start is None:
        mu = (y + y.mean()) / 2.0
        eta = np.log(mu)
    else:
        eta = np.asarray(eta_start, dtype=float).copy()
        mu = np.exp(eta)
    y_log_y = float(xlogy(y, y).sum()) if theta is None else None
    dev_old = deviance(y, mu, theta, y_log_y=y_log_y)
    codes = stack_codes(fe) if fe else None  # built once for every partialling below
    kept_names = list(names)
    dropped: list[str] = []
    if keep is not None:
        X = X[:, keep]
        kept_names = [names[j] for j in keep]
    beta = np.zeros(X.shape[1])
    # Early iterations need only a rough partialling: its tolerance follows the
    # deviance change (never looser than 1e-6), reaching demean_tol near the end.
    inner_tol = 1e-6
    for iteration in range(1, maxiter + 1):
        w = working_weights(mu, theta)
        z = eta - offset + (y - mu) / mu
        stacked = np.column_stack([z, X])
        if codes is not None:
            stacked = demean(stacked, codes, w, tol=inner_tol)
        zt, Xt = stacked[:, 0], stacked[:, 1:]
        root = np.sqrt(w)
        if keep is None:
            norms = np.sqrt(((root[:, None] * X) ** 2).sum(axis=0))
            _, kept_names, dropped = drop_collinear(
                root[:, None] * Xt, list(names), absorbed=norms if fe else None
            )
            keep = np.array([names.index(n) for n in kept_names], dtype=int)
            X, Xt = X[:, keep], Xt[:, keep]
            if not kept_names:
                raise DataError([Problem("no regressor is left to estimate")])
        if Xt.shape[1]:
            beta = weighted_least_squares(Xt, zt, w)
            resid = zt - Xt @ beta
        else:
            beta, resid = np.zeros(0), zt
        eta_new = z - resid + offset
        # Step halving (as fixest) when the deviance is not finite or, after
        # the first step (whose start is not a fitted model), increases.
        halved = 0
        while True:
            mu_new = np.exp(np.minimum(eta_new, _ETA_MAX))
            dev = deviance(y, mu_new, theta, y_log_y=y_log_y)
            if np.isfinite(dev) and (iteration == 1 or dev <= dev_old * (1 + 1e-12) + 1e-12):
                break
            halved += 1
            if halved > 30:
                raise ConvergenceError(
                    f"IRLS diverged at iteration {iteration}: "
                    "step halving could not reduce the deviance"
                )
            eta_new = (eta_new + eta) / 2.0
        change = abs(dev - dev_old) / (0.1 + abs(dev))
        eta, mu, dev_old = eta_new, mu_new, dev
        if change < tol and not halved:
            break
        inner_tol = max(demean_tol, min(1e-6, 1e-3 * change))
    else:
        raise ConvergenceError(
            f"IRLS did not converge in {maxiter} iterations "
            f"(relative deviance change {change:.2e}); "
            "raise maxiter, or look for separation or extreme regressors"
        )
    if theta is None and fe:
        eta, mu = fit_fixed_effects(y, eta, mu, fe)
        dev_old = deviance(y, mu, theta, y_log_y=y_log_y)
    # Final weights; beta read off the final linear predictor, which lies in
    # the span of X and the fixed effects, so beta, eta and mu always agree.
    w = working_weights(mu, theta)
    stacked = np.column_stack([eta - offset, X])
    if codes is not None:
        stacked = demean(stacked, codes, w, tol=demean_tol)
    Xt = stacked[:, 1:]
    if Xt.shape[1]:
        final = least_squares(Xt, stacked[:, 0], w)
        beta, bread, condition = final.beta, final.bread, final.condition_number
    else:
        bread, condition = np.zeros((0, 0)), 1.0
    return IrlsFit(
        beta=np.asarray(beta, dtype=float),
        eta=eta,
        mu=mu,
        Xt=Xt,
        weights=w,
        keep=np.asarray(keep, dtype=int),
        names=kept_names,
        dropped=dropped,
        deviance=float(dev_old),
        iterations=iteration,
        bread=bread,
        condition_number=float(condition),
    )

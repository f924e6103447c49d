r"""The fixed-length confidence interval (FLCI) of Armstrong and Kolesár for :math:`\Delta^{SD}(M)`.

An affine estimator :math:`\hat\theta = a + v_{pre}'\hat\beta_{pre} + \ell'\hat\beta_{post}`
of :math:`\theta = \ell'\tau_{post}` has, over
:math:`\delta \in \Delta^{SD}(M)`, a worst-case bias :math:`M\,\bar b(v)` and
standard deviation :math:`\sigma(v)`. The FLCI is

.. math::

    \hat\theta \pm \chi\,, \qquad
    \chi = \min_{v}\ \sigma(v)\; cv_\alpha\!\big(M \bar b(v)/\sigma(v)\big),

where :math:`cv_\alpha(b)` is the :math:`1-\alpha` quantile of :math:`|N(b,1)|`.
Writing the pre-period weights as first differences of
:math:`w \in \mathbb{R}^{\underline T}` (:math:`v_1 = w_1`,
:math:`v_k = w_k - w_{k-1}`), the bias is finite only when
:math:`\sum_k w_k = \sum_{t=1}^{\bar T} t\,\ell_t` (linear trends cancel), and then

.. math::

    \bar b(w) = \sum_{s=1}^{\bar T}\Big|\sum_{j=1}^{s} j\,\ell_{\bar T-s+j}\Big|
      - \sum_{t=1}^{\bar T} t\,\ell_t + \sum_{k=1}^{\underline T}\Big|\sum_{j\le k} w_j\Big|.

As in the R package, :math:`\chi` is found by minimising the bias for a given
:math:`\sigma(v) \le h` (a small convex program, solved here with SLSQP) and
then minimising over :math:`h \in [h_{min}, h_0]` (:math:`h_{min}`: the smallest
variance with finite bias, in closed form; :math:`h_0`: all weight on the
last pre-period). With :math:`M = 0` the FLCI is the confidence interval of the
best linear estimator unbiased under linear differences in trends.

``folded_normal="exact"`` (default) solves
:math:`\Phi(c-b) - \Phi(-c-b) = 1-\alpha`; ``"simulated"`` takes the quantile
of :math:`|\xi + b|` over the :math:`10^6` draws of R's
``set.seed(0); rnorm(1e6)``, which is what the R package computes (its numbers
then agree to many digits; the two differ by about :math:`10^{-3}` relative).

References
----------
Armstrong, T. B. and Kolesár, M. (2018). Optimal inference in a class of
regression models. *Econometrica* 86(2), 655-683.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy import optimize, special

from massincidents.did.honest_rng import r_normal
from massincidents.errors import DataError, Problem


@cache
def _simulated_draws() -> np.ndarray:
    return r_normal(10**6, seed=0)


def folded_normal_quantile(p: float, mean: float, how: str = "exact") -> float:
    """Quantile ``p`` of ``|N(mean, 1)|``, exactly or as the R package simulates it."""
    if how == "simulated":
        return float(np.quantile(np.abs(_simulated_draws() + mean), p))
    if how != "exact":
        raise ValueError("folded_normal must be 'exact' or 'simulated'")
    b = abs(mean)

    def gap(c: float) -> float:
        return special.ndtr(c - b) - special.ndtr(-c - b) - p

    return float(optimize.brentq(gap, 0.0, b + 10.0, xtol=1e-14, rtol=1e-15))


@dataclass(frozen=True)
class _Problem:
    """The weights' variance and bias as functions of ``w`` (pre-period first differences)."""

    quad: np.ndarray
    linear: np.ndarray
    constant: float
    weight_sum: float
    bias_constant: float
    to_pre: np.ndarray

    @classmethod
    def of(cls, sigma: np.ndarray, n_pre: int, l_vec: np.ndarray) -> _Problem:
        n_post = len(l_vec)
        to_pre = np.eye(n_pre) - np.eye(n_pre, k=-1)
        s_pre = sigma[:n_pre, :n_pre]
        s_cross = sigma[:n_pre, n_pre:]
        s_post = float(l_vec @ sigma[n_pre:, n_pre:] @ l_vec)
        t = np.arange(1, n_post + 1)
        bias_constant = sum(
            abs(float(np.arange(1, s + 1) @ l_vec[n_post - s :])) for s in range(1, n_post + 1)
        ) - float(t @ l_vec)
        return cls(
            quad=to_pre.T @ s_pre @ to_pre,
            linear=2 * to_pre.T @ s_cross @ l_vec,
            constant=s_post,
            weight_sum=float(t @ l_vec),
            bias_constant=bias_constant,
            to_pre=to_pre,
        )

    def variance(self, w: np.ndarray) -> float:
        return float(w @ self.quad @ w + self.linear @ w + self.constant)

    def bias(self, w: np.ndarray) -> float:
        return self.bias_constant + float(np.abs(np.cumsum(w)).sum())

    def least_variance(self) -> np.ndarray:
        """The ``w`` of least variance with ``sum(w)`` fixed (closed form)."""
        k = len(self.linear)
        kkt = np.zeros((k + 1, k + 1))
        kkt[:k, :k] = 2 * self.quad
        kkt[:k, k] = 1.0
        kkt[k, :k] = 1.0
        rhs = np.concatenate([-self.linear, [self.weight_sum]])
        return np.linalg.solve(kkt, rhs)[:k]

    def least_bias_within(self, h: float, start: np.ndarray) -> np.ndarray:
        r"""The ``w`` of least worst-case bias with :math:`\sigma \le h`.

        Variables :math:`(u, w)`: minimise :math:`\sum u` subject to
        :math:`u \ge \pm\,\mathrm{cumsum}(w)`, :math:`\sum w` fixed and the
        variance at most :math:`h^2` (SLSQP, analytic gradients).
        """
        k = len(self.linear)
        lower = np.tril(np.ones((k, k)))
        x0 = np.concatenate([np.abs(lower @ start) + 1e-12, start])
        scale = h * h
        eye = np.eye(k)
        linear_jac = np.vstack([np.hstack([eye, -lower]), np.hstack([eye, lower])])
        zeros = np.zeros(k)

        def inequalities(x: np.ndarray) -> np.ndarray:
            cum = lower @ x[k:]
            return np.concatenate([x[:k] - cum, x[:k] + cum, [1.0 - self.variance(x[k:]) / scale]])

        def inequalities_jac(x: np.ndarray) -> np.ndarray:
            grad = -(2 * self.quad @ x[k:] + self.linear) / scale
            return np.vstack([linear_jac, np.concatenate([zeros, grad])[None, :]])

        equality_jac = np.concatenate([zeros, np.ones(k)])[None, :]
        cons = [
            {"type": "ineq", "fun": inequalities, "jac": inequalities_jac},
            {"type": "eq", "fun": lambda x: np.array([x[k:].sum() - self.weight_sum]),
             "jac": lambda x: equality_jac},
        ]
        objective_jac = np.concatenate([np.ones(k), zeros])
        res = optimize.minimize(
            lambda x: x[:k].sum(),
            x0,
            jac=lambda x: objective_jac,
            constraints=cons,
            method="SLSQP",
            options={"ftol": 1e-15, "maxiter": 1000},
        )
        return res.x[k:]


@dataclass(frozen=True)
class FLCI:
    """A fixed-length confidence interval: bounds, half-length and the estimator's weights."""

    lb: float
    ub: float
    half_length: float
    weights: np.ndarray  # on (beta_pre, beta_post)
    sd: float
    max_bias: float


def flci(
    betahat: np.ndarray,
    sigma: np.ndarray,
    n_pre: int,
    l_vec: np.ndarray,
    m: float,
    alpha: float = 0.05,
    folded_normal: str = "exact",
) -> FLCI:
    r"""The FLCI of :math:`\ell'\tau_{post}` under :math:`\Delta^{SD}(M)`."""
    l_vec = np.asarray(l_vec, dtype=float)
    prob = _Problem.of(np.asarray(sigma, dtype=float), n_pre, l_vec)
    try:
        w_min = prob.least_variance()
    except np.linalg.LinAlgError:
        raise DataError(
            [Problem("the variance of the pre-period coefficients is singular: no FLCI")]
        ) from None
    h_min = np.sqrt(prob.variance(w_min))
    w_last = np.zeros(n_pre)
    w_last[-1] = prob.weight_sum
    h_0 = np.sqrt(prob.variance(w_last))

    solved: dict[float, np.ndarray] = {}

    def weights_at(h: float) -> np.ndarray:
        if h not in solved:
            if h >= h_0:
                solved[h] = w_last
            else:
                solved[h] = prob.least_bias_within(h, w_min)
        return solved[h]

    def half_length(h: float) -> float:
        w = weights_at(h)
        sd = np.sqrt(prob.variance(w))
        return folded_normal_quantile(1 - alpha, m * prob.bias(w) / sd, folded_normal) * sd

    if m == 0 or h_0 - h_min <= 1e-10 * h_0:
        w = w_min if m == 0 else w_last
    else:
        res = optimize.minimize_scalar(
            half_length,
            bounds=(h_min, h_0),
            method="bounded",
            options={"xatol": 1e-7 * h_0},
        )
        h_star = float(res.x)
        w = weights_at(h_star)
        # convexity: the ends are candidates too (the bounded search stays inside)
        for h_end in (h_min * (1 + 1e-12), h_0):
            if half_length(h_end) < half_length(h_star):
                h_star, w = h_end, weights_at(h_end)
    sd = float(np.sqrt(prob.variance(w)))
    bias = prob.bias(w)
    chi = folded_normal_quantile(1 - alpha, m * bias / sd, folded_normal) * sd
    weights = np.concatenate([prob.to_pre @ w, l_vec])
    center = float(weights @ betahat)
    return FLCI(center - chi, center + chi, chi, weights, sd, m * bias)

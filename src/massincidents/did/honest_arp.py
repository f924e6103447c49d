r"""The conditional and hybrid moment-inequality tests of Andrews, Roth and Pakes (ARP).

Rambachan and Roth (2023) test :math:`H_0: \theta = \ell'\tau_{post} = \bar\theta`
for :math:`\delta \in \Delta = \{A\delta \le d\}` as a set of moment
inequalities with nuisance parameters. With :math:`\Gamma` an invertible matrix
whose first row is :math:`\ell'` (:func:`~massincidents.did.honest_restrictions.target_basis`),
:math:`\tilde A = A_{post}\Gamma^{-1} = [\tilde a_1, \tilde X]`, and
:math:`Y = A\hat\beta - d \sim N(\cdot, \Sigma_Y = A\Sigma A')`, the null is

.. math::

    E[\,Y - \tilde a_1\bar\theta - \tilde X\nu\,] \le 0 \text{ for some } \nu,

and the test statistic is the value of the linear program

.. math::

    \hat\eta = \min_{\eta,\nu}\ \eta \quad\text{s.t.}\quad
    Y - \tilde a_1\bar\theta - \tilde X\nu \le \eta\,\sigma_Y,

:math:`\sigma_Y` the standard deviations of :math:`Y`. Its dual is a maximum of
:math:`\gamma'y` over the vertices of
:math:`\{\gamma \ge 0: \gamma'\sigma_Y = 1, \tilde X'\gamma = 0\}`
(:class:`DualPolytope`). Conditioning on the optimal vertex
:math:`\hat\gamma`, :math:`\hat\eta` is normal truncated to
:math:`[V^{lo}, V^{up}]`, and the conditional test rejects when
:math:`\hat\eta/\sigma_{\hat\gamma}` exceeds the :math:`1-\alpha` quantile of
that truncated normal (floored at 0). The least-favourable hybrid (C-LF, the
R package's default) first rejects when :math:`\hat\eta` exceeds the
:math:`1-\kappa` quantile :math:`c_{LF}` of :math:`\hat\eta` under
:math:`\mu = 0` (simulated, :math:`\kappa = \alpha/10`), and otherwise runs the
conditional test at size :math:`(\alpha-\kappa)/(1-\kappa)` with
:math:`V^{up}` capped at :math:`c_{LF}`.

The confidence set is the set of :math:`\bar\theta` on a grid that the test
accepts. The steps follow the R package ``HonestDiD`` (0.2.x): its primal
conditioning when the binding moments are non-degenerate and of full rank,
its dual conditioning otherwise, and its simulated least-favourable critical
value drawn from R's own random-number stream (:mod:`~massincidents.did.honest_rng`).
Linear programs are solved exactly by enumerating the vertices of the dual
polytope when there are at most ``VERTEX_LIMIT`` candidate bases (every example
with a handful of post-periods), and by HiGHS (``scipy.optimize.linprog``)
otherwise.

References
----------
Andrews, I., Roth, J. and Pakes, A. (2023). Inference for linear conditional
moment inequalities. *Review of Economic Studies* 90(6), 2763-2791.
"""

from __future__ import annotations

from itertools import combinations, islice
from math import comb

import numpy as np
from scipy import optimize, sparse, special, stats

from massincidents.did.honest_restrictions import target_basis
from massincidents.did.honest_rng import r_mvnormal

VERTEX_LIMIT = 400_000
_BLOCK = 250
LF_SIMULATIONS = 1000
_TOL_LAMBDA = 1e-6


class DualPolytope:
    r"""The polytope :math:`\{\gamma \ge 0 : W'\gamma = e_1\}`, :math:`W = [\sigma_Y, \tilde X]`.

    :meth:`maximize` returns :math:`\max_\gamma c'\gamma` and a maximising
    vertex. By LP duality the value at :math:`c = y` is :math:`\hat\eta`.
    """

    def __init__(self, w: np.ndarray):
        self.w = np.asarray(w, dtype=float)
        m, k1 = self.w.shape
        self.vertices: np.ndarray | None = None
        if comb(m, k1) <= VERTEX_LIMIT:
            self.vertices = self._enumerate()

    def _enumerate(self) -> np.ndarray:
        """Every basic feasible solution: bases of ``k+1`` rows, solved in batches."""
        m, k1 = self.w.shape
        rhs = np.zeros(k1)
        rhs[0] = 1.0
        # columns to a common size for the rank test: with W = W~ D, W~_S' l = e1 gives
        # l = l~ / d_1 (only the first right-hand side is non-zero)
        scale = np.abs(self.w).max(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        w = self.w / scale
        found = []
        combos = combinations(range(m), k1)
        while True:
            rows = np.array(list(islice(combos, 20_000)), dtype=int).reshape(-1, k1)
            if rows.shape[0] == 0:
                break
            subs = np.transpose(w[rows], (0, 2, 1))  # bases, k1 x k1 each
            ok = np.abs(np.linalg.det(subs)) > 1e-12
            if not ok.any():
                continue
            lam = np.linalg.solve(subs[ok], np.broadcast_to(rhs, (int(ok.sum()), k1))[..., None])
            lam = lam[..., 0] / scale[0]
            feasible = np.all(lam >= -1e-12 * np.maximum(1.0, np.abs(lam).max(axis=1))[:, None],
                              axis=1)
            for r, values in zip(rows[ok][feasible], lam[feasible], strict=True):
                vertex = np.zeros(m)
                vertex[r] = np.maximum(values, 0.0)
                found.append(vertex)
        return np.array(found).reshape(-1, m)

    def maximize(self, c: np.ndarray) -> tuple[float, np.ndarray | None]:
        """The maximum of ``c'gamma`` and a maximiser (``-inf, None`` if empty)."""
        if self.vertices is not None:
            if self.vertices.shape[0] == 0:
                return -np.inf, None
            values = self.vertices @ c
            j = int(np.argmax(values))
            return float(values[j]), self.vertices[j]
        m, k1 = self.w.shape
        rhs = np.zeros(k1)
        rhs[0] = 1.0
        res = optimize.linprog(
            -c, A_eq=self.w.T, b_eq=rhs, bounds=[(0, None)] * m, method="highs-ds"
        )
        if res.status != 0:
            return -np.inf, None
        return float(-res.fun), np.asarray(res.x)

    def maximize_many(self, cs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Maxima and maximising vertices for each row of ``cs`` (``-inf`` where none).

        Without the vertex list, the programs of up to ``_BLOCK`` rows are solved as
        one block-diagonal linear program (dual simplex: each block's part of the
        optimal basic solution is a vertex of that block).
        """
        n, m = cs.shape
        if self.vertices is not None:
            if self.vertices.shape[0] == 0:
                return np.full(n, -np.inf), np.zeros((n, m))
            values = cs @ self.vertices.T
            best = np.argmax(values, axis=1)
            return values[np.arange(n), best], self.vertices[best]
        k1 = self.w.shape[1]
        out_values, out_gammas = np.full(n, -np.inf), np.zeros((n, m))
        for start in range(0, n, _BLOCK):
            chunk = cs[start : start + _BLOCK]
            size = chunk.shape[0]
            a_eq = sparse.block_diag([sparse.csr_matrix(self.w.T)] * size, format="csr")
            b_eq = np.tile(np.eye(k1)[0], size)
            res = optimize.linprog(
                -chunk.ravel(), A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs-ds"
            )
            if res.status != 0:  # fall back to one program at a time
                for i, c in enumerate(chunk):
                    value, gamma = self.maximize(c)
                    if gamma is not None:
                        out_values[start + i], out_gammas[start + i] = value, gamma
                continue
            gammas = np.asarray(res.x).reshape(size, m)
            out_values[start : start + size] = (gammas * chunk).sum(axis=1)
            out_gammas[start : start + size] = gammas
        return out_values, out_gammas


def least_favorable_cv(
    polytope: DualPolytope | None, sigma_y: np.ndarray, kappa: float, seed: int = 0
) -> float:
    r"""The :math:`1-\kappa` quantile of :math:`\hat\eta` when :math:`E[Y] = 0`.

    ``polytope=None``: no nuisance parameter, :math:`\hat\eta = \max_j
    \xi_j/\sigma_j`. Draws as R's ``set.seed(seed); rmvnorm(1000, sigma)``;
    the quantile is R's type 7.
    """
    xi = r_mvnormal(LF_SIMULATIONS, sigma_y, seed)
    if polytope is None:
        eta = (xi / np.sqrt(np.diag(sigma_y))).max(axis=1)
    else:
        eta = polytope.maximize_many(xi)[0]
        eta = eta[np.isfinite(eta)]
    return float(np.quantile(eta, 1 - kappa))


def truncated_normal_quantile(p: float, lo: float, hi: float) -> float:
    """Quantile ``p`` of the standard normal truncated to ``[lo, hi]``.

    By inversion of the distribution function on the side of zero where the interval
    lies (survival function above zero), which keeps full precision into the tails;
    intervals too far out or too narrow for that go to ``scipy.stats.truncnorm``.
    """
    if lo >= 0:
        s_lo, s_hi = special.ndtr(-lo), special.ndtr(-hi)
        mass = s_lo - s_hi
        if s_lo > 1e-280 and mass > 1e-12 * s_lo:
            return float(-special.ndtri(s_lo - p * mass))
    else:
        c_lo, c_hi = special.ndtr(lo), special.ndtr(hi)
        mass = c_hi - c_lo
        if c_hi > 1e-280 and mass > 1e-12 * c_hi:
            return float(special.ndtri(c_lo + p * mass))
    return float(stats.truncnorm.ppf(p, lo, hi))


def _interval_where_optimal(
    polytope: DualPolytope, s_t: np.ndarray, b: np.ndarray, eta: float, sigma_b: float
) -> tuple[float, float]:
    r""":math:`[V^{lo}, V^{up}]`: the values :math:`c` at which :math:`\hat\gamma` stays optimal.

    :math:`\max_\gamma \gamma'(s + b c) = c` exactly on that interval (the
    vertex :math:`\hat\gamma` attains :math:`c`, every other vertex must not
    exceed it). Bounds beyond :math:`\max(100, \hat\eta + 20\sigma)` (or
    below the mirror image) are infinite, as in the R package.
    """
    low_initial = min(-100.0, eta - 20 * sigma_b)
    high_initial = max(100.0, eta + 20 * sigma_b)
    if polytope.vertices is not None:
        a = polytope.vertices @ s_t
        slope = 1.0 - polytope.vertices @ b
        lo, hi = -np.inf, np.inf
        pos, neg = slope > 1e-12, slope < -1e-12
        if pos.any():
            lo = float(np.max(a[pos] / slope[pos]))
        if neg.any():
            hi = float(np.min(a[neg] / slope[neg]))
        flat = ~(pos | neg)
        tol = 1e-9 * max(1.0, abs(eta))
        if np.any(a[flat] > tol) or not lo - tol <= eta <= hi + tol:
            return eta, np.inf  # eta is not a solution: do not reject automatically
        lo = -np.inf if lo <= low_initial else lo
        hi = np.inf if hi >= high_initial else hi
        return lo, hi

    def excess(c: float) -> tuple[float, np.ndarray | None]:
        value, vertex = polytope.maximize(s_t + b * c)
        return value - c, vertex

    tol = 1e-9 * max(1.0, abs(eta))
    if abs(excess(eta)[0]) > tol:
        return eta, np.inf
    bounds = []
    for far in (high_initial, low_initial):
        # Newton steps on the convex, piecewise-linear max(gamma'(s + b c)) - c, from
        # outside the interval: each step jumps to where the current maximising vertex
        # meets the diagonal, so the end of the interval is reached exactly
        c = far
        gap, vertex = excess(c)
        if gap <= tol:
            bounds.append(np.inf if far > eta else -np.inf)
            continue
        for _ in range(200):
            slope = 1.0 - float(vertex @ b)
            if vertex is None or abs(slope) < 1e-14:
                break
            c = float(vertex @ s_t) / slope
            gap, vertex = excess(c)
            if gap <= tol:
                break
        bounds.append(c)
    return bounds[1], bounds[0]


def conditional_test(
    y: np.ndarray,
    x: np.ndarray,
    sigma: np.ndarray,
    polytope: DualPolytope,
    alpha: float,
    lf_cv: float | None = None,
    kappa: float = 0.0,
    solution: tuple[float, np.ndarray | None] | None = None,
) -> bool:
    r"""Whether the ARP conditional (``lf_cv=None``) or C-LF hybrid test rejects.

    Tests :math:`E[y - x\nu] \le 0` for some :math:`\nu`; ``sigma`` is the
    variance of ``y``; ``polytope`` is built from :math:`[\sigma_y, x]`;
    ``solution``: :math:`(\hat\eta, \hat\gamma)` if already solved.
    """
    eta, gamma = polytope.maximize(y) if solution is None else solution
    if gamma is None or not np.isfinite(eta):
        return False  # the program has no solution: do not reject
    size = alpha
    if lf_cv is not None:
        size = (alpha - kappa) / (1 - kappa)
        if eta > lf_cv:
            return True
    k = x.shape[1]
    binding = gamma > _TOL_LAMBDA
    degenerate = int(binding.sum()) != k + 1
    x_b = x[binding]
    full_rank = min(x_b.shape) > 0 and np.linalg.matrix_rank(x_b) == min(x_b.shape)
    if k == 0:
        full_rank = True
    if degenerate or not full_rank:
        var_b = float(gamma @ sigma @ gamma)
        if abs(var_b) < np.finfo(float).eps:
            return eta > 0
        sigma_b = np.sqrt(var_b)
        b = sigma @ gamma / var_b
        s_t = y - b * (gamma @ y)
        lo, hi = _interval_where_optimal(polytope, s_t, b, eta, sigma_b)
    else:
        sd = np.sqrt(np.diag(sigma))
        basis = np.column_stack([sd[binding], x_b])
        inv = np.linalg.inv(basis)
        m = len(y)
        select_b = np.eye(m)[binding]
        select_bc = np.eye(m)[~binding]
        gamma_b = np.column_stack([sd[~binding], x[~binding]]) @ inv @ select_b - select_bc
        v_b = inv[0] @ select_b
        var_b = float(v_b @ sigma @ v_b)
        sigma_b = np.sqrt(var_b)
        rho = gamma_b @ sigma @ v_b / var_b
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = (-gamma_b @ y) / rho + v_b @ y
        lo = float(np.max(bound[rho > 0])) if np.any(rho > 0) else -np.inf
        hi = float(np.min(bound[rho < 0])) if np.any(rho < 0) else np.inf
    if lf_cv is not None:
        hi = min(hi, lf_cv)
    z_lo, z_hi, stat = lo / sigma_b, hi / sigma_b, eta / sigma_b
    if not z_lo <= stat <= z_hi:
        return False
    cv = max(0.0, truncated_normal_quantile(1 - size, z_lo, z_hi))
    return bool(stat > cv)


def moment_test_no_nuisance(
    y: np.ndarray,
    sigma: np.ndarray,
    a: np.ndarray,
    alpha: float,
    lf_cv: float | None = None,
    kappa: float = 0.0,
) -> bool:
    r"""The conditional (or C-LF) test of :math:`A\,E[y] \le 0` without nuisance parameters.

    Used when there is one post-period: the statistic is the largest
    standardised moment, conditioned on which moment it is.
    """
    sd = np.sqrt(np.diag(a @ sigma @ a.T))
    a_t = a / sd[:, None]
    moments = a_t @ y
    j = int(np.argmax(moments))
    size = alpha
    if lf_cv is not None:
        if moments[j] > lf_cv:
            return True
        size = (alpha - kappa) / (1 - kappa)
    gamma = a_t[j]
    a_bar = a_t - a_t[j][None, :]
    var = float(gamma @ sigma @ gamma)
    c = sigma @ gamma / var
    z = y - c * (gamma @ y)
    ac = a_bar @ c
    with np.errstate(divide="ignore", invalid="ignore"):
        objective = (-a_bar @ z) / ac
    lo = float(np.max(objective[ac < 0])) if np.any(ac < 0) else -np.inf
    hi = float(np.min(objective[ac > 0])) if np.any(ac > 0) else np.inf
    sd_b = np.sqrt(var)
    cv = max(0.0, truncated_normal_quantile(1 - size, lo / sd_b, hi / sd_b) * sd_b)
    return bool(moments[j] > cv)


def accepted_grid(
    betahat: np.ndarray,
    sigma: np.ndarray,
    n_pre: int,
    n_post: int,
    a: np.ndarray,
    l_vec: np.ndarray,
    grid: np.ndarray,
    alpha: float,
    hybrid: bool,
    rows: np.ndarray | None = None,
    seed: int = 0,
) -> np.ndarray:
    r"""For each :math:`\bar\theta` of ``grid``, whether the test accepts it (:math:`d = 0`).

    ``a`` defines :math:`\Delta = \{A\delta \le 0\}`; ``rows`` are the moments
    the test uses (the R package's ``rowsForARP``, default all).
    """
    kappa = alpha / 10
    if n_post == 1:
        a_post = a if rows is None else a[rows]
        lf_cv = None
        if hybrid:
            lf_cv = least_favorable_cv(None, a_post @ sigma @ a_post.T, kappa, seed)
        out = np.empty(len(grid), dtype=bool)
        unit = np.zeros(len(betahat))
        unit[n_pre] = 1.0
        for i, theta in enumerate(grid):
            out[i] = not moment_test_no_nuisance(
                betahat - unit * theta, sigma, a_post, alpha, lf_cv, kappa
            )
        return out
    rows = np.arange(a.shape[0]) if rows is None else rows
    gamma_inv = np.linalg.inv(target_basis(l_vec))
    a_gamma = a[:, n_pre : n_pre + n_post] @ gamma_inv
    a_one, x_all = a_gamma[:, 0], a_gamma[:, 1:]
    y_all = a @ betahat
    sigma_y = (a @ sigma @ a.T)[np.ix_(rows, rows)]
    x = x_all[rows]
    polytope = DualPolytope(np.column_stack([np.sqrt(np.diag(sigma_y)), x]))
    lf_cv = least_favorable_cv(polytope, sigma_y, kappa, seed) if hybrid else None
    ys = y_all[rows][None, :] - np.outer(grid, a_one[rows])
    etas, gammas = polytope.maximize_many(ys)  # the whole grid at once
    out = np.zeros(len(grid), dtype=bool)
    todo = np.arange(len(grid))
    if lf_cv is not None:  # the first stage of the hybrid rejects these
        todo = todo[~(etas > lf_cv)]
    for i in map(int, todo):
        solution = (float(etas[i]), gammas[i] if np.isfinite(etas[i]) else None)
        out[i] = not conditional_test(
            ys[i], x, sigma_y, polytope, alpha, lf_cv, kappa, solution=solution
        )
    return out

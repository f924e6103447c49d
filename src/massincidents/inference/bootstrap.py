r"""Wild cluster bootstrap for few clusters: ``mi.wild_bootstrap``.

With few clusters (31 provinces is few) cluster-robust t tests over-reject.
The wild cluster bootstrap (Cameron, Gelbach and Miller 2008) re-creates the
test's distribution by flipping the sign of, or rescaling, whole clusters of
residuals; with the null imposed (WCR) and a bootstrap-t it has close to exact
size with as few as 10-12 clusters (MacKinnon and Webb 2017). This module
follows ``boottest`` (Roodman, MacKinnon, Nielsen and Webb 2019).

Least squares (WCR bootstrap-t). For :math:`H_0: \beta_j = r`, with the
regressors :math:`\tilde X` partialled out of the fixed effects, let
:math:`\tilde\beta` be the restricted estimate and :math:`\tilde u` its
residuals. Draw :math:`v_g` (Rademacher :math:`\pm 1`, or Webb's six points
:math:`\pm\sqrt{1/2}, \pm 1, \pm\sqrt{3/2}`) for each cluster, form

.. math::

    y^*_i = \tilde x_i'\tilde\beta + v_{g(i)}\,\tilde u_i,

re-estimate, and compute the CRV1 t-statistic
:math:`t^* = (\hat\beta^*_j - r)/\mathrm{se}_{CRV1}(\hat\beta^*_j)` with the same
small-sample factor as ``vcov={"CRV1": cluster}``. The symmetric p-value is

.. math::

    p = \frac{1}{B}\,\#\{b : |t^*_b| > |t|\},

ties (the draws :math:`v = \pm 1` reproduce :math:`|t|` exactly) not counted,
as ``boottest`` and ``wildboottest``. Everything is linear in :math:`v`, so
:math:`t^*` for all draws costs :math:`O(G^2 B)` after one pass over the data
(Roodman et al. 2019, section 5), and the restricted residuals are linear in
:math:`r`, so the confidence interval is found by inverting the test:
:math:`\{r : p(r) > 1 - \text{level}\}`, with the same draws for every
:math:`r`. Fixed effects not nested in the bootstrap clusters are projected
out of the bootstrap residuals, which gives the same statistics as a
regression with the fixed effects as dummies. With ``impose_null=False``
(WCU) the bootstrap data come from the unrestricted fit and
:math:`t^* = (\hat\beta^*_j - \hat\beta_j)/\mathrm{se}^*`.

Likelihood models (score bootstrap, Kline and Santos 2012). With the null
imposed the model is re-estimated under :math:`\beta_j = r`; with
:math:`s_i` its scores (fixed effects partialled out) and :math:`A` the inverse
of minus its Hessian, let :math:`z_i = (A s_i)_j` and :math:`Z_g = \sum_{i \in g}
z_i`. Nothing is re-estimated in the bootstrap:

.. math::

    t^*(v) = \frac{\sum_g v_g Z_g}
    {\sqrt{\frac{G}{G-1}\sum_g \big(v_g Z_g - \frac{N_g}{N}\sum_h v_h Z_h\big)^2}},

the statistic itself being :math:`t^*(1)`, a score (Rao) statistic with
recentred cluster variance, as ``boottest`` after ML. Without the null the
scores are those of the unrestricted fit and the statistic is the Wald
:math:`z` with ``vcov={"CRV1": cluster}``.

Rademacher weights with :math:`2^G \le` ``reps`` are enumerated: all
:math:`2^G` sign vectors, in the order of ``itertools.product([-1, 1],
repeat=G)``, which makes the p-value deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy import stats

from massincidents.core.demean import demean, is_nested
from massincidents.core.least_squares import least_squares
from massincidents.inference.conventions import SmallSample
from massincidents.inference.vcov import cluster_factor

BOOTSTRAP_KEY = "bootstrap"
"""Key of :attr:`Result.extra <massincidents.results.Result.extra>` holding the bootstrap data."""

WEBB = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)])
_TIE = 1e-10  # relative: |t*| within this of |t| is a tie (not counted)
_CHUNK = 4096  # draws per block in the O(G^2 B) pass


@dataclass(frozen=True)
class LeastSquaresData:
    """What :func:`wild_bootstrap` needs from a least-squares fit.

    Attributes
    ----------
    y, X
        Dependent variable and regressors on the estimation sample, partialled
        out of the fixed effects (the kept regressors only).
    names
        Names of the columns of ``X``.
    fe
        Codes of the absorbed fixed effects (to project them out of the
        bootstrap residuals when they are not nested in the clusters).
    fe_dof
        Degrees of freedom of the fixed effects (for the CRV1 factor).
    cluster
        ``cluster(name)`` returns a column of the data on the estimation sample.
    """

    y: np.ndarray
    X: np.ndarray
    names: list[str]
    fe: list[np.ndarray]
    fe_dof: int
    cluster: Callable[[str], np.ndarray]


@dataclass(frozen=True)
class ScoreData:
    """What :func:`wild_bootstrap` needs from a likelihood fit (score bootstrap).

    Attributes
    ----------
    names
        Parameter names (the slopes; fixed effects partialled out).
    params
        Their estimates.
    scores
        Per-observation scores at the estimates, shape (n, k), partialled out of
        the fixed effects (for a log-link GLM :math:`\\tilde x_i (y_i - \\mu_i)`
        with :math:`\\tilde x` the :math:`\\mu`-weighted residual of :math:`x`
        on the fixed effects).
    bread
        Inverse of minus the (concentrated) Hessian, shape (k, k).
    restricted
        ``restricted(j, r)`` re-estimates the model under
        :math:`\\beta_j = r` and returns its ``(scores, bread)`` (all k
        parameters, as above); ``None`` when the model cannot, in which case
        only ``impose_null=False`` works.
    cluster
        ``cluster(name)`` returns a column of the data on the estimation sample.
    """

    names: list[str]
    params: np.ndarray
    scores: np.ndarray
    bread: np.ndarray
    restricted: Callable[[int, float], tuple[np.ndarray, np.ndarray]] | None
    cluster: Callable[[str], np.ndarray]


@dataclass(frozen=True)
class BootstrapResult:
    """Outcome of :func:`wild_bootstrap`.

    Attributes
    ----------
    param
        The tested coefficient.
    null
        The value :math:`r` of :math:`H_0: \\beta = r`.
    estimate
        The point estimate.
    statistic
        The test statistic: CRV1 t (least squares), score statistic (ML with
        the null imposed) or Wald z (ML without).
    pvalue
        Symmetric bootstrap p-value.
    conf_int
        Bootstrap confidence interval by test inversion (``None`` if not asked
        for); may be infinite on a side.
    level
        Its coverage.
    reps
        Bootstrap replications used (:math:`2^G` under enumeration).
    weights
        ``"rademacher"`` or ``"webb"``.
    enumerated
        True when all :math:`2^G` Rademacher draws were used.
    cluster
        The bootstrap (and error) cluster column.
    n_clusters
        Number of clusters :math:`G`.
    method
        ``"WCR bootstrap-t"``, ``"WCU bootstrap-t"``, ``"score bootstrap (null
        imposed)"`` or ``"score bootstrap"``.
    seed
        The integer seed of the draws (for reproduction), ``None`` when a
        Generator was passed or the draws were enumerated.
    distribution
        The bootstrap statistics :math:`t^*_b` under the null.
    notes
        Warnings about the result (a confidence set that is not an interval).

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(n_provinces=8, n_years=10, seed=5)
    >>> fit = mi.linear("y_linear ~ x1 + x2 | province + year", df)
    >>> boot = mi.wild_bootstrap(fit, "x1", weights="webb", seed=1)
    >>> print(boot.summary())
    WCR bootstrap-t, 8 clusters by province, 999 webb draws (seed 1)
    H0: x1 = 0   estimate 0.341812
    statistic 3.2076   bootstrap p-value 0.0130
    95% confidence interval: [0.106366, 0.656577]
    >>> boot.enumerated, len(boot.distribution)
    (False, 999)
    """

    param: str
    null: float
    estimate: float
    statistic: float
    pvalue: float
    conf_int: tuple[float, float] | None
    level: float
    reps: int
    weights: str
    enumerated: bool
    cluster: str
    n_clusters: int
    method: str
    seed: int | None
    distribution: np.ndarray = field(repr=False, compare=False)
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """A short plain-text report."""
        draws = (
            f"all {self.reps} Rademacher draws"
            if self.enumerated
            else (f"{self.reps} {self.weights} draws (seed {self.seed})")
        )
        lines = [
            f"{self.method}, {self.n_clusters} clusters by {self.cluster}, {draws}",
            f"H0: {self.param} = {self.null:g}   estimate {self.estimate:.6g}",
            f"statistic {self.statistic:.4f}   bootstrap p-value {self.pvalue:.4f}",
        ]
        if self.conf_int is not None:
            lo, hi = self.conf_int
            lines.append(f"{self.level:.0%} confidence interval: [{lo:.6g}, {hi:.6g}]")
        lines += list(self.notes)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()


# -- draws ----------------------------------------------------------------------
def bootstrap_weights(
    n_clusters: int,
    reps: int,
    weights: str = "rademacher",
    seed: int | np.random.Generator | None = None,
) -> tuple[np.ndarray, bool, int | None]:
    """The auxiliary weights :math:`v`, one row per draw.

    Parameters
    ----------
    n_clusters
        :math:`G`.
    reps
        Draws wanted. Rademacher weights with :math:`2^G \\le` ``reps`` are
        enumerated instead (all :math:`2^G` sign vectors).
    weights
        ``"rademacher"`` or ``"webb"``.
    seed
        Integer seed, a numpy Generator, or ``None`` (fresh entropy, returned).

    Returns
    -------
    v, enumerated, seed
        Array of shape (B, G); whether it is the full enumeration; the integer
        seed used (``None`` for a Generator or under enumeration).

    Examples
    --------
    >>> v, enumerated, _ = bootstrap_weights(2, 999)
    >>> v.tolist(), enumerated
    ([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]], True)
    """
    weights = weights.lower()
    if weights not in {"rademacher", "webb"}:
        raise ValueError(f"weights must be 'rademacher' or 'webb', got {weights!r}")
    if not isinstance(reps, int | np.integer) or reps < 1:
        raise ValueError(f"reps must be a positive whole number, got {reps!r}")
    G = int(n_clusters)
    if weights == "rademacher" and G < 63 and 2**G <= reps:
        bits = (np.arange(2**G)[:, None] >> np.arange(G - 1, -1, -1)[None, :]) & 1
        return (2.0 * bits - 1.0), True, None
    if isinstance(seed, np.random.Generator):
        rng, used = seed, None
    else:
        if seed is None:
            entropy = np.random.SeedSequence().entropy
            assert isinstance(entropy, int)  # drawn from the OS when no seed is given
            used = entropy
        else:
            used = int(seed)
        rng = np.random.default_rng(used)
    if weights == "rademacher":
        v = 2.0 * rng.integers(0, 2, size=(reps, G), dtype=np.int8) - 1.0
    else:
        v = WEBB[rng.integers(0, 6, size=(reps, G), dtype=np.int8)]
    return v, False, used


def _pvalue(t: float, tstar: np.ndarray) -> float:
    finite = np.isfinite(tstar)
    if not finite.any():
        return float("nan")
    bound = abs(t) * (1.0 + _TIE) + 1e-300
    return float(np.count_nonzero(np.abs(tstar[finite]) > bound) / finite.sum())


# -- least squares ----------------------------------------------------------------
class _LeastSquaresEngine:
    """t(r) and t*(r) for all draws of a WCR/WCU bootstrap-t (linear in v and r)."""

    def __init__(
        self,
        data: LeastSquaresData,
        j: int,
        codes: np.ndarray,
        v: np.ndarray,
        impose_null: bool,
        ssc: SmallSample | None = None,
    ) -> None:
        X, y = np.asarray(data.X, float), np.asarray(data.y, float)
        n, k = X.shape
        G = int(codes.max()) + 1
        solution = least_squares(X, y, warn=False)
        A, beta, u = solution.bread, solution.beta, solution.resid
        z = X @ A[:, j]
        P = sp.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(G, n))
        self.c = cluster_factor(
            "CRV1",
            "ls",
            n=n,
            n_params=k,
            groups=G,
            fe=data.fe,
            fe_dof=data.fe_dof,
            cluster_codes=[codes],
            ssc=ssc,
        )
        self.estimate = float(beta[j])
        self.se = float(np.sqrt(self.c * np.sum((P @ (z * u)) ** 2)))
        project = [f for f in data.fe if not is_nested(f, codes)]

        def pieces(e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            """Numerator weights N (G) and the G x G map C for residuals e."""
            Zx = P @ (z[:, None] * X)
            if project:
                E = np.zeros((n, G))
                E[np.arange(n), codes] = e
                W = demean(E, data.fe)
                N = W.T @ z
                C = P @ (z[:, None] * W) - Zx @ A @ (X.T @ W)
            else:
                N = P @ (z * e)
                S = P @ (X * e[:, None])
                C = np.diag(N) - Zx @ A @ S.T
            return N, C

        if impose_null:
            others = np.delete(X, j, axis=1)
            target = np.column_stack([y, X[:, j]])
            if others.shape[1]:
                target = least_squares(others, target, warn=False).resid
            u0, u1 = target[:, 0], target[:, 1]  # restricted residuals u0 - r u1
            (N0, C0), (N1, C1) = pieces(u0), pieces(u1)
        else:
            (N0, C0), (N1, C1) = pieces(u), (np.zeros(G), np.zeros((G, G)))
        self.impose_null = impose_null
        B = v.shape[0]
        self.a0, self.a1 = np.empty(B), np.empty(B)
        self.q00, self.q01, self.q11 = np.empty(B), np.empty(B), np.empty(B)
        for start in range(0, B, _CHUNK):
            block = v[start : start + _CHUNK].T  # G x b
            Q0, Q1 = C0 @ block, C1 @ block
            sl = slice(start, start + block.shape[1])
            self.a0[sl], self.a1[sl] = N0 @ block, N1 @ block
            self.q00[sl] = np.einsum("gb,gb->b", Q0, Q0)
            self.q01[sl] = np.einsum("gb,gb->b", Q0, Q1)
            self.q11[sl] = np.einsum("gb,gb->b", Q1, Q1)

    def t(self, r: float) -> float:
        return (self.estimate - r) / self.se

    def tstar(self, r: float) -> np.ndarray:
        if not self.impose_null:
            r = 0.0  # the bootstrap distribution does not depend on r
        num = self.a0 - r * self.a1
        den = self.c * np.maximum(self.q00 - 2 * r * self.q01 + r * r * self.q11, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return num / np.sqrt(den)


# -- likelihood models --------------------------------------------------------------
class _ScoreEngine:
    """Kline-Santos score bootstrap: statistic and t* from scores, no re-estimation."""

    def __init__(
        self, data: ScoreData, j: int, codes: np.ndarray, v: np.ndarray, impose_null: bool
    ) -> None:
        if impose_null and data.restricted is None:
            raise NotImplementedError(
                "this model cannot be re-estimated under the null; use impose_null=False"
            )
        self.data, self.j, self.codes, self.v = data, j, codes, v
        n = codes.shape[0]
        self.G = int(codes.max()) + 1
        self.P = sp.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(self.G, n))
        self.share = np.bincount(codes, minlength=self.G) / n
        self.c = self.G / (self.G - 1.0)
        self.impose_null = impose_null
        self.estimate = float(data.params[j])
        self._cache: dict[float, tuple[float, np.ndarray]] = {}
        Z = self._Z(data.scores, data.bread)
        # ML CRV1 standard error at the estimates (the scores sum to zero there)
        self.se = float(np.sqrt(self.c * np.sum((Z - self.share * Z.sum()) ** 2)))
        if not impose_null:
            self._unrestricted = self._tstar(Z)

    def _Z(self, scores: np.ndarray, bread: np.ndarray) -> np.ndarray:
        return self.P @ (np.asarray(scores, float) @ np.asarray(bread, float)[:, self.j])

    def _tstar(self, Z: np.ndarray) -> np.ndarray:
        out = np.empty(self.v.shape[0])
        for start in range(0, self.v.shape[0], _CHUNK):
            block = self.v[start : start + _CHUNK].T  # G x b
            num = Z @ block
            dev = Z[:, None] * block - self.share[:, None] * num[None, :]
            with np.errstate(divide="ignore", invalid="ignore"):
                out[start : start + block.shape[1]] = num / np.sqrt(
                    self.c * np.einsum("gb,gb->b", dev, dev)
                )
        return out

    def _restricted(self, r: float) -> tuple[float, np.ndarray]:
        if r not in self._cache:
            scores, bread = self.data.restricted(self.j, float(r))  # type: ignore[misc]
            Z = self._Z(scores, bread)
            t = float(Z.sum() / np.sqrt(self.c * np.sum((Z - self.share * Z.sum()) ** 2)))
            self._cache[r] = (t, self._tstar(Z))
        return self._cache[r]

    def t(self, r: float) -> float:
        if self.impose_null:
            return self._restricted(r)[0]
        return (self.estimate - r) / self.se

    def tstar(self, r: float) -> np.ndarray:
        return self._restricted(r)[1] if self.impose_null else self._unrestricted


def _poisson_irls(
    y: np.ndarray,
    X: np.ndarray,
    fe: list[np.ndarray],
    offset: np.ndarray,
    mu: np.ndarray | None = None,
    *,
    tol: float = 1e-11,
    maxiter: int = 200,
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson (log link) by IRLS with fixed effects absorbed; returns (beta, mu)."""
    mu = (y + y.mean()) / 2.0 if mu is None else mu.copy()
    eta = np.log(mu)
    beta = np.zeros(X.shape[1])
    deviance_old = np.inf
    for _ in range(maxiter):
        working = eta - offset + (y - mu) / mu
        zt = demean(working, fe, weights=mu) if fe else working
        Xt = demean(X, fe, weights=mu) if fe else X
        if X.shape[1]:
            step = least_squares(Xt, zt, mu, warn=False)
            beta, resid = step.beta, step.resid
        else:
            resid = zt
        eta = offset + working - resid
        mu = np.exp(eta)
        with np.errstate(divide="ignore", invalid="ignore"):
            deviance = 2.0 * float(np.sum(np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu)))
        if abs(deviance - deviance_old) <= tol * (abs(deviance) + 0.1):
            return beta, mu
        deviance_old = deviance
    raise RuntimeError(f"Poisson IRLS did not converge in {maxiter} iterations")


def _poisson_scores(
    y: np.ndarray, X: np.ndarray, fe: list[np.ndarray], mu: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    Xt = demean(X, fe, weights=mu) if fe else X
    return Xt * (y - mu)[:, None], least_squares(Xt, np.zeros(len(y)), mu, warn=False).bread


def poisson_score_data(
    y: np.ndarray,
    X: np.ndarray,
    names: list[str],
    *,
    cluster: Callable[[str], np.ndarray] | dict[str, np.ndarray],
    fe: list[np.ndarray] | None = None,
    offset: np.ndarray | None = None,
) -> ScoreData:
    r"""Score-bootstrap data for a Poisson (log link) model, PPML with absorbed effects.

    Re-estimates the model by IRLS (fixed effects partialled out with weights
    :math:`\mu`), unrestricted and, on demand, under :math:`\beta_j = r`
    (``offset`` plus :math:`r x_j`). Scores are
    :math:`\tilde x_i (y_i - \mu_i)` and the bread
    :math:`(\tilde X' \mathrm{diag}(\mu) \tilde X)^{-1}`, with :math:`\tilde X`
    the :math:`\mu`-weighted residuals of :math:`X` on the fixed effects.
    Count models put the result in ``Result.extra["bootstrap"]``.

    Parameters
    ----------
    y, X, names
        Counts, regressors (with the intercept when no fixed effect is
        absorbed) and their names, on the estimation sample (groups with all
        zero counts already removed).
    cluster
        ``cluster(name)`` returning a data column on the estimation sample, or
        a dict of such columns.
    fe
        Codes of the absorbed fixed effects.
    offset
        Offset (log exposure), default zero.

    Returns
    -------
    ScoreData
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float).reshape(len(y), -1)
    fe = list(fe or [])
    offset = np.zeros(len(y)) if offset is None else np.asarray(offset, dtype=float)
    beta, mu = _poisson_irls(y, X, fe, offset)
    scores, bread = _poisson_scores(y, X, fe, mu)
    warm: dict[str, np.ndarray] = {"mu": mu}

    def restricted(j: int, r: float) -> tuple[np.ndarray, np.ndarray]:
        others = np.delete(X, j, axis=1)
        _, mu_r = _poisson_irls(y, others, fe, offset + r * X[:, j], warm["mu"])
        return _poisson_scores(y, X, fe, mu_r)

    column = cluster if callable(cluster) else cluster.__getitem__
    return ScoreData(
        names=list(names),
        params=beta,
        scores=scores,
        bread=bread,
        restricted=restricted,
        cluster=column,
    )


def null_statistics(
    data: LeastSquaresData | ScoreData,
    j: int,
    codes: np.ndarray,
    v: np.ndarray,
    ssc: SmallSample | None = None,
) -> tuple[float, float, np.ndarray, str]:
    r"""The test of :math:`H_0: \beta_j = 0` with the null imposed, for given draws.

    What :func:`wild_bootstrap` computes at ``null=0`` (WCR bootstrap-t, or the
    score bootstrap for likelihood models), for weights ``v`` chosen by the
    caller: :func:`massincidents.romano_wolf` passes the same draws to every
    model, which makes the bootstrap joint.

    Parameters
    ----------
    data
        The result's bootstrap data (``Result.extra["bootstrap"]``).
    j
        Position of the coefficient in ``data.names``.
    codes
        Cluster codes :math:`0, \dots, G-1` of the estimation sample.
    v
        Weights, shape (B, G), column :math:`g` for cluster code :math:`g`.
    ssc
        Small-sample convention of the least-squares CRV1 statistic (``None``:
        the default, as :func:`wild_bootstrap`); it scales the statistic and
        its bootstrap draws alike, so single-test p-values do not change.

    Returns
    -------
    estimate, statistic, distribution, method
        The point estimate, the statistic, the :math:`B` bootstrap statistics
        and the name of the method.
    """
    if isinstance(data, LeastSquaresData):
        engine: _LeastSquaresEngine | _ScoreEngine = _LeastSquaresEngine(
            data, j, codes, v, True, ssc
        )
        method = "WCR bootstrap-t"
    else:
        engine = _ScoreEngine(data, j, codes, v, True)
        method = "score bootstrap (null imposed)"
    return engine.estimate, float(engine.t(0.0)), np.asarray(engine.tstar(0.0), float), method


# -- confidence interval by test inversion ------------------------------------------------
def _invert(
    pvalue: Callable[[float], float],
    center: float,
    width: float,
    alpha: float,
    *,
    grid: int,
    rtol: float,
) -> tuple[tuple[float, float], tuple[str, ...]]:
    """Bounds of ``{r : p(r) > alpha}`` around ``center``, by grid search and bisection."""
    if not np.isfinite(width) or width <= 0:
        return (float("nan"), float("nan")), ("the confidence interval could not be computed",)
    accept = lambda r: pvalue(r) > alpha  # noqa: E731
    ends = []
    for direction in (-1.0, 1.0):
        step = width
        for _ in range(40):
            if not accept(center + direction * step):
                ends.append(center + direction * step)
                break
            step *= 2.0
        else:
            ends.append(direction * np.inf)
    lo_end, hi_end = ends
    points = np.linspace(
        lo_end if np.isfinite(lo_end) else center - width,
        hi_end if np.isfinite(hi_end) else center + width,
        grid,
    )
    points = np.union1d(points, [center])
    inside = np.array([accept(float(r)) for r in points])
    notes: tuple[str, ...] = ()
    if not inside.any():
        return (float("nan"), float("nan")), ("no value of the parameter is accepted",)
    first, last = int(np.argmax(inside)), int(len(inside) - 1 - np.argmax(inside[::-1]))
    if not inside[first : last + 1].all():
        notes = ("the confidence set is not an interval; its hull is reported",)

    def bisect(rejected: float, accepted: float) -> float:
        tol = rtol * width
        while abs(accepted - rejected) > tol:
            mid = 0.5 * (rejected + accepted)
            if accept(mid):
                accepted = mid
            else:
                rejected = mid
        return 0.5 * (rejected + accepted)

    lower = (
        -np.inf
        if first == 0 and not np.isfinite(lo_end)
        else bisect(float(points[first - 1]) if first > 0 else lo_end, float(points[first]))
    )
    upper = (
        np.inf
        if last == len(points) - 1 and not np.isfinite(hi_end)
        else bisect(
            float(points[last + 1]) if last < len(points) - 1 else hi_end, float(points[last])
        )
    )
    return (float(lower), float(upper)), notes


# -- the public function ----------------------------------------------------------------------
def wild_bootstrap(
    result: object,
    param: str,
    *,
    cluster: str = "province",
    reps: int = 999,
    weights: str = "rademacher",
    seed: int | np.random.Generator | None = None,
    impose_null: bool = True,
    level: float = 0.95,
    null: float = 0.0,
    conf_int: bool = True,
) -> BootstrapResult:
    r"""Wild cluster bootstrap test of :math:`H_0: \beta_{param} = r` (and its CI).

    Least-squares results (``mi.linear`` and models built on it) get the
    WCR bootstrap-t of ``boottest``; likelihood models that carry score data
    (log-link count models) get the score bootstrap of Kline and Santos (2012).
    See the module docstring for the formulas.

    Parameters
    ----------
    result
        A fitted :class:`~massincidents.results.Result` whose ``extra`` holds
        bootstrap data under ``"bootstrap"``.
    param
        The coefficient to test.
    cluster
        Column of the data to bootstrap (and cluster the t-statistic) by.
    reps
        Replications :math:`B`. Rademacher weights with :math:`2^G \le B`
        are enumerated (all :math:`2^G` draws, deterministic).
    weights
        ``"rademacher"`` (default, as ``boottest``) or ``"webb"`` (six-point,
        better with fewer than about 12 clusters).
    seed
        Integer seed or numpy Generator; the draws, hence the p-value and the
        interval, are the same for the same seed. With ``None`` a fresh seed is
        drawn and reported in the result.
    impose_null
        Impose :math:`H_0` on the bootstrap data (WCR; recommended) or not (WCU).
    level
        Coverage of the confidence interval.
    null
        The hypothesised value :math:`r`.
    conf_int
        Compute the confidence interval by test inversion (for likelihood
        models with the null imposed each trial value re-estimates the model).

    Returns
    -------
    BootstrapResult

    Raises
    ------
    NotImplementedError
        When the result carries no bootstrap data.

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(n_provinces=12, n_years=10, seed=2)
    >>> fit = mi.linear("y_linear ~ x1 + x2 | province + year", df)
    >>> boot = mi.wild_bootstrap(fit, "x1", cluster="province", reps=9999)
    >>> boot.enumerated, boot.reps
    (True, 4096)
    >>> bool(abs(boot.statistic - fit.tvalues["x1"]) < 1e-10)
    True
    """
    data = getattr(result, "extra", {}).get(BOOTSTRAP_KEY)
    if data is None:
        model = getattr(result, "model", type(result).__name__)
        raise NotImplementedError(
            f"{model} results carry no bootstrap data; the wild bootstrap works for least-squares "
            "models and for likelihood models that store score data"
        )
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")
    names = list(data.names)
    if param not in names:
        raise KeyError(f"{param!r} is not a coefficient of the model: {', '.join(names)}")
    j = names.index(param)
    codes = np.unique(np.asarray(data.cluster(cluster)), return_inverse=True)[1]
    G = int(codes.max()) + 1
    if G < 2:
        raise ValueError(f"the bootstrap needs at least two clusters; {cluster!r} has {G}")
    v, enumerated, used_seed = bootstrap_weights(G, reps, weights, seed)
    if isinstance(data, LeastSquaresData):
        engine: _LeastSquaresEngine | _ScoreEngine = _LeastSquaresEngine(
            data, j, codes, v, impose_null
        )
        method = "WCR bootstrap-t" if impose_null else "WCU bootstrap-t"
        crit = stats.t.ppf(0.5 + level / 2, G - 1)
        grid, rtol = 101, 1e-10
    elif isinstance(data, ScoreData):
        engine = _ScoreEngine(data, j, codes, v, impose_null)
        method = "score bootstrap (null imposed)" if impose_null else "score bootstrap"
        crit = stats.norm.ppf(0.5 + level / 2)
        grid, rtol = 21, 1e-7
    else:
        raise TypeError(f"unknown bootstrap data {type(data).__name__}")

    def pvalue(r: float) -> float:
        return _pvalue(engine.t(r), engine.tstar(r))

    statistic = engine.t(null)
    tstar = engine.tstar(null)
    p = _pvalue(statistic, tstar)
    interval: tuple[float, float] | None = None
    notes: tuple[str, ...] = ()

    def pvalue_or_reject(r: float) -> float:
        """p(r) for the interval search; a trial value the model cannot be fitted at is rejected."""
        try:
            return pvalue(r)
        except (RuntimeError, ArithmeticError, np.linalg.LinAlgError):
            return 0.0

    if conf_int:
        interval, notes = _invert(
            pvalue_or_reject,
            engine.estimate,
            1.5 * crit * engine.se,
            1 - level,
            grid=grid,
            rtol=rtol,
        )
    return BootstrapResult(
        param=param,
        null=float(null),
        estimate=engine.estimate,
        statistic=float(statistic),
        pvalue=p,
        conf_int=interval,
        level=level,
        reps=int(v.shape[0]),
        weights=weights.lower(),
        enumerated=enumerated,
        cluster=cluster,
        n_clusters=G,
        method=method,
        seed=used_seed,
        distribution=tstar,
        notes=notes,
    )

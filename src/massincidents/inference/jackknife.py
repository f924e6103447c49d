r"""The cluster jackknife (CV3) and the leave-one-cluster-out estimates behind it.

For :math:`G` clusters, let :math:`\hat\beta_{(g)}` be the estimate on the
sample without cluster :math:`g`. MacKinnon, Nielsen and Webb (2023) define

.. math::

    \mathrm{CV}_3 = \frac{G-1}{G}\sum_{g=1}^G
        (\hat\beta_{(g)} - \hat\beta)(\hat\beta_{(g)} - \hat\beta)', \qquad
    \mathrm{CV}_{3J} = \frac{G-1}{G}\sum_{g=1}^G
        (\hat\beta_{(g)} - \bar\beta)(\hat\beta_{(g)} - \bar\beta)', \quad
    \bar\beta = \frac1G\sum_g \hat\beta_{(g)}.

How :math:`\hat\beta_{(g)}` is obtained:

Least squares, exactly, without refitting when every absorbed fixed effect is
nested in the clusters (or there is none). With :math:`\tilde X` the
regressors partialled out of the fixed effects, :math:`A = \tilde X'\tilde X`,
:math:`S_g = \tilde X_g'\hat u_g` the score sum of cluster :math:`g`,

.. math::

    \hat\beta_{(g)} = (A - \tilde X_g'\tilde X_g)^{-1}(\tilde X'\tilde y - \tilde X_g'\tilde y_g)
    = \hat\beta - (A - \tilde X_g'\tilde X_g)^{-1} S_g .

A fixed effect *not* nested in the clusters (the year effects of a
province-and-year model clustered by province) is re-estimated without the
cluster: the partialling itself changes. Its dummies, partialled out of the
nested fixed effects only (:math:`\check D = M_N D_Q`, unchanged when a
cluster is dropped since :math:`M_N` acts within clusters), join the
regressors: by Frisch-Waugh-Lovell the slopes of :math:`\tilde X` in the
regression of :math:`\hat u` on :math:`[\tilde X, \check D]` without cluster
:math:`g` are :math:`\hat\beta_{(g)} - \hat\beta`, again in closed form
(:func:`fixed_effect_dummies`). With more than :data:`MAX_DUMMY_LEVELS` such
levels, or for a cluster that holds a level alone, :math:`\tilde X` and
:math:`\hat u` are partialled again on the rows left instead.

Likelihood models (Poisson PML, NB2;
:mod:`massincidents.counts.jackknife`), exactly, by refitting without each
cluster (IRLS warm-started at the full estimate; NB2 re-estimates
:math:`\theta` too; zero-outcome fixed-effect groups, rows the removal
separates (simple and ReLU checks: a dummy whose positive counts were all in
the cluster left out) and singletons are dropped as the model itself does, so a
term left without identifying variation is NaN), in parallel with joblib when
asked. The
*one-step* approximation (``{"CV3": g, "jackknife": "one-step"}``) takes a
single Fisher-scoring step from the full estimate on the sample without
:math:`g`, :math:`\hat\beta_{(g)} \approx \hat\beta - (\tilde X'W\tilde X -
\tilde X_g'W_g\tilde X_g)^{-1}S_g` with the working weights :math:`W` of the
full fit, held fixed, and :math:`\theta` held fixed for NB2. That step is the
weighted least-squares fit of the working response on the rows left, so it is
in closed form for all clusters at once as the least-squares jackknife above,
fixed effects not nested in the clusters included (their dummies, partialled
with the weights, join the regressors; a cluster holding a level alone takes its
step on its own rows). It is R's ``glm(..., etastart =, control =
glm.control(maxit = 1))`` on each leave-out sample. It is an approximation,
not the jackknife, and not R ``sandwich::vcovCL(type = "HC3")`` on a ``glm``
(see :mod:`massincidents.inference.vcov`).

Cost (``benchmarks/bench_jackknife.py``, 300 clusters of 20 rows): the least-squares
jackknife and the one-step approximation cost about one more fit; the exact
jackknife of a likelihood model is :math:`G` refits (as Stata's
``vce(jackknife)``), warm-started, in all about 100-150 fits.

A cluster that holds all the variation of a regressor (a treatment dummy that
is non-zero in one province only, given the fixed effects) leaves that term's
:math:`\hat\beta_{(g)}` undefined: it is NaN, and so is its jackknife
variance, with a :class:`SingularJackknifeWarning` naming the cluster and the
term; the terms still identified are computed exactly (the minimum-norm
solution; their values do not depend on the choice, as summclust's
generalised-inverse CV3).

Examples
--------
>>> import massincidents as mi
>>> df = mi.datasets.simulate_panel(seed=1)
>>> fit = mi.linear("y_linear ~ x1 + x2 | province + year", df, vcov={"CV3": "province"})
>>> fit.vcov_label, fit.df_inference, fit.bse.round(4).tolist()
('CV3 by province', 30.0, [0.0381, 0.0498])
>>> fit.with_vcov({"CRV1": "province"}).bse.round(4).tolist()
[0.0369, 0.0488]
>>> pois = mi.poisson("y ~ x1 + x2 + treated | province + year", df, exposure="population",
...                   vcov={"CV3": "province"})
>>> pois.bse.round(4).tolist()  # 31 refits
[0.033, 0.0464, 0.1479]
>>> pois.with_vcov({"CV3": "province", "jackknife": "one-step"}).bse.round(4).tolist()
[0.033, 0.0465, 0.1474]
"""

from __future__ import annotations

import itertools
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Literal

import numpy as np
import pandas as pd
import scipy.linalg

from massincidents.core.demean import demean, is_nested
from massincidents.core.least_squares import least_squares

Method = Literal["exact", "one-step"]

#: smallest eigenvalue of the leave-one-out cross-product, scaled to the unit diagonal
#: of the full one, below which a leave-one-cluster-out estimate is refused as undefined
SINGULAR = 1e-10


@dataclass(frozen=True)
class LeaveOneOut:
    """Leave-one-cluster-out estimates.

    Attributes
    ----------
    labels
        The cluster levels, in sorted order (row ``g`` of ``estimates`` leaves out ``labels[g]``).
    estimates
        :math:`\\hat\\beta_{(g)}`, shape (G, p).
    full
        :math:`\\hat\\beta` on the whole sample, shape (p,).
    method
        How the estimates were obtained (``"closed form"``, ``"refit"``, ``"one-step"``).
    """

    labels: np.ndarray
    estimates: np.ndarray
    full: np.ndarray
    method: str


def jackknife_vcov(
    leave_out: LeaveOneOut, center: Literal["estimate", "mean"] = "estimate"
) -> np.ndarray:
    r"""CV3 (``center="estimate"``) or CV3J (``"mean"``) from leave-one-cluster-out estimates.

    .. math::

        \frac{G-1}{G}\sum_g (\hat\beta_{(g)} - c)(\hat\beta_{(g)} - c)', \qquad
        c = \hat\beta \text{ or } \bar\beta.

    Examples
    --------
    >>> loo = LeaveOneOut(np.arange(3), np.array([[1.0], [2.0], [3.0]]), np.array([2.5]), "demo")
    >>> # 2/3 * (1.5^2 + 0.5^2 + 0.5^2) and 2/3 * (1 + 0 + 1)
    >>> float(jackknife_vcov(loo)[0, 0]), float(jackknife_vcov(loo, "mean")[0, 0])
    (1.8333333333333333, 1.3333333333333333)
    """
    G = leave_out.estimates.shape[0]
    center_at = leave_out.full if center == "estimate" else leave_out.estimates.mean(axis=0)
    d = leave_out.estimates - center_at
    return (G - 1.0) / G * (d.T @ d)


def cluster_crossproducts(
    X: np.ndarray, codes: np.ndarray, groups: int, weights: np.ndarray | None = None
) -> np.ndarray:
    """:math:`X_g'W_gX_g` for every cluster, shape (G, k, k), without n x k x k temporaries."""
    k = X.shape[1]
    Xw = X if weights is None else X * weights[:, None]
    if k > 8:  # k(k+1)/2 passes over the rows cost more than one matmul per cluster
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(groups + 1))
        Xs, Xws = X[order], Xw[order]
        return np.stack(
            [Xws[a:b].T @ Xs[a:b] for a, b in itertools.pairwise(bounds)]
        )
    out = np.empty((groups, k, k))
    for a in range(k):
        for b in range(a, k):
            v = np.bincount(codes, weights=Xw[:, a] * X[:, b], minlength=groups)
            out[:, a, b] = v
            out[:, b, a] = v
    return out


def cluster_sums(scores: np.ndarray, codes: np.ndarray, groups: int) -> np.ndarray:
    """:math:`S_g = \\sum_{i\\in g} s_i`, shape (G, k)."""
    return np.column_stack(
        [np.bincount(codes, weights=scores[:, j], minlength=groups) for j in range(scores.shape[1])]
    ).reshape(groups, scores.shape[1])


class SingularJackknifeWarning(UserWarning):
    """Without some cluster a term is not identified: its jackknife variance is NaN.

    Leaving out a cluster that holds all the variation of a term (given the
    other regressors and the fixed effects) leaves that term's
    :math:`\\hat\\beta_{(g)}` undefined. The other terms are still identified
    and are computed exactly (their estimates do not depend on how the
    undefined ones are chosen: summclust's generalised-inverse CV3); the
    variances of the undefined terms (rows and columns) are NaN.

    Examples
    --------
    >>> import warnings
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(seed=1)
    >>> df["only_first"] = (df["province"] == df["province"].iloc[0]) * df["x1"]
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     fit = mi.linear("y_linear ~ x1 + only_first | year", df, vcov={"CV3": "province"})
    >>> [w.category.__name__ for w in caught if w.category is mi.SingularJackknifeWarning]
    ['SingularJackknifeWarning']
    >>> bool(np.isnan(fit.bse["only_first"])), bool(np.isfinite(fit.bse["x1"]))
    (True, True)
    """


def greedy_basis(gram: np.ndarray, tol: float = 1e-9) -> list[int]:
    """Columns of a cross-product that are not spanned by the earlier ones (in order)."""
    diag = np.diag(gram)
    kept: list[int] = []
    for j in range(gram.shape[0]):
        if not diag[j] > SINGULAR:
            continue
        if kept:
            block = gram[np.ix_(kept, kept)]
            cross = gram[kept, j]
            residual = diag[j] - cross @ scipy.linalg.solve(block, cross, assume_a="pos")
        else:
            residual = diag[j]
        if residual > tol * diag[j]:
            kept.append(j)
    return kept


def identified_solve(scaled: np.ndarray, rhs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minimum-norm solution of a (scaled) symmetric system, and which unknowns it identifies.

    Unknown :math:`j` is identified when :math:`e_j` lies in the row space (its
    value is the same for every solution).
    """
    k = scaled.shape[0]
    if np.linalg.eigvalsh(scaled)[0] > SINGULAR:
        return np.linalg.solve(scaled, rhs), np.ones(k, dtype=bool)
    P = np.linalg.pinv(scaled, rcond=1e-10, hermitian=True)
    identified = np.linalg.norm(P @ scaled - np.eye(k), axis=1) < 1e-6
    return P @ rhs, identified


def plain_label(label: object) -> object:
    """A cluster level as the user's data hold it (``3``, not ``np.int64(3)``), for messages."""
    return label.item() if isinstance(label, np.generic) else label


def report_unidentified(
    estimates: np.ndarray, labels: Sequence[object], names: Sequence[str], column: str
) -> None:
    """A :class:`SingularJackknifeWarning` naming each cluster and the terms it leaves undefined."""
    missing = np.isnan(estimates)
    if not missing.any():
        return
    parts = [
        f"{plain_label(labels[int(g)])!r}: "
        + ", ".join(names[int(j)] for j in np.flatnonzero(missing[g]))
        for g in np.flatnonzero(missing.any(axis=1))
    ]
    warnings.warn(
        f"without some cluster of {column!r} a term is not identified (that cluster holds "
        f"all of its variation): {'; '.join(parts)}. Their leave-one-out estimates and "
        "jackknife variances are NaN; the other terms are exact",
        SingularJackknifeWarning,
        stacklevel=_caller_level(),
    )


_PACKAGE_DIR = str(Path(__file__).resolve().parents[1])


def _caller_level() -> int:
    """``stacklevel`` of the first frame outside the package (the user's call)."""
    frame: FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    return level


def leave_out_steps(
    X: np.ndarray,
    scores: np.ndarray,
    codes: np.ndarray,
    groups: int,
    weights: np.ndarray | None = None,
    total: bool = False,
) -> np.ndarray:
    r""":math:`-(A - X_g'W_gX_g)^{-1}S_g` for every cluster, shape (G, k).

    Each system is solved on its scaling to the unit diagonal of :math:`A =
    X'WX`; a singular one by the minimum-norm solution, with NaN for the
    unknowns it does not identify. With ``total``, the right-hand side is
    :math:`S - S_g` (:math:`S = \sum_g S_g`): the exact least-squares step
    when the full sample's scores do not sum to zero (an iterative fit
    stopped at its tolerance).
    """
    A = (X if weights is None else X * weights[:, None]).T @ X
    A_minus = A[None, :, :] - cluster_crossproducts(X, codes, groups, weights)
    d = np.sqrt(np.diag(A))
    d = np.where(d > 0, d, 1.0)
    scaled = A_minus / np.outer(d, d)
    singular = ~(np.linalg.eigvalsh(scaled)[:, 0] > SINGULAR)
    sums = cluster_sums(scores, codes, groups)
    if total:
        sums = sums - sums.sum(axis=0)
    rhs = -sums / d
    steps = np.empty(rhs.shape)
    good = ~singular
    if good.any():
        steps[good] = np.linalg.solve(scaled[good], rhs[good][:, :, None])[:, :, 0]
    for g in np.flatnonzero(singular):
        steps[g], identified = identified_solve(scaled[g], rhs[g])
        steps[g, ~identified] = np.nan
    return steps / d


def closed_form_steps(
    X: np.ndarray,
    scores: np.ndarray,
    codes: np.ndarray,
    labels: Sequence[object],
    names: Sequence[str],
    column: str,
    weights: np.ndarray | None = None,
    total: bool = False,
) -> np.ndarray:
    r""":math:`-(A - X_g'W_gX_g)^{-1}S_g` for every cluster, shape (G, k).

    ``X`` is partialled out of the fixed effects (all nested in the clusters),
    :math:`A = X'WX`. Terms a cluster's removal leaves unidentified are NaN
    (with a :class:`SingularJackknifeWarning`). ``total``: as
    :func:`leave_out_steps`.
    """
    steps = leave_out_steps(X, scores, codes, len(labels), weights, total)
    report_unidentified(steps, labels, names, column)
    return steps


#: largest number of levels of the fixed effects not nested in the clusters that the
#: least-squares jackknife carries as (partialled) dummy columns; beyond, it re-partials
MAX_DUMMY_LEVELS = 200


def fixed_effect_dummies(
    fe: list[np.ndarray], codes: np.ndarray, rows: int, weights: np.ndarray | None = None
) -> np.ndarray | None:
    r"""The dummies of the fixed effects not nested in the clusters, partialled out of the nested.

    :math:`\check D = M_N D_Q` (with ``weights``, the weighted partialling
    :math:`M_N^W`) with linearly dependent columns left out (greedily, on the
    cross-product :math:`\check D'W\check D` scaled to a unit diagonal); ``None``
    when the non-nested effects have more than :data:`MAX_DUMMY_LEVELS` levels,
    or the dummies (5e7 cells) or the clusters' cross-products (2e7 cells) would
    take too much memory.
    """
    nested = [f for f in fe if is_nested(f, codes)]
    others = [f for f in fe if not is_nested(f, codes)]
    levels = sum(int(f.max()) + 1 for f in others)
    groups = int(codes.max()) + 1
    if levels > MAX_DUMMY_LEVELS or levels * rows > 5e7 or groups * levels**2 > 2e7:
        return None
    D = np.zeros((rows, levels))
    start = 0
    for f in others:
        D[np.arange(rows), start + f] = 1.0
        start += int(f.max()) + 1
    if nested:
        D = demean(D, nested, weights)
    w = np.ones(rows) if weights is None else weights
    norms = np.sqrt(((D**2) * w[:, None]).sum(axis=0))
    D = D[:, norms > 1e-12 * np.sqrt(w.sum())]
    if not D.shape[1]:
        return D
    gram = D.T @ (D * w[:, None])
    gram = gram / np.sqrt(np.outer(np.diag(gram), np.diag(gram)))  # unit diagonal
    kept = greedy_basis(gram)
    return D[:, kept]


def _all_nested(fe: list[np.ndarray], codes: np.ndarray) -> bool:
    return all(is_nested(f, codes) for f in fe)


def _subset_fe(fe: list[np.ndarray], keep: np.ndarray) -> list[np.ndarray]:
    return [pd.factorize(f[keep], sort=True)[0].astype(np.int64) for f in fe]


def _run(tasks: Sequence[object], function, n_jobs: int) -> list:
    """``function(task)`` for every task, in order; in parallel with joblib when ``n_jobs != 1``."""
    if n_jobs == 1 or len(tasks) < 2:
        return [function(t) for t in tasks]
    from joblib import Parallel, delayed

    return list(Parallel(n_jobs=n_jobs)(delayed(function)(t) for t in tasks))


@dataclass(frozen=True)
class SubsampleFit:
    """A fit on the rows ``rows`` (boolean, on the estimation sample) of one leave-out sample.

    ``params`` are the estimates, ``bread`` and ``scores`` the pieces of their
    sandwich on ``rows``.
    """

    params: np.ndarray
    bread: np.ndarray
    scores: np.ndarray
    rows: np.ndarray


@dataclass(frozen=True, eq=False)
class LeastSquaresLeaveOut:
    """Leave-one-cluster-out estimates of a least-squares fit with absorbed fixed effects.

    Holds the regressors partialled out of the fixed effects, the residuals, the
    estimates and the fixed-effect codes on the estimation sample; it pickles.
    """

    X: np.ndarray
    resid: np.ndarray
    beta: np.ndarray
    names: list[str]
    fe: list[np.ndarray]
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def estimates(
        self,
        codes: np.ndarray,
        labels: Sequence[object],
        column: str,
        method: Method = "exact",
        n_jobs: int = 1,
    ) -> LeaveOneOut:
        """:math:`\\hat\\beta_{(g)}` for every cluster (``method`` is irrelevant: exact)."""
        key = (codes.tobytes(), "ls")
        if key in self._cache:  # computed before: say again what is not identified
            report_unidentified(self._cache[key].estimates, labels, self.names, column)
            return self._cache[key]
        G, k = len(labels), self.X.shape[1]
        labels_arr = np.asarray(labels)
        scores = self.X * self.resid[:, None]
        if _all_nested(self.fe, codes):
            steps = closed_form_steps(self.X, scores, codes, labels, self.names, column)
            out = LeaveOneOut(labels_arr, self.beta + steps, self.beta, "closed form")
        else:
            D = fixed_effect_dummies(self.fe, codes, self.X.shape[0])
            if D is None:
                fits = self.refits(codes, labels, column, n_jobs=n_jobs)
                out = LeaveOneOut(
                    labels_arr, np.vstack([f.params for f in fits]), self.beta, "refit"
                )
            else:
                # [X~, D-check] spans what [X, nested FE, non-nested dummies] does after
                # the nested effects are partialled out (by cluster, so unchanged when
                # one is dropped): the leave-out slopes of X~ are the model's (FWL).
                Z = np.column_stack([self.X, D])
                steps = leave_out_steps(Z, Z * self.resid[:, None], codes, G)
                estimates = self.beta + steps[:, :k]
                # a cluster holding a level of a non-nested effect alone (its dummy is
                # then undefined), or a term's variation: partialled again, exactly
                for g in np.flatnonzero(np.isnan(steps).any(axis=1)):
                    estimates[g] = self._refit_task((codes != g, True)).params
                report_unidentified(estimates, labels, self.names, column)
                out = LeaveOneOut(labels_arr, estimates, self.beta, "closed form")
        self._cache[key] = out
        return out

    def partialled(self) -> tuple[np.ndarray, np.ndarray | None]:
        """The regressors partialled out of the fixed effects, and the weights (none)."""
        return self.X, None

    def refits(
        self, codes: np.ndarray, labels: Sequence[object], column: str, n_jobs: int = 1
    ) -> list[SubsampleFit]:
        """The fit without each cluster, with its bread and scores (for :func:`influence`).

        Terms a cluster's removal leaves unidentified are NaN in its ``params``
        (with a :class:`SingularJackknifeWarning`).
        """
        redo = not _all_nested(self.fe, codes)
        tasks = [(codes != g, redo) for g in range(len(labels))]
        fits = _run(tasks, self._refit_task, n_jobs)
        report_unidentified(np.vstack([f.params for f in fits]), labels, self.names, column)
        return fits

    def _refit_task(self, task: tuple[np.ndarray, bool]) -> SubsampleFit:
        keep, redo = task
        X, u = self.X[keep], self.resid[keep]
        if redo and self.fe:
            both = demean(np.column_stack([u, X]), _subset_fe(self.fe, keep))
            u, X = both[:, 0], both[:, 1:]
        # y~ = X~ beta + u~ on the rows kept: regress the residual, add the full estimate.
        # Singularity is judged against the full sample's scale (a column the fixed
        # effects absorb on the rows kept is rounding noise, not a regressor).
        d = np.sqrt(np.einsum("ij,ij->j", self.X, self.X))
        d = np.where(d > 0, d, 1.0)
        scaled = (X.T @ X) / np.outer(d, d)
        delta_s, identified = identified_solve(scaled, (X.T @ u) / d)
        if identified.all():
            sol = least_squares(X, u, warn=False)
            delta, bread = sol.beta, sol.bread
        else:
            delta = delta_s / d
            bread = np.linalg.pinv(scaled, rcond=1e-10, hermitian=True) / np.outer(d, d)
        resid = u - X @ delta
        params = self.beta + delta
        params[~identified] = np.nan
        return SubsampleFit(params, bread, X * resid[:, None], keep)

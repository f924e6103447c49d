r"""Leave-one-cluster-out refits of the log-link count models (Poisson PML, NB2).

What ``vcov={"CV3": ...}`` and :func:`~massincidents.influence` need from
:func:`~massincidents.poisson` and :func:`~massincidents.negbin`: the model
refitted without each cluster (IRLS warm-started at the full estimate; NB2
re-estimates :math:`\theta`), or the one-step approximation (one Fisher-scoring
step from the full estimate). The jackknife itself is
:mod:`massincidents.inference.jackknife`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from massincidents.core.demean import ConvergenceError, demean
from massincidents.core.least_squares import RankDeficientError, least_squares
from massincidents.counts._irls import irls, working_weights
from massincidents.counts.separation import zero_outcome_groups
from massincidents.errors import DataError, Problem
from massincidents.inference.jackknife import (
    LeaveOneOut,
    Method,
    SubsampleFit,
    _all_nested,
    _run,
    _subset_fe,
    check_leave_out,
    closed_form_steps,
    cluster_crossproducts,
)


def singleton_free(fe: list[np.ndarray], keep: np.ndarray) -> np.ndarray:
    """``keep`` without observations alone in a fixed-effect group, to a fixed point."""
    keep = keep.copy()
    changed = True
    while changed:
        changed = False
        for codes in fe:
            counts = np.bincount(codes[keep], minlength=int(codes.max()) + 1)
            single = keep & (counts[codes] == 1)
            if single.any():
                keep &= ~single
                changed = True
    return keep


@dataclass(frozen=True, eq=False)
class LikelihoodLeaveOut:
    """Leave-one-cluster-out estimates of a log-link count model (Poisson PML, NB2); it pickles.

    ``theta`` is ``None`` for Poisson; for NB2 the exact jackknife re-estimates
    it on each leave-out sample, and ``with_dispersion`` appends
    :math:`\\ln\\alpha = -\\ln\\theta` to the estimates (Stata's ``nbreg``
    parameter vector).
    """

    y: np.ndarray
    X: np.ndarray
    names: list[str]
    fe: list[np.ndarray]
    offset: np.ndarray
    eta: np.ndarray
    beta: np.ndarray
    Xt: np.ndarray
    theta: float | None = None
    drop_singletons: bool = True
    tol: float = 1e-10
    maxiter: int = 100
    with_dispersion: bool = False
    #: NB2: ``(y, X, names, fe, offset, eta, theta, columns, tol, maxiter) -> (fit, theta)``,
    #: the model's own alternation of IRLS and ML theta (``negbin.refit_nb2``)
    nb2: Callable[..., tuple[Any, float]] | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def full(self) -> np.ndarray:
        if self.with_dispersion and self.theta is not None:
            return np.append(self.beta, -np.log(self.theta))
        return self.beta

    def partialled(self) -> tuple[np.ndarray, np.ndarray]:
        """The regressors partialled with the final IRLS weights, and those weights."""
        return self.Xt, self._working()[0]

    def _working(self) -> tuple[np.ndarray, np.ndarray]:
        """Working weights and score residuals at the full estimate."""
        mu = np.exp(self.eta)
        w = working_weights(mu, self.theta)
        return w, w * (self.y - mu) / mu

    def estimates(
        self,
        codes: np.ndarray,
        labels: Sequence[object],
        column: str,
        method: Method = "exact",
        n_jobs: int = 1,
    ) -> LeaveOneOut:
        """:math:`\\hat\\beta_{(g)}` for every cluster: refits, or the one-step approximation."""
        key = (codes.tobytes(), method, self.with_dispersion)
        if key in self._cache:
            return self._cache[key]
        labels_arr = np.asarray(labels)
        w, r = self._working()
        nested = _all_nested(self.fe, codes)
        # identification check on the weighted partialled regressors (exact when nested)
        A = (self.Xt * w[:, None]).T @ self.Xt
        if nested:
            steps = closed_form_steps(
                self.Xt, self.Xt * r[:, None], codes, labels, self.names, column, w
            )
        else:
            leave = A[None] - cluster_crossproducts(self.Xt, codes, len(labels), w)
            check_leave_out(leave, A, labels, self.names, column)
        if method == "one-step":
            if self.with_dispersion:
                raise ValueError(
                    "the one-step jackknife holds theta fixed: it gives no ln(alpha); "
                    "use the exact jackknife with ssc='stata'"
                )
            if not nested:
                tasks = [codes != g for g in range(len(labels))]
                steps = np.vstack(_run(tasks, self._one_step, n_jobs)) - self.beta
            out = LeaveOneOut(labels_arr, self.beta + steps, self.beta, "one-step")
        else:
            fits = self.refits(codes, labels, column, n_jobs=n_jobs, checked=True)
            out = LeaveOneOut(labels_arr, np.vstack([f.params for f in fits]), self.full, "refit")
        self._cache[key] = out
        return out

    def refits(
        self,
        codes: np.ndarray,
        labels: Sequence[object],
        column: str,
        n_jobs: int = 1,
        *,
        checked: bool = False,
    ) -> list[SubsampleFit]:
        """The model refitted without each cluster (in the order of ``labels``)."""
        if not checked:
            w, _ = self._working()
            A = (self.Xt * w[:, None]).T @ self.Xt
            leave = A[None] - cluster_crossproducts(self.Xt, codes, len(labels), w)
            check_leave_out(leave, A, labels, self.names, column)
        tasks = [codes != g for g in range(len(labels))]
        fits = _run(tasks, self._refit, n_jobs)
        failed = [labels[g] for g, f in enumerate(fits) if f is None]
        if failed:
            # name the terms left without variation (exact: partialled on the rows left)
            positions = [g for g, f in enumerate(fits) if f is None]
            full = demean(self.X, self.fe) if self.fe else self.X
            cross = np.stack([self._cross(codes != g) for g in positions])
            check_leave_out(cross, full.T @ full, failed, self.names, column)
            raise DataError(
                [
                    Problem(
                        f"the model without cluster {g!r} could not be fitted (a regressor "
                        "is collinear or IRLS did not converge on the rows left): the "
                        "jackknife (CV3) is not defined",
                        column=column,
                    )
                    for g in failed
                ]
            )
        return fits

    def _cross(self, keep: np.ndarray) -> np.ndarray:
        Z = demean(self.X[keep], _subset_fe(self.fe, keep)) if self.fe else self.X[keep]
        return Z.T @ Z

    def _one_step(self, keep: np.ndarray) -> np.ndarray:
        """One Fisher-scoring (IRLS) step from the full estimate on the rows ``keep``."""
        mu = np.exp(self.eta[keep])
        w = working_weights(mu, self.theta)
        z = self.eta[keep] - self.offset[keep] + (self.y[keep] - mu) / mu
        stacked = np.column_stack([z, self.X[keep]])
        if self.fe:
            stacked = demean(stacked, _subset_fe(self.fe, keep), w)
        return least_squares(stacked[:, 1:], stacked[:, 0], w, warn=False).beta

    def _clean(self, keep: np.ndarray) -> np.ndarray:
        """``keep`` without zero-outcome fixed-effect groups (and singletons), to a fixed point."""
        mask = keep.copy()
        while self.fe:
            fe = _subset_fe(self.fe, mask)
            good = ~zero_outcome_groups(self.y[mask], fe)
            if self.drop_singletons:
                good = singleton_free(fe, good)
            if good.all():
                break
            positions = np.flatnonzero(mask)
            mask[positions[~good]] = False
        return mask

    def _refit(self, keep: np.ndarray) -> SubsampleFit | None:
        keep = self._clean(keep)
        y, X, off = self.y[keep], self.X[keep], self.offset[keep]
        fe = _subset_fe(self.fe, keep)
        eta = self.eta[keep]
        columns = np.arange(X.shape[1])
        theta = self.theta
        try:
            if theta is None:
                fit = irls(y, X, self.names, fe, off, eta_start=eta, keep=columns,
                           tol=self.tol, maxiter=self.maxiter)
            else:
                fit, theta = self.nb2(
                    y, X, self.names, fe, off, eta, theta, columns, self.tol, self.maxiter
                )
        except (RankDeficientError, np.linalg.LinAlgError, ConvergenceError):
            return None
        mu = fit.mu
        resid = y - mu if theta is None else (y - mu) / (1.0 + mu / theta)
        params = fit.beta
        if self.with_dispersion and theta is not None:
            params = np.append(params, -np.log(theta))
        return SubsampleFit(params, fit.bread, fit.Xt * resid[:, None], keep)

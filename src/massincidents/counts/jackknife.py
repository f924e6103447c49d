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
from massincidents.counts._common import singleton_mask
from massincidents.counts._irls import irls, working_weights
from massincidents.counts.separation import (
    relu_separation,
    simple_separation,
    zero_outcome_groups,
)
from massincidents.errors import DataError, Problem
from massincidents.inference.jackknife import (
    SINGULAR,
    LeaveOneOut,
    Method,
    SubsampleFit,
    _all_nested,
    _run,
    _subset_fe,
    closed_form_steps,
    fixed_effect_dummies,
    greedy_basis,
    identified_solve,
    leave_out_steps,
    plain_label,
    report_unidentified,
)


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
    #: the separation checks the model ran (``mi.poisson(separation=)``), re-run on
    #: every leave-out sample: removing a cluster can separate rows that were not
    separation: tuple[str, ...] = ("fe", "simple", "relu")
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
        if key in self._cache:  # computed before: say again what is not identified
            k = len(self.names)
            report_unidentified(self._cache[key].estimates[:, :k], labels, self.names, column)
            return self._cache[key]
        labels_arr = np.asarray(labels)
        nested = _all_nested(self.fe, codes)
        if method == "one-step":
            if self.with_dispersion:
                raise ValueError(
                    "the one-step jackknife holds theta fixed and gives no ln(alpha), which "
                    "ssc='stata' (nbreg) jackknifes with beta: use {'CV3': ...} (exact) there, "
                    "or the one-step with ssc='R'"
                )
            if nested:  # closed form on the weighted partialled regressors
                w, r = self._working()
                steps = closed_form_steps(
                    self.Xt, self.Xt * r[:, None], codes, labels, self.names, column, w,
                    total=True,
                )
                estimates = self.beta + steps
            else:
                estimates = self._one_steps_not_nested(codes, labels, column, n_jobs)
            out = LeaveOneOut(labels_arr, estimates, self.beta, "one-step")
        else:
            fits = self.refits(codes, labels, column, n_jobs=n_jobs)
            out = LeaveOneOut(labels_arr, np.vstack([f.params for f in fits]), self.full, "refit")
        self._cache[key] = out
        return out

    def refits(
        self, codes: np.ndarray, labels: Sequence[object], column: str, n_jobs: int = 1
    ) -> list[SubsampleFit]:
        """The model refitted without each cluster (in the order of ``labels``).

        Terms a cluster's removal leaves unidentified are NaN in its ``params``
        (with a :class:`~massincidents.inference.jackknife.SingularJackknifeWarning`);
        the others are refitted on a basis of the regressors left.
        """
        tasks = [codes != g for g in range(len(labels))]
        fits = _run(tasks, self._refit, n_jobs)
        failed = [(labels[g], f) for g, f in enumerate(fits) if isinstance(f, str)]
        if failed:
            raise DataError(
                [
                    Problem(
                        f"the model without cluster {plain_label(g)!r} could not be fitted "
                        f"({reason}): the jackknife (CV3) is not defined",
                        column=column,
                    )
                    for g, reason in failed
                ]
            )
        k = len(self.names)
        report_unidentified(np.vstack([f.params[:k] for f in fits]), labels, self.names, column)
        return fits

    def _scale(self) -> np.ndarray:
        """Root sums of squares of the regressors partialled on the whole sample (unweighted)."""
        if "scale" not in self._cache:
            full = demean(self.X, self.fe) if self.fe else self.X
            d = np.sqrt(np.einsum("ij,ij->j", full, full))
            self._cache["scale"] = np.where(d > 0, d, 1.0)
        return self._cache["scale"]

    def _basis(
        self, keep: np.ndarray, fe: list[np.ndarray] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Columns to refit on the rows ``keep`` (a basis), and which terms are identified.

        Judged on the regressors partialled again on those rows, against the
        whole sample's scale (a column the fixed effects absorb there is noise).
        ``fe``: the fixed-effect codes on ``keep``, when the caller has them.
        """
        if not self.fe:
            Z = self.X[keep]
        else:
            Z = demean(self.X[keep], fe if fe is not None else _subset_fe(self.fe, keep))
        d = self._scale()
        scaled = (Z.T @ Z) / np.outer(d, d)
        k = scaled.shape[0]
        if np.linalg.eigvalsh(scaled)[0] > SINGULAR:
            return np.arange(k), np.ones(k, dtype=bool)
        _, identified = identified_solve(scaled, np.zeros(k))
        return np.asarray(greedy_basis(scaled), dtype=int), identified

    def _one_steps_not_nested(
        self, codes: np.ndarray, labels: Sequence[object], column: str, n_jobs: int
    ) -> np.ndarray:
        r"""One-step estimates when a fixed effect is not nested in the clusters.

        The one step is the weighted least-squares fit of the working response
        :math:`z = \hat\eta - o + (y - \hat\mu)/\hat\mu` on the regressors and
        the fixed effects, with the full fit's weights, on the rows left: a
        least-squares jackknife. As there (:mod:`massincidents.inference.jackknife`),
        the non-nested effects' dummies, partialled (with the weights) out of the
        nested ones, join the partialled regressors, and every cluster's step is
        :math:`(Z'WZ - Z_g'W_gZ_g)^{-1}(Z'We - Z_g'W_g e_g)` with :math:`e = (y -
        \hat\mu)/\hat\mu`, the working residual of the full fit (:math:`Z'We`
        is zero up to the fit's tolerance, and kept). A cluster whose
        removal leaves a dummy undefined (it holds a level alone), or with too
        many levels to carry as dummies, takes the step on its own rows.
        """
        w, r = self._working()
        D = fixed_effect_dummies(self.fe, codes, self.Xt.shape[0], w)
        if D is None:
            tasks = [codes != g for g in range(len(labels))]
            estimates = np.vstack(_run(tasks, self._one_step, n_jobs))
        else:
            Z = np.column_stack([self.Xt, D])
            steps = leave_out_steps(Z, Z * r[:, None], codes, len(labels), w, total=True)
            estimates = self.beta + steps[:, : self.Xt.shape[1]]
            for g in np.flatnonzero(np.isnan(steps).any(axis=1)):
                estimates[g] = self._one_step(codes != g)
        report_unidentified(estimates, labels, self.names, column)
        return estimates

    def _one_step(self, keep: np.ndarray) -> np.ndarray:
        """One Fisher-scoring (IRLS) step from the full estimate on the rows ``keep``."""
        columns, identified = self._basis(keep)
        mu = np.exp(self.eta[keep])
        w = working_weights(mu, self.theta)
        z = self.eta[keep] - self.offset[keep] + (self.y[keep] - mu) / mu
        stacked = np.column_stack([z, self.X[keep][:, columns]])
        if self.fe:
            stacked = demean(stacked, _subset_fe(self.fe, keep), w)
        out = np.full(len(self.names), np.nan)
        out[columns] = least_squares(stacked[:, 1:], stacked[:, 0], w, warn=False).beta
        out[~identified] = np.nan
        return out

    def _clean(self, keep: np.ndarray) -> np.ndarray:
        """``keep`` without the rows the model itself would leave out (see :meth:`_cleaned`)."""
        return self._cleaned(keep)[0]

    def _cleaned(self, keep: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """``keep`` without the rows the model itself would leave out, to a fixed point,
        and the fixed-effect codes on the rows left.

        As :func:`~massincidents.counts.poisson.clean_sample`: zero-outcome
        fixed-effect groups, rows separated by one regressor (simple) or by the
        ReLU certificate, and the singletons this creates. Without a cluster a
        regressor can become non-zero only where the outcome is zero (all its
        positive counts were in that cluster): refitting those rows would report
        where IRLS stopped on its way to minus infinity as an estimate.
        """
        mask = keep.copy()
        relu_clean_at = -1

        def drop(rows_to_drop: np.ndarray) -> None:
            positions = np.flatnonzero(mask)
            mask[positions[rows_to_drop]] = False

        def zero_groups(y: np.ndarray, X: np.ndarray, fe: list[np.ndarray]) -> np.ndarray:
            return zero_outcome_groups(y, fe)

        def simple(y: np.ndarray, X: np.ndarray, fe: list[np.ndarray]) -> np.ndarray:
            return simple_separation(y, X, self.names)[0]

        def relu(y: np.ndarray, X: np.ndarray, fe: list[np.ndarray]) -> np.ndarray:
            nonlocal relu_clean_at
            if y.shape[0] == relu_clean_at:  # the same sample: nothing to find again
                return np.zeros(y.shape[0], dtype=bool)
            separated = relu_separation(y, X, fe)[0]
            if not separated.any():
                relu_clean_at = y.shape[0]
            return separated

        def singletons(y: np.ndarray, X: np.ndarray, fe: list[np.ndarray]) -> np.ndarray:
            return ~singleton_mask(fe, np.ones(y.shape[0], dtype=bool))

        steps = [
            zero_groups if self.fe and "fe" in self.separation else None,
            simple if "simple" in self.separation else None,
            relu if "relu" in self.separation else None,
            singletons if self.drop_singletons and self.fe else None,
        ]
        changed = True
        fe: list[np.ndarray] | None = None  # codes on ``mask``, made again after a drop
        while changed and mask.any():
            changed = False
            for step in steps:
                if step is None or not mask.any():
                    continue
                if fe is None:
                    fe = _subset_fe(self.fe, mask) if self.fe else []
                separated = step(self.y[mask], self.X[mask], fe)
                if separated.any():
                    drop(separated)
                    fe, changed = None, True
        if fe is None:
            fe = _subset_fe(self.fe, mask) if self.fe and mask.any() else []
        return mask, fe

    def _refit(self, keep: np.ndarray) -> SubsampleFit | str:
        """The fit on ``keep`` (cleaned as the model does), or why it could not be fitted."""
        keep, fe = self._cleaned(keep)
        if not keep.any():  # every row left is a singleton or a zero-outcome group
            k = len(self.names) + int(self.with_dispersion and self.theta is not None)
            nothing = np.full(k, np.nan)
            return SubsampleFit(nothing, np.full((k, k), np.nan), np.zeros((0, k)), keep)
        columns, identified = self._basis(keep, fe)
        y, X, off = self.y[keep], self.X[keep], self.offset[keep]
        eta = self.eta[keep]
        theta = self.theta
        try:
            if theta is None:
                fit = irls(y, X, self.names, fe, off, eta_start=eta, keep=columns,
                           tol=self.tol, maxiter=self.maxiter)
            else:
                assert self.nb2 is not None, "an NB2 leave-out carries its refit"
                fit, theta = self.nb2(
                    y, X, self.names, fe, off, eta, theta, columns, self.tol, self.maxiter
                )
        except (RankDeficientError, np.linalg.LinAlgError, ConvergenceError) as error:
            return str(error).splitlines()[0] or type(error).__name__
        mu = fit.mu
        resid = y - mu if theta is None else (y - mu) / (1.0 + mu / theta)
        k = len(self.names)
        params = np.full(k, np.nan)
        params[columns] = fit.beta
        params[~identified] = np.nan
        bread = np.zeros((k, k))
        bread[np.ix_(columns, columns)] = fit.bread
        scores = np.zeros((int(keep.sum()), k))
        scores[:, columns] = fit.Xt * resid[:, None]
        if self.with_dispersion and theta is not None:
            params = np.append(params, -np.log(theta))
        return SubsampleFit(params, bread, scores, keep)

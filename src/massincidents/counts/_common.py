"""Plumbing shared by the count models: offsets, sample trimming, variance closures.

Nothing here is a model; each function does one small job that
:mod:`~massincidents.counts.poisson`, :mod:`~massincidents.counts.negbin`,
:mod:`~massincidents.counts.conditional_negbin` and
:mod:`~massincidents.counts.zero_inflated` would otherwise repeat.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from massincidents.core.demean import fe_degrees_of_freedom
from massincidents.core.design import Design
from massincidents.core.least_squares import (
    ILL_CONDITIONED,
    IllConditionedWarning,
    scaled_condition_number,
)
from massincidents.counts._irls import IrlsFit
from massincidents.errors import DataError, Problem
from massincidents.inference.conventions import SmallSample, resolve_ssc
from massincidents.inference.vcov import VcovSpec, compute_vcov, parse_vcov
from massincidents.linear.estimators import default_vcov
from massincidents.results import Result
from massincidents.results.sample import SampleColumns


def offset_roles(offset: str | None, exposure: str | None) -> dict[str, str]:
    """The ``extra`` columns :func:`~massincidents.core.design.build_design` must carry."""
    roles: dict[str, str] = {}
    for role, column in (("offset", offset), ("exposure", exposure)):
        if column is None:
            continue
        if not isinstance(column, str):
            raise TypeError(f"{role}= takes a column name, got {type(column).__name__}")
        roles[role] = column
    return roles


def offset_vector(design: Design, offset: str | None, exposure: str | None) -> np.ndarray:
    """The offset on the rows used: ``offset`` plus ``log(exposure)`` (zero if neither).

    Raises
    ------
    DataError
        When the exposure is zero or negative (its log is undefined), naming
        the rows (0-based positions in the input).
    """
    n = design.nobs
    out = np.zeros(n)
    if offset is not None:
        out = out + np.asarray(design.extra["offset"], dtype=float)
    if exposure is not None:
        values = np.asarray(design.extra["exposure"], dtype=float)
        bad = ~(values > 0)
        if bad.any():
            rows = np.flatnonzero(design.used)[bad]
            raise DataError(
                [
                    Problem(
                        "exposure must be positive (its log is the offset)",
                        row=int(r),
                        column=exposure,
                    )
                    for r in rows
                ]
            )
        out = out + np.log(values)
    if not np.isfinite(out).all():
        raise DataError([Problem("the offset has non-finite values", column=offset or exposure)])
    return out


def check_counts(y: np.ndarray, design: Design, *, integer: bool) -> None:
    """Outcomes must be non-negative (and whole numbers for likelihood count models)."""
    positions = np.flatnonzero(design.used)
    problems = [
        Problem(
            "a count outcome must be non-negative", row=int(positions[i]), column=design.formula.lhs
        )
        for i in np.flatnonzero(y < 0)
    ]
    if integer:
        problems += [
            Problem(
                "this likelihood needs whole-number counts "
                "(mi.poisson accepts non-integer outcomes)",
                row=int(positions[i]),
                column=design.formula.lhs,
            )
            for i in np.flatnonzero((y >= 0) & (y != np.round(y)))
        ]
    if problems:
        raise DataError(problems)
    if not (y > 0).any():
        raise DataError(
            [Problem("the outcome is zero in every row used", column=design.formula.lhs)]
        )


def singleton_mask(fe: list[np.ndarray], keep: np.ndarray) -> np.ndarray:
    """``keep`` without observations alone in a fixed-effect group, iterated to a fixed point."""
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


def subset_design(design: Design, keep: np.ndarray, reason: str) -> Design:
    """The design on the rows where ``keep`` is True; the others counted under ``reason``."""
    keep = np.asarray(keep, dtype=bool)
    dropped = int((~keep).sum())
    if dropped == 0:
        return design
    used = design.used.copy()
    used[np.flatnonzero(design.used)[~keep]] = False
    left_out = dict(design.left_out)
    left_out[reason] = left_out.get(reason, 0) + dropped
    fe = [pd.factorize(codes[keep], sort=True)[0].astype(np.int64) for codes in design.fe]
    return replace(
        design,
        y=design.y[keep],
        X=design.X[keep],
        fe=fe,
        extra={role: values[keep] for role, values in design.extra.items()},
        used=used,
        left_out=left_out,
        index=design.index[keep],
    )


@dataclass(frozen=True, eq=False)
class LikelihoodVariance:
    """The variance menu on a likelihood fit (``family="ml"``); it pickles.

    Built by :func:`make_revcov`; called as ``revcov(choice)``.
    """

    sample: SampleColumns
    bread: np.ndarray
    scores: np.ndarray
    n_params: int
    fe: list[np.ndarray]
    fe_dof: int
    keep: np.ndarray | None
    check: Callable[[VcovSpec], None] | None
    convention: SmallSample
    leave_out: Any = None  # LikelihoodLeaveOut for CV3 (Poisson, NB2)
    #: NB2 under ssc="stata": alpha; the last parameter of the full sandwich is
    #: ln(alpha), whose standard error (Stata's /lnalpha row) follows the variance choice
    alpha: float | None = None

    def __call__(self, choice: object) -> tuple[np.ndarray, float | None, str]:
        matrix, df, label = self.full(choice)
        return self.reported(matrix), df, label

    def reported(self, full: np.ndarray) -> np.ndarray:
        """The block of the reported parameters (``keep``) of a full variance."""
        return full if self.keep is None else full[np.ix_(self.keep, self.keep)]

    def stats_for(self, choice: object) -> dict[str, float]:
        """Fit statistics that follow the variance choice (``lnalpha_se``, ``alpha_se``).

        Empty unless the model reports a dispersion under the fit's variance
        choice (NB2 with ``ssc="stata"``); :meth:`Result.with_vcov` updates them.
        """
        return {} if self.alpha is None else self.dispersion_stats(self.full(choice)[0])

    def dispersion_stats(self, full: np.ndarray) -> dict[str, float]:
        """``lnalpha_se`` and ``alpha_se`` read off a full variance (empty without alpha)."""
        if self.alpha is None:
            return {}
        lnalpha_se = float(np.sqrt(full[-1, -1]))
        return {"lnalpha_se": lnalpha_se, "alpha_se": self.alpha * lnalpha_se}

    def full(self, choice: object) -> tuple[np.ndarray, float | None, str]:
        """The variance of every parameter of the bread (``keep`` not applied)."""
        convention = self.convention
        spec = parse_vcov(choice)
        if self.check is not None:
            self.check(spec)
        if (
            convention.preset != "R"
            and spec.kind in {"CRV1", "CRV0"}
            and len(spec.clusters) == 2
            and not (isinstance(choice, dict) and "cluster_df" in choice)
        ):
            # Stata: two-way clustering is ppmlhdfe's (reghdfe's code): the smaller G
            # for every term; fixest's is the same.
            two_way = "min" if convention.preset == "stata" else convention.cluster_df
            spec = replace(spec, cluster_df=two_way)
        columns = self.sample.for_spec(spec)
        matrix, df = compute_vcov(
            spec,
            bread=self.bread,
            scores=self.scores,
            family="ml",
            n_params=self.n_params,
            fe=self.fe,
            fe_dof=self.fe_dof,
            columns=columns,
            ssc=convention,  # fixest's (N-1)/(N-K) with nested FE counting one, cluster_adj
            leave_out=self.leave_out,
        )
        label = spec.label if convention.preset == "R" else f"{spec.label}, ssc={convention.preset}"
        return matrix, df, label


def make_revcov(
    *,
    frame: pd.DataFrame,
    used: np.ndarray,
    bread: np.ndarray,
    scores: np.ndarray,
    n_params: int,
    fe: list[np.ndarray],
    fe_dof: int,
    keep: np.ndarray | None = None,
    check: Callable[[VcovSpec], None] | None = None,
    ssc: SmallSample | None = None,
    leave_out: Any = None,
    alpha: float | None = None,
) -> LikelihoodVariance:
    """The ``Result._revcov`` of a likelihood model (``family="ml"``).

    ``bread`` and ``scores`` may cover more parameters than are reported (the
    log dispersion of ZINB): ``keep`` selects the reported block of the full
    sandwich (integer positions). ``ssc`` is the small-sample convention
    (default ``"R"``); see :func:`convention_factor`. With ``ssc.cluster_df``
    ``"min"`` (fixest), two-way clustering uses the smaller number of clusters
    for all terms. ``check`` (picklable, e.g. a module-level class) may refuse a
    variance choice before it is computed. ``leave_out`` (a
    :class:`~massincidents.inference.jackknife.LikelihoodLeaveOut`) offers CV3.
    """
    sample = SampleColumns(frame, used)
    convention = resolve_ssc(ssc)
    return LikelihoodVariance(
        sample, bread, scores, n_params, fe, fe_dof, keep, check, convention, leave_out, alpha
    )


def refuse_fixest(ssc: str | SmallSample | None, model: str) -> SmallSample:
    """The convention ``ssc`` names, refusing those not defined for ``model``.

    fixest (and so pyfixest) has no such model, and a custom
    :class:`SmallSample` has no agreed meaning for it: only ``"R"`` and
    ``"stata"`` are accepted.
    """
    convention = resolve_ssc(ssc)
    if convention.preset not in {"R", "stata"}:
        raise ValueError(
            f"ssc={convention.preset!r} is not defined for {model} (fixest has no such model); "
            "use ssc='R' or ssc='stata'"
        )
    return convention


@dataclass(frozen=True)
class Sandwich:
    """A variance closure and its value at the requested choice."""

    revcov: LikelihoodVariance
    matrix: np.ndarray
    df: float | None
    label: str
    #: the parsed choice (``Result.vcov_spec``)
    spec: VcovSpec | None = None
    #: fit statistics that follow the choice (:meth:`LikelihoodVariance.dispersion_stats`)
    stats: dict[str, float] = field(default_factory=dict)


def fit_vcov(vcov: object | None, default: object, **kwargs: object) -> Sandwich:
    """:func:`make_revcov` (keyword arguments) evaluated at ``vcov``, or ``default`` if None."""
    revcov = make_revcov(**kwargs)  # type: ignore[arg-type]
    choice = vcov if vcov is not None else default
    full, df, label = revcov.full(choice)  # once: the reported block and the dispersion's SE
    return Sandwich(
        revcov=revcov, matrix=revcov.reported(full), df=df, label=label,
        spec=parse_vcov(choice), stats=revcov.dispersion_stats(full),
    )  # fmt: skip


def ml_sandwich(
    vcov: object | None,
    design: Design,
    frame: pd.DataFrame,
    bread: np.ndarray,
    scores: np.ndarray,
    n_params: int,
    **kwargs: object,
) -> Sandwich:
    """Variance of a likelihood model without absorbed fixed effects (default ``"iid"``).

    ``kwargs`` go on to :func:`make_revcov` (``keep``, ``check``).
    """
    return fit_vcov(
        vcov,
        "iid",
        frame=frame,
        used=design.used,
        bread=bread,
        scores=scores,
        n_params=n_params,
        fe=[],
        fe_dof=0,
        **kwargs,
    )


def irls_sandwich(
    fit: IrlsFit,
    design: Design,
    frame: pd.DataFrame,
    residual: np.ndarray,
    vcov: object | None,
    ssc: SmallSample | None = None,
    leave_out: Any = None,
) -> tuple[Sandwich, np.ndarray, np.ndarray, int]:
    """Variance of an IRLS fit with fixed effects absorbed (fixest's default clustering).

    ``residual`` is the score of the linear index per row (``y - mu`` for Poisson).
    The bread is the least-squares kernel's :math:`(\\tilde X'W\\tilde X)^{-1}`.

    Returns
    -------
    sandwich, bread, scores, fe_dof
    """
    fe_dof = fe_degrees_of_freedom(design.fe)
    bread = fit.bread
    scores = fit.Xt * residual[:, None]
    sandwich = fit_vcov(
        vcov,
        default_vcov(design.fe_names),
        frame=frame,
        used=design.used,
        bread=bread,
        scores=scores,
        n_params=len(fit.names),
        fe=design.fe,
        fe_dof=fe_dof,
        ssc=ssc,
        leave_out=leave_out,
    )
    return sandwich, bread, scores, fe_dof


def count_result(
    design: Design,
    names: list[str],
    params: np.ndarray,
    sandwich: Sandwich,
    **fields: object,
) -> Result:
    """A log-link :class:`~massincidents.results.Result` on ``design``'s sample.

    ``fields`` are the remaining ``Result`` fields (model, formula, stats, ...).
    """
    return Result(
        params=pd.Series(params, index=names),
        vcov=pd.DataFrame(sandwich.matrix, index=names, columns=names),
        vcov_label=sandwich.label,
        df_inference=sandwich.df,
        nobs=design.nobs,
        left_out=dict(design.left_out),
        link="log",
        vcov_spec=sandwich.spec,
        vcov_ssc=sandwich.revcov.convention,
        _revcov=sandwich.revcov,
        **fields,  # type: ignore[arg-type]
    )


def with_prediction(
    result: Result,
    design: Design,
    frame: pd.DataFrame,
    mu: np.ndarray,
    off: np.ndarray,
    exposure: str | None,
    offset: str | None,
) -> Result:
    """``result`` with the predictions of a log-link count model (``Result.predict``)."""
    from massincidents.results.prediction import from_design

    sample = SampleColumns(frame, design.used)
    names = list(result.params.index)
    result._prediction = from_design(
        design, sample, names, np.log(mu), link="log", offset=off,
        exposure=exposure, offset_column=offset,
    )
    return result


def information_condition(information: np.ndarray, *, warn: bool = True) -> float:
    r"""Unit-free condition number of a likelihood model, and a warning when it is large.

    The square root of the 2-norm condition number of the information matrix
    scaled to unit diagonal (for a least-squares problem, the condition number
    of the equilibrated design, as
    :func:`~massincidents.core.least_squares.least_squares` reports). Above
    :data:`~massincidents.core.least_squares.ILL_CONDITIONED` an
    :class:`~massincidents.core.least_squares.IllConditionedWarning` is given.
    """
    condition = float(np.sqrt(scaled_condition_number(information)))
    if warn and condition > ILL_CONDITIONED:
        warnings.warn(
            f"the information matrix is ill-conditioned even after scaling "
            f"(condition number {condition:.2g}): about {np.log10(condition):.0f} of 16 "
            "significant digits may be lost; look for nearly collinear regressors",
            IllConditionedWarning,
            stacklevel=3,
        )
    return condition

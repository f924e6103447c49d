r"""Arellano-Bond (difference) and Blundell-Bond (system) GMM for dynamic panels.

``mi.arellano_bond`` builds plm's stacked design (:mod:`.grid`,
:mod:`.instruments`), estimates it (:mod:`.gmm`) and returns the common
:class:`~massincidents.results.Result`.
"""

from __future__ import annotations

import warnings
from typing import TypedDict

import numpy as np
import pandas as pd
from scipy import stats

from massincidents.core.blas import one_blas_thread
from massincidents.core.design import drop_collinear
from massincidents.dynamic.formula import DynamicFormula, parse_dynamic_formula
from massincidents.dynamic.gmm import GMMFit, TooManyInstrumentsWarning, ar_test, fit_gmm
from massincidents.dynamic.grid import Grid, build_grid
from massincidents.dynamic.instruments import (
    difference_weight,
    gmm_difference,
    gmm_level,
    system_weight,
)
from massincidents.errors import DataError, Problem
from massincidents.inference.conventions import SmallSample, resolve_ssc
from massincidents.results import Result
from massincidents.results.prediction import Prediction


def _stack(blocks: list[np.ndarray], n: int, rows: int) -> np.ndarray:
    cols = [b if b.ndim == 3 else b[:, :, None] for b in blocks]
    return np.concatenate(cols, axis=2) if cols else np.zeros((n, rows, 0))


def _block_diag(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    n, ra, ca = a.shape
    _, rb, cb = b.shape
    out = np.zeros((n, ra + rb, ca + cb))
    out[:, :ra, :ca] = a
    out[:, ra:, ca:] = b
    return out


class _GmmDesign(TypedDict):
    """The stacked arrays of a difference or system GMM design (entities x rows x columns)."""

    dummy_instruments: dict[str, int]
    y: np.ndarray
    X: np.ndarray
    W: np.ndarray
    H: np.ndarray
    used: np.ndarray
    names: list[str]
    diff_rows: int
    n_levels: int
    t1: int


def _design(
    f: DynamicFormula,
    grid: Grid,
    *,
    time: str,
    effects: str,
    system: bool,
    collapse: bool,
) -> _GmmDesign:
    n, t = grid.shape
    main_max = max(t_.last for t_ in f.regressors)
    gmm_min = min(t_.first for t_ in f.gmm)
    t1 = max(main_max + 1, gmm_min)  # plm's TL1: periods lost in the differenced equation
    t2 = max(main_max, gmm_min - 1)  # plm's TL2: periods lost in the level equation
    if t - t1 < 1:
        raise DataError(
            [
                Problem(
                    f"the panel has {t} period(s) ({grid.periods[0]}..{grid.periods[-1]}); "
                    f"the lags requested (regressors up to lag {main_max}, GMM instruments from "
                    f"lag {gmm_min}) need at least {t1 + 1} periods for one differenced "
                    f"observation, and at least {t1 + 3} for the AR(2) test"
                )
            ]
        )
    names = list(f.names)
    levels_x = [grid.lagged(term.variable, k) for term in f.regressors for k in term.lags]
    z_lev = [grid.lagged(term.variable, k) for term in f.standard for k in term.lags]
    n_dummies = 0
    if f.dummies is not None:
        # C(time): a dummy for every period but the first, its own standard instrument
        for p in range(1, t):
            dummy = np.zeros((n, t))
            dummy[:, p] = 1.0
            levels_x.append(dummy)
            z_lev.append(dummy)
            names.append(f"{time}[{grid.periods[p]}]")
        n_dummies = t - 1
    y_lev = grid.values[f.response]
    x_lev = np.stack(levels_x, axis=2)  # (N, T, K)

    r1 = t - t1
    y1 = y_lev[:, t1:] - y_lev[:, t1 - 1 : t - 1]
    x1 = x_lev[:, t1:, :] - x_lev[:, t1 - 1 : t - 1, :]
    w1 = _stack(
        [gmm_difference(grid.values[g.variable], g.first, g.last, t1, collapse) for g in f.gmm],
        n,
        r1,
    )
    z1 = _stack([z[:, t1:] - z[:, t1 - 1 : t - 1] for z in z_lev], n, r1)
    period_names = [f"{time}[{p}]" for p in grid.periods]
    if effects == "twoways" and not system:
        # dummies of periods t1+1 .. T (0-based t1 ..), differenced; plm drops period t1's
        v1 = np.zeros((r1, r1))
        idx = np.arange(r1)
        v1[idx, idx] = 1.0
        v1[idx[1:], idx[:-1]] = -1.0
        x1 = np.concatenate([x1, np.broadcast_to(v1, (n, r1, r1))], axis=2)
        w1 = np.concatenate([w1, np.broadcast_to(v1, (n, r1, r1))], axis=2)
        names += period_names[t1:]
    miss1 = np.isnan(y1) | np.isnan(x1).any(axis=2)
    y1, x1 = np.where(miss1, 0.0, y1), np.where(miss1[:, :, None], 0.0, x1)
    w1 = np.where(miss1[:, :, None], 0.0, np.nan_to_num(w1))
    z1 = np.where(miss1[:, :, None], 0.0, np.nan_to_num(z1))
    used1 = ~miss1
    if not system:
        W = np.concatenate([w1, z1], axis=2)
        n_w = W.shape[2]
        dummy_names = names[len(names) - n_dummies :]
        dummy_cols = dict(zip(dummy_names, range(n_w - n_dummies, n_w), strict=True))
        return {
            "dummy_instruments": dummy_cols if n_dummies else {},
            "y": y1,
            "X": x1,
            "W": W,
            "H": difference_weight(r1),
            "used": used1,
            "names": names,
            "diff_rows": r1,
            "n_levels": 0,
            "t1": t1,
        }
    r2 = t - t2
    y2 = y_lev[:, t2:]
    x2 = x_lev[:, t2:, :]
    w2 = _stack([gmm_level(grid.values[g.variable], t2, collapse) for g in f.gmm], n, r2)
    z2 = _stack([z[:, t2:] for z in z_lev], n, r2)
    if effects == "twoways":
        # intercept and dummies of periods t2+2 .. T (1-based), as plm
        v2 = np.zeros((r2, r2))
        v2[:, 0] = 1.0
        v2[np.arange(1, r2), np.arange(1, r2)] = 1.0
        v1 = v2[1:] - v2[:-1]
        x1 = np.concatenate([x1, np.broadcast_to(v1, (n, r1, r2))], axis=2)
        x2 = np.concatenate([x2, np.broadcast_to(v2, (n, r2, r2))], axis=2)
        w2 = np.concatenate([w2, np.broadcast_to(v2, (n, r2, r2))], axis=2)
        names += ["Intercept", *period_names[t2 + 1 :]]
        x1 = np.where(miss1[:, :, None], 0.0, x1)
    miss2 = np.isnan(y2) | np.isnan(x2).any(axis=2)
    y2, x2 = np.where(miss2, 0.0, y2), np.where(miss2[:, :, None], 0.0, x2)
    w2 = np.where(miss2[:, :, None], 0.0, np.nan_to_num(w2))
    z2 = np.where(miss2[:, :, None], 0.0, np.nan_to_num(z2))
    W = np.concatenate([_block_diag(w1, w2), _block_diag(z1, z2)], axis=2)
    return {
        "dummy_instruments": {},
        "y": np.concatenate([y1, y2], axis=1),
        "X": np.concatenate([x1, x2], axis=1),
        "W": W,
        "H": system_weight(r2),
        "used": np.concatenate([used1, ~miss2], axis=1),
        "names": names,
        "diff_rows": r1,
        "n_levels": int((~miss2).sum()),
        "t1": t1,
    }


def arellano_bond(
    formula: str,
    data: pd.DataFrame,
    *,
    entity: str = "province",
    time: str = "year",
    steps: int = 1,
    effects: str = "individual",
    system: bool = False,
    collapse: bool = False,
    robust: bool = True,
    ssc: str | SmallSample | None = None,
) -> Result:
    r"""Difference (Arellano-Bond) and system (Blundell-Bond) GMM for dynamic panels.

    The model, for entity :math:`i` and period :math:`t`,

    .. math::

        y_{it} = \sum_{j=1}^{p} \rho_j y_{i,t-j} + x_{it}'\beta + \alpha_i
                 (+\ \gamma_t) + \varepsilon_{it},

    is estimated in first differences, which remove :math:`\alpha_i`, with the
    levels :math:`y_{i,t-2}, y_{i,t-3}, \dots` as instruments for
    :math:`\Delta y_{i,t-1}` (Arellano and Bond 1991):
    :math:`E[y_{i,t-s}\Delta\varepsilon_{it}] = 0` for :math:`s \ge 2`. System
    GMM (``system=True``, Blundell and Bond 1998) adds the equation in levels
    instrumented by lagged differences, :math:`E[\Delta y_{i,t-1}(\alpha_i +
    \varepsilon_{it})] = 0`. Estimates, variances and tests follow R plm's
    ``pgmm`` (version 2.6) to rounding error; see the notes for the two places
    where they differ on purpose.

    Parameters
    ----------
    formula
        plm's grammar: ``"y ~ lag(y, 1:2) + lag(x, 0:1) + z | lag(y, 2:99)"``;
        after the first ``|`` the GMM-style instruments, after an optional
        second ``|`` the standard instruments (default: every regressor whose
        variable has no GMM-style instruments). Columns only; compute
        transformations (logs) first.
        Terms are column names (and ``lag(x, k)``), never evaluated as Python code.
    data
        Long panel, one row per entity and period (or indexed by them).
    entity, time
        The panel's key columns. Lags are taken by the value of ``time``, so
        a missing year makes the lags that reach it missing (plm).
    steps
        1 (one-step, weight :math:`H`) or 2 (two-step, weight from the
        one-step residuals).
    effects
        ``"individual"`` or ``"twoways"`` (period dummies, as plm: in the
        differenced equation the differenced dummies of the periods after the
        first usable one; in system GMM an intercept and the dummies of the
        level equation, dropping its first period).
    system
        ``False``: difference GMM (plm ``transformation="d"``); ``True``:
        system GMM (``"ld"``).
    collapse
        One instrument column per lag rather than per period and lag
        (Roodman 2009), against instrument proliferation.
    robust
        ``True``: one-step SEs robust to heteroskedasticity and serial
        correlation within entity, two-step SEs with Windmeijer's (2005)
        correction (plm ``summary(m, robust = TRUE)``, Stata ``vce(robust)``).
        ``False``: classical one-step variance
        :math:`\hat\sigma^2 (X'W(\sum_i W_i'HW_i)^{-1}W'X)^{-1}` and the
        uncorrected two-step variance.
    ssc
        The convention of the variance and the tests (see the table in the
        notes). ``None`` or ``"R"``: R plm's ``pgmm``/``vcovHC``/``sargan``/``mtest``
        (today's numbers). ``"stata"``: Stata's ``xtabond``/``xtabond2``, checked
        against the Stata manual's ``xtabond`` examples and Roodman (2009).

    Returns
    -------
    Result
        ``params`` (regressors, then the period dummies), ``vcov``,
        ``df_inference=None`` (normal), ``nobs`` the observations of the
        differenced equation (plm's ``nobs`` for difference GMM; system GMM
        adds ``stats["nobs_levels"]``), and ``stats``: ``n_groups``,
        ``n_instruments``, ``sargan`` / ``sargan_df`` / ``sargan_p`` (classical,
        one-step residuals, not robust), ``hansen`` / ``hansen_df`` /
        ``hansen_p`` (Hansen's J with the two-step weighting matrix: what plm
        prints as "Sargan test"), ``ar1`` / ``ar1_p``, ``ar2`` / ``ar2_p``
        (Arellano-Bond tests, with the variance chosen by ``robust``), and
        ``sigma2``; with ``ssc="stata"`` also ``sargan_xtabond2`` /
        ``sargan_xtabond2_p``. The conventions of each are
        in the notes.

    Raises
    ------
    DataError
        Missing columns, duplicate or missing panel keys, non-numeric values
        (a time column used as a trend included), or too few periods for the
        lags requested.
    ValueError
        ``C()`` of a column other than the time column, ``C(time)`` with
        ``system=True`` or ``effects="twoways"``, an ``ssc`` other than
        ``"R"``/``"stata"``, or ``ssc="stata"`` with a classical one-step
        system-GMM variance.

    Warns
    -----
    SingularWeightingWarning
        A weighting matrix is singular and its generalised inverse is used.
    TooManyInstrumentsWarning
        More instruments than groups.

    Notes
    -----
    What ``ssc`` changes (difference GMM; :math:`N` the differenced
    observations, :math:`K` the coefficients, :math:`\hat e` the one-step
    residuals, :math:`\sum\operatorname{tr}H = 2N`):

    * coefficients, robust one-step SEs, Windmeijer two-step SEs, AR(1) and
      AR(2): the same in both (plm ``vcovHC``/``mtest``; ``xtabond``,
      ``xtabond2``); in system GMM the AR variance of ``"stata"`` uses the
      stacked (differenced and level) residuals in its :math:`Z'\hat e` term,
      as ``xtabond2``, plm's only the differenced ones;
    * classical one-step SEs: ``"R"`` :math:`\hat\sigma^2 = \hat e'\hat e/2N`;
      ``"stata"`` :math:`\hat\sigma^2 = \hat e'\hat e/2(N-K)` (``xtabond``'s
      default VCE), also in ``stats["sigma2"]``;
    * ``sargan`` :math:`= z'(\sum_i W_i'HW_i)^{-1}z/\hat\sigma^2` with that
      :math:`\hat\sigma^2` (``"stata"``: ``xtabond``'s ``estat sargan``). The
      Sargan statistic ``xtabond2`` prints divides by
      :math:`\hat\sigma^2 = \sum\Delta\hat e^2/2N`, :math:`N` the observations
      it reports (system GMM: the level rows); ``"stata"`` gives it as
      ``stats["sargan_xtabond2"]``, and as ``sargan`` in system GMM, where
      there is no ``xtabond``;
    * ``hansen``: ``"R"`` the :math:`J` statistic at the estimate reported (plm's
      ``sargan(m)``); ``"stata"`` the :math:`J` of the two-step estimate, after
      one- or two-step estimation (``xtabond2``).

    z statistics use the normal distribution in both. System GMM with
    ``ssc="stata"``: coefficients, robust and Windmeijer SEs, Sargan, Hansen
    and AR tests are those of ``xtabond2`` without ``small`` (checked against
    Roodman's 2009 output, whose SEs carry ``small``'s common factor);
    ``stats["sigma2"]`` is ``xtabond2``'s :math:`\hat\sigma^2`; the classical
    one-step variance is not reproduced, and is refused.

    * With ``robust=False`` one-step, plm's ``vcov`` omits the error variance
      (it is :math:`(X'WA_1W'X)^{-1}` with :math:`A_1 = N(\sum W_i'HW_i)^{-1}`);
      here it is scaled by :math:`N\hat\sigma^2`,
      :math:`\hat\sigma^2 = \sum \hat e'\hat e / \sum \operatorname{tr} H` over
      the rows used, the classical one-step variance.
    * System GMM with ``effects="individual"`` has no intercept in the level
      equation, as plm.
    * The level-equation instruments are :math:`\Delta w_{t-1}` whatever the
      first lag of the GMM-style instruments, as plm.

    Examples
    --------
    >>> import numpy as np, pandas as pd, massincidents as mi
    >>> rng = np.random.default_rng(0)
    >>> n, t = 300, 7
    >>> a = rng.normal(size=n)
    >>> y = np.zeros((n, t))
    >>> y[:, 0] = 2 * a + rng.normal(size=n, scale=1.15)  # stationary start
    >>> for s in range(1, t):
    ...     y[:, s] = 0.5 * y[:, s - 1] + a + rng.normal(size=n)
    >>> df = pd.DataFrame({"firm": np.repeat(np.arange(n), t),
    ...                    "year": np.tile(np.arange(2000, 2000 + t), n), "y": y.ravel()})
    >>> r = mi.arellano_bond("y ~ lag(y, 1) | lag(y, 2:99)", df, entity="firm", time="year")
    >>> round(float(r.params["lag(y, 1)"]), 2), round(float(r.bse["lag(y, 1)"]), 2)
    (0.58, 0.06)
    >>> r.nobs, r.stats["n_instruments"], r.stats["n_groups"]
    (1500, 15.0, 300.0)
    """
    stata = _check_options(steps, effects, ssc, system=system, robust=robust)
    f = parse_dynamic_formula(formula)
    _check_period_dummies(f, time, system=system, effects=effects)
    grid = build_grid(data, f.columns, entity, time)
    d = _design(f, grid, time=time, effects=effects, system=system, collapse=collapse)
    y, X, W, H, used = d["y"], d["X"], d["W"], d["H"], d["used"]
    names = list(d["names"])
    diff_rows = int(d["diff_rows"])
    n_groups = int(used.any(axis=1).sum())
    keep = used.any(axis=1)
    y, X, W, used = y[keep], X[keep], W[keep], used[keep]
    X, W, names, dropped_names, dropped_dummies = _drop_unidentified(d, X, W, used, names)
    # instrument columns that are zero for every entity carry no information (plm keeps them)
    nobs = int(used[:, :diff_rows].sum())
    if nobs == 0:
        raise DataError([Problem("no observation is left for the differenced equation")])
    if W.shape[2] > n_groups:
        warnings.warn(
            f"{W.shape[2]} instruments for {n_groups} groups: with more instruments than "
            "groups the Hansen test is weak and two-step standard errors are biased "
            "downward (Roodman 2009); consider collapse=True or fewer lags",
            TooManyInstrumentsWarning,
            stacklevel=2,
        )
    k = X.shape[2]
    with one_blas_thread():  # matrices of the instrument count: BLAS threads only cost
        fit = fit_gmm(
            y, X, W, H, used, steps=steps, robust=robust,
            sigma2_df=k if stata and not system else 0,
        )  # fmt: skip
        ar1, ar1_p = ar_test(fit, X, W, diff_rows, 1, level_residuals=stata)
        ar2, ar2_p = ar_test(fit, X, W, diff_rows, 2, level_residuals=stata)
    stats_ = _gmm_statistics(
        fit, d, n_groups=n_groups, n_instruments=W.shape[2], k=k, nobs=nobs,
        ar=(ar1, ar1_p, ar2, ar2_p), stata=stata, system=system,
    )  # fmt: skip
    params = pd.Series(fit.params, index=names)
    vcov = pd.DataFrame(fit.vcov, index=names, columns=names)
    kind = "system GMM (Blundell-Bond)" if system else "difference GMM (Arellano-Bond)"
    step = "one-step" if steps == 1 else "two-step"
    if robust:
        label = "robust" if steps == 1 else "robust, Windmeijer-corrected"
    else:
        label = "classical (homoskedastic)" if steps == 1 else "two-step, uncorrected"
    notes = _gmm_notes(
        fit, W.shape[2], n_groups, collapse=collapse, stata=stata, time=time,
        dropped_dummies=dropped_dummies,
    )  # fmt: skip
    n_input = grid.n_input_rows
    used_rows = nobs
    return Result(
        model=f"{step} {kind}, {effects} effects",
        formula=formula,
        params=params,
        vcov=vcov,
        vcov_label=label,
        df_inference=None,
        nobs=nobs,
        left_out=(
            {"lost to lags, differencing or missing values": n_input - used_rows}
            if n_input > used_rows
            else {}
        ),
        fixed_effects=(entity, time) if effects == "twoways" else (entity,),
        stats=stats_,
        dropped={nm: "collinear" for nm in dropped_names},
        notes=notes,
        extra={"instruments": W.shape[2], "first_period_lost": int(d["t1"])},
        _prediction=_differenced_fit(fit.params, X, y, used, diff_rows),
    )


def _check_options(
    steps: int, effects: str, ssc: str | SmallSample | None, *, system: bool, robust: bool
) -> bool:
    """Refuse options without a convention; whether the convention is Stata's."""
    if steps not in (1, 2):
        raise ValueError(f"steps must be 1 or 2, got {steps!r}")
    if effects not in ("individual", "twoways"):
        raise ValueError(f"effects must be 'individual' or 'twoways', got {effects!r}")
    convention = resolve_ssc(ssc)
    if convention.preset not in ("R", "stata"):
        raise ValueError(
            f"arellano_bond has two conventions, ssc='R' (plm pgmm) and ssc='stata' (xtabond, "
            f"xtabond2); got {convention.preset!r}"
        )
    stata = convention.preset == "stata"
    if stata and system and steps == 1 and not robust:
        raise ValueError(
            "ssc='stata' with system=True, steps=1, robust=False: the classical one-step "
            "variance of Stata's system GMM is not reproduced here; use robust=True or ssc='R'"
        )
    return stata


def _check_period_dummies(f: DynamicFormula, time: str, *, system: bool, effects: str) -> None:
    """``C(time)`` in a formula: period dummies of the time column, difference GMM only."""
    if f.dummies is not None:
        if f.dummies != time:
            raise ValueError(
                f"C({f.dummies}) in an arellano_bond formula makes period dummies and takes "
                f"the time column: write C({time})"
            )
        if system or effects == "twoways":
            raise ValueError(
                f"C({time}) adds period dummies to difference GMM; for system GMM, or together "
                "with them, use effects='twoways' (plm's intercept and period dummies)"
            )


def _drop_unidentified(
    d: _GmmDesign, X: np.ndarray, W: np.ndarray, used: np.ndarray, names: list[str]
) -> tuple[np.ndarray, np.ndarray, list[str], list[str], list[str]]:
    """Drop regressors collinear (or zero) after differencing, and their dummy instruments.

    Returns the regressors, instruments and names kept, the names dropped, and the
    period dummies among them (plm drops them too; a note of the result says so).
    """
    # regressors that are collinear (or all zero after differencing, such as a
    # variable constant within entities) are not identified: drop them, as plm does.
    flat = X.reshape(-1, X.shape[2])[used.reshape(-1)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, kept_names, dropped_names = drop_collinear(flat, names)
    for w in caught:  # period dummies that differencing removes are expected: a note says so
        if not any(repr(nm) in str(w.message) for nm in d["dummy_instruments"]):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    dropped_dummies = [nm for nm in dropped_names if nm in d["dummy_instruments"]]
    if dropped_names:
        if not kept_names:
            raise DataError([Problem("no regressor is left to estimate")])
        cols = [names.index(nm) for nm in kept_names]
        X, names = X[:, :, cols], kept_names
        # a dropped period dummy (zero, or collinear after differencing) leaves the
        # instruments too: as a standard instrument it would only make Z'HZ singular
        dummy_instruments = dict(d["dummy_instruments"])
        gone = [dummy_instruments[nm] for nm in dropped_names if nm in dummy_instruments]
        if gone:
            W = np.delete(W, gone, axis=2)
    return X, W, names, dropped_names, dropped_dummies


def _gmm_statistics(
    fit: GMMFit,
    d: _GmmDesign,
    *,
    n_groups: int,
    n_instruments: int,
    k: int,
    nobs: int,
    ar: tuple[float, float, float, float],
    stata: bool,
    system: bool,
) -> dict[str, float]:
    """Over-identification, serial-correlation and variance statistics (plm's or Stata's)."""
    ar1, ar1_p, ar2, ar2_p = ar
    diff_rows = int(d["diff_rows"])
    df_over = n_instruments - k
    stats_ = {
        "n_groups": float(n_groups),
        "n_instruments": float(n_instruments),
        "sargan": fit.sargan,
        "sargan_df": float(df_over),
        "sargan_p": float(stats.chi2.sf(fit.sargan, df_over)) if df_over > 0 else float("nan"),
        "hansen": fit.hansen,
        "hansen_df": float(df_over),
        "hansen_p": float(stats.chi2.sf(fit.hansen, df_over)) if df_over > 0 else float("nan"),
        "ar1": ar1,
        "ar1_p": ar1_p,
        "ar2": ar2,
        "ar2_p": ar2_p,
        "sigma2": fit.sigma2,
    }
    if stata:
        stats_["hansen"] = fit.hansen_two_step
        stats_["hansen_p"] = (
            float(stats.chi2.sf(fit.hansen_two_step, df_over)) if df_over > 0 else float("nan")
        )
        # xtabond2's sigma2: the squared differenced one-step residuals over twice
        # the observations it reports (difference GMM: N; system GMM: the level rows)
        n_reported = int(d["n_levels"]) if system else nobs
        sigma2_xtabond2 = float((fit.residuals1[:, :diff_rows] ** 2).sum()) / (2 * n_reported)
        sargan2 = fit.sargan * fit.sigma2 / sigma2_xtabond2
        sargan2_p = float(stats.chi2.sf(sargan2, df_over)) if df_over > 0 else float("nan")
        stats_["sargan_xtabond2"], stats_["sargan_xtabond2_p"] = sargan2, sargan2_p
        if system:  # no xtabond for system GMM: xtabond2's Sargan and sigma2
            stats_["sargan"], stats_["sargan_p"] = sargan2, sargan2_p
            stats_["sigma2"] = sigma2_xtabond2
    if system:
        stats_["nobs_levels"] = float(d["n_levels"])
    return stats_


def _gmm_notes(
    fit: GMMFit,
    n_instruments: int,
    n_groups: int,
    *,
    collapse: bool,
    stata: bool,
    time: str,
    dropped_dummies: list[str],
) -> list[str]:
    """The notes of a GMM result: instruments, convention, dropped dummies, generalised inverse."""
    notes = [
        f"Instruments: {n_instruments} for {n_groups} groups"
        + (" (collapsed)" if collapse else ""),
        "Conventions: Stata xtabond/xtabond2 (ssc='stata')"
        if stata
        else "Conventions: R plm pgmm (ssc='R')",
    ]
    if dropped_dummies:
        notes.append(
            f"C({time}): dummies zero or collinear in differences dropped: "
            + ", ".join(dropped_dummies)
        )
    if fit.singular:
        notes.append(
            "Singular " + " and ".join(fit.singular) + " weighting matrix: "
            "generalised inverse used (plm's MASS::ginv of the unscaled matrix; with more "
            "instruments than groups the two-step estimates depend on this choice and on the "
            "units of the instruments, as plm's do)."
        )
    return notes


def _differenced_fit(
    params: np.ndarray, X: np.ndarray, y: np.ndarray, used: np.ndarray, diff_rows: int
) -> Prediction:
    """Fitted values of the differenced equation on its rows (as plm's ``pgmm`` fitted values).

    The individual effects are differenced out and never estimated, so new rows
    cannot be predicted.
    """
    rows = used[:, :diff_rows]
    fitted = np.einsum("nrk,k->nr", X[:, :diff_rows], params)[rows]
    return Prediction(
        link="identity",
        eta=fitted,
        y=y[:, :diff_rows][rows],
        refuse_newdata="dynamic panel GMM fits the equation in first differences and never "
        "estimates the individual effects: it predicts its estimation sample only "
        "(newdata=None: fitted first differences)",
    )

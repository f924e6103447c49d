r"""Weak-instrument, over-identification and endogeneity diagnostics of an IV fit.

All are computed on the variables partialled out of the fixed effects and of
the exogenous regressors (:math:`\tilde y`, :math:`\tilde X_2`,
:math:`\tilde Z_2`), under the variance chosen for the fit:

- first-stage F per endogenous regressor: the Wald statistic of the excluded
  instruments in its first stage over :math:`L`, with the first stage's
  variance (so robust, clustered or Driscoll-Kraay when the fit is), against
  :math:`F(L, d)`; and the partial :math:`R^2` of the excluded instruments
  (ivreg2's "Partial R-squared of excluded instruments"). With several
  endogenous regressors, Sanderson and Windmeijer's (2016) conditional F.
- Cragg-Donald Wald F (iid errors):
  :math:`\lambda_{min}\big((\tilde X_2'P\tilde X_2)(\tilde X_2'M\tilde X_2)^{-1}\big)
  \,(N - K_Z - d_{FE})/L`, with :math:`P`, :math:`M` the projections on
  :math:`\tilde Z_2`; as ``ivreg2`` (``ivreghdfe`` counts the absorbed
  :math:`d_{FE}` the same way). Compare with Stock and Yogo's critical values.
- Kleibergen-Paap (2006) rk statistics, computed as Stata's ``ranktest``
  (normalisation :math:`\hat\Theta = F'\hat\Pi G'^{-1}` with
  :math:`FF' = \tilde Z_2'\tilde Z_2`, :math:`GG' = \tilde X_2'\tilde X_2`).
  The rk Wald statistic uses the variance of :math:`\operatorname{vec}\hat\Pi`
  from the first-stage residuals without small-sample factor; the rk Wald F
  divides it by :math:`L` and by the small-sample factor of the fit's
  variance (ivreg2: :math:`(N-K)/N`, clustered
  :math:`\frac{G-1}{G}\frac{N-K}{N-1}` under ``ssc="stata"``), so that with
  one endogenous regressor it equals the first-stage F. The rk LM statistic
  takes the variance under the null (the endogenous regressors themselves as
  residuals), :math:`\chi^2(L-K_2+1)`; under ``"iid"`` it is Anderson's
  canonical-correlation LM statistic :math:`N\lambda_{min}`.
- Over-identification (:math:`L > K_2`): Sargan's :math:`N\,\hat u'P_Z\hat u
  /\hat u'\hat u` under ``"iid"``, else Hansen's J, the minimised two-step
  GMM criterion :math:`(Z'\hat u)'\hat S^{-1}(Z'\hat u)` with :math:`\hat S`
  the variance of the moments at the 2SLS residuals under the fit's variance
  (``ivreg2``'s J, linearmodels' ``IVGMM.j_stat``), whatever the estimator.
- Endogeneity (Durbin-Wu-Hausman), regression-based: OLS of :math:`\tilde y`
  on :math:`\tilde X` and the first-stage residuals :math:`\hat V`, Wald test
  of :math:`\hat V`'s coefficients under the fit's variance over :math:`K_2`.
  Under ``"iid"`` this is the Wu-Hausman F of AER's ``summary(ivreg, diagnostics
  = TRUE)``; otherwise the heteroskedasticity- or cluster-robust version
  (Wooldridge 2010, 6.2.1; linearmodels' ``wooldridge_regression``), not the
  C statistic.
- Anderson-Rubin: see :mod:`massincidents.iv.anderson_rubin`.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg
from scipy import stats

from massincidents.core.least_squares import column_scale, least_squares
from massincidents.errors import DataError
from massincidents.inference.conventions import SmallSample
from massincidents.inference.vcov import (
    VcovSpec,
)
from massincidents.iv.anderson_rubin import anderson_rubin, anderson_rubin_set
from massincidents.iv.auxiliary import (
    quadratic_form,
    small_sample_factor,
    wald,
)
from massincidents.iv.data import IVData
from massincidents.iv.estimators import IVFit, efficient_gmm, moment_meat, two_sls
from massincidents.iv.statistics import FirstStageStatistics, IVDiagnostics, IVTest
from massincidents.results import Result


def _variance_words(spec: VcovSpec, convention: SmallSample) -> str:
    return spec.label + ("" if convention.preset == "R" else f"; ssc={convention.preset}")


# -- first stages ------------------------------------------------------------------------------


def first_stage_statistics(
    data: IVData, first: dict[str, Result], spec: VcovSpec, convention: SmallSample
) -> dict[str, FirstStageStatistics]:
    """First-stage F, partial R2 and (several endogenous) Sanderson-Windmeijer F."""
    instruments = data.instruments
    L = len(instruments)
    _, x2, z2 = data.without_exogenous()
    words = _variance_words(spec, convention)
    out = {}
    for j, endog in enumerate(data.endogenous):
        fit = first[endog]
        b = fit.params[instruments].to_numpy()
        V = fit.vcov.loc[instruments, instruments].to_numpy()
        f = quadratic_form(V, b) / L
        df2 = float(fit.df_inference) if fit.df_inference is not None else math.inf
        rss0 = float(x2[:, j] @ x2[:, j])
        partial_r2 = 1 - fit.stats["rss"] / rss0 if rss0 > 0 else float("nan")
        sw = sanderson_windmeijer(data, x2, z2, j, spec, convention) if x2.shape[1] > 1 else None
        out[endog] = FirstStageStatistics(
            endogenous=endog,
            f=f,
            df=L,
            df_denominator=df2,
            pvalue=float(stats.f.sf(f, L, df2)),
            partial_r2=float(partial_r2),
            convention=f"Wald/L of the excluded instruments, {words}",
            sanderson_windmeijer=sw,
        )
    return out


def sanderson_windmeijer(
    data: IVData, x2: np.ndarray, z2: np.ndarray, j: int, spec: VcovSpec,
    convention: SmallSample,
) -> IVTest:
    r"""Sanderson-Windmeijer conditional F for endogenous regressor ``j``.

    2SLS of :math:`\tilde x_j` on the other endogenous regressors with the
    excluded instruments; Wald test of the instruments in the regression of
    its residual on them, over :math:`L - K_2 + 1`, :math:`F(L-K_2+1, d)`.
    """
    others = np.delete(x2, j, axis=1)
    empty = np.zeros((x2.shape[0], 0))
    residual = two_sls(x2[:, j], empty, others, z2).resid
    L, K2 = z2.shape[1], x2.shape[1]
    k1 = data.X1.shape[1]
    W, df, _ = wald(z2, residual, slice(0, L), data, spec, convention, n_params=k1 + L)
    dfn = L - K2 + 1
    df2 = df if df is not None else math.inf
    f = W / dfn
    return IVTest("Sanderson-Windmeijer F", f, dfn, float(stats.f.sf(f, dfn, df2)),
                  f"conditional first-stage F, {_variance_words(spec, convention)}", df2)


# -- weak identification: Cragg-Donald and Kleibergen-Paap --------------------------------------


def cragg_donald(data: IVData) -> IVTest:
    """Cragg-Donald Wald F (iid), as ivreg2: (N - K_Z - d_FE)/L times the smallest eigenvalue."""
    _, x2, z2 = data.without_exogenous()
    scale = column_scale(x2)
    x2 = x2 / scale
    resid = data.first_stage_residuals() / scale  # = M x2 on z2 (Frisch-Waugh-Lovell)
    fitted = x2 - resid
    n, L = z2.shape
    kz = data.X1.shape[1] + L
    df = n - kz - data.fe_dof
    eig = scipy.linalg.eigh(fitted.T @ fitted, resid.T @ resid, eigvals_only=True)[0]
    return IVTest("Cragg-Donald Wald F", float(eig) * df / L, L, float("nan"),
                  f"iid, (N - K_Z - d_FE)/L = {df}/{L} times the smallest eigenvalue (ivreg2)")


def _rk_statistic(Y: np.ndarray, Z: np.ndarray, shat: np.ndarray | None) -> float:
    """Kleibergen-Paap rk statistic of rank K-1 (as Stata's ranktest); ``shat`` None: iid LM."""
    n, K = Y.shape
    L = Z.shape[1]
    Lz = np.linalg.cholesky(Z.T @ Z)
    Ly = np.linalg.cholesky(Y.T @ Y)
    pihat = least_squares(Z, Y, warn=False).beta.reshape(L, K)
    theta = Lz.T @ pihat @ np.linalg.inv(Ly.T)
    U, _s, Vh = np.linalg.svd(theta, full_matrices=True)
    V = Vh.T
    q = K - 1
    u12, u22 = U[:q, q:], U[q:, q:]
    v12, v22 = V[:q, q:], V[q:, q:]

    def sqrt_psd(m: np.ndarray) -> np.ndarray:
        w, vec = np.linalg.eigh(m)
        return vec @ np.diag(np.sqrt(np.clip(w, 0, None))) @ vec.T

    aq = np.vstack([u12, u22]) @ np.linalg.inv(u22) @ sqrt_psd(u22 @ u22.T)
    bq = sqrt_psd(v22 @ v22.T) @ np.linalg.inv(v22.T) @ np.vstack([v12, v22]).T
    transform = np.kron(bq, aq.T)
    lab = transform @ theta.flatten(order="F")
    if shat is None:
        vhat = np.eye(L * K) / n
    else:
        inv = np.kron(np.linalg.inv(Ly), np.linalg.inv(Lz))
        vhat = inv @ shat @ inv.T
    vlab = transform @ vhat @ transform.T
    vlab = (vlab + vlab.T) / 2
    return float(lab @ np.linalg.solve(vlab, lab))


def _kron_moments(Y: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """Row-wise :math:`y_i \\otimes z_i` (the order of :math:`\\operatorname{vec}\\Pi`)."""
    return (Y[:, :, None] * Z[:, None, :]).reshape(Y.shape[0], -1)


def kleibergen_paap(
    data: IVData, spec: VcovSpec, convention: SmallSample
) -> tuple[IVTest, IVTest]:
    """Kleibergen-Paap rk Wald F and rk LM statistic under the fit's variance."""
    _, x2, z2 = data.without_exogenous()
    scale = column_scale(x2)
    x2 = x2 / scale
    z2 = z2 / column_scale(z2)
    n, K = x2.shape
    L = z2.shape[1]
    columns = data.sample.for_spec(spec)
    resid = data.first_stage_residuals() / scale  # = M x2 on z2 (Frisch-Waugh-Lovell)
    if spec.kind == "iid":
        shat_wald = np.kron(resid.T @ resid / n, z2.T @ z2)
        shat_lm = None
    else:
        shat_wald = moment_meat(spec, _kron_moments(resid, z2), columns)
        shat_lm = moment_meat(spec, _kron_moments(x2, z2), columns)
    try:
        rk_wald = _rk_statistic(x2, z2, shat_wald)
        rk_lm = _rk_statistic(x2, z2, shat_lm)
    except np.linalg.LinAlgError:  # ranktest's Assumption 2 fails: omega_q singular
        rk_wald = rk_lm = float("nan")
    kz = data.X1.shape[1] + L
    c = small_sample_factor(spec, convention, data, kz)
    df = L - K + 1
    words = _variance_words(spec, convention)
    wald_f = IVTest("Kleibergen-Paap rk Wald F", rk_wald / c / L, L, float("nan"),
                    f"{words}: rk Wald / L / small-sample factor {c:.6g} (ivreg2's widstat)")
    lm = IVTest("Kleibergen-Paap rk LM", rk_lm, df, float(stats.chi2.sf(rk_lm, df)),
                f"under-identification, {spec.label}, no small-sample factor"
                + ("; Anderson canonical-correlation LM" if spec.kind == "iid" else ""))
    return wald_f, lm


# -- over-identification and endogeneity -------------------------------------------------------


def overidentification(
    data: IVData, spec: VcovSpec, first_step: IVFit | None = None
) -> IVTest | None:
    """Sargan (iid) or Hansen's J (otherwise) at the 2SLS first step; None if exactly identified."""
    L, K2 = data.Z2.shape[1], data.X2.shape[1]
    if L <= K2:
        return None
    columns = {} if spec.kind == "iid" else data.sample.for_spec(spec)
    df = L - K2
    name = "Sargan" if spec.kind == "iid" else "Hansen J"
    try:
        if first_step is None:
            first_step = two_sls(data.y, data.X1, data.X2, data.Z, data.first_stage_residuals())
        _, j = efficient_gmm(data.y, data.X1, data.X2, data.Z, spec, columns, first_step)
    except DataError as err:  # e.g. more moments than clusters: no weight matrix
        return IVTest(name, float("nan"), df, float("nan"),
                      f"not computed: {err.problems[0].message}")
    if spec.kind == "iid":
        return IVTest("Sargan", j, df, float(stats.chi2.sf(j, df)),
                      "iid: N u'P_Z u / u'u at the 2SLS residuals")
    return IVTest("Hansen J", j, df, float(stats.chi2.sf(j, df)),
                  f"{spec.label}: two-step GMM criterion, weight from the 2SLS residuals, "
                  "no small-sample factor")


def endogeneity(data: IVData, spec: VcovSpec, convention: SmallSample) -> IVTest:
    """Regression-based Durbin-Wu-Hausman test (control function), under the fit's variance."""
    X = data.X
    X2 = data.X2
    V = data.first_stage_residuals()
    K2 = X2.shape[1]
    regressors = np.column_stack([X, V])
    W, df, _ = wald(regressors, data.y, slice(X.shape[1], None), data, spec, convention)
    df2 = df if df is not None else math.inf
    f = W / K2
    words = _variance_words(spec, convention)
    if spec.kind == "iid":
        name, what = "Wu-Hausman F (regression-based, iid)", "as AER's Wu-Hausman"
    else:
        name, what = "Durbin-Wu-Hausman (regression-based, robust Wald)", "not the C statistic"
    return IVTest(name, f, K2, float(stats.f.sf(f, K2, df2)),
                  f"Wald/K2 of the first-stage residuals added to OLS, {words}; {what}", df2)


def diagnose(
    data: IVData,
    fit: IVFit,
    first: dict[str, Result],
    spec: VcovSpec,
    convention: SmallSample,
    level: float,
) -> IVDiagnostics:
    """Every diagnostic of the fit (see the module docstring)."""
    # the diagnostics do not depend on the estimator; a 2SLS fit is the first GMM step of J
    first_step = fit if fit.kappa == 1.0 else None
    kp_wald, kp_lm = kleibergen_paap(data, spec, convention)
    K2 = data.X2.shape[1]
    return IVDiagnostics(
        first_stage=first_stage_statistics(data, first, spec, convention),
        cragg_donald=cragg_donald(data),
        kleibergen_paap_wald=kp_wald,
        kleibergen_paap_lm=kp_lm,
        anderson_rubin=anderson_rubin(data, np.zeros(K2), spec, convention),
        anderson_rubin_set=anderson_rubin_set(data, spec, convention, level) if K2 == 1 else None,
        overidentification=overidentification(data, spec, first_step),
        endogeneity=endogeneity(data, spec, convention),
    )

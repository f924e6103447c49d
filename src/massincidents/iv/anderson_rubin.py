r"""The Anderson-Rubin test and its confidence set, robust to weak instruments.

For :math:`H_0: \beta_2 = b`, regress :math:`y - X_2b` on the exogenous
regressors and the excluded instruments (fixed effects absorbed) and test the
instruments' coefficients with the fit's variance:

.. math::

    AR(b) = \frac{W(b)}{L}, \qquad
    W(b) = g(b)'\,Q(b)^{-1}g(b), \qquad g(b) = \tilde Z_2'(\tilde y - \tilde X_2 b),

with :math:`Q(b)` the variance of :math:`g(b)` (the "meat" of the chosen
variance, its small-sample factor included) at the residuals of that
regression; :math:`AR(b) \sim F(L, d)` with :math:`d` the residual (or
:math:`G-1`) degrees of freedom of the variance, as Stata ``ivreg2``'s
"Anderson-Rubin Wald test" F form. Its size does not depend on the strength
of the instruments.

The confidence set :math:`\{b : AR(b) \le F_{1-\alpha}(L, d)\}` (one
endogenous regressor) is found exactly: :math:`Q(b)` is quadratic in
:math:`b`, so :math:`\det Q(b)\,(W(b) - c)` is a polynomial of degree
:math:`2L` whose real roots are the only places the verdict can change. Its
coefficients are interpolated at complex roots of unity (a well-conditioned
discrete Fourier transform), each real root is polished on :math:`W(b) - c`
itself, and each piece between roots is kept or not by evaluating the test
there. The set is an interval, the union of two rays, the whole line, a union
of intervals (over-identified, robust variance) or empty, and is reported as
such (:class:`~massincidents.iv.statistics.ConfidenceSet`).
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
from scipy import optimize, stats

from massincidents.core.least_squares import column_scale, least_squares
from massincidents.inference.conventions import SmallSample
from massincidents.inference.vcov import FewClustersWarning, VcovSpec, compute_vcov, effective_k
from massincidents.iv.auxiliary import wald
from massincidents.iv.data import IVData
from massincidents.iv.estimators import two_sls
from massincidents.iv.statistics import ConfidenceSet, IVTest


def anderson_rubin(
    data: IVData, b0: np.ndarray, spec: VcovSpec, convention: SmallSample
) -> IVTest:
    r"""The Anderson-Rubin test of :math:`H_0: \beta_2 = b_0` (every endogenous coefficient)."""
    k1, L = data.X1.shape[1], data.Z2.shape[1]
    W, df, _ = wald(data.Z, data.y - data.X2 @ np.asarray(b0, dtype=float),
                    slice(k1, None), data, spec, convention)
    df2 = df if df is not None else math.inf
    f = W / L
    why = "" if np.isfinite(f) else "; not available: the variance is not positive definite"
    null = ", ".join(f"{n} = {b:g}" for n, b in zip(data.endogenous, np.atleast_1d(b0),
                                                     strict=True))
    return IVTest(f"Anderson-Rubin F ({null})", f, L, float(stats.f.sf(f, L, df2)),
                  f"Wald/L of the excluded instruments in the regression of y - X2 b0, "
                  f"{spec.label}" + ("" if convention.preset == "R" else
                                     f"; ssc={convention.preset}") + why, df2)


class _ARForm:
    """:math:`W(b)` and :math:`Q(b)` for one endogenous regressor, in scaled units."""

    def __init__(self, data: IVData, spec: VcovSpec, convention: SmallSample) -> None:
        y_t, xt, zt = data.without_exogenous()
        yt = y_t[:, None]
        self.sy, self.sx = float(column_scale(yt)[0]), float(column_scale(xt)[0])
        self.y, self.x = yt[:, 0] / self.sy, xt[:, 0] / self.sx
        self.z = zt / column_scale(zt)
        n, L = self.z.shape
        kz = data.X1.shape[1] + L
        fit = least_squares(self.z, np.column_stack([self.y, self.x]), warn=False)
        e = fit.resid.reshape(n, 2)
        self.ey, self.ex = e[:, 0], e[:, 1]
        self.gy, self.gx = self.z.T @ self.y, self.z.T @ self.x
        self.L = L
        self.iid = spec.kind == "iid"
        self.positive = True
        self.critical = float("nan")  # set by the caller: L times the F quantile
        if self.iid:
            K = effective_k(convention, n_params=kz, fe_dof=data.fe_dof)
            self.denominator = (n - K) if convention.adj else (n - 1.0)
            self.zz = self.z.T @ self.z
            df: float | None = float(n - K)
        else:
            moments = np.column_stack([self.z * self.ey[:, None], self.z * self.ex[:, None]])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FewClustersWarning)
                meat, df = compute_vcov(spec, bread=np.eye(2 * L), scores=moments, family="ls",
                                        n_params=kz, fe=data.fe, fe_dof=data.fe_dof,
                                        columns=data.sample.for_spec(spec), sigma2=1.0,
                                        ssc=convention)
            self.myy, self.myx = meat[:L, :L], meat[:L, L:]
            self.mxx = meat[L:, L:]
            # Q(b) = [I, -bI] meat [I, -bI]' is positive definite for every b when the
            # joint meat is; a two-way clustered meat need not be
            scale = np.sqrt(np.abs(np.diag(meat)))
            scale = np.where(scale > 0, scale, 1.0)
            self.positive = bool(
                np.linalg.eigvalsh(meat / np.outer(scale, scale))[0] > 1e-12)
        self.df = df if df is not None else math.inf

    def Q(self, b: complex) -> np.ndarray:
        if self.iid:
            e = self.ey - b * self.ex
            return (e @ e) / self.denominator * self.zz
        return self.myy - b * (self.myx + self.myx.T) + b * b * self.mxx

    def g(self, b: complex) -> np.ndarray:
        return self.gy - b * self.gx

    def W(self, b: float) -> float:
        g = self.g(b)
        return float(g @ np.linalg.solve(self.Q(b), g))

    def f(self, b: complex) -> complex:
        """:math:`\\det Q(b)\\,(W(b) - c)`, for complex ``b`` (no conjugation)."""
        Q = self.Q(b)
        g = self.g(b)
        return complex(np.linalg.det(Q) * (g @ np.linalg.solve(Q, g) - self.critical))


def _polynomial_roots(form: _ARForm, centre: float, half_width: float) -> list[float]:
    """Real roots of :math:`\\det Q (W - c)` in :math:`b` (scaled units)."""
    degree = 2 * form.L
    m = degree + 1
    nodes = np.exp(2j * np.pi * np.arange(m) / m)
    values = np.array([form.f(centre + half_width * t) for t in nodes])
    coefficients = np.fft.fft(values) / m  # values = sum_k c_k t^k at the roots of unity
    coefficients = coefficients[::-1]  # highest degree first for np.roots
    top = np.max(np.abs(coefficients))
    while len(coefficients) > 1 and abs(coefficients[0]) <= 1e-13 * top:
        coefficients = coefficients[1:]
    roots = np.roots(coefficients) if len(coefficients) > 1 else np.array([])
    real = [centre + half_width * r.real for r in roots
            if abs(r.imag) <= 1e-6 * max(1.0, abs(r.real))]
    return sorted(real)


def _polish(form: _ARForm, root: float, spacing: float) -> float:
    """Refine a root on :math:`W(b) - c` itself (bracketing by a growing step)."""
    def h(b: float) -> float:
        return form.W(b) - form.critical

    step = 1e-8 * max(abs(root), spacing, 1e-12)
    while step < spacing:
        lo, hi = root - step, root + step
        if h(lo) * h(hi) < 0:
            return float(optimize.brentq(h, lo, hi, xtol=1e-14 * max(1.0, abs(root)),
                                         rtol=1e-15))
        step *= 4
    return root


def anderson_rubin_set(
    data: IVData, spec: VcovSpec, convention: SmallSample, level: float = 0.95
) -> ConfidenceSet:
    """The Anderson-Rubin confidence set for the one endogenous coefficient."""
    form = _ARForm(data, spec, convention)
    if not form.positive:
        return ConfidenceSet((), level, data.endogenous[0],
                             f"{spec.label} is not positive definite for every value: the "
                             "Anderson-Rubin test cannot be inverted", available=False)
    form.critical = form.L * float(stats.f.ppf(level, form.L, form.df))
    b_hat = float(two_sls(form.y, np.zeros((form.y.shape[0], 0)), form.x[:, None], form.z).beta[0])
    spread = float(np.sqrt(abs(form.Q(b_hat)[0, 0])) / max(abs(form.gx[0]), 1e-300))
    half_width = max(2.0 * spread, 1e-6 * max(1.0, abs(b_hat)))
    roots = _polynomial_roots(form, b_hat, half_width)
    gaps = np.diff(roots) if len(roots) > 1 else np.array([half_width])
    spacing = float(min(np.min(gaps) / 2, half_width)) if len(gaps) else half_width
    roots = sorted({_polish(form, r, max(spacing, 1e-300)) for r in roots})
    edges = [-math.inf, *roots, math.inf]
    accepted = []
    for lo, hi in itertools.pairwise(edges):
        if math.isinf(lo) and math.isinf(hi):
            probe = b_hat
        elif math.isinf(lo):
            probe = hi - (1.0 + abs(hi))
        elif math.isinf(hi):
            probe = lo + (1.0 + abs(lo))
        else:
            probe = (lo + hi) / 2
        accepted.append(form.W(probe) <= form.critical)
    intervals: list[tuple[float, float]] = []
    for (lo, hi), keep in zip(itertools.pairwise(edges), accepted, strict=True):
        if not keep:
            continue
        if intervals and intervals[-1][1] == lo:
            intervals[-1] = (intervals[-1][0], hi)
        else:
            intervals.append((lo, hi))
    unit = form.sy / form.sx
    back = tuple((lo * unit, hi * unit) for lo, hi in intervals)
    return ConfidenceSet(back, level, data.endogenous[0],
                         f"Anderson-Rubin test inverted, F({form.L}, {form.df:g}), {spec.label}")

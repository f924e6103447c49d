r"""Rambachan and Roth (2023): confidence sets robust to violations of parallel trends.

The event-study coefficients :math:`\hat\beta = (\hat\beta_{pre}, \hat\beta_{post})`,
normal with variance :math:`\Sigma`, estimate :math:`\beta = \tau + \delta`:
treatment effects :math:`\tau` (zero before treatment) plus the difference in
trends :math:`\delta`. Parallel trends is :math:`\delta = 0`; instead
:math:`\delta` is only restricted to a set :math:`\Delta`, and
:math:`\theta = \ell'\tau_{post}` (one post-period effect, or their average)
is covered, for every :math:`\delta \in \Delta`, with probability
:math:`1-\alpha`. Two sets, with the R package ``HonestDiD``'s methods:

* ``method="relative_magnitudes"``, :math:`\Delta^{RM}(\bar M)`:
  :math:`|\delta_{t+1}-\delta_t| \le \bar M \max_{s<0}|\delta_{s+1}-\delta_s|`
  for :math:`t \ge 0`; the ARP conditional test with the least-favourable
  hybrid (C-LF), inverted on a grid of :math:`\theta`
  (:mod:`~massincidents.did.honest_arp`);
* ``method="smoothness"``, :math:`\Delta^{SD}(M)`:
  :math:`|(\delta_{t+1}-\delta_t)-(\delta_t-\delta_{t-1})| \le M`; the
  Armstrong-Kolesár fixed-length interval (FLCI,
  :mod:`~massincidents.did.honest_flci`).

The sets are in :mod:`~massincidents.did.honest_restrictions`. Larger
:math:`\bar M` or :math:`M` allow larger violations and give wider sets; the
*breakdown value* is the smallest :math:`\bar M` (:math:`M`) at which the set
contains zero.

Inputs. The event study must have a reference period normalised to zero and
consecutive event times around it:

* :func:`massincidents.event_study` and :func:`massincidents.sun_abraham`
  (reference :math:`e = -1` by default, the result's own variance);
* the ``"dynamic"`` aggregation of :func:`massincidents.staggered_did` with
  ``base_period="universal"`` (reference :math:`e = -1-\delta`, the
  influence-function variance of ``AggregateResult.vcov``). With the
  default varying base period the pre-period estimates are period-to-period
  changes, not comparable to the post-period ones, and are refused, as the
  R function ``honest_did`` for ``did`` objects does.

Reproducing R. The confidence sets of relative magnitudes are grid points,
as in R: ``grid_points`` values (1,000) centred on :math:`\ell'\hat\beta_{post}`
with half-width
:math:`\bar M\sum_t t|\ell_t|\max_{s<0}|\Delta\hat\beta_s| + 20\,\mathrm{sd}(\ell'\hat\beta_{post})`
(the grid of the Stata package and of the R package's README;
``grid="zero"``: CRAN's :math:`[-20\,\mathrm{sd}, 20\,\mathrm{sd}]`). The
least-favourable critical value uses R's own draws (``set.seed(0)``), so the
sets equal the R package's. The FLCI uses the exact folded-normal quantile;
``folded_normal="simulated"`` uses R's simulated one.

References
----------
Rambachan, A. and Roth, J. (2023). A more credible approach to parallel
trends. *Review of Economic Studies* 90(5), 2555-2591.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from massincidents.did.honest_arp import accepted_grid
from massincidents.did.honest_flci import flci
from massincidents.did.honest_restrictions import (
    post_period_rows,
    relative_magnitudes_polyhedron,
)
from massincidents.errors import DataError, Problem


class GridEndWarning(UserWarning):
    """A relative-magnitudes set reaches an end of its grid: it may be wider than reported.

    Widen the grid (``grid="centered"``, the default, scales with :math:`\bar M`) or
    increase ``grid_points``; the R package warns in the same case.
    """


METHODS = {
    "relative_magnitudes": ("DeltaRM", "C-LF", "Mbar"),
    "smoothness": ("DeltaSD", "FLCI", "M"),
}


@dataclass
class HonestDiDResult:
    """Robust confidence sets over a grid of :math:`M` or :math:`\\bar M`.

    Attributes
    ----------
    robust
        One row per value: ``method`` (``"C-LF"`` or ``"FLCI"``), ``Delta``
        (``"DeltaRM"``/``"DeltaSD"``), ``Mbar`` or ``M``, ``lb``, ``ub``.
    original
        The conventional interval :math:`\\ell'\\hat\\beta_{post} \\pm z\\,\\mathrm{sd}`
        (one row, ``method="Original"``).
    breakdown
        Smallest :math:`\\bar M` (:math:`M`) at which the set contains 0
        (0 when the original interval does; ``inf`` beyond ``breakdown_max``).
    l_vec
        The weights :math:`\\ell` on the post-periods.
    pre_event_times, post_event_times
        Event times of :math:`\\hat\\beta_{pre}` and :math:`\\hat\\beta_{post}`.
    """

    method: str
    parameter: str
    robust: pd.DataFrame
    original: pd.DataFrame
    breakdown: float
    l_vec: np.ndarray
    pre_event_times: list[int]
    post_event_times: list[int]
    alpha: float
    estimate: float
    notes: list[str] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        """The original interval first, then the robust sets (R's tibbles, stacked)."""
        original = self.original.assign(**{self.parameter: np.nan, "Delta": None})
        return pd.concat([original, self.robust], ignore_index=True)[
            ["method", "Delta", self.parameter, "lb", "ub"]
        ]

    def plot(self, ax=None):
        """The sensitivity plot of the R package: intervals against :math:`M` or :math:`\\bar M`."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        values = self.robust[self.parameter].to_numpy(dtype=float)
        gap = float(np.min(np.diff(np.sort(values)))) if len(values) > 1 else 1.0
        x0 = float(values.min()) - gap
        lb, ub = float(self.original["lb"].iloc[0]), float(self.original["ub"].iloc[0])
        ax.errorbar([x0], [(lb + ub) / 2], yerr=[[(ub - lb) / 2]], fmt="none", ecolor="red",
                    capsize=4, label="Original")
        mid = (self.robust["lb"] + self.robust["ub"]) / 2
        half = (self.robust["ub"] - self.robust["lb"]) / 2
        ax.errorbar(values, mid, yerr=half, fmt="none", ecolor="#01a2d9", capsize=4,
                    label=str(self.robust["method"].iloc[0]))
        ax.axhline(0.0, color="black", linewidth=0.8)
        ax.set_xlabel(r"$\bar{M}$" if self.parameter == "Mbar" else "$M$")
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, -0.3), ncol=2, frameon=False)
        return ax

    def __repr__(self) -> str:
        name = "relative magnitudes" if self.method == "relative_magnitudes" else "smoothness"
        return (
            f"HonestDiD ({name}; {self.parameter} breakdown = {self.breakdown:.4g})\n"
            + self.table().to_string(index=False, float_format=lambda v: f"{v:.6g}")
        )


def _problem(message: str) -> DataError:
    return DataError([Problem(message)])


def event_study_estimates(
    event_study: object, window: tuple[int, int] | None = None
) -> tuple[np.ndarray, np.ndarray, list[int], list[int]]:
    """:math:`\\hat\\beta`, :math:`\\Sigma`, pre and post event times of an event study.

    The reference period is removed; event times must be consecutive on each side.
    """
    from massincidents.did.callaway_santanna import AggregateResult
    from massincidents.did.event_study import EVENT_PREFIX

    if isinstance(event_study, AggregateResult):
        if event_study.kind != "dynamic" or event_study.vcov is None:
            raise _problem(
                f"honest_did needs the 'dynamic' aggregation, got {event_study.kind!r}: "
                "use result.aggregate('dynamic')"
            )
        if event_study.base_period != "universal":
            raise _problem(
                "honest_did needs a universal base period: the pre-period effects of "
                "base_period='varying' are period-to-period changes, not comparable with the "
                "post-period effects; refit with staggered_did(..., base_period='universal')"
            )
        reference = -1 - int(event_study.anticipation)
        times = [int(e) for e in event_study.estimates["event_time"]]
        beta = event_study.estimates["att"].to_numpy(dtype=float)
        sigma = event_study.vcov.to_numpy(dtype=float)
    elif hasattr(event_study, "params") and hasattr(event_study, "extra"):
        info = event_study.extra.get("event", {})  # type: ignore[attr-defined]
        if info.get("binned"):
            raise _problem(
                "the event study bins its endpoints "
                f"({', '.join(str(e) for e in info['binned'])}): a binned coefficient pools "
                "several periods and the restrictions are on consecutive periods; refit with "
                "bin_endpoints=False or without leads/lags"
            )
        reference = int(info.get("reference", -1))
        terms = [t for t in event_study.params.index if str(t).startswith(EVENT_PREFIX)]  # type: ignore[attr-defined]
        if not terms:
            raise _problem("the result has no event-study terms (rel_time::e)")
        times = [int(str(t)[len(EVENT_PREFIX):]) for t in terms]
        beta = event_study.params.loc[terms].to_numpy(dtype=float)  # type: ignore[attr-defined]
        sigma = event_study.vcov.loc[terms, terms].to_numpy(dtype=float)  # type: ignore[attr-defined]
    else:
        raise TypeError(
            "honest_did takes an event_study or sun_abraham result, or the 'dynamic' "
            "aggregation of staggered_did; for coefficients and a variance use "
            "honest_did_from_estimates"
        )
    order = np.argsort(times)
    times = [times[i] for i in order]
    beta, sigma = beta[order], sigma[np.ix_(order, order)]
    keep = [i for i, e in enumerate(times) if e != reference]
    if window is not None:
        keep = [i for i in keep if window[0] <= times[i] <= window[1]]
    times = [times[i] for i in keep]
    beta, sigma = beta[keep], sigma[np.ix_(keep, keep)]
    pre = [e for e in times if e < reference]
    post = [e for e in times if e > reference]
    if not pre:
        raise _problem(
            f"no pre-period coefficient (event time before the reference {reference}): "
            "the restrictions bound post-period violations by pre-period ones"
        )
    if not post:
        raise _problem(f"no post-period coefficient (event time after the reference {reference})")
    if pre != list(range(reference - len(pre), reference)) or post != list(
        range(reference + 1, reference + 1 + len(post))
    ):
        raise _problem(
            f"event times must be consecutive around the reference {reference}; got "
            f"{times}: pass window=(first, last) to use a consecutive stretch"
        )
    if not (np.all(np.isfinite(beta)) and np.all(np.isfinite(sigma))):
        raise _problem("the event-study coefficients or their variance are not finite")
    return beta, sigma, pre, post


def _target_vector(target: object, post: list[int]) -> np.ndarray:
    if isinstance(target, str):
        if target != "average":
            raise ValueError("target must be an event time, 'average' or a vector of weights")
        return np.full(len(post), 1.0 / len(post))
    if isinstance(target, (int, np.integer)):
        if int(target) not in post:
            raise _problem(f"target event time {target} is not a post-period ({post})")
        out = np.zeros(len(post))
        out[post.index(int(target))] = 1.0
        return out
    vec = np.asarray(target, dtype=float).ravel()
    if vec.shape != (len(post),) or not np.any(vec != 0):
        raise ValueError(f"target weights need {len(post)} values, not all zero")
    return vec


def original_interval(
    betahat: np.ndarray, sigma: np.ndarray, n_pre: int, l_vec: np.ndarray, alpha: float
) -> tuple[float, float, float]:
    """Estimate and conventional interval of :math:`\\ell'\\beta_{post}`."""
    post = slice(n_pre, n_pre + len(l_vec))
    est = float(l_vec @ betahat[post])
    sd = float(np.sqrt(l_vec @ sigma[post, post] @ l_vec))
    z = stats.norm.ppf(1 - alpha / 2)
    return est, est - z * sd, est + z * sd


def _rm_grid(
    betahat: np.ndarray, sigma: np.ndarray, n_pre: int, l_vec: np.ndarray, mbar: float,
    points: int, grid: str,
) -> np.ndarray:
    n_post = len(l_vec)
    post = slice(n_pre, n_pre + n_post)
    sd = float(np.sqrt(l_vec @ sigma[post, post] @ l_vec))
    if grid == "zero":
        return np.linspace(-20 * sd, 20 * sd, points)
    if grid != "centered":
        raise ValueError("grid must be 'centered' or 'zero'")
    if n_pre > 1:
        max_pre = float(np.max(np.abs(np.diff(np.r_[betahat[:n_pre], 0.0]))))
    else:
        max_pre = abs(float(betahat[0]))
    half = mbar * float(np.arange(1, n_post + 1) @ np.abs(l_vec)) * max_pre + 20 * sd
    center = float(l_vec @ betahat[post])
    return np.linspace(center - half, center + half, points)


def _rm_accepts(
    betahat: np.ndarray, sigma: np.ndarray, n_pre: int, l_vec: np.ndarray, mbar: float,
    thetas: np.ndarray, alpha: float, seed: int,
) -> np.ndarray:
    """Acceptance over ``thetas`` of the union of C-LF tests over :math:`(s, \\pm)`."""
    n_post = len(l_vec)
    accept = np.zeros(len(thetas), dtype=bool)
    for s in range(-(n_pre - 1), 1):
        for positive in (True, False):
            a = relative_magnitudes_polyhedron(n_pre, n_post, mbar, s, positive)
            rows = post_period_rows(a, n_pre)
            accept |= accepted_grid(
                betahat, sigma, n_pre, n_post, a, l_vec, thetas, alpha, True, rows, seed
            )
    return accept


def _breakdown(contains_zero, scale: float, upper_max: float, root=None) -> float:
    """Smallest value in ``[0, upper_max]`` at which ``contains_zero`` turns true.

    The sets grow with the value, so the switch is found by bracketing (doubling from
    ``scale``) and bisection to 1e-4 relative; with ``root`` (a continuous function that
    changes sign there, e.g. the FLCI's bound nearest 0) by Brent's method instead.
    """
    if contains_zero(0.0):
        return 0.0
    lo, hi = 0.0, scale
    while not contains_zero(hi):
        lo, hi = hi, 2 * hi
        if hi > upper_max:
            return np.inf
    if root is not None:
        return float(optimize.brentq(root, lo, hi, xtol=1e-12 * hi, rtol=1e-6))
    while hi - lo > 1e-4 * hi:
        mid = 0.5 * (lo + hi)
        if contains_zero(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _checked_estimates(
    betahat: Sequence[float] | np.ndarray, sigma: np.ndarray, num_pre: int
) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients and a symmetrised variance, or a DataError saying what is wrong."""
    betahat = np.asarray(betahat, dtype=float).ravel()
    sigma = np.asarray(sigma, dtype=float)
    if num_pre < 1:
        raise _problem(
            "no pre-period coefficient: the restrictions bound post-period violations by "
            "pre-period ones, so at least one pre-period is needed"
        )
    if len(betahat) - int(num_pre) < 1:
        raise _problem("no post-period coefficient")
    if sigma.shape != (len(betahat), len(betahat)):
        raise ValueError(f"sigma must be {len(betahat)} x {len(betahat)}, got {sigma.shape}")
    if not (np.all(np.isfinite(betahat)) and np.all(np.isfinite(sigma))):
        raise _problem("the event-study coefficients or their variance are not finite")
    sigma = (sigma + sigma.T) / 2
    scale = np.sqrt(np.clip(np.diag(sigma), 0, None))
    if np.any(scale == 0):
        raise _problem(
            "a coefficient has zero variance (the reference period left in, or a period "
            "without comparison units): drop it, or choose window=(first, last)"
        )
    if np.linalg.eigvalsh(sigma / np.outer(scale, scale)).min() < -1e-8:
        raise _problem("the variance of the event-study coefficients is not positive semi-definite")
    return betahat, sigma


def _breakdown_value(
    method: str, betahat: np.ndarray, sigma: np.ndarray, num_pre: int, l_vec: np.ndarray,
    est: float, alpha: float, folded_normal: str, seed: int, breakdown_max: float,
) -> float:
    """Smallest Mbar (C-LF accepts theta = 0) or M (the FLCI reaches 0)."""
    if method == "relative_magnitudes":
        def contains_zero(v: float) -> bool:
            accept = _rm_accepts(betahat, sigma, num_pre, l_vec, v, np.zeros(1), alpha, seed)
            return bool(accept[0])

        return _breakdown(contains_zero, 1.0, breakdown_max)
    near = "lb" if est > 0 else "ub"

    def bound(v: float) -> float:
        return getattr(flci(betahat, sigma, num_pre, l_vec, v, alpha, folded_normal), near)

    def reaches_zero(v: float) -> bool:
        return bound(v) <= 0.0 if near == "lb" else bound(v) >= 0.0

    # M is in units of the outcome per period squared: start from one sd of the estimate
    scale = float(np.sqrt(l_vec @ sigma[num_pre:, num_pre:] @ l_vec))
    return _breakdown(reaches_zero, scale, breakdown_max * max(scale, 1.0), root=bound)


def honest_did_from_estimates(
    betahat: Sequence[float] | np.ndarray,
    sigma: np.ndarray,
    *,
    num_pre: int,
    method: str = "relative_magnitudes",
    values: Sequence[float] | None = None,
    target: object = None,
    alpha: float = 0.05,
    grid_points: int = 1000,
    grid: str = "centered",
    folded_normal: str = "exact",
    breakdown: bool = True,
    breakdown_max: float = 1e3,
    seed: int = 0,
    pre_event_times: list[int] | None = None,
    post_event_times: list[int] | None = None,
) -> HonestDiDResult:
    r"""Robust confidence sets from event-study coefficients and their variance.

    ``betahat`` are the pre-period coefficients (``num_pre`` of them, in time
    order) then the post-period ones, the reference period left out, as the R
    package's ``betahat``; ``values`` are the :math:`\bar M` (relative
    magnitudes) or :math:`M` (smoothness) of the grid; ``target`` the weights
    :math:`\ell` (the R package's ``l_vec``; default: the first post-period).
    Other arguments as in :func:`honest_did`.
    """
    if method not in METHODS:
        raise ValueError("method must be 'relative_magnitudes' or 'smoothness'")
    delta, ci_method, parameter = METHODS[method]
    betahat, sigma = _checked_estimates(betahat, sigma, num_pre)
    n_post = len(betahat) - int(num_pre)
    pre_t = pre_event_times or list(range(-num_pre - 1, -1))
    post_t = post_event_times or list(range(0, n_post))
    if target is None:
        l_vec = np.zeros(n_post)
        l_vec[0] = 1.0
    else:
        l_vec = _target_vector(target, post_t)
    if values is None:
        values = [0.5, 1.0, 1.5, 2.0] if method == "relative_magnitudes" else None
    if values is None:
        raise ValueError("give the values of M for smoothness (m=[...])")
    values = [float(v) for v in np.atleast_1d(values)]
    if any(v < 0 or not np.isfinite(v) for v in values):
        raise ValueError("M and Mbar must be finite and non-negative")
    est, lo, hi = original_interval(betahat, sigma, num_pre, l_vec, alpha)
    rows = []
    notes: list[str] = []
    for v in values:
        if method == "relative_magnitudes":
            thetas = _rm_grid(betahat, sigma, num_pre, l_vec, v, grid_points, grid)
            accept = _rm_accepts(betahat, sigma, num_pre, l_vec, v, thetas, alpha, seed)
            if not accept.any():
                lb = ub = np.nan
                notes.append(f"Mbar={v:g}: no grid value accepted (the set is empty on the grid)")
            else:
                lb, ub = float(thetas[accept].min()), float(thetas[accept].max())
                if accept[0] or accept[-1]:
                    message = f"Mbar={v:g}: the set reaches an end of the grid; it may be wider"
                    notes.append(message)
                    warnings.warn(message, GridEndWarning, stacklevel=2)
        else:
            ci = flci(betahat, sigma, num_pre, l_vec, v, alpha, folded_normal)
            lb, ub = ci.lb, ci.ub
        rows.append({"method": ci_method, "Delta": delta, parameter: v, "lb": lb, "ub": ub})
    robust = pd.DataFrame(rows, columns=["method", "Delta", parameter, "lb", "ub"])
    original = pd.DataFrame([{"method": "Original", "lb": lo, "ub": hi}])
    value = np.nan
    if breakdown:
        value = 0.0 if lo <= 0.0 <= hi else _breakdown_value(
            method, betahat, sigma, num_pre, l_vec, est, alpha, folded_normal, seed,
            breakdown_max,
        )
    return HonestDiDResult(
        method=method,
        parameter=parameter,
        robust=robust,
        original=original,
        breakdown=float(value),
        l_vec=l_vec,
        pre_event_times=list(pre_t),
        post_event_times=list(post_t),
        alpha=alpha,
        estimate=est,
        notes=notes,
    )


def honest_did(
    event_study: object,
    *,
    method: str = "relative_magnitudes",
    mbar: Sequence[float] | float | None = None,
    m: Sequence[float] | float | None = None,
    alpha: float = 0.05,
    target: int | str | Sequence[float] = 0,
    window: tuple[int, int] | None = None,
    grid_points: int = 1000,
    grid: str = "centered",
    folded_normal: str = "exact",
    breakdown: bool = True,
    seed: int = 0,
) -> HonestDiDResult:
    r"""Sensitivity of an event study to violations of parallel trends (Rambachan-Roth).

    .. math::

        \Delta^{RM}(\bar M) = \Big\{\delta:\ |\delta_{t+1}-\delta_t|
          \le \bar M \max_{s<0}|\delta_{s+1}-\delta_s|,\ t \ge 0\Big\},
        \qquad
        \Delta^{SD}(M) = \Big\{\delta:\ |(\delta_{t+1}-\delta_t)
          -(\delta_t-\delta_{t-1})| \le M\Big\},

    with :math:`\delta_0 = 0` at the reference period. Returns, for each
    :math:`\bar M` (``mbar``, C-LF test inversion) or :math:`M` (``m``, FLCI),
    a confidence set for :math:`\theta = \ell'\tau_{post}` that covers
    :math:`\theta` with probability :math:`1-\alpha` whenever
    :math:`\delta \in \Delta`, the conventional interval, and the breakdown
    value. See :mod:`massincidents.did.honest` for the method and the
    conventions that reproduce the R package ``HonestDiD``.

    Parameters
    ----------
    event_study
        A result of :func:`massincidents.event_study` or
        :func:`massincidents.sun_abraham`, or ``staggered_did(...,
        base_period="universal").aggregate("dynamic")``.
    method
        ``"relative_magnitudes"`` (:math:`\Delta^{RM}`) or ``"smoothness"``
        (:math:`\Delta^{SD}`).
    mbar, m
        The grid of :math:`\bar M` (default 0.5, 1, 1.5, 2) or :math:`M`
        (required, in the units of the outcome per period squared).
    alpha
        1 - confidence level.
    target
        An event time :math:`e \ge` the first post-period (default 0: the
        effect on impact), ``"average"`` (mean of the post-period effects) or
        weights :math:`\ell` on the post-periods (the R package's ``l_vec``).
    window
        ``(first, last)``: use only these event times (R ``did``'s
        ``min_e``/``max_e``).
    grid_points, grid
        The :math:`\theta` grid of relative magnitudes (see the module).
    folded_normal
        ``"exact"`` or ``"simulated"`` (R's) quantile in the FLCI.
    breakdown
        Compute the breakdown value (by bisection on :math:`\bar M` or
        :math:`M`).
    seed
        Seed of R's generator for the least-favourable critical value.

    Returns
    -------
    HonestDiDResult
        ``.robust`` (``method, Delta, Mbar|M, lb, ub``), ``.original``,
        ``.breakdown``, ``.table()``, ``.plot()``.

    Raises
    ------
    DataError
        With no pre-period, non-consecutive event times, binned endpoints,
        a coefficient without variance, or a Callaway-Sant'Anna aggregation
        without a universal base period.

    Notes
    -----
    The linear programs of relative magnitudes are solved by enumerating the
    vertices of their dual up to about ten post-periods (seconds); beyond
    that they go to HiGHS and a grid of 1,000 values takes minutes, as in R:
    restrict the event times with ``window`` or use fewer ``grid_points``.

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(seed=1, policy_effect=0.5)
    >>> es = mi.event_study(df, outcome="y_linear", unit="province", time="year",
    ...                     cohort="cohort")
    >>> hd = mi.honest_did(es, method="relative_magnitudes", mbar=[0.5, 1], window=(-3, 2))
    >>> list(hd.robust.columns)
    ['method', 'Delta', 'Mbar', 'lb', 'ub']
    >>> bool((hd.robust["ub"] - hd.robust["lb"]).is_monotonic_increasing)
    True
    """
    if method not in METHODS:
        raise ValueError("method must be 'relative_magnitudes' or 'smoothness'")
    values = mbar if method == "relative_magnitudes" else m
    other = m if method == "relative_magnitudes" else mbar
    if other is not None:
        raise ValueError(
            "mbar= goes with method='relative_magnitudes' and m= with method='smoothness'"
        )
    betahat, sigma, pre, post = event_study_estimates(event_study, window)
    return honest_did_from_estimates(
        betahat,
        sigma,
        num_pre=len(pre),
        method=method,
        values=None if values is None else list(np.atleast_1d(values)),
        target=target,
        alpha=alpha,
        grid_points=grid_points,
        grid=grid,
        folded_normal=folded_normal,
        breakdown=breakdown,
        seed=seed,
        pre_event_times=pre,
        post_event_times=post,
    )


__all__ = [
    "GridEndWarning",
    "HonestDiDResult",
    "event_study_estimates",
    "honest_did",
    "honest_did_from_estimates",
]

r"""Simulated province panels and event tables with known true parameters.

Every model in the package is tested on data from these simulators, whose
data-generating process (DGP) is stated here in full so that a test can check
that an estimator recovers the truth.

The panel DGP, for unit :math:`i = 1..N` and year :math:`t = 1..T`:

.. math::

    \alpha_i &\sim N(0, \sigma_\alpha^2), \qquad \gamma_t \sim N(0, \sigma_\gamma^2),\\
    x_{1it} &= \rho\,\alpha_i + 0.05\,t + u_{it}, \quad u_{it} \sim N(0, 1),\\
    x_{2it} &\sim N(0, 1),\\
    D_{it} &= \mathbf{1}\{g_i \le t\}, \quad e_{it} = t - g_i,\\
    \log \mu_{it} &= \log P_{it} + \beta_0 + \alpha_i + \gamma_t
        + \textstyle\sum_k \beta_k x_{kit} + \tau(g_i, e_{it})\,D_{it},\\
    \lambda_{it} &\sim \text{Gamma}(\text{shape} = 1/\phi,\ \text{scale} = \phi\,\mu_{it}),
        \qquad y_{it} \sim \text{Poisson}(\lambda_{it}),

so :math:`y` is negative binomial (NB2) with mean :math:`\mu` and variance
:math:`\mu + \phi\mu^2` (Poisson when :math:`\phi = 0`). :math:`P_{it}` is
population in 10,000 persons (the exposure), :math:`g_i` the adoption year of a
policy (never for a share of units), and :math:`\tau(g, e)` the policy effect
on the log rate, constant by default and free to vary with cohort and event
time. Because :math:`x_1` is correlated with :math:`\alpha_i` (through
:math:`\rho`), pooled estimators are biased and fixed-effects estimators are
not. A continuous outcome with the same structure is also returned,

.. math::

    y^{\text{lin}}_{it} = \alpha_i + \gamma_t + \textstyle\sum_k \beta_k x_{kit}
        + \tau(g_i, e_{it}) D_{it} + \varepsilon_{it},
        \qquad \varepsilon_{it} \sim N(0, \sigma_\varepsilon^2).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from massincidents.provinces import MAINLAND_CODES

PolicyEffect = float | Callable[[int, int], float]

# Share of events by CLB size band (1-100, 100-1000, 1000-10000, 10000+),
# roughly the shares in the 2011-2017 strike map.
SIZE_BANDS: tuple[str, ...] = ("1-100", "100-1000", "1000-10000", "10000+")
_SIZE_SHARES = np.array([0.70, 0.25, 0.045, 0.005])
# Monthly weights with the peak before Chinese New Year (January-February).
_MONTH_WEIGHTS = np.array([1.9, 1.3, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.9, 0.9, 1.0, 1.4])


class Truth(dict):
    """The true parameters of a simulated panel (a read-only dict).

    pandas deep-copies ``DataFrame.attrs`` on every operation; the truth never
    changes, so copying it returns the same object and costs nothing.
    """

    def __deepcopy__(self, memo: dict) -> Truth:
        return self

    def __setitem__(self, key: object, value: object) -> None:
        raise TypeError("the true parameters of a simulation are read-only")

    def __reduce__(self) -> tuple[type[Truth], tuple[dict]]:
        # Rebuild from a plain dict: pickle's default restores a dict subclass
        # item by item through __setitem__, which is refused above.
        return (Truth, (dict(self),))


def _policy_effect(effect: PolicyEffect, cohort: np.ndarray, event_time: np.ndarray) -> np.ndarray:
    treated = event_time >= 0
    out = np.zeros(cohort.shape, dtype=float)
    if callable(effect):
        out[treated] = [
            effect(int(g), int(e))
            for g, e in zip(cohort[treated], event_time[treated], strict=True)
        ]
    else:
        out[treated] = float(effect)
    return out


def simulate_panel(
    n_provinces: int = 31,
    n_years: int = 20,
    *,
    start_year: int = 2000,
    effects: Mapping[str, float] | None = None,
    policy_effect: PolicyEffect = 0.2,
    never_treated_share: float = 0.3,
    alpha: float = 0.5,
    rate: float = 0.005,
    sigma_province: float = 0.5,
    sigma_year: float = 0.2,
    sigma_noise: float = 1.0,
    rho: float = 1.0,
    seed: int | None = None,
) -> pd.DataFrame:
    r"""Simulate a balanced province-year panel with counts and a policy.

    Parameters
    ----------
    n_provinces
        Number of units. Up to 31 they carry the real GB/T province codes;
        beyond 31 they are numbered 1..N (e.g. prefectures).
    n_years
        Number of years, starting at ``start_year``.
    start_year
        The first year.
    effects
        True coefficients :math:`\beta_k` of the regressors, by name; default
        ``{"x1": 0.3, "x2": -0.2}``. Names other than ``x1`` and ``x2`` get
        independent standard-normal regressors.
    policy_effect
        :math:`\tau`: a constant, or a function ``tau(cohort, event_time)`` for
        heterogeneous and dynamic effects.
    never_treated_share
        Share of units that never adopt the policy. The others adopt in a year
        drawn uniformly from the 4th to the second-to-last year.
    alpha
        NB2 overdispersion :math:`\phi` (0 gives Poisson counts).
    rate
        :math:`e^{\beta_0}`: events per 10,000 persons per year at the mean.
    sigma_province, sigma_year, sigma_noise
        Standard deviations of :math:`\alpha_i`, :math:`\gamma_t`,
        :math:`\varepsilon_{it}`.
    rho
        Loading of :math:`x_1` on :math:`\alpha_i` (0 makes FE unnecessary).
    seed
        Seed for :func:`numpy.random.default_rng`; the same seed gives the
        same panel.

    Returns
    -------
    pandas.DataFrame
        Columns ``province``, ``year``, ``population`` (10,000 persons), the
        regressors, ``cohort`` (adoption year, ``<NA>`` if never), ``treated``
        (0/1), ``event_time``, ``tau`` (true policy effect of the cell, 0 when untreated),
        ``mu`` (true mean), ``y`` (count), and
        ``y_linear``. ``attrs["truth"]`` holds every true parameter, including
        the unit and year effects (dicts keyed by code and year).

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(seed=1)
    >>> df.shape[0], df.attrs["truth"]["effects"]
    (620, {'x1': 0.3, 'x2': -0.2})
    """
    if n_provinces < 2 or n_years < 2:
        raise ValueError("simulate_panel needs at least 2 units and 2 years")
    effects = dict(effects) if effects is not None else {"x1": 0.3, "x2": -0.2}
    rng = np.random.default_rng(seed)
    units = np.array(
        MAINLAND_CODES[:n_provinces] if n_provinces <= 31 else np.arange(1, n_provinces + 1)
    )
    years = np.arange(start_year, start_year + n_years)
    n = n_provinces * n_years

    unit_effect = rng.normal(0.0, sigma_province, n_provinces)
    unit_effect -= unit_effect.mean()
    year_effect = rng.normal(0.0, sigma_year, n_years)
    year_effect -= year_effect.mean()
    base_pop = np.exp(rng.normal(np.log(4000.0 if n_provinces <= 31 else 400.0), 0.6, n_provinces))
    growth = rng.normal(0.005, 0.003, n_provinces)

    unit_idx = np.repeat(np.arange(n_provinces), n_years)
    year_idx = np.tile(np.arange(n_years), n_provinces)
    population = base_pop[unit_idx] * np.exp(growth[unit_idx] * year_idx)

    regressors: dict[str, np.ndarray] = {}
    for name in effects:
        if name == "x1":
            regressors[name] = rho * unit_effect[unit_idx] + 0.05 * year_idx + rng.normal(size=n)
        else:
            regressors[name] = rng.normal(size=n)

    treated_units = rng.random(n_provinces) >= never_treated_share
    first, last = min(3, n_years - 1), max(3, n_years - 2)
    adoption = np.where(treated_units, rng.integers(first, last + 1, n_provinces), -1)
    cohort_year = np.where(adoption >= 0, years[0] + adoption, 0)
    cohort = cohort_year[unit_idx]
    event_time = np.where(cohort > 0, years[year_idx] - cohort, -(10**6))
    tau = _policy_effect(policy_effect, cohort, event_time)
    treated = (event_time >= 0).astype(int)

    index = unit_effect[unit_idx] + year_effect[year_idx] + tau
    for name, beta in effects.items():
        index = index + beta * regressors[name]
    mu = population * rate * np.exp(index)
    lam = rng.gamma(1.0 / alpha, alpha * mu) if alpha > 0 else mu
    y = rng.poisson(lam)
    y_linear = index + rng.normal(0.0, sigma_noise, n)

    df = pd.DataFrame(
        {
            "province": units[unit_idx],
            "year": years[year_idx],
            "population": population,
            **regressors,
            "cohort": pd.array(np.where(cohort > 0, cohort, 0), dtype="Int64"),
            "treated": treated,
            "event_time": pd.array(np.where(cohort > 0, event_time, 0), dtype="Int64"),
            "tau": tau,
            "mu": mu,
            "y": y,
            "y_linear": y_linear,
        }
    )
    never = df["cohort"] == 0
    df.loc[never, "cohort"] = pd.NA
    df.loc[never, "event_time"] = pd.NA
    df.attrs["truth"] = Truth(
        {
            "effects": effects,
            "policy_effect": policy_effect if not callable(policy_effect) else "callable",
            "alpha": alpha,
            "rate": rate,
            "province_effects": dict(zip(units.tolist(), unit_effect.tolist(), strict=True)),
            "year_effects": dict(zip(years.tolist(), year_effect.tolist(), strict=True)),
            "seed": seed,
        }
    )
    return df


def simulate_events(
    n_provinces: int = 31,
    n_years: int = 7,
    *,
    start_year: int = 2011,
    seed: int | None = None,
    **panel_options: object,
) -> pd.DataFrame:
    """Simulate dated events whose province-year counts follow :func:`simulate_panel`.

    Each province-year count :math:`y_{it}` from :func:`simulate_panel` is
    spread over the year: months are drawn with a peak in January and
    February (before Chinese New Year, as in the CLB data), days uniformly
    within the month, and each event gets a size band with CLB-like shares.

    Parameters
    ----------
    n_provinces, n_years, start_year, seed
        As in :func:`simulate_panel`.
    **panel_options
        Passed to :func:`simulate_panel`.

    Returns
    -------
    pandas.DataFrame
        Columns ``event_id``, ``province``, ``date``, ``size_band``, sorted by
        date. ``pd.DataFrame(events.attrs["panel"])`` holds the simulated
        province-year counts ``y`` that the events add up to, so
        ``events_to_panel(events)`` must return them; ``attrs["truth"]`` is
        the panel's truth.

    Examples
    --------
    >>> import massincidents as mi
    >>> ev = mi.datasets.simulate_events(seed=3)
    >>> sum(ev.attrs["panel"]["y"]) == len(ev)
    True
    """
    panel = simulate_panel(n_provinces, n_years, start_year=start_year, seed=seed, **panel_options)  # type: ignore[arg-type]
    rng = np.random.default_rng(None if seed is None else seed + 1)
    counts = panel["y"].to_numpy()
    province = np.repeat(panel["province"].to_numpy(), counts)
    year = np.repeat(panel["year"].to_numpy(), counts)
    total = int(counts.sum())
    month = rng.choice(12, size=total, p=_MONTH_WEIGHTS / _MONTH_WEIGHTS.sum()) + 1
    first_of_month = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": 1}))
    days_in_month = first_of_month.dt.days_in_month.to_numpy()
    day = np.floor(rng.random(total) * days_in_month).astype(int)
    date = first_of_month + pd.to_timedelta(day, unit="D")
    size = rng.choice(len(SIZE_BANDS), size=total, p=_SIZE_SHARES)
    events = pd.DataFrame(
        {"province": province, "date": date.to_numpy(), "size_band": np.array(SIZE_BANDS)[size]}
    )
    events = events.sort_values(["date", "province"], kind="stable").reset_index(drop=True)
    events.insert(0, "event_id", np.arange(1, total + 1))
    # Plain lists, so that attrs survive copying and Parquet's JSON metadata.
    events.attrs["panel"] = {
        "province": panel["province"].tolist(),
        "year": panel["year"].tolist(),
        "y": counts.tolist(),
    }
    events.attrs["truth"] = panel.attrs["truth"]
    return events

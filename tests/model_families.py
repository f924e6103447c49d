"""One fitted result of every model family (tests/results/ and others that need them)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

import massincidents as mi


def survival_frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(size=500)
    t = rng.exponential(1 / np.exp(0.5 * x))
    return pd.DataFrame(
        {
            "x": x,
            "time": np.minimum(t, 2.0),
            "dead": (t < 2.0).astype(int),
            "g": np.arange(500) % 20,
            "unit": np.arange(500),
        }
    )


def zero_inflated_frame() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    x = rng.normal(size=600)
    y = np.where(rng.random(600) < 0.3, 0, rng.poisson(np.exp(0.5 + 0.3 * x)))
    return pd.DataFrame({"y": y, "x": x, "g": np.arange(600) % 25})


def dynamic_frame() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    n, t = 200, 6
    y = np.zeros((n, t))
    a = rng.normal(size=n)
    for s in range(1, t):
        y[:, s] = 0.5 * y[:, s - 1] + a + rng.normal(size=n)
    return pd.DataFrame(
        {
            "firm": np.repeat(np.arange(n), t),
            "year": np.tile(np.arange(2000, 2000 + t), n),
            "y": y.ravel(),
        }
    )


def fit_every_family() -> dict[str, object]:
    df = mi.datasets.simulate_panel(seed=1, policy_effect=0.5)
    surv = survival_frame()
    spells = surv.assign(period=np.ceil(surv["time"] * 3).astype(int))
    zi = zero_inflated_frame()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "linear": mi.linear("y_linear ~ x1 + x2 | province + year", df),
            "random_effects": mi.random_effects("y_linear ~ x1 + x2", df),
            "between": mi.between("y_linear ~ x1 + x2", df),
            "first_difference": mi.first_difference(
                "y_linear ~ x1 + x2", df, vcov={"CRV1": "province"}
            ),
            "poisson": mi.poisson("y ~ x1 + x2 | province + year", df, exposure="population"),
            "negbin": mi.negbin("y ~ x1 + x2 | province", df, exposure="population"),
            "negbin_conditional": mi.negbin(
                "y ~ x1 + x2 | province", df, exposure="population", conditional=True
            ),
            "zero_inflated": mi.zero_inflated("y ~ x", zi),
            "cox": mi.cox("x", surv, stop="time", event="dead"),
            "weibull": mi.weibull("x", surv, duration="time", event="dead"),
            "discrete_hazard": mi.discrete_hazard(
                spells, unit="unit", time="period", event="dead", formula_rhs="x", layout="spells"
            ),
            "arellano_bond": mi.arellano_bond(
                "y ~ lag(y, 1) | lag(y, 2:99)", dynamic_frame(), entity="firm", time="year"
            ),
            "event_study": mi.event_study(
                df, outcome="y_linear", unit="province", time="year", cohort="cohort",
                leads=3, lags=3,
            ),
            "sun_abraham": mi.sun_abraham(
                df, outcome="y_linear", unit="province", time="year", cohort="cohort"
            ),
            "staggered_did": mi.staggered_did(
                mi.datasets.simulate_panel(40, 8, seed=2), outcome="y_linear",
                unit="province", time="year", cohort="cohort", bootstrap=False,
            ),
        }


CLUSTER_BY = {
    # a variance choice each family's with_vcov accepts, other than its default
    "linear": {"CRV1": "year"},
    "random_effects": {"CRV1": "province"},
    "between": "hetero",
    "first_difference": "hetero",
    "poisson": {"CRV1": "year"},
    "negbin": "hetero",
    "negbin_conditional": {"CRV1": "province"},
    "zero_inflated": {"CRV1": "g"},
    "cox": {"CRV1": "g"},
    "weibull": {"CRV1": "g"},
    "discrete_hazard": "hetero",
    "event_study": "hetero",
    "sun_abraham": "hetero",
}

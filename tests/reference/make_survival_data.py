"""Write ``data/discrete_spells.csv``, the simulated spells of the discrete-hazard references.

    /work/venv/bin/python tests/reference/make_survival_data.py   (from the repository root)

600 spells in 6 groups, each followed in whole periods (months) from period
``entry + 1`` (``entry`` > 0: left-truncated, 1 spell in 4) to ``duration``
(the period of the event, ``event = 1``, or of censoring, ``event = 0``). The
discrete hazard is complementary log-log,

    h(t | x) = 1 - exp(-exp(a_t + 0.5 x1 - 0.4 x2 + g_group)),

with a_t falling from -2.2 to -3.0 over 12 periods and censoring uniform on
the periods. Floats are written with 17 significant digits so that R
(``survival_parametric.R``, which expands the spells to person-periods with its
own code) and the tests read identical numbers. The CSV is committed: the
tests never rerun this.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20240612
N, PERIODS, GROUPS = 600, 12, 6


def simulate(seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.integers(0, GROUPS, N)
    g_effect = np.linspace(-0.3, 0.3, GROUPS)
    x1 = rng.normal(size=N)
    x2 = rng.integers(0, 2, N)
    a = np.linspace(-2.2, -3.0, PERIODS)
    entry = np.where(rng.random(N) < 0.25, rng.integers(1, 4, N), 0)
    censor = rng.integers(1, PERIODS + 1, N)
    rows = []
    for i in range(N):
        duration, event = None, 0
        for t in range(entry[i] + 1, PERIODS + 1):
            eta = a[t - 1] + 0.5 * x1[i] - 0.4 * x2[i] + g_effect[group[i]]
            if rng.random() < 1 - np.exp(-np.exp(eta)):
                duration, event = t, 1
                break
            if t >= max(censor[i], entry[i] + 1):
                duration = t
                break
        if duration is None:
            duration = PERIODS
        rows.append((i + 1, f"g{group[i] + 1}", x1[i], int(x2[i]), int(entry[i]), duration, event))
    return pd.DataFrame(rows, columns=["id", "group", "x1", "x2", "entry", "duration", "event"])


def main() -> None:
    df = simulate()
    out = Path(__file__).parent / "data" / "discrete_spells.csv"
    df.to_csv(out, index=False, float_format="%.17g")
    print(f"wrote {out} ({len(df)} spells, {int(df['event'].sum())} events)")


if __name__ == "__main__":
    main()

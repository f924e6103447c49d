"""Write ``data/event_panel.csv``, the simulated staggered panel of the ``i()`` references.

    PYTHONPATH=src python tests/reference/make_event_panel.py   (from the repository root)

40 units x 12 years (``unit`` 0..39, ``year`` 2001..2012). Each unit is treated
from a cohort year drawn from {2004, 2006, 2008} or never (probability 1/4
each, seed 20261206). ``rel`` = year - cohort for treated units and -1 (the
reference period) for never-treated ones; ``treat`` = 1 for ever-treated
units; ``x`` standard normal; ``y`` = 0.1 unit + 0.05 (year - 2000) + 0.3 x +
0.4 treat 1[rel >= 0] (1 + rel/4) + N(0, 1); ``count`` Poisson with log-mean
0.5 + 0.02 unit + 0.2 x + 0.3 treat 1[rel >= 0]. ``rel_gaps`` is ``rel`` with 17
values set missing (row accounting). Floats with 17 significant digits; the
CSV is committed: the tests never rerun this.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20261206


def event_panel() -> pd.DataFrame:
    rng = np.random.default_rng(SEED)
    units, years = np.arange(40), np.arange(2001, 2013)
    cohort_of = rng.choice([2004.0, 2006.0, 2008.0, np.inf], size=units.size)
    d = pd.DataFrame([(u, t) for u in units for t in years], columns=["unit", "year"])
    cohort = cohort_of[d["unit"].to_numpy()]
    treated = np.isfinite(cohort)
    d["treat"] = treated.astype(int)
    d["rel"] = np.where(treated, d["year"] - np.where(treated, cohort, 0), -1).astype(int)
    d["x"] = rng.normal(size=len(d))
    post = (treated & (d["rel"] >= 0)).astype(float)
    d["y"] = (
        0.1 * d["unit"]
        + 0.05 * (d["year"] - 2000)
        + 0.3 * d["x"]
        + 0.4 * post * (1 + d["rel"] / 4)
        + rng.normal(size=len(d))
    )
    d["count"] = rng.poisson(np.exp(0.5 + 0.02 * d["unit"] + 0.2 * d["x"] + 0.3 * post))
    gaps = d["rel"].astype(float)
    gaps[rng.choice(len(d), size=17, replace=False)] = np.nan
    d["rel_gaps"] = gaps
    return d


def main() -> None:
    out = Path(__file__).parent / "data" / "event_panel.csv"
    event_panel().to_csv(out, index=False, float_format="%.17g")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

"""Write ``data/count_panel.csv``, the simulated panel of the count-model references.

    /work/venv/bin/python tests/reference/make_count_panel.py   (from the repository root)

``mi.datasets.simulate_panel(n_provinces=31, n_years=12, seed=20240611)``: NB2
counts ``y`` with exposure ``population`` (true effects x1 = 0.3, x2 = -0.2,
treated = 0.2, overdispersion 0.5), 31 provinces x 12 years. Floats are
written with 17 significant digits so that R (``counts_reference.R``) and the
tests read identical numbers. The CSV is committed: the tests never rerun this.
"""

from __future__ import annotations

from pathlib import Path

import massincidents as mi

SEED = 20240611
COLUMNS = ["province", "year", "population", "x1", "x2", "treated", "y"]


def main() -> None:
    df = mi.datasets.simulate_panel(n_provinces=31, n_years=12, seed=SEED)[COLUMNS]
    out = Path(__file__).parent / "data" / "count_panel.csv"
    df.to_csv(out, index=False, float_format="%.17g")
    print(f"wrote {out} ({len(df)} rows)")


if __name__ == "__main__":
    main()

"""pyfixest estimates with fixest's ``i()`` on ``data/event_panel.csv`` (``pyfixest_i.json``).

    python tests/reference/pyfixest_i.py   (from the repository root; needs pyfixest)

R ``fixest`` is not installable here (no CRAN), so pyfixest, which implements
fixest's ``i()`` and its column names (``rel::-1``, ``rel::3:treat``), is the
independent reference. For each case the exact call is stored with the
coefficients, and standard errors clustered by ``unit`` under three
small-sample settings: pyfixest's default ``ssc()`` (fixest's
``G/(G-1) (N-1)/(N-K)`` with ``K`` counting the fixed effects not nested in the
clusters plus one for each fully nested one), ``ssc(k_adj=False)``
(``G/(G-1)`` only) and ``ssc(k_adj=False, G_adj=False)`` (no correction: the
plain sandwich, CRV0). ``df_k`` is pyfixest's ``K`` of the default setting.
``tests/core/test_interactions.py`` compares ``massincidents`` with these numbers.
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
import warnings
from pathlib import Path

import pandas as pd
import pyfixest as pf

HERE = Path(__file__).parent
CASES = {
    "fe_ref": ("feols", "y ~ i(rel, ref=-1) | unit + year"),
    "fe_group": ("feols", "y ~ i(rel, treat, ref=-1) + x | unit + year"),
    "fe_default_ref": ("feols", "y ~ i(rel) + x | unit + year"),
    "fe_slopes": ("feols", "y ~ i(rel, x) | unit + year"),
    "fe_treatment_contrast": ("feols", "y ~ C(rel, Treatment(-1)) + x | unit + year"),
    "fe_missing_values": ("feols", "y ~ i(rel_gaps, ref=-1) + x | unit + year"),
    "no_fe_ref": ("feols", "y ~ i(rel, ref=-1) + x"),
    "no_fe_group": ("feols", "y ~ i(rel, treat, ref=-1) + x"),
    "poisson_fe_ref": ("fepois", "count ~ i(rel, ref=-1) + x | unit + year"),
}
SSC = {
    "se_crv1": {},
    "se_g_adj_only": {"k_adj": False},
    "se_crv0": {"k_adj": False, "G_adj": False},
}


def fit(kind: str, formula: str, data: pd.DataFrame, ssc: dict):
    options = {"vcov": {"CRV1": "unit"}, "ssc": pf.ssc(**ssc)}
    if kind == "fepois":
        options |= {"iwls_tol": 1e-13, "fixef_tol": 1e-13}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(pf, kind)(formula, data, **options)


def main() -> None:
    data = pd.read_csv(HERE / "data" / "event_panel.csv")
    cases = {}
    for name, (kind, formula) in CASES.items():
        out: dict = {"call": f'pyfixest.{kind}("{formula}", data, vcov={{"CRV1": "unit"}})'}
        for key, ssc in SSC.items():
            model = fit(kind, formula, data, ssc)
            if key == "se_crv1":
                out["nobs"] = int(model._N)
                out["df_k"] = int(model._df_k)
                out["coef"] = {str(k): float(v) for k, v in model.coef().items()}
            out[key] = {str(k): float(v) for k, v in model.se().items()}
        cases[name] = out
    result = {
        "description": "pyfixest estimates with fixest's i() (tests/core/test_interactions.py)",
        "generated_by": "tests/reference/pyfixest_i.py",
        "data": "data/event_panel.csv, written by tests/reference/make_event_panel.py",
        "python": platform.python_version(),
        "packages": {p: importlib.metadata.version(p) for p in ("pyfixest", "formulaic", "pandas")},
        "ssc": {k: f"pyfixest.ssc(**{v})" for k, v in SSC.items()},
        "cases": cases,
    }
    (HERE / "pyfixest_i.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {HERE / 'pyfixest_i.json'}")


if __name__ == "__main__":
    main()

"""Freeze the output of the `honestdid` package of PyPI (0.1.1) on the README inputs of R HonestDiD.

`honestdid` (github.com/anzonyquispe/honestdid) is a Python port of the R package's CRAN
code. This script runs it on the event-study coefficients and variances stored in
honestdid_readme.json (the Medicaid TWFE event study with a control, fixest's Sun-Abraham
aggregation, and did's Callaway-Sant'Anna dynamic aggregation with a universal base) and
writes honestdid_pypi.json. It needs only that package (in its own environment: it pulls
torch and cvxpy). With numpy 2.4 its relative-magnitudes code stops with "TypeError: only
0-dimensional arrays can be converted to Python scalars" (``float()`` of a 1x1 array, an
error since numpy 2.4, a DeprecationWarning before), so numpy is pinned to 2.2:

    python -m venv /tmp/honestdid-venv
    /tmp/honestdid-venv/bin/pip install honestdid==0.1.1 numpy==2.2.6
    /tmp/honestdid-venv/bin/python honestdid_pypi.py [NAME ...]

With names, only those inputs are run and merged into the existing file.
"""

import json
import platform
import sys
from importlib import metadata
from pathlib import Path

import honestdid
import numpy as np

HERE = Path(__file__).resolve().parent
ref = json.loads((HERE / "honestdid_readme.json").read_text(encoding="utf-8"))

MBAR = [0.5, 1.0, 1.5, 2.0]
M = [0.0, 0.01, 0.02, 0.03, 0.04, 0.05]


def _inputs():
    c = ref["controls"]
    yield "twfe_controls", np.array(c["betahat"]), np.array(c["sigma"]), 5, 2
    # the first post-period only: the test without nuisance parameters
    b, v = np.array(c["betahat"])[:6], np.array(c["sigma"])[:6, :6]
    yield "twfe_controls_first_post", b, v, 5, 1
    s = ref["sunab"]
    yield "sunab", np.array(s["beta"]), np.array(s["sigma"]), 10, 6
    cs = ref["cs"]
    keep = np.array(cs["event_times"]) != -1
    v = np.array(cs["vcov"])[np.ix_(keep, keep)]
    yield "cs", np.array(cs["att"])[keep], v, 4, 6


def _rows(frame, key):
    return [
        {key: float(r[key]), "lb": float(r["lb"]), "ub": float(r["ub"])}
        for _, r in frame.iterrows()
    ]


only = set(sys.argv[1:])
previous = {}
if only and (HERE / "honestdid_pypi.json").exists():
    previous = json.loads((HERE / "honestdid_pypi.json").read_text(encoding="utf-8"))["results"]
out = {
    "python": platform.python_version(),
    "packages": {p: metadata.version(p) for p in ("honestdid", "numpy", "scipy", "cvxpy", "torch")},
    "script": "honestdid_pypi.py",
    "calls": (
        "createSensitivityResults_relativeMagnitudes(betahat, sigma, numPrePeriods, "
        "numPostPeriods, Mbarvec=[0.5, 1, 1.5, 2], gridPoints=100) (l_vec = first "
        "post-period, method C-LF, its default grid [-20 sd, 20 sd], seed 0); "
        "createSensitivityResults(..., Mvec=[0, 0.01, ..., 0.05]) (FLCI, seed 0)"
    ),
    "inputs": "honestdid_readme.json: controls, sunab, cs (reference event time -1 dropped)",
    "results": dict(previous),
}
for name, b, v, n_pre, n_post in _inputs():
    if only and name not in only:
        continue
    print(name, file=sys.stderr)
    rm = honestdid.createSensitivityResults_relativeMagnitudes(
        b, v, n_pre, n_post, Mbarvec=MBAR, gridPoints=100
    )
    entry = {"num_pre": n_pre, "num_post": n_post, "rm": _rows(rm, "Mbar")}
    if name == "twfe_controls":
        sd = honestdid.createSensitivityResults(b, v, n_pre, n_post, Mvec=M)
        entry["sd"] = _rows(sd, "M")
    out["results"][name] = entry
(HERE / "honestdid_pypi.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")

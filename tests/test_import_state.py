"""Importing massincidents changes no global state of the user's session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import massincidents as mi

CHECK = """
import logging, warnings
import matplotlib, numpy as np
filters = list(warnings.filters)
errors = np.geterr()
printing = np.get_printoptions()
rc = dict(matplotlib.rcParams)
handlers = list(logging.getLogger().handlers)
import massincidents
added = [f for f in warnings.filters if f not in filters]
assert warnings.filters == filters, f"warning filters added on import: {added}"
assert np.geterr() == errors, np.geterr()
assert np.get_printoptions() == printing
changed = {k for k, v in matplotlib.rcParams.items() if rc.get(k) != v}
assert not changed, changed
assert logging.getLogger().handlers == handlers
print("unchanged")
"""


def test_importing_the_package_changes_no_global_state() -> None:
    # in a fresh interpreter: on main, statsmodels' and scipy's imports added 11 filters
    env = {**os.environ, "PYTHONPATH": str(Path(mi.__file__).resolve().parents[1])}
    done = subprocess.run(
        [sys.executable, "-c", CHECK], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "unchanged"

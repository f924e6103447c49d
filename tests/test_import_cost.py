"""What importing the package costs: which modules load, in fresh interpreters.

``import massincidents`` and ``massincidents --help`` load no model family and
none of the heavy dependencies; the public names load on first use (PEP 562),
resolve to the same objects as a direct import, and the first call of each
model family works from a fresh process and gives the same numbers. No timing
is asserted here (the machine is shared): ``benchmarks/bench_import.py``
measures the times.
"""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

import massincidents as mi

SOURCE = Path(mi.__file__).resolve().parents[1]
REPO_ROOT = SOURCE.parent

#: Heavy dependencies (and their heaviest parts) that ``import massincidents`` must not load.
HEAVY = (
    "statsmodels",
    "pyfixest",
    "duckdb",
    "pyarrow",
    "jsonschema",
    "matplotlib",
    "seaborn",
    "scipy.optimize",
    "scipy.stats",
    "joblib",
    "numba",
    "formulaic",
    "pandas",
    "yaml",
)

#: The model families and the machinery under them, which ``--help`` must not load.
FAMILIES = (
    "massincidents.linear",
    "massincidents.counts",
    "massincidents.survival",
    "massincidents.dynamic",
    "massincidents.did",
    "massincidents.inference",
    "massincidents.results",
    "massincidents.core",
    "massincidents.multiverse",
    "massincidents.spec",
)


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SOURCE)}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done


def _loaded(code: str) -> set[str]:
    """The modules loaded after running ``code`` in a fresh interpreter."""
    done = _python(code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))")
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def _heavy(loaded: set[str]) -> set[str]:
    return {name for name in HEAVY if name in loaded}


def test_import_loads_no_heavy_module() -> None:
    # on main the import loaded pandas, scipy.stats/optimize, formulaic, pyfixest, duckdb,
    # pyarrow, jsonschema, matplotlib and yaml (about 1,400 modules)
    loaded = _loaded("import massincidents")
    assert _heavy(loaded) == set()
    assert {m for m in loaded if m.startswith("massincidents")} == {"massincidents"}


def test_help_loads_no_model_family(tmp_path: Path) -> None:
    # the console script of pyproject.toml, run as pip's wrapper runs it
    module, function = _entry_point()
    modules = tmp_path / "modules.json"
    driver = (
        "import atexit, json, sys\n"
        f"out = open({str(modules)!r}, 'w')\n"
        "atexit.register(lambda: out.write(json.dumps(sorted(sys.modules))))\n"
        f"from {module} import {function}\n"
        "sys.argv[0] = 'massincidents'\n"
        f"sys.exit({function}())\n"
    )
    for args in (["--help"], ["datasets", "--help"], ["rerun", "--help"]):
        done = _python(driver, *args)
        assert "Usage" in done.stdout, done.stdout
        loaded = set(json.loads(modules.read_text(encoding="utf-8")))
        families = {m for m in loaded for f in FAMILIES if m == f or m.startswith(f + ".")}
        assert families == set(), args
        assert _heavy(loaded) == set(), args


def _entry_point() -> tuple[str, str]:
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    module, function = config["project"]["scripts"]["massincidents"].split(":")
    return module, function


CHECK_STATE = """
import logging, warnings
import matplotlib, numpy as np
filters = list(warnings.filters)
errors = np.geterr()
printing = np.get_printoptions()
rc = dict(matplotlib.rcParams)
handlers = list(logging.getLogger().handlers)
import massincidents as mi
resolved = {name: getattr(mi, name) for name in mi.__all__}
added = [f for f in warnings.filters if f not in filters]
assert warnings.filters == filters, f"warning filters added by a lazy load: {added}"
assert np.geterr() == errors, np.geterr()
assert np.get_printoptions() == printing
changed = {k for k, v in matplotlib.rcParams.items() if rc.get(k) != v}
assert not changed, changed
assert logging.getLogger().handlers == handlers
missing = sorted(set(mi.__all__) - set(dir(mi)))
assert not missing, missing
print(sorted(name for name, value in resolved.items() if value is None))
"""


def test_every_public_name_resolves_and_changes_no_global_state() -> None:
    # test_import_state checks the import; the lazy loads behind each name run later, and
    # scipy.special, scipy.sparse and formulaic add warning filters when first imported
    done = _python(CHECK_STATE)
    assert done.stdout.strip() == "[]"


def test_public_names_are_the_objects_of_their_modules() -> None:
    assert set(mi.__all__) == set(mi._LAZY) | {"__version__"}
    for name, (module, attribute) in mi._LAZY.items():
        target = sys.modules.get(module) or __import__(module, fromlist=["_"])
        expected = target if attribute is None else getattr(target, attribute)
        assert getattr(mi, name) is expected, name
    with pytest.raises(AttributeError, match="no_such_name"):
        mi.no_such_name  # noqa: B018
    assert not hasattr(mi, "inference.no_such_module")


def _submodule_names() -> set[str]:
    return {info.name for info in pkgutil.iter_modules(mi.__path__)}


@pytest.mark.parametrize("name", sorted(set(mi.__all__) & _submodule_names()))
def test_a_name_shared_with_a_submodule_stays_the_function(name: str) -> None:
    # importing massincidents.linear (as the count models do) sets the subpackage as an
    # attribute of the package; mi.linear must stay the estimator
    code = (
        f"import massincidents as mi, massincidents.{name}\n"
        f"value = getattr(mi, {name!r})\n"
        f"kind = type(value).__name__\n"
        f"print(kind, getattr(value, '__module__', value.__name__))\n"
    )
    kind, where = _python(code).stdout.split()
    if name in ("datasets", "spec"):  # these two public names are the modules
        assert kind == "module"
    else:
        assert kind == "function" and where.startswith(f"massincidents.{name}"), (kind, where)


def test_submodules_stay_reachable_by_attribute() -> None:
    # tests and notebooks use mi.inference.conventions, mi.results.Result, mi.core.design
    code = (
        "import massincidents as mi\n"
        "print(mi.inference.conventions.SmallSample.__name__, mi.results.Result.__name__)\n"
    )
    assert _python(code).stdout.split() == ["SmallSample", "Result"]


FIRST_CALLS = {
    "linear": (
        "df = mi.datasets.simulate_panel(seed=1)\n"
        "fit = mi.linear('y_linear ~ x1 + x2 | province + year', df)\n"
    ),
    "counts": (
        "df = mi.datasets.simulate_panel(seed=1)\n"
        "fit = mi.poisson('y ~ x1 + x2 + treated | province + year', df, exposure='population')\n"
    ),
    "survival": (
        "import numpy as np, pandas as pd\n"
        "rng = np.random.default_rng(0)\n"
        "x = rng.normal(size=300)\n"
        "t = rng.exponential(1 / np.exp(0.5 * x))\n"
        "d = pd.DataFrame({'x': x, 'time': np.minimum(t, 2.0), 'dead': (t < 2.0).astype(int)})\n"
        "fit = mi.cox('x', d, stop='time', event='dead')\n"
    ),
    "dynamic": (
        "import numpy as np, pandas as pd\n"
        "rng = np.random.default_rng(0)\n"
        "n, t = 100, 6\n"
        "a = rng.normal(size=n)\n"
        "y = np.zeros((n, t))\n"
        "y[:, 0] = 2 * a + rng.normal(size=n)\n"
        "for s in range(1, t):\n"
        "    y[:, s] = 0.5 * y[:, s - 1] + a + rng.normal(size=n)\n"
        "df = pd.DataFrame({'firm': np.repeat(np.arange(n), t),\n"
        "                   'year': np.tile(np.arange(2000, 2000 + t), n), 'y': y.ravel()})\n"
        "fit = mi.arellano_bond('y ~ lag(y, 1) | lag(y, 2:99)', df, entity='firm', time='year')\n"
    ),
    "did": (
        "df = mi.datasets.simulate_panel(seed=1, policy_effect=0.5)\n"
        "fit = mi.event_study(df, outcome='y_linear', unit='province', time='year',\n"
        "                     cohort='cohort', leads=4, lags=5)\n"
    ),
}


@pytest.mark.parametrize("family", sorted(FIRST_CALLS))
def test_first_call_of_each_family_in_a_fresh_process(family: str) -> None:
    body = FIRST_CALLS[family]
    done = _python(
        "import json\nimport massincidents as mi\n"
        + body
        + "print(json.dumps({'params': fit.params.tolist(), 'bse': fit.bse.tolist()}))\n"
    )
    fresh = json.loads(done.stdout.strip().splitlines()[-1])
    here: dict[str, object] = {"mi": mi}
    exec(body, here)  # the same call in this process, where everything is loaded already
    fit = here["fit"]
    np.testing.assert_allclose(fresh["params"], fit.params.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(fresh["bse"], fit.bse.to_numpy(), rtol=1e-12)


#: Loaded only by the commands and functions that need them (plots, rerun, events).
NOT_FOR_MODELS = (
    "statsmodels",
    "matplotlib",
    "seaborn",
    "duckdb",
    "jsonschema",
    "yaml",
    "joblib",
    "numba",
)


@pytest.mark.parametrize(
    "name", ["linear", "poisson", "negbin", "cox", "weibull", "arellano_bond", "event_study"]
)
def test_looking_up_a_model_loads_no_plotting_or_reader_dependency(name: str) -> None:
    loaded = _loaded(f"import massincidents as mi\nmi.{name}")
    assert {m for m in NOT_FOR_MODELS if m in loaded} == set()

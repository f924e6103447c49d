"""Packaging: the wheel's package list, one version source, declared = imported, the sdist."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_in_the_wheel_list() -> None:
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    source = REPO_ROOT / "src"
    found = {
        ".".join(init.parent.relative_to(source).parts)
        for init in source.rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert "massincidents._data" in listed


def test_every_data_folder_is_shipped_with_its_files() -> None:
    """A folder of data/ not listed is left out of the wheel, with setuptools' warning
    'Package would be ignored' in every install's output (data/codebook, data/sources)."""
    setuptools = _pyproject()["tool"]["setuptools"]
    listed, shipped = set(setuptools["packages"]), setuptools["package-data"]
    for folder in sorted((REPO_ROOT / "data").iterdir()):
        if not folder.is_dir() or folder.name.startswith((".", "__")):
            continue
        name = f"massincidents._data.{folder.name}"
        assert name in listed, f"add {name} to [tool.setuptools] packages in pyproject.toml"
        suffixes = {f"*{p.suffix}" for p in folder.iterdir() if p.is_file()}
        assert suffixes <= set(shipped.get(name, [])), f"{name}: package-data lacks files"


# --- one version source ----------------------------------------------------------------


def _pyproject() -> dict:
    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _citation() -> dict[str, str]:
    """The top-level ``key: value`` lines of CITATION.cff (no YAML library needed)."""
    found = {}
    for line in (REPO_ROOT / "CITATION.cff").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([a-z-]+):\s*(.+?)\s*$", line)
        if match:
            found[match[1]] = match[2].strip("\"'")
    return found


def test_citation_repeats_the_version_of_pyproject() -> None:
    version = _pyproject()["project"]["version"]
    assert _citation()["version"] == version, "update CITATION.cff's version (pyproject.toml)"


def test_installed_metadata_reports_the_same_version() -> None:
    """massincidents.__version__ comes from the metadata pip wrote from pyproject.toml."""
    import massincidents

    try:
        installed = metadata.distribution("massincidents")
    except metadata.PackageNotFoundError:
        pytest.skip("massincidents is not installed (running from a source tree)")
    url = json.loads(installed.read_text("direct_url.json") or "{}").get("url", "")
    if url.rstrip("/") != REPO_ROOT.resolve().as_uri():
        pytest.skip(f"the installed massincidents is another checkout ({url or 'not editable'})")
    assert installed.version == massincidents.__version__ == _pyproject()["project"]["version"]


def test_changelog_dates_the_cited_release() -> None:
    text = (REPO_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    released = re.findall(r"^## (\d+\.\d+\.\d+) \((\d{4}-\d{2}-\d{2})\)$", text, re.M)
    assert released, "CHANGELOG.md has no dated release heading"
    citation = _citation()
    # the newest dated release is the cited one, with the same date
    assert released[0] == (citation["version"], citation["date-released"])


# --- dependencies declared = dependencies imported ---------------------------------------

#: import name -> distribution name, where they differ
DISTRIBUTION = {"yaml": "pyyaml", "distributed": "dask"}


def _requirement_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\s\[<>=!~;]", r, maxsplit=1)[0].lower() for r in requirements}


def _imports() -> dict[str, dict[str, bool]]:
    """Third-party top-level names imported by src/, and whether at module level, per file."""
    found: dict[str, dict[str, bool]] = {}
    for path in (REPO_ROOT / "src").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top_level = {id(node) for node in tree.body}
        for parent in ast.walk(tree):
            if isinstance(parent, ast.Try | ast.If) and id(parent) in top_level:
                top_level |= {id(n) for n in ast.walk(parent)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                root = name.split(".")[0]
                if root in sys.stdlib_module_names or root == "massincidents":
                    continue
                dist = DISTRIBUTION.get(root, root).lower()
                at_top = found.setdefault(dist, {})
                at_top[str(path.relative_to(REPO_ROOT))] = id(node) in top_level
    return found


def test_dependencies_declared_are_dependencies_imported() -> None:
    project = _pyproject()["project"]
    declared = _requirement_names(project["dependencies"])
    imported = _imports()
    assert set(imported) - declared - {"dask"} == set(), "imported but not declared"
    assert declared - set(imported) == set(), "declared but never imported by src/"


def test_optional_extras_are_imported_only_where_used() -> None:
    extras = _pyproject()["project"]["optional-dependencies"]
    assert _requirement_names(extras["parquet"]) == {"pyarrow"}
    assert _requirement_names(extras["dask"]) == {"dask"}
    imported = _imports()
    assert "pyarrow" not in imported  # pandas loads it for Parquet; we never import it
    # Dask only inside the function that runs on a cluster, never when a module is imported
    assert imported["dask"] and not any(imported["dask"].values())


# --- the source distribution ---------------------------------------------------------------


def test_sdist_carries_the_tests_citation_and_changelog(tmp_path) -> None:
    # both come with the dev extra (pinned in constraints.txt); an older environment skips
    try:
        metadata.version("build")  # the installed package, not a stray build/ folder
        setuptools = int(metadata.version("setuptools").split(".")[0])
    except metadata.PackageNotFoundError:
        pytest.skip("the sdist check needs build and setuptools: pip install -e '.[dev]'")
    if setuptools < 77:
        pytest.skip("the sdist check needs setuptools>=77: pip install -e '.[dev]'")
    source = tmp_path / "source"  # a copy, so the build leaves nothing in the checkout
    shutil.copytree(
        REPO_ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv*", "_build", "__pycache__", "*.egg-info", "dist", "build", ".*cache"
        ),
    )
    proc = subprocess.run(
        # --skip-dependency-check: an sdist needs setuptools (checked above), not `wheel`
        [sys.executable, "-m", "build", "--sdist", "--no-isolation", "--skip-dependency-check",
         "--outdir", str(tmp_path)],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (sdist,) = tmp_path.glob("massincidents-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    for needed in ("CITATION.cff", "CHANGELOG.md", "LICENSE", "tests/conftest.py"):
        assert needed in names, needed
    tracked = subprocess.run(
        ["git", "ls-files", "tests"], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    if tracked.returncode == 0 and tracked.stdout:  # every test file of the checkout
        assert set(tracked.stdout.split()) - names == set()


# --- warnings from our own code are errors ------------------------------------------------


def test_deprecations_raised_from_our_code_are_errors() -> None:
    """pyproject's filterwarnings: ours (massincidents.*) fail the test; others' do not."""
    code = compile("import warnings; warnings.warn('old', DeprecationWarning)", "<x>", "exec")
    for ours in ("massincidents", "massincidents.survival.spells"):
        with pytest.raises(DeprecationWarning):
            exec(code, {"__name__": ours})
    # a test helper whose module name only starts with the package name, and a peer
    for theirs in ("massincidents_reference_agreement", "lifelines.utils"):
        with pytest.warns(DeprecationWarning):
            exec(code, {"__name__": theirs})

"""No two modules of the package import each other, directly or through others.

The graph has an edge A -> B when module A imports module B anywhere (at the
top or inside a function; imports under ``if TYPE_CHECKING:`` are left out,
since they never run). Imports of a package's ``__init__`` are edges to that
package module. A cycle means neither module can be read, tested or moved
on its own (``report/html.py`` and ``report/write.py`` imported each other).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "massincidents"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                skipped.update(id(n) for n in ast.walk(inner))
    return skipped


def _imports(path: Path, modules: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    this = _module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            # the longest known module the name refers to
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != this:
                out.add(name)
    return out


def _graph() -> dict[str, set[str]]:
    files = sorted((SRC / PACKAGE).rglob("*.py"))
    modules = {_module_name(f) for f in files}
    return {_module_name(f): _imports(f, modules) for f in files}


def _cycles(graph: dict[str, set[str]], ignore_packages: bool) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    packages = {m for m in graph if any(o.startswith(m + ".") for o in graph)}
    edges = {
        m: {t for t in targets if not (ignore_packages and t in packages)}
        for m, targets in graph.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_graph_sees_the_report_modules():
    graph = _graph()
    assert "massincidents.report.html" in graph["massincidents.report.write"]


def test_no_import_cycle_between_modules():
    # a package's __init__ re-exports its modules (and modules import the package
    # for its public names lazily): edges into packages are left out
    assert _cycles(_graph(), ignore_packages=True) == []


def test_cycle_detector_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph, ignore_packages=False) == [["a", "b", "c"]]

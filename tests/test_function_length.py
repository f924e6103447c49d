"""No function in the library is longer than a newcomer can read in one sitting (issue #18).

A function's length is the number of lines of its body after the docstring:
from the first statement to the function's last line, blank lines and comments
included (nested functions count in their parent too). That is the count issue
#18 quotes (``spec/core._build`` 233, ``cox`` 166, ...). Above
:data:`MAX_LINES` the function is to be split into helpers with one concern
each (checking the inputs, building the design, fitting, assembling the Result).
"""

from __future__ import annotations

import ast
import fnmatch
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "massincidents"

MAX_LINES = 120

# Functions still longer than MAX_LINES that other engineers are changing now, as
# "path relative to src/massincidents::qualified name" (fnmatch patterns allowed).
# Delete an entry once its function is split; test_allowed_functions_exist fails
# when an entry no longer names anything, so the list only shrinks.
ALLOWED: set[str] = set()  # empty: every function is within the limit


def _body_length(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from the first statement after the docstring to the function's last line."""
    body = node.body
    first = body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
        and len(body) > 1
    ):
        first = body[1]
    elif isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        return 0  # a docstring only
    start = min([first.lineno, *(d.lineno for d in getattr(first, "decorator_list", []))])
    end = node.end_lineno if node.end_lineno is not None else node.lineno
    return end - start + 1


def _functions(tree: ast.Module) -> list[tuple[str, int, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """(qualified name, line, node) of every function and method, nested ones included."""
    found: list[tuple[str, int, ast.FunctionDef | ast.AsyncFunctionDef]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                found.append((name, child.lineno, child))
                visit(child, f"{name}.<locals>.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def function_lengths(package: Path = PACKAGE) -> dict[str, tuple[int, int]]:
    """``{"path::qualname": (length, line)}`` for every function of the package."""
    lengths: dict[str, tuple[int, int]] = {}
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for name, line, node in _functions(tree):
            lengths[f"{relative}::{name}"] = (_body_length(node), line)
    return lengths


def _allowed(key: str) -> bool:
    return any(fnmatch.fnmatchcase(key, pattern) for pattern in ALLOWED)


def test_no_function_is_longer_than_the_limit() -> None:
    offenders = [
        f"src/massincidents/{key.split('::')[0]}:{line} {key.split('::')[1]} has {length} lines"
        for key, (length, line) in sorted(function_lengths().items())
        if length > MAX_LINES and not _allowed(key)
    ]
    assert not offenders, (
        f"functions longer than {MAX_LINES} lines (body after the docstring); split them into "
        "helpers with one concern each:\n" + "\n".join(offenders)
    )


def test_allowed_functions_exist() -> None:
    keys = list(function_lengths())
    stale = sorted(p for p in ALLOWED if "*" not in p and not fnmatch.filter(keys, p))
    assert not stale, f"ALLOWED names functions that no longer exist; delete them: {stale}"


def test_the_measure_counts_the_body_after_the_docstring(tmp_path: Path) -> None:
    long_body = "\n".join(f"    x{i} = {i}" for i in range(MAX_LINES + 1))
    (tmp_path / "mod.py").write_text(
        "def short():\n"
        '    """A docstring\n\n    of several lines."""\n'
        "    a = 1\n\n    # a comment\n    return a\n\n\n"
        f"def long():\n    '''Doc.'''\n{long_body}\n\n\n"
        "class Model:\n    def method(self):\n        def inner():\n            return 1\n"
        "        return inner()\n",
        encoding="utf-8",
    )
    lengths = {key: length for key, (length, _) in function_lengths(tmp_path).items()}
    assert lengths == {
        "mod.py::short": 4,
        "mod.py::long": MAX_LINES + 1,
        "mod.py::Model.method": 3,
        "mod.py::Model.method.<locals>.inner": 1,
    }

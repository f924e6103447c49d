"""Every public name is documented, and every example in its docstring runs.

The API reference (book chapter 8) is generated from these docstrings, so this
file holds them to the book's standard:

* every public callable (the names in ``massincidents.__all__``, the members
  of public subpackages such as ``mi.datasets``, and the result class) has a
  numpy-style docstring with ``Parameters`` naming each of its arguments,
  ``Returns`` (functions) and ``Examples``;
* every model function states its model in LaTeX (``:math:`` or
  ``.. math::``), and documents its ``vcov`` option with its default;
* every public name has an autodoc entry in ``book/api/*.md``;
* the examples run as doctests, one test case per public object (class
  methods included), and their printed outputs must match.

A name added to ``__all__`` without all of that fails here, by name.
"""

from __future__ import annotations

import doctest
import inspect
import io
import re
from pathlib import Path

import pytest

import massincidents as mi
from massincidents import results

REPO_ROOT = Path(__file__).resolve().parents[1]
API_PAGES = REPO_ROOT / "book" / "api"

# Functions that are models (or tests and estimates built on a model) although
# neither their signature nor their return annotation says so.
EXTRA_MODELS = {
    "bacon_decomposition",
    "cox_zph",
    "cumulative_incidence",
    "kaplan_meier",
    "marginal_effects",
    "nelson_aalen",
    "weibull_ph",
}
MODEL_ARGUMENTS = {"formula", "formula_rhs", "vcov"}
# Return types of estimators and tests (a function returning one is a model).
MODEL_RESULTS = {
    "BaconDecomposition",
    "BootstrapResult",
    "EventStudyResult",
    "GroupTimeResult",
    "Result",
    "TestResult",
}
FLAGS = doctest.ELLIPSIS


def public_objects() -> dict[str, object]:
    """Public name (relative to ``massincidents``) -> module, function or class.

    Constants (``__version__``, schema tables) have no docstring of their own
    and are left out.
    """
    out: dict[str, object] = {}
    for name in mi.__all__:
        obj = getattr(mi, name)
        if inspect.ismodule(obj):
            out[name] = obj
            for sub in getattr(obj, "__all__", []):
                member = getattr(obj, sub)
                if callable(member):
                    out[f"{name}.{sub}"] = member
        elif callable(obj):
            out[name] = obj
    out["results.Result"] = results.Result
    return out


PUBLIC = public_objects()
CALLABLES = {n: o for n, o in PUBLIC.items() if not inspect.ismodule(o)}


def sections(doc: str) -> dict[str, str]:
    """numpy-style sections of a cleaned docstring: title -> body."""
    lines = doc.splitlines()
    heads = [
        i
        for i in range(len(lines) - 1)
        if lines[i].strip()
        and not lines[i].startswith(" ")
        and re.fullmatch(r"-{3,}", lines[i + 1])
        and len(lines[i + 1]) == len(lines[i].rstrip())
    ]
    out = {}
    for k, i in enumerate(heads):
        end = heads[k + 1] if k + 1 < len(heads) else len(lines)
        out[lines[i].strip()] = "\n".join(lines[i + 2 : end])
    return out


def documented_names(body: str) -> set[str]:
    """Argument names of a Parameters/Attributes section (``a, b : type``)."""
    names = set()
    for line in body.splitlines():
        if line and not line.startswith(" "):
            head = line.split(" : ")[0]
            names.update(n.strip().lstrip("*") for n in head.split(","))
    return names


def entry(body: str, name: str) -> str:
    """The description of argument ``name`` in a Parameters section."""
    out, inside = [], False
    for line in body.splitlines():
        if line and not line.startswith(" "):
            head = line.split(" : ")[0]
            inside = name in {n.strip().lstrip("*") for n in head.split(",")}
        elif inside:
            out.append(line)
    return "\n".join(out)


def arguments(obj: object) -> list[str]:
    """Arguments a user passes (not self, not private ones)."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):  # exception and warning classes without __init__
        return []
    if inspect.isclass(obj) and issubclass(obj, BaseException) and "__init__" not in vars(obj):
        return []
    return [p for p in sig.parameters if p not in {"self", "cls"} and not p.startswith("_")]


def is_model(name: str, obj: object) -> bool:
    if not inspect.isfunction(obj):
        return False
    sig = inspect.signature(obj)
    annotation = sig.return_annotation
    returns = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    return (
        name in EXTRA_MODELS
        or bool(MODEL_ARGUMENTS & set(sig.parameters))
        or returns.rsplit(".", 1)[-1] in MODEL_RESULTS
    )


def docstring_problems(name: str, obj: object) -> list[str]:
    doc = inspect.cleandoc(obj.__doc__ or "")
    if not doc:
        return ["no docstring"]
    found = sections(doc)
    problems = []
    args = arguments(obj)
    if args:
        listed = documented_names(found.get("Parameters", "")) | documented_names(
            found.get("Attributes", "") if inspect.isclass(obj) else ""
        )
        if not listed:
            problems.append("no Parameters section")
        missing = [a for a in args if a not in listed]
        if listed and missing:
            problems.append(f"Parameters does not document {missing}")
    if inspect.isfunction(obj) and "Returns" not in found:
        problems.append("no Returns section")
    if ">>>" not in found.get("Examples", ""):
        problems.append("no Examples section with an example")
    if is_model(name, obj):
        if ":math:" not in doc and ".. math::" not in doc:
            problems.append("a model without its formula in LaTeX (:math: or .. math::)")
        if "vcov" in args and "default" not in entry(found.get("Parameters", ""), "vcov").lower():
            problems.append("the vcov option does not state its default")
    return problems


@pytest.mark.parametrize("name", sorted(CALLABLES))
def test_public_docstring_is_complete(name: str) -> None:
    problems = docstring_problems(name, CALLABLES[name])
    assert not problems, f"mi.{name}: " + "; ".join(problems)


def test_every_public_name_is_in_the_api_reference() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(API_PAGES.glob("*.md")))
    entries = set(re.findall(r"^\.\. auto(?:function|class|exception)::\s*(\S+)", text, re.M))
    entries = {e.removeprefix("massincidents.") for e in entries}
    missing = sorted(set(CALLABLES) - entries)
    assert not missing, f"not in book/api/*.md (add an autofunction/autoclass entry): {missing}"


def test_the_checks_catch_an_undocumented_model() -> None:
    def model(formula: str, data: object, *, vcov: object = "iid") -> results.Result:
        """Fit something.

        Parameters
        ----------
        formula
            A formula.
        """

    problems = docstring_problems("model", model)
    assert any("does not document ['data', 'vcov']" in p for p in problems)
    assert "no Returns section" in problems
    assert "no Examples section with an example" in problems
    assert any("LaTeX" in p for p in problems)
    assert "the vcov option does not state its default" in problems


def doctests(name: str) -> list[doctest.DocTest]:
    obj = PUBLIC[name]
    module = obj if inspect.ismodule(obj) else inspect.getmodule(obj)
    finder = doctest.DocTestFinder(exclude_empty=True)
    return finder.find(obj, f"massincidents.{name}", module=module)


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_docstring_examples_run(name: str) -> None:
    tests = [t for t in doctests(name) if t.examples]
    if not tests and inspect.ismodule(PUBLIC[name]):
        pytest.skip(f"the docstring of module mi.{name} has no examples (not required)")
    assert tests, f"mi.{name} has no examples to run"
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report = io.StringIO()
    for test in tests:
        runner.run(test, out=report.write)
    assert runner.failures == 0, report.getvalue()

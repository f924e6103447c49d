"""Analysis specifications and the ``rerun`` engine.

A specification (YAML, checked against :data:`SCHEMA`) says which columns of
a panel stand for the thesis's four groups of causes and six measures, which
count models to fit and how to compute their variance. :func:`default_spec`
is the book's own analysis; :func:`rerun` fits every model of a
specification on a data file and writes tables, figures, an HTML report and a
``run.json`` record. Nothing in a specification is evaluated as Python: YAML
is read with the safe loader, column names must be plain identifiers, and
derived columns come from a closed vocabulary of transforms.
"""

from __future__ import annotations

from massincidents.report.publish import OutputFolderError
from massincidents.spec.core import (
    Spec,
    Specification,
    column_name_problem,
    default_spec,
    default_spec_text,
    load_spec,
)
from massincidents.spec.data import Prepared, prepare_data
from massincidents.spec.engine import RerunResult, rerun
from massincidents.spec.errors import NothingEstimatedError, SpecError, SpecProblem
from massincidents.spec.schema import CAUSES, MEASURES, SCHEMA, json_schema

__all__ = [
    "CAUSES",
    "MEASURES",
    "SCHEMA",
    "NothingEstimatedError",
    "OutputFolderError",
    "Prepared",
    "RerunResult",
    "Spec",
    "SpecError",
    "SpecProblem",
    "Specification",
    "column_name_problem",
    "default_spec",
    "default_spec_text",
    "json_schema",
    "load_spec",
    "prepare_data",
    "rerun",
]

"""From an IV formula and a DataFrame to the matrices of the model, with row accounting.

A row is used when every variable of the model is present and finite: the
dependent variable, the exogenous and endogenous regressors, the excluded
instruments and the fixed effects (rows alone in a fixed-effect group are left
out, as :func:`massincidents.linear` does). The rows left out are counted by
reason in ``left_out``, as for every model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from massincidents.core.design import Design, _without_intercept, build_design, formula_matrix
from massincidents.errors import DataError, Problem
from massincidents.iv.formula import IVFormula, parse_iv_formula


@dataclass
class IVDesign:
    """The matrices of an IV model on the rows it uses.

    Attributes
    ----------
    formula
        The parsed IV formula.
    structural
        The structural equation's design: ``y`` and ``X`` = exogenous then
        endogenous regressors (not partialled), fixed-effect codes, row labels.
    exogenous, endogenous
        Names of the columns of ``structural.X`` in each role.
    instruments
        Names of the excluded instruments (columns of ``Z_excluded``).
    Z_excluded
        The excluded instruments on the rows used.
    used, left_out
        Rows of the input used (mask) and left out (by reason).
    """

    formula: IVFormula
    structural: Design
    exogenous: list[str]
    endogenous: list[str]
    instruments: list[str]
    Z_excluded: np.ndarray
    used: np.ndarray
    left_out: dict[str, int]


def _columns(
    expression: str, rows: pd.DataFrame, text: str, *, reference_level: bool = False
) -> tuple[np.ndarray, list[str]]:
    """The columns of a right-hand side without intercept.

    ``reference_level``: code categorical terms as in a model with an intercept (their
    first level left out), then remove the intercept column; for instruments of a model
    that has an intercept or fixed effects, where a full set of dummies would be collinear.
    """
    try:
        if reference_level:
            matrix = _without_intercept(
                formula_matrix(f"{expression} + 1", rows, na_action="ignore"))
        else:
            matrix = formula_matrix(f"{expression} - 1", rows, na_action="ignore")
    except Exception as err:  # formulaic raises many types; all mean "cannot evaluate"
        raise DataError([Problem(f"cannot evaluate {expression!r} of {text!r}: {err}")]) from err
    names = [str(c) for c in matrix.columns]
    return np.asarray(matrix, dtype=float).reshape(len(rows), -1), names


def build_iv_design(text: str, frame: pd.DataFrame, *, drop_singletons: bool = True) -> IVDesign:
    """Build the matrices of ``text`` (fixest IV grammar) on ``frame``.

    Raises
    ------
    DataError
        For a missing column, an endogenous regressor also listed as
        exogenous or as an instrument, or fewer excluded instruments than
        endogenous regressors (the error names them).
    """
    parsed = parse_iv_formula(text)
    everything = build_design(parsed.every_variable, frame, drop_singletons=drop_singletons)
    rows = frame.iloc[np.flatnonzero(everything.used)]
    structural = build_design(parsed.structural, rows, drop_singletons=False)
    _endog_matrix, endogenous = _columns(parsed.endogenous, rows, text)
    has_constant = bool(structural.fe) or "Intercept" in structural.names
    Z, instruments = _columns(parsed.instruments, rows, text, reference_level=has_constant)
    missing = [n for n in endogenous if n not in structural.names]
    if missing:
        raise DataError([Problem(f"endogenous term {n!r} is not a column of the model")
                         for n in missing])
    problems = [
        Problem("listed both as an instrument and as an endogenous regressor", column=n)
        for n in instruments if n in endogenous
    ]
    exogenous = [n for n in structural.names if n not in endogenous]
    # an endogenous term written twice (left and right of '|') appears once in the design
    exog_terms = _columns(parsed.exogenous, rows, text)[1] if parsed.exogenous != "1" else []
    problems += [
        Problem("listed both as an exogenous and as an endogenous regressor", column=n)
        for n in exog_terms if n in endogenous
    ]
    problems += [
        Problem("listed both as an exogenous regressor and as an excluded instrument", column=n)
        for n in instruments if n in exogenous
    ]
    if problems:
        raise DataError(problems)
    check_identified(endogenous, instruments)
    structural.used = everything.used
    structural.left_out = dict(everything.left_out)
    return IVDesign(
        formula=parsed,
        structural=structural,
        exogenous=exogenous,
        endogenous=endogenous,
        instruments=instruments,
        Z_excluded=Z,
        used=everything.used,
        left_out=dict(everything.left_out),
    )


def check_identified(endogenous: list[str], instruments: list[str], why: str = "") -> None:
    """Refuse fewer excluded instruments than endogenous regressors, naming both."""
    if len(instruments) < len(endogenous):
        raise DataError(
            [
                Problem(
                    f"the model is under-identified{why}: {len(endogenous)} endogenous "
                    f"regressor(s) ({', '.join(endogenous)}) but {len(instruments)} excluded "
                    f"instrument(s) ({', '.join(instruments) or 'none'}); an IV model needs at "
                    "least as many excluded instruments as endogenous regressors"
                )
            ]
        )

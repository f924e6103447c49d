"""The instrumental-variables part of fixest's formula grammar.

The IV part comes last, after the regressors and the absorbed fixed effects:

======================================================  =====================================
``"y ~ x1 + x2 | endog ~ z1 + z2"``                     no fixed effects (intercept included)
``"y ~ x1 | province + year | endog ~ z1 + z2"``        two-way fixed effects absorbed
``"y ~ 1 | province | e1 + e2 ~ z1 + z2 + z3"``         no exogenous regressor, two endogenous
======================================================  =====================================

The exogenous regressors and the fixed effects are their own instruments; the
variables right of the last ``~`` are the excluded instruments.

Examples
--------
>>> f = parse_iv_formula("y ~ x | province + year | e ~ z1 + z2")
>>> f.structural, f.endogenous, f.instruments
('y ~ x + e | province + year', 'e', 'z1 + z2')
>>> parse_iv_formula("y ~ x | e ~ z").structural
'y ~ x + e'
"""

from __future__ import annotations

from dataclasses import dataclass

from massincidents.errors import DataError, Problem


@dataclass(frozen=True)
class IVFormula:
    """An IV formula split into its parts.

    Attributes
    ----------
    text
        The formula as given.
    lhs
        The dependent variable.
    exogenous
        The exogenous regressors as a formulaic right-hand side (``"1"`` when none).
    fixed_effects
        The absorbed fixed effects as written after the first ``|`` (``""`` when none).
    endogenous
        The endogenous regressors (left of the last ``~``).
    instruments
        The excluded instruments (right of the last ``~``).
    """

    text: str
    lhs: str
    exogenous: str
    fixed_effects: str
    endogenous: str
    instruments: str

    def _with_fe(self, rhs: str) -> str:
        fe = f" | {self.fixed_effects}" if self.fixed_effects else ""
        return f"{self.lhs} ~ {rhs}{fe}"

    @property
    def structural(self) -> str:
        """The structural equation in the ordinary grammar (exogenous then endogenous)."""
        rhs = self.endogenous if self.exogenous == "1" else f"{self.exogenous} + {self.endogenous}"
        return self._with_fe(rhs)

    @property
    def every_variable(self) -> str:
        """One formula naming every variable of the model (for the row accounting)."""
        return self._with_fe(f"{self.exogenous} + {self.endogenous} + {self.instruments}")


def _refuse(text: str, why: str) -> DataError:
    return DataError([Problem(f"cannot read the IV formula {text!r}: {why}")])


def parse_iv_formula(text: str) -> IVFormula:
    """Split ``"y ~ exog | fe1 + fe2 | endog ~ instruments"`` into its parts.

    Parameters
    ----------
    text
        A formula in fixest's IV grammar.

    Returns
    -------
    IVFormula

    Raises
    ------
    DataError
        When there is no IV part (``endog ~ instruments`` after the last
        ``|``), or a part is empty.
    """
    if not isinstance(text, str):
        raise _refuse(str(text), "a formula is a string")
    parts = [p.strip() for p in text.split("|")]
    if len(parts) < 2 or parts[-1].count("~") != 1:
        raise _refuse(
            text,
            "the last part after '|' must be 'endogenous ~ instruments', as in "
            "'y ~ x | province | e ~ z1 + z2'",
        )
    if len(parts) > 3:
        raise _refuse(text, "at most three parts: 'y ~ exog | fixed effects | endog ~ instruments'")
    head = parts[0]
    if head.count("~") != 1:
        raise _refuse(text, "the first part must be 'y ~ exogenous regressors'")
    lhs, exogenous = (p.strip() for p in head.split("~"))
    endogenous, instruments = (p.strip() for p in parts[-1].split("~"))
    fixed_effects = parts[1] if len(parts) == 3 else ""
    for name, value in (("dependent variable", lhs), ("endogenous regressors", endogenous),
                        ("instruments", instruments)):
        if not value:
            raise _refuse(text, f"no {name}")
    if len(parts) == 3 and (not fixed_effects or fixed_effects == "0"):
        raise _refuse(text, "nothing to absorb between the two '|'")
    return IVFormula(
        text=text,
        lhs=lhs,
        exogenous=exogenous or "1",
        fixed_effects=fixed_effects,
        endogenous=endogenous,
        instruments=instruments,
    )

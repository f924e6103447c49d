"""Dynamic panel models: Arellano-Bond and Blundell-Bond GMM (plm's ``pgmm``)."""

from __future__ import annotations

from massincidents.dynamic.estimator import arellano_bond
from massincidents.dynamic.formula import DynamicFormula, parse_dynamic_formula
from massincidents.dynamic.gmm import SingularWeightingWarning, TooManyInstrumentsWarning

__all__ = [
    "DynamicFormula",
    "SingularWeightingWarning",
    "TooManyInstrumentsWarning",
    "arellano_bond",
    "parse_dynamic_formula",
]

"""The variables of an IV model partialled out of the fixed effects (what the diagnostics read)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from massincidents.results.sample import SampleColumns


@dataclass(eq=False)
class IVData:
    """The model's variables partialled out of the fixed effects, for the diagnostics.

    ``X1`` exogenous regressors (the intercept among them without fixed
    effects), ``X2`` endogenous regressors, ``Z2`` excluded instruments, all on
    the rows used; collinear columns already dropped.
    """

    y: np.ndarray
    X1: np.ndarray
    X2: np.ndarray
    Z2: np.ndarray
    exogenous: list[str]
    endogenous: list[str]
    instruments: list[str]
    fe: list[np.ndarray]
    fe_dof: int
    sample: SampleColumns
    fixed_effects: str = ""

    @property
    def Z(self) -> np.ndarray:
        return np.column_stack([self.X1, self.Z2])

    @property
    def X(self) -> np.ndarray:
        return np.column_stack([self.X1, self.X2])

    @property
    def nobs(self) -> int:
        return int(self.y.shape[0])

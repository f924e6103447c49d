"""The variables of an IV model partialled out of the fixed effects (what the diagnostics read)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_cache": {}}  # recomputed on demand, not pickled

    @property
    def Z(self) -> np.ndarray:
        return np.column_stack([self.X1, self.Z2])

    @property
    def X(self) -> np.ndarray:
        return np.column_stack([self.X1, self.X2])

    @property
    def nobs(self) -> int:
        return int(self.y.shape[0])

    def first_stage_residuals(self) -> np.ndarray:
        """:math:`M_ZX_2`, the first-stage residuals (least squares on ``Z``, cached).

        By Frisch-Waugh-Lovell also the residuals of ``X2`` on ``Z2`` both partialled
        out of ``X1``, which the diagnostics use.
        """
        if "first_stage_residuals" not in self._cache:
            from massincidents.core.least_squares import least_squares

            fit = least_squares(self.Z, self.X2, warn=False)
            self._cache["first_stage_residuals"] = fit.resid.reshape(self.X2.shape)
        return self._cache["first_stage_residuals"]

    def without_exogenous(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``y``, ``X2``, ``Z2`` partialled out of ``X1`` too (one least-squares fit, cached)."""
        if "without_exogenous" not in self._cache:
            from massincidents.core.least_squares import least_squares

            stacked = np.column_stack([self.y, self.X2, self.Z2])
            if self.X1.shape[1]:
                stacked = least_squares(self.X1, stacked, warn=False).resid.reshape(stacked.shape)
            k2 = self.X2.shape[1]
            self._cache["without_exogenous"] = (stacked[:, 0], stacked[:, 1 : 1 + k2],
                                                stacked[:, 1 + k2 :])
        return self._cache["without_exogenous"]

"""Instrumental-variables regression: ``mi.iv`` (2SLS, LIML, two-step GMM) with diagnostics."""

from massincidents.iv.model import IVResult, iv
from massincidents.iv.statistics import (
    ConfidenceSet,
    FirstStageStatistics,
    IVDiagnostics,
    IVTest,
)

__all__ = ["ConfidenceSet", "FirstStageStatistics", "IVDiagnostics", "IVResult", "IVTest", "iv"]

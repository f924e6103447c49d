"""Inference shared by every model: the variance menu and the wild cluster bootstrap."""

from massincidents.inference.bootstrap import (
    BootstrapResult,
    LeastSquaresData,
    ScoreData,
    bootstrap_weights,
    poisson_score_data,
    wild_bootstrap,
)
from massincidents.inference.vcov import VcovSpec, cluster_factor, compute_vcov, parse_vcov

__all__ = [
    "BootstrapResult",
    "LeastSquaresData",
    "ScoreData",
    "VcovSpec",
    "bootstrap_weights",
    "cluster_factor",
    "compute_vcov",
    "parse_vcov",
    "poisson_score_data",
    "wild_bootstrap",
]

"""Inference shared by every model: the variance menu and the wild cluster bootstrap."""

from massincidents.inference.vcov import VcovSpec, compute_vcov, parse_vcov

__all__ = ["VcovSpec", "compute_vcov", "parse_vcov"]

"""Validation of provincial panels (placeholder, being written)."""

from __future__ import annotations


def validate(df, **kwargs):  # pragma: no cover - replaced by the validator
    raise NotImplementedError

"""Readers for provincial panel files (placeholder, being written)."""

from __future__ import annotations


def read_panel(source, **kwargs):  # pragma: no cover - replaced by the reader
    raise NotImplementedError

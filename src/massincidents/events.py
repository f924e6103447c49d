"""Event tables to counts (placeholder, being written)."""

from __future__ import annotations


def events_to_panel(events, **kwargs):  # pragma: no cover - replaced
    raise NotImplementedError

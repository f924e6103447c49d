"""Shared numerical machinery used by every model family (the least-squares kernel)."""

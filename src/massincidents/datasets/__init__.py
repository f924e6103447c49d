"""Bundled datasets and simulators (placeholder, being written)."""

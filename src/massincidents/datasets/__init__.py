"""Bundled datasets and simulators with known true parameters.

>>> import massincidents as mi
>>> "clb_strikes" in mi.datasets.list()
True
"""

from massincidents.datasets.bundled import describe, export, list, load
from massincidents.datasets.simulate import simulate_events, simulate_panel

__all__ = ["describe", "export", "list", "load", "simulate_events", "simulate_panel"]

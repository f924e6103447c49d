"""Difference-in-differences and event-study designs for staggered adoption."""

from massincidents.did.bacon import BaconDecomposition, bacon_decomposition
from massincidents.did.callaway_santanna import AggregateResult, GroupTimeResult, staggered_did
from massincidents.did.event_study import EventStudyResult, event_study, pretrend_test
from massincidents.did.plots import plot_event_study
from massincidents.did.sun_abraham import sun_abraham

__all__ = [
    "AggregateResult",
    "BaconDecomposition",
    "EventStudyResult",
    "GroupTimeResult",
    "bacon_decomposition",
    "event_study",
    "plot_event_study",
    "pretrend_test",
    "staggered_did",
    "sun_abraham",
]

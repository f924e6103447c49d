"""Survival and event-history models: timing and recurrence of incidents.

The plots (:mod:`massincidents.survival.plots`) are imported on demand, so that
``import massincidents`` does not load matplotlib.
"""

from massincidents.survival.cox import cox
from massincidents.survival.discrete import discrete_hazard, person_period
from massincidents.survival.nonparametric import cumulative_incidence, kaplan_meier, nelson_aalen
from massincidents.survival.parametric import weibull, weibull_ph
from massincidents.survival.partial_likelihood import (
    CoxConvergenceWarning,
    InfiniteCoefficientWarning,
)
from massincidents.survival.recurrent import check_counting_process, recurrent_data
from massincidents.survival.spells import leader_spells_to_first_event
from massincidents.survival.zph import CoxZph, cox_zph

__all__ = [
    "CoxConvergenceWarning",
    "CoxZph",
    "InfiniteCoefficientWarning",
    "check_counting_process",
    "cox",
    "cox_zph",
    "cumulative_incidence",
    "discrete_hazard",
    "kaplan_meier",
    "leader_spells_to_first_event",
    "nelson_aalen",
    "person_period",
    "recurrent_data",
    "weibull",
    "weibull_ph",
]

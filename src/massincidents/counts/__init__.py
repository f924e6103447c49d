"""Count models: Poisson PML with absorbed fixed effects, NB2, conditional FE negative
binomial, zero-inflated Poisson and NB, and their average marginal effects.

``mi.poisson``, ``mi.negbin`` and ``mi.zero_inflated`` return the common
:class:`~massincidents.results.Result` with ``link="log"``, so ``.irr()`` gives
incidence-rate ratios; :func:`marginal_effects` gives average marginal effects
on the expected count.
"""

from massincidents.counts.margins import marginal_effects
from massincidents.counts.negbin import negbin
from massincidents.counts.poisson import poisson
from massincidents.counts.separation import SeparationWarning
from massincidents.counts.zero_inflated import BoundaryWarning, zero_inflated

__all__ = [
    "BoundaryWarning",
    "SeparationWarning",
    "marginal_effects",
    "negbin",
    "poisson",
    "zero_inflated",
]

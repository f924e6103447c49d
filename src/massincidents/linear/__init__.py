"""Linear panel models: pooled OLS and absorbed fixed effects, random effects, between,
first differences, and the Hausman test.

- :mod:`~massincidents.linear.estimators`: the model functions and the least-squares fit
  they share;
- :mod:`~massincidents.linear.transforms`: unit means, within deviations, first
  differences and the random-effects variance components;
- :mod:`~massincidents.linear.hausman`: the Hausman test of fixed against random effects.
"""

from massincidents.linear.estimators import between, first_difference, linear, random_effects
from massincidents.linear.hausman import TestResult, hausman

__all__ = ["TestResult", "between", "first_difference", "hausman", "linear", "random_effects"]

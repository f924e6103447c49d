"""Multiverse analysis: fit every reasonable specification and plot the specification curve.

:class:`Choices` lists the alternatives (indicator of each cause or measure,
model family, fixed effects, exposure, sample window);
:func:`enumerate_specifications` crosses them; :func:`specification_curve`
fits them all (serially, with joblib, or on a Dask cluster) and returns a
:class:`SpecificationCurve` with the table, a summary and the plot of
Simonsohn, Simmons and Nelson (2020).
"""

from massincidents.multiverse.choices import (
    Choices,
    ChoicesError,
    Specification,
    enumerate_specifications,
)
from massincidents.multiverse.curve import SpecificationCurve
from massincidents.multiverse.engine import fit_specification, specification_curve

__all__ = [
    "Choices",
    "ChoicesError",
    "Specification",
    "SpecificationCurve",
    "enumerate_specifications",
    "fit_specification",
    "specification_curve",
]

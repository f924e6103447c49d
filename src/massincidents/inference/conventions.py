r"""Small-sample conventions: one switch, ``ssc=``, on every model with a variance.

The same estimates carry different standard errors in R, Stata and fixest only
because each applies different small-sample factors. ``ssc=`` names the
convention, as fixest's ``ssc(adj, fixef.K, cluster.adj, t.df)`` does:

- ``"R"`` (the default; sandwich, plm and glm conventions, today's numbers);
- ``"stata"`` (``regress``/``xtreg``/``reghdfe``, ``poisson``/``nbreg``/``zip``,
  ``ppmlhdfe``, ``xtabond``/``xtabond2``);
- ``"fixest"`` (``feols``/``fepois`` defaults, equal to pyfixest's);
- or ``mi.ssc(...)`` for a custom combination of the fields of
  :class:`SmallSample`.

The table of what each preset computes for each model is in the docstring of
:mod:`massincidents.inference.vcov` and in the book's API reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Preset = Literal["R", "stata", "fixest", "custom"]


@dataclass(frozen=True)
class SmallSample:
    """A small-sample convention (fixest's ``ssc()``), with the preset it came from.

    Attributes
    ----------
    preset
        ``"R"``, ``"stata"``, ``"fixest"`` or ``"custom"``. Families whose Stata
        variance differs in more than a factor (NB2's joint information, xtabond's
        :math:`\\hat\\sigma^2`) read it.
    adj
        Multiply by :math:`(N-1)/(N-K)` (least squares).
    fixef_k
        How absorbed fixed effects count in :math:`K`: ``"nested"`` (all but those
        nested in a cluster dimension), ``"full"`` (all), ``"none"``.
    cluster_adj
        Multiply clustered variances by :math:`G/(G-1)`.
    cluster_df
        Two-way clustering: ``"each"`` term with its own :math:`G`, or ``"min"``.
    t_df
        Degrees of freedom of the t reference under clustering: ``"min"``
        (:math:`G-1`) or ``"conventional"`` (:math:`N-K`).
    """

    preset: Preset = "R"
    adj: bool = True
    fixef_k: Literal["nested", "full", "none"] = "nested"
    cluster_adj: bool = True
    cluster_df: Literal["each", "min"] = "each"
    t_df: Literal["min", "conventional"] = "min"


PRESETS: dict[str, SmallSample] = {
    "R": SmallSample("R"),
    "stata": SmallSample("stata"),
    "fixest": SmallSample("fixest", cluster_df="min"),
}


def resolve_ssc(value: str | SmallSample | None) -> SmallSample:
    """The convention named by ``ssc=`` (``None`` is ``"R"``).

    Examples
    --------
    >>> resolve_ssc("stata").preset
    'stata'
    >>> resolve_ssc(None) == resolve_ssc("R")
    True
    """
    if value is None:
        return PRESETS["R"]
    if isinstance(value, SmallSample):
        return value
    if isinstance(value, str) and value in PRESETS:
        return PRESETS[value]
    if isinstance(value, str) and value.lower() in {k.lower() for k in PRESETS}:
        return next(v for k, v in PRESETS.items() if k.lower() == value.lower())
    raise ValueError(
        f"unknown ssc {value!r}: use 'R', 'stata', 'fixest' or mi.ssc(adj=..., fixef_k=..., "
        "cluster_adj=..., cluster_df=..., t_df=...)"
    )

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
    constant_in_k
        With ``fixef_k="nested"``: each fixed effect nested in a cluster
        dimension still counts one parameter, the constant it absorbs (fixest,
        pyfixest, reghdfe, ``xtreg, fe``, which report or imply a constant).
        ``False`` is R ``plm``/``sandwich`` on a within model, where :math:`K`
        counts the slopes only.

    Examples
    --------
    >>> from massincidents.inference.conventions import PRESETS
    >>> PRESETS["fixest"].cluster_df, PRESETS["R"].constant_in_k
    ('min', False)
    """

    preset: Preset = "R"
    adj: bool = True
    fixef_k: Literal["nested", "full", "none"] = "nested"
    cluster_adj: bool = True
    cluster_df: Literal["each", "min"] = "each"
    t_df: Literal["min", "conventional"] = "min"
    constant_in_k: bool = False

    def __post_init__(self) -> None:
        choices = {
            "preset": ("R", "stata", "fixest", "custom"),
            "fixef_k": ("nested", "full", "none"),
            "cluster_df": ("each", "min"),
            "t_df": ("min", "conventional"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"ssc {name} is one of {allowed}, got {getattr(self, name)!r}")
        for name in ("adj", "cluster_adj", "constant_in_k"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"ssc {name} is True or False, got {getattr(self, name)!r}")


PRESETS: dict[str, SmallSample] = {
    "R": SmallSample("R"),
    "stata": SmallSample("stata", cluster_df="min", constant_in_k=True),
    "fixest": SmallSample("fixest", cluster_df="min", constant_in_k=True),
}


def ssc(
    adj: bool = True,
    fixef_k: Literal["nested", "full", "none"] = "nested",
    cluster_adj: bool = True,
    cluster_df: Literal["each", "min"] = "min",
    t_df: Literal["min", "conventional"] = "min",
    *,
    constant_in_k: bool = True,
) -> SmallSample:
    r"""A custom small-sample convention, as fixest's ``ssc(adj, fixef.K, cluster.adj, t.df)``.

    The defaults are fixest's (and pyfixest's): ``mi.ssc()`` computes what
    ``ssc="fixest"`` does, and each argument switches one factor off or on.
    Pass the result as ``ssc=`` to any model with a variance, or to
    :meth:`~massincidents.results.Result.with_vcov`.

    Parameters
    ----------
    adj
        Multiply by :math:`(N-1)/(N-K)` (:math:`N/(N-K)` for ``"hetero"``;
        ``"iid"`` then uses :math:`\hat\sigma^2 = RSS/(N-K)`, else
        :math:`RSS/(N-1)`). For likelihood models as for least squares (fixest's
        ``fepois``).
    fixef_k
        How absorbed fixed effects count in :math:`K`: ``"nested"`` (all but
        those nested in a cluster dimension), ``"full"`` (all), ``"none"``
        (none: :math:`K` counts the slopes).
    cluster_adj
        Multiply clustered variances by :math:`G/(G-1)`.
    cluster_df
        Two-way clustering: ``"min"`` (the smallest :math:`G` for the three
        terms, fixest) or ``"each"`` (each term its own :math:`G`, sandwich).
    t_df
        Clustered least squares: t reference with :math:`G-1` (``"min"``) or
        :math:`N-K` (``"conventional"``) degrees of freedom.
    constant_in_k
        A fixed effect nested in the clusters still counts one parameter.

    Returns
    -------
    SmallSample
        With ``preset="custom"``.

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(seed=1)
    >>> no_adj = mi.linear("y_linear ~ x1 | province", df, ssc=mi.ssc(adj=False))
    >>> no_adj.vcov_label
    'CRV1 by province; ssc=custom'
    >>> fixest = mi.linear("y_linear ~ x1 | province", df, ssc="fixest")  # = mi.ssc()
    >>> n = fixest.nobs  # K = 1 slope + 1 for the province effects nested in the clusters
    >>> round(float((fixest.bse["x1"] / no_adj.bse["x1"]) ** 2 / ((n - 1) / (n - 2))), 12)
    1.0
    """
    return SmallSample(
        "custom",
        adj=adj,
        fixef_k=fixef_k,
        cluster_adj=cluster_adj,
        cluster_df=cluster_df,
        t_df=t_df,
        constant_in_k=constant_in_k,
    )


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


def convention_label(label: str, convention: SmallSample) -> str:
    """A variance label with its convention named unless it is the default ``"R"``.

    Examples
    --------
    >>> convention_label("CRV1 by province", PRESETS["stata"])
    'CRV1 by province; ssc=stata'
    >>> convention_label("iid", PRESETS["R"])
    'iid'
    """
    if convention.preset == "R" and convention == PRESETS["R"]:
        return label
    return f"{label}; ssc={convention.preset}"

r"""Small-sample conventions of the survival models: ``ssc="R"`` or ``ssc="stata"``.

Estimates are the same in R and Stata; robust variances differ only by the
factor each applies to the sandwich
:math:`\mathcal I^{-1}\big(\sum_g S_g S_g'\big)\mathcal I^{-1}` of the scores
:math:`S_g` summed by cluster (by row without clusters):

=========================  ==================================  ===============================
model, variance            ``ssc="R"`` (default)               ``ssc="stata"``
=========================  ==================================  ===============================
Cox, ``cluster=g``         1: ``coxph(..., cluster = g)``      :math:`G/(G-1)`:
                           (``{"CRV0": g}``)                   ``stcox, vce(cluster g)``
                                                               (``{"CRV1": g}``)
Cox, ``vcov="hetero"``     :math:`N/(N-1)` (R's                :math:`N/(N-1)`:
                           ``robust = TRUE`` times it)         ``stcox, vce(robust)``,
                                                               one row per subject
AFT, ``vcov=`` choices     the menu: ``"hetero"``              the same: ``streg, vce(robust)``
                           :math:`N/(N-1)`, ``CRV1``           :math:`N/(N-1)`,
                           :math:`G/(G-1)`, ``CRV0`` 1         ``vce(cluster g)`` :math:`G/(G-1)`
                           (``survreg(robust = TRUE)``)
discrete hazard            the menu (``sandwich::vcovCL``,     the same (``logit``/``cloglog``,
                           ``type = "HC0"`` is ``CRV1``)       ``vce(cluster g)``)
model-based (``"iid"``)    inverse information                 the same (``vce(oim)``)
=========================  ==================================  ===============================

Sources for Stata's factors: the ``stcox`` help file (option ``noadjust``: it
"prevents the estimated variance matrix from being multiplied by N/(N-1) or
g/(g-1), where g is the number of clusters"; Stata's ``stcox.sthlp`` as kept
in opensafely-core/cohort-extractor, ``bin/ado/base/s/stcox.sthlp``,
commit 1b3e58ab23344ec5e56f054ec503d3a8015195fd, help version 2.2.2 of
12dec2018) and ``[P] _robust`` (https://www.stata.com/help.cgi?_robust, option
``minus(#)``: the multiplier :math:`n/(n-k)`, "Stata's maximum likelihood
commands use k=1"; ``streg``, ``logit`` and ``cloglog`` are such commands).
No published Stata output on data we ship was found; the factors are tested
against explicit computations (``tests/survival/test_conventions.py``).

The same help file names Breslow's ties as ``stcox``'s default (R's is
Efron's): pass ``ties="breslow"`` for the estimator of its default. With
several rows per subject, the subject is the cluster: ``cluster=id`` (Cox),
``vcov={"CRV1": id}`` (AFT, discrete hazard). ``"fixest"`` and custom
:class:`~massincidents.inference.conventions.SmallSample` conventions name
least-squares and count-model factors with no survival counterpart and are
refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from massincidents.inference.conventions import SmallSample, resolve_ssc

SURVIVAL_PRESETS = ("R", "stata")


def survival_convention(ssc: str | SmallSample | None) -> SmallSample:
    """The convention named by ``ssc=`` for a survival model (``None`` is ``"R"``).

    Raises
    ------
    ValueError
        For ``"fixest"`` or a custom convention.

    Examples
    --------
    >>> survival_convention(None).preset, survival_convention("stata").preset
    ('R', 'stata')
    """
    convention = resolve_ssc(ssc)
    if convention.preset not in SURVIVAL_PRESETS:
        raise ValueError(
            f"survival models have two small-sample conventions, 'R' (survival, survreg, "
            f"glm) and 'stata' (stcox, streg, logit/cloglog); got {convention.preset!r}. "
            "Choose the factor with vcov=: {'CRV0': g} (none), {'CRV1': g} (G/(G-1)), "
            "'hetero' (N/(N-1))"
        )
    return convention


def default_cox_vcov(cluster: str | None, convention: SmallSample) -> object:
    """The Cox variance when none is chosen: R ``coxph`` or Stata ``stcox``.

    Examples
    --------
    >>> from massincidents.inference.conventions import PRESETS
    >>> default_cox_vcov("id", PRESETS["R"]), default_cox_vcov("id", PRESETS["stata"])
    ({'CRV0': 'id'}, {'CRV1': 'id'})
    >>> default_cox_vcov(None, PRESETS["stata"])
    'iid'
    """
    if cluster is None:
        return "iid"
    return {("CRV1" if convention.preset == "stata" else "CRV0"): cluster}


def with_convention(label: str, convention: SmallSample) -> str:
    """The variance label, naming the convention unless it is the default ``"R"``.

    Examples
    --------
    >>> from massincidents.inference.conventions import PRESETS
    >>> with_convention("CRV1 by id", PRESETS["stata"])
    'CRV1 by id; ssc=stata'
    """
    return label if convention.preset == "R" else f"{label}; ssc={convention.preset}"


@dataclass(frozen=True, eq=False)
class ConventionVariance:
    """A variance of the menu that also takes ``ssc=`` (the label names it); it pickles."""

    revcov: Callable[[object], tuple[np.ndarray, float | None, str]]
    fit_ssc: SmallSample

    def __call__(
        self, choice: object, ssc: str | SmallSample | None = None
    ) -> tuple[np.ndarray, float | None, str]:
        convention = self.fit_ssc if ssc is None else survival_convention(ssc)
        matrix, df, label = self.revcov(choice)
        return matrix, df, with_convention(label, convention)


def convention_revcov(
    revcov: Callable[[object], tuple[np.ndarray, float | None, str]], fit_ssc: SmallSample
) -> ConventionVariance:
    """A variance of the menu that also takes ``ssc=`` (the label names it).

    For the AFT and discrete-hazard models the factors of the menu are R's and
    Stata's alike (module docstring), so the convention changes only the label.
    """
    return ConventionVariance(revcov, fit_ssc)

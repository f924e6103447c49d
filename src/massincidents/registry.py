"""The model registry: one table of every model the specification, ``rerun`` and the multiverse fit.

Each entry (:class:`ModelSpec`) names a model, the function that fits it and
what it supports: an exposure (offset), absorbed fixed effects, which choices
of the variance menu, a wild bootstrap, the small-sample presets. The
specification schema takes its list of model families from here, the
``rerun`` engine and the multiverse look the fitting function up here, so
adding a model touches its own module, its test and one :func:`register`
call -- nothing else.

The fitting function is stored as ``"module:attribute"`` and imported on
first use, so importing the package stays cheap.

Examples
--------
>>> from massincidents.registry import get_model, models
>>> models()
('poisson', 'negbin', 'iv')
>>> nb = get_model("negbin")
>>> nb.heading, nb.wild_bootstrap, "CRV1" in nb.vcov
('NB2', None, True)
>>> get_model("poison")
Traceback (most recent call last):
...
KeyError: "no model 'poison' in the registry (did you mean 'poisson'?); known: poisson, negbin, iv"
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

#: Every choice of the variance menu (:func:`massincidents.inference.vcov.parse_vcov`).
VCOV_KINDS: tuple[str, ...] = ("iid", "hetero", "CRV1", "CRV0", "DK", "CV3", "CV3J")
#: The small-sample presets of :func:`massincidents.ssc`.
SSC_PRESETS: tuple[str, ...] = ("R", "stata", "fixest")


@dataclass(frozen=True)
class ModelSpec:
    """What one registered model is and what it supports.

    Attributes
    ----------
    name
        The name a specification uses (``models: [poisson]``).
    function
        The fitting function ``(formula, data, **options) -> Result``, or its
        import path ``"package.module:function"`` (imported on first use).
    family
        The kind of model: ``"count"`` (what ``rerun`` and the multiverse fit),
        ``"linear"``, ``"survival"``...
    description
        One line for tables and help texts.
    heading
        Added to a column heading to tell this model apart (``"NB2"``); empty
        for the default model.
    exposure
        Whether the function takes ``exposure=`` and ``offset=``.
    absorbed_fe
        Whether fixed effects after ``|`` in the formula are absorbed (rather
        than refused or estimated as dummies).
    vcov
        The choices of the variance menu it accepts (keys of :data:`VCOV_KINDS`).
    wild_bootstrap
        The wild bootstrap :func:`massincidents.inference.bootstrap.wild_bootstrap`
        runs on its results (``"score"``), or ``None`` when it has none.
    ssc
        The small-sample presets its ``ssc=`` accepts.

    Examples
    --------
    >>> spec = ModelSpec("toy", lambda formula, data, **kw: None, family="count")
    >>> spec.exposure, spec.vcov[:2], callable(spec.load())
    (True, ('iid', 'hetero'), True)
    """

    name: str
    function: Callable[..., Any] | str
    family: str
    description: str = ""
    heading: str = ""
    exposure: bool = True
    absorbed_fe: bool = True
    vcov: tuple[str, ...] = VCOV_KINDS
    wild_bootstrap: str | None = None
    ssc: tuple[str, ...] = SSC_PRESETS

    def load(self) -> Callable[..., Any]:
        """The fitting function (imported from its path on first use)."""
        if callable(self.function):
            return self.function
        module, _, attribute = self.function.partition(":")
        fitted: Callable[..., Any] = getattr(importlib.import_module(module), attribute)
        return fitted

    def supports_vcov(self, vcov: object) -> bool:
        """Whether a choice of the variance menu (``"hetero"``, ``{"CRV1": ...}``) is accepted.

        ``None`` (the model's default) always is.
        """
        return vcov is None or vcov_kind(vcov) in self.vcov


def vcov_kind(vcov: object) -> str:
    """The kind of a variance choice: ``"hetero"``, ``{"CRV1": "province"}`` -> ``"CRV1"``.

    Examples
    --------
    >>> vcov_kind("iid"), vcov_kind({"DK": 2}), vcov_kind({"a": 1, "b": 2})
    ('iid', 'DK', '')
    """
    if isinstance(vcov, str):
        return vcov
    if isinstance(vcov, Mapping):
        return str(next(iter(vcov))) if len(vcov) == 1 else ""
    return str(getattr(vcov, "kind", ""))  # a parsed VcovSpec


#: Name -> :class:`ModelSpec`, in the order models are listed.
REGISTRY: dict[str, ModelSpec] = {}


def register(spec: ModelSpec, *, replace: bool = False) -> ModelSpec:
    """Add a model to the registry.

    Parameters
    ----------
    spec
        The entry.
    replace
        Replace an entry of the same name (otherwise that is an error).

    Returns
    -------
    ModelSpec
        ``spec``, so that the call can be used as an expression.

    Raises
    ------
    ValueError
        When the name is taken (and ``replace`` is false) or not a plain name.

    Examples
    --------
    >>> toy = register(ModelSpec("toy_model", "massincidents.counts:poisson", family="count"))
    >>> "toy_model" in models()
    True
    >>> unregister("toy_model")
    """
    if not spec.name.isidentifier():
        raise ValueError(f"model name {spec.name!r} is not a plain name (letters, digits, _)")
    if spec.name in REGISTRY and not replace:
        raise ValueError(f"a model {spec.name!r} is already registered (pass replace=True)")
    unknown = [k for k in spec.vcov if k not in VCOV_KINDS]
    if unknown:
        raise ValueError(f"unknown variance choices {unknown}; the menu is {list(VCOV_KINDS)}")
    REGISTRY[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    """Remove a model from the registry (a no-op when it is not there)."""
    REGISTRY.pop(name, None)


def get_model(name: str) -> ModelSpec:
    """The entry of one model.

    Raises
    ------
    KeyError
        Naming the closest registered names.
    """
    try:
        return REGISTRY[name]
    except KeyError:
        close = difflib.get_close_matches(str(name), list(REGISTRY), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise KeyError(
            f"no model {name!r} in the registry{hint}; known: {', '.join(REGISTRY)}"
        ) from None


def models(family: str | None = None) -> tuple[str, ...]:
    """Names of the registered models, optionally of one family, in registration order.

    Examples
    --------
    >>> models("count")
    ('poisson', 'negbin')
    >>> models("no such family")
    ()
    """
    return tuple(n for n, s in REGISTRY.items() if family is None or s.family == family)


register(
    ModelSpec(
        "poisson",
        "massincidents.counts.poisson:poisson",
        family="count",
        description="Poisson pseudo-maximum likelihood (PPML)",
        wild_bootstrap="score",
    )
)
register(
    ModelSpec(
        "negbin",
        "massincidents.counts.negbin:negbin",
        family="count",
        description="negative binomial (NB2)",
        heading="NB2",
        absorbed_fe=False,
    )
)
register(
    ModelSpec(
        "iv",
        "massincidents.iv.model:iv",
        family="iv",
        description="instrumental variables (2SLS, LIML, two-step GMM)",
        heading="IV",
        exposure=False,
        # the cluster jackknife needs leave-one-cluster-out refits of both stages: not built
        vcov=("iid", "hetero", "CRV1", "CRV0", "DK"),
    )
)

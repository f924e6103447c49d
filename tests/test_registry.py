"""The model registry: one table that spec validation, rerun and the multiverse read."""

from __future__ import annotations

from typing import Any

import pytest

import massincidents as mi
from massincidents import registry
from massincidents.multiverse.choices import Choices, ChoicesError
from massincidents.registry import ModelSpec, get_model, models, register, unregister
from massincidents.spec import SpecError, load_spec, rerun


def _doc(models_: list[str]) -> dict[str, Any]:
    return {
        "version": 1,
        "data": {"unit": "province", "time": "year"},
        "outcome": {"count": "y", "exposure": "population"},
        "causes": {"social": ["x1"], "solving": [], "legal": [], "system": ["x2"]},
        "measures": {m: [] for m in mi.spec.MEASURES},
        "models": models_,
        "multiverse": {"indicators": {"social": ["x1"]}, "families": models_},
    }


@pytest.fixture
def fake_model():
    """A fake count model (Poisson under another name) that records its calls."""
    calls: list[str] = []

    def fake(formula: str, data: Any, **options: Any) -> Any:
        calls.append(formula)
        return mi.poisson(formula, data, **options)

    register(ModelSpec("fake_count", fake, family="count", heading="fake"))
    try:
        yield calls
    finally:
        unregister("fake_count")


def test_builtin_entries_and_capabilities():
    assert models("count") == ("poisson", "negbin")
    assert get_model("poisson").load() is mi.poisson
    assert get_model("negbin").load() is mi.negbin
    assert get_model("poisson").wild_bootstrap == "score"
    assert get_model("negbin").wild_bootstrap is None
    assert get_model("poisson").supports_vcov({"CRV1": "province"})
    assert not get_model("poisson").supports_vcov({"CV9": "province"})


def test_unknown_name_names_the_closest():
    with pytest.raises(KeyError, match="did you mean 'negbin'"):
        get_model("negbn")


def test_register_refuses_a_taken_name_and_unknown_vcov():
    with pytest.raises(ValueError, match="already registered"):
        register(ModelSpec("poisson", mi.poisson, family="count"))
    with pytest.raises(ValueError, match="unknown variance choices"):
        register(ModelSpec("odd", mi.poisson, family="count", vcov=("CV9",)))
    assert "odd" not in registry.REGISTRY


def test_unregistered_model_is_refused_by_spec_and_multiverse():
    with pytest.raises(SpecError, match="fake_count"):
        load_spec(_doc(["fake_count"]))
    with pytest.raises(ChoicesError, match="unknown model family"):
        Choices({"social": ["x1"]}, families=["fake_count"])


def test_a_registered_model_reaches_spec_rerun_and_multiverse(fake_model):
    spec = load_spec(_doc(["poisson", "fake_count"]))
    assert spec.models == ("poisson", "fake_count")
    assert "fake_count" in mi.spec.json_schema()["$defs"]["family"]["enum"]
    Choices({"social": ["x1"]}, families=["fake_count"])

    df = mi.datasets.simulate_panel(31, 6, seed=2)
    result = rerun(df, spec)
    labels = [f.label for f in result.fits]
    assert labels == ["All causes", "All causes, fake"]
    assert fake_model, "rerun did not call the registered function"
    same = result.fit("All causes", "fake_count").params
    assert same.equals(result.fit("All causes", "poisson").params)

    before = len(fake_model)
    curve = mi.multiverse.specification_curve(
        df,
        outcome="y",
        unit="province",
        time="year",
        choices={"indicators": {"social": ["x1"]}, "families": ["fake_count"]},
    )
    assert len(fake_model) == before + 1
    assert set(curve.table["family"]) == {"fake_count"}
    assert curve.table["estimate"].notna().all()


@pytest.fixture
def rate_free_model():
    """A fake count model without exposure and with two variance choices only."""
    calls: list[dict[str, Any]] = []

    def fit(formula: str, data: Any, vcov: Any = None) -> Any:
        calls.append({"vcov": vcov})
        return mi.poisson(formula, data, vcov=vcov)

    register(ModelSpec("rate_free", fit, family="count", exposure=False, vcov=("iid", "hetero")))
    try:
        yield calls
    finally:
        unregister("rate_free")


def test_capabilities_are_checked_by_spec_and_multiverse(rate_free_model):
    doc = _doc(["rate_free"])
    del doc["multiverse"]
    with pytest.raises(SpecError) as err:
        load_spec(doc)
    text = str(err.value)
    assert "model 'rate_free' takes no exposure" in text
    assert "model 'rate_free' has no variance 'CRV1'; it offers iid, hetero" in text
    with pytest.raises(ChoicesError, match="takes no exposure"):
        Choices({"social": ["x1"]}, families=["rate_free"], exposure=["population"])

    doc["outcome"] = {"count": "y"}
    doc["vcov"] = "hetero"
    result = rerun(mi.datasets.simulate_panel(31, 6, seed=2), load_spec(doc))
    assert rate_free_model == [{"vcov": "hetero"}]  # no exposure= passed to a model without it
    assert result.fit("All causes", "rate_free").nobs == 186

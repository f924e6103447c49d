"""Choices: validation, enumeration counts and order, stable ids."""

from __future__ import annotations

import pytest

from massincidents.multiverse import Choices, ChoicesError, enumerate_specifications

FULL = {
    "indicators": {"social": ["x1", "x1_noisy", "z"], "legal": ["x2", "x2_proxy"]},
    "families": ["poisson", "negbin"],
    "fixed_effects": [["unit", "time"], ["unit"], []],
    "exposure": ["population", None],
    "windows": [None, [2000, 2009]],
}


def test_count_is_the_product_of_the_alternatives() -> None:
    choices = Choices.from_dict(FULL)
    specs = enumerate_specifications(choices)
    assert choices.n_specifications == 3 * 2 * 2 * 3 * 2 * 2 == 144
    assert len(specs) == 144
    assert [s.number for s in specs] == list(range(144))
    combos = {(s.indicators, s.family, s.fixed_effects, s.exposure, s.window) for s in specs}
    assert len(combos) == 144  # every combination once


def test_order_is_a_product_with_the_window_varying_fastest() -> None:
    specs = enumerate_specifications(Choices.from_dict(FULL))
    first = specs[0]
    assert first.indicators == (("social", "x1"), ("legal", "x2"))
    assert (first.family, first.fixed_effects, first.exposure, first.window) == (
        "poisson",
        ("unit", "time"),
        "population",
        None,
    )
    assert specs[1].window == (2000, 2009) and specs[1].exposure == "population"
    assert specs[2].exposure is None and specs[2].window is None
    assert specs[4].fixed_effects == ("unit",)
    assert specs[12].family == "negbin"
    assert specs[24].indicators == (("social", "x1"), ("legal", "x2_proxy"))
    assert specs[48].indicators == (("social", "x1_noisy"), ("legal", "x2"))
    assert specs[-1].indicators == (("social", "z"), ("legal", "x2_proxy"))
    assert specs[-1].fixed_effects == ()
    # the same choices enumerate the same way in a second call
    assert specs == enumerate_specifications(Choices.from_dict(FULL))


def test_ids_are_unique_and_do_not_depend_on_the_other_alternatives() -> None:
    specs = enumerate_specifications(Choices.from_dict(FULL))
    assert len({s.id for s in specs}) == len(specs)
    small = enumerate_specifications(
        Choices({"social": ["x1"], "legal": ["x2"]}, exposure=["population"])
    )
    assert len(small) == 1
    assert small[0].number == 0 and specs[0].number == 0
    assert small[0].id == specs[0].id
    assert small[0].id != specs[1].id
    assert small[0].id == "44a21b49f4"  # frozen: the id is a hash of the choices, stable


def test_fixed_effect_roles_are_put_in_canonical_order() -> None:
    choices = Choices({"a": ["x"]}, fixed_effects=[["time", "unit"], []])
    assert choices.fixed_effects == (("unit", "time"), ())
    assert Choices({"a": ["x"]}, fixed_effects=[None]).fixed_effects == ((),)
    spec = enumerate_specifications(choices)[1]
    assert spec.formula("y", "province", "year") == "y ~ x"
    assert spec.fe_label == "none"


def test_labels() -> None:
    specs = enumerate_specifications(
        Choices({"a": ["x"]}, windows=[[2005, None], [None, 2009], [2000, 2009], None])
    )
    assert [s.window_label for s in specs] == ["2005-", "-2009", "2000-2009", "all"]
    assert specs[0].exposure_label == "none"


def test_from_dict_defaults() -> None:
    choices = Choices.from_dict({"indicators": {"a": ["x"]}})
    assert choices.families == ("poisson",)
    assert choices.fixed_effects == (("unit", "time"),)
    assert choices.exposure == (None,)
    assert choices.windows == (None,)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"families": ["ols"]}, "unknown model family ['ols']"),
        ({"families": []}, "families is empty"),
        ({"families": "poisson"}, "families must be a list"),
        ({"fixed_effects": [["unit", "province"]]}, "unknown fixed-effect role ['province']"),
        ({"fixed_effects": [["unit", "unit"]]}, "repeats a role"),
        ({"fixed_effects": ["unit"]}, "list of roles"),
        ({"fixed_effects": [["unit"], ["unit"]]}, "more than once"),
        ({"exposure": []}, "exposure is empty"),
        ({"exposure": [3]}, "column names or None"),
        ({"windows": [[2010, 2000]]}, "starts after it ends"),
        ({"windows": [[2000]]}, "each window is [start, end]"),
        ({"windows": [[2000, "x"]]}, "cannot be compared"),
        ({"indicators": {}}, "indicators is empty"),
        ({"indicators": {"a": []}}, "indicators['a'] is empty"),
        ({"indicators": {"a": ["x"], "b": ["x"]}}, "indicator of both 'a' and 'b'"),
        ({"indicators": ["x1"]}, "map each cause"),
        ({"colour": "red"}, "unknown key 'colour'"),
    ],
)
def test_bad_choices_give_clear_errors(change: dict, message: str) -> None:
    d = {"indicators": {"a": ["x"]}, **change}
    with pytest.raises(ChoicesError) as info:
        Choices.from_dict(d)
    assert message in str(info.value)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ChoicesError) as info:
        Choices.from_dict({"indicators": {"a": ["x"]}, "families": ["ols"], "exposure": []})
    assert len(info.value.problems) == 2
    assert isinstance(info.value, ValueError)


def test_missing_indicators() -> None:
    with pytest.raises(ChoicesError, match="needs 'indicators'"):
        Choices.from_dict({"families": ["poisson"]})
    with pytest.raises(ChoicesError, match="must be a mapping"):
        Choices.from_dict(["poisson"])  # type: ignore[arg-type]


def test_choices_are_immutable_and_hashable() -> None:
    choices = Choices.from_dict(FULL)
    with pytest.raises(AttributeError):
        choices.families = ("negbin",)  # type: ignore[misc]
    assert hash(choices) == hash(Choices.from_dict(FULL))
    assert choices.alternatives("legal") == ("x2", "x2_proxy")
    with pytest.raises(KeyError, match="not a cause or measure"):
        choices.alternatives("system")

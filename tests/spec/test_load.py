"""Loading and checking analysis specifications: schema, positions, safety."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from massincidents.spec import (
    CAUSES,
    MEASURES,
    SpecError,
    default_spec,
    default_spec_text,
    json_schema,
    load_spec,
)
from massincidents.spec._yaml import MAX_NODES

MINIMAL = """\
version: 1
data: {unit: prefecture, time: year, level: prefecture}
outcome: {count: protests, exposure: population, window: [2001, 2010]}
causes:
  social: [unemployment]
  solving: []
  legal: []
  system: [target]
measures:
  rule_of_law: []
  government_functions: [service_share]
  system_construction: []
  cadre_quality: []
  responsibility_system: []
  livelihood: []
models: [poisson]
"""


def _doc() -> dict:
    return yaml.safe_load(MINIMAL)


def test_minimal_spec_defaults() -> None:
    spec = load_spec(MINIMAL)
    assert (spec.unit, spec.time, spec.level) == ("prefecture", "year", "prefecture")
    assert spec.window == (2001, 2010)
    assert spec.fixed_effects == ("prefecture", "year")
    assert spec.vcov == {"CRV1": "prefecture"}
    assert spec.bootstrap is None and spec.seed is None and spec.timing is None
    (only,) = spec.specifications
    assert only.terms == ("unemployment", "target") and only.families == ("poisson",)
    assert spec.formula(only.terms) == "protests ~ unemployment + target | prefecture + year"


def test_dict_text_and_file_give_the_same_spec(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    a, b, c = load_spec(MINIMAL), load_spec(_doc()), load_spec(path)
    assert a.to_dict() == b.to_dict() == c.to_dict()
    assert c.source == str(path) and b.source == "<dict>"
    assert load_spec(str(path)).to_dict() == a.to_dict()


def test_default_spec_is_chapter_three() -> None:
    spec = default_spec()
    assert spec.count == "strikes" and spec.exposure == "population"
    assert spec.window == (2011, 2017)
    assert spec.causes["social"] == [
        "log_gdppc",
        "unemployment_rate",
        "urbanisation_rate",
        "aged65_share",
    ]
    assert spec.causes["solving"] == [] and "mediation" in spec.missing_reasons["solving"]
    assert spec.transforms["log_gdppc"] == ("log", ["gdp_per_capita"])
    assert spec.transforms["ps_share"] == ("share", ["exp_public_security", "budget_expenditure"])
    assert spec.transforms["tenure_years"] == ("ratio", ["secretary_tenure_months", 12])
    assert [s.families for s in spec.specifications] == [
        ("poisson", "negbin"),
        ("poisson",),
        ("poisson",),
    ]
    assert spec.vcov == {"CRV1": "province"}
    assert spec.bootstrap == {"reps": 999, "seed": 20110101, "weights": "rademacher"}
    assert set(spec.measures) == set(MEASURES) and set(spec.causes) == set(CAUSES)


def test_normal_form_round_trips() -> None:
    spec = default_spec()
    again = load_spec(spec.to_dict())
    assert again.to_dict() == spec.to_dict()
    assert again.specifications == spec.specifications
    assert default_spec_text().startswith("#")


def _problems(source: object) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_spec(source)
    assert isinstance(info.value, ValueError)
    return [str(p) for p in info.value.problems]


def test_unknown_key_named_with_line_column_and_suggestion(tmp_path: Path) -> None:
    text = MINIMAL + (
        "multiverse:\n"
        "  indicators: {social: [unemployment, gini]}\n"
        "  famlies: [poisson]\n"
        "  windows: [[2001, 2005], null]\n"
    )
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    (message,) = _problems(path)
    assert message == (
        f"{path}, line 19, column 3: unknown key 'famlies' under 'multiverse' "
        "(did you mean 'families'?)"
    )


def test_every_problem_is_listed_at_once() -> None:
    text = MINIMAL.replace("models: [poisson]", "models: [poison]").replace(
        "level: prefecture", "levl: prefecture"
    )
    text = text.replace("window: [2001, 2010]", "window: [2001]")
    messages = _problems(text)
    assert len(messages) == 3, messages
    assert any("line 2" in m and "unknown key 'levl'" in m and "'level'" in m for m in messages)
    assert any("line 3" in m and "outcome.window must be [start, end]" in m for m in messages)
    assert any(
        "line 16" in m and "'poison'" in m and "did you mean 'poisson'" in m for m in messages
    )


def test_missing_groups_and_wrong_types() -> None:
    doc = _doc()
    del doc["causes"]["legal"]
    doc["measures"]["livelihood"] = "education"
    doc["models"] = "poisson"
    messages = _problems(doc)
    assert any("missing key 'legal' under 'causes'" in m for m in messages)
    assert any("measures.livelihood must be a list of columns" in m for m in messages)
    assert any("models must be a list, got text" in m for m in messages)
    assert all(m.startswith("<dict>, at ") for m in messages)


INJECTIONS = [
    ("outcome", "count", "__import__('os').system('touch PWNED')"),
    ("outcome", "exposure", "os.system('touch PWNED')"),
    ("data", "unit", "exec('1')"),
    ("causes", "social", ["x", "__import__('os').system('touch PWNED')"]),
    ("measures", "livelihood", ["np.log(x)"]),
]


@pytest.mark.parametrize(("section", "key", "value"), INJECTIONS)
def test_code_as_a_column_is_rejected(section, key, value, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    doc = _doc()
    doc[section][key] = value
    messages = _problems(doc)
    assert any("is not a plain column name" in m for m in messages), messages
    assert any("Nothing in a specification is evaluated as code" in m for m in messages)
    assert not (tmp_path / "PWNED").exists()


def test_code_in_transforms_terms_mapping_and_vcov_is_rejected(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    doc = _doc()
    doc["transforms"] = {
        "lx": {"log": "__import__('os').system('touch PWNED')"},
        "__class__": {"log": "x"},
        "ok": {"eval": "x"},
    }
    doc["specifications"] = [{"name": "a", "terms": ["unemployment + I(__import__('os'))"]}]
    doc["mapping"] = {"old name (units)": "bad name"}
    doc["vcov"] = {"CRV1": "__import__('os')"}
    messages = _problems(doc)
    joined = "\n".join(messages)
    assert "transforms.lx.log" in joined
    assert "'__class__'" in joined
    assert "unknown key 'eval' under 'transforms.ok'" in joined
    assert "specifications[0].terms[0]" in joined
    assert "'bad name'" in joined
    assert "vcov.CRV1" in joined
    assert not (tmp_path / "PWNED").exists()


def test_reserved_words_are_not_columns() -> None:
    doc = _doc()
    doc["causes"]["social"] = ["lambda"]
    doc["causes"]["system"] = ["C"]
    messages = _problems(doc)
    assert sum("is a reserved word" in m for m in messages) == 2


def test_python_tags_are_refused_and_never_run(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for payload in (
        "!!python/object/apply:os.system ['touch PWNED']",
        "!!python/name:os.system",
        "!!python/object/new:os.system [touch PWNED]",
    ):
        text = MINIMAL.replace("models: [poisson]", f"models: {payload}")
        (message,) = _problems(text)
        assert "line 16" in message and ("tag" in message or "YAML error" in message), message
    assert not (tmp_path / "PWNED").exists()


def test_yaml_syntax_duplicate_keys_and_alias_bombs() -> None:
    (message,) = _problems(MINIMAL + "models: [negbin]\n")
    assert "line 17, column 1: duplicate key 'models'" in message
    (message,) = _problems("version: 1\ndata: [unit\n")
    assert message.startswith("<text>, line") and "YAML syntax error" in message
    bomb = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 7):
        bomb.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    (message,) = _problems("\n".join(bomb) + "\n")
    assert f"more than {MAX_NODES:,} values" in message


def test_semantic_checks_have_lines() -> None:
    text = MINIMAL.replace("window: [2001, 2010]", "window: [2010, 2001]")
    text += (
        "transforms:\n"
        "  a: {lag: [b, 1]}\n"
        "  b: {log: unemployment}\n"
        "specifications:\n"
        "  - {name: one, terms: [social, legal]}\n"
        "  - {name: one, terms: [social], families: [negbin]}\n"
        "multiverse:\n"
        "  indicators: {socal: [x]}\n"
    )
    messages = _problems(text)
    joined = "\n".join(messages)
    assert "line 3" in joined and "starts after it ends" in joined
    assert "line 18" in joined and "defined below it" in joined
    assert "line 21" in joined and "group 'legal' has no columns" in joined
    assert "two specifications are called 'one'" in joined
    assert "family 'negbin' is not in models" in joined
    assert "multiverse indicator 'socal'" in joined and "(did you mean 'social'?)" in joined


def test_multiverse_section_is_a_plain_dict() -> None:
    doc = _doc()
    doc["multiverse"] = {
        "indicators": {"social": ["unemployment", "gini"], "unemployment": ["unemp_alt"]},
        "families": ["poisson", "negbin"],
        "fixed_effects": [["unit", "time"], ["unit"], []],
        "exposure": ["population", None],
        "windows": [[2001, 2010], None],
    }
    spec = load_spec(doc)
    assert spec.multiverse == doc["multiverse"]
    assert type(spec.multiverse) is dict
    doc2 = copy.deepcopy(doc)
    doc2["multiverse"]["fixed_effects"] = [["province"]]
    (message,) = _problems(doc2)
    assert "'province' is not allowed at multiverse.fixed_effects[0][0]" in message
    doc2["multiverse"] = {"indicators": {}}
    (message,) = _problems(doc2)
    assert "multiverse.indicators is empty" in message
    doc2["multiverse"] = {"families": ["poisson"]}
    (message,) = _problems(doc2)
    assert "missing key 'indicators' under 'multiverse'" in message


def test_with_mapping_checks_new_names() -> None:
    spec = load_spec(MINIMAL)
    assert spec.with_mapping({"失业率": "unemployment"}).mapping == {"失业率": "unemployment"}
    with pytest.raises(SpecError, match="is not a plain column name"):
        spec.with_mapping({"x": "__import__('os')"})
    with pytest.raises(SpecError, match="both mapped to 'y'"):
        spec.with_mapping({"a": "y", "b": "y"})


def test_json_schema_is_a_copy() -> None:
    schema = json_schema()
    schema["required"].append("nonsense")
    assert "nonsense" not in json_schema()["required"]


@pytest.mark.parametrize(
    ("extra", "path", "message"),
    [
        ("bootstrap: {reps: 1.0e+26, seed: 1}", "bootstrap.reps", "it must be at most 99,999"),
        ("bootstrap: {reps: 99, seed: 1.0e+30}", "bootstrap.seed", "at most 4,294,967,295"),
        ("vcov: {DK: 1000000}", "vcov.DK", "at most 1,000"),
        ("transforms: {lagged: {lag: [target, 1000000000]}}", "transforms.lagged.lag[1]", "1,000"),
        ("transforms: {big: {scale: [target, 1.0e+300]}}", "transforms.big.scale[1]", "1e+15"),
        ("transforms: {r: {ratio: [target, 0]}}", "transforms.r.ratio[1]", "must not be zero"),
        ("transforms: {s: {scale: [target, .inf]}}", "transforms.s.scale[1]", "must be finite"),
        ("transforms: {s: {scale: [target, .nan]}}", "transforms.s.scale[1]", "must be finite"),
        ("level: .nan", "level", "must be finite"),
        ("transforms: {p: {per_million: [target, x, 1.0e+20]}}", "per_million[2]", "1e+15"),
    ],
)
def test_every_number_is_bounded(extra: str, path: str, message: str) -> None:
    # on main these loaded (1e26 draws would then try to allocate hundreds of GiB)
    with pytest.raises(SpecError) as info:
        load_spec(MINIMAL + extra + "\n")
    problems = [str(p) for p in info.value.problems]
    assert any(path in p and message in p for p in problems), problems
    assert len(problems) == 1, problems


def test_window_shift_and_lists_are_bounded() -> None:
    doc = _doc()
    doc["outcome"]["window"] = [2001, 10**12]
    doc["measures"]["government_functions"] = {
        "columns": ["service_share"],
        "shift": {"service_share": {"within_sd": 1e9}},
    }
    doc["specifications"] = [{"name": f"m{i}", "terms": ["target"]} for i in range(201)]
    with pytest.raises(SpecError) as info:
        load_spec(doc)
    messages = [p.message for p in info.value.problems]
    assert any("outcome.window[1]" in m and "at most 99,999,999" in m for m in messages)
    assert any("within_sd" in m and "at most 100" in m for m in messages)
    assert any("specifications has 201 entries; at most 200" in m for m in messages)


def test_a_multiverse_too_large_to_fit_is_refused() -> None:
    doc = _doc()
    many = [f"c{i}" for i in range(40)]
    doc["causes"]["social"] = many
    doc["multiverse"] = {"indicators": {"social": many, "system": ["target"]}}
    load_spec(doc)  # 40 specifications
    doc["causes"]["system"] = many[:30]
    doc["multiverse"] = {
        "indicators": {"social": many, "system": many[:30]},
        "windows": [[2001, 2010], [2002, 2010], [2003, 2010]],
        "exposure": ["population", None],
        "families": ["poisson", "negbin"],
        "fixed_effects": [["unit", "time"], ["unit"], ["time"], []],
    }
    load_spec(doc)  # 40 x 30 x 3 windows x 2 exposures x 2 families x 4 = 57,600 fits
    doc["multiverse"]["windows"] = [[2001, y] for y in range(2002, 2012)]
    with pytest.raises(SpecError) as info:
        load_spec(doc)
    (message,) = [p.message for p in info.value.problems]
    assert "the multiverse has 192,000 specifications; at most 100,000" in message


def test_a_nesting_bomb_is_a_spec_error_not_a_recursion_error(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("version: " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    with pytest.raises(SpecError, match="nested more than 32 levels deep") as info:
        load_spec(bomb)
    (problem,) = info.value.problems
    assert (problem.source, problem.line) == (str(bomb), 1)
    deep_maps = "a: " + "{b: " * 2_000 + "1" + "}" * 2_000
    with pytest.raises(SpecError, match="nested more than 32 levels"):
        load_spec(deep_maps)
    load_spec(default_spec_text())  # the book's own specification is well inside


def test_a_huge_specification_file_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text(MINIMAL + "#" * 2_000_000 + "\n", encoding="utf-8")
    with pytest.raises(SpecError, match="a specification has at most 1,000,000"):
        load_spec(big)


def test_a_nesting_bomb_given_as_a_dict_is_a_spec_error() -> None:
    bomb: dict = {}
    inner = bomb
    for _ in range(5_000):
        inner["a"] = {}
        inner = inner["a"]
    with pytest.raises(SpecError, match="nested more than 32 levels deep"):
        load_spec(bomb)

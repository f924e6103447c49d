"""rerun: the book's analysis reproduced, simulated truths recovered, files and records written."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import massincidents as mi
from massincidents.errors import DataError
from massincidents.spec import SpecError, default_spec, load_spec, rerun
from massincidents.spec.software import software_versions
from simulated_spec import SIM_SPEC


def _chapter3_data() -> pd.DataFrame:
    """The sample and derived columns exactly as book/chapters/03_causes.md builds them."""
    panel = mi.datasets.load("province_year").reset_index()
    d = panel[panel["strikes"].notna()].copy()
    d["log_gdppc"] = np.log(d["gdp_per_capita"])
    d["ps_share"] = 100 * d["exp_public_security"] / d["budget_expenditure"]
    d["tenure_years"] = d["secretary_tenure_months"] / 12
    return d


@pytest.fixture(scope="module")
def book_run(tmp_path_factory) -> tuple[object, Path, Path]:
    folder = tmp_path_factory.mktemp("book")
    data = folder / "province_year.csv"
    mi.datasets.load("province_year").to_csv(data)
    out = folder / "out"
    return rerun(data, None, out), data, out


def test_default_spec_reproduces_chapter_three(book_run) -> None:
    result, _, _ = book_run
    d = _chapter3_data()
    social = ["log_gdppc", "unemployment_rate", "urbanisation_rate", "aged65_share"]
    system = ["gdp_growth_target", "tenure_years", "secretary_turnover"]
    chapter = {
        "(1) Social": social,
        "(2) + system": social + system,
        "(3) + public security": [*social, "ps_share"],
    }
    vcov = {"CRV1": "province"}
    for name, terms in chapter.items():
        direct = mi.poisson(
            f"strikes ~ {' + '.join(terms)} | province + year", d, exposure="population", vcov=vcov
        )
        ours = result.fit(name)
        assert list(ours.params.index) == terms
        np.testing.assert_allclose(ours.params, direct.params, rtol=1e-10, atol=0)
        np.testing.assert_allclose(ours.bse, direct.bse, rtol=1e-10, atol=0)
        assert ours.rows == direct.rows
    nb = mi.negbin(
        f"strikes ~ {' + '.join(social)} | province + year", d, exposure="population", vcov=vcov
    )
    np.testing.assert_allclose(result.fit("(1) Social", "negbin").params, nb.params, rtol=1e-10)
    # the wild bootstrap is the chapter's: same draws, same seed, same p-value and interval
    boot = mi.wild_bootstrap(
        result.fit("(1) Social"), "log_gdppc", cluster="province", reps=999, seed=20110101
    )
    row = result.coefficients.query("model == '(1) Social' and term == 'log_gdppc'").iloc[0]
    assert row["boot_p"] == boot.pvalue
    assert (row["boot_low"], row["boot_high"]) == boot.conf_int


def test_default_run_accounts_for_rows(book_run) -> None:
    result, _, _ = book_run
    acc = result.prepared.accounting
    assert acc["rows_in_source"] == 713 and acc["outside_window"] == 496
    assert acc["rows_in_window"] == 217
    rows = result.rows.set_index("model")
    assert rows.loc["(1) Social", "used"] == 217
    assert rows.loc["(2) + system", "used"] + rows.loc["(2) + system", "left_out"] == 217
    assert "missing value in gdp_growth_target" in rows.loc["(2) + system", "reasons"]
    assert rows.loc["(3) + public security", "reasons"] == "93 missing value in ps_share"


def test_default_run_writes_every_output(book_run) -> None:
    result, data, out = book_run
    for stem in ("coefficients", "models", "rows", "indicators", "measures"):
        for ext in ("csv", "tex", "md"):
            assert (out / "tables" / f"{stem}.{ext}").stat().st_size > 0
    for stem in ("coefficients", "measures"):
        assert (out / "figures" / f"{stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"<svg" in (out / "figures" / f"{stem}.svg").read_bytes()[:2000]
    coefs = pd.read_csv(out / "tables" / "coefficients.csv")
    mine = coefs.query("model == '(1) Social'").set_index("term")["estimate"]
    np.testing.assert_allclose(mine, result.fit("(1) Social").params, rtol=1e-15)
    assert r"\toprule" in (out / "tables" / "models.tex").read_text(encoding="utf-8")
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["massincidents_version"] == mi.__version__
    assert record["inputs"]["data"]["sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert record["seed"] == 20110101
    assert record["spec"] == default_spec().to_dict()
    assert sorted(record["files"]) == sorted(f for f in result.files if f != "run.json")
    assert record["software"] == software_versions()  # scipy, pyfixest, duckdb, ... too


def _within_sd(d: pd.DataFrame, x: str, fit) -> float:
    """Chapter 5's within-province standard deviation, by dummy regression."""
    rows = d.loc[fit.extra["index"], ["province", "year", x]]
    dummies = pd.get_dummies(rows[["province", "year"]].astype(str), drop_first=True, dtype=float)
    design = np.column_stack([np.ones(len(rows)), dummies.to_numpy()])
    v = rows[x].to_numpy(dtype=float)
    resid = v - design @ np.linalg.lstsq(design, v, rcond=None)[0]
    return float(np.sqrt(resid @ resid / (len(v) - np.linalg.matrix_rank(design))))


def test_default_spec_reproduces_chapter_five(book_run) -> None:
    result, _, _ = book_run
    m = result.measures.set_index("indicator")
    assert m["measure"].to_dict() == {
        "admin_share": "government_functions",
        "tenure_years": "cadre_quality",
        "edu_share": "livelihood",
        "livelihood_share": "livelihood",
    }
    d = _chapter3_data()
    d["edu_share"] = 100 * d["exp_education"] / d["budget_expenditure"]
    d["livelihood_share"] = (
        100
        * (d["exp_education"] + d["exp_health"] + d["exp_social_security_employment"])
        / d["budget_expenditure"]
    )
    d["admin_share"] = 100 * d["exp_general_public_services"] / d["budget_expenditure"]
    social = ["log_gdppc", "unemployment_rate", "urbanisation_rate", "aged65_share"]
    for x, direction in {"admin_share": -1, "tenure_years": 1, "edu_share": 1}.items():
        fit = mi.poisson(
            f"strikes ~ {' + '.join([*social, x])} | province + year",
            d,
            exposure="population",
            vcov={"CRV1": "province"},
        )
        shift = direction * float(f"{_within_sd(d, x, fit):.2g}")
        boot = mi.wild_bootstrap(fit, x, cluster="province", reps=999, seed=20110101)
        cf = mi.counterfactual(fit, {x: shift}).iloc[0]
        cb = mi.counterfactual(fit, {x: shift}, bootstrap=boot).iloc[0]
        row = m.loc[x]
        assert row["shift"] == shift
        assert row["estimate"] == pytest.approx(fit.params[x], rel=1e-10)
        assert row["boot_p"] == boot.pvalue
        for key in ("change", "change_low", "change_high", "percent_change"):
            assert row[key] == pytest.approx(cf[key], rel=1e-10)
        assert row["boot_percent_low"] == pytest.approx(cb["percent_low"], rel=1e-10)
        # the contract of mi.counterfactual: a shift s changes the total by exp(beta s) - 1
        assert row["percent_change"] == pytest.approx(100 * np.expm1(row["estimate"] * shift))


def test_default_spec_reproduces_chapter_four(book_run) -> None:
    result, _, out = book_run
    panel = mi.datasets.load("province_year").reset_index()
    dd = panel[panel["year"].between(2011, 2017)].copy()
    dd["rate"] = dd["strikes"] / (dd["population"] / 100)
    first_new = dd[dd["secretary_turnover"] == 1].groupby("province")["year"].min()
    dd["cohort"] = dd["province"].map(first_new).fillna(0).astype(int)
    cs = mi.staggered_did(
        dd[dd["cohort"] != 2011],
        outcome="rate",
        unit="province",
        time="year",
        cohort="cohort",
        control_group="notyet",
        method="reg",
        bootstrap=True,
        reps=999,
        seed=20110101,
    )
    for kind in ("simple", "dynamic"):
        ours, book = result.did[kind], cs.aggregate(kind)
        assert ours.overall_att == pytest.approx(book.overall_att, rel=1e-10)
        assert ours.overall_se == pytest.approx(book.overall_se, rel=1e-10)
    np.testing.assert_allclose(
        result.did["dynamic"].estimates["att"], cs.aggregate("dynamic").estimates["att"], rtol=1e-10
    )
    assert (out / "tables" / "did_dynamic.csv").exists()
    assert (out / "figures" / "did_dynamic.png").exists()


def _simulated(seed: int = 11) -> pd.DataFrame:
    return mi.datasets.simulate_panel(31, 15, seed=seed, alpha=0.2, rate=0.01)


def _check_truth(result, truth: dict[str, float], policy: float) -> None:
    for family in ("poisson", "negbin"):
        fit = result.fit("full", family)
        for term, beta in {**truth, "treated": policy}.items():
            z = (fit.params[term] - beta) / fit.bse[term]
            assert abs(z) < 4, (family, term, fit.params[term], beta)


def test_simulated_panel_recovered_from_csv_gbk_and_excel(tmp_path: Path) -> None:
    df = _simulated()
    truth = df.attrs["truth"]
    plain = tmp_path / "sim.csv"
    df.to_csv(plain, index=False)

    names = mi.provinces().set_index("code")["name_zh"]
    chinese = df.assign(province=df["province"].map(names)).rename(
        columns={"population": "常住人口", "year": "年份"}
    )
    gbk = tmp_path / "sim_gbk.csv"
    chinese.to_csv(gbk, index=False, encoding="gbk")
    excel = tmp_path / "sim.xlsx"
    df.to_excel(excel, index=False)

    runs = {
        "csv": rerun(plain, SIM_SPEC),
        "gbk": rerun(gbk, SIM_SPEC, mapping={"常住人口": "population", "年份": "year"}),
        "xlsx": rerun(excel, SIM_SPEC),
    }
    assert runs["gbk"].prepared.accounting["encoding"] == "gbk"
    for result in runs.values():
        _check_truth(result, truth["effects"], truth["policy_effect"])
        assert result.rows["used"].tolist() == [len(df), len(df)]
    reference = runs["csv"].fit("full").params
    for result in runs.values():
        np.testing.assert_allclose(result.fit("full").params, reference, rtol=1e-12)


def test_prefecture_level_panel_runs_without_code_changes(tmp_path: Path) -> None:
    df = mi.datasets.simulate_panel(300, 8, seed=5, alpha=0.2, rate=0.01, sigma_noise=0.3)
    truth = df.attrs["truth"]
    # 300 real prefecture codes (units are checked against the GB/T 2260 registry)
    pool = mi.prefectures()
    codes = pool.loc[(pool.valid_from == 2010) & (pool.valid_to == 2019), "code"].to_numpy()
    df = df.rename(columns={"province": "prefecture"})
    df["prefecture"] = codes[df["prefecture"].to_numpy() - 1]
    path = tmp_path / "prefectures.csv"
    df.to_csv(path, index=False)
    text = (
        SIM_SPEC.replace("unit: province", "unit: prefecture")
        .replace("level: province", "level: prefecture")
        .replace("bootstrap: null", "bootstrap: {reps: 99, seed: 3}")
        + "timing: {cohort: cohort, outcome: y_linear}\n"
    )
    result = rerun(path, text, tmp_path / "out")
    assert result.prepared.frame["prefecture"].nunique() == 300
    _check_truth(result, truth["effects"], truth["policy_effect"])
    simple = result.did["simple"]
    assert abs(simple.overall_att - truth["policy_effect"]) < 4 * simple.overall_se
    direct = mi.staggered_did(
        df.assign(cohort=df["cohort"].fillna(0)),
        outcome="y_linear",
        unit="prefecture",
        time="year",
        cohort="cohort",
        bootstrap=False,
    ).aggregate("simple")
    assert simple.overall_att == pytest.approx(direct.overall_att, rel=1e-10)
    assert (tmp_path / "out" / "tables" / "did_dynamic.csv").exists()
    assert (tmp_path / "out" / "figures" / "did_dynamic.svg").exists()
    # the same file read as provinces fails: the units are not provinces
    with pytest.raises(DataError):
        rerun(path, text.replace("level: prefecture", "level: province"))


def test_missing_columns_are_named_with_the_spec_line(tmp_path: Path) -> None:
    df = _simulated().rename(columns={"x1": "x_1"})
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(SIM_SPEC, encoding="utf-8")
    with pytest.raises(SpecError) as info:
        rerun(df, spec_path)
    (problem,) = info.value.problems
    assert (problem.source, problem.line) == (str(spec_path), 6)
    assert "column 'x1' is not in the data (did you mean 'x_1'?)" in problem.message
    assert "--map old=x1" in problem.message


def test_bad_units_and_periods_are_reported_with_rows(tmp_path: Path) -> None:
    df = mi.datasets.simulate_panel(40, 3, seed=1).rename(columns={"province": "county"})
    df.loc[5, "year"] = df.loc[4, "year"]
    df.loc[5, "county"] = df.loc[4, "county"]
    df["x1"] = df["x1"].astype(object)
    df.loc[7, "x1"] = "n/a?"
    path = tmp_path / "counties.csv"
    df.to_csv(path, index=False)
    # simulated labels 1..40 are not GB/T 2260 codes: read as arbitrary units
    # (level: county checks the units against the registry, tests/spec/test_levels.py)
    text = SIM_SPEC.replace("unit: province", "unit: county").replace(
        "level: province", "level: other"
    )
    with pytest.raises(DataError) as info:
        rerun(path, text)
    message = str(info.value)
    assert "row 6: duplicate unit and period ('2', 2001)" in message
    assert "row 7: duplicate unit and period ('2', 2001)" in message
    assert "row 9, column 'x1': not a number: 'n/a?'" in message


def test_same_inputs_same_bytes(tmp_path: Path) -> None:
    df = _simulated(seed=2)
    text = SIM_SPEC.replace("bootstrap: null", "bootstrap: {reps: 99, seed: 7}")
    rerun(df, text, tmp_path / "a")
    rerun(df, text, tmp_path / "b")
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.*"))
    assert len(files) > 10
    for rel in files:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel


def test_failed_fit_is_reported_not_hidden() -> None:
    df = _simulated()
    df["empty"] = np.nan  # a column with one value: its model cannot be fitted
    df.loc[0, "empty"] = 1.0
    text = SIM_SPEC.replace(
        "  - {name: full, terms: [social, system, treated]}\n",
        "  - {name: full, terms: [social, system, treated]}\n  - {name: broken, terms: [empty]}\n",
    )
    result = rerun(df, text)
    assert result.fit("full", "poisson").nobs == len(df)
    with pytest.raises(LookupError, match="broken \\(poisson\\) failed"):
        result.fit("broken", "poisson")
    failed = result.rows.set_index("model").loc["broken"]
    assert failed["used"] == 0 and failed["reasons"].startswith("fit failed: ")
    assert any(n.startswith("broken failed: ") for n in result.notes)


@pytest.mark.parametrize(
    ("extra", "label"),
    [
        ({"vcov": "hetero"}, "heteroskedasticity-robust (HC1)"),
        ({"vcov": {"DK": 2}}, "Driscoll-Kraay (2 lags)"),
        ({"vcov": {"CRV1": "unit+time"}}, "CRV1 by province & year"),
        ({"fixed_effects": ["unit"], "vcov": {"CRV0": "unit"}}, "CRV0 by province"),
    ],
)
def test_variance_and_fixed_effects_choices_reach_the_model(extra, label) -> None:
    df = _simulated()
    doc = {**yaml.safe_load(SIM_SPEC), **extra}
    result = rerun(df, doc)
    fe = "province" if doc["fixed_effects"] == ["unit"] else "province + year"
    formula = f"y ~ x1 + x2 + treated | {fe}"
    spec_vcov = load_spec(doc).vcov
    direct = mi.poisson(formula, df, exposure="population", vcov=spec_vcov)
    fit = result.fit("full")
    assert fit.formula == formula and fit.vcov_label == label
    np.testing.assert_allclose(fit.bse, direct.bse, rtol=1e-12)


def test_spec_feeds_the_multiverse_engine() -> None:
    df = _simulated()
    doc = yaml.safe_load(SIM_SPEC)
    doc["multiverse"] = {
        "indicators": {"social": ["x1"], "system": ["x2"]},
        "fixed_effects": [["unit", "time"], ["unit"]],
    }
    spec = load_spec(doc)
    assert spec.outcome_column == "y"
    curve = mi.specification_curve(df, spec)
    assert set(curve.table["term"]) == {"social", "system"}
    assert curve.table["spec_number"].nunique() == 2


def test_a_transform_that_replaces_a_data_column_is_announced() -> None:
    df = _simulated()
    df["x1_twice"] = 0.0
    doc = yaml.safe_load(SIM_SPEC)
    doc["transforms"] = {"x1_twice": {"scale": ["x1", 2]}}
    doc["causes"]["social"] = ["x1_twice"]
    result = rerun(df, doc)
    assert result.prepared.accounting["replaced_by_transform"] == ["x1_twice"]
    assert any("replaced it" in n and "'x1_twice'" in n for n in result.notes)
    # the coefficient of 2 x1 is half that of x1
    direct = mi.poisson(
        "y ~ x1 + x2 + treated | province + year", df, exposure="population", vcov="iid"
    )
    assert result.fit("full").params["x1_twice"] == pytest.approx(direct.params["x1"] / 2)


def test_a_yearbook_table_in_gbk_is_read_as_read_panel_reads_it(tmp_path: Path) -> None:
    wide = pd.DataFrame(
        {
            "地区": ["北京市", "天津市", "河北省"],
            "2017年": [1, 2, 3],
            "2016年": [2, 3, 4],
            "2015年": [4, 3, 1],
        }
    )
    path = tmp_path / "yearbook.csv"
    wide.to_csv(path, index=False, encoding="gbk")
    doc = yaml.safe_load(SIM_SPEC)
    doc["outcome"] = {"count": "value", "exposure": None}
    doc["causes"] = {"social": [], "solving": [], "legal": [], "system": []}
    doc["measures"]["government_functions"] = []
    doc["transforms"] = {"lagged": {"lag": ["value", 1]}}
    doc["specifications"] = [{"name": "persistence", "terms": ["lagged"]}]
    doc["models"], doc["vcov"] = ["poisson"], "hetero"
    result = rerun(path, doc)
    acc = result.prepared.accounting
    assert (acc["layout"], acc["encoding"], acc["panel_rows"]) == ("wide", "gbk", 9)
    frame = result.prepared.frame.set_index(["province", "year"])
    assert frame.loc[(110000, 2017), "lagged"] == 2 and np.isnan(
        frame.loc[(130000, 2015), "lagged"]
    )
    assert result.rows.iloc[0][["used", "left_out"]].tolist() == [6, 3]
    assert result.rows.iloc[0]["reasons"] == "3 missing value in lagged"


def _files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_a_second_run_replaces_the_first_as_a_whole(tmp_path: Path) -> None:
    # A first run with the staggered design writes did_* tables; a second run without it
    # into the same folder replaces the folder: no table of the first run is left beside
    # the second run's run.json (on main they stayed, merely listed as "stale").
    df = mi.datasets.simulate_panel(31, 8, seed=6)
    with_timing = SIM_SPEC + "timing: {cohort: cohort, outcome: y_linear}\n"
    out = tmp_path / "out"
    first = rerun(df, with_timing, out, report=False)
    assert any(Path(f).name.startswith("did_") for f in first.files)
    assert _files_under(out) == sorted(first.files)
    second = rerun(df, SIM_SPEC, out, report=False)
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert _files_under(out) == sorted([*record["files"], "run.json"]) == sorted(second.files)
    assert not any(Path(f).name.startswith("did_") for f in _files_under(out))
    assert "stale_files" not in record
    # nothing is left beside the folder: no staging folder, no lock file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_multiple_testing_adds_adjusted_pvalues_to_the_tables(tmp_path: Path) -> None:
    """``multiple_testing:`` adds Romano-Wolf (Poisson fits, joint draws) or Holm p-values."""
    df = _simulated()
    text = SIM_SPEC.replace(
        "bootstrap: null",
        "bootstrap: null\nmultiple_testing: {method: romano_wolf, reps: 199, seed: 5}",
    ).replace(
        "  - {name: full, terms: [social, system, treated]}\n",
        "  - {name: full, terms: [social, system, treated]}\n  - {name: social, terms: [x1]}\n",
    )
    result = rerun(df, text, out_dir=tmp_path / "out", report=False)
    coefs = result.coefficients.set_index(["model", "term"])
    family = {"full": result.fit("full", "poisson"), "social": result.fit("social", "poisson")}
    direct = mi.romano_wolf(
        family, {k: list(f.params.index) for k, f in family.items()}, reps=199, seed=5
    ).table.set_index(["model", "term"])
    assert len(direct) == 4
    for (model, term), p in direct["p_rw"].items():
        assert coefs.loc[(model, term), "p_rw"] == p
    others = coefs.loc[[k for k in coefs.index if k[0] not in family], "p_rw"]
    assert len(others) == 4 and others.isna().all()  # NB2: no score bootstrap
    assert any("not in the Romano-Wolf family" in n for n in result.notes)
    written = pd.read_csv(tmp_path / "out" / "tables" / "coefficients.csv")
    assert "p_rw" in written.columns and written["p_rw"].notna().sum() == 4
    assert result.record["spec"]["multiple_testing"] == {
        "method": "romano_wolf",
        "reps": 199,
        "seed": 5,
        "weights": "rademacher",
    }

    holm = rerun(df, SIM_SPEC.replace("bootstrap: null", "multiple_testing: {method: holm}"))
    expected = mi.adjust_pvalues(holm.coefficients["p_value"], "holm")
    np.testing.assert_array_equal(holm.coefficients["p_holm"], expected)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{method: romano_wolf, reps: 999}", "romano_wolf draws bootstrap weights and needs"),
        ("{method: holm, seed: 3}", "seed apply to method romano_wolf only"),
        ("{method: sidak}", "sidak"),
    ],
)
def test_multiple_testing_options_are_checked(entry, message) -> None:
    with pytest.raises(SpecError, match=message):
        load_spec(SIM_SPEC.replace("bootstrap: null", f"multiple_testing: {entry}"))

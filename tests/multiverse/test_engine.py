"""specification_curve: recovery of known truth, row accounting, failures, inputs."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import massincidents as mi
from massincidents.errors import DataError
from massincidents.multiverse import Choices, ChoicesError, SpecificationCurve
from massincidents.multiverse.curve import SUMMARY_COLUMNS, TABLE_COLUMNS

TRUE = {"x1": 0.3, "x2": -0.2}
CHOICES = {
    "indicators": {"social": ["x1", "x1_noisy", "z"], "legal": ["x2", "x2_proxy"]},
    "families": ["poisson", "negbin"],
    "fixed_effects": [["unit", "time"], ["unit"], []],
    "exposure": ["population"],
    "windows": [None, [2000, 2011]],
}


@pytest.fixture(scope="module")
def curve(panel: pd.DataFrame) -> SpecificationCurve:
    return mi.specification_curve(panel, outcome="y", unit="province", time="year", choices=CHOICES)


def test_table_shape_and_order(curve: SpecificationCurve) -> None:
    table = curve.table
    assert list(table.columns) == list(TABLE_COLUMNS)
    assert len(curve.specifications) == 3 * 2 * 2 * 3 * 2 == 72
    assert len(table) == 72 * 2
    assert table["spec_number"].tolist() == [n for n in range(72) for _ in range(2)]
    assert table["term"].tolist() == ["social", "legal"] * 72
    assert (table["status"] == "ok").all()
    assert table["converged"].all()
    assert (table["vcov"] == "CRV1 by province").all()
    # the formula holds exactly the chosen columns
    row = table.iloc[0]
    assert row["formula"] == "y ~ x1 + x2 | province + year"
    assert row["spec_id"] == curve.specifications[0].id


def test_true_indicator_with_unit_and_time_effects_recovers_the_truth(
    curve: SpecificationCurve,
) -> None:
    table = curve.table
    right = table.loc[
        (table["fixed_effects"] == "unit+time") & table["indicator"].isin(["x1", "x2"])
    ]
    # 2 families x 2 windows x (x1 with either legal indicator + x2 with any social one)
    assert len(right) == 2 * 2 * (2 + 3)
    truth = right["indicator"].map(TRUE)
    z = (right["estimate"] - truth) / right["std_error"]
    assert (z.abs() < 3).all(), right.assign(z=z)[["indicator", "family", "window", "estimate"]]
    # the intervals are centred on the estimates
    mid = (right["conf_low"] + right["conf_high"]) / 2
    np.testing.assert_allclose(mid, right["estimate"], rtol=1e-12)


def test_pooled_specifications_are_biased(curve: SpecificationCurve) -> None:
    # x1 loads on the unit effect (rho = 1): without unit effects it is biased upward.
    table = curve.table
    pooled = table.loc[
        (table["fixed_effects"] == "none")
        & (table["indicator"] == "x1")
        & (table["window"] == "all")
    ]
    assert len(pooled) == 2 * 2
    assert ((pooled["estimate"] - 0.3) / pooled["std_error"] > 2).all()


def test_row_accounting_of_the_window(curve: SpecificationCurve, panel: pd.DataFrame) -> None:
    table = curve.table
    inside = int((panel["year"] <= 2011).sum())
    windowed = table.loc[table["window"] == "2000-2011"]
    assert (windowed["rows_outside_window"] == len(panel) - inside).all()
    assert (windowed["nobs"] + windowed["rows_left_out"] == inside).all()
    full = table.loc[table["window"] == "all"]
    assert (full["rows_outside_window"] == 0).all()
    assert (full["nobs"] + full["rows_left_out"] == len(panel)).all()


def test_matches_a_direct_fit(curve: SpecificationCurve, panel: pd.DataFrame) -> None:
    row = curve.table.loc[
        (curve.table["family"] == "negbin")
        & (curve.table["fixed_effects"] == "unit")
        & (curve.table["window"] == "2000-2011")
        & (curve.table["indicator"] == "x1_noisy")
    ]
    row = row.loc[row["formula"].str.contains("x2_proxy")].iloc[0]
    direct = mi.negbin(
        "y ~ x1_noisy + x2_proxy | province",
        panel.loc[panel["year"] <= 2011],
        exposure="population",
        vcov={"CRV1": "province"},
    )
    assert row["estimate"] == direct.params["x1_noisy"]
    assert row["std_error"] == direct.bse["x1_noisy"]
    assert row["p_value"] == direct.pvalues["x1_noisy"]
    assert row["nobs"] == direct.nobs


def test_summary(curve: SpecificationCurve) -> None:
    summary = curve.summary().set_index("term")
    assert list(curve.summary().columns) == list(SUMMARY_COLUMNS)
    social = curve.table.loc[curve.table["term"] == "social"]
    assert summary.loc["social", "n_specifications"] == 72
    assert summary.loc["social", "n_failed"] == 0
    assert summary.loc["social", "median_estimate"] == np.median(social["estimate"])
    assert summary.loc["social", "share_positive"] == np.mean(social["estimate"] > 0)
    sig_pos = np.mean((social["p_value"] < 0.05) & (social["estimate"] > 0))
    assert summary.loc["social", "share_significant_positive"] == sig_pos
    # x2 and its proxy have negative true effects: no legal estimate is positive, and
    # every one with the true indicator x2 and unit effects is significant
    legal = curve.table.loc[curve.table["term"] == "legal"]
    sig_neg = (legal["p_value"] < 0.05) & (legal["estimate"] < 0)
    assert summary.loc["legal", "share_significant_negative"] == np.mean(sig_neg)
    assert sig_neg[(legal["indicator"] == "x2") & (legal["fixed_effects"] != "none")].all()
    assert 0.5 < summary.loc["legal", "share_significant_negative"] < 1
    assert summary.loc["legal", "share_positive"] == 0.0
    # z is noise: a third of the social specifications are not significant, so not all positive
    assert 0 < summary.loc["social", "share_significant_positive"] < 1
    with pytest.raises(ValueError, match="alpha"):
        curve.summary(alpha=1.5)


def test_failures_are_recorded_not_raised(panel: pd.DataFrame) -> None:
    df = panel.copy()
    df["bad_pop"] = df["population"]
    df.loc[df.index[:3], "bad_pop"] = 0.0  # log exposure undefined: a DataError
    df["constant"] = 1.0  # absorbed by every fixed effect and collinear with the intercept
    choices = {
        "indicators": {"social": ["x1", "constant"], "legal": ["x2"]},
        "exposure": ["population", "bad_pop"],
        "windows": [None, [1980, 1990]],
    }
    curve = mi.specification_curve(df, outcome="y", unit="province", time="year", choices=choices)
    t = curve.table
    assert len(curve.specifications) == 8
    failed_exposure = t.loc[(t["exposure"] == "bad_pop") & (t["window"] == "all")]
    assert (failed_exposure["status"] == "failed").all()
    assert (~failed_exposure["converged"]).all()
    assert failed_exposure["error"].str.contains("exposure must be positive").all()
    assert failed_exposure["estimate"].isna().all()
    empty = t.loc[t["window"] == "1980-1990"]
    assert (empty["status"] == "failed").all()
    assert empty["error"].str.contains("no rows in the window").all()
    assert (empty["rows_outside_window"] == len(df)).all()
    dropped = t.loc[
        (t["indicator"] == "constant") & (t["exposure"] == "population") & (t["window"] == "all")
    ]
    assert dropped["status"].tolist() == ["dropped"]
    assert dropped["converged"].tolist() == [True]
    assert dropped["vcov"].tolist() == ["CRV1 by province"]
    assert (failed_exposure["vcov"] == "").all()
    assert "constant dropped from the model (collinear)" in dropped["error"].iloc[0]
    assert "dropped" in dropped["warnings"].iloc[0]  # the CollinearityWarning was kept
    # the legal term of that same specification was estimated
    same = t.loc[(t["spec_number"] == dropped["spec_number"].iloc[0]) & (t["term"] == "legal")]
    assert same["status"].tolist() == ["ok"]
    ok = t.loc[(t["status"] == "ok") & (t["term"] == "social")]
    assert len(ok) == 1
    assert curve.n_failed == 6
    s = curve.summary().set_index("term")
    assert s.loc["social", "n_failed"] == 6 and s.loc["social", "n_dropped"] == 1
    assert s.loc["social", "n_estimated"] == 1
    assert s.loc["legal", "n_estimated"] == 2
    assert "6 failed" in repr(curve)


def test_spec_object_gives_the_same_table(panel: pd.DataFrame) -> None:
    choices = {"indicators": {"social": ["x1", "z"]}, "exposure": ["population"]}
    spec = SimpleNamespace(outcome_column="y", unit="province", time="year", multiverse=choices)
    a = mi.specification_curve(panel, spec)
    b = mi.specification_curve(
        panel, outcome="y", unit="province", time="year", choices=Choices.from_dict(choices)
    )
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)
    with pytest.raises(TypeError, match="not both: outcome"):
        mi.specification_curve(panel, spec, outcome="y")
    with pytest.raises(TypeError, match="needs time"):
        mi.specification_curve(panel, outcome="y", unit="province", choices=choices)
    with pytest.raises(TypeError, match="needs choices"):
        mi.specification_curve(panel, outcome="y", unit="province", time="year")
    with pytest.raises(ChoicesError, match="unknown model family"):
        mi.specification_curve(
            panel,
            outcome="y",
            unit="province",
            time="year",
            choices={"indicators": {"a": ["x1"]}, "families": ["logit"]},
        )


def test_index_levels_can_be_the_unit_and_time(panel: pd.DataFrame) -> None:
    choices = {"indicators": {"social": ["x1"]}, "exposure": ["population"]}
    flat = mi.specification_curve(panel, outcome="y", unit="province", time="year", choices=choices)
    indexed = mi.specification_curve(
        panel.set_index(["province", "year"]),
        outcome="y",
        unit="province",
        time="year",
        choices=choices,
    )
    pd.testing.assert_frame_equal(flat.table, indexed.table, check_exact=True)


def test_columns_are_checked_and_never_evaluated(panel: pd.DataFrame) -> None:
    df = panel.rename(columns={"x2": "log(x2)"})
    with pytest.raises(DataError) as info:
        mi.specification_curve(
            df,
            outcome="y",
            unit="province",
            time="year",
            choices={"indicators": {"a": ["x_1", "log(x2)"]}, "exposure": ["popu"]},
        )
    text = str(info.value)
    assert "'x_1'" in text and "close column names: x1" in text
    assert "'log(x2)'" in text and "not a plain name" in text
    assert "'popu'" in text and "population" in text
    assert len(info.value.problems) == 3
    with pytest.raises(DataError, match="cannot be the outcome"):
        mi.specification_curve(
            panel,
            outcome="y",
            unit="province",
            time="year",
            choices={"indicators": {"a": ["year"]}},
        )


def test_vcov_and_level_are_used(panel: pd.DataFrame) -> None:
    choices = {"indicators": {"social": ["x1"]}, "exposure": ["population"]}
    curve = mi.specification_curve(
        panel,
        outcome="y",
        unit="province",
        time="year",
        choices=choices,
        vcov="hetero",
        level=0.9,
    )
    row = curve.table.iloc[0]
    direct = mi.poisson("y ~ x1 | province + year", panel, exposure="population", vcov="hetero")
    ci = direct.conf_int(0.9).loc["x1"]
    assert row["vcov"] == direct.vcov_label
    assert row["conf_low"] == ci["lower"] and row["conf_high"] == ci["upper"]
    with pytest.raises(ValueError, match="level"):
        mi.specification_curve(
            panel, outcome="y", unit="province", time="year", choices=choices, level=95
        )


def test_to_csv_round_trip(curve: SpecificationCurve, tmp_path) -> None:
    path = tmp_path / "curve.csv"
    curve.to_csv(path)
    back = pd.read_csv(path, float_precision="round_trip")
    assert list(back.columns) == list(TABLE_COLUMNS)
    np.testing.assert_array_equal(back["estimate"], curve.table["estimate"])
    assert back["spec_id"].astype(str).tolist() == curve.table["spec_id"].tolist()


def test_windows_must_be_comparable_with_the_time_column(panel: pd.DataFrame) -> None:
    with pytest.raises(DataError, match=r"window \['2001', '2005'\] cannot be compared"):
        mi.specification_curve(
            panel,
            outcome="y",
            unit="province",
            time="year",
            choices={"indicators": {"a": ["x1"]}, "windows": [None, ["2001", "2005"]]},
        )


def test_progress_is_reported_on_stderr(panel: pd.DataFrame, capsys: pytest.CaptureFixture) -> None:
    mi.specification_curve(
        panel,
        outcome="y",
        unit="province",
        time="year",
        choices={"indicators": {"a": ["x1", "z"]}},
        progress=True,
    )
    err = capsys.readouterr().err
    assert "multiverse: 1/2 specifications fitted" in err
    assert "multiverse: 2/2 specifications fitted" in err


def test_standardized_estimates_are_the_unscaled_ones_times_the_sd() -> None:
    # Per-SD estimates: the same fit with the indicator divided by its SD in the window, so
    # estimate and interval scale by the SD and the p-value does not move.
    df = mi.datasets.simulate_panel(31, 10, seed=4)
    choices = {
        "indicators": {"social": ["x1"], "system": ["x2"]},
        "windows": [None, [2003, 2009]],
        "exposure": ["population"],
    }
    kw = {"outcome": "y", "unit": "province", "time": "year", "choices": choices}
    raw = mi.specification_curve(df, **kw).table
    std = mi.specification_curve(df, standardize=True, **kw).table
    assert (raw["scale"] == "per unit").all() and (std["scale"] == "per SD").all()
    for (_, r), (_, s) in zip(raw.iterrows(), std.iterrows(), strict=True):
        window = df if r["window"] == "all" else df.query("2003 <= year <= 2009")
        sd = window[r["indicator"]].std(ddof=1)
        assert s["indicator_sd"] == pytest.approx(sd, rel=1e-12)
        assert s["estimate"] == pytest.approx(r["estimate"] * sd, rel=1e-7)
        assert s["conf_high"] == pytest.approx(r["conf_high"] * sd, rel=1e-7)
        assert s["p_value"] == pytest.approx(r["p_value"], rel=1e-6)


def test_progress_callback_sees_every_specification() -> None:
    df = mi.datasets.simulate_panel(31, 6, seed=5)
    calls: list[tuple[int, int]] = []
    mi.specification_curve(
        df,
        outcome="y",
        unit="province",
        time="year",
        choices={"indicators": {"social": ["x1", "x2"]}, "families": ["poisson", "negbin"]},
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(k, 4) for k in range(1, 5)]

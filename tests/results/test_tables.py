"""mi.etable: golden strings for markdown, LaTeX and HTML, on hand-made results.

The golden outputs are in ``tests/golden/`` (generated once, reviewed by hand).
The results are built by hand (fixed estimates and standard errors) so that
the golden strings depend on formatting only. They exercise: stars at each
threshold (p = 0.0000, 0.0455, 0.0891, 0.0956 and none), a negative estimate,
an estimate that rounds to zero (no ``-0.000``), a term absent from some models,
fixed effects present in some models, LaTeX/HTML special characters in names,
labels and captions (``_``, ``&``, ``[``), thousands separators, and the fit
statistics of least-squares and count models.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import massincidents as mi
from massincidents.results import Result


def _result(
    model, formula, est, se, *, nobs=1234, fe=(), stats=None, vcov_label="", link="identity"
):
    names = list(est)
    return Result(
        model=model,
        formula=formula,
        params=pd.Series(est, dtype=float),
        vcov=pd.DataFrame(np.diag(np.array(list(se.values())) ** 2), index=names, columns=names),
        vcov_label=vcov_label,
        df_inference=None,
        nobs=nobs,
        fixed_effects=fe,
        link=link,
        stats=stats or {},
    )


@pytest.fixture(scope="module")
def models():
    ols = _result(
        "OLS",
        "strikes_pc ~ np.log(gdp_pc) + unemployment",
        {"np.log(gdp_pc)": 0.5, "unemployment": -0.2},
        {"np.log(gdp_pc)": 0.1, "unemployment": 0.1},
        fe=("province", "year"),
        stats={"r2": 0.51234, "r2_within": 0.25, "rss": 10.0},
        vcov_label="CRV1 by province",
    )
    poisson = _result(
        "Poisson PML",
        "strikes ~ np.log(gdp_pc) + unemployment + C(region)[T.west]",
        {"np.log(gdp_pc)": 0.17, "unemployment": 0.1, "C(region)[T.west]": -0.0004},
        {"np.log(gdp_pc)": 0.1, "unemployment": 0.1, "C(region)[T.west]": 0.25},
        nobs=31000,
        fe=("year",),
        stats={"loglik": -1234.5678, "pseudo_r2": 0.2346},
        vcov_label="CRV1 by firm & year",
        link="log",
    )
    nb2 = _result(
        "NB2",
        "strikes ~ unemployment",
        {"unemployment": -1.0},
        {"unemployment": 0.6},
        stats={"loglik": -1100.25, "alpha": 0.4567},
        vcov_label="heteroskedasticity-robust (HC1)",
    )
    return [ols, poisson, nb2]


LABELS = {"np.log(gdp_pc)": "log GDP per capita", "province": "Province"}
CAPTION = "Strikes & growth, 2011–2017"

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
MARKDOWN = (GOLDEN / "etable.md").read_text(encoding="utf-8")
LATEX = (GOLDEN / "etable.tex").read_text(encoding="utf-8")
HTML = (GOLDEN / "etable.html").read_text(encoding="utf-8")


def test_pvalues_behind_the_stars(models) -> None:
    p = [m.pvalues.round(4).to_dict() for m in models]
    assert p[0] == {"np.log(gdp_pc)": 0.0, "unemployment": 0.0455}
    assert p[1]["np.log(gdp_pc)"] == 0.0891 and p[1]["unemployment"] == 0.3173
    assert p[2] == {"unemployment": 0.0956}


def test_markdown_golden(models) -> None:
    assert mi.etable(models, labels=LABELS) == MARKDOWN


def test_latex_golden(models) -> None:
    got = mi.etable(models, format="latex", labels=LABELS, caption=CAPTION, label="tab:strikes")
    assert got == LATEX


def test_html_golden(models) -> None:
    assert mi.etable(models, format="html", labels=LABELS, caption=CAPTION) == HTML


def test_latex_without_caption_is_a_bare_tabular(models) -> None:
    got = mi.etable(models, format="latex", labels=LABELS)
    assert got.startswith("\\begin{tabular}{lccc}") and got.endswith("\\end{tabular}")
    assert got == LATEX.split("\n", 4)[4].rsplit("\n", 1)[0]


def test_dataframe(models) -> None:
    table = mi.etable(models, format="dataframe", drop=["region"])
    assert list(table.columns) == ["(1)", "(2)", "(3)"]
    assert table.index.names == ["part", "row"]
    assert table.loc[("coef", "unemployment")].tolist() == ["-0.200**", "0.100", "-1.000*"]
    assert table.loc[("se", "unemployment")].tolist() == ["(0.100)", "(0.100)", "(0.600)"]
    assert table.loc[("fe", "year fixed effects")].tolist() == ["Yes", "Yes", "No"]
    assert table.loc[("stat", "Observations")].tolist() == ["1,234", "31,000", "1,234"]
    assert ("coef", "C(region)[T.west]") not in table.index


def test_options(models) -> None:
    plain = mi.etable(models[:1], stars=None, digits=2, model_names=["Baseline"])
    assert plain.splitlines()[0] == "|                        |     Baseline     |"
    assert "\n| np.log(gdp_pc)         |       0.50       |\n" in plain
    assert plain.endswith("\n\nStandard errors in parentheses.")
    kept = mi.etable(models, format="dataframe", keep=[r"^unemp"])
    assert [row for part, row in kept.index if part == "coef"] == ["unemployment"]
    two = mi.etable(models, format="dataframe", stars=(0.05,))
    assert two.loc[("coef", "unemployment")].tolist() == ["-0.200*", "0.100", "-1.000"]
    raw = mi.etable(models[:1], format="latex", labels={"unemployment": "$u_t$"}, escape=False)
    assert "\n$u_t$ & $-$0.200$^{**}$ \\\\\n" in raw


def test_errors(models) -> None:
    with pytest.raises(ValueError, match="at least one"):
        mi.etable([])
    with pytest.raises(ValueError, match="format"):
        mi.etable(models, format="csv")
    with pytest.raises(ValueError, match="2 model names for 3 models"):
        mi.etable(models, model_names=["a", "b"])


def test_real_fits() -> None:
    df = mi.datasets.simulate_panel(seed=1)
    a = mi.linear("y_linear ~ x1", df)
    b = mi.linear("y_linear ~ x1 + x2 | province + year", df)
    table = mi.etable([a, b], format="dataframe")
    assert table.loc[("fe", "province fixed effects")].tolist() == ["No", "Yes"]
    assert table.loc[("stat", "Standard errors")].tolist() == ["iid", "CRV1 by province"]
    assert table.loc[("coef", "x1")].iloc[1] == f"{b.params['x1']:.3f}***"
    assert table.loc[("se", "x1")].iloc[1] == f"({b.bse['x1']:.3f})"


def test_intercept_is_last() -> None:
    df = mi.datasets.simulate_panel(seed=1)
    a = mi.linear("y_linear ~ x1", df)
    b = mi.linear("y_linear ~ x2 + x1 | province", df)
    table = mi.etable([b, a], format="dataframe")
    assert [row for part, row in table.index if part == "coef"] == ["x2", "x1", "Intercept"]


def test_markdown_escapes_pipes_html_and_backslashes_in_names(models) -> None:
    hostile = _result(
        "OLS",
        "y ~ a",
        {"a|b": 1.0, "<script>x</script>": 2.0, "C(r)[T.a\\b]": 3.0},
        {"a|b": 0.5, "<script>x</script>": 0.5, "C(r)[T.a\\b]": 0.5},
    )
    md = mi.etable([hostile])
    assert "| a\\|b " in md and "&lt;script&gt;" in md and "<script>" not in md
    assert "C(r)[T.a\\\\b]" in md
    rows = [line for line in md.splitlines() if line.startswith("|")]
    assert {line.count("|") - line.count("\\|") for line in rows} == {3}  # no stray cells
    raw = mi.etable([hostile], escape=False)
    assert "<script>" in raw


def test_etable_puts_pyfixest_and_statsmodels_models_next_to_ours() -> None:
    pf = pytest.importorskip("pyfixest")
    smf = pytest.importorskip("statsmodels.formula.api")
    df = mi.datasets.simulate_panel(seed=1)
    ours = mi.linear("y_linear ~ x1 + x2 | province", df, ssc="fixest")
    theirs = pf.feols("y_linear ~ x1 + x2 | province", data=df, vcov={"CRV1": "province"})
    ols = smf.ols("y_linear ~ x1 + x2", data=df).fit()
    table = mi.etable([ours, theirs, ols], format="dataframe")
    assert table.loc[("coef", "x1")].iloc[0] == table.loc[("coef", "x1")].iloc[1]
    assert table.loc[("se", "x1")].iloc[0] == table.loc[("se", "x1")].iloc[1]
    assert table.loc[("fe", "province fixed effects")].tolist() == ["Yes", "Yes", "No"]
    assert table.loc[("stat", "Observations")].tolist() == ["620"] * 3
    assert table.loc[("header", "Dependent variable")].tolist() == ["y_linear"] * 3
    assert table.loc[("coef", "Intercept")].iloc[2] == f"{ols.params['Intercept']:.3f}"
    latex = mi.etable([ours, theirs], format="latex")
    assert "y\\_linear" in latex  # escaped, as maketables' own LaTeX does not

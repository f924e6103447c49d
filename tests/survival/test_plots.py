"""Survival plots draw what the estimators return (Agg backend, no display)."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import massincidents as mi
from massincidents.survival import plots


@pytest.fixture
def data() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    n = 120
    return pd.DataFrame(
        {
            "t": rng.integers(1, 40, n).astype(float),
            "d": (rng.random(n) < 0.7).astype(int),
            "type": rng.integers(0, 3, n),
            "g": rng.choice(["east", "west"], n),
        }
    )


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_plot_survival_by_group(data) -> None:
    km = mi.kaplan_meier(data, duration="t", event="d", by="g")
    ax = plots.plot_survival(km)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["east", "west"]
    steps = [line for line in ax.get_lines() if line.get_drawstyle() == "steps-post"]
    assert len(steps) == 2
    x, y = steps[0].get_data()
    assert x[0] == 0 and y[0] == 1.0
    assert len(ax.collections) == 2  # confidence bands
    assert ax.get_ylabel() == "survival probability"


def test_plot_survival_without_bands_on_given_axes(data) -> None:
    _, ax = plt.subplots()
    out = plots.plot_survival(mi.kaplan_meier(data, duration="t", event="d"), ax=ax, ci=False,
                              censor_marks=False)
    assert out is ax and len(ax.collections) == 0 and ax.get_legend() is None


def test_plot_cumhaz(data) -> None:
    ax = plots.plot_cumhaz(mi.nelson_aalen(data, duration="t", event="d", by="g"))
    assert len(ax.collections) == 2
    ax2 = plots.plot_cumhaz(mi.kaplan_meier(data, duration="t", event="d"))
    assert len(ax2.collections) == 0  # no band from a Kaplan-Meier table


def test_plot_cumulative_incidence(data) -> None:
    ci = mi.cumulative_incidence(data, duration="t", event="type")
    ax = plots.plot_cumulative_incidence(ci)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["1", "2"]
    by = mi.cumulative_incidence(data, duration="t", event="type", by="g")
    ax = plots.plot_cumulative_incidence(by, states=[1])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["east / 1", "west / 1"]


def test_plot_schoenfeld_accepts_any_time_residual_frame() -> None:
    rng = np.random.default_rng(0)
    res = pd.DataFrame({"time": np.sort(rng.uniform(0, 10, 50)), "x1": rng.normal(size=50),
                        "x2": rng.normal(size=50), "x3": rng.normal(size=50)})
    fig = plots.plot_schoenfeld(res)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["x1", "x2", "x3"]
    assert all(len(ax.get_lines()) == 2 for ax in visible)  # smooth and zero line
    fig = plots.plot_schoenfeld(res, terms=["x2"], smooth=False)
    assert [ax.get_title() for ax in fig.axes] == ["x2"]
    with pytest.raises(ValueError, match="'t'"):
        plots.plot_schoenfeld(res, time="t")
    fig = plots.plot_schoenfeld(res[["x1"]], time=res["time"].to_numpy())
    assert [ax.get_title() for ax in fig.axes] == ["x1"]


def test_plot_schoenfeld_reads_a_cox_zph_like_result() -> None:
    """Only the documented ``residuals`` and ``x`` attributes are used."""
    rng = np.random.default_rng(1)
    zph = SimpleNamespace(residuals=pd.DataFrame({"age": rng.normal(size=30)}),
                          x=np.linspace(0, 1, 30), transform="km")
    fig = plots.plot_schoenfeld(zph)
    (ax,) = fig.axes
    assert ax.get_title() == "age" and ax.get_xlabel() == "time (km scale)"
    with pytest.raises(TypeError):
        plots.plot_schoenfeld([1, 2, 3])

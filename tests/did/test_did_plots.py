"""Event-study plot: a matplotlib Figure with the expected artists."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure

import massincidents as mi
from massincidents.did.plots import plot_event_study


def _table(bands: bool) -> pd.DataFrame:
    e = np.arange(-3, 4)
    est = np.where(e >= 0, 0.1 * (e + 1), 0.0)
    t = pd.DataFrame(
        {"event_time": e, "estimate": est, "conf_low": est - 0.1, "conf_high": est + 0.1}
    )
    if bands:
        t["band_low"], t["band_high"] = est - 0.2, est + 0.2
    return t


def _lines_at(ax, *, horizontal: bool, value: float) -> bool:
    for line in ax.get_lines():
        x, y = (np.asarray(v, dtype=float) for v in line.get_data())
        data = y if horizontal else x
        if data.size == 2 and np.allclose(data, value):
            return True
    return False


def test_pointwise_and_simultaneous_bands() -> None:
    fig = plot_event_study(_table(True), title="Effect", ylabel="Effect on log rate")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith("Event time") and ax.get_ylabel() == "Effect on log rate"
    assert ax.get_title() == "Effect"
    assert any(isinstance(c, PolyCollection) for c in ax.collections)  # simultaneous band
    assert any(isinstance(c, LineCollection) for c in ax.collections)  # pointwise CIs
    assert _lines_at(ax, horizontal=True, value=0.0)
    assert _lines_at(ax, horizontal=False, value=-0.5)
    labels = ax.get_legend_handles_labels()[1]
    assert "95% simultaneous band" in labels and "95% pointwise CI" in labels
    plt.close(fig)


def test_without_bands_and_with_reference_row() -> None:
    df = mi.datasets.simulate_panel(seed=1)
    es = mi.event_study(
        df, outcome="y_linear", unit="province", time="year", cohort="cohort", leads=3, lags=3
    )
    fig, ax = plt.subplots()
    out = plot_event_study(es.event_table(), ax=ax)
    assert out is fig
    assert not any(isinstance(c, PolyCollection) for c in ax.collections)
    assert "Reference period" in ax.get_legend_handles_labels()[1]
    plt.close(fig)


def test_missing_columns() -> None:
    with pytest.raises(ValueError, match="conf_low"):
        plot_event_study(pd.DataFrame({"event_time": [0], "estimate": [1.0]}))

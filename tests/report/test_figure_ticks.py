"""Tick labels of the report's figures never overlap, whatever the range of the values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from massincidents.report.figures import coefficient_figure, did_figure, measures_figure


def _overlaps(fig, axis: str) -> list[tuple[str, str]]:
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    ax = fig.axes[0]
    labels = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    shown = [t for t in labels if t.get_visible() and t.get_text()]
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in shown]
    return [
        (a, b)
        for i, (a, box_a) in enumerate(boxes)
        for b, box_b in boxes[i + 1 :]
        if box_a.overlaps(box_b)
    ]


def _coefs(low: float, high: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model": ["m", "m", "m"],
            "term": ["gdp_yuan", "x1", "x2"],
            "estimate": [low / 2, 0.1, high / 2],
            "conf_low": [low, -0.2, 0.0],
            "conf_high": [0.0, 0.4, high],
        }
    )


@pytest.mark.parametrize(
    ("low", "high"), [(-0.2, 0.3), (-3.0, 2.5), (-12.0, 9.0), (-1e-6, 1e-6), (-30.0, 40.0)]
)
def test_coefficient_figure_ticks_do_not_overlap(low: float, high: float) -> None:
    fig = coefficient_figure(_coefs(low, high), title="t")
    assert _overlaps(fig, "x") == []
    assert _overlaps(fig, "y") == []
    assert len([t for t in fig.axes[0].get_xticklabels() if t.get_text()]) >= 2


def test_measures_and_did_figures_ticks_do_not_overlap() -> None:
    table = pd.DataFrame(
        {
            "label": [f"measure {i}: x {i}" for i in range(6)],
            "percent_change": np.linspace(-2000, 50000, 6),
            "percent_low": np.linspace(-9000, 1000, 6),
            "percent_high": np.linspace(1000, 123456, 6),
        }
    )
    assert _overlaps(measures_figure(table, title="m"), "x") == []
    e = np.arange(-40, 41)
    dyn = pd.DataFrame(
        {"event_time": e, "att": e * 1e5, "conf_low": e * 1e5 - 1e6, "conf_high": e * 1e5 + 1e6}
    )
    fig = did_figure(dyn, title="d")
    assert _overlaps(fig, "x") == [] and _overlaps(fig, "y") == []

"""Predictions on new rows (``massincidents.results.prediction``)."""

from __future__ import annotations

import numpy as np


def test_a_level_the_fit_did_not_see_predicts_nan_not_the_reference_level() -> None:
    # formulaic codes an unseen category as the reference level (all dummies 0): main
    # returned the reference year's prediction for a year outside the sample
    import warnings

    import massincidents as mi

    panel = mi.datasets.simulate_panel(seed=1)
    new = panel.head(3).copy()
    new.loc[new.index[0], "year"] = 1990
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # formulaic's cast warning is handled, not leaked
        for fit in (
            mi.linear("y_linear ~ C(year) + x1", panel),
            mi.poisson(
                "y ~ C(year, Treatment(2005)) + x1 | province", panel, exposure="population"
            ),
        ):
            predicted = fit.predict(new)
            assert np.isnan(predicted.iloc[0])
            np.testing.assert_allclose(predicted.iloc[1:], fit.predict(panel.head(3)).iloc[1:])

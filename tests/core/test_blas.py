"""Small and thin dense algebra runs with one OpenBLAS thread (``massincidents.core.blas``)."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import massincidents as mi
from massincidents.core.blas import blas_threads, one_blas_thread

pytestmark = pytest.mark.skipif(not blas_threads(), reason="no BLAS library known to threadpoolctl")


def _counts() -> list[int]:
    return blas_threads()


def test_one_thread_inside_and_the_count_restored_after_even_on_error() -> None:
    before = _counts()
    with one_blas_thread():
        assert _counts() == [1] * len(before)
    assert _counts() == before
    with pytest.raises(RuntimeError), one_blas_thread():
        raise RuntimeError("boom")
    assert _counts() == before


def test_arellano_bond_estimates_with_one_blas_thread(monkeypatch) -> None:
    estimator = importlib.import_module("massincidents.dynamic.estimator")
    seen = []
    original = estimator.fit_gmm

    def recording(*args, **kwargs):
        seen.append(_counts())
        return original(*args, **kwargs)

    monkeypatch.setattr(estimator, "fit_gmm", recording)
    rng = np.random.default_rng(0)
    n, t = 60, 7
    a = rng.normal(size=n)
    y = np.zeros((n, t))
    y[:, 0] = a + rng.normal(size=n)
    for s in range(1, t):
        y[:, s] = 0.5 * y[:, s - 1] + a + rng.normal(size=n)
    import pandas as pd

    df = pd.DataFrame(
        {"unit": np.repeat(np.arange(n), t), "year": np.tile(np.arange(2000, 2000 + t), n),
         "y": y.ravel()}
    )  # fmt: skip
    before = _counts()
    mi.arellano_bond("y ~ lag(y, 1) | lag(y, 2:99)", df, entity="unit", time="year", steps=2)
    assert seen == [[1] * len(before)]
    assert _counts() == before


def test_poisson_fits_with_one_blas_thread(monkeypatch) -> None:
    poisson_module = importlib.import_module("massincidents.counts.poisson")
    seen = []
    original = poisson_module.irls

    def recording(*args, **kwargs):
        seen.append(_counts())
        return original(*args, **kwargs)

    monkeypatch.setattr(poisson_module, "irls", recording)
    df = mi.datasets.simulate_panel(n_provinces=30, n_years=8, seed=1)
    before = _counts()
    mi.poisson("y ~ x1 + x2 | province + year", df, exposure="population", vcov="iid")
    assert seen == [[1] * len(before)]
    assert _counts() == before


def test_overlapping_blocks_restore_the_count_when_the_last_one_leaves() -> None:
    before = _counts()
    with one_blas_thread():
        with one_blas_thread():
            assert _counts() == [1] * len(before)
        assert _counts() == [1] * len(before)  # the outer block still runs
    assert _counts() == before

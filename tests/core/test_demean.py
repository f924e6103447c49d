"""Partialling out fixed effects: engines agree with each other and with dummy regression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import connected_components

from massincidents.core.demean import (
    ConvergenceError,
    _bipartite_components,
    demean,
    fe_degrees_of_freedom,
    is_nested,
    stack_codes,
)


@pytest.fixture(scope="module")
def unbalanced():
    rng = np.random.default_rng(3)
    a = np.repeat(np.arange(40), 15)
    b = np.tile(np.arange(15), 40)
    c = rng.integers(0, 7, a.size)
    keep = rng.random(a.size) > 0.2
    X = rng.normal(size=(a.size, 3)) + a[:, None] * 0.1 + b[:, None] * 0.05
    w = rng.gamma(2.0, size=a.size)
    return X[keep], a[keep], b[keep], c[keep], w[keep]


def _dummy_residuals(X, fe, w):
    D = np.column_stack([np.eye(int(f.max()) + 1)[f] for f in fe])
    root = np.sqrt(w)[:, None]
    coef, *_ = np.linalg.lstsq(root * D, root * X, rcond=None)
    return X - D @ coef


@pytest.mark.parametrize("engine", ["auto", "numpy"])
@pytest.mark.parametrize("n_fe", [1, 2, 3])
def test_matches_weighted_dummy_regression(unbalanced, engine, n_fe) -> None:
    X, a, b, c, w = unbalanced
    fe = [a, b, c][:n_fe]
    expected = _dummy_residuals(X, fe, w)
    np.testing.assert_allclose(demean(X, fe, w, engine=engine), expected, atol=1e-9)


def test_engines_agree_without_weights(unbalanced) -> None:
    X, a, b, *_ = unbalanced
    np.testing.assert_allclose(
        demean(X, [a, b], engine="numpy"), demean(X, [a, b], engine="auto"), atol=1e-10
    )


@pytest.mark.parametrize("engine", ["auto", "numpy"])
@pytest.mark.parametrize("n_fe", [1, 2, 3])
def test_stacked_codes_give_the_same_answer_and_leave_the_input_alone(
    unbalanced, engine, n_fe
) -> None:
    X, a, b, c, w = unbalanced
    fe = [a, b, c][:n_fe]
    before = X.copy()
    stacked = stack_codes(fe)
    assert stacked.dtype == np.uint64 and stacked.flags.c_contiguous
    np.testing.assert_array_equal(
        demean(X, stacked, w, engine=engine), demean(X, fe, w, engine=engine)
    )
    np.testing.assert_array_equal(X, before)


def test_one_dimensional_input_keeps_its_shape(unbalanced) -> None:
    X, a, b, *_ = unbalanced
    assert demean(X[:, 0], [a, b]).shape == (X.shape[0],)


def test_non_convergence_is_an_error(unbalanced) -> None:
    X, a, b, *_ = unbalanced
    for engine in ("numpy", "auto"):
        with pytest.raises(ConvergenceError):
            demean(X, [a, b], maxiter=1, tol=1e-16, engine=engine)


def test_degrees_of_freedom_of_fixed_effects() -> None:
    a = np.array([0, 0, 1, 1, 2, 2])
    b = np.array([0, 1, 0, 1, 2, 3])  # two connected components: {a0,a1,b0,b1}, {a2,b2,b3}
    assert fe_degrees_of_freedom([a]) == 3
    assert fe_degrees_of_freedom([a, b]) == 3 + 4 - 2
    assert fe_degrees_of_freedom([]) == 0


def test_nesting() -> None:
    province = np.array([0, 0, 1, 1])
    region = np.array([0, 0, 0, 0])
    assert is_nested(province, region)
    assert not is_nested(region, province)


def test_is_nested_agrees_with_a_pairwise_definition() -> None:
    rng = np.random.default_rng(5)
    for _ in range(200):
        n = int(rng.integers(1, 40))
        inner = rng.integers(0, 6, size=n)
        outer = rng.integers(0, 3, size=n) if rng.random() < 0.5 else inner // 2
        pairs = set(zip(inner.tolist(), outer.tolist(), strict=True))
        expected = len({a for a, _ in pairs}) == len(pairs)
        assert is_nested(inner, outer) == expected
        assert is_nested(inner.astype(str), outer.astype(str)) == expected


@given(
    rows=st.integers(1, 300),
    size_a=st.integers(1, 60),
    size_b=st.integers(1, 40),
    seed=st.integers(0, 10_000),
)
@settings(max_examples=200, deadline=None)
def test_components_agree_with_scipy(rows, size_a, size_b, seed) -> None:
    """The label propagation counts the components scipy's graph search counts."""
    rng = np.random.default_rng(seed)
    a = pd.factorize(rng.integers(0, size_a, rows))[0]
    b = pd.factorize(rng.integers(0, size_b, rows))[0]
    ga, gb = int(a.max()) + 1, int(b.max()) + 1
    graph = sp.coo_matrix((np.ones(rows), (a, b + ga)), shape=(ga + gb,) * 2)
    expected = connected_components(graph, directed=False)[0]
    assert _bipartite_components(a, b, ga, gb) == expected


@pytest.mark.parametrize("passes", [40, 1])
def test_components_of_long_chains(passes, monkeypatch) -> None:
    """Path graphs a0-b0-a1-b1-...: counted right in a few passes (pointer jumping), and by
    scipy when the passes run out (``passes=1``)."""
    import massincidents.core.demean as module

    monkeypatch.setattr(module, "_MAX_PASSES", passes)
    n = 100_000
    a = np.concatenate([np.arange(n), np.arange(1, n)])
    b = np.concatenate([np.arange(n), np.arange(n - 1)])
    order = np.random.default_rng(0).permutation(a.shape[0])
    assert _bipartite_components(a[order], b[order], n, n) == 1
    a2, b2 = np.concatenate([a, a + n]), np.concatenate([b, b + n])
    assert _bipartite_components(a2, b2, 2 * n, 2 * n) == 2

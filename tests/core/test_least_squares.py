"""The least-squares kernel: scale-proof solutions, rank decisions, conditioning."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from massincidents.core.least_squares import (
    IllConditionedWarning,
    RankDeficientError,
    inverse_symmetric,
    least_squares,
    scaled_condition_number,
    solve_symmetric,
)


def _data(seed: int = 0, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.normal(size=n) + 5])
    y = X @ [1.0, 0.5, -0.25] + rng.normal(size=n)
    return X, y


def test_matches_statsmodels_ols_and_wls() -> None:
    X, y = _data()
    w = np.random.default_rng(1).uniform(0.5, 2.0, size=len(y))
    ols, wls = sm.OLS(y, X).fit(), sm.WLS(y, X, weights=w).fit()
    fit = least_squares(X, y)
    np.testing.assert_allclose(fit.beta, ols.params, rtol=1e-12)
    np.testing.assert_allclose(fit.bread, ols.normalized_cov_params, rtol=1e-10)
    np.testing.assert_allclose(fit.resid, ols.resid, rtol=1e-10, atol=1e-12)
    fit_w = least_squares(X, y, w)
    np.testing.assert_allclose(fit_w.beta, wls.params, rtol=1e-12)
    np.testing.assert_allclose(fit_w.bread, wls.normalized_cov_params, rtol=1e-10)


@settings(max_examples=40, deadline=None)
@given(k=st.lists(st.integers(-15, 15), min_size=3, max_size=3))
def test_rescaling_columns_rescales_beta_and_bread_only(k: list[int]) -> None:
    X, y = _data()
    s = 10.0 ** np.array(k, dtype=float)
    base, scaled = least_squares(X, y), least_squares(X * s, y)
    np.testing.assert_allclose(scaled.beta * s, base.beta, rtol=1e-9)
    np.testing.assert_allclose(scaled.bread * np.outer(s, s), base.bread, rtol=1e-9)
    np.testing.assert_allclose(scaled.resid, base.resid, rtol=1e-9, atol=1e-12)
    assert scaled.condition_number == pytest.approx(base.condition_number, rel=1e-9)


def test_lstsq_truncates_where_the_kernel_does_not() -> None:
    # The defect of issue 13: numpy's lstsq (rcond = eps * max(n, k)) drops the
    # small singular value of an unscaled design; the kernel does not.
    X, y = _data()
    X[:, 2] *= 1e12
    naive = np.linalg.lstsq(X, y, rcond=None)[0]
    fit = least_squares(X, y)
    reference = sm.OLS(y, X / [1, 1, 1e12]).fit().params * [1, 1, 1e-12]
    np.testing.assert_allclose(fit.beta, reference, rtol=1e-9)
    assert not np.allclose(naive, reference, rtol=1e-3)


def test_ill_conditioned_design_is_named_and_still_solved_by_qr() -> None:
    X, y = _data()
    X = np.column_stack([X, X[:, 1] + 1e-10 * np.random.default_rng(2).normal(size=len(y))])
    with pytest.warns(IllConditionedWarning, match="condition number"):
        fit = least_squares(X, y)
    assert fit.condition_number > 1e8
    np.testing.assert_allclose(X.T @ fit.resid, 0, atol=1e-6 * np.abs(X.T @ y).max())


def test_rank_deficient_design_is_refused() -> None:
    X, y = _data()
    X = np.column_stack([X, 2 * X[:, 1]])
    with pytest.raises(RankDeficientError, match="rank 3 of 4"):
        least_squares(X, y)


def test_well_conditioned_design_gives_no_warning() -> None:
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert least_squares(X * [1, 1e-14, 1e15], y).condition_number < 100


@settings(max_examples=40, deadline=None)
@given(k=st.lists(st.integers(-15, 15), min_size=3, max_size=3))
def test_symmetric_solve_and_inverse_are_unit_free(k: list[int]) -> None:
    X, _ = _data()
    A = X.T @ X
    b = np.array([1.0, -2.0, 0.5])
    s = 10.0 ** np.array(k, dtype=float)
    As = A * np.outer(s, s)  # the matrix of the rescaled parameters
    np.testing.assert_allclose(solve_symmetric(As, b * s) * s, np.linalg.solve(A, b), rtol=1e-9)
    np.testing.assert_allclose(
        inverse_symmetric(As) * np.outer(s, s), np.linalg.inv(A), rtol=1e-9
    )
    assert scaled_condition_number(As) == pytest.approx(scaled_condition_number(A), rel=1e-9)


def test_indefinite_symmetric_systems_are_solved() -> None:
    A = np.array([[2.0, 3.0], [3.0, 1.0]])
    np.testing.assert_allclose(solve_symmetric(A, np.array([1.0, 2.0])), np.linalg.solve(A, [1, 2]))

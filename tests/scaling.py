"""The rescaling property every model family must have.

Multiplying a regressor by :math:`10^k` must multiply its coefficient and its
standard error by :math:`10^{-k}` (1e-8 relative) and leave every other number
of the fit unchanged: the other estimates and standard errors, every p-value,
and every fit statistic. Each family's tests call :func:`check_rescaling` from
a hypothesis test over :math:`|k| \\le 15`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
from hypothesis import strategies as st
from scipy.stats import norm

EXPONENTS = st.integers(min_value=-15, max_value=15)
RTOL = 1e-8


def _close(actual: np.ndarray, desired: np.ndarray, what: str, atol: float = 0.0) -> None:
    np.testing.assert_allclose(actual, desired, rtol=RTOL, atol=atol, err_msg=what)


def check_rescaling(
    fit: Callable[[pd.DataFrame], object],
    data: pd.DataFrame,
    column: str,
    k: int,
    *,
    terms: Iterable[str] | None = None,
    skip_stats: Iterable[str] = (),
) -> None:
    """Fit on ``data`` and on ``data`` with ``column`` times ``10**k``; compare.

    Parameters
    ----------
    fit
        Data -> fitted result (with ``params``, ``bse``, ``pvalues``, ``stats``).
    data
        The data.
    column
        The regressor to rescale.
    k
        The power of ten.
    terms
        Names of the coefficients of ``column`` (default: ``[column]``); every
        other coefficient must be unchanged.
    skip_stats
        Fit statistics that legitimately carry the units of ``column``.
    """
    terms = [column] if terms is None else list(terms)
    scaled = data.copy()
    scaled[column] = scaled[column] * 10.0**k
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = fit(data)
        other = fit(scaled)
    names = list(base.params.index)
    assert list(other.params.index) == names, (names, list(other.params.index))
    factor = np.array([10.0**k if name in terms else 1.0 for name in names])
    assert any(name in terms for name in names), f"{terms} not among {names}"
    _close(other.params.to_numpy() * factor, base.params.to_numpy(), f"params, k={k}")
    _close(other.bse.to_numpy() * factor, base.bse.to_numpy(), f"standard errors, k={k}")
    # p-values on the normal scale z = Phi^-1(1 - p/2): a p-value multiplies the relative
    # error of its statistic by z phi(z) / p (about 4 at p = 0.01, more in the tails), so
    # 1e-8 on p itself is stricter than 1e-8 on the statistic (under numpy 2.5 a two-step
    # system GMM p-value of 0.0101 differed by 1.1e-8 at k=-14, its z by 1.5e-9)
    _close(
        norm.isf(other.pvalues.to_numpy() / 2),
        norm.isf(base.pvalues.to_numpy() / 2),
        f"p-values (as z), k={k}",
        atol=1e-12,
    )
    skip = set(skip_stats)
    for key, value in getattr(base, "stats", {}).items():
        if key in skip or not isinstance(value, int | float | np.floating):
            continue
        _close(np.asarray(other.stats[key]), np.asarray(value), f"stats[{key!r}], k={k}", 1e-12)

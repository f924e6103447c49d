r"""Numbers in report tables: significant digits by magnitude, integers as integers.

A fixed number of decimals shows a coefficient of :math:`1.2\times10^{-6}`
as ``0.0000`` and its incidence-rate ratio as ``1.000 [1.000, 1.000]``: the
reader cannot tell a tiny effect per unit of a badly scaled indicator (yuan
instead of billions of yuan) from no effect. Here every number keeps the same
count of significant digits whatever its size, in scientific notation
outside :math:`[10^{-4}, 10^{6})`, and :func:`tiny_per_unit` flags the
coefficients whose rate ratio would still print as 1.000, so that the
indicator can be rescaled.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["format_number", "tiny_per_unit", "whole_number_columns"]

#: Outside [SMALL, LARGE) numbers are written in scientific notation.
SMALL = 1e-4
LARGE = 1e6


def format_number(value: float, significant: int = 4) -> str:
    """``value`` with ``significant`` significant digits.

    Parameters
    ----------
    value
        A finite number (callers deal with missing and infinite values).
    significant
        Significant digits kept (at least 1).

    Returns
    -------
    str
        Fixed notation in :math:`[10^{-4}, 10^{6})`, scientific outside;
        zero is ``"0"``; whole numbers stored as integers are printed without
        decimals by the caller.

    Examples
    --------
    >>> [format_number(v) for v in (0.5, 1.0000012, 123.456, 12345.6, 0.00123)]
    ['0.5000', '1.000', '123.5', '12346', '0.001230']
    >>> [format_number(v) for v in (1.2e-06, -3.5e7, 0.0)]
    ['1.200e-06', '-3.500e+07', '0']
    >>> format_number(0.01, 3)
    '0.0100'
    """
    significant = max(1, int(significant))
    v = float(value)
    if v == 0:
        return "0"
    size = abs(v)
    if size < SMALL or size >= LARGE:
        return f"{v:.{significant - 1}e}"
    exponent = math.floor(math.log10(size))
    decimals = max(significant - 1 - exponent, 0)
    text = f"{v:.{decimals}f}"
    # rounding may carry into a new digit (9.9996 -> 10.000): one decimal fewer
    if decimals and len(text.lstrip("-").replace(".", "").lstrip("0")) > significant:
        text = f"{v:.{decimals - 1}f}"
    return text


def whole_number_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Float columns holding only whole numbers (counts, reps, periods) as integers.

    A count that arrives as a float because a column has gaps (``248.0``)
    is printed ``248``; the missing cells stay missing.

    Examples
    --------
    >>> df = pd.DataFrame({"used": [248.0, None], "estimate": [0.5, 1.0]})
    >>> whole_number_columns(df).dtypes.astype(str).tolist()
    ['Int64', 'float64']
    """
    out = df.copy()
    for column in out.columns:
        values = out[column]
        if not pd.api.types.is_float_dtype(values):
            continue
        finite = values[np.isfinite(values)]
        if finite.empty or len(finite) != values.notna().sum():
            continue
        if (finite == finite.round()).all() and (finite.abs() < 2**53).all():
            out[column] = values.round().astype("Int64")
    return out


def tiny_per_unit(estimate: float, digits: int = 3) -> bool:
    r"""Whether a log rate-ratio coefficient is nonzero but its ratio prints as 1.000.

    The rule: :math:`\beta \ne 0` and :math:`e^{\beta}` rounded to ``digits``
    decimals is exactly 1 (:math:`|\beta| \lesssim 5\times10^{-4}` for three
    decimals). One unit of such an indicator is too small a change to read:
    it should be rescaled (thousands, millions, a share, per million people).

    Examples
    --------
    >>> tiny_per_unit(1.2e-06), tiny_per_unit(0.02), tiny_per_unit(0.0)
    (True, False, False)
    """
    b = float(estimate)
    if not math.isfinite(b) or b == 0:
        return False
    return f"{math.exp(b):.{digits}f}" == f"{1:.{digits}f}"

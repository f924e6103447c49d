"""Columns of the data on a fit's estimation sample, kept so that results pickle.

A :class:`~massincidents.results.Result` recomputes its variance under another
choice of the menu (:meth:`~massincidents.results.Result.with_vcov`) and the
wild bootstrap clusters by any column of the data. Both need the columns of
the data on the rows the fit used. :class:`SampleColumns` holds a reference to
the data (no copy while the result lives in memory) and, when the result is
pickled (``pickle``, joblib, Dask process workers), only the rows of the
estimation sample: the unpickled result clusters by any column exactly as the
original, without carrying the rows the fit left out.

:class:`LazyValue` is a value computed on first use (a picklable stand-in for
a closure), computed before pickling so that what travels holds no reference
to the data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd


class SampleColumns:
    """The columns of ``frame`` on the rows ``used`` (a boolean mask), by name.

    Parameters
    ----------
    frame
        The data the fit read (not copied).
    used
        Boolean mask of the rows of ``frame`` in the estimation sample.

    Examples
    --------
    >>> import pickle
    >>> import numpy as np, pandas as pd
    >>> sample = SampleColumns(pd.DataFrame({"g": [1, 2, 3]}), np.array([True, False, True]))
    >>> sample("g").tolist(), pickle.loads(pickle.dumps(sample))("g").tolist()
    ([1, 3], [1, 3])
    """

    def __init__(self, frame: pd.DataFrame, used: np.ndarray) -> None:
        self._frame = frame
        self._used = np.asarray(used, dtype=bool)

    @property
    def rows(self) -> pd.DataFrame:
        """The rows of the estimation sample (all columns)."""
        if self._used.all():
            return self._frame
        return self._frame.iloc[np.flatnonzero(self._used)]

    def for_spec(self, spec: Any) -> dict[str, np.ndarray]:
        """The cluster or time columns a parsed variance choice needs, on the sample."""
        from massincidents.inference.vcov import vcov_columns

        return vcov_columns(spec, self._frame, self._used)

    def __call__(self, name: str) -> np.ndarray:
        """Column ``name`` on the estimation sample (missing values refused)."""
        from massincidents.inference.vcov import parse_vcov

        return self.for_spec(parse_vcov({"CRV1": name}))[name]

    def __len__(self) -> int:
        return int(self._used.sum())

    def __getstate__(self) -> dict[str, Any]:
        rows = self.rows
        return {"_frame": rows, "_used": np.ones(len(rows), dtype=bool)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


class LazyValue:
    """``compute(*args)`` evaluated on the first call and remembered.

    Pickling evaluates it first and keeps only the value, so the arguments (which
    may reference the data) do not travel.
    """

    def __init__(self, compute: Callable[..., Any], *args: Any) -> None:
        self._compute: Callable[..., Any] | None = compute
        self._args: tuple[Any, ...] = args
        self._value: Any = None

    def __call__(self) -> Any:
        if self._compute is not None:
            self._value = self._compute(*self._args)
            self._compute, self._args = None, ()
        return self._value

    def __getstate__(self) -> dict[str, Any]:
        return {"_compute": None, "_args": (), "_value": self()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

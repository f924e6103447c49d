r"""fixest's ``i()`` operator: the dummies of a factor, or the factor interacted with a variable.

Inside a formula (``"y ~ i(rel, ref=-1) + x | unit + year"``):

- ``i(var)``: one dummy per level of ``var``. Like ``C(var)``, when the model
  has an intercept or absorbed fixed effects the first level is left out (it
  is the reference); otherwise every level is coded.
- ``i(var, ref=r)``: the dummies of every level but ``r`` (``ref`` may be a
  list, ``ref=[-1, -5]``, as fixest's ``ref = c(-1, -5)``). Only the levels
  named are left out, with or without intercept or fixed effects.
- ``i(var, x)``, ``i(var, x, ref=r)``: each dummy of ``var`` multiplied by the
  numeric column ``x`` (fixest's ``i(factor_var, var, ref)``; the event-study
  ``i(rel_time, treated, ref=-1)`` with ``treated`` 0/1). Every level is
  coded unless ``ref`` is given.

.. math::

    \texttt{i(var, x, ref=r)}:\quad
    d_{l}(i) = \mathbb{1}[\mathrm{var}_i = l]\, x_i, \qquad l \in \text{levels} \setminus r

Columns are named as fixest and pyfixest name them, so tables of our fits and
of theirs align: ``rel::-1``, ``rel::3:x``. Levels are ordered numerically
when they are numbers (``-3, -2, 0, 1``; also when stored as text such as
``"-3"``), in category order for a pandas ``Categorical``, else as sorted
text.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from formulaic.materializers.types import FactorValues

__all__ = ["i", "ordered_levels"]

_DATA, _VAR2 = "__data__", "__var2__"


def ordered_levels(values: pd.Series) -> list[Any]:
    """The distinct non-missing values of ``values``, in numeric order when they are numbers.

    Examples
    --------
    >>> ordered_levels(pd.Series([1, -3, 0, -2, 1]))
    [-3, -2, 0, 1]
    >>> ordered_levels(pd.Series(["10", "-1", "2"]))
    ['-1', '2', '10']
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        present = set(values.dropna().unique())
        return [level for level in values.cat.categories if level in present]
    unique = pd.unique(values.dropna())
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        return [level.item() if hasattr(level, "item") else level for level in np.sort(unique)]
    as_numbers = pd.to_numeric(pd.Series(unique, dtype=object), errors="coerce")
    if len(unique) and as_numbers.notna().all():
        order = np.argsort(as_numbers.to_numpy(dtype=float), kind="stable")
        return [unique[j] for j in order]
    return sorted(unique, key=str)


def _name(values: Any, default: str) -> str:
    if isinstance(values, FactorValues):
        values = values.__wrapped__
    if isinstance(values, pd.Series) and values.name is not None:
        return str(values.name)
    return default


def _show(value: Any) -> str:
    """A level as a reader would write it: ``-1``, ``'east'``."""
    if hasattr(value, "item"):
        value = value.item()
    return repr(value) if isinstance(value, str) else str(value)


def _as_refs(ref: Hashable | Sequence[Hashable] | None) -> list[Any]:
    if ref is None:
        return []
    if isinstance(ref, (list, tuple, set, np.ndarray, pd.Series)):
        return list(ref)
    return [ref]


def _same(a: Any, b: Any) -> bool:
    """Level equality that treats ``-1`` and ``-1.0`` (and ``"-1"`` text) as one level."""
    if a == b:
        return True
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return False


def i(
    var: Any,
    var2: Any = None,
    ref: Hashable | Sequence[Hashable] | None = None,
) -> FactorValues:
    """fixest's ``i(factor_var, var, ref)``, for use inside a formula.

    Parameters
    ----------
    var
        The factor (any column: its distinct values are the levels).
    var2
        Optional numeric column multiplying each dummy.
    ref
        The level(s) to leave out; each must occur in ``var``.

    Returns
    -------
    formulaic.materializers.types.FactorValues
        Encoded when the model matrix is built (so the reference follows the
        model's intercept, as for ``C()``).
    """
    factor_name = _name(var, "var")
    var2_name = _name(var2, "var2") if var2 is not None else None
    refs = _as_refs(ref)

    def encoder(
        values: Any,
        reduced_rank: bool,
        drop_rows: Sequence[int],
        encoder_state: dict[str, Any],
        model_spec: Any,
    ) -> FactorValues:
        unwrapped = values.__wrapped__ if isinstance(values, FactorValues) else values
        data = pd.Series(unwrapped[_DATA] if var2_name is not None else unwrapped)
        data = data.reset_index(drop=True).drop(index=list(drop_rows))
        if "levels" not in encoder_state:
            encoder_state["levels"] = ordered_levels(data)
        levels: list[Any] = encoder_state["levels"]
        unknown = [r for r in refs if not any(_same(r, level) for level in levels)]
        if unknown:
            shown = ", ".join(map(_show, levels[:20])) + (", ..." if len(levels) > 20 else "")
            raise ValueError(
                f"i({factor_name}): ref {', '.join(map(_show, unknown))} is not a level of "
                f"{factor_name} (levels: {shown})"
            )
        if refs:
            kept = [lv for lv in levels if not any(_same(r, lv) for r in refs)]
        elif reduced_rank and var2_name is None:
            kept = levels[1:]
        else:
            kept = list(levels)
        codes = pd.Categorical(data, categories=levels).codes
        if (codes < 0).any():
            new = pd.unique(data[codes < 0].dropna())
            raise ValueError(
                f"i({factor_name}): {', '.join(map(_show, new[:5]))} not among the levels of "
                f"{factor_name} the model was fitted on (a factor has no derivative: leave "
                f"{factor_name} out of marginal effects)"
            )
        positions = [levels.index(lv) for lv in kept]
        dummies = (codes[:, None] == np.asarray(positions, dtype=int)[None, :]).astype(float)
        if var2_name is None:
            names = [f"{factor_name}::{lv}" for lv in kept]
            frame = pd.DataFrame(dummies, columns=names, index=data.index)
            return FactorValues(
                frame,
                kind="categorical",
                spans_intercept=not refs and not reduced_rank,
                column_names=tuple(names),
                format="{field}",
            )
        other = pd.Series(unwrapped[_VAR2]).reset_index(drop=True).drop(index=list(drop_rows))
        if not pd.api.types.is_numeric_dtype(other.dtype) or pd.api.types.is_bool_dtype(other):
            raise ValueError(
                f"i({factor_name}, {var2_name}): {var2_name} must be numeric (0/1 or "
                f"continuous), got {other.dtype}; for a factor-by-factor interaction "
                f"write C({factor_name}):C({var2_name})"
            )
        names = [f"{factor_name}::{lv}:{var2_name}" for lv in kept]
        frame = pd.DataFrame(
            dummies * other.to_numpy(dtype=float)[:, None], columns=names, index=data.index
        )
        return FactorValues(
            frame,
            kind="numerical",
            spans_intercept=False,
            column_names=tuple(names),
            format="{field}",
        )

    # with var2, both go to the materializer so that missing values of either are found
    wrapped = {_DATA: var, _VAR2: var2} if var2 is not None else var
    return FactorValues(
        wrapped,
        kind="categorical",
        spans_intercept=var2 is None and not refs,
        encoder=encoder,
    )

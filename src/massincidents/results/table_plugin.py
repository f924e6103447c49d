"""Results in ``maketables`` tables, side by side with pyfixest and statsmodels models.

:class:`~massincidents.results.Result` implements maketables' plug-in hooks
(``__maketables_coef_table__``, ``__maketables_stat__``,
``__maketables_depvar__``, ``__maketables_fixef_string__``, ...). maketables
0.2 consults its registered extractors *before* the plug-in hooks, and its
statsmodels extractor takes any object with ``params``, ``bse`` and
``pvalues`` (so it would take a Result and lose the fixed-effect rows and the
statistics). :func:`register` therefore puts an extractor that reads the hooks
at the front of maketables' registry. It runs when massincidents is imported
after maketables, when a Result is created while maketables is imported, and
in :func:`massincidents.etable`; call it yourself if you import maketables
after fitting your models.

Examples
--------
>>> import maketables
>>> import massincidents as mi
>>> from massincidents.results.table_plugin import register
>>> register()
>>> fit = mi.linear("y_linear ~ x1 | province", mi.datasets.simulate_panel(seed=1))
>>> maketables.ETable([fit]).df.loc["fe"].index.tolist()
['province']
"""

from __future__ import annotations

import sys
from typing import Any


def _extractor_class() -> type:
    from maketables.extractors import PluginExtractor

    class MassincidentsExtractor(PluginExtractor):  # type: ignore[misc]
        """maketables' plug-in extractor, for massincidents results only."""

        def can_handle(self, model: Any) -> bool:
            # massincidents.results.Result and its subclasses (by module: no import cycle)
            return any(
                klass.__module__ == "massincidents.results.result"
                for klass in type(model).__mro__
            )

        def supported_stats(self, model: Any) -> set[str]:
            keys = {"N", "se_type", "ll", "llnull", "pseudo_r2", "rmse", "events"}
            keys |= set(model.stats)
            return {k for k in keys if model.__maketables_stat__(k) is not None}

    return MassincidentsExtractor


def register() -> None:
    """Put the massincidents extractor first in maketables' registry (once)."""
    from maketables import extractors

    registry = extractors._EXTRACTOR_REGISTRY
    if any(type(ex).__name__ == "MassincidentsExtractor" for ex in registry):
        return
    registry.insert(0, _extractor_class()())


def register_if_loaded() -> None:
    """:func:`register` when maketables is already imported (no import otherwise)."""
    if "maketables.extractors" in sys.modules:
        register()

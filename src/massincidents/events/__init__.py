r"""Event tables to zero-filled province-period counts.

An event table has one row per incident (a strike, a protest, a petition) with
at least a province and a date. :func:`events_to_panel` counts events per
province and period and fills every province-period without an event with an
explicit zero, so that

.. math::

    y_{it} = \sum_{e} \mathbf{1}\{\text{prov}(e) = i,\ \text{date}(e) \in t\},

for all 31 mainland provinces :math:`i` and every period :math:`t` in the
window. The aggregation runs in DuckDB, which streams CSV and Parquet files
from disk, so files larger than memory are counted out of core; an in-memory
DataFrame goes through the same query.

Nothing is dropped silently: events with an unknown province, an unparseable
date, a place outside the mainland (Hong Kong, Macao, Taiwan) or a date
outside the requested window are counted by reason in
``result.attrs["accounting"]`` and announced with a :class:`DataQualityWarning`;
rows that cannot be counted as they stand (a date that reads two ways, a
likely mistyped year, a category named like an output column) raise a
:class:`DataError` naming them.

Modules: :mod:`~massincidents.events.sources` (a DataFrame, a file, a list of
files or a glob), :mod:`~massincidents.events.dates` (the China Standard Time
rule, text formats, the window), :mod:`~massincidents.events.query` (the
DuckDB queries), :mod:`~massincidents.events.checks` (arguments and rows that
cannot be counted) and :mod:`~massincidents.events.panel` (the zero-filled
panel and its accounting).
"""

from massincidents.events.dates import CHINA_TIME_ZONE, EARLIEST_YEAR
from massincidents.events.panel import events_to_panel

__all__ = ["CHINA_TIME_ZONE", "EARLIEST_YEAR", "events_to_panel"]

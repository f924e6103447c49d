r"""Fit every specification of a multiverse, serially, with joblib, or on Dask.

Each specification :math:`s` is a count model

.. math::

    \log \mu_{it} = \sum_c \beta^{(s)}_c\, x^{(s)}_{c,it} + \alpha_i + \gamma_t + \log P_{it},

with the indicator :math:`x^{(s)}_c` chosen for each cause or measure :math:`c`,
the family (Poisson PML or NB2), the fixed effects (:math:`\alpha_i`,
:math:`\gamma_t`, both or neither), the exposure :math:`P` (or none) and the
sample window of :math:`s`. The estimate of interest for cause :math:`c` is
:math:`\hat\beta^{(s)}_c`, a log rate ratio.

The fits are independent and deterministic, so the table does not depend on
how they are distributed: serial, :class:`joblib.Parallel` and a Dask cluster
give the same numbers (the tests check exact equality), sorted by
specification number.
"""

from __future__ import annotations

import keyword
import math
import sys
import threading
import time as _time
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from massincidents.core.design import as_frame
from massincidents.errors import DataError, Problem
from massincidents.inference.vcov import VcovChoice
from massincidents.multiverse.choices import Choices, Specification, enumerate_specifications
from massincidents.multiverse.curve import TABLE_COLUMNS, SpecificationCurve
from massincidents.registry import get_model

# Warnings are caught with warnings.catch_warnings, which changes process-wide
# state: fits that share a process (threaded workers) take turns.
_FIT_LOCK = threading.Lock()


def _family(name: str) -> Callable[..., Any]:
    """The fitting function of a model family, from :mod:`massincidents.registry`."""
    return get_model(name).load()


def _check_name(name: object, what: str) -> list[Problem]:
    if not isinstance(name, str) or not name:
        return [Problem(f"{what} must be a column name, got {name!r}")]
    if not name.isidentifier() or keyword.iskeyword(name):
        return [
            Problem(
                f"{what} {name!r} is not a plain name (letters, digits, underscores, not "
                "starting with a digit); rename the column, since a formula would otherwise "
                "evaluate it as an expression",
                column=name,
            )
        ]
    return []


def check_columns(
    frame: pd.DataFrame, choices: Choices, *, outcome: str, unit: str, time: str
) -> None:
    """Every column the multiverse needs exists and is a plain name.

    Raises
    ------
    DataError
        Listing every missing or unusable column, with close names.
    """
    import difflib

    wanted = {"outcome": outcome, "unit": unit, "time": time}
    for name in choices.columns:
        wanted.setdefault(f"column {name}", name)
    problems: list[Problem] = []
    available = [str(c) for c in frame.columns]
    for what, name in wanted.items():
        found = _check_name(name, what)
        if not found and name not in frame.columns:
            close = difflib.get_close_matches(str(name), available, n=3, cutoff=0.5)
            hint = f"; close column names: {', '.join(close)}" if close else ""
            found = [Problem(f"{what}: column not found in the data{hint}", column=name)]
        problems += found
    roles = {outcome, unit, time}
    clash = [c for c in choices.columns if c in roles]
    problems += [
        Problem("an indicator or exposure cannot be the outcome, unit or time column", column=c)
        for c in clash
    ]
    if time in frame.columns and not problems:
        for window in choices.axes[3]:
            try:
                _window_mask(frame[time], window)
            except TypeError:
                problems.append(
                    Problem(
                        f"window {list(window or ())!r} cannot be compared with the time column "
                        f"(dtype {frame[time].dtype})",
                        column=time,
                    )
                )
    if problems:
        raise DataError(problems)


def _window_mask(values: pd.Series, window: tuple[Any, Any] | None) -> np.ndarray:
    if window is None:
        return np.ones(len(values), dtype=bool)
    start, end = window
    keep = values.notna().to_numpy(copy=True)  # a view is read-only under copy-on-write
    if start is not None:
        keep &= (values >= start).fillna(False).to_numpy(dtype=bool)
    if end is not None:
        keep &= (values <= end).fillna(False).to_numpy(dtype=bool)
    return keep


def _left_out_text(left_out: dict[str, int]) -> str:
    return "; ".join(f"{v} {k}" for k, v in left_out.items() if v)


def fit_specification(
    frame: pd.DataFrame,
    spec: Specification,
    *,
    outcome: str,
    unit: str,
    time: str,
    vcov: object,
    level: float = 0.95,
    standardize: bool = False,
) -> list[dict[str, Any]]:
    r"""Fit one specification and return one table row per cause or measure.

    The model is :math:`\log\mu_{it} = \sum_c \beta_c x_{c,it} + \text{fixed effects}
    + \log P_{it}` with the indicators, family, fixed effects, exposure
    :math:`P` and window of ``spec``. This is the task each worker runs.

    A failing fit (a :class:`~massincidents.errors.DataError`, a
    :class:`~massincidents.core.demean.ConvergenceError`, any ``Exception``) is
    recorded in the rows' ``error`` with ``converged=False``, never raised.
    Warnings raised during the fit are recorded in ``warnings``.

    Parameters
    ----------
    frame
        The data, columns as named in ``spec`` (index levels already moved
        to columns).
    spec
        The specification.
    outcome, unit, time
        Column names of the count, the unit and the time period.
    vcov
        A choice from the variance menu, the same for every specification.
        No default here; :func:`specification_curve` passes its default
        ``{"CRV1": unit}``.
    level
        Confidence level of ``conf_low`` and ``conf_high``.
    standardize
        Divide each indicator by its standard deviation over the rows of the
        window where it is observed, so that the estimate is the change in the
        log rate per standard deviation (``scale`` is ``"per SD"``, and
        ``indicator_sd`` holds the divisor). Alternative indicators of one
        cause are usually in different units; standardised, their estimates
        can be compared by size. The fit is otherwise identical: the
        estimate, interval and standard error are those of the unscaled fit
        times ``indicator_sd``, and p-values do not change.

    Returns
    -------
    list of dict
        Keys as :data:`~massincidents.multiverse.curve.TABLE_COLUMNS`.

    Examples
    --------
    >>> import massincidents as mi
    >>> from massincidents.multiverse import Choices, enumerate_specifications
    >>> df = mi.datasets.simulate_panel(seed=1)
    >>> spec = enumerate_specifications(Choices({"social": ["x1"]}, windows=[[1990, 1995]]))[0]
    >>> rows = fit_specification(df, spec, outcome="y", unit="province", time="year",
    ...                          vcov={"CRV1": "province"})
    >>> rows[0]["status"], rows[0]["rows_outside_window"]
    ('failed', 620)
    >>> print(rows[0]["error"])
    DataError: 1 problem found in the input data:
      - column 'year': no rows in the window
    """
    keep = _window_mask(frame[time], spec.window)
    data = frame.loc[keep] if not keep.all() else frame
    formula = spec.formula(outcome, unit, time)
    sds: dict[str, float] = {}
    if standardize:
        data = data.copy()
        for _, column in spec.indicators:
            values = pd.to_numeric(data[column], errors="coerce")
            sd = float(values.std(ddof=1)) if values.notna().sum() > 1 else math.nan
            sds[column] = sd
            if math.isfinite(sd) and sd > 0:
                data[column] = values / sd
    base = {
        "spec_number": spec.number,
        "spec_id": spec.id,
        "family": spec.family,
        "fixed_effects": spec.fe_label,
        "exposure": spec.exposure_label,
        "window": spec.window_label,
        "formula": formula,
        "rows_outside_window": int((~keep).sum()),
    }
    result = None
    error = ""
    with _FIT_LOCK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if len(data) == 0:
                raise DataError([Problem("no rows in the window", column=time)])
            options: dict[str, Any] = {"vcov": vcov}
            if get_model(spec.family).exposure or spec.exposure is not None:
                options["exposure"] = spec.exposure
            result = _family(spec.family)(formula, data, **options)
        except Exception as exc:  # a failing specification is recorded, not raised
            error = f"{type(exc).__name__}: {exc}"
    warned = "; ".join(dict.fromkeys(str(w.message) for w in caught))
    rows = []
    for term, column in spec.indicators:
        row: dict[str, Any] = {
            **base,
            "term": term,
            "indicator": column,
            "scale": "per SD" if standardize else "per unit",
            "indicator_sd": sds.get(column, math.nan),
            "estimate": math.nan,
            "std_error": math.nan,
            "statistic": math.nan,
            "p_value": math.nan,
            "conf_low": math.nan,
            "conf_high": math.nan,
            "nobs": 0,
            "rows_left_out": 0,
            "left_out_reasons": "",
            "converged": result is not None,
            "status": "ok",
            "error": error,
            "warnings": warned,
        }
        if result is None:
            row["status"] = "failed"
        else:
            row["nobs"] = int(result.nobs)
            row["vcov"] = result.vcov_label
            row["rows_left_out"] = int(sum(result.left_out.values()))
            row["left_out_reasons"] = _left_out_text(result.left_out)
            if column in result.params.index:
                tidy = result.tidy(level).set_index("term").loc[column]
                for key in ("estimate", "std_error", "statistic", "p_value"):
                    row[key] = float(tidy[key])
                row["conf_low"] = float(tidy["conf_low"])
                row["conf_high"] = float(tidy["conf_high"])
            else:
                row["status"] = "dropped"
                reason = result.dropped.get(column, "not estimated")
                row["error"] = f"{column} dropped from the model ({reason})"
        row.setdefault("vcov", "")
        rows.append(row)
    return rows


def _client(scheduler: object) -> tuple[Any, bool]:
    """A distributed.Client for ``scheduler`` and whether we opened it."""
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "running on a Dask cluster needs dask.distributed: pip install 'dask[distributed]'"
        ) from exc
    if isinstance(scheduler, Client):
        return scheduler, False
    if isinstance(scheduler, str):
        return Client(scheduler), True
    raise TypeError(
        "scheduler must be a Dask scheduler address ('tcp://host:8786') or a "
        f"distributed.Client, got {type(scheduler).__name__}"
    )


class _Progress:
    """Progress of the fits: lines on standard error, or a callback ``(done, total)``."""

    def __init__(self, total: int, enabled: bool | Callable[[int, int], None]) -> None:
        self.total, self.enabled, self.done = total, enabled, 0
        self.started = _time.perf_counter()
        self.step = max(1, total // 20)

    def update(self, n: int = 1) -> None:
        if not self.enabled:
            return
        self.done += n
        if callable(self.enabled):
            self.enabled(self.done, self.total)
            return
        if self.done % self.step == 0 or self.done == self.total:
            elapsed = _time.perf_counter() - self.started
            print(
                f"multiverse: {self.done}/{self.total} specifications fitted ({elapsed:.1f} s)",
                file=sys.stderr,
                flush=True,
            )


def _run_serial(
    frame: pd.DataFrame, specs: list[Specification], progress: _Progress, **kw: Any
) -> Iterable[list[dict[str, Any]]]:
    for spec in specs:
        rows = fit_specification(frame, spec, **kw)
        progress.update()
        yield rows


def _run_joblib(
    frame: pd.DataFrame,
    specs: list[Specification],
    progress: _Progress,
    n_jobs: int,
    **kw: Any,
) -> Iterable[list[dict[str, Any]]]:
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    for rows in parallel(delayed(fit_specification)(frame, spec, **kw) for spec in specs):
        progress.update()
        yield rows


def _run_dask(
    frame: pd.DataFrame,
    specs: list[Specification],
    progress: _Progress,
    scheduler: object,
    **kw: Any,
) -> Iterable[list[dict[str, Any]]]:
    from distributed import as_completed

    client, opened = _client(scheduler)
    try:
        # hash=False gives the data a fresh key in every run. With content-hashed keys a
        # later run on the same data got the same key, and releasing the earlier run's
        # future deleted what the later run needed ("lost dependencies").
        [data] = client.scatter([frame], broadcast=True, hash=False)
        futures = client.map(fit_specification, [data] * len(specs), specs, pure=False, **kw)
        for future in as_completed(futures):
            rows = future.result()
            progress.update()
            yield rows
    finally:
        if opened:
            client.close()


def specification_curve(
    data: pd.DataFrame,
    spec: object | None = None,
    *,
    outcome: str | None = None,
    unit: str | None = None,
    time: str | None = None,
    choices: Choices | dict[str, Any] | None = None,
    vcov: VcovChoice | None = None,
    level: float = 0.95,
    n_jobs: int = 1,
    scheduler: object | None = None,
    progress: bool | Callable[[int, int], None] = False,
    standardize: bool | None = None,
) -> SpecificationCurve:
    r"""Fit every specification of a multiverse and collect the specification curve.

    For each specification :math:`s` (see
    :func:`~massincidents.multiverse.enumerate_specifications`) the count model

    .. math::

        \log \mu_{it} = \sum_c \beta^{(s)}_c\, x^{(s)}_{c,it}
            + \alpha_i + \gamma_t + \log P_{it}

    is fitted with :func:`massincidents.poisson` or :func:`massincidents.negbin`,
    with the fixed effects, exposure and window of :math:`s`, and for each
    cause or measure :math:`c` the estimate :math:`\hat\beta^{(s)}_c` of its
    chosen indicator is kept with its standard error, confidence interval,
    p-value and row accounting (Simonsohn, Simmons and Nelson 2020).

    Parameters
    ----------
    data
        The panel (a DataFrame; index levels such as ``province`` and
        ``year`` from :func:`massincidents.read_panel` are usable as columns).
    spec
        An analysis specification: ``spec.outcome_column``, ``spec.unit``,
        ``spec.time`` and ``spec.multiverse`` (a dict as
        :meth:`Choices.from_dict` takes, or a :class:`Choices`) are read from
        it. Give either ``spec`` or the keywords below, not both. A
        :class:`massincidents.spec.Spec` (from a YAML file) also prepares the
        data first with :func:`massincidents.spec.prepare_data` (its mapping,
        checks, outcome window and transforms), and its ``vcov`` is the
        default variance.
    outcome, unit, time
        Columns of the count outcome, the unit and the time period.
    choices
        The alternatives (a :class:`Choices` or a dict for
        :meth:`Choices.from_dict`).
    vcov
        A choice of the variance menu, the same for every specification so
        that their intervals are comparable. Default ``{"CRV1": unit}``
        (clustered by unit, whatever the fixed effects).
    level
        Confidence level of the intervals.
    n_jobs
        Parallel jobs on this machine with :class:`joblib.Parallel` (``-1``:
        all cores); ``1`` fits in this process. Ignored when ``scheduler`` is
        given.
    scheduler
        A Dask scheduler address (``"tcp://10.0.0.5:8786"``) or a
        :class:`distributed.Client`: fit on that cluster. A client given is
        left open; one opened from an address is closed at the end.
    progress
        Report progress on standard error, or call ``progress(done, total)``
        after each fitted specification (e.g. to drive a progress bar).
    standardize
        Estimates per standard deviation of each indicator in the
        specification's window (see :func:`fit_specification`), so that
        alternative indicators of a cause are comparable by size. Default:
        ``choices.standardize`` (the ``standardize`` entry of the
        multiverse section, ``False`` if absent).

    Returns
    -------
    SpecificationCurve
        ``.table`` has one row per specification and cause, sorted by
        specification number and cause order whatever the order in which
        workers finished.

    Raises
    ------
    DataError
        When a column named in the choices is missing or not a plain name
        (the formula is built from names only; user text is never evaluated).
    ChoicesError
        When the choices are invalid.

    Notes
    -----
    A specification that fails (no convergence, a non-positive exposure,
    no rows in its window) is recorded with ``converged=False`` and its error
    message, and counted in :meth:`SpecificationCurve.summary`; the run goes
    on. Fits that share a process run one at a time (warnings are captured
    per fit), so give Dask workers one thread each and parallelise with
    processes.

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(seed=1)
    >>> curve = mi.specification_curve(
    ...     df, outcome="y", unit="province", time="year",
    ...     choices={"indicators": {"social": ["x1"], "legal": ["x2"]},
    ...              "fixed_effects": [["unit", "time"], []],
    ...              "exposure": ["population"]})
    >>> print(curve.table[["spec_number", "term", "fixed_effects"]].to_string(index=False))
     spec_number   term fixed_effects
               0 social     unit+time
               0  legal     unit+time
               1 social          none
               1  legal          none
    >>> round(float(curve.table["estimate"].iloc[0]), 2)
    0.3
    """
    if spec is not None:
        given = {"outcome": outcome, "unit": unit, "time": time, "choices": choices}
        both = [k for k, v in given.items() if v is not None]
        if both:
            raise TypeError(f"give spec or the keywords, not both: {', '.join(both)} also given")
        outcome = spec.outcome_column  # type: ignore[attr-defined]
        unit = spec.unit  # type: ignore[attr-defined]
        time = spec.time  # type: ignore[attr-defined]
        choices = spec.multiverse  # type: ignore[attr-defined]
        if choices is None:
            raise TypeError("the specification has no multiverse section")
        from massincidents.spec import Spec, prepare_data

        if isinstance(spec, Spec):
            # The spec's mapping, checks and transforms make the columns its
            # multiverse names (derived indicators such as log_gdppc), and its
            # outcome window bounds every window of the multiverse.
            data = prepare_data(data, spec).frame
            if vcov is None:
                vcov = spec.vcov
    missing = [k for k, v in {"outcome": outcome, "unit": unit, "time": time}.items() if v is None]
    if missing:
        raise TypeError(f"specification_curve needs {', '.join(missing)} (or a spec)")
    if choices is None:
        raise TypeError("specification_curve needs choices (or a spec with a multiverse section)")
    if not isinstance(choices, Choices):
        choices = Choices.from_dict(choices)
    if standardize is None:
        standardize = choices.standardize
    assert outcome is not None and unit is not None and time is not None
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    frame = as_frame(data).copy(deep=False)
    # Fits do not need the attrs, and workers must be able to unpickle the frame
    # (some attrs, such as a simulation's read-only truth, cannot be).
    frame.attrs = {}
    check_columns(frame, choices, outcome=outcome, unit=unit, time=time)
    if vcov is None:
        vcov = {"CRV1": unit}
    specs = enumerate_specifications(choices)
    kw = {
        "outcome": outcome,
        "unit": unit,
        "time": time,
        "vcov": vcov,
        "level": level,
        "standardize": standardize,
    }
    tracker = _Progress(len(specs), progress)
    started = _time.perf_counter()
    if scheduler is not None:
        batches = _run_dask(frame, specs, tracker, scheduler, **kw)
        backend = "dask"
    elif n_jobs == 1:
        batches = _run_serial(frame, specs, tracker, **kw)
        backend = "serial"
    else:
        batches = _run_joblib(frame, specs, tracker, n_jobs, **kw)
        backend = f"joblib (n_jobs={n_jobs})"
    rows = [row for batch in batches for row in batch]
    elapsed = _time.perf_counter() - started
    order = {term: i for i, term in enumerate(choices.terms)}
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    table["_order"] = table["term"].map(order)
    table = (
        table.sort_values(["spec_number", "_order"], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )
    return SpecificationCurve(
        table=table,
        specifications=specs,
        choices=choices,
        outcome=outcome,
        unit=unit,
        time=time,
        level=level,
        backend=backend,
        elapsed=elapsed,
    )

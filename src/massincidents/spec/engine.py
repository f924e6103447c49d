r"""Run a specification: fit every model, write tables, figures, a report and a record.

:func:`rerun` is the engine behind ``massincidents rerun``. For every
specification and family it fits the count model

.. math::

    \mathrm{E}[y_{it} \mid x_{it}] = N_{it}\,\exp(x_{it}'\beta + \alpha_i + \gamma_t)

by Poisson PML (:func:`massincidents.poisson`) or NB2
(:func:`massincidents.negbin`), with the exposure :math:`N_{it}`, fixed
effects and variance of the specification; tests every Poisson coefficient
with the wild cluster (score) bootstrap (:func:`massincidents.wild_bootstrap`);
fits, for each indicator of the six measures, the first specification plus
the indicator and predicts the counterfactual change of expected incidents
when the indicator shifts (:func:`massincidents.counterfactual`); and, when
the specification gives an adoption cohort, estimates the staggered-adoption
effect of Callaway and Sant'Anna (:func:`massincidents.staggered_did`).
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from massincidents.counts.counterfactual import COLUMNS as COUNTERFACTUAL_COLUMNS
from massincidents.counts.counterfactual import counterfactual
from massincidents.registry import get_model, models
from massincidents.spec.core import Spec, _is_file, default_spec, load_spec
from massincidents.spec.data import Prepared, prepare_data, sha256_of
from massincidents.spec.errors import NothingEstimatedError
from massincidents.spec.software import software_versions

__all__ = ["RerunResult", "rerun"]

Progress = Callable[[str, int, int], None]


@dataclass
class FitRecord:
    """One fitted model (or its failure).

    Attributes
    ----------
    spec_name, family
        Which specification and family.
    formula
        The formula fitted.
    result
        The :class:`~massincidents.results.Result`, or ``None`` if the fit failed.
    error
        Why it failed (``None`` if it did not).
    warnings
        Warnings raised while fitting (separation, collinearity, ...).
    """

    spec_name: str
    family: str
    formula: str
    result: Any = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """Column heading: the specification, with the family when not Poisson."""
        heading = get_model(self.family).heading
        return f"{self.spec_name}, {heading}" if heading else self.spec_name


@dataclass
class RerunResult:
    """Everything a rerun produced.

    Attributes
    ----------
    spec
        The specification run.
    prepared
        The data as analysed, with the row accounting
        (:class:`~massincidents.spec.data.Prepared`).
    fits
        One :class:`FitRecord` per specification and family, in order.
    coefficients
        One row per fitted model and term: ``model``, ``family``, ``term``,
        ``estimate``, ``std_error``, ``p_value``, ``conf_low``, ``conf_high``,
        ``irr``, ``boot_p``, ``boot_low``, ``boot_high`` (log scale).
    rows
        Rows used and left out (by reason), per model.
    measures
        One row per measure and indicator: IRR with its interval and the
        counterfactual change (empty when no measure has a column).
    measure_fits
        Measure indicator -> the :class:`FitRecord` of its model (the first
        specification plus that indicator).
    did
        ``{"simple": AggregateResult, "dynamic": AggregateResult, ...}`` or ``None``.
    notes
        Things the reader of the report must know (failures, omissions).
    files
        Every file written, relative to the output folder.
    record
        The contents of ``run.json``.

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(31, 6, seed=2)
    >>> spec = {"version": 1, "data": {"unit": "province", "time": "year"},
    ...         "outcome": {"count": "y", "exposure": "population"},
    ...         "causes": {"social": ["x1"], "solving": [], "legal": [], "system": ["x2"]},
    ...         "measures": {m: [] for m in mi.spec.MEASURES}, "models": ["poisson"]}
    >>> result = rerun(df, spec)
    >>> [f.label for f in result.fits], result.fit("All causes").nobs
    (['All causes'], 186)
    >>> result.record["seed"] is None, result.files
    (True, [])
    """

    spec: Spec
    prepared: Prepared
    fits: list[FitRecord]
    coefficients: pd.DataFrame
    rows: pd.DataFrame
    measures: pd.DataFrame
    measure_fits: dict[str, FitRecord]
    did: dict[str, Any] | None
    notes: list[str]
    files: list[str]
    record: dict[str, Any]

    def fit(self, spec_name: str, family: str = "poisson") -> Any:
        """The fitted result of one specification and family."""
        for f in self.fits:
            if f.spec_name == spec_name and f.family == family:
                if f.result is None:
                    raise LookupError(f"{spec_name} ({family}) failed: {f.error}")
                return f.result
        raise KeyError(f"no fit {spec_name!r} ({family})")


def _version() -> str:
    from massincidents import __version__

    return str(__version__)  # the lazy package's __getattr__ is typed object


def _fit(
    spec: Spec, frame: pd.DataFrame, name: str, family: str, terms: tuple[str, ...]
) -> FitRecord:
    formula = spec.formula(terms)
    record = FitRecord(name, family, formula)
    columns = list(
        dict.fromkeys(
            [spec.unit, spec.time, spec.count, *terms, *spec.fixed_effects]
            + ([spec.exposure] if spec.exposure else [])
            + list(spec.cluster_columns)
        )
    )
    data = frame[columns]
    entry = get_model(family)
    options: dict[str, Any] = {"vcov": spec.vcov}
    if entry.exposure or spec.exposure is not None:
        options["exposure"] = spec.exposure
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            record.result = entry.load()(formula, data, **options)
        except Exception as err:  # a failed fit is reported, not hidden, and the run goes on
            record.error = f"{type(err).__name__}: {err}"
    record.warnings = [f"{type(w.message).__name__}: {w.message}" for w in caught]
    return record


def _coef_rows(rec: FitRecord, spec: Spec) -> pd.DataFrame:
    res = rec.result
    tidy = res.tidy(spec.level_ci)
    tidy.insert(0, "family", rec.family)
    tidy.insert(0, "model", rec.label)
    tidy["irr"] = np.exp(tidy["estimate"])
    return tidy


def _bootstrap(rec: FitRecord, spec: Spec, terms: list[str] | None = None) -> pd.DataFrame:
    """The wild bootstrap of each coefficient (of ``terms``) as table rows."""
    out = []
    for term in terms or list(rec.result.params.index):
        try:
            b = _wild(rec, spec, term)
        except Exception as err:  # reported in the table, never hidden
            out.append(
                {
                    "model": rec.label,
                    "term": term,
                    "boot_p": np.nan,
                    "boot_low": np.nan,
                    "boot_high": np.nan,
                    "boot_reps": 0,
                    "boot_method": f"failed: {type(err).__name__}: {err}",
                }
            )
            continue
        if b is None:  # the model has no wild bootstrap
            break
        lo, hi = b.conf_int if b.conf_int is not None else (np.nan, np.nan)
        out.append(
            {
                "model": rec.label,
                "term": term,
                "boot_p": b.pvalue,
                "boot_low": lo,
                "boot_high": hi,
                "boot_reps": b.reps,
                "boot_method": b.method,
            }
        )
    return pd.DataFrame(out)


#: column of the coefficient table holding each ``multiple_testing`` method's p-values
ADJUSTED_COLUMN = {
    "romano_wolf": "p_rw",
    "holm": "p_holm",
    "bh": "p_bh",
    "bonferroni": "p_bonferroni",
}


def _adjusted_pvalues(
    coefficients: pd.DataFrame, fits: list[FitRecord], spec: Spec, notes: list[str]
) -> pd.DataFrame:
    """The ``multiple_testing`` column: every coefficient of every model as one family."""
    from massincidents.inference.multiple_testing import adjust_pvalues, romano_wolf

    options = spec.multiple_testing
    assert options is not None
    method, column = options["method"], ADJUSTED_COLUMN[options["method"]]
    out = coefficients.copy()
    if method != "romano_wolf":
        out[column] = adjust_pvalues(out["p_value"], method).to_numpy()
        notes.append(
            f"{column}: {method} adjustment of the p-values of all {len(out)} coefficients of "
            "all models, as one family."
        )
        return out
    family = {
        rec.label: rec.result
        for rec in fits
        if rec.result is not None and get_model(rec.family).wild_bootstrap
    }
    left_out = [rec.label for rec in fits if rec.result is not None and rec.label not in family]
    if left_out:
        notes.append(
            f"{column}: {', '.join(left_out)} have no wild (score) bootstrap and are not in the "
            "Romano-Wolf family; their p_rw is empty."
        )
    out[column] = np.nan
    if not family:
        return out
    try:
        rw = romano_wolf(
            family,
            {label: list(res.params.index) for label, res in family.items()},
            cluster=spec.bootstrap_cluster,
            reps=options["reps"],
            weights=options["weights"],
            seed=options["seed"],
        )
    except Exception as err:  # reported, never hidden: the rest of the run goes on
        notes.append(f"{column}: Romano-Wolf p-values failed: {type(err).__name__}: {err}")
        return out
    adjusted = rw.table.set_index(["model", "term"])["p_rw"]
    keys = pd.MultiIndex.from_frame(out[["model", "term"]])
    out[column] = adjusted.reindex(keys).to_numpy()
    draws = f"all {rw.reps} sign vectors" if rw.enumerated else f"{rw.reps} {rw.weights} draws"
    notes.append(
        f"{column}: Romano-Wolf step-down over {len(rw.table)} coefficients of "
        f"{len(family)} model{'s' if len(family) > 1 else ''}, one joint score bootstrap by "
        f"{rw.cluster} ({draws}, seed "
        f"{options['seed']}, null imposed)."
    )
    return out


def _tiny_effect_notes(coefficients: pd.DataFrame) -> list[str]:
    """A note per indicator whose incidence-rate ratio per unit prints as 1.000 (badly scaled)."""
    from massincidents.report.numbers import format_number, tiny_per_unit

    notes = []
    for row in coefficients.itertuples(index=False):
        if tiny_per_unit(row.estimate):
            notes.append(
                f"{row.model}: the coefficient of {row.term} is {format_number(row.estimate, 3)} "
                f"per unit, so its incidence-rate ratio per unit prints as 1.000: one unit of "
                f"{row.term} is tiny. Rescale {row.term} (transforms: scale, per_million or "
                "share) so that a unit is a change worth reading."
            )
    return notes


def _rows_table(prepared: Prepared, fits: list[FitRecord]) -> pd.DataFrame:
    acc = prepared.accounting
    n = acc["rows_in_window"]
    rows = []
    for rec in fits:
        if rec.result is None:
            rows.append(
                {
                    "model": rec.label,
                    "rows_in_window": n,
                    "used": 0,
                    "left_out": n,
                    "reasons": f"fit failed: {rec.error}",
                }
            )
            continue
        left = rec.result.rows["left_out"]
        rows.append(
            {
                "model": rec.label,
                "rows_in_window": n,
                "used": int(rec.result.nobs),
                "left_out": int(sum(left.values())),
                "reasons": "; ".join(f"{v} {k}" for k, v in left.items()) or "none",
            }
        )
    return pd.DataFrame(rows, columns=["model", "rows_in_window", "used", "left_out", "reasons"])


def within_sd(frame: pd.DataFrame, column: str, fixed_effects: tuple[str, ...]) -> float:
    r"""Standard deviation of ``column`` net of the fixed effects (within-unit variation).

    The residual :math:`\tilde x` of a least-squares fit of :math:`x` on the
    fixed-effect dummies and a constant, with
    :math:`s = \sqrt{\tilde x'\tilde x / (n - r)}`, :math:`r` the rank of the
    dummies as the models count it
    (:func:`~massincidents.core.demean.fe_degrees_of_freedom`: the levels of the
    first two effects less the number of connected components, and each further
    effect its levels less one).

    Parameters
    ----------
    frame
        The rows to use (the model's estimation sample).
    column
        The indicator.
    fixed_effects
        Fixed-effect columns (none: the plain standard deviation).

    Returns
    -------
    float

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"u": [1, 1, 2, 2], "t": [1, 2, 1, 2], "x": [0.0, 2.0, 1.0, 5.0]})
    >>> round(within_sd(df, "x", ("u", "t")), 12)  # residuals +-0.5, 4 - 3 = 1 df
    1.0
    """
    from massincidents.core.demean import demean, fe_degrees_of_freedom

    x = frame[column].to_numpy(dtype=float)
    n = len(x)
    if not fixed_effects:
        return float(np.std(x, ddof=1))
    codes = [pd.factorize(frame[c])[0] for c in fixed_effects]
    resid = demean(x, codes)
    rank = fe_degrees_of_freedom(codes)
    return float(np.sqrt(resid @ resid / (n - rank)))


def _shift_value(spec: Spec, measure: str, column: str, fit: Any, frame: pd.DataFrame) -> float:
    shift = spec.shifts.get(measure, {}).get(column, 1.0)
    if isinstance(shift, dict):
        rows = frame.loc[fit.extra["index"]] if "index" in fit.extra else frame
        sd = within_sd(rows, column, spec.fixed_effects)
        return float(shift["within_sd"]) * float(f"{sd:.2g}")
    return float(shift)


# The counterfactual's own columns, after its term and shift.
_CF_KEYS = tuple(COUNTERFACTUAL_COLUMNS[2:])


def _measures(
    spec: Spec, frame: pd.DataFrame, notes: list[str], boot: bool
) -> tuple[pd.DataFrame, dict[str, FitRecord]]:
    """One Poisson model per measure indicator: the first specification plus the indicator."""
    base = spec.specifications[0]
    rows: list[dict[str, Any]] = []
    fits: dict[str, FitRecord] = {}
    for name in spec.group_names[4:]:
        for col in spec.measures[name]:
            terms = tuple(dict.fromkeys([*base.terms, col]))
            rec = _fit(spec, frame, f"{name}: {col}", "poisson", terms)
            fits[col] = rec
            row: dict[str, Any] = {"measure": name, "indicator": col}
            if rec.result is None:
                notes.append(f"The model for measure {name} ({col}) failed: {rec.error}")
                rows.append({**row, "note": f"fit failed: {rec.error}"})
                continue
            res = rec.result
            row["used"] = int(res.nobs)
            if col not in res.params.index:
                rows.append({**row, "note": res.dropped.get(col, "dropped from the model")})
                continue
            ci = res.conf_int(spec.level_ci)
            b, lo, hi = res.params[col], ci.loc[col, "lower"], ci.loc[col, "upper"]
            shift = _shift_value(spec, name, col, res, frame)
            row.update(
                {
                    "shift": shift,
                    "estimate": b,
                    "irr": np.exp(b),
                    "irr_low": np.exp(lo),
                    "irr_high": np.exp(hi),
                    "p_value": res.pvalues[col],
                }
            )
            boot_result = None
            if boot:
                boot_result = _wild(rec, spec, col)
                if boot_result is not None:
                    blo, bhi = (
                        boot_result.conf_int if boot_result.conf_int is not None else (np.nan,) * 2
                    )
                    row.update(
                        {
                            "boot_p": boot_result.pvalue,
                            "boot_irr_low": np.exp(blo),
                            "boot_irr_high": np.exp(bhi),
                        }
                    )
            try:
                first = counterfactual(res, {col: shift}, level=spec.level_ci).iloc[0]
                row.update({key: first[key] for key in _CF_KEYS})
                if boot_result is not None:
                    cb = counterfactual(
                        res, {col: shift}, level=spec.level_ci, bootstrap=boot_result
                    ).iloc[0]
                    row.update(
                        {
                            "boot_change_low": cb["change_low"],
                            "boot_change_high": cb["change_high"],
                            "boot_percent_low": cb["percent_low"],
                            "boot_percent_high": cb["percent_high"],
                        }
                    )
            except Exception as err:  # reported, not hidden
                row["note"] = f"counterfactual failed: {type(err).__name__}: {err}"
            rows.append(row)
    return pd.DataFrame(rows), fits


def _wild(rec: FitRecord, spec: Spec, term: str) -> Any:
    """The wild bootstrap of one coefficient, or None when the model has none."""
    from massincidents.inference.bootstrap import wild_bootstrap

    assert spec.bootstrap is not None
    try:
        return wild_bootstrap(
            rec.result,
            term,
            cluster=spec.bootstrap_cluster,
            reps=spec.bootstrap["reps"],
            weights=spec.bootstrap["weights"],
            seed=spec.bootstrap["seed"],
            level=spec.level_ci,
        )
    except NotImplementedError:
        return None


def _did(spec: Spec, frame: pd.DataFrame, notes: list[str]) -> dict[str, Any] | None:
    if spec.timing is None:
        return None
    from massincidents.did.callaway_santanna import staggered_did

    t = spec.timing
    data = frame[list(dict.fromkeys([spec.unit, spec.time, t["outcome"], t["cohort"]]))].copy()
    data[t["cohort"]] = pd.to_numeric(data[t["cohort"]], errors="coerce").fillna(0)
    before = len(data)
    data = data[data[t["outcome"]].notna()]
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = staggered_did(
                data,
                outcome=t["outcome"],
                unit=spec.unit,
                time=spec.time,
                cohort=t["cohort"],
                control_group=t["control_group"],
                method=t["method"],
                bootstrap=spec.bootstrap is not None,
                reps=spec.bootstrap["reps"] if spec.bootstrap else 999,
                seed=spec.seed,
                alpha=1 - spec.level_ci,
            )
            out = {
                "result": res,
                "simple": res.aggregate("simple"),
                "dynamic": res.aggregate("dynamic"),
                "group": res.aggregate("group"),
                "left_out_missing_outcome": before - len(data),
                "warnings": [str(w.message) for w in caught],
            }
    except Exception as err:
        notes.append(f"The staggered-adoption design failed: {type(err).__name__}: {err}")
        return {"error": f"{type(err).__name__}: {err}"}
    if t.get("honest"):
        out["honest"] = _honest(spec, data, t, notes)
    return out


def _honest(spec: Spec, data: pd.DataFrame, t: dict[str, Any], notes: list[str]) -> Any:
    """Rambachan-Roth sensitivity of the event study (``timing.honest``), or None with a note.

    It needs pre-periods measured from one base period, so the ATT(g,t) are estimated
    again with ``base_period="universal"`` (the design's own estimates keep theirs).
    """
    from massincidents.did.callaway_santanna import staggered_did
    from massincidents.did.honest import honest_did

    h = t["honest"]
    try:
        universal = staggered_did(
            data,
            outcome=t["outcome"],
            unit=spec.unit,
            time=spec.time,
            cohort=t["cohort"],
            control_group=t["control_group"],
            method=t["method"],
            base_period="universal",
            bootstrap=False,
            alpha=1 - spec.level_ci,
        )
        result = honest_did(
            universal.aggregate("dynamic"),
            method=h["method"],
            mbar=h.get("mbar"),
            m=h.get("m"),
            target=h.get("target", 0),
            window=tuple(h["window"]) if h.get("window") else None,
            alpha=1 - spec.level_ci,
        )
    except Exception as err:  # reported, not hidden
        notes.append(f"The HonestDiD sensitivity analysis failed: {type(err).__name__}: {err}")
        return None
    notes.append(
        f"HonestDiD ({h['method']}): breakdown value {result.parameter} = "
        f"{result.breakdown:.4g} (universal base period, event time {h.get('target', 0)})"
    )
    return result


def _spec_checksum(spec_source: object, spec: Spec) -> dict[str, Any]:
    is_path = isinstance(spec_source, os.PathLike) or (
        isinstance(spec_source, str) and "\n" not in spec_source and _is_file(spec_source)
    )
    if is_path and Path(spec_source).is_file():  # type: ignore[arg-type]
        return {"path": str(spec_source), "sha256": sha256_of(spec_source)}
    text = json.dumps(spec.to_dict(), sort_keys=True, ensure_ascii=False)
    origin = "default" if spec_source is None else spec.source
    return {"path": origin, "sha256_of_normal_form": hashlib.sha256(text.encode()).hexdigest()}


def rerun(
    data: str | os.PathLike[str] | pd.DataFrame,
    spec: object = None,
    out_dir: str | os.PathLike[str] | None = None,
    *,
    mapping: dict[str, str] | None = None,
    sheet: str | int | None = None,
    reader: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    report: bool = True,
) -> RerunResult:
    """Fit every model of a specification on a data file and write the results.

    Parameters
    ----------
    data
        A panel file (anything :func:`massincidents.read_panel` reads) or a DataFrame.
    spec
        A specification (path, YAML text, dict or :class:`Spec`); default:
        :func:`default_spec`, the book's analysis.
    out_dir
        Folder to write to (created if needed, replaced as a whole by the new
        run); ``None`` writes nothing.
    mapping
        More column renames ``{old: new}`` (they win over the spec's ``mapping``).
    sheet
        Excel sheet of ``data``.
    reader
        More options of :func:`massincidents.read_panel` for province data
        (``layout``, ``province``, ``year``, ``encoding``, ``value_name``,
        ``text``); see :func:`massincidents.spec.prepare_data`.
    progress
        Called as ``progress(description, completed, total)`` as steps finish.
    report
        Also write ``report.html``.

    Returns
    -------
    RerunResult

    Raises
    ------
    SpecError
        A bad specification, or columns it names that the data lack.
    DataError
        Bad data (with file, row and column).
    NothingEstimatedError
        No model could be estimated (every fit failed; the reason of each is
        listed). Nothing is written.
    OutputFolderError
        ``out_dir`` cannot be used (raised before anything is fitted) or the
        outputs could not be written; the folder is then left as it was.

    Notes
    -----
    The outputs are written all at once (:mod:`massincidents.report.publish`):
    into a staging folder beside ``out_dir`` that replaces ``out_dir``, with
    ``run.json`` written last, so that ``out_dir`` holds either the previous
    complete run or the new complete one, even when the run is killed. An
    existing ``out_dir`` must be empty or the complete output of an earlier
    rerun; symbolic links inside it are refused. A second run into the same
    folder while one is running is refused.

    ``out_dir`` receives ``tables/`` (``coefficients``, ``models`` (etable),
    ``bootstrap``, ``rows``, ``measures``, ``did_*``; each as ``.csv``,
    ``.tex`` and ``.md``), ``figures/`` (``coefficients``, ``measures``,
    ``did_dynamic``; each ``.png`` and ``.svg``), ``report.html`` and
    ``run.json`` (package version, SHA-256 of the inputs, the specification
    in normal form, the seed, software versions, rows used).

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(n_provinces=31, n_years=8, seed=3)
    >>> spec = '''
    ... version: 1
    ... data: {unit: province, time: year}
    ... outcome: {count: y, exposure: population}
    ... causes: {social: [x1], solving: [], legal: [], system: [x2]}
    ... measures: {rule_of_law: [], government_functions: [], system_construction: [],
    ...            cadre_quality: [], responsibility_system: [], livelihood: []}
    ... models: [poisson]
    ... '''
    >>> res = rerun(df, spec)
    >>> res.fit("All causes").formula
    'y ~ x1 + x2 | province + year'
    >>> res.rows[["used", "left_out"]].iloc[0].tolist()
    [248, 0]
    """
    spec_source = spec
    the_spec = default_spec() if spec is None else load_spec(spec)
    the_spec = the_spec.with_mapping(mapping)
    options: dict[str, Any] = {**(reader or {}), "sheet": sheet}
    if out_dir is None:
        return _run(data, the_spec, spec_source, None, options, progress, report)
    from massincidents.report.publish import OutputFolder

    # The folder is checked and locked before anything is fitted; the outputs go to a
    # staging folder beside it that replaces it, complete, in one step at the end.
    with OutputFolder(out_dir, command="rerun") as folder:
        return _run(data, the_spec, spec_source, folder, options, progress, report)


def _estimated_nothing(result: RerunResult) -> bool:
    """Whether no model of the run has an estimate."""
    fits = [*result.fits, *result.measure_fits.values()]
    did_ok = result.did is not None and "error" not in result.did
    return not did_ok and all(f.result is None for f in fits)


class _Steps:
    """Progress of a run: ``progress(description, done, total)`` as steps finish."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.total, self.done = progress, total, 0

    def show(self, description: str) -> None:
        """Say what is being done now (the count unchanged)."""
        if self.progress is not None:
            self.progress(description, self.done, self.total)

    def step(self, description: str) -> None:
        """One more step done."""
        self.done += 1
        self.show(description)


def _fit_models(
    the_spec: Spec, frame: pd.DataFrame, notes: list[str], steps: _Steps
) -> tuple[list[FitRecord], pd.DataFrame]:
    """Every specification and family: the fits and their coefficient table (with bootstrap)."""
    fits: list[FitRecord] = []
    coef_parts: list[pd.DataFrame] = []
    boot_parts: list[pd.DataFrame] = []
    for s in the_spec.specifications:
        for family in s.families:
            steps.show(f"fitting {s.name} ({family})")
            rec = _fit(the_spec, frame, s.name, family, s.terms)
            fits.append(rec)
            if rec.result is None:
                notes.append(f"{rec.label} failed: {rec.error}")
            else:
                coef_parts.append(_coef_rows(rec, the_spec))
                if the_spec.bootstrap is not None and get_model(family).wild_bootstrap:
                    steps.show(f"wild bootstrap, {s.name}")
                    boot_parts.append(_bootstrap(rec, the_spec))
            steps.step(f"fitted {rec.label}")
    coefficients = pd.concat(coef_parts, ignore_index=True) if coef_parts else pd.DataFrame()
    boot_cols = ["model", "term", "boot_p", "boot_low", "boot_high", "boot_reps", "boot_method"]
    boots = (
        pd.concat(boot_parts, ignore_index=True) if boot_parts else pd.DataFrame(columns=boot_cols)
    )
    if not coefficients.empty:
        coefficients = coefficients.merge(boots, on=["model", "term"], how="left")
        notes += _tiny_effect_notes(coefficients)
        if the_spec.multiple_testing is not None:
            steps.show("adjusted p-values")
            coefficients = _adjusted_pvalues(coefficients, fits, the_spec, notes)
    no_bootstrap = [
        get_model(f).description or f
        for f in dict.fromkeys(f.family for f in fits)
        if not get_model(f).wild_bootstrap
    ]
    if the_spec.bootstrap is not None and no_bootstrap:
        covered = [get_model(f).description or f for f in models() if get_model(f).wild_bootstrap]
        notes.append(
            f"The {' and '.join(no_bootstrap)} models have no wild bootstrap: the package's "
            f"score bootstrap covers the {' and '.join(covered) or 'no'} model only."
        )
    return fits, coefficients


def _run_record(
    the_spec: Spec,
    spec_source: object,
    prepared: Prepared,
    rows: pd.DataFrame,
    notes: list[str],
) -> dict[str, Any]:
    """The contents of ``run.json``: version, input checksums, spec, seed, rows, software."""
    return {
        "massincidents_version": _version(),
        "command": "rerun",
        "inputs": {
            "data": {"path": prepared.source, "sha256": prepared.sha256},
            "spec": _spec_checksum(spec_source, the_spec),
        },
        "seed": the_spec.seed,
        "spec": the_spec.to_dict(),
        "rows": {
            **{k: v for k, v in prepared.accounting.items() if k != "warnings"},
            "models": rows.to_dict(orient="records"),
        },
        "software": software_versions(),
        "notes": list(notes),
    }


def _run(
    data: str | os.PathLike[str] | pd.DataFrame,
    the_spec: Spec,
    spec_source: object,
    folder: Any,
    reader: dict[str, Any],
    progress: Progress | None,
    report: bool,
) -> RerunResult:
    notes: list[str] = []
    n_fits = sum(len(s.families) for s in the_spec.specifications)
    n_measures = sum(len(the_spec.measures[m]) for m in the_spec.group_names[4:])
    total = 1 + n_fits + n_measures + (1 if the_spec.timing else 0) + (1 if folder else 0)
    steps = _Steps(progress, total)

    steps.show("reading the data")
    options = dict(reader)
    prepared = prepare_data(data, the_spec, sheet=options.pop("sheet", None), reader=options)
    steps.step("data read")
    frame = prepared.frame
    for column in prepared.accounting.get("replaced_by_transform", []):
        notes.append(
            f"The data have a column {column!r}; the transform of the same name replaced it."
        )
    fits, coefficients = _fit_models(the_spec, frame, notes, steps)
    if n_measures:
        steps.show("measures and counterfactuals")
    measures, measure_fits = _measures(the_spec, frame, notes, the_spec.bootstrap is not None)
    for _ in range(n_measures):
        steps.step("measures")
    did = None
    if the_spec.timing:
        steps.show("staggered adoption (Callaway-Sant'Anna)")
        did = _did(the_spec, frame, notes)
        steps.step("staggered adoption")
    rows = _rows_table(prepared, fits)
    record = _run_record(the_spec, spec_source, prepared, rows, notes)
    result = RerunResult(
        spec=the_spec,
        prepared=prepared,
        fits=fits,
        coefficients=coefficients,
        rows=rows,
        measures=measures,
        measure_fits=measure_fits,
        did=did,
        notes=notes,
        files=[],
        record=record,
    )
    if _estimated_nothing(result):
        raise NothingEstimatedError(
            [(f.label, str(f.error)) for f in fits]
            + [(f"measure {rec.spec_name}", str(rec.error)) for rec in measure_fits.values()]
            + ([("staggered adoption", str(did["error"]))] if did else [])
        )
    if folder is not None:
        steps.show("writing tables, figures and the report")
        from massincidents.report.write import write_outputs

        try:
            result.files = write_outputs(result, folder.staging, html_report=report)
        except OSError as err:
            raise folder.fail_to_write(err) from None
        record["files"] = list(result.files)
        folder.commit(record, default=_json_default)
        result.files.append("run.json")
        steps.step("written")
    return result


def _json_default(value: object) -> object:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return str(value)

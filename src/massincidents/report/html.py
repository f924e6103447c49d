"""A self-contained HTML report of a rerun, mirroring chapters 3, 4 and 6 of the book.

One file: the style sheet is inline, figures are embedded as base64 PNG,
there is no script and no external URL. Every piece of text that comes from
the user (column names, specification names, file names, messages) is
escaped with :func:`html.escape`; the page is built from a plain string
template.
"""

from __future__ import annotations

import html
import json
from string import Template
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from massincidents.report.numbers import format_number, tiny_per_unit, whole_number_columns
from massincidents.report.summaries import did_tables, indicator_table
from massincidents.report.tables import to_html as _table_html

if TYPE_CHECKING:  # pragma: no cover
    from massincidents.spec.engine import RerunResult

__all__ = ["render_report"]

_CSS = """
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; max-width: 62rem;
       margin: 2rem auto; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: .2rem; margin-top: 2.2rem; }
h3 { font-size: 1.05rem; margin-top: 1.4rem; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .85rem;
        display: block; max-width: 100%; overflow-x: auto; }
th, td { padding: .25rem .6rem; border-bottom: 1px solid #e3e3e3; text-align: left;
         vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
thead th { border-bottom: 2px solid #888; }
caption { caption-side: top; text-align: left; font-weight: bold; padding-bottom: .3rem; }
table.etable td { text-align: center; } table.etable td:first-child { text-align: left; }
.meta { color: #555; font-size: .9rem; } .note { color: #444; font-size: .88rem; }
.warn { background: #fff6e0; border-left: 4px solid #e0a000; padding: .4rem .8rem; }
figure { margin: 1rem 0; } figure img { max-width: 100%; }
figcaption { font-size: .88rem; color: #444; }
pre { background: #f6f6f6; padding: .8rem; overflow-x: auto; font-size: .8rem; }
code { background: #f3f3f3; padding: 0 .2rem; }
nav ol { columns: 2; }
"""

_PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>$css</style>
</head>
<body>
<header>
<h1>$title</h1>
<p class="meta">Written by <code>massincidents rerun</code> (massincidents $version).
Data: <code>$data_path</code>, SHA-256 <code>$data_sha</code>.
Specification: <code>$spec_path</code>.
Seed: $seed.</p>
</header>
<nav><ol>
<li><a href="#data">Data</a></li>
<li><a href="#causes">Causes (book chapter 3)</a></li>
<li><a href="#timing">Prevention and policy timing (chapter 4)</a></li>
<li><a href="#measures">Measures (chapter 6)</a></li>
<li><a href="#notes">Notes and limits</a></li>
<li><a href="#record">Reproduce this run</a></li>
</ol></nav>
$notes_box
<section id="data">
<h2>1. Data</h2>
$data
</section>
<section id="causes">
<h2>2. Causes: the four groups of hypotheses</h2>
$causes
</section>
<section id="timing">
<h2>3. Prevention and policy timing</h2>
$timing
</section>
<section id="measures">
<h2>4. The six measures as estimated effects</h2>
$measures
</section>
<section id="notes">
<h2>5. Notes and limits</h2>
$notes
</section>
<section id="record">
<h2>6. Reproduce this run</h2>
$record
</section>
</body>
</html>
""")


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _figure(embedded: dict[str, str], key: str, alt: str, caption: str) -> str:
    if key not in embedded:
        return ""
    return (
        f'<figure><img alt="{_e(alt)}" src="data:image/png;base64,{embedded[key]}">'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def _to_html(df: pd.DataFrame, **options: Any) -> str:
    """An HTML table with whole-number columns (counts, periods) printed as integers."""
    return _table_html(whole_number_columns(df), **options)


def _fmt(x: object, digits: int = 3) -> str:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    if np.isnan(v):
        return ""
    if np.isinf(v):
        return "∞" if v > 0 else "0"
    return format_number(v, digits + 1)


def _data_section(result: RerunResult) -> str:
    spec, acc = result.spec, result.prepared.accounting
    lines = [
        ("rows in the source", acc.get("rows_in_source")),
        *[
            (f"removed by the reader: {k}", v)
            for k, v in (acc.get("removed_by_reader") or {}).items()
        ],
        (f"{spec.level}-periods read", acc.get("panel_rows")),
        (
            f"outside the window {spec.window[0]}-{spec.window[1]}"
            if spec.window
            else "outside the window",
            acc.get("outside_window"),
        ),
        ("rows analysed (in the window)", acc.get("rows_in_window")),
    ]
    for col, n in (acc.get("undefined_by_transform") or {}).items():
        lines.append(
            (f"undefined values of {col} (log of a non-positive number or division by zero)", n)
        )
    table = pd.DataFrame(lines, columns=["", "rows"])
    parts = [
        "<p>The data were read with their unit column "
        f"<code>{_e(spec.unit)}</code> ({_e(spec.level)} level) and time column "
        f"<code>{_e(spec.time)}</code>; the outcome is <code>{_e(spec.count)}</code>"
        + (
            f" with <code>{_e(spec.exposure)}</code> as exposure"
            if spec.exposure
            else ", without exposure"
        )
        + ". Nothing is dropped silently: the table below counts every row left out before the "
        "models, "
        "and the table of section 2 every row each model left out, by reason.</p>",
        _to_html(table, caption="Rows read and analysed"),
    ]
    if acc.get("encoding"):
        parts.append(f'<p class="note">Text encoding of the file: {_e(acc["encoding"])}.</p>')
    if spec.mapping:
        mapping = pd.DataFrame(
            list(spec.mapping.items()), columns=["column in the file", "renamed to"]
        )
        parts.append(_to_html(mapping, caption="Columns renamed"))
    warns = acc.get("warnings") or []
    if warns:
        parts.append(
            "<p>Warnings while reading:</p><ul>"
            + "".join(f"<li>{_e(w)}</li>" for w in warns)
            + "</ul>"
        )
    return "\n".join(parts)


def _causes_section(result: RerunResult, embedded: dict[str, str]) -> str:
    from massincidents.results.tables import etable

    spec = result.spec
    ind = indicator_table(result)
    parts = [
        "<p>Each group of causes is restated as a hypothesis about units: other things equal, "
        "a unit-period in which the cause is stronger sees more incidents. For unit <i>i</i> in "
        "period <i>t</i> with count <i>y</i><sub>it</sub> and exposure <i>N</i><sub>it</sub> the "
        "models are "
        "E[<i>y</i><sub>it</sub> | <i>x</i><sub>it</sub>] = <i>N</i><sub>it</sub> "
        "exp(<i>x</i>′<sub>it</sub>β + α<sub>i</sub> + γ<sub>t</sub>), fitted by Poisson "
        "pseudo-maximum likelihood and, where listed, negative binomial (NB2). exp(β) is an "
        "incidence-rate ratio (IRR). Fixed effects: "
        + (_e(", ".join(spec.fixed_effects)) if spec.fixed_effects else "none")
        + f"; variance: {_e(_vcov_text(spec.vcov))}.</p>",
        _to_html(
            ind[ind["kind"] == "cause"].drop(columns="kind"),
            caption="The four groups of causes and the columns that stand for them",
        ),
    ]
    ok = [f for f in result.fits if f.result is not None]
    if ok:
        parts.append(
            str(
                etable(
                    [f.result for f in ok],
                    format="html",
                    model_names=[f.label for f in ok],
                    caption="Count models: coefficients (log IRRs), standard errors in parentheses",
                )
            )
        )
    parts.append(_to_html(result.rows, caption="Rows used and left out, per model"))
    coefs = result.coefficients
    if not coefs.empty:
        show = pd.DataFrame(
            {
                "model": coefs["model"],
                "term": coefs["term"],
                "β (log IRR)": coefs["estimate"],
                "IRR": np.exp(coefs["estimate"]),
                "CI (clustered)": [
                    f"[{_fmt(np.exp(a))}, {_fmt(np.exp(b))}]"
                    for a, b in zip(coefs["conf_low"], coefs["conf_high"], strict=True)
                ],
                "p": coefs["p_value"],
            }
        )
        if "boot_p" in coefs.columns and coefs["boot_p"].notna().any():
            show["CI (wild bootstrap)"] = [
                f"[{_fmt(np.exp(a))}, {_fmt(np.exp(b))}]" if pd.notna(p) else ""
                for a, b, p in zip(
                    coefs["boot_low"], coefs["boot_high"], coefs["boot_p"], strict=True
                )
            ]
            show["bootstrap p"] = coefs["boot_p"]
        for column, label in (("p_rw", "Romano-Wolf p"), ("p_holm", "Holm p"),
                              ("p_bh", "BH p"), ("p_bonferroni", "Bonferroni p")):
            if column in coefs.columns:
                show[label] = coefs[column]
        tiny = [tiny_per_unit(b) for b in coefs["estimate"]]
        if any(tiny):
            show["note"] = [
                f"per unit of {t} is tiny: rescale {t}" if flag else ""
                for t, flag in zip(coefs["term"], tiny, strict=True)
            ]
        level = f"{spec.level_ci:.0%}"
        boot_text = ""
        if spec.bootstrap is not None:
            boot_text = (
                f" Wild cluster (score) bootstrap by {_e(spec.bootstrap_cluster)}: "
                f"{spec.bootstrap['reps']} {_e(spec.bootstrap['weights'])} draws, seed "
                f"{spec.bootstrap['seed']}, null imposed, intervals by test inversion."
            )
        parts.append(_to_html(show, caption=f"Incidence-rate ratios with {level} intervals"))
        parts.append(
            f'<p class="note">Clustered: {_e(_vcov_text(spec.vcov))}, normal reference.'
            f"{boot_text}</p>"
        )
        parts.append(
            _figure(
                embedded,
                "coefficients",
                "Coefficient plot of incidence-rate ratios",
                "Incidence-rate ratios per unit of each indicator; thick bars: clustered "
                "intervals; thin bars: wild-bootstrap intervals (Poisson models).",
            )
        )
    return "\n".join(parts)


def _vcov_text(vcov: object) -> str:
    if isinstance(vcov, dict):
        ((kind, value),) = vcov.items()
        if kind == "DK":
            return f"Driscoll-Kraay ({value['lags']} lags)"
        return f"{kind} clustered by {str(value).replace('+', ' and ')}"
    return {"iid": "model-based (iid)", "hetero": "heteroskedasticity-robust"}.get(
        str(vcov), str(vcov)
    )


def _timing_section(result: RerunResult, embedded: dict[str, str]) -> str:

    spec, did = result.spec, result.did
    if spec.timing is None:
        return (
            "<p>No adoption timing was specified (no <code>timing: {cohort: ...}</code> in the "
            "specification), so no staggered difference-in-differences design was estimated. "
            "Give a column with the period in which each unit adopted a policy (empty or 0 for "
            "units that never did) to add one.</p>"
        )
    if did is None or "error" in did:
        error = _e((did or {}).get("error"))
        return f'<p class="warn">The staggered-adoption design failed: {error}</p>'
    t = spec.timing
    tables = did_tables(did)
    res = did["result"]
    controls = (
        "not-yet-treated and never-treated" if t["control_group"] == "notyet" else "never-treated"
    )
    parts = [
        f"<p>Callaway and Sant'Anna (2021) group-time effects ATT(g,t) of adoption (cohort column "
        f"<code>{_e(t['cohort'])}</code>) on <code>{_e(t['outcome'])}</code>, with "
        f"{controls} "
        f"units as controls, {_e(t['method'])} estimator. Units: {res.n_units}; observations: "
        f"{res.nobs}; rows without the outcome left out: {did['left_out_missing_outcome']}.</p>",
        _to_html(tables["did_overall"], caption="Aggregated effects of adoption"),
        _to_html(tables["did_dynamic"], caption="Effects by periods since adoption"),
        _figure(
            embedded,
            "did_dynamic",
            "Event-study plot of the effect of adoption",
            "ATT by periods since adoption; bars: pointwise intervals; band: simultaneous.",
        ),
    ]
    return "\n".join(parts)


def _measures_section(result: RerunResult, embedded: dict[str, str]) -> str:
    spec = result.spec
    base = spec.specifications[0]
    parts = [
        "<p>Each of the thesis's six measures is represented by the columns the specification "
        "lists for it. Each indicator is added, in a model of its own, to the first "
        f"specification (<i>{_e(base.name)}</i>), fitted by Poisson PML; the table gives its IRR "
        "and the counterfactual change of the expected number of incidents in the sample had the "
        "indicator been higher by the stated shift in every unit-period, everything else as "
        "observed. Shifts are in the indicator's units (a shift given as a number of within-unit "
        "standard deviations is converted, net of the fixed effects, on the model's sample, to two "
        "significant digits). Intervals: delta method with the model's variance and, where a "
        "wild bootstrap was run, the bootstrap interval of the coefficient carried through the "
        "same calculation. These are associations within units over time, not causal effects, "
        "unless the indicator is as good as randomly assigned.</p>"
    ]
    empty = [
        (n, spec.missing_reasons.get(n, "no column given"))
        for n in spec.group_names[4:]
        if not spec.measures[n]
    ]
    m = result.measures
    if not m.empty:
        wanted = (
            "measure",
            "indicator",
            "shift",
            "irr",
            "irr_low",
            "irr_high",
            "p_value",
            "boot_p",
            "percent_change",
            "percent_low",
            "percent_high",
            "boot_percent_low",
            "boot_percent_high",
            "change",
            "used",
            "note",
        )
        cols = [c for c in wanted if c in m.columns]
        parts.append(
            _to_html(
                m[cols],
                caption=f"Measures: IRRs and counterfactual changes "
                f"({spec.level_ci:.0%} intervals)",
            )
        )
        parts.append(
            _figure(
                embedded,
                "measures",
                "Counterfactual change of expected incidents",
                "Percent change of expected incidents in the sample under each "
                "measure's shift, with its interval.",
            )
        )
    if empty:
        parts.append(
            "<p>Measures without a column in these data:</p><ul>"
            + "".join(f"<li><b>{_e(n)}</b>: {_e(r)}</li>" for n, r in empty)
            + "</ul>"
        )
    return "\n".join(parts)


def _notes_section(result: RerunResult) -> str:
    items = list(result.notes)
    for f in [*result.fits, *result.measure_fits.values()]:
        items += [f"{f.label}: {w}" for w in f.warnings]
    body = "".join(f"<li>{_e(n)}</li>" for n in items) or "<li>None.</li>"
    return (
        "<p>Every estimate here is an association within units over time, net of what all units "
        "share in a period; counts of recorded incidents also measure reporting. With few clusters "
        "(31 provinces are few), prefer the wild-bootstrap intervals.</p><ul>" + body + "</ul>"
    )


def _record_section(result: RerunResult) -> str:
    record: dict[str, Any] = {k: v for k, v in result.record.items() if k != "rows"}
    text = json.dumps(record, indent=2, ensure_ascii=False, default=str)
    return (
        "<p>The same record is in <code>run.json</code>. Rerun with "
        "<code>massincidents rerun --data FILE --spec SPEC.yaml --out DIR</code>; the same "
        "inputs and seed give the same tables.</p><pre>" + _e(text) + "</pre>"
    )


def render_report(result: RerunResult, embedded: dict[str, str] | None = None) -> str:
    """The report of a rerun as one self-contained HTML page.

    Parameters
    ----------
    result
        A :class:`~massincidents.spec.engine.RerunResult`.
    embedded
        Figure key -> base64 PNG (``coefficients``, ``measures``, ``did_dynamic``).

    Returns
    -------
    str
        The page. It has no script, no external link and no remote resource.

    Examples
    --------
    >>> import massincidents as mi
    >>> from massincidents.spec import rerun
    >>> df = mi.datasets.simulate_panel(n_provinces=31, n_years=6, seed=4)
    >>> spec = {"version": 1, "data": {"unit": "province", "time": "year"},
    ...         "outcome": {"count": "y", "exposure": "population"},
    ...         "causes": {"social": ["x1"], "solving": [], "legal": [], "system": []},
    ...         "measures": {m: [] for m in mi.spec.MEASURES}, "models": ["poisson"]}
    >>> page = render_report(rerun(df, spec))
    >>> page.startswith("<!DOCTYPE html>"), "<script" in page, "http://" in page
    (True, False, False)
    """
    embedded = embedded or {}
    spec = result.spec
    notes_box = ""
    if result.notes:
        notes_box = (
            '<div class="warn"><p><b>Read before using these results:</b></p><ul>'
            + "".join(f"<li>{_e(n)}</li>" for n in result.notes)
            + "</ul></div>"
        )
    inputs = result.record["inputs"]
    return _PAGE.substitute(
        title=_e(spec.title or "massincidents rerun"),
        css=_CSS,
        version=_e(result.record["massincidents_version"]),
        data_path=_e(inputs["data"]["path"]),
        data_sha=_e(inputs["data"]["sha256"]),
        spec_path=_e(inputs["spec"]["path"]),
        seed=_e(spec.seed if spec.seed is not None else "none (no random draws)"),
        notes_box=notes_box,
        data=_data_section(result),
        causes=_causes_section(result, embedded),
        timing=_timing_section(result, embedded),
        measures=_measures_section(result, embedded),
        notes=_notes_section(result),
        record=_record_section(result),
    )

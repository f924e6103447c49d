"""The body of ``massincidents multiverse``: fit the multiverse and write its outputs.

The command line (``cli.py``) parses arguments and the analysis
specification; :func:`run_multiverse_command` does the work on a Spec-like
object, so it is testable without YAML or a shell.
"""

from __future__ import annotations

import functools
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from massincidents.multiverse.curve import SpecificationCurve
from massincidents.multiverse.engine import specification_curve
from massincidents.report.publish import RECORD, OutputFolder
from massincidents.results.markdown import markdown_escape, pipe_table


@dataclass
class MultiverseRun:
    """What :func:`run_multiverse_command` produced.

    Attributes
    ----------
    curve
        The fitted specification curve.
    files
        Written files by role: ``table``, ``choices``, ``summary_csv``,
        ``summary_md``, and ``png: <term>`` / ``svg: <term>`` per cause or
        measure.
    """

    curve: SpecificationCurve
    files: dict[str, Path] = field(default_factory=dict)


def _slug(text: str) -> str:
    return re.sub(r"\W+", "_", text).strip("_") or "term"


def _cell(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.4g}"
    return markdown_escape(value)


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (numbers to 4 significant digits; the package's writer).

    Examples
    --------
    >>> print(markdown_table(pd.DataFrame({"term": ["a"], "median": [0.123456]})))
    | term | median |
    | --- | --- |
    | a | 0.1235 |
    """
    header = [markdown_escape(c) for c in frame.columns]
    rows = [[_cell(v) for v in row] for row in frame.itertuples(False)]
    return pipe_table(header, rows, ["none"] * len(header))


#: Seconds to wait for a Dask scheduler to answer before refusing its address.
SCHEDULER_TIMEOUT = 5.0


def check_parallel(n_jobs: int, scheduler: str | None = None, *, cores: int | None = None) -> None:
    """Refuse parallel options that cannot work, before anything is read or fitted.

    Parameters
    ----------
    n_jobs
        Local jobs: ``1`` to the number of cores, or ``-1`` for all cores.
    scheduler
        A Dask scheduler address ``tcp://host:port`` (or ``tls://``); it must
        answer within :data:`SCHEDULER_TIMEOUT` seconds.
    cores
        The number of cores (default: this machine's).

    Raises
    ------
    ValueError
        Saying what is wrong and what is allowed.

    Examples
    --------
    >>> check_parallel(1)
    >>> check_parallel(0, cores=2)
    Traceback (most recent call last):
    ...
    ValueError: --n-jobs 0: use 1 to 2 (the cores of this machine), or -1 for all of them
    >>> check_parallel(1, "8786")
    Traceback (most recent call last):
    ...
    ValueError: --scheduler '8786' is not a Dask scheduler address; write tcp://host:port
    """
    cores = cores or os.cpu_count() or 1
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or not (
        n_jobs == -1 or 1 <= n_jobs <= cores
    ):
        raise ValueError(
            f"--n-jobs {n_jobs}: use 1 to {cores} (the cores of this machine), "
            "or -1 for all of them"
        )
    if scheduler is None:
        return
    from urllib.parse import urlsplit

    parts = urlsplit(scheduler) if "://" in scheduler else None
    try:
        port = parts.port if parts is not None else None
    except ValueError:
        port = None
    if parts is None or parts.scheme not in ("tcp", "tls") or not parts.hostname or port is None:
        raise ValueError(
            f"--scheduler {scheduler!r} is not a Dask scheduler address; write tcp://host:port"
        )
    import socket

    try:
        with socket.create_connection((parts.hostname, port), timeout=SCHEDULER_TIMEOUT):
            pass
    except OSError as err:
        why = "no answer" if isinstance(err, TimeoutError) else (err.strerror or str(err))
        raise ValueError(
            f"--scheduler {scheduler}: cannot reach the scheduler ({why}); start it with "
            "`dask scheduler` on that machine, or leave --scheduler out to fit here"
        ) from None


def _read(data_path: str | os.PathLike[str] | pd.DataFrame, unit: str, time: str) -> pd.DataFrame:
    if isinstance(data_path, pd.DataFrame):
        return data_path
    from massincidents.io import read_panel

    panel = read_panel(data_path, province=unit, year=time)
    return panel.rename_axis(index={"province": unit, "year": time})


def summary_markdown(curve: SpecificationCurve, alpha: float = 0.05) -> str:
    """The summary of a specification curve as a Markdown document."""
    summary = curve.summary(alpha)
    vcov = sorted({v for v in curve.table["vcov"] if v})
    lines = [
        f"# Specification curve: {curve.outcome}",
        "",
        f"- specifications: {len(curve.specifications)} "
        f"({curve.n_failed} failed to fit; see the `error` column of the table)",
        f"- causes and measures: {', '.join(curve.terms)}",
        f"- variance: {', '.join(vcov) if vcov else 'none estimated'}; "
        f"intervals at {100 * curve.level:g}%, significance at {100 * alpha:g}%",
        f"- fitted with {curve.backend} in {curve.elapsed:.1f} s",
        "",
        markdown_table(summary),
        "",
        "Estimates are log rate ratios of each cause's chosen indicator. Shares are over "
        "the specifications with an estimate; they describe the multiverse and are not a "
        "joint test (the specifications share their data).",
        "",
    ]
    return "\n".join(lines)


def _version() -> str:
    from massincidents import __version__

    return str(__version__)  # the lazy package's __getattr__ is typed object


def _write(curve: SpecificationCurve, out: Path, dpi: int) -> dict[str, str]:
    """Write the table, summary and plots into ``out``; return role -> file name."""
    from massincidents.report.figures import save_figure_as

    files: dict[str, str] = {
        "table": "specifications.csv",
        "choices": "choices.csv",
        "summary_csv": "summary.csv",
        "summary_md": "summary.md",
    }
    curve.to_csv(out / files["table"])
    curve.choice_table().to_csv(out / files["choices"], index=False, encoding="utf-8")
    curve.summary().to_csv(out / files["summary_csv"], index=False, encoding="utf-8")
    (out / files["summary_md"]).write_text(summary_markdown(curve), encoding="utf-8")
    used: set[str] = set()
    for term in curve.terms:
        if not (curve.table.loc[curve.table["term"] == term, "status"] == "ok").any():
            continue  # nothing to plot; the summary says why
        slug = base = _slug(term)
        k = 2
        while slug in used:
            slug, k = f"{base}_{k}", k + 1
        used.add(slug)
        files[f"png: {term}"] = f"curve_{slug}.png"
        files[f"svg: {term}"] = f"curve_{slug}.svg"
        save_figure_as(
            functools.partial(curve.plot, term),
            {out / files[f"png: {term}"]: dpi, out / files[f"svg: {term}"]: None},
            svg_fonttype="none",
        )
    return files


def run_multiverse_command(
    data_path: str | os.PathLike[str] | pd.DataFrame,
    spec: object,
    out_dir: str | os.PathLike[str],
    n_jobs: int = 1,
    scheduler: object | None = None,
    *,
    progress: bool | Callable[[int, int], None] = False,
    dpi: int = 150,
) -> MultiverseRun:
    """Fit the multiverse of ``spec`` on a data file and write the table, summary and plots.

    Parameters
    ----------
    data_path
        A panel file read with :func:`massincidents.read_panel` (its
        province and year columns are ``spec.unit`` and ``spec.time``), or a
        DataFrame.
    spec
        A Spec-like object with ``outcome_column``, ``unit``, ``time`` and
        ``multiverse`` (see :func:`~massincidents.multiverse.specification_curve`).
    out_dir
        Folder for the outputs: new, empty, or the output of an earlier
        multiverse, which is replaced as a whole. It is checked (and locked
        against a concurrent run) before anything is fitted, and written all
        at once, ``run.json`` last (see :mod:`massincidents.report.publish`).
    n_jobs
        Local parallel jobs (joblib).
    scheduler
        A Dask scheduler address or client; overrides ``n_jobs``.
    progress
        Report progress on standard error, or a callback ``(done, total)``.
    dpi
        Resolution of the PNG files.

    Returns
    -------
    MultiverseRun
        The curve and the files written: ``specifications.csv`` (one row per
        specification and cause), ``choices.csv`` (one row per
        specification), ``summary.csv``, ``summary.md``, and
        ``curve_<term>.png`` and ``.svg`` per cause or measure that has an
        estimate, and ``run.json`` (the record, written last).

    Raises
    ------
    OutputFolderError
        ``out_dir`` cannot be used, or the outputs could not be written (the
        folder is then left as it was).

    Examples
    --------
    >>> import tempfile
    >>> from types import SimpleNamespace
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(seed=1)
    >>> spec = SimpleNamespace(outcome_column="y", unit="province", time="year",
    ...                        multiverse={"indicators": {"social": ["x1"]}})
    >>> with tempfile.TemporaryDirectory() as out:
    ...     run = run_multiverse_command(df, spec, out)
    ...     print(*sorted(p.name for p in run.files.values()))
    choices.csv curve_social.png curve_social.svg run.json specifications.csv summary.csv summary.md
    """
    from massincidents.spec import Spec

    unit, time = spec.unit, spec.time  # type: ignore[attr-defined]
    # The folder is checked and locked before anything is fitted; the outputs go to a
    # staging folder beside it that replaces it, complete, in one step at the end.
    with OutputFolder(out_dir, command="multiverse") as folder:
        # A YAML specification reads its data itself (any unit level, its mapping
        # and transforms); a Spec-like object gets a province-year panel.
        data = data_path if isinstance(spec, Spec) else _read(data_path, unit, time)
        curve = specification_curve(
            data, spec, n_jobs=n_jobs, scheduler=scheduler, progress=progress
        )
        try:
            names = _write(curve, folder.staging, dpi)
        except OSError as err:
            raise folder.fail_to_write(err) from None
        record = {
            "massincidents_version": _version(),
            "command": "multiverse",
            "specifications": int(curve.table["spec_number"].nunique()),
            "failed": int(curve.n_failed),
            "backend": str(curve.backend),
            "files": sorted(names.values()),
        }
        folder.commit(record)
    out = Path(out_dir)
    files = {role: out / name for role, name in names.items()}
    files["record"] = out / RECORD
    return MultiverseRun(curve=curve, files=files)

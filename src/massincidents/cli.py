"""The ``massincidents`` command line.

``massincidents reproduce`` rebuilds everything from a clone: the processed
tables in ``data/`` (from the raw files, when present), the analysis steps in
``analysis/``, and the book into ``book/_build/html``.

Exit codes (:data:`EXIT_CODES`): 0 done; 1 bad data; 2 a bad specification
or command-line option; 3 nothing could be estimated (nothing written); 4 the
output folder cannot be used or the outputs could not be written (the folder
is left as it was); 130 interrupted. Every text that comes from the user --
file, column and model names, cells, messages quoting them -- is wrapped by
:func:`user_text` before Rich prints it, so that it is shown as written and
never read as markup.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

app = typer.Typer(
    help=(
        "Models and data for the study of mass incidents in China's provinces.\n\n"
        "Rebuild the data, the analysis and the book with `massincidents reproduce`; "
        "check a file of your own with `massincidents validate FILE`; write a specification "
        "to edit with `massincidents spec init` and run it with `massincidents rerun`."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
datasets_app = typer.Typer(
    help="List, describe and export the bundled datasets.", no_args_is_help=True
)
app.add_typer(datasets_app, name="datasets")
spec_app = typer.Typer(
    help="Analysis specifications: write the default one to edit.", no_args_is_help=True
)
app.add_typer(spec_app, name="spec")

console = Console(stderr=True, soft_wrap=True, emoji=False)
out = Console(soft_wrap=True, emoji=False)

EXIT_DATA = 1
EXIT_USAGE = 2
EXIT_NOTHING_ESTIMATED = 3
EXIT_OUTPUT = 4
EXIT_INTERRUPTED = 130

#: What each exit code of ``rerun``, ``multiverse`` and ``datasets export`` means.
EXIT_CODES = {
    0: "done",
    EXIT_DATA: "the data cannot be used (every problem is listed with file, row and column)",
    EXIT_USAGE: "a bad specification or command-line option",
    EXIT_NOTHING_ESTIMATED: "no model could be estimated; nothing was written",
    EXIT_OUTPUT: (
        "the output folder or file cannot be used, or writing failed; it was left as it was"
    ),
    EXIT_INTERRUPTED: "interrupted; the output folder was left as it was",
}


def user_text(value: object, style: str = "") -> Text:
    """Text from the user (names, cells, paths, messages quoting them), printed as written.

    Rich reads ``[...]`` in strings as markup: a column called ``[/red]``
    would crash the printing, ``[bold]Gotham[/bold]`` would lose its
    brackets and ``[link=...]`` would become a hyperlink. Every user-supplied
    string is wrapped here, once, in a :class:`rich.text.Text`, which Rich
    never parses for markup or emoji codes.

    Examples
    --------
    >>> user_text("[bold magenta]Gotham[/bold magenta]").plain
    '[bold magenta]Gotham[/bold magenta]'
    """
    return Text(str(value), style=style)


def message(*parts: str | Text | tuple[str, str]) -> Text:
    """One line of output from our own words (``str``, ``(words, style)``) and user text."""
    return Text.assemble(*parts)


def _fail(text: Text, code: int) -> typer.Exit:
    """Print an error and return the exit to raise."""
    console.print(text)
    return typer.Exit(code)


def _find_root(start: Path) -> Path:
    """The clone's root: the nearest folder above ``start`` with analysis/ and book/."""
    for folder in (start, *start.parents):
        if (
            (folder / "analysis").is_dir()
            and (folder / "book").is_dir()
            and (folder / "pyproject.toml").exists()
        ):
            return folder
    raise typer.BadParameter(
        f"no massincidents clone found at or above {start} (looked for analysis/ and book/); "
        "run from the repository or pass --root"
    )


def analysis_steps(root: Path) -> list[Path]:
    """The numbered steps of ``analysis/`` in the order they run (``01_*.py``, ``02_*.py``, ...)."""
    return sorted(p for p in (root / "analysis").glob("[0-9][0-9]_*.py"))


def _jupyter_book() -> str:
    """The ``jupyter-book`` script of the running environment."""
    script = Path(sys.executable).parent / "jupyter-book"
    if not script.exists():
        raise typer.BadParameter(
            "jupyter-book is not installed in this environment; install the book extra: "
            "pip install 'massincidents[book]'"
        )
    return str(script)


def _progress_bar() -> Progress:
    """The progress display of every long command: spinner, bar, count and time."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),  # descriptions quote spec names
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _run(cmd: list[str], cwd: Path, log: Path) -> tuple[int, float]:
    started = time.perf_counter()
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(f"\n$ {' '.join(cmd)}\n")
        handle.flush()
        proc = subprocess.run(cmd, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT, check=False)
    return proc.returncode, time.perf_counter() - started


@app.command()
def reproduce(
    root: Annotated[
        Path | None, typer.Option(help="Repository root (default: found from the current folder).")
    ] = None,
    book: Annotated[
        bool, typer.Option("--book/--no-book", help="Build the book after the analysis.")
    ] = True,
) -> None:
    """Build the processed data, run every analysis step, and build the book.

    Runs each ``analysis/NN_*.py`` in order (the data steps keep the committed
    tables when the raw folder ``../shared/data/raw`` is absent), then builds
    the Jupyter Book into ``book/_build/html`` with warnings treated as errors.
    Output of every step goes to ``book/_build/reproduce.log``.
    """
    root = (root or _find_root(Path.cwd())).resolve()
    log = root / "book" / "_build" / "reproduce.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("", encoding="utf-8")
    steps = [(p.stem, [sys.executable, str(p)]) for p in analysis_steps(root)]
    if book:
        steps.append(
            (
                "book",
                [_jupyter_book(), "build", str(root / "book"), "--warningiserror", "--keep-going"],
            )
        )
    timings = Table(title="massincidents reproduce", show_lines=False)
    timings.add_column("step")
    timings.add_column("seconds", justify="right")
    timings.add_column("status")
    failed = None
    with _progress_bar() as progress:
        task = progress.add_task("reproducing", total=len(steps))
        for name, cmd in steps:
            progress.update(task, description=f"running {name}")
            code, seconds = _run(cmd, root, log)
            timings.add_row(
                user_text(name), f"{seconds:.1f}", "ok" if code == 0 else f"failed ({code})"
            )
            progress.advance(task)
            if code != 0:
                failed = name
                break
    console.print(timings)
    if failed:
        console.print(message((f"step {failed} failed", "red"), f"; see {log}"))
        raise typer.Exit(1)
    if book:
        console.print(user_text(f"book built: {root / 'book' / '_build' / 'html' / 'index.html'}"))


@app.command()
def validate(
    file: Annotated[
        Path,
        typer.Argument(
            help="A CSV (UTF-8 or GBK), Excel or Parquet file, long or yearbook layout."
        ),
    ],
    province: ProvinceOption = None,
    year: YearOption = None,
    sheet: SheetOption = None,
    layout: LayoutOption = "auto",
    encoding: EncodingOption = None,
    value_name: ValueNameOption = None,
    counts: Annotated[
        list[str] | None, typer.Option(help="Columns that must be non-negative whole numbers.")
    ] = None,
    text: TextOption = None,
) -> None:
    """Read FILE as a province panel and list every problem found, with rows and columns."""
    import warnings

    from massincidents.errors import DataError
    from massincidents.io import read_panel
    from massincidents.validate import validate as validate_frame

    reader = _reader_options(
        province=province,
        year=year,
        sheet=sheet,
        layout=layout,
        encoding=encoding,
        value_name=value_name,
        text=text,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            df = read_panel(file, **reader)
            if counts:
                validate_frame(df, counts=list(counts), source=str(file))
        except DataError as err:
            raise _fail(user_text(err, "red"), EXIT_DATA) from None
    for w in caught:
        console.print(message(("warning:", "yellow"), " ", str(w.message)))
    provinces = df.index.get_level_values(0).nunique()
    years = df.index.get_level_values(1)
    out.print(
        message(
            ("OK", "green"),
            f" {file}: {len(df)} province-years, {provinces} provinces, "
            f"{years.min()}-{years.max()}, columns: {', '.join(map(str, df.columns))}",
        )
    )


# The reader's options (massincidents.read_panel), the same on `validate` and `rerun`:
# every option a reader message names (province=, year=, layout=, sheet=, encoding=,
# value_name=, text=) is a flag of both commands.
LAYOUTS = ("auto", "long", "wide", "wide_transposed")
ProvinceOption = Annotated[
    str | None,
    typer.Option(help="Name of the province column (long layout; wide: the column of names)."),
]
YearOption = Annotated[
    str | None,
    typer.Option(help="Name of the year column (long layout; wide_transposed: the year column)."),
]
SheetOption = Annotated[
    str | None,
    typer.Option(help="Excel sheet, by name or 0-based number (default: the first sheet)."),
]
LayoutOption = Annotated[
    str,
    typer.Option(
        help="Table layout: auto (detected), long (one row per province-year), wide "
        "(provinces down, years across), wide_transposed (years down, provinces across)."
    ),
]
EncodingOption = Annotated[
    str | None,
    typer.Option(help="Text encoding of a CSV (default: detected; e.g. gbk, utf-16-le)."),
]
ValueNameOption = Annotated[
    str | None,
    typer.Option("--value-name", help="Name of the value column of a wide table."),
]
TextOption = Annotated[
    list[str] | None,
    typer.Option(help="Columns to keep as text whatever they hold (size bands, notes)."),
]


def _sheet(sheet: str | None) -> str | int | None:
    """A sheet given as a whole number is its 0-based position (as read_panel's ``sheet=0``)."""
    return int(sheet) if sheet is not None and sheet.isdigit() else sheet


def _reader_options(
    *,
    province: str | None,
    year: str | None,
    sheet: str | None,
    layout: str,
    encoding: str | None,
    value_name: str | None,
    text: list[str] | None,
) -> dict[str, Any]:
    """The reader's keyword arguments from the command-line flags (unset ones left out)."""
    if layout not in LAYOUTS:
        raise typer.BadParameter(
            f"{layout!r} is not a layout; use one of {', '.join(LAYOUTS)}", param_hint="--layout"
        )
    options: dict[str, Any] = {
        "province": province,
        "year": year,
        # a sheet given as a whole number is its 0-based position, as read_panel's sheet=0
        "sheet": _sheet(sheet),
        "layout": None if layout == "auto" else layout,
        "encoding": encoding,
        "value_name": value_name,
        "text": list(text) if text else None,
    }
    return {k: v for k, v in options.items() if v is not None}


def _parse_map(entries: list[str] | None) -> dict[str, str]:
    """``["old=new", ...]`` -> ``{"old": "new"}``; a BadParameter for anything else."""
    mapping: dict[str, str] = {}
    for entry in entries or []:
        old, sep, new = entry.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise typer.BadParameter(f"--map takes old=new, got {entry!r}", param_hint="--map")
        mapping[old.strip()] = new.strip()
    return mapping


@app.command()
def rerun(
    data: Annotated[
        Path,
        typer.Option(
            "--data",
            help="Panel file: CSV (UTF-8 or GBK), Excel or Parquet, any layout read_panel reads.",
        ),
    ],
    out_dir: Annotated[
        str,
        typer.Option(
            "--out",
            help="Folder for tables, figures and report: new, empty, or an earlier rerun's "
            "(replaced as a whole).",
        ),
    ],
    spec: Annotated[
        Path | None,
        typer.Option("--spec", help="Analysis specification (YAML); default: the book's analysis."),
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map", help="Rename a column of the data, old=new (repeatable); wins over the spec."
        ),
    ] = None,
    province: ProvinceOption = None,
    year: YearOption = None,
    sheet: SheetOption = None,
    layout: LayoutOption = "auto",
    encoding: EncodingOption = None,
    value_name: ValueNameOption = None,
    text: TextOption = None,
    report: Annotated[
        bool, typer.Option("--report/--no-report", help="Write the HTML report.")
    ] = True,
) -> None:
    """Fit every model of a specification on your data and write the results to --out.

    Writes tables (CSV, LaTeX, Markdown), figures (PNG, SVG), a self-contained
    report.html mirroring chapters 3, 4 and 6 of the book, and run.json (package
    version, SHA-256 of the inputs, the specification and the seed), all at
    once: --out holds the previous complete run or the new one, never a mix.

    Exit codes: 0 done; 1 bad data; 2 bad specification or option; 3 no
    model could be estimated (nothing written); 4 --out cannot be used or
    writing failed (--out left as it was); 130 interrupted.
    """
    try:  # the models load here (a second or more): Ctrl-C meanwhile leaves --out as it was
        from massincidents.errors import DataError
        from massincidents.spec import NothingEstimatedError, OutputFolderError, SpecError
        from massincidents.spec import rerun as run_spec
    except KeyboardInterrupt:
        raise _fail(
            message(("interrupted", "red"), f"; {out_dir} was left as it was"), EXIT_INTERRUPTED
        ) from None

    mapping = _parse_map(map_)
    reader = _reader_options(
        province=province,
        year=year,
        sheet=None,
        layout=layout,
        encoding=encoding,
        value_name=value_name,
        text=text,
    )
    try:
        with _progress_bar() as progress:
            task = progress.add_task("rerun", total=None)

            def report_progress(description: str, completed: int, total: int) -> None:
                progress.update(task, description=description, completed=completed, total=total)

            try:
                result = run_spec(
                    data,
                    spec,
                    out_dir,
                    mapping=mapping,
                    sheet=_sheet(sheet),
                    reader=reader,
                    progress=report_progress,
                    report=report,
                )
            finally:
                progress.stop()
    except SpecError as err:
        raise _fail(message(("specification error", "red"), "\n", str(err)), EXIT_USAGE) from None
    except DataError as err:
        raise _fail(message(("data error", "red"), "\n", str(err)), EXIT_DATA) from None
    except NothingEstimatedError as err:
        raise _fail(
            message(("nothing estimated", "red"), "\n", str(err)), EXIT_NOTHING_ESTIMATED
        ) from None
    except OutputFolderError as err:
        raise _fail(message(("output folder", "red"), "\n", f"--out {err}"), EXIT_OUTPUT) from None
    except KeyboardInterrupt:
        raise _fail(
            message(("interrupted", "red"), f"; {out_dir} was left as it was"), EXIT_INTERRUPTED
        ) from None

    acc = result.prepared.accounting
    summary = Table(title="rows used and left out")
    summary.add_column("")
    summary.add_column("rows", justify="right")
    summary.add_row("in the source", str(acc.get("rows_in_source")))
    for reason, count in (acc.get("removed_by_reader") or {}).items():
        summary.add_row(user_text(f"removed by the reader: {reason}"), str(count))
    summary.add_row("outside the window", str(acc.get("outside_window")))
    summary.add_row("analysed", str(acc.get("rows_in_window")))
    console.print(summary)
    models = Table(title="models")
    for column in ("model", "used", "left out", "reasons"):
        models.add_column(column, justify="right" if column in ("used", "left out") else "left")
    for row in result.rows.itertuples(index=False):
        models.add_row(
            user_text(row.model), str(row.used), str(row.left_out), user_text(row.reasons)
        )
    console.print(models)
    for note in result.notes:
        console.print(user_text(f"note: {note}", "yellow"))
    out.print(user_text(f"wrote {len(result.files)} files to {out_dir}"))


@app.command()
def multiverse(
    data: Annotated[
        Path,
        typer.Option("--data", help="Panel file (any format and layout read_panel reads)."),
    ],
    spec: Annotated[
        Path,
        typer.Option("--spec", help="Analysis specification (YAML) with a multiverse section."),
    ],
    out_dir: Annotated[
        str,
        typer.Option(
            "--out",
            help="Folder for the curve's tables and plots: new, empty, or an earlier "
            "multiverse's (replaced as a whole).",
        ),
    ],
    n_jobs: Annotated[
        int,
        typer.Option(
            "--n-jobs", help="Parallel jobs on this machine (joblib): 1 to the number of cores, "
            "or -1 for all cores."
        ),
    ] = 1,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler address (tcp://host:8786): fit on that cluster."),
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="Rename a column of the data, old=new (repeatable)."),
    ] = None,
) -> None:
    """Fit every combination of the specification's multiverse and plot the specification curve.

    Writes specifications.csv (one row per specification and cause),
    choices.csv, summary.csv, summary.md, curve_<cause>.png/.svg
    (Simonsohn, Simmons and Nelson 2020) and run.json, all at once. Results are
    the same serially, with --n-jobs and on a Dask cluster. Exit codes as for
    rerun.
    """
    try:  # the models load here (a second or more): Ctrl-C meanwhile leaves --out as it was
        from massincidents.errors import DataError
        from massincidents.multiverse.choices import ChoicesError
        from massincidents.multiverse.command import check_parallel, run_multiverse_command
        from massincidents.spec import OutputFolderError, SpecError, load_spec
    except KeyboardInterrupt:
        raise _fail(
            message(("interrupted", "red"), f"; {out_dir} was left as it was"), EXIT_INTERRUPTED
        ) from None

    mapping = _parse_map(map_)
    try:
        check_parallel(n_jobs, scheduler)
    except ValueError as err:
        raise typer.BadParameter(
            str(err), param_hint="--scheduler" if scheduler is not None else "--n-jobs"
        ) from None
    try:
        parsed = load_spec(spec)
        if parsed.multiverse is None:
            raise _fail(
                user_text(f"{spec}: the specification has no multiverse section", "red"),
                EXIT_USAGE,
            )
        parsed = parsed.with_mapping(mapping)
        with _progress_bar() as bar:
            task = bar.add_task("fitting specifications", total=None)

            def report_progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            try:
                run = run_multiverse_command(
                    data,
                    parsed,
                    out_dir,
                    n_jobs=n_jobs,
                    scheduler=scheduler,
                    progress=report_progress,
                )
            finally:
                bar.stop()
    except (SpecError, ChoicesError) as err:
        raise _fail(message(("specification error", "red"), "\n", str(err)), EXIT_USAGE) from None
    except DataError as err:
        raise _fail(message(("data error", "red"), "\n", str(err)), EXIT_DATA) from None
    except OutputFolderError as err:
        raise _fail(message(("output folder", "red"), "\n", f"--out {err}"), EXIT_OUTPUT) from None
    except KeyboardInterrupt:
        raise _fail(
            message(("interrupted", "red"), f"; {out_dir} was left as it was"), EXIT_INTERRUPTED
        ) from None
    summary = run.curve.summary()
    if "term" in summary.columns:
        summary = summary.set_index("term")
    n_specs = run.curve.table["spec_number"].nunique()
    table = Table(title=f"specification curve: {n_specs} specifications")
    table.add_column("")
    for term in summary.index:
        table.add_column(user_text(term), justify="right")
    for stat, values in summary.T.iterrows():
        table.add_row(
            user_text(stat),
            *(user_text(f"{v:.3g}" if isinstance(v, float) else v) for v in values),
        )
    console.print(table)
    out.print(user_text(f"wrote {len(run.files)} files to {out_dir}"))


@spec_app.command("init")
def spec_init(
    path: Annotated[
        Path, typer.Argument(help="Where to write the specification.")
    ] = Path("spec.yaml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write the book's analysis as a commented specification, to edit and pass to --spec."""
    from massincidents.spec import default_spec_text

    if path.is_dir():
        raise _fail(
            message(("spec init", "red"), ": ", user_text(f"{path} is a folder; name a file")),
            EXIT_OUTPUT,
        )
    if path.exists() and not force:
        raise _fail(
            message(
                ("spec init", "red"),
                ": ",
                user_text(f"{path} exists; pass --force to overwrite it"),
            ),
            EXIT_OUTPUT,
        )
    try:
        path.write_text(default_spec_text(), encoding="utf-8")
    except OSError as err:
        raise _fail(
            message(("spec init", "red"), ": ", user_text(f"cannot write {path}: {err.strerror}")),
            EXIT_OUTPUT,
        ) from None
    out.print(
        user_text(
            f"wrote {path}; edit its column names, then run "
            f"massincidents rerun --data FILE --spec {path} --out DIR"
        )
    )


@datasets_app.command("list")
def datasets_list() -> None:
    """List the bundled datasets."""
    from massincidents.datasets import bundled

    table = Table()
    table.add_column("name")
    table.add_column("title")
    for name in bundled.list():
        table.add_row(user_text(name), user_text(bundled._CATALOG[name].title))
    out.print(table)


@datasets_app.command("describe")
def datasets_describe(
    name: Annotated[str, typer.Argument(help="Dataset name, see `datasets list`.")],
) -> None:
    """Describe a dataset and its columns."""
    from massincidents.datasets import bundled

    try:
        out.print(user_text(bundled.describe(name)))
    except KeyError as err:
        raise _fail(user_text(err.args[0], "red"), EXIT_USAGE) from None


@datasets_app.command("export")
def datasets_export(
    name: Annotated[str, typer.Argument(help="Dataset name, see `datasets list`.")],
    path: Annotated[Path, typer.Argument(help="Output file: .csv, .parquet or .xlsx.")],
) -> None:
    """Write a dataset to a CSV, Parquet or Excel file.

    The file is written whole or not at all (a temporary file beside it,
    renamed into place). Exit codes: 0 done; 2 an unknown dataset or format;
    4 the file cannot be written (a missing folder, a folder in its place, a
    full disk).
    """
    from massincidents.datasets import bundled

    try:
        written = bundled.export(name, path)
    except (KeyError, ValueError, ImportError) as err:
        raise _fail(user_text(err.args[0], "red"), EXIT_USAGE) from None
    except OSError as err:
        raise _fail(user_text(str(err), "red"), EXIT_OUTPUT) from None
    out.print(user_text(f"wrote {written}"))


if __name__ == "__main__":  # pragma: no cover
    app()

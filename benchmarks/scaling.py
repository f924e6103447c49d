"""Scaling table: every family against its best peer at sizes spanning 100x.

    python benchmarks/scaling.py [--max-rows 5000000] [--max-events 50000000]
                                 [--max-did-units 50000] [--max-gmm-units 10000]
                                 [--repeat 3] [--families ols2,ppml3,...]
                                 [--memory all|largest|none]
                                 [--out benchmarks/SCALING.md] [--readme README.md]
                                 [--store benchmarks/scaling.json] [--render]

Families (sizes: four or more, the largest at the ``--max-*`` options, the smallest
1/100 of it):

* ``ols2``, ``ols3``: ``mi.linear(y ~ x1 + x2 | two or three FE, vcov=CRV1)`` against
  ``pyfixest.feols`` with the same variance;
* ``ppml2``, ``ppml3``: ``mi.poisson`` (default separation checks) against
  ``pyfixest.fepois`` (its default, the all-zero-group check only);
* ``cox_few``, ``cox_many``: Andersen-Gill Cox, Efron ties, on counting-process rows with
  10 distinct event times, and with daily (thousands of distinct) event times; ours with
  the robust variance clustered by unit included in the time, against lifelines'
  ``CoxTimeVaryingFitter`` (model-based variance only). lifelines' time grows with the
  number of distinct times times rows, so with many distinct times it runs only up to
  ``--lifelines-many-max`` rows (default 100,000) and later sizes are left empty;
* ``did``: ``mi.staggered_did`` (doubly robust, 2 covariates, 20 periods, analytic SE)
  against the faster of ``csdid`` and ``differences``;
* ``gmm``: ``mi.arellano_bond`` (difference GMM, two-step, 10 periods) against R
  ``plm::pgmm`` (when ``Rscript`` with plm is present; R times are R's own
  ``system.time``);
* ``events``: ``mi.events_to_panel(csv, freq="month")`` against pandas
  (``read_csv`` + ``groupby``) and polars (``read_csv`` + ``group_by``) on a CSV of
  events with GB/T province codes and ISO dates (the peers do none of our spelling,
  date and accounting checks).

For every family and size the estimates are compared first (coefficients to 1e-6
relative, ATT to 1e-6, counts exactly): a row whose estimates disagree says so. The
times are medians of ``--repeat`` runs (after one warm-up) in one child process, ours and
the peer interleaved so that both see the same machine load. Peak memory is the peak
resident set size of a separate child process that builds the data and runs one fit,
less that of the same child before the fit (``resource.getrusage``): the memory the fit
itself needs. The log-log slope is that of time against size from the smallest to the
largest size (1 = linear). The table is written to ``--out`` and, between the markers
``<!-- scaling:start -->`` and ``<!-- scaling:end -->``, into ``--readme``.

The measured rows are kept in ``--store`` (JSON), each with the run that measured it (date,
versions, load average, command). A run replaces the rows of the families it measures and
keeps the others, so one family can be measured again on its own; ``--render`` measures
nothing and rewrites the table from the store.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
START, END = "<!-- scaling:start -->", "<!-- scaling:end -->"

# -- data ---------------------------------------------------------------------------------


def fe_data(n: int, seed: int = 1) -> pd.DataFrame:
    """Rows with three crossed fixed effects (units of 20 rows, 50 periods, 100 sectors)."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "unit": rng.integers(0, max(n // 20, 2), n),
            "period": rng.integers(0, 50, n),
            "sector": rng.integers(0, 100, n),
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
        }
    )
    effect = 0.01 * (df["unit"] % 17) + 0.02 * (df["period"] % 5) - 0.01 * (df["sector"] % 3)
    df["y"] = 0.3 * df["x1"] - 0.2 * df["x2"] + effect + rng.normal(size=n)
    df["count"] = rng.poisson(np.exp(0.5 + 0.3 * df["x1"] - 0.2 * df["x2"] + effect))
    return df


def cox_data(rows: int, shape: str) -> pd.DataFrame:
    sys.path.insert(0, str(HERE))
    from bench_cox import simulate

    df = simulate(max(rows // 10, 1))
    if shape == "few":  # events at the end of their period: 10 distinct event times
        df.loc[df["event"] == 1, "stop"] = df.loc[df["event"] == 1, "start"] + 365.0
    return df


def did_data(units: int) -> pd.DataFrame:
    sys.path.insert(0, str(HERE))
    from bench_did import make_panel

    return make_panel(n=units)


def gmm_data(units: int) -> pd.DataFrame:
    sys.path.insert(0, str(HERE))
    from bench_gmm import simulate

    return simulate(n=units)


def events_csv(n: int, folder: Path, seed: int = 1) -> Path:
    """A CSV of ``n`` events: GB/T province code, ISO date (2000-2019)."""
    path = folder / f"events_{n}.csv"
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    codes = np.array([110000, 310000, 440000, 510000, 420000, 410000, 330000, 650000])
    days = np.arange(np.datetime64("2000-01-01"), np.datetime64("2020-01-01")).astype(str)
    chunk = 5_000_000
    with path.open("w") as fh:
        fh.write("province,date\n")
        for begin in range(0, n, chunk):
            m = min(chunk, n - begin)
            frame = pd.DataFrame(
                {
                    "province": codes[rng.integers(0, codes.size, m)],
                    "date": days[rng.integers(0, days.size, m)],
                }
            )
            frame.to_csv(fh, header=False, index=False)
    return path


# -- one measurement (run in a child process) ---------------------------------------------


def runners(family: str, size: int, folder: Path) -> tuple[Callable, Callable, str]:
    """(ours, peer, peer name) for one family and size; each returns a Series of estimates."""
    warnings.simplefilter("ignore")
    import massincidents as mi

    if family in {"ols2", "ols3", "ppml2", "ppml3"}:
        import pyfixest as pf

        df = fe_data(size)
        fe = "unit + period" if family.endswith("2") else "unit + period + sector"
        if family.startswith("ols"):
            f = f"y ~ x1 + x2 | {fe}"
            return (
                lambda: mi.linear(f, df, vcov={"CRV1": "unit"}).params,
                lambda: pf.feols(f, df, vcov={"CRV1": "unit"}).coef(),
                f"pyfixest {version('pyfixest')} feols",
            )
        f = f"count ~ x1 + x2 | {fe}"
        return (
            lambda: mi.poisson(f, df, vcov={"CRV1": "unit"}).params,
            lambda: pf.fepois(f, df, vcov={"CRV1": "unit"}, separation_check=["fe"]).coef(),
            f"pyfixest {version('pyfixest')} fepois",
        )
    if family.startswith("cox"):
        df = cox_data(size, family.split("_")[1])
        sys.path.insert(0, str(HERE))
        from bench_cox import X_NAMES, run_lifelines

        def ours() -> pd.Series:
            return mi.cox(
                "x1 + x2 + treated", df, start="start", stop="stop", event="event", cluster="unit"
            ).params

        return ours, lambda: run_lifelines(df)[X_NAMES], f"lifelines {version('lifelines')}"
    if family == "did":
        df = did_data(size)

        def ours_did() -> pd.Series:
            agg = mi.staggered_did(
                df, outcome="y", unit="id", time="year", cohort="cohort",
                control_group="never", covariates=["x1", "x2"], method="dr", bootstrap=False,
            ).aggregate("simple")  # fmt: skip
            return pd.Series({"att": agg.overall_att})

        def csdid() -> pd.Series:
            from csdid.att_gt import ATTgt

            fit = ATTgt(
                yname="y", tname="year", idname="id", gname="cohort", data=df.copy(),
                control_group="nevertreated", xformla="y~x1+x2",
            ).fit(est_method="dr", bstrap=False)  # fmt: skip
            fit.aggte(typec="simple", bstrap=False)
            return pd.Series({"att": fit.atte["overall_att"]})

        def differences() -> pd.Series:
            from differences import ATTgt as DATTgt

            d = df.copy()
            d["cohort"] = d["cohort"].replace(0, np.nan)
            att = DATTgt(data=d.set_index(["id", "year"]), cohort_column="cohort")
            att.fit(formula="y ~ x1 + x2", est_method="dr", control_group="never_treated",
                    boot_iterations=0, n_jobs=1, progress_bar=False)  # fmt: skip
            return pd.Series({"att": float(att.aggregate("simple").to_numpy().ravel()[0])})

        return ours_did, {
            f"csdid {version('csdid')}": csdid,
            f"differences {version('differences')}": differences,
        }, "csdid / differences"
    if family == "gmm":
        df = gmm_data(size)
        formula = "y ~ lag(y, 1) + x | lag(y, 2:99)"

        def ours_gmm() -> pd.Series:
            return mi.arellano_bond(
                formula, df, entity="firm", time="year", effects="twoways", steps=2
            ).params

        csv = folder / f"gmm_{size}.csv"
        df.to_csv(csv, index=False, float_format="%.17g")

        def pgmm() -> pd.Series:
            script = (
                "suppressPackageStartupMessages(library(plm));"
                f"d <- read.csv('{csv}'); p <- pdata.frame(d, index = c('firm', 'year'));"
                "t <- system.time(m <- pgmm(y ~ lag(y, 1) + x | lag(y, 2:99), data = p,"
                " effect = 'twoways', model = 'twosteps'))[['elapsed']];"
                "cat(sprintf('%.17g', t), sprintf('%.17g', coef(m)), '\\n')"
            )
            out = subprocess.run(
                ["Rscript", "-e", script], capture_output=True, text=True, check=True
            ).stdout.split()
            values = np.array(out, dtype=float)
            names = ["_seconds", *(f"coef{i}" for i in range(values.size - 1))]
            return pd.Series(values, index=names)

        return ours_gmm, pgmm, "R plm pgmm"
    if family == "events":
        import polars as pl

        path = events_csv(size, folder)

        def ours_events() -> pd.Series:
            panel = mi.events_to_panel(str(path), freq="month")
            return panel["count"][panel["count"] > 0].sort_index().astype(float)

        def pandas_events() -> pd.Series:
            d = pd.read_csv(path, dtype={"province": str, "date": str})
            month = d["date"].str[:4].astype(int) * 100 + d["date"].str[5:7].astype(int)
            out = d.groupby([d["province"], month.rename("month")]).size()
            return out.sort_index().astype(float)

        def polars_events() -> pd.Series:
            d = pl.read_csv(path, schema_overrides={"province": pl.String, "date": pl.String})
            d = d.with_columns(
                (pl.col("date").str.slice(0, 4).cast(pl.Int64) * 100
                 + pl.col("date").str.slice(5, 2).cast(pl.Int64)).alias("month")
            ).group_by(["province", "month"]).len()  # fmt: skip
            out = d.to_pandas().set_index(["province", "month"])["len"]
            return out.sort_index().astype(float)

        return ours_events, {
            f"pandas {version('pandas')}": pandas_events,
            f"polars {version('polars')}": polars_events,
        }, (
            f"pandas {version('pandas')} / polars {version('polars')}"
        )
    raise ValueError(f"unknown family {family!r}")


def _agree(ours: pd.Series, peer: pd.Series, family: str) -> tuple[bool, float]:
    """Whether the estimates agree (coefficients 1e-6 relative; counts exactly), and by how much."""
    peer = peer.drop("_seconds", errors="ignore")
    if family == "events":  # align the counts on (province, month) written out as text
        def keyed(s: pd.Series) -> pd.Series:
            return pd.Series(s.to_numpy(), index=[f"{p}-{m}" for p, m in s.index])

        a, b = keyed(ours).align(keyed(peer))
        if a.isna().any() or b.isna().any():
            return False, float("inf")
        diff = float(np.max(np.abs(a - b))) if a.size else 0.0
        return diff == 0.0, diff
    a, b = ours.to_numpy(dtype=float), peer.to_numpy(dtype=float)
    if a.shape != b.shape:
        return False, float("inf")
    rel = float(np.max(np.abs(a - b) / np.maximum(np.abs(a), 1e-8)))
    return rel <= 1e-6, rel


def child_time(family: str, size: int, repeat: int, folder: Path) -> dict:
    ours, peer, peer_name = runners(family, size, folder)
    peers = peer if isinstance(peer, dict) else {peer_name: peer}
    est_ours = ours()  # warm-up
    est_peers = {name: fn() for name, fn in peers.items()}
    times: dict[str, list[float]] = {"ours": [], **{name: [] for name in peers}}
    for _ in range(repeat):  # interleaved: ours and every peer see the same load
        begin = time.perf_counter()
        ours()
        times["ours"].append(time.perf_counter() - begin)
        for name, fn in peers.items():
            begin = time.perf_counter()
            out = fn()
            elapsed = time.perf_counter() - begin
            if "_seconds" in out.index:  # R reports its own fit time
                elapsed = float(out["_seconds"])
            times[name].append(elapsed)
    medians = {name: statistics.median(values) for name, values in times.items()}
    best = min(peers, key=lambda name: medians[name])
    agree, diff = _agree(est_ours, est_peers[best], family)
    return {
        "ours_s": medians["ours"],
        "peer": best if isinstance(peer, dict) else peer_name,
        "peer_s": medians[best],
        "agree": agree,
        "max_rel_diff": diff,
    }


def child_time_ours(family: str, size: int, repeat: int, folder: Path) -> dict:
    ours, _, _ = runners(family, size, folder)
    ours()  # warm-up
    times = []
    for _ in range(repeat):
        begin = time.perf_counter()
        ours()
        times.append(time.perf_counter() - begin)
    return {"ours_s": statistics.median(times)}


def child_memory(family: str, size: int, which: str, folder: Path) -> dict:
    """Peak RSS one fit adds to a process that holds the data (``which``: ours or peer)."""
    import resource

    def pick(ours: Callable, peer: object) -> Callable:
        if which == "ours":
            return ours
        # the fastest peer of the timing run, by name, when there are several
        return peer[which] if isinstance(peer, dict) else peer  # type: ignore[index,return-value]

    # A warm-up fit on the smallest data first: imports and JIT compilation (numba in
    # pyfixest) are not counted as memory of the fit.
    pick(*runners(family, SMALLEST[family], folder)[:2])()
    fn = pick(*runners(family, size, folder)[:2])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    fn()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"peak_mb": (after - before) / 1024.0}


# -- driver -------------------------------------------------------------------------------


def run_child(args: list[str], timeout: float) -> dict | None:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None
    if proc.returncode != 0:
        print(proc.stderr[-2000:], file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def sizes(top: int, count: int = 4) -> list[int]:
    """``count`` sizes from ``top / 100`` to ``top``, evenly spaced in logs."""
    return [int(round(top / 100 * 100 ** (i / (count - 1)), -2 if top >= 10_000 else 0))
            for i in range(count)]  # fmt: skip


def slope(points: list[tuple[int, float]]) -> float:
    points = [(n, t) for n, t in points if t and t > 0]
    if len(points) < 2:
        return float("nan")
    (n0, t0), (n1, t1) = points[0], points[-1]
    return float(np.log(t1 / t0) / np.log(n1 / n0))


def merge_store(store: Path, rows: list[dict]) -> list[dict]:
    """Rows of this run, and the stored rows of the families it did not measure.

    The store is rewritten with the merged rows, in the order of ``FAMILIES``.
    """
    measured = {r["family"] for r in rows}
    kept = []
    if store.exists():
        kept = [r for r in json.loads(store.read_text(encoding="utf-8"))
                if r["family"] not in measured]  # fmt: skip
    order = list(FAMILIES)
    merged = sorted(kept + rows, key=lambda r: (order.index(r["family"]), r["size"]))
    store.write_text(json.dumps(merged, indent=1, default=float) + "\n", encoding="utf-8")
    return merged


def runs_of(rows: list[dict]) -> list[str]:
    """The distinct runs of ``rows``, in order of first appearance."""
    return list(dict.fromkeys(r.get("run", "an earlier run") for r in rows))


def markdown(rows: list[dict], header: str) -> str:
    runs = runs_of(rows)
    lines = [
        header,
        "",
        "| family | size | ours (s) | peer | peer (s) | ours / peer | peak RSS ours (MB) "
        "| peak RSS peer (MB) | estimates agree | slope ours | slope peer | run |",
        "|---|---:|---:|---|---:|---:|---:|---:|---|---:|---:|---:|",
    ]

    def fmt(value: object, spec: str) -> str:
        return "" if value is None or (isinstance(value, float) and np.isnan(value)) else (
            format(value, spec)
        )

    for r in rows:
        ratio = r["ours_s"] / r["peer_s"] if r.get("peer_s") else None
        agree = {True: "yes", False: f"NO ({r.get('max_rel_diff', 0):.1e})"}.get(
            r.get("agree"), "peer not run"
        )
        lines.append(
            f"| {r['family']} | {r['size']:,} {r['unit']} | {fmt(r['ours_s'], '.3f')} | "
            f"{r.get('peer', '')} | {fmt(r.get('peer_s'), '.3f')} | {fmt(ratio, '.2f')} | "
            f"{fmt(r.get('mem_ours'), '.0f')} | {fmt(r.get('mem_peer'), '.0f')} | {agree} | "
            f"{fmt(r.get('slope_ours'), '.2f')} | {fmt(r.get('slope_peer'), '.2f')} | "
            f"{runs.index(r.get('run', 'an earlier run')) + 1} |"
        )
    return "\n".join(lines)


#: data size of the warm-up fit before a memory measurement
SMALLEST = {
    "ols2": 2000, "ols3": 2000, "ppml2": 2000, "ppml3": 2000, "cox_few": 2000,
    "cox_many": 2000, "did": 200, "gmm": 200, "events": 1000,
}  # fmt: skip

FAMILIES = {
    # name: (size option, unit)
    "ols2": ("max_rows", "rows"),
    "ols3": ("max_rows", "rows"),
    "ppml2": ("max_rows", "rows"),
    "ppml3": ("max_rows", "rows"),
    "cox_few": ("max_rows", "rows"),
    "cox_many": ("max_rows", "rows"),
    "did": ("max_did_units", "units"),
    "gmm": ("max_gmm_units", "units"),
    "events": ("max_events", "events"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs="*")
    parser.add_argument("--max-rows", type=int, default=5_000_000)
    parser.add_argument("--max-events", type=int, default=50_000_000)
    parser.add_argument("--max-did-units", type=int, default=50_000)
    parser.add_argument("--max-gmm-units", type=int, default=10_000)
    parser.add_argument("--lifelines-many-max", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument(
        "--memory",
        choices=["all", "largest", "none"],
        default="all",
        help="sizes at which peak memory is measured (each measurement is a process of its own)",
    )
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--tmp", type=Path, default=Path(tempfile.gettempdir()) / "mi_scaling")
    parser.add_argument("--out", type=Path, default=HERE / "SCALING.md")
    parser.add_argument("--readme", type=Path, default=HERE.parent / "README.md")
    parser.add_argument(
        "--store",
        type=Path,
        default=HERE / "scaling.json",
        help="measured rows, by family; a run replaces the rows of the families it measures "
        "and keeps the others, so the table can be built from several runs",
    )
    parser.add_argument(
        "--render",
        action="store_true",
        help="measure nothing: write the table of the rows in --store to --out and --readme",
    )
    args = parser.parse_args()
    args.tmp.mkdir(parents=True, exist_ok=True)
    if args.render:
        args.families = ""

    if args.child is not None:
        kind, family, size = args.child[0], args.child[1], int(args.child[2])
        if kind == "time":
            out = child_time(family, size, int(args.child[3]), args.tmp)
        elif kind == "time_ours":
            out = child_time_ours(family, size, int(args.child[3]), args.tmp)
        else:
            out = child_memory(family, size, args.child[3], args.tmp)
        print(json.dumps(out))
        return

    have_r = shutil.which("Rscript") is not None
    rows: list[dict] = []
    for family in filter(None, args.families.split(",")):
        option, unit = FAMILIES[family]
        if family == "gmm" and not have_r:
            print("skipping gmm: Rscript not found", file=sys.stderr)
            continue
        family_rows = []
        family_sizes = sizes(getattr(args, option))
        for size in family_sizes:
            print(f"{family} {size:,} {unit} ...", file=sys.stderr, flush=True)
            skip_peer = family == "cox_many" and size > args.lifelines_many_max
            if skip_peer:
                row = {"ours_s": _time_ours_only(family, size, args)}
            else:
                row = run_child(["time", family, str(size), str(args.repeat)], args.timeout) or {}
            row.update(family=family, size=size, unit=unit)
            if args.memory == "all" or (args.memory == "largest" and size == family_sizes[-1]):
                mem = run_child(["memory", family, str(size), "ours"], args.timeout)
                row["mem_ours"] = mem and mem["peak_mb"]
                if not skip_peer and family != "gmm":  # R runs in its own process
                    who = row.get("peer", "peer")
                    mem = run_child(["memory", family, str(size), who], args.timeout)
                    row["mem_peer"] = mem and mem["peak_mb"]
            row.setdefault("ours_s", None)
            family_rows.append(row)
            print(f"  {row}", file=sys.stderr, flush=True)
        s_ours = slope([(r["size"], r.get("ours_s")) for r in family_rows])
        s_peer = slope([(r["size"], r.get("peer_s")) for r in family_rows])
        if family_rows:
            family_rows[-1].update(slope_ours=s_ours, slope_peer=s_peer)
        rows += family_rows

    import massincidents as mi

    run = (
        f"{time.strftime('%Y-%m-%d %H:%M')}: massincidents {mi.__version__}, Python "
        f"{platform.python_version()}, numpy {np.__version__}, {platform.machine()}, "
        f"{len(os.sched_getaffinity(0))} cores, medians of {args.repeat} runs, "
        f"load average {os.getloadavg()[0]:.1f} at the end; "
        f"`python benchmarks/scaling.py {' '.join(sys.argv[1:])}`"
    )
    for row in rows:
        row["run"] = run
    rows = merge_store(args.store, rows)
    header = (
        "Generated by `python benchmarks/scaling.py`. Ours and the peer interleaved in one "
        "process (medians after a warm-up); peak RSS is what one fit adds to its process; "
        "slopes are log-log slopes of time against size (last row of a family). "
        "The last column numbers the run that measured the row:\n\n"
        + "\n".join(f"{i}. {r}" for i, r in enumerate(runs_of(rows), start=1))
    )
    table = markdown(rows, header)
    args.out.write_text(
        "# Scaling against the best peer\n\n" + table + "\n", encoding="utf-8"
    )
    if args.readme.exists() and START in args.readme.read_text(encoding="utf-8"):
        from readme_block import replace_block  # benchmarks/ (the script's folder)

        replace_block(args.readme, "scaling", table)
    print(table)


def _time_ours_only(family: str, size: int, args: argparse.Namespace) -> float | None:
    """Our median time where the peer is not run (lifelines, many distinct times, large)."""
    out = run_child(["time_ours", family, str(size), str(args.repeat)], args.timeout)
    return out and out["ours_s"]


if __name__ == "__main__":
    main()

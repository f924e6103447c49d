"""Extract the frozen Stata output of linearmodels' panel tests into our reference files.

Run once, by hand, with the two files of the linearmodels repository (BSD-like
licence, see ``stata_xtreg_simulated.md``) at commit
c51a031b20d425c8703d4dd312469bebdbf00495:

    python tests/reference/stata_xtreg_simulated.py stata-panel-simulated-results.txt \
        simulated-panel.dta

It writes ``stata_xtreg_simulated.json`` (Stata's coefficients, variance matrices and
e() scalars of ``regress`` and ``xtreg, fe/re/be``, unweighted, on the balanced panel and
its two unbalanced variants) and ``data/stata_xtreg_simulated.csv.gz`` (the data Stata
read). Only numbers are taken; the parsing below is ours. Tests never run this script.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SOURCE = {
    "repository": "https://github.com/bashtage/linearmodels",
    "commit": "c51a031b20d425c8703d4dd312469bebdbf00495",
    "results": "linearmodels/tests/panel/results/stata-panel-simulated-results.txt",
    "data": "linearmodels/tests/panel/results/simulated-panel.dta",
    "do_file_generator": "linearmodels/tests/panel/results/execute-stata-simulated-data.py",
}
#: section name in the results file -> Stata command (``{vars}`` = y x1 ... x5 + suffix)
COMMANDS = {
    "pooled-conventional-": "regress {vars}, vce(ols)",
    "pooled-robust-": "regress {vars}, vce(robust)",
    "pooled-cluster-": "regress {vars}, vce(cluster firm_id)",
    "fixed_effect-conventional-": "xtreg {vars}, fe vce(conventional)",
    "fixed_effect-robust-": "xtreg {vars}, fe vce(robust)",
    "fixed_effect-cluster-": "xtreg {vars}, fe vce(cluster firm_id)",
    "random_effect-conventional-": "xtreg {vars}, re vce(conventional)",
    "random_effect-robust-": "xtreg {vars}, re vce(robust)",
    "random_effect-cluster-": "xtreg {vars}, re vce(cluster firm_id)",
    "between-conventional-": "xtreg {vars}, be vce(conventional)",
}
SUFFIXES = {"": "balanced", "_light": "light", "_heavy": "heavy"}


def _number(text: str) -> float | None:
    text = text.strip()
    return float(text) if text else None


def parse_sections(text: str) -> dict[str, dict]:
    """Each ``#####!name-suffix!#####`` block: coefficients, scalars and V."""
    out = {}
    blocks = text.split("#################!")[1:]
    for block in blocks:
        header, body = block.split("!####################", 1)
        lines = [ln for ln in body.splitlines() if ln.strip()]
        i = lines.index("\tb/t/p") + 1
        coef = {}
        while not lines[i].startswith("rss\t"):  # e(rss) is the first scalar
            name, value = lines[i].split("\t")
            coef[name] = float(value)
            i += 3  # b, then t and p on two lines starting with a tab
        scalars = {}
        while not lines[i].startswith("*"):
            parts = lines[i].split("\t")
            if len(parts) == 2 and parts[0] and not parts[0].startswith(" "):
                scalars[parts[0]] = _number(parts[1])
            i += 1
        names = lines[i + 2].strip().split("\t")
        V = [[float(v) for v in row.split("\t")[1:]] for row in lines[i + 3 : i + 3 + len(names)]]
        out[header] = {"coef": coef, "scalars": scalars, "vcov": {"names": names, "matrix": V}}
    return out


def main(results_txt: str, dta: str) -> None:
    sections = parse_sections(Path(results_txt).read_text())
    cases = {}
    for prefix, command in COMMANDS.items():
        for suffix, label in SUFFIXES.items():
            block = sections[f"{prefix}-{suffix}"]
            names = [n.removesuffix(suffix) if n != "_cons" else "_cons" for n in block["coef"]]
            cases[f"{prefix.rstrip('-')}/{label}"] = {
                "command": command.format(
                    vars=" ".join(v + suffix for v in ["y", "x1", "x2", "x3", "x4", "x5"])
                ),
                "coef": dict(zip(names, block["coef"].values(), strict=True)),
                "vcov": {
                    "names": [n.removesuffix(suffix) for n in block["vcov"]["names"]],
                    "matrix": block["vcov"]["matrix"],
                },
                "scalars": {k: v for k, v in block["scalars"].items() if v is not None},
            }
    data = pd.read_stata(dta)
    frame = pd.DataFrame({"firm_id": data["firm_id"].astype(int), "year": data["time"].dt.year})
    for suffix in SUFFIXES:
        for v in ["y", "x1", "x2", "x3", "x4", "x5"]:
            frame[v + suffix] = data[v + suffix].to_numpy()
    assert frame.groupby("firm_id")["year"].nunique().eq(3).all()  # 1,000 firms x 3 years
    path = HERE / "data" / "stata_xtreg_simulated.csv.gz"
    frame.to_csv(path, index=False, float_format="%.17g")
    back = pd.read_csv(path, float_precision="round_trip")
    assert all(np.array_equal(back[c], frame[c], equal_nan=True) for c in frame.columns)
    ref = {
        "producer": "Stata 13 (StataMP-64, as linearmodels' do-file generator names it)",
        "source": (
            f"{SOURCE['repository']}, {SOURCE['results']} at commit {SOURCE['commit']} "
            "(see stata_xtreg_simulated.md)"
        ),
        "source_detail": SOURCE,
        "printed_digits": "%13.12g (12 significant digits)",
        "cases": cases,
    }
    (HERE / "stata_xtreg_simulated.json").write_text(json.dumps(ref, indent=1) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])

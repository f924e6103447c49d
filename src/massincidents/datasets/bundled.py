"""Loaders for the processed tables built by ``analysis/`` into ``data/``.

The tables ship inside the wheel as the resource package
``massincidents._data`` (mapped from the repository's ``data/`` folder in
``pyproject.toml``), so :func:`load` works the same from a clone and from an
installed wheel.
"""

from __future__ import annotations

import builtins
import os
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd


@dataclass(frozen=True)
class DatasetInfo:
    """What a bundled table is and how to read it."""

    name: str
    title: str
    description: str
    index: tuple[str, ...]
    dates: tuple[str, ...] = ()


_CATALOG: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo(
            "clb_strikes",
            "China Labour Bulletin strike map events, 2011-2017",
            "One row per collective labour action recorded by China Labour Bulletin's "
            "Strike Map (deduplicated): date, province, size band, industry, ownership, "
            "and coded action, demand and state-response categories. CLB captures only "
            "a small share of actions and its reach grew over time.",
            ("event_id",),
            ("date",),
        ),
        DatasetInfo(
            "province_year",
            "Province-year covariates and strike counts, 1998-2020",
            "31 mainland provinces x 1998-2020: population, GDP, urbanisation, budgets, "
            "investment, trade, ageing, wages, CPI, unemployment, income, spending by "
            "function, leaders and growth targets, and CLB strike counts 2011-2017. "
            "Missing stays missing.",
            ("province", "year"),
        ),
        DatasetInfo(
            "national_incidents",
            "National counts of mass incidents, 1993-2010",
            "Annual national counts of mass incidents and participants as reported by "
            "officials and scholars, with the definition and source of every row; the "
            "2005 and 2006 figures use other definitions and are flagged.",
            ("year", "unit"),
        ),
        DatasetInfo(
            "national_legal",
            "National court, mediation and labour-dispute caseloads, 1996-2014",
            "Annual national counts (NBS) of first-instance court cases accepted, civil "
            "disputes mediated by people's mediation committees, and labour disputes "
            "accepted by arbitration committees (with workers involved, from 2000); "
            "context for the dispute-resolution causes, with known breaks in 2006-2008 and 2010.",
            ("year",),
        ),
        DatasetInfo(
            "leader_spells",
            "Provincial party secretaries and governors, tenure spells",
            "One row per tenure of a provincial party secretary or governor: province, "
            "role, start and end, for survival analysis.",
            ("province", "role", "start"),
            ("start", "end"),
        ),
        DatasetInfo(
            "mayor_spells",
            "Prefecture mayors, tenure spells, 1990-2019",
            "One row per tenure of a prefecture mayor: prefecture (2017 codes), start and "
            "end month, education, native province and prefecture, and the post after; "
            "coded fields only (no names). About 320 prefectures a year 2004-2016.",
            ("prefecture", "start"),
            ("start", "end"),
        ),
        DatasetInfo(
            "prefecture_year",
            "Prefecture-year strike counts and covariates, 2011-2017",
            "367 prefecture-level units of the 2017 code list x 2011-2017, balanced and "
            "zero-filled: CLB strike counts of the events placed in a prefecture (78% of "
            "events in 2011, 96% in 2015-2016), census population interpolated between 2010 "
            "and 2020 (flagged), the mayor of 1 July, growth targets (2011-2012) and the "
            "province covariates.",
            ("prefecture", "year"),
        ),
        DatasetInfo(
            "prefecture_month",
            "Prefecture-month strike counts and mayors, 2011-2017",
            "367 prefecture-level units x 84 months, balanced and zero-filled: CLB strike "
            "counts, interpolated census population and the mayor in office that month "
            "(tenure, turnover month), for month-accurate timing designs.",
            ("prefecture", "year", "month"),
        ),
    )
}


#: Keys that ``load`` makes the index of a panel (other tables keep a default index).
_PANEL_INDEXES = (("province", "year"), ("prefecture", "year"), ("prefecture", "year", "month"))

#: GB/T 2260 code columns: integers, nullable where a row has none.
_CODE_COLUMNS = ("province", "prefecture", "county")


def _data_root() -> Path:
    """Folder holding the processed tables (installed resource package or clone)."""
    try:
        root = resources.files("massincidents._data")
        candidate = Path(str(root))
        if candidate.is_dir() and any(candidate.glob("*.csv")):
            return candidate
    except ModuleNotFoundError:
        pass
    clone = Path(__file__).resolve().parents[3] / "data"
    return clone


def list() -> builtins.list[str]:
    """Names of the bundled datasets that are present.

    Returns
    -------
    list of str
        Names to pass to :func:`load`, :func:`describe` and :func:`export`
        (a dataset whose table has not been built is not listed).

    Examples
    --------
    >>> import massincidents as mi
    >>> names = mi.datasets.list()
    >>> {"clb_strikes", "province_year", "national_incidents", "leader_spells"} <= set(names)
    True
    """
    root = _data_root()
    return [name for name in _CATALOG if (root / f"{name}.csv").exists()]


def _info(name: str) -> DatasetInfo:
    if name not in _CATALOG:
        raise KeyError(f"unknown dataset {name!r}; available: {', '.join(sorted(_CATALOG))}")
    return _CATALOG[name]


def load(name: str) -> pd.DataFrame:
    """Load a bundled processed table.

    Parameters
    ----------
    name
        One of :func:`list`: ``"clb_strikes"``, ``"province_year"``,
        ``"national_incidents"``, ``"national_legal"``, ``"leader_spells"``,
        ``"mayor_spells"``, ``"prefecture_year"``, ``"prefecture_month"``.

    Returns
    -------
    pandas.DataFrame
        ``province_year`` is indexed by (``province``, ``year``),
        ``prefecture_year`` by (``prefecture``, ``year``) and
        ``prefecture_month`` by (``prefecture``, ``year``, ``month``); the
        others have a default index. Date columns are parsed; province, prefecture
        and county codes are integers (nullable where unknown).

    Examples
    --------
    >>> import massincidents as mi
    >>> py = mi.datasets.load("province_year")
    >>> py.index.names
    FrozenList(['province', 'year'])
    """
    info = _info(name)
    path = _data_root() / f"{name}.csv"
    if not path.exists():
        raise FileNotFoundError(
            f"dataset {name!r} is not built: {path} is missing; run `massincidents reproduce`"
        )
    df = pd.read_csv(path, parse_dates=builtins.list(info.dates) or False, encoding="utf-8")
    for code in _CODE_COLUMNS:
        if code in df.columns:
            df[code] = df[code].astype("Int64")
            if df[code].notna().all():
                df[code] = df[code].astype("int64")
    if info.index in _PANEL_INDEXES:
        df = df.set_index(builtins.list(info.index)).sort_index()
    df.attrs["dataset"] = name
    df.attrs["source_file"] = str(path)
    return df


def describe(name: str) -> str:
    """A short description of a dataset and its columns from the codebook.

    Parameters
    ----------
    name
        A dataset name (see :func:`list`).

    Returns
    -------
    str
        Title, description, and the dataset's section of ``CODEBOOK.md``
        (columns, units, sources) when the codebook is present.

    Raises
    ------
    KeyError
        For an unknown name.

    Examples
    --------
    >>> import massincidents as mi
    >>> print(mi.datasets.describe("national_incidents").splitlines()[0])
    national_incidents: National counts of mass incidents, 1993-2010
    """
    info = _info(name)
    text = [f"{info.name}: {info.title}", "", info.description]
    codebook = _data_root() / "CODEBOOK.md"
    if codebook.exists():
        section = _codebook_section(codebook.read_text(encoding="utf-8"), name)
        if section:
            text += ["", section]
    return "\n".join(text)


def _codebook_section(markdown: str, name: str) -> str:
    lines = markdown.splitlines()
    out: builtins.list[str] = []
    inside = False
    for line in lines:
        if line.startswith("## "):
            inside = line[3:].strip().strip("`") == name
            continue
        if inside:
            out.append(line)
    return "\n".join(out).strip()


def export(name: str, path: str | Path) -> Path:
    """Write a bundled dataset to ``path``: CSV, Parquet or Excel, by extension.

    Parameters
    ----------
    name
        A dataset name (see :func:`list`).
    path
        Target file ending in ``.csv``, ``.parquet`` or ``.xlsx``. Panels
        indexed by their keys (``province_year``, ``prefecture_year``,
        ``prefecture_month``) are written with the keys as columns.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    KeyError
        For an unknown dataset.
    ValueError
        For another suffix.
    ImportError
        For ``.parquet`` without pyarrow (``pip install 'massincidents[parquet]'``).
    OSError
        When ``path`` is a folder, its folder does not exist, or the file
        cannot be written (a full disk); the message says which, and an
        existing file at ``path`` is then left as it was (the table is
        written beside it first and renamed into place).

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> import massincidents as mi
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = mi.datasets.export("national_incidents", pathlib.Path(tmp) / "ni.csv")
    ...     copy = pd.read_csv(path)
    >>> path.name, copy.shape == mi.datasets.load("national_incidents").shape
    ('ni.csv', True)
    """
    suffix = Path(path).suffix.lower()
    if suffix not in {".csv", ".parquet", ".xlsx"}:
        raise ValueError(f"unsupported export format {suffix!r}; use .csv, .parquet or .xlsx")
    path = Path(path)
    _check_target(path)
    df = load(name)
    if _info(name).index in _PANEL_INDEXES:
        df = df.reset_index()
    # Written whole or not at all: into a hidden file beside the target, flushed,
    # then renamed over it. A full disk leaves the target as it was.
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.partial-", suffix=suffix, dir=path.parent)
    os.close(handle)
    try:
        if suffix == ".csv":
            df.to_csv(temp, index=False)
        elif suffix == ".parquet":
            try:
                df.to_parquet(temp, index=False)
            except ImportError:  # pyarrow is the optional extra "parquet"
                raise ImportError(
                    "writing .parquet needs pyarrow, which is not installed: "
                    "pip install 'massincidents[parquet]' (or export to .csv or .xlsx)"
                ) from None
        else:
            df.to_excel(temp, index=False, engine="openpyxl")
        with open(temp, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temp, path)
    except OSError as err:
        Path(temp).unlink(missing_ok=True)
        raise OSError(
            f"{path}: could not be written ({err.strerror or err}); nothing was written"
        ) from None
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path


def _check_target(path: Path) -> None:
    """Refuse a target that cannot be a file: a folder, or in a missing folder."""
    if path.is_dir():
        raise OSError(f"{path} is a folder; give a file name ending in {path.suffix or '.csv'}")
    parent = path.parent
    if not parent.is_dir():
        what = "is not a folder" if parent.exists() else "does not exist"
        raise OSError(f"{path}: the folder {parent} {what}; create it first")

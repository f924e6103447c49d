r"""Discrete-time hazard models on person-period data (monthly or yearly).

A unit :math:`i` at risk in period :math:`t` (it has had no event before
:math:`t`) has the event in :math:`t` with probability

.. math::

    h_{it} = \Pr(T_i = t \mid T_i \ge t, x_{it}) = F\big(\alpha(t) + x_{it}'\beta
        + \textstyle\sum_m \gamma^{(m)}_{g_m(i)}\big),

:math:`F` the logistic (``link="logit"``: odds ratios) or the complementary
log-log :math:`1 - \exp(-\exp(\cdot))` (``link="cloglog"``: the grouped-time
version of the proportional-hazards model, :math:`e^{\beta}` are hazard
ratios of the underlying continuous-time process). The baseline
:math:`\alpha(t)` is one dummy per period (``duration="dummies"``) or a cubic
B-spline in :math:`t` (``duration="spline"``, R's ``splines::bs(t, df)``).
The likelihood of the spells factorises into Bernoulli terms, one per
person-period, so the model is a binomial GLM on the person-period rows
(Allison 1982; Singer and Willett 2003, ch. 10-12).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy.interpolate import BSpline
from scipy.special import expit

from massincidents.core.demean import ConvergenceError
from massincidents.core.design import Design, as_frame, build_design, drop_collinear
from massincidents.core.least_squares import inverse_symmetric, least_squares
from massincidents.counts._common import make_revcov
from massincidents.errors import DataError, Problem
from massincidents.inference.conventions import SmallSample
from massincidents.inference.vcov import VcovChoice
from massincidents.results import Result
from massincidents.results.prediction import Prediction
from massincidents.survival.conventions import (
    ConventionVariance,
    convention_revcov,
    survival_convention,
)
from massincidents.survival.nonparametric import label

Link = Literal["logit", "cloglog"]

NO_EVENT_PERIOD = "period with no event (its hazard is estimated as 0)"
ALL_EVENT_PERIOD = "period in which every unit at risk has the event"
NO_EVENT_GROUP = "fixed-effect group with no event"


# -- person-period data --------------------------------------------------------------------
def person_period(
    spells: pd.DataFrame,
    *,
    unit: str,
    duration: str,
    event: str,
    entry: str | None = None,
    time: str = "period",
    keep: Sequence[str] | None = None,
) -> pd.DataFrame:
    r"""Expand spells to one row per unit and period at risk.

    A spell observed from period ``entry + 1`` to period ``duration`` gives rows
    :math:`t = \text{entry}+1, \dots, \text{duration}` with ``event`` 0, except
    1 in the last row when the spell ends in an event.

    Parameters
    ----------
    spells
        One row per spell.
    unit
        Spell identifier (unique).
    duration
        Period of the event or of censoring (a whole number >= 1; the first
        period at risk is 1).
    event
        1 if the spell ends in an event, 0 if censored.
    entry
        Periods already survived before observation starts (left truncation;
        0 if absent).
    time
        Name of the period column of the result.
    keep
        Further columns copied to every row (default: all other columns).

    Returns
    -------
    pandas.DataFrame
        ``unit``, ``time``, ``event`` and the kept columns; ``attrs["left_out"]``
        counts spells with missing values.

    Raises
    ------
    DataError
        Duplicated units, durations or entries that are not whole numbers or
        are negative, and spells with no period at risk (``duration <= entry``),
        each with its unit and row.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"id": [1, 2], "t": [3, 2], "d": [1, 0], "x": [0.5, 1.0]})
    >>> print(person_period(s, unit="id", duration="t", event="d").to_string(index=False))
     id  period  d   x
      1       1  0 0.5
      1       2  0 0.5
      1       3  1 0.5
      2       1  0 1.0
      2       2  0 1.0
    """
    frame = as_frame(spells)
    needed = [unit, duration, event, *([entry] if entry else [])]
    missing_cols = [c for c in needed if c not in frame.columns]
    if missing_cols:
        raise DataError([Problem("column not found in the data", column=c) for c in missing_cols])
    left_out: dict[str, int] = {}
    ok = np.ones(len(frame), dtype=bool)
    for column in needed:
        na = ok & frame[column].isna().to_numpy()
        if na.any():
            left_out[f"missing value in {column}"] = int(na.sum())
            ok &= ~na
    rows = frame.iloc[np.flatnonzero(ok)]
    position = np.flatnonzero(ok)
    dur = pd.to_numeric(rows[duration], errors="coerce").to_numpy(dtype=float)
    ent = (
        pd.to_numeric(rows[entry], errors="coerce").to_numpy(dtype=float)
        if entry
        else np.zeros(len(rows))
    )
    ev = pd.to_numeric(rows[event], errors="coerce").to_numpy(dtype=float)
    ids = rows[unit].to_numpy()
    problems: list[Problem] = []
    for i in range(len(rows)):
        row = int(position[i])
        tag = f"unit {label(ids[i])}: "
        if not (np.isfinite(dur[i]) and dur[i] == np.round(dur[i]) and dur[i] >= 0):
            problems.append(
                Problem(
                    tag + f"duration must be a whole number of periods, got {label(dur[i])}",
                    column=duration,
                    row=row,
                )
            )
        elif not (np.isfinite(ent[i]) and ent[i] == np.round(ent[i]) and ent[i] >= 0):
            problems.append(
                Problem(
                    tag + f"entry must be a whole number >= 0, got {label(ent[i])}",
                    column=entry,
                    row=row,
                )
            )
        elif dur[i] <= ent[i]:
            problems.append(
                Problem(
                    tag + f"no period at risk (duration {dur[i]:g} <= entry {ent[i]:g})",
                    column=duration,
                    row=row,
                )
            )
        if ev[i] not in (0.0, 1.0):
            problems.append(Problem(tag + "event must be 0 or 1", column=event, row=row))
    duplicated = pd.Series(ids).duplicated(keep=False).to_numpy()
    for i in np.flatnonzero(duplicated).tolist():
        problems.append(
            Problem(
                f"unit {label(ids[i])} has more than one spell (one row per spell)",
                row=int(position[i]),
                column=unit,
            )
        )
    if problems:
        raise DataError(problems)
    n_periods = (dur - ent).astype(int)
    idx = np.repeat(np.arange(len(rows)), n_periods)
    first = np.repeat(ent.astype(int), n_periods)
    offset = np.arange(len(idx)) - np.repeat(np.cumsum(n_periods) - n_periods, n_periods)
    t = first + offset + 1
    columns = [c for c in (keep if keep is not None else rows.columns) if c not in needed]
    out = pd.DataFrame({unit: ids[idx], time: t})
    out[event] = ((t == dur[idx]) & (ev[idx] == 1)).astype(int)
    for column in columns:
        out[column] = rows[column].to_numpy()[idx]
    out.attrs["left_out"] = left_out
    return out


def _check_person_period(
    frame: pd.DataFrame, unit: str, time: str, event: str, used: np.ndarray
) -> None:
    rows = frame.iloc[np.flatnonzero(used)]
    position = np.flatnonzero(used)
    t = pd.to_numeric(rows[time], errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(rows[event], errors="coerce").to_numpy(dtype=float)
    problems: list[Problem] = []
    for i in np.flatnonzero(~(t >= 0)):
        problems.append(
            Problem(
                f"unit {label(rows[unit].iloc[i])}: negative or missing period {label(t[i])}",
                row=int(position[i]),
                column=time,
            )
        )
    for i in np.flatnonzero(~np.isin(y, [0.0, 1.0])):
        problems.append(
            Problem(
                f"unit {label(rows[unit].iloc[i])}: event must be 0 or 1",
                row=int(position[i]),
                column=event,
            )
        )
    key = pd.DataFrame({"u": rows[unit].to_numpy(), "t": t, "y": y, "pos": position})
    dup = key.duplicated(["u", "t"], keep="first").to_numpy()
    for i in np.flatnonzero(dup):
        problems.append(
            Problem(
                f"unit {label(key['u'].iloc[i])}: period {t[i]:g} appears twice "
                "(overlapping intervals within a unit)",
                row=int(position[i]),
                column=time,
            )
        )
    first_event = key[key["y"] == 1].groupby("u")["t"].min()
    after = key["t"].to_numpy() > key["u"].map(first_event).to_numpy(dtype=float)
    for i in np.flatnonzero(after):
        problems.append(
            Problem(
                f"unit {label(key['u'].iloc[i])}: period {t[i]:g} is after the unit's event "
                "(event after the end of observation); one spell per unit",
                row=int(position[i]),
                column=time,
            )
        )
    if problems:
        raise DataError(problems)


# -- duration bases ------------------------------------------------------------------------
def bspline_basis(x: np.ndarray, df: int, degree: int = 3) -> np.ndarray:
    """B-spline basis of ``x`` without the intercept column, as R ``splines::bs(x, df)``.

    Interior knots at the ``df - degree`` quantiles of ``x`` (R's type-7
    quantiles), boundary knots at its range.

    Examples
    --------
    >>> import numpy as np
    >>> bspline_basis(np.arange(1.0, 6.0), df=4).round(4)[:, 0].tolist()  # R: bs(1:5, df = 4)[, 1]
    [0.0, 0.5938, 0.25, 0.0312, 0.0]
    """
    x = np.asarray(x, dtype=float)
    n_inner = df - degree
    if n_inner < 0:
        raise ValueError(f"a degree-{degree} spline needs df >= {degree}, got {df}")
    lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        raise ValueError("a duration spline needs more than one distinct period")
    inner = np.quantile(x, np.linspace(0, 1, n_inner + 2)[1:-1]) if n_inner > 0 else np.array([])
    knots = np.concatenate([np.repeat(lo, degree + 1), inner, np.repeat(hi, degree + 1)])
    basis = BSpline.design_matrix(x, knots, degree).toarray()
    return basis[:, 1:]


def _uninformative(
    t: np.ndarray, y: np.ndarray, groups: list[np.ndarray], dummies: bool
) -> tuple[np.ndarray, dict[str, int]]:
    """Rows whose period or group dummy would diverge, removed to a fixed point.

    A period without events (or where every unit at risk has the event) has a
    baseline dummy at minus (plus) infinity; so has a fixed-effect group
    without events. Their rows carry no information on the other parameters
    and are left out, counted by reason.
    """
    keep = np.ones(len(t), dtype=bool)
    left_out: dict[str, int] = {}

    def drop(mask: np.ndarray, reason: str) -> bool:
        mask = mask & keep
        if mask.any():
            left_out[reason] = left_out.get(reason, 0) + int(mask.sum())
            keep[mask] = False
            return True
        return False

    changed = True
    while changed:
        changed = False
        if dummies:
            stats_t = pd.Series(y[keep]).groupby(t[keep]).agg(["sum", "size"])
            none = stats_t.index[stats_t["sum"] == 0].to_numpy()
            every = stats_t.index[stats_t["sum"] == stats_t["size"]].to_numpy()
            changed |= drop(np.isin(t, none), NO_EVENT_PERIOD)
            changed |= drop(np.isin(t, every), ALL_EVENT_PERIOD)
        for values in groups:
            sums = pd.Series(y[keep]).groupby(values[keep]).sum()
            changed |= drop(np.isin(values, sums.index[sums == 0].to_numpy()), NO_EVENT_GROUP)
    return keep, left_out


def _duration_terms(t: np.ndarray, kind: str, df: int, name: str) -> tuple[np.ndarray, list[str]]:
    """Baseline columns and their names."""
    if kind == "dummies":
        levels = np.unique(t)
        cols = (t[:, None] == levels[None, 1:]).astype(float)
        return cols, [f"{name}[{_fmt(v)}]" for v in levels[1:]]
    if kind == "spline":
        return bspline_basis(t, df), [f"bs({name})[{j}]" for j in range(1, df + 1)]
    raise ValueError(f"duration is 'dummies' or 'spline', got {kind!r}")


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _fe_dummies(columns: dict[str, np.ndarray], n: int) -> tuple[np.ndarray, list[str]]:
    blocks, names = [], []
    for column, values in columns.items():
        levels = sorted(pd.unique(values), key=str)
        others = np.array(levels[1:], dtype=object)
        blocks.append((values[:, None] == others[None, :]).astype(float))
        names += [f"C({column})[T.{level}]" for level in levels[1:]]
    return (np.hstack(blocks) if blocks else np.zeros((n, 0))), names


# -- the model -----------------------------------------------------------------------------
def _check_link(link: str) -> None:
    if link not in ("logit", "cloglog"):
        raise ValueError(f"link is 'logit' or 'cloglog', got {link!r}")


def _mean_and_slope(eta: np.ndarray, link: str) -> tuple[np.ndarray, np.ndarray]:
    if link == "logit":
        p = expit(eta)
        return p, p * (1.0 - p)
    e = np.exp(eta)
    p = -np.expm1(-e)
    return p, e * np.exp(-e)


def _link_of_mean(mu: np.ndarray, link: str) -> np.ndarray:
    if link == "logit":
        return np.log(mu) - np.log1p(-mu)
    return np.log(-np.log1p(-mu))


def _deviance(y: np.ndarray, p: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(-2.0 * np.sum(np.where(y == 1, np.log(p), np.log1p(-p))))


def _irls(
    X: np.ndarray, y: np.ndarray, link: str, tol: float, maxiter: int
) -> tuple[np.ndarray, int]:
    r"""Binomial maximum likelihood by iteratively reweighted least squares, as R ``glm``.

    Each step is a weighted least-squares fit of the working response
    :math:`z = \eta + (y - \mu)/\mu'(\eta)` with weights
    :math:`\mu'(\eta)^2/(\mu(1-\mu))`, solved by the least-squares kernel
    (:func:`~massincidents.core.least_squares.least_squares`: equilibrated
    columns, so the path does not depend on the units of the regressors).
    The start is R's (:math:`\mu = (y + 1/2)/2`, free of :math:`X`); iterations
    stop when the deviance changes by less than ``tol`` relative
    (:math:`|D - D_{old}| / (|D| + 0.1)`, R's criterion) twice in a row; a step
    that makes the deviance non-finite or larger is halved.
    """
    eta = _link_of_mean((y + 0.5) / 2.0, link)
    beta = np.zeros(X.shape[1])
    deviance = np.inf
    quiet = 0
    for iteration in range(1, maxiter + 1):
        mu, slope = _mean_and_slope(eta, link)
        with np.errstate(divide="ignore", invalid="ignore"):
            weights = slope**2 / (mu * (1.0 - mu))
            z = eta + (y - mu) / slope
        ok = np.isfinite(weights) & np.isfinite(z) & (weights > 0)
        new_beta = least_squares(X[ok], z[ok], weights[ok], warn=False).beta
        new_dev = _deviance(y, _mean_and_slope(X @ new_beta, link)[0])
        for _ in range(40):
            if np.isfinite(new_dev) and (iteration == 1 or new_dev <= deviance * (1 + 1e-12)):
                break
            new_beta = (new_beta + beta) / 2.0
            new_dev = _deviance(y, _mean_and_slope(X @ new_beta, link)[0])
        change = abs(new_dev - deviance) / (abs(new_dev) + 0.1) if np.isfinite(deviance) else 1.0
        beta, deviance, eta = new_beta, new_dev, X @ new_beta
        quiet = quiet + 1 if change < tol else 0
        if quiet >= 2 or change == 0.0:
            return beta, iteration
    raise ConvergenceError(
        f"the discrete-time hazard likelihood did not converge in {maxiter} IRLS steps"
    )


def discrete_hazard(
    data: pd.DataFrame,
    *,
    unit: str,
    time: str,
    event: str,
    formula_rhs: str = "1",
    link: Link = "logit",
    duration: Literal["dummies", "spline"] = "dummies",
    df: int = 4,
    fixed_effects: str | Sequence[str] | None = None,
    entry: str | None = None,
    layout: Literal["auto", "person-period", "spells"] = "auto",
    vcov: VcovChoice | None = None,
    tol: float = 1e-12,
    maxiter: int = 200,
    ssc: str | SmallSample | None = None,
) -> Result:
    r"""Discrete-time hazard regression (person-period logit or complementary log-log).

    .. math::

        h_{it} = F\big(\alpha(t) + x_{it}'\beta + \textstyle\sum_m
            \gamma^{(m)}_{g_m(i)}\big), \qquad
        \ell = \sum_{i}\sum_{t \in R_i} y_{it}\log h_{it} + (1 - y_{it})\log(1 - h_{it}),

    :math:`R_i` the periods unit :math:`i` is at risk and :math:`y_{it}` 1 in
    the period of its event.

    Parameters
    ----------
    data
        Person-period rows (one per unit and period at risk, ``event`` 1 in
        the period of the event), or spells (one row per unit, ``time`` the
        period of the event or censoring), see ``layout``.
    unit
        Unit (spell) identifier.
    time
        Period number (1 = first period at risk); for spells the duration.
    event
        Event indicator (0/1).
    formula_rhs
        Covariates, ``"x1 + x2"`` (formulaic; time-varying in person-period
        data); the intercept is implicit.
        Terms are evaluated as Python expressions (``np`` in scope): pass only trusted formulas.
    link
        ``"logit"`` (odds ratios) or ``"cloglog"`` (grouped proportional
        hazards: hazard ratios of the continuous-time model).
    duration
        Baseline :math:`\alpha(t)`: ``"dummies"`` (one per period, the first
        period is the reference; periods without events, or where every unit
        has the event, are left out and reported, since their dummy diverges)
        or ``"spline"`` (cubic B-spline with ``df`` degrees of freedom, knots at
        quantiles of :math:`t` over the person-period rows, as R
        ``splines::bs(t, df = df)``).
    df
        Degrees of freedom of the spline.
    fixed_effects
        Column(s) entered as dummy variables (first level the reference);
        groups without any event are left out and reported. The estimates
        are unconditional ML with the group effects as parameters, so with
        few periods per group they suffer the incidental-parameter bias.
    entry
        Spells only: periods survived before observation starts (left
        truncation); rows start at ``entry + 1``.
    layout
        ``"person-period"``, ``"spells"`` (expanded by :func:`person_period`)
        or ``"auto"``: spells when every unit has one row and some ``time``
        exceeds 1, else person-period rows (the choice is printed in
        ``notes``).
    vcov
        Variance menu, on the person-period rows. ``"iid"`` (default) is the
        inverse expected information, ``vcov(glm(...))``; ``{"CRV1": unit}``
        clusters by unit, :math:`G/(G-1)` as ``sandwich::vcovCL(fit,
        cluster = ~unit, type = "HC0")``. The likelihood factorises over
        periods, so the iid variance is valid for single spells.
    tol, maxiter
        IRLS convergence: the deviance changes by less than ``tol`` relative
        (R ``glm``'s criterion) in two successive steps; at most ``maxiter``
        steps. Each step is a weighted least-squares solve by the kernel
        :func:`~massincidents.core.least_squares.least_squares`, so the
        estimates do not depend on the units of the covariates.
    ssc
        Small-sample convention, ``"R"`` (default) or ``"stata"``
        (``logit``/``cloglog`` with ``vce(cluster unit)`` is ``{"CRV1":
        unit}`` under both; only the label changes, see
        :mod:`massincidents.survival.conventions`).

    Returns
    -------
    Result
        Terms: ``Intercept``, the baseline (``time[2]``, ... or
        ``bs(time)[1..df]``), the covariates, the fixed-effect dummies
        (``C(group)[T.level]``). ``stats``: ``loglik``, ``deviance``, ``aic``,
        ``n_units``, ``n_events``, ``n_person_periods``. ``link`` is the link
        (``"cloglog"`` or ``"logit"``).

    Raises
    ------
    DataError
        Negative periods, a period twice in one unit (overlapping intervals),
        rows after a unit's event, event codes other than 0/1, spells with no
        period at risk: each with its unit and row.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=3000)
    >>> t = np.minimum(rng.geometric(1 - np.exp(-np.exp(-2.0 + 0.5 * x))), 12)
    >>> spells = pd.DataFrame({"id": range(3000), "t": t, "d": (t < 12).astype(int), "x": x})
    >>> fit = discrete_hazard(spells, unit="id", time="t", event="d", formula_rhs="x",
    ...                       link="cloglog", layout="spells")
    >>> round(float(fit.params["x"]), 1)
    0.5
    """
    frame = as_frame(data)
    fit_ssc = survival_convention(ssc)
    notes: list[str] = []
    for column in (unit, time, event):
        if column not in frame.columns:
            raise DataError([Problem("column not found in the data", column=column)])
    frame, rows_layout, spell_left_out = _as_person_period(
        frame, unit=unit, time=time, event=event, entry=entry, layout=layout, notes=notes
    )
    fes = [fixed_effects] if isinstance(fixed_effects, str) else list(fixed_effects or [])
    rhs = formula_rhs.strip().lstrip("~").strip() or "1"
    roles = {"_unit": unit, "_time": time, **{f"_fe{j}": c for j, c in enumerate(fes)}}
    design = build_design(f"{event} ~ {rhs}", frame, extra=roles)
    _check_person_period(frame, unit, time, event, design.used)
    if duration not in {"dummies", "spline"}:
        raise ValueError(f"duration is 'dummies' or 'spline', got {duration!r}")
    keep, X_all, names_all, dropped_rows = _hazard_design(design, fes, duration, df, time)
    left_out = {**spell_left_out, **design.left_out}
    for reason, count in dropped_rows.items():
        left_out[reason] = left_out.get(reason, 0) + count
    X, names, dropped = drop_collinear(X_all, names_all)
    y = design.y[keep]
    used = design.used.copy()
    used[np.flatnonzero(design.used)[~keep]] = False
    if not (y == 1).any():
        raise DataError(
            [Problem("no event in the data: the hazard is not identified", column=event)]
        )

    _check_link(link)
    beta, iterations = _irls(X, y, link, tol, maxiter)
    eta = X @ beta
    p, revcov = _probabilities_and_variance(X, y, eta, link, frame, used, fit_ssc)
    matrix, dfi, label = revcov(vcov if vcov is not None else "iid")
    loglik = float(np.sum(y * np.log(p) + (1 - y) * np.log1p(-p)))
    units = np.asarray(design.extra["_unit"])[keep]
    return Result(
        model=f"Discrete-time hazard ({link}, duration {duration})",
        formula=f"{event} ~ {rhs}",
        params=pd.Series(beta, index=names),
        vcov=pd.DataFrame(matrix, index=names, columns=names),
        vcov_label=label,
        df_inference=dfi,
        nobs=len(y),
        left_out=left_out,
        fixed_effects=tuple(fes),
        link=link,
        stats={
            "loglik": loglik,
            "deviance": -2.0 * loglik,
            "aic": -2.0 * loglik + 2.0 * len(names),
            "n_units": float(len(pd.unique(units))),
            "n_events": float(y.sum()),
            "n_person_periods": float(len(y)),
            "iterations": float(iterations),
        },
        dropped={name: "collinear" for name in dropped},
        notes=notes,
        vcov_ssc=fit_ssc,
        extra={"layout": rows_layout, "duration": duration, "ssc": fit_ssc},
        _revcov=revcov,
        _prediction=Prediction(
            link=link,
            eta=eta,
            y=y,
            refuse_newdata="discrete-time hazards predict on the estimation sample only "
            "(newdata=None): the baseline needs the person-period rows of the fit",
        ),
    )


def _as_person_period(
    frame: pd.DataFrame,
    *,
    unit: str,
    time: str,
    event: str,
    entry: str | None,
    layout: str,
    notes: list[str],
) -> tuple[pd.DataFrame, str, dict[str, int]]:
    """Person-period rows (spells expanded), the layout, and the spells left out.

    ``layout="auto"`` is resolved (spells when every unit has one row and
    some ``time`` exceeds 1), and the choice added to ``notes``.
    """
    if layout == "auto":
        one_row = not frame[unit].duplicated().any()
        layout = "spells" if one_row and (pd.to_numeric(frame[time]) > 1).any() else "person-period"
        notes.append(f"layout inferred: {layout} (pass layout= to choose)")
    if layout == "spells":
        frame = person_period(frame, unit=unit, duration=time, event=event, entry=entry, time=time)
        return frame, layout, dict(frame.attrs.get("left_out", {}))
    if layout == "person-period":
        if entry is not None:
            raise ValueError("entry= applies to spells; person-period rows start where they start")
        return frame, layout, {}
    raise ValueError(f"layout is 'auto', 'person-period' or 'spells', got {layout!r}")


def _hazard_design(
    design: Design, fes: list[str], duration: str, df: int, time: str
) -> tuple[np.ndarray, np.ndarray, list[str], dict[str, int]]:
    """Rows kept, the columns (intercept, baseline, covariates, FE dummies) and their names.

    Rows of periods or groups whose dummy would diverge are left out
    (:func:`_uninformative`); the last element counts them by reason.
    """
    t = np.asarray(design.extra["_time"], dtype=float)
    fe_values = {c: np.asarray(design.extra[f"_fe{j}"], dtype=object) for j, c in enumerate(fes)}
    keep, dropped_rows = _uninformative(
        t, design.y, list(fe_values.values()), duration == "dummies"
    )
    base, base_names = _duration_terms(t[keep], duration, df, time)
    fe_X, fe_names = _fe_dummies({c: v[keep] for c, v in fe_values.items()}, int(keep.sum()))
    X_cov = design.X[keep]
    names_cov = list(design.names)
    intercept = [j for j, n in enumerate(names_cov) if n == "Intercept"]
    others = [j for j in range(len(names_cov)) if j not in intercept]
    X_all = np.hstack([X_cov[:, intercept], base, X_cov[:, others], fe_X])
    names_all = (
        [names_cov[j] for j in intercept] + base_names + [names_cov[j] for j in others] + fe_names
    )
    return keep, X_all, names_all, dropped_rows


def _probabilities_and_variance(
    X: np.ndarray,
    y: np.ndarray,
    eta: np.ndarray,
    link: str,
    frame: pd.DataFrame,
    used: np.ndarray,
    fit_ssc: SmallSample,
) -> tuple[np.ndarray, ConventionVariance]:
    """Fitted hazards and the variance menu (bread: the inverse expected information)."""
    p, slope = _mean_and_slope(eta, link)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = slope / (p * (1.0 - p))
    information = (X * (slope * w)[:, None]).T @ X
    bread = inverse_symmetric(information)
    scores = X * ((y - p) * w)[:, None]
    revcov = convention_revcov(
        make_revcov(
            frame=frame, used=used, bread=bread, scores=scores, n_params=X.shape[1], fe=[], fe_dof=0
        ),
        fit_ssc,
    )
    return p, revcov

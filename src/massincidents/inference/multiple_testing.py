r"""Multiple testing: Romano-Wolf step-down, Holm and Benjamini-Hochberg.

When :math:`S` hypotheses :math:`H_s: \beta_s = 0` are tested, each at level
:math:`\alpha`, the chance of at least one false rejection (the family-wise
error rate, FWER) grows with :math:`S`. Holm (1979) controls it under any
dependence but ignores the correlation between the tests; Romano and Wolf
(2005, 2016) use the joint bootstrap distribution of the statistics and so
reject more when the tests are correlated (outcomes of one panel, one
coefficient in several specifications), still with strong FWER control.
Benjamini and Hochberg (1995) control the false discovery rate instead.

Romano-Wolf step-down (Romano and Wolf 2016, algorithm 2.8, as Stata's
``rwolf`` and pyfixest's ``rwolf``). Let :math:`t_s` be the statistics and
:math:`t^*_{b,s}` their bootstrap versions under the null, :math:`b = 1,
\dots, B`, computed from the *same* draw for every hypothesis. Order the
hypotheses so that :math:`|t_{(1)}| \ge \dots \ge |t_{(S)}|` and let

.. math::

    \max{}^*_{b,k} = \max_{j \ge k} |t^*_{b,(j)}|, \qquad
    \tilde p_{(k)} = \frac{1}{B}\,\#\{b : \max{}^*_{b,k} > |t_{(k)}|\},

the adjusted p-values being made monotone in the step-down order:

.. math::

    p^{RW}_{(1)} = \tilde p_{(1)}, \qquad
    p^{RW}_{(k)} = \max\big(\tilde p_{(k)},\, p^{RW}_{(k-1)}\big).

Rejecting :math:`H_s` when :math:`p^{RW}_s \le \alpha` controls the FWER at
:math:`\alpha` asymptotically. The unadjusted bootstrap p-value is
:math:`p_s = \#\{b : |t^*_{b,s}| > |t_s|\}/B`, so :math:`p^{RW}_s \ge p_s`.
Ties (:math:`|t^*| = |t|` to a relative :math:`10^{-10}`, as the draws
:math:`v = \pm 1` give exactly) are not counted, as ``boottest`` and
:func:`~massincidents.inference.bootstrap.wild_bootstrap`. With
``plus_one=True`` the p-values are :math:`(\#\{b : \cdot \ge |t|\} + 1)/(B+1)`
instead (ties counted), the default of Stata's ``rwolf`` (Clarke, Romano and
Wolf 2020) and pyfixest's ``rwolf``.

The bootstrap statistics come from
:mod:`massincidents.inference.bootstrap`: the WCR bootstrap-t for least squares
(CRV1 t by the bootstrap cluster, null imposed) and the score bootstrap of
Kline and Santos (2012) with the null imposed for Poisson models. One matrix
of cluster weights :math:`v` (Rademacher or Webb; all :math:`2^G` sign vectors
when :math:`2^G \le B`) serves every model, which is what makes the draws
joint. Holm and Benjamini-Hochberg (:func:`adjust_pvalues`) are applied to
the unadjusted bootstrap p-values of the same family.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from massincidents.errors import DataError, Problem
from massincidents.inference.bootstrap import (
    _TIE,
    BOOTSTRAP_KEY,
    LeastSquaresData,
    ScoreData,
    bootstrap_weights,
    null_statistics,
)
from massincidents.inference.conventions import SmallSample

__all__ = ["RomanoWolfResult", "adjust_pvalues", "romano_wolf", "step_down_pvalues"]

Method = Literal["holm", "bh", "bonferroni"]
_METHODS = ("holm", "bh", "bonferroni")
# Labels of results that did not record their variance choice (Result.vcov_spec):
# "CRV1 by province", "CRV1 by province & year (G = min)", "CRV1 by province; ssc=stata".
# The kind never contains " by ", so the first " by " ends it; the column names may.
_CLUSTERED = re.compile(r"^(?:CRV1|CRV0|CV3|CR3|jackknife)\b[^;]*? by (?P<clusters>.+)$", re.S)
# below this many clusters the 2^G Rademacher draws are too coarse (MacKinnon and Webb 2017)
_FEW_FOR_RADEMACHER = 12
_SUFFIXES = re.compile(r"(?:; ssc=[^;]*| \(G = min\))+$")


# -- Holm, Benjamini-Hochberg, Bonferroni ------------------------------------------------
def adjust_pvalues(
    pvalues: pd.Series | Sequence[float] | np.ndarray, method: Method = "holm"
) -> pd.Series:
    r"""Holm, Benjamini-Hochberg or Bonferroni adjusted p-values, as R's ``p.adjust``.

    With :math:`m` p-values sorted increasingly :math:`p_{(1)} \le \dots \le p_{(m)}`:

    .. math::

        \text{holm: } \tilde p_{(i)} = \max_{j \le i} \min\{1, (m - j + 1)\,p_{(j)}\},
        \qquad
        \text{bh: } \tilde p_{(i)} = \min_{j \ge i} \min\{1, \tfrac{m}{j}\,p_{(j)}\},
        \qquad
        \text{bonferroni: } \tilde p_i = \min(1, m\,p_i).

    Holm and Bonferroni control the family-wise error rate under any
    dependence; Benjamini-Hochberg controls the false discovery rate for
    independent or positively dependent tests. Missing values stay missing and
    are not counted in :math:`m` (as ``p.adjust``).

    Parameters
    ----------
    pvalues
        The unadjusted p-values (a Series keeps its index).
    method
        ``"holm"``, ``"bh"`` (Benjamini-Hochberg) or ``"bonferroni"``.

    Returns
    -------
    pandas.Series
        Adjusted p-values aligned with the input.

    Raises
    ------
    ValueError
        For an unknown method or a p-value outside :math:`[0, 1]`.

    Examples
    --------
    >>> import massincidents as mi
    >>> p = [0.01, 0.04, 0.03, 0.005]
    >>> mi.adjust_pvalues(p, "holm").tolist()
    [0.03, 0.06, 0.06, 0.02]
    >>> mi.adjust_pvalues(p, "bh").round(4).tolist()
    [0.02, 0.04, 0.04, 0.02]
    """
    method_name = str(method).lower()
    if method_name not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(_METHODS)}; got {method!r}")
    if isinstance(pvalues, pd.Series):
        series = pvalues.astype(float)
    else:
        array = np.asarray(pvalues, dtype=float)
        if array.ndim > 1:
            raise ValueError(
                f"pvalues must be one-dimensional (a list, array or Series); got shape "
                f"{array.shape}: choose the family and pass it as one column"
            )
        series = pd.Series(array.ravel())
    p = series.to_numpy(dtype=float)
    known = ~np.isnan(p)
    if np.any((p[known] < 0) | (p[known] > 1)):
        bad = p[known][(p[known] < 0) | (p[known] > 1)]
        raise ValueError(f"p-values must lie in [0, 1]; got {bad[:5].tolist()}")
    out = np.full_like(p, np.nan)
    q = p[known]
    m = q.size
    if m:
        order = np.argsort(q, kind="mergesort")
        ranked = q[order]
        i = np.arange(1, m + 1)
        if method_name == "holm":
            adjusted = np.maximum.accumulate(np.minimum(1.0, (m - i + 1) * ranked))
        elif method_name == "bh":
            adjusted = np.minimum.accumulate((m / i * ranked)[::-1])[::-1]
            adjusted = np.minimum(1.0, adjusted)
        else:
            adjusted = np.minimum(1.0, m * ranked)
        back = np.empty(m)
        back[order] = adjusted
        out[known] = back
    return pd.Series(out, index=series.index, name=series.name)


# -- the step-down ------------------------------------------------------------------------------
def _exceed(stat: np.ndarray | float, draws: np.ndarray, plus_one: bool) -> np.ndarray:
    """p-values of ``|stat|`` against ``draws`` (B x k, or B), column by column."""
    draws = np.asarray(draws, dtype=float)
    B = draws.shape[0]
    stat = np.abs(np.asarray(stat, dtype=float))
    if plus_one:  # ties counted, Stata's rwolf and pyfixest
        count = np.sum(draws >= stat * (1.0 - _TIE), axis=0)
        return np.asarray((count + 1.0) / (B + 1.0))
    count = np.sum(draws > stat * (1.0 + _TIE) + 1e-300, axis=0)
    return np.asarray(count / B)


def step_down_pvalues(
    statistics: np.ndarray | Sequence[float],
    distribution: np.ndarray,
    *,
    plus_one: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Romano-Wolf step-down adjusted p-values from joint bootstrap statistics.

    Parameters
    ----------
    statistics
        The :math:`S` test statistics :math:`t_s` (two-sided: only
        :math:`|t_s|` matters).
    distribution
        Their bootstrap versions under the null, shape (B, S), row :math:`b`
        from one draw for all hypotheses. Non-finite draws never exceed.
    plus_one
        ``False``: :math:`\#\{>\}/B`, ties not counted (boottest).
        ``True``: :math:`(\#\{\ge\} + 1)/(B + 1)` (Stata rwolf, pyfixest).

    Returns
    -------
    adjusted, unadjusted
        Romano-Wolf p-values and the single-test bootstrap p-values, in the
        order of ``statistics``.

    Examples
    --------
    >>> import numpy as np
    >>> draws = np.array([[0.5, 0.1], [2.5, 0.2], [0.3, 3.0], [1.0, 1.5]])
    >>> adjusted, single = step_down_pvalues([2.0, 1.2], draws)
    >>> single.tolist(), adjusted.tolist()
    ([0.25, 0.5], [0.5, 0.5])
    """
    t = np.abs(np.asarray(statistics, dtype=float)).ravel()
    T = np.abs(np.asarray(distribution, dtype=float))
    if T.ndim != 2 or T.shape[1] != t.size:
        raise ValueError(f"distribution must have shape (B, {t.size}); got {T.shape}")
    T = np.where(np.isfinite(T), T, -np.inf)
    order = np.argsort(-t, kind="mergesort")  # largest |t| first
    # max over the hypotheses not yet rejected: a running max from the right
    running = np.maximum.accumulate(T[:, order][:, ::-1], axis=1)[:, ::-1]
    raw = np.array(
        [_exceed(t[order[k]], running[:, k], plus_one) for k in range(t.size)], dtype=float
    ).ravel()
    adjusted = np.empty(t.size)
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(raw))
    unadjusted = _exceed(t, T, plus_one).astype(float)
    return adjusted, unadjusted


# -- the result -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RomanoWolfResult:
    """Outcome of :func:`romano_wolf`.

    Attributes
    ----------
    table
        One row per hypothesis: ``model``, ``term``, ``estimate``,
        ``statistic`` (the bootstrap's: CRV1 t by the cluster for least
        squares, the score statistic for Poisson), ``method``, ``p_boot``
        (unadjusted bootstrap p-value), ``p_rw`` (Romano-Wolf), ``p_holm`` and
        ``p_bh`` (Holm and Benjamini-Hochberg applied to ``p_boot``).
    reps
        Draws used (:math:`2^G` under enumeration).
    weights
        ``"rademacher"`` or ``"webb"``.
    enumerated
        True when all :math:`2^G` Rademacher sign vectors were used.
    seed
        Integer seed of the draws (``None`` under enumeration or for a Generator).
    cluster
        The bootstrap cluster column.
    n_clusters
        Clusters :math:`G` in the union of the models' samples.
    plus_one
        The p-value convention (see the module docstring).
    distribution
        Bootstrap statistics, shape (B, S), columns in the order of ``table``.
    notes
        Remarks (models covering only some clusters, statistics that differ
        from the models' own variance).

    Examples
    --------
    >>> import massincidents as mi
    >>> df = mi.datasets.simulate_panel(n_provinces=10, n_years=8, seed=3)
    >>> fits = [mi.linear("y_linear ~ x1 + x2 | province + year", df),
    ...         mi.linear("y_linear ~ x1 | province + year", df)]
    >>> rw = mi.romano_wolf(fits, "x1", reps=9999)
    >>> rw.enumerated, rw.reps
    (True, 1024)
    """

    table: pd.DataFrame
    reps: int
    weights: str
    enumerated: bool
    seed: int | None
    cluster: str
    n_clusters: int
    plus_one: bool
    distribution: np.ndarray = field(repr=False, compare=False)
    notes: tuple[str, ...] = ()

    @property
    def settings(self) -> dict[str, Any]:
        """The settings of the run (to report next to the table)."""
        return {
            "reps": self.reps,
            "weights": self.weights,
            "draws": "enumeration" if self.enumerated else "random",
            "seed": self.seed,
            "cluster": self.cluster,
            "n_clusters": self.n_clusters,
            "plus_one": self.plus_one,
        }

    def summary(self) -> str:
        """A plain-text report: the settings line and the table."""
        draws = (
            f"all {self.reps} Rademacher sign vectors (enumeration)"
            if self.enumerated
            else f"{self.reps} {self.weights} draws (seed {self.seed})"
        )
        head = (
            f"Romano-Wolf step-down, {len(self.table)} hypotheses (H0: coefficient = 0), "
            f"{self.n_clusters} clusters by {self.cluster}, {draws}"
        )
        shown = self.table.drop(columns="method")
        body = shown.to_string(index=False, float_format=lambda x: f"{x:.4f}")
        return "\n".join([head, body, *self.notes])

    def __repr__(self) -> str:
        return self.summary()


# -- inputs ---------------------------------------------------------------------------------------
def _named_results(results: Any) -> list[tuple[str, Any]]:
    if isinstance(results, Mapping):
        return [(str(k), v) for k, v in results.items()]
    if hasattr(results, "params") and hasattr(results, "extra"):
        return [("(1)", results)]
    if isinstance(results, Sequence) and not isinstance(results, str | bytes):
        return [(f"({i + 1})", r) for i, r in enumerate(results)]
    raise TypeError(
        "results must be a Result, a list of Results or a dict {name: Result}; "
        f"got {type(results).__name__}"
    )


def _terms_per_model(terms: Any, named: list[tuple[str, Any]]) -> list[list[str]]:
    """``terms`` as one list per model (a str or list of str applies to every model)."""
    if isinstance(terms, str):
        return [[terms] for _ in named]
    if isinstance(terms, Mapping):
        unknown = [k for k in terms if k not in {name for name, _ in named}]
        if unknown:
            raise ValueError(
                f"terms names models {unknown} that are not among the results "
                f"({', '.join(name for name, _ in named)})"
            )
        out = []
        for name, _ in named:
            entry = terms.get(name, [])
            out.append([entry] if isinstance(entry, str) else list(entry))
        return out
    items = list(terms)
    if all(isinstance(t, str) for t in items):
        return [list(items) for _ in named]
    if len(items) != len(named):
        raise ValueError(
            f"terms per model must give one entry (a term or a list of terms) per result: "
            f"{len(items)} entries for {len(named)} results"
        )
    return [[t] if isinstance(t, str) else list(t) for t in items]


def _model_clusters(result: Any, cluster: str | None = None) -> tuple[str, ...] | None:
    """The cluster columns of the result's own variance, ``None`` when not clustered.

    Read from the parsed choice the result recorded (``Result.vcov_spec``);
    for results that did not record it, from ``vcov_label``, where a
    column name is taken whole when it is the requested ``cluster``.
    """
    spec = getattr(result, "vcov_spec", None)
    if spec is not None:
        clusters = tuple(getattr(spec, "clusters", ()) or ())
        return clusters if clusters and getattr(spec, "kind", "") != "DK" else None
    match = _CLUSTERED.match(str(getattr(result, "vcov_label", "")))
    if match is None:
        return None
    named = _SUFFIXES.sub("", match["clusters"])
    if cluster is not None and named == cluster:
        return (cluster,)
    return tuple(c.strip() for c in named.split(" & "))


def _model_kind(result: Any) -> str | None:
    """The kind of the result's own variance (``"CRV1"``, ``"CRV0"``, ...), if known."""
    spec = getattr(result, "vcov_spec", None)
    if spec is not None:
        return str(getattr(spec, "kind", "")) or None
    label = str(getattr(result, "vcov_label", "")).strip()
    return label.split(" ", 1)[0] if _CLUSTERED.match(label) else None


def _resolve_cluster(cluster: str | None, named: list[tuple[str, Any]]) -> str:
    if cluster is not None:
        return cluster
    found = {tuple(c) for _, r in named if (c := _model_clusters(r)) is not None}
    if len(found) == 1 and len(next(iter(found))) == 1:
        return next(iter(found))[0]
    raise ValueError(
        "give cluster=: the bootstrap draws one weight per cluster for all models at once, "
        "and the models' own variances do not name one common cluster column"
        + (f" (they name {sorted(' & '.join(c) for c in found)})" if found else "")
    )


# -- the public function ----------------------------------------------------------------------
def romano_wolf(
    results: Any,
    terms: str | Sequence[str] | Sequence[str | Sequence[str]] | Mapping[str, Any],
    *,
    cluster: str | None = None,
    reps: int = 9999,
    weights: str = "rademacher",
    seed: int | np.random.Generator | None = None,
    plus_one: bool = False,
) -> RomanoWolfResult:
    r"""Romano-Wolf step-down p-values over several models and terms, with joint draws.

    Tests :math:`H_s: \beta_s = 0` (two-sided) for every requested
    (model, term) pair. One matrix of cluster weights drives the bootstrap of
    every model: the WCR bootstrap-t for least-squares results, the score
    bootstrap (null imposed) for Poisson results, each exactly as
    :func:`~massincidents.inference.bootstrap.wild_bootstrap` computes it. The
    step-down, Holm and Benjamini-Hochberg p-values are in the module
    docstring.

    Parameters
    ----------
    results
        A :class:`~massincidents.results.Result`, a list of them (named
        ``"(1)"``, ``"(2)"``, ...) or a dict ``{name: Result}``. Each must carry
        bootstrap data (least squares or Poisson).
    terms
        The coefficients to test: a term, or a list of terms, tested in every
        model; or one entry per result (a list whose entries are terms or lists
        of terms, or a dict ``{name: term(s)}``).
    cluster
        Column of the data to draw weights by, common to all models; by
        default the cluster of the models' own variance when they all name the
        same one. A model clustered by another column is refused.
    reps
        Draws :math:`B`. Rademacher weights with :math:`2^G \le B` are
        enumerated instead (all :math:`2^G` sign vectors, deterministic).
    weights
        ``"rademacher"`` (default) or ``"webb"``.
    seed
        Integer seed or numpy Generator. The same seed gives the same draws,
        hence the same p-values. ``None`` draws a fresh seed, reported in the
        result.
    plus_one
        p-value convention: ``False`` (default) :math:`\#\{>\}/B` as
        ``boottest`` and ``wild_bootstrap``; ``True``
        :math:`(\#\{\ge\}+1)/(B+1)` as Stata's ``rwolf`` and pyfixest's ``rwolf``.

    Returns
    -------
    RomanoWolfResult
        ``.table`` (model, term, estimate, statistic, p_boot, p_rw, p_holm,
        p_bh), ``.settings``, ``.distribution``.

    Raises
    ------
    massincidents.DataError
        A term missing from a model (every one named), a model without
        bootstrap data, a model clustered by another column, a cluster column
        missing from a model's data.

    Notes
    -----
    Models may use different samples (outcomes with different gaps): each
    model uses the weights of the clusters in its own sample, so a draw is
    still one weight per cluster for all models. Clusters are matched by their
    values, so the models must come from data that code the cluster column the
    same way. The statistic is the bootstrap's: for least squares the CRV1 t
    by ``cluster`` with the model's own small-sample convention (``ssc=``,
    or none for a ``CRV0`` model), so it equals the model's t when the model
    is clustered by ``cluster`` (otherwise it differs, as ``.notes`` says); for Poisson the score
    statistic with the null imposed. The step-down compares statistics
    across models, so a different small-sample factor per model changes the
    Romano-Wolf p-values (not the unadjusted ones): pyfixest's ``rwolf``
    counts every fixed-effect dummy in :math:`K` (fit with
    ``ssc=mi.ssc(fixef_k="full")`` to reproduce it), the package's default
    leaves out fixed effects nested in the clusters.

    Examples
    --------
    >>> import massincidents as mi
    >>> import numpy as np
    >>> df = mi.datasets.simulate_panel(n_provinces=31, n_years=8, seed=1)
    >>> df["z"] = np.random.default_rng(0).normal(size=len(df)) + 0.2 * df["x1"]
    >>> fits = {"linear": mi.linear("y_linear ~ x1 + z | province + year", df),
    ...         "counts": mi.poisson("y ~ x2 + z | province + year", df)}
    >>> rw = mi.romano_wolf(fits, {"linear": ["x1", "z"], "counts": ["x2", "z"]},
    ...                     reps=999, seed=1)
    >>> columns = ["model", "term", "statistic", "p_boot", "p_rw", "p_holm", "p_bh"]
    >>> print(rw.table[columns].round(3).to_string(index=False))
     model term  statistic  p_boot  p_rw  p_holm  p_bh
    linear   x1      3.538   0.006 0.009   0.024 0.016
    linear    z      1.059   0.299 0.299   0.299 0.299
    counts   x2     -3.138   0.008 0.011   0.024 0.016
    counts    z      2.202   0.022 0.047   0.044 0.029
    >>> rw.settings["draws"], rw.settings["seed"]
    ('random', 1)
    """
    named = _named_results(results)
    if not named:
        raise ValueError("romano_wolf needs at least one result")
    wanted = _terms_per_model(terms, named)
    cluster = _resolve_cluster(cluster, named)
    datas, labels, notes = _bootstrap_inputs(named, wanted, cluster)
    universe = np.unique(np.concatenate([np.unique(c) for c in labels]))
    G = universe.size
    if G < 2:
        raise DataError([Problem(f"the bootstrap needs at least two clusters; {cluster!r} has {G}",
                                 column=cluster)])
    v, enumerated, used_seed = bootstrap_weights(G, reps, weights, seed)
    if enumerated and G < _FEW_FOR_RADEMACHER:
        step = 2.0 / v.shape[0]
        notes.append(
            f"all {v.shape[0]} Rademacher sign vectors of {G} clusters: the draws come in "
            f"sign-flipped pairs, so the p-values are multiples of {step:.4g} and a p-value of "
            f"0 means below {step:.4g}, not 0; weights='webb' gives finer p-values"
        )
    table, distribution = _model_statistics(
        named, wanted, datas, labels, universe, v, notes
    )
    adjusted, single = step_down_pvalues(
        table["statistic"].to_numpy(), distribution, plus_one=plus_one
    )
    table["p_boot"] = single
    table["p_rw"] = adjusted
    table["p_holm"] = adjust_pvalues(single, "holm").to_numpy()
    table["p_bh"] = adjust_pvalues(single, "bh").to_numpy()
    return RomanoWolfResult(
        table=table,
        reps=int(v.shape[0]),
        weights=weights.lower(),
        enumerated=enumerated,
        seed=used_seed,
        cluster=cluster,
        n_clusters=G,
        plus_one=plus_one,
        distribution=distribution,
        notes=tuple(dict.fromkeys(notes)),
    )


def _bootstrap_inputs(
    named: list[tuple[str, Any]], wanted: list[list[str]], cluster: str
) -> tuple[list[LeastSquaresData | ScoreData], list[np.ndarray], list[str]]:
    """Each model's bootstrap data and cluster labels, or a DataError listing every problem.

    A model must carry bootstrap data (least squares or Poisson), be clustered by
    ``cluster`` (or not clustered: then a note), name each term once and only
    terms it has, and have at least two clusters without missing labels; the
    labels must be of one kind (numbers or text) across models.
    """
    problems: list[Problem] = []
    datas: list[LeastSquaresData | ScoreData] = []
    labels: list[np.ndarray] = []
    notes: list[str] = []
    for (name, result), model_terms in zip(named, wanted, strict=True):
        data = getattr(result, "extra", {}).get(BOOTSTRAP_KEY)
        kind = getattr(result, "model", type(result).__name__)
        if not isinstance(data, LeastSquaresData | ScoreData) or (
            isinstance(data, ScoreData) and data.restricted is None
        ):
            problems.append(
                Problem(
                    f"model {name} ({kind}) carries no bootstrap data: Romano-Wolf needs the "
                    "wild cluster bootstrap (least squares) or the score bootstrap (Poisson)"
                )
            )
            continue
        own = _model_clusters(result, cluster)
        if own is not None and own != (cluster,):
            problems.append(
                Problem(
                    f"model {name} is clustered by {' & '.join(own)}, but the joint bootstrap "
                    f"draws by {cluster!r}: refit it with vcov={{'CRV1': {cluster!r}}} or "
                    "choose another cluster=",
                    column=cluster,
                )
            )
        elif own is None or _model_kind(result) not in {"CRV1", "CRV0"}:
            notes.append(
                f"model {name} has a {getattr(result, 'vcov_label', 'non-cluster')} variance; "
                f"its statistic here is the bootstrap's, CRV1 clustered by {cluster}"
            )
        repeated = sorted({t for t in model_terms if model_terms.count(t) > 1})
        if repeated:
            problems.append(
                Problem(
                    f"model {name}: terms {repeated} are asked for more than once; a "
                    "hypothesis counted twice makes the family larger than it is (Holm, BH)",
                    column=repeated[0],
                )
            )
        for term in model_terms:
            if term not in data.names:
                problems.append(
                    Problem(
                        f"term {term!r} is not a coefficient of model {name} "
                        f"({getattr(result, 'formula', kind)}); its terms: "
                        f"{', '.join(data.names)}",
                        column=term,
                    )
                )
        if not model_terms:
            problems.append(Problem(f"no term to test in model {name}"))
        try:
            column = np.asarray(data.cluster(cluster))
        except (KeyError, ValueError, IndexError):
            problems.append(
                Problem(f"model {name}: the cluster column {cluster!r} is not in its data",
                        column=cluster)
            )
            continue
        if pd.isna(column).any():
            problems.append(
                Problem(f"model {name}: the cluster column has missing values", column=cluster)
            )
            continue
        if np.unique(column).size < 2:
            problems.append(
                Problem(
                    f"model {name}: its rows lie in one cluster of {cluster!r}, so its "
                    "clustered statistic is undefined (its bootstrap would decide every "
                    "adjusted p-value of the family)",
                    column=cluster,
                )
            )
            continue
        datas.append(data)
        labels.append(column)
    kinds = {"numeric" if np.issubdtype(c.dtype, np.number) else "text" for c in labels}
    if len(kinds) > 1:
        problems.append(
            Problem(
                f"the cluster column {cluster!r} holds numbers in some models and text in "
                "others: its values cannot be matched across models",
                column=cluster,
            )
        )
    if problems:
        raise DataError(problems)
    return datas, labels, notes



def _model_statistics(
    named: list[tuple[str, Any]],
    wanted: list[list[str]],
    datas: list[LeastSquaresData | ScoreData],
    labels: list[np.ndarray],
    universe: np.ndarray,
    v: np.ndarray,
    notes: list[str],
) -> tuple[pd.DataFrame, np.ndarray]:
    """The table of estimates and statistics, and the bootstrap statistics (draws x hypotheses).

    Each model uses the columns of ``v`` of the clusters it has (a note when it
    covers only some), and its own small-sample convention, so that its
    statistic is the model's t.
    """
    G = universe.size
    rows: list[dict[str, Any]] = []
    draws: list[np.ndarray] = []
    for (name, result), model_terms, data, column in zip(
        named, wanted, datas, labels, strict=True
    ):
        # the model's own small-sample convention (ssc=), so that the statistic is its t
        # (that of its variance: with_vcov(..., ssc=) records it in vcov_ssc)
        ssc = getattr(result, "vcov_ssc", None)
        if not isinstance(ssc, SmallSample):
            ssc = getattr(result, "extra", {}).get("ssc")
        ssc = ssc if isinstance(ssc, SmallSample) else None
        if isinstance(data, LeastSquaresData) and _model_kind(result) == "CRV0":
            # CRV0: no small-sample factor, so that the statistic is the model's t
            base = ssc if ssc is not None else SmallSample()
            ssc = replace(base, preset="custom", adj=False, cluster_adj=False)
        present, codes = np.unique(column, return_inverse=True)
        if present.size < G:
            notes.append(
                f"model {name} covers {present.size} of the {G} clusters; "
                "the weights of the others do not enter it"
            )
        v_model = v[:, np.searchsorted(universe, present)]
        for term in model_terms:
            estimate, statistic, tstar, method = null_statistics(
                data, data.names.index(term), codes, v_model, ssc
            )
            rows.append(
                {
                    "model": name,
                    "term": term,
                    "estimate": estimate,
                    "statistic": statistic,
                    "method": method,
                }
            )
            draws.append(tstar)
    return pd.DataFrame(rows), np.column_stack(draws)

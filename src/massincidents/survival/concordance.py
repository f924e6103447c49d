r"""Harrell's concordance of a Cox model over risk sets, in :math:`O(n \log n)`.

For each event of row :math:`i` at time :math:`t` and each row :math:`j` at
risk at :math:`t` in the same stratum (rows with a tied event at :math:`t`
excluded), the pair is concordant when :math:`\eta_i > \eta_j` (the row that
failed first had the higher risk), discordant when :math:`\eta_i < \eta_j`,
and tied when they are equal:

.. math::

    C = \frac{n_c + n_t/2}{n_c + n_d + n_t}, \qquad
    n_c, n_d, n_t = \text{concordant, discordant, tied pairs},

as R ``concordance(coxph fit)`` (``timewt = "n"``), which with (start, stop]
data also compares each event with the rows at risk at its time only.

The counts come from a wavelet matrix over the ranks of :math:`\eta`: "how many
of the first :math:`P` rows (ordered by entry, or by exit, position) have
:math:`\eta` below a value" is answered for all events at once in
:math:`\lceil \log_2 n \rceil` vectorised passes.
"""

from __future__ import annotations

import numpy as np

from massincidents.survival.risksets import RiskSets


class _WaveletMatrix:
    """Counts of values below a threshold among the first ``P`` entries of a sequence."""

    def __init__(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=np.int64)
        top = int(values.max()) if values.size else 0
        self.bits = max(1, top.bit_length())
        self.n = values.shape[0]
        self.zeros_before: list[np.ndarray] = []
        self.n_zeros: list[int] = []
        current = values
        for level in range(self.bits):
            bit = (current >> (self.bits - 1 - level)) & 1
            zeros = np.concatenate([[0], np.cumsum(bit == 0)])
            self.zeros_before.append(zeros)
            self.n_zeros.append(int(zeros[-1]))
            current = np.concatenate([current[bit == 0], current[bit == 1]])

    def count_less(self, prefix: np.ndarray, value: np.ndarray) -> np.ndarray:
        """For each query, how many of the first ``prefix`` entries are ``< value``."""
        value = np.asarray(value, dtype=np.int64)
        start = np.zeros_like(value)
        end = np.asarray(prefix, dtype=np.int64).copy()
        count = np.zeros_like(value)
        too_big = value >= (1 << self.bits)
        for level in range(self.bits):
            zeros, nz = self.zeros_before[level], self.n_zeros[level]
            bit = (value >> (self.bits - 1 - level)) & 1
            z_start, z_end = zeros[start], zeros[end]
            one = bit == 1
            count += np.where(one, z_end - z_start, 0)
            start = np.where(one, nz + start - z_start, z_start)
            end = np.where(one, nz + end - z_end, z_end)
        return np.where(too_big, np.asarray(prefix, dtype=np.int64), count)


def _tie_ranks(eta: np.ndarray) -> np.ndarray:
    r"""Dense ranks of ``eta``, values within rounding of each other sharing a rank.

    Rows with the same covariates have the same linear predictor, but ``X @ beta``
    may round them differently in the last bit (BLAS kernels differ between row
    blocks and thread counts). Those would count as untied pairs and move the
    concordance: values closer than :math:`10^{-10}\max(1, |\eta|)` are tied.
    """
    eta = np.asarray(eta, dtype=float).ravel()
    if eta.size == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(eta, kind="stable")
    ordered = eta[order]
    tol = 1e-10 * max(1.0, float(np.abs(ordered[[0, -1]]).max()))
    dense = np.concatenate([[0], np.cumsum(np.diff(ordered) > tol)]).astype(np.int64)
    rank = np.empty_like(dense)
    rank[order] = dense
    return rank


def concordance(rs: RiskSets, eta: np.ndarray) -> dict[str, float]:
    """Concordant, discordant and tied pairs, and Harrell's C, of linear predictor ``eta``.

    Examples
    --------
    >>> import numpy as np
    >>> from massincidents.survival.risksets import build_risk_sets
    >>> rs = build_risk_sets(np.array([1.0, 2, 3]), np.array([1, 1, 0]))
    >>> concordance(rs, np.array([3.0, 2.0, 1.0]))["concordance"]
    1.0
    """
    rank = _tie_ranks(eta)
    deaths, when = rs.death_rows, rs.death_time
    v = rank[deaths]

    # rows at risk at event time j: entered (lo <= j) minus left (hi <= j)
    counters = []
    for key, sign in ((rs.lo, 1), (rs.hi, -1)):
        order = np.argsort(key, kind="stable")
        prefix = np.searchsorted(key[order], when, side="right")
        counters.append((sign, prefix, _WaveletMatrix(rank[order])))

    def at_risk_counts(threshold: np.ndarray) -> np.ndarray:
        total = np.zeros(deaths.shape[0], dtype=np.int64)
        for sign, prefix, wm in counters:
            total += sign * wm.count_less(prefix, threshold)
        return total

    less = at_risk_counts(v)
    less_equal = at_risk_counts(v + 1)
    n_risk = rs.at_risk_sum(np.ones(rs.n)).round().astype(np.int64)[when]
    # remove the tied events at the same time (including the row itself)
    key = when * (rank.max() + 2) + v
    sorted_key = np.sort(key)
    tie_less = np.searchsorted(sorted_key, key, "left") - np.searchsorted(
        sorted_key, when * (rank.max() + 2), "left"
    )
    tie_le = np.searchsorted(sorted_key, key, "right") - np.searchsorted(
        sorted_key, when * (rank.max() + 2), "left"
    )
    d = rs.n_deaths[when]
    conc = less - tie_less
    tied = (less_equal - less) - (tie_le - tie_less)
    disc = (n_risk - less_equal) - (d - tie_le)
    c, t, dd = float(conc.sum()), float(tied.sum()), float(disc.sum())
    total = c + t + dd
    return {
        "concordant": c,
        "discordant": dd,
        "tied": t,
        "concordance": (c + t / 2.0) / total if total > 0 else float("nan"),
    }


def concordance_index(rs: RiskSets, eta: np.ndarray) -> float:
    """Harrell's C alone (:func:`concordance`), the statistic a fit reports."""
    return concordance(rs, eta)["concordance"]


class LazyStats(dict):  # type: ignore[type-arg]
    """A fit's statistics, some computed only when first read.

    ``defer(name, function, *arguments)`` registers a statistic computed as
    ``function(*arguments)`` on first access (``stats[name]``, ``get``,
    iteration over values or items, printing, copying, pickling), then stored.
    The function must be a module-level function and the arguments plain data
    (arrays, risk sets), so that a result holding these statistics pickles.
    Harrell's C of a Cox fit is deferred this way: on a million rows it costs
    more than the fit itself, and most fits never print it.

    Examples
    --------
    >>> stats = LazyStats(loglik=-3.0)
    >>> stats.defer("twice", pow, 2, 1)
    >>> "twice" in stats, stats.pending()
    (True, ['twice'])
    >>> stats["twice"], stats.pending()
    (2, [])
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._deferred: dict[str, tuple] = {}

    def defer(self, name: str, function: object, *arguments: object) -> None:
        """Register ``name`` as ``function(*arguments)``, computed on first access."""
        self._deferred[name] = (function, arguments)
        super().__setitem__(name, float("nan"))  # placeholder: keeps order and membership

    def pending(self) -> list[str]:
        """Names not computed yet."""
        return list(self._deferred)

    def _resolve(self, name: object) -> None:
        entry = self._deferred.pop(name, None) if self._deferred else None  # type: ignore[call-overload]
        if entry is not None:
            function, arguments = entry
            super().__setitem__(name, function(*arguments))

    def _resolve_all(self) -> None:
        for name in list(self._deferred):
            self._resolve(name)

    def __getitem__(self, name: object) -> object:
        self._resolve(name)
        return super().__getitem__(name)

    def get(self, name: object, default: object = None) -> object:
        self._resolve(name)
        return super().get(name, default)

    def __setitem__(self, name: object, value: object) -> None:
        self._deferred.pop(name, None)  # type: ignore[call-overload]
        super().__setitem__(name, value)

    def pop(self, name: object, *default: object) -> object:
        self._resolve(name)
        return super().pop(name, *default)

    def __iter__(self):  # overridden, so that dict(stats) and {**stats} use __getitem__
        return super().__iter__()

    def values(self):
        self._resolve_all()
        return super().values()

    def items(self):
        self._resolve_all()
        return super().items()

    def copy(self) -> LazyStats:
        self._resolve_all()
        return LazyStats(super().items())

    def __repr__(self) -> str:
        self._resolve_all()
        return super().__repr__()

    def __eq__(self, other: object) -> bool:
        self._resolve_all()
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple:
        self._resolve_all()
        return (LazyStats, (dict(super().items()),))

"""plm's pgmm formula grammar.

``"y ~ lag(y, 1:2) + lag(x, 0:1) + z | lag(y, 2:99) | lag(x, 0:1) + z"``

* the part before the first ``|`` is the model: the dependent variable (a
  column name) and regressors, each a column ``x`` (lag 0) or ``lag(x, k)``,
  ``lag(x, a:b)`` (lags ``a`` to ``b``);
* the second part lists the GMM-style instruments ``lag(w, a:b)``: the levels
  of ``w`` lagged ``a`` to ``b`` periods (capped by the data), one column per
  period and lag (or per lag with ``collapse=True``);
* ``C(t)`` in the model, with ``t`` the panel's time column, adds a dummy for
  every period but the first (as fixest's and statsmodels' ``C()``); the
  dummies are their own standard instruments, and those that differencing
  makes zero or collinear are dropped. The time column itself may also be a
  regressor (a linear trend), as in Stata's ``xtabond ... yr1980-yr1984 year``;
* an optional third part lists the standard ("IV-style") instruments, used in
  differences in the differenced equation and in levels in the level
  equation. Without it, as in plm, every regressor whose variable is not a
  GMM-style instrument is its own standard instrument.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = r"[A-Za-z_\u4e00-\u9fff][\w\u4e00-\u9fff.]*"
_LAG = re.compile(rf"^lag\(\s*({_NAME})\s*(?:,\s*(\d+)\s*(?::\s*(\d+))?\s*)?\)$")
_PLAIN = re.compile(rf"^{_NAME}$")
_DUMMIES = re.compile(rf"^C\(\s*({_NAME})\s*\)$")


@dataclass(frozen=True)
class LagTerm:
    """A variable with a range of lags ``first`` to ``last`` (inclusive)."""

    variable: str
    first: int
    last: int

    @property
    def lags(self) -> range:
        """The lags, in order."""
        return range(self.first, self.last + 1)


@dataclass(frozen=True)
class DynamicFormula:
    """A pgmm formula split into its parts.

    Attributes
    ----------
    text
        The formula as given.
    response
        The dependent variable.
    regressors
        The model's terms.
    gmm
        The GMM-style instruments.
    standard
        The standard instruments.
    dummies
        The column whose values get dummies, from ``C(column)`` in the model
        (``None`` without one).
    """

    text: str
    response: str
    regressors: tuple[LagTerm, ...]
    gmm: tuple[LagTerm, ...]
    standard: tuple[LagTerm, ...]
    dummies: str | None = None

    @property
    def names(self) -> list[str]:
        """Coefficient names: ``x`` for lag 0, ``lag(x, k)`` otherwise."""
        return [term_name(t.variable, k) for t in self.regressors for k in t.lags]

    @property
    def columns(self) -> list[str]:
        """Every data column the formula uses."""
        seen: dict[str, None] = {self.response: None}
        for term in (*self.regressors, *self.gmm, *self.standard):
            seen[term.variable] = None
        return list(seen)


def term_name(variable: str, lag: int) -> str:
    """``x`` for lag 0, ``lag(x, k)`` otherwise."""
    return variable if lag == 0 else f"lag({variable}, {lag})"


def _split_terms(part: str) -> list[str]:
    terms, depth, current = [], 0, ""
    for char in part:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "+" and depth == 0:
            terms.append(current.strip())
            current = ""
        else:
            current += char
    terms.append(current.strip())
    return terms


def _parse_term(term: str, text: str) -> LagTerm:
    if _PLAIN.match(term):
        return LagTerm(term, 0, 0)
    match = _LAG.match(term)
    if match is None:
        raise ValueError(
            f"cannot read the term {term!r} in {text!r}: write a column name, "
            "lag(x, k) or lag(x, a:b)"
        )
    variable, first, last = match.groups()
    first_lag = 1 if first is None else int(first)
    last_lag = first_lag if last is None else int(last)
    if last_lag < first_lag:
        raise ValueError(f"lags must increase in {term!r} (write lag(x, a:b) with a <= b)")
    return LagTerm(variable, first_lag, last_lag)


def _parse_part(part: str, text: str, what: str) -> tuple[LagTerm, ...]:
    if not part.strip():
        raise ValueError(f"the formula has an empty {what} part: {text!r}")
    terms = [_parse_term(t, text) for t in _split_terms(part)]
    variables = [t.variable for t in terms]
    repeated = sorted({v for v in variables if variables.count(v) > 1})
    if repeated:
        raise ValueError(
            f"{', '.join(repeated)} appear(s) in more than one {what} term of {text!r}: "
            "give each variable's lags in one term, lag(x, a:b)"
        )
    return tuple(terms)


def parse_dynamic_formula(text: str) -> DynamicFormula:
    """Split a pgmm formula into response, regressors and instruments.

    Parameters
    ----------
    text
        A formula in plm's pgmm grammar.

    Returns
    -------
    DynamicFormula

    Raises
    ------
    ValueError
        When the formula has no ``~``, no GMM-style instruments, more than
        two ``|``, or a term that is neither a column nor ``lag(x, a:b)``.

    Examples
    --------
    >>> f = parse_dynamic_formula("log_emp ~ lag(log_emp, 1:2) + log_wage | lag(log_emp, 2:99)")
    >>> f.names
    ['lag(log_emp, 1)', 'lag(log_emp, 2)', 'log_wage']
    >>> f.gmm
    (LagTerm(variable='log_emp', first=2, last=99),)
    >>> parse_dynamic_formula("n ~ lag(n, 1) + w + C(year) | lag(n, 2:99)").dummies
    'year'
    """
    if not isinstance(text, str) or text.count("~") != 1:
        raise ValueError(f"a formula needs exactly one '~': got {text!r}")
    lhs, right = (p.strip() for p in text.split("~"))
    if not _PLAIN.match(lhs):
        raise ValueError(f"the dependent variable must be a column name: {lhs!r}")
    parts = right.split("|")
    if len(parts) < 2:
        raise ValueError(
            f"GMM needs instruments after '|', as in 'y ~ lag(y, 1) | lag(y, 2:99)': {text!r}"
        )
    if len(parts) > 3:
        raise ValueError(f"the formula has more than two '|': {text!r}")
    model_terms = _split_terms(parts[0])
    dummy_terms = [m.group(1) for t in model_terms if (m := _DUMMIES.match(t))]
    if len(dummy_terms) > 1:
        raise ValueError(f"the model has more than one C() term: {text!r}")
    dummies = dummy_terms[0] if dummy_terms else None
    if dummies is not None:
        rest = [t for t in model_terms if not _DUMMIES.match(t)]
        if not rest:
            raise ValueError(f"the model has no regressor besides C({dummies}): {text!r}")
        parts[0] = " + ".join(rest)
    regressors = _parse_part(parts[0], text, "model")
    gmm = _parse_part(parts[1], text, "GMM-instrument")
    if len(parts) == 3:
        standard = _parse_part(parts[2], text, "standard-instrument")
    else:
        gmm_vars = {t.variable for t in gmm}
        standard = tuple(t for t in regressors if t.variable not in gmm_vars)
    return DynamicFormula(text, lhs, regressors, gmm, standard, dummies)

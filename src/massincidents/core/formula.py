"""The fixest formula grammar: ``"y ~ x1 + x2 | fe1 + fe2"``.

The part before ``|`` is an ordinary Wilkinson formula (evaluated by
formulaic: ``np.log(x)``, ``C(region)``, ``x1:x2`` work); each term after
``|`` names a fixed effect to absorb. ``a^b`` absorbs the interaction of two
columns (one effect per combination), as in fixest.

Categorical terms and reference levels
--------------------------------------
``C(g)`` is a dummy for each level of ``g`` but the first (the reference)
when the model has an intercept *or absorbed fixed effects*;
``C(g, Treatment(r))`` makes ``r`` the reference. With fixed effects the
coding is that of the same model with the fixed effects entered as dummies
(as R ``lm`` and fixest code it), so the coefficients are the same.

fixest's ``i()`` (:mod:`massincidents.core.interactions`), for event studies:

=========================  ==================================================
``i(rel)``                 a dummy per level of ``rel`` (the first is the
                           reference when there is an intercept or fixed
                           effects, as ``C(rel)``)
``i(rel, ref=-1)``         a dummy per level but -1; ``ref=[-1, -5]`` leaves
                           out both (fixest's ``ref = c(-1, -5)``)
``i(rel, x, ref=-1)``      each of those dummies times the numeric column
                           ``x`` (fixest's ``i(factor_var, var, ref)``); every
                           level when ``ref`` is not given
=========================  ==================================================

Columns are named as in fixest and pyfixest (``rel::-3``, ``rel::0:treated``),
levels ordered as numbers when they are numbers (-3, -2, 0, 1). Rows where
``rel`` (or ``x``) is missing are left out and counted, as for any variable.
``i()`` mixes with other terms: ``"y ~ i(rel, ref=-1) + x | unit + year"``.

Examples
--------
>>> import pandas as pd
>>> from massincidents.core.design import build_design
>>> d = pd.DataFrame({"y": [1.0, 2, 3, 4, 5, 7], "rel": [-2, -1, 0, -2, -1, 0],
...                   "treated": [1, 1, 1, 0, 0, 0]})
>>> build_design("y ~ i(rel, ref=-1)", d).names
['Intercept', 'rel::-2', 'rel::0']
>>> build_design("y ~ i(rel, treated, ref=-1)", d).names
['Intercept', 'rel::-2:treated', 'rel::0:treated']
>>> build_design("y ~ C(rel, Treatment(-1)) | treated", d).names
['C(rel, Treatment(-1))[T.-2]', 'C(rel, Treatment(-1))[T.0]']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = re.compile(r"^[A-Za-z_\u4e00-\u9fff][\w\u4e00-\u9fff.]*$")


@dataclass(frozen=True)
class ParsedFormula:
    """A formula split into its parts.

    Attributes
    ----------
    text
        The formula as given.
    lhs
        The dependent variable expression.
    rhs
        The regressors, as a formulaic right-hand side (may be ``"1"``).
    fixed_effects
        Each absorbed effect as a tuple of column names (``("province",)``,
        or ``("province", "year")`` for ``province^year``).
    """

    text: str
    lhs: str
    rhs: str
    fixed_effects: tuple[tuple[str, ...], ...]

    @property
    def fe_names(self) -> tuple[str, ...]:
        """Fixed effects as written (``"province"``, ``"province^year"``)."""
        return tuple("^".join(fe) for fe in self.fixed_effects)

    @property
    def fe_columns(self) -> tuple[str, ...]:
        """Every data column the fixed effects use."""
        seen: dict[str, None] = {}
        for fe in self.fixed_effects:
            for column in fe:
                seen[column] = None
        return tuple(seen)


def parse_formula(text: str) -> ParsedFormula:
    """Split ``"y ~ x1 + x2 | fe1 + fe2"`` into its parts.

    Parameters
    ----------
    text
        A formula in fixest's grammar.

    Returns
    -------
    ParsedFormula

    Raises
    ------
    ValueError
        When there is no ``~``, more than one ``|``, an empty side, or a fixed
        effect that is not a plain column name.

    Examples
    --------
    >>> f = parse_formula("strikes ~ log(gdp) + unemployment | province + year")
    >>> f.lhs, f.rhs, f.fe_names
    ('strikes', 'log(gdp) + unemployment', ('province', 'year'))
    """
    if not isinstance(text, str) or text.count("~") != 1:
        raise ValueError(f"a formula needs exactly one '~', as in 'y ~ x | fe': got {text!r}")
    lhs, right = (part.strip() for part in text.split("~"))
    if not lhs:
        raise ValueError(f"the formula has no dependent variable: {text!r}")
    parts = [part.strip() for part in right.split("|")]
    if len(parts) > 2:
        raise ValueError(f"the formula has more than one '|': {text!r}")
    rhs = parts[0] or "1"
    fixed_effects: list[tuple[str, ...]] = []
    if len(parts) == 2:
        if not parts[1] or parts[1] == "0":
            raise ValueError(f"nothing to absorb after '|': {text!r}")
        for term in parts[1].split("+"):
            columns = tuple(c.strip() for c in term.strip().split("^"))
            bad = [c for c in columns if not _NAME.match(c)]
            if bad:
                raise ValueError(
                    f"fixed effects must be column names (or a^b): {', '.join(map(repr, bad))}"
                )
            fixed_effects.append(columns)
    return ParsedFormula(text=text, lhs=lhs, rhs=rhs, fixed_effects=tuple(fixed_effects))

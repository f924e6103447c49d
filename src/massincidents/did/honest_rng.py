r"""Normal draws identical to R's ``set.seed(seed); rnorm(n)``, for HonestDiD's simulations.

Two quantities of Rambachan and Roth's method are simulated in the R package
``HonestDiD``: the least-favourable critical value of the hybrid test (1,000
draws of :math:`N(0, \Sigma_Y)` by ``mvtnorm::rmvnorm`` after ``set.seed(0)``)
and, in its FLCI, the quantile of the folded normal (:math:`10^6` draws after
``set.seed(0)``). To give the same confidence sets as the R package, this module
reproduces R's default generator: Mersenne-Twister seeded by R's ``set.seed``
(an initial scrambling by the congruential generator
:math:`s \leftarrow 69069 s + 1 \bmod 2^{32}`), and normals by inversion from
two uniforms, :math:`\Phi^{-1}\big((\lfloor 2^{27}u_1\rfloor + u_2)/2^{27}\big)`
(R's ``normal.kind = "Inversion"``). ``rmvnorm`` multiplies a row-filled
matrix of such draws by the symmetric square root of :math:`\Sigma`
(``method = "eigen"``).
"""

from __future__ import annotations

import numpy as np
from scipy import special

_TWO_27 = 134217728.0
_TO_UNIT = 2.3283064365386963e-10  # 1 / 2^32, R's MT_genrand scale
_I2_32M1 = 2.328306437080797e-10  # R's fixup for values at the ends of [0, 1)


def _generator(seed: int) -> np.random.MT19937:
    """A Mersenne-Twister in the state R's ``set.seed(seed)`` leaves it in."""
    s = int(seed) & 0xFFFFFFFF
    for _ in range(50):  # R's initial scrambling
        s = (69069 * s + 1) & 0xFFFFFFFF
    words = np.empty(625, dtype=np.uint32)
    for j in range(625):
        s = (69069 * s + 1) & 0xFFFFFFFF
        words[j] = s
    # words[0] is R's position slot (set to 624: regenerate on first use)
    bitgen = np.random.MT19937(0)
    bitgen.state = {"bit_generator": "MT19937", "state": {"key": words[1:], "pos": 624}}
    return bitgen


def r_uniform(n: int, seed: int = 0) -> np.ndarray:
    """``set.seed(seed); runif(n)`` of R (Mersenne-Twister)."""
    raw = _generator(seed).random_raw(n).astype(np.float64) * _TO_UNIT
    raw[raw <= 0.0] = 0.5 * _I2_32M1
    raw[1.0 - raw <= 0.0] = 1.0 - 0.5 * _I2_32M1
    return raw


def r_normal(n: int, seed: int = 0) -> np.ndarray:
    """``set.seed(seed); rnorm(n)`` of R (Mersenne-Twister, inversion)."""
    u = r_uniform(2 * n, seed)
    big = np.floor(_TWO_27 * u[0::2]) + u[1::2]
    return special.ndtri(big / _TWO_27)


def r_mvnormal(n: int, sigma: np.ndarray, seed: int = 0) -> np.ndarray:
    """``set.seed(seed); mvtnorm::rmvnorm(n, sigma = sigma)`` (``method = "eigen"``)."""
    sigma = np.asarray(sigma, dtype=float)
    p = sigma.shape[0]
    values, vectors = np.linalg.eigh(sigma)
    root = (vectors * np.sqrt(np.maximum(values, 0.0))) @ vectors.T
    z = r_normal(n * p, seed).reshape(n, p)  # filled by row, as rmvnorm
    return z @ root

r"""Damped Newton maximisation whose every decision is free of the parameters' units.

A Newton step :math:`\delta = (-H)^{-1} g` is solved on the unit-diagonal
scaling :math:`D^{-1}(-H)D^{-1}`, :math:`D = \operatorname{diag}(|H_{jj}|^{1/2})`
(:func:`~massincidents.core.least_squares.solve_symmetric`); where :math:`-H`
is not positive definite, Levenberg-Marquardt damping :math:`\lambda I` is added
to the *scaled* matrix. Convergence is judged by the Newton decrement
:math:`g'(-H)^{-1}g`, the predicted gain of the log-likelihood, which does not
change when a parameter is measured in other units. Rescaling a regressor by
:math:`c` therefore rescales its coefficient by :math:`1/c` along the whole path
and changes nothing else (up to rounding).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from massincidents.core.least_squares import solve_symmetric


def _unit_diagonal(neg_hess: np.ndarray) -> np.ndarray:
    d = np.sqrt(np.abs(np.diag(neg_hess)))
    return np.where(np.isfinite(d) & (d > 0), d, 1.0)


def _damped_step(neg_hess: np.ndarray, grad: np.ndarray, lam: float) -> np.ndarray | None:
    """:math:`(-H + \\lambda D^2)^{-1} g`, or ``None`` if that matrix is not positive definite."""
    d = _unit_diagonal(neg_hess)
    scaled = neg_hess / np.outer(d, d) + lam * np.eye(len(d))
    try:
        np.linalg.cholesky(scaled)
    except np.linalg.LinAlgError:
        return None
    if lam == 0.0:
        return solve_symmetric(neg_hess, grad)
    return solve_symmetric(scaled, grad / d) / d


def maximize(
    fun: Callable[[np.ndarray], tuple[float, np.ndarray, np.ndarray]],
    start: np.ndarray,
    *,
    tol: float = 1e-12,
    maxiter: int = 200,
    what: str = "the likelihood",
) -> tuple[np.ndarray, float, np.ndarray, np.ndarray, int]:
    """Maximise a smooth function by damped Newton steps.

    Parameters
    ----------
    fun
        ``x -> (value, gradient, hessian)``.
    start
        Starting values.
    tol
        Stop when the Newton decrement :math:`g'(-H)^{-1}g` of a full step is
        below ``tol`` times :math:`1 + |value|`; one more full step then
        settles the last digits.
    maxiter
        Largest number of Newton steps.
    what
        Named in the error message.

    Returns
    -------
    x, value, gradient, hessian, iterations

    Raises
    ------
    massincidents.core.demean.ConvergenceError
        When the value is not finite at ``start``, no step increases it, or
        ``maxiter`` steps do not converge.

    Examples
    --------
    >>> f = lambda x: (-(x[0] * 1e6 - 1) ** 2, np.array([-2e6 * (x[0] * 1e6 - 1)]),
    ...                np.array([[-2e12]]))
    >>> x, value, *_ = maximize(f, np.zeros(1))
    >>> round(float(x[0] * 1e6), 12)
    1.0
    """
    from massincidents.core.demean import ConvergenceError

    x = np.asarray(start, dtype=float).copy()
    value, grad, hess = fun(x)
    if not np.isfinite(value):
        raise ConvergenceError(f"{what} is not finite at the starting values")
    damping = 0.0
    for iteration in range(1, maxiter + 1):
        lam = damping
        accepted = None
        for _ in range(60):
            step = _damped_step(-hess, grad, lam)
            if step is not None and np.all(np.isfinite(step)):
                new = fun(x + step)
                if np.isfinite(new[0]) and new[0] >= value - 1e-12 * abs(value):
                    accepted = step, new
                    break
            lam = max(10.0 * lam, 1e-6)
        if accepted is None:
            raise ConvergenceError(f"{what}: no step increases it (stuck after {iteration} steps)")
        step, (new_value, new_grad, new_hess) = accepted
        decrement = float(step @ grad)
        x = x + step
        value, grad, hess = new_value, new_grad, new_hess
        damping = lam / 10.0 if lam > 1e-6 else 0.0
        if lam == 0.0 and abs(decrement) < tol * (1.0 + abs(value)):
            final = _damped_step(-hess, grad, 0.0)
            if final is not None and np.all(np.isfinite(final)):
                f2, g2, h2 = fun(x + final)
                if np.isfinite(f2) and f2 >= value - 1e-12 * abs(value):
                    x, value, grad, hess = x + final, f2, g2, h2
            return x, value, grad, hess, iteration
    raise ConvergenceError(
        f"{what} did not converge in {maxiter} Newton steps (Newton decrement "
        f"{abs(float(grad @ solve_symmetric(-hess, grad))):.2e})"
    )

r"""The compiled online path of a hyper-reduced model whose right-hand side is quadratic.

For many models of fluids (Burgers, Navier-Stokes, shallow water with central
fluxes) the rows of ``f`` are quadratic polynomials of the local values. The
hyper-reduced right-hand side of :class:`~rom.galerkin.GalerkinROM`,

.. math::

   F(a) = K a + k + E\, f_P(\bar u_S + \Phi_S a),

is then a quadratic polynomial of the ``r`` coordinates,

.. math::

   F(a) = c + B a + W(a, a), \qquad \partial F/\partial a = B + 2\,W(\cdot, a),

with :math:`W` symmetric in its last two arguments. Its ``r + r^2 + r^3`` numbers
are read off ``F`` itself (:func:`quadratic_coefficients`: one vectorised call of
``rhs_entries`` on ``(r + 1)(r + 2) / 2`` states; exact for a quadratic, up to
rounding) and the identification is verified at states away from the probes,
up to ten times the amplitude of the initial state, before it is used. Online,
``F`` then costs two small matrix products and ``dF/da`` one, whatever ``f`` is.

The same identification gives :class:`rom.lagrangian.EulerianGalerkin` its reduced
operators. Real only: the compiled integrator of the quadratic system is real, and
:class:`~rom.galerkin.GalerkinROM` takes the general path for complex models.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from rom.validation import check_array, check_positive_int

__all__ = ["identify_quadratic", "quadratic_coefficients"]

#: relative size of the identification misfit accepted at the verification states
VERIFY_RTOL = 1e-9


def quadratic_coefficients(
    G: Callable[[np.ndarray], np.ndarray],
    r: int,
    scale: float,
    basis: np.ndarray | None = None,
    origin: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""``(c, B, W)`` with ``G(origin + basis a) = c + B a + W(a, a)`` if it is quadratic.

    ``G`` maps states as columns ``(s, k)`` to ``(r_out, k)``; ``basis`` is ``(s, r)``
    (None: the identity, ``G`` then maps coordinates) and ``origin`` ``(s,)`` (None:
    zero). ``W`` is returned as ``(r_out * r, r)`` (row ``i * r + j``, column ``l``:
    :math:`W_{ijl}`, symmetric in ``j, l``), so that ``(W @ a).reshape(r_out, r)`` is
    :math:`W(\cdot, a)`. Probes: ``0``, ``+-d e_j`` and ``d (e_j + e_l)``, ``j < l``,
    mapped to states without a matrix product (columns of ``basis``, sums of two).

    Parameters
    ----------
    G : callable
        Maps states as columns ``(s, k)`` to ``(r_out, k)``.
    r : int
        Number of coordinates ``a``.
    scale : float
        Size ``d`` of the probes.
    basis : array, shape (s, r), optional
        Maps coordinates to states (None: the identity).
    origin : array, shape (s,), optional
        The state at ``a = 0`` (None: zero).

    Examples
    --------
    >>> import numpy as np
    >>> from rom.galerkin import quadratic_coefficients
    >>> c, B, W = quadratic_coefficients(lambda A: 1.0 + 2.0 * A + A * A, 1, 1.0)
    >>> float(c[0]), float(B[0, 0]), float(W[0, 0])
    (1.0, 2.0, 1.0)
    """
    if not callable(G):
        raise TypeError(f"G: expected a callable (s, k) -> (r_out, k), got {type(G).__name__}")
    r = check_positive_int(r, "r", allow_none=False)
    d = float(scale)
    if not (np.isfinite(d) and d > 0):
        raise ValueError(f"scale: expected a positive number, got {scale!r}")
    if basis is not None:
        basis = check_array(basis, "basis", ndim=2, dtype_kind="f")
        if basis.shape[1] != r:
            raise ValueError(f"basis: expected {r} columns, got {basis.shape[1]}")
    V = np.eye(r) if basis is None else np.asarray(basis, dtype=float)
    u0 = np.zeros(V.shape[0]) if origin is None else np.asarray(origin, dtype=float)
    iu, ju = np.triu_indices(r, 1)
    dV = d * V
    states = np.empty((V.shape[0], 1 + 2 * r + iu.size))
    states[:, 0] = u0
    np.add(u0[:, None], dV, out=states[:, 1 : r + 1])
    np.subtract(u0[:, None], dV, out=states[:, r + 1 : 2 * r + 1])
    pairs = states[:, 2 * r + 1 :]
    np.add(dV[:, iu], dV[:, ju], out=pairs)
    pairs += u0[:, None]
    values = G(states)
    c = values[:, 0]
    plus = values[:, 1 : r + 1]
    minus = values[:, r + 1 : 2 * r + 1]
    pair_values = values[:, 2 * r + 1 :]
    B = (plus - minus) / (2.0 * d)
    r_out = c.size
    W = np.empty((r_out, r, r))
    # G(d e_j) + G(-d e_j) - 2 c = 2 d^2 W_jj
    W[:, np.arange(r), np.arange(r)] = (plus + minus - 2.0 * c[:, None]) / (2.0 * d * d)
    # G(d (e_j + e_l)) - G(d e_j) - G(d e_l) + c = 2 d^2 W_jl
    cross = (pair_values - plus[:, iu] - plus[:, ju] + c[:, None]) / (2.0 * d * d)
    W[:, iu, ju] = cross
    W[:, ju, iu] = cross
    return c, B, np.ascontiguousarray(W.reshape(r_out * r, r))


def evaluate_quadratic(c, B, W, A):
    """``(c, B A, W(a, a))`` for the columns ``a`` of ``A`` (r, k): the three terms."""
    k = A.shape[1]
    Wa = (W @ A).reshape(c.size, A.shape[0], k)
    return c, B @ A, np.einsum("ijk,jk->ik", Wa, A)


def _column_norms(A: np.ndarray) -> np.ndarray:
    return np.sqrt(np.einsum("ij,ij->j", A, A))


def identify_quadratic(
    G: Callable[[np.ndarray], np.ndarray],
    a0: np.ndarray,
    jacobian: Callable[[np.ndarray], np.ndarray] | None = None,
    basis: np.ndarray | None = None,
    origin: np.ndarray | None = None,
    linear: tuple[np.ndarray, np.ndarray] | None = None,
    random_state: int | None = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The coefficients of ``F`` if it is a quadratic polynomial near ``a0``, else None.

    ``F(a) = G(origin + basis a) (+ K a + k`` for ``linear = (K, k))``, in the
    arguments of :func:`quadratic_coefficients`; ``K a + k`` is added to the
    coefficients exactly. The coefficients come from :func:`quadratic_coefficients`
    with probes of the size of ``a0``; they are accepted when ``F`` agrees with the
    polynomial to a relative ``VERIFY_RTOL`` at ``a0`` and at random states around
    it of amplitudes up to ``10 |a0|`` (a cubic term, a kink or a non-polynomial term
    shows there), and, given ``jacobian``, when the polynomial's derivative agrees
    with ``jacobian(a0)`` at ``a0``. ``random_state`` seeds the directions of the
    verification states.

    Parameters
    ----------
    G : callable
        As in :func:`quadratic_coefficients`.
    a0 : array, shape (r,)
        The coordinates around which ``F`` is tested.
    jacobian : callable, optional
        ``jacobian(a)``, the derivative of ``F``, checked at ``a0``.
    basis, origin : array, optional
        As in :func:`quadratic_coefficients`.
    linear : tuple of arrays (K, k), optional
        A linear part ``K a + k`` added to ``F``.
    random_state : int, optional
        Seed of the directions of the verification states.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.galerkin import identify_quadratic
    >>> c, B, W = identify_quadratic(lambda A: A * A - A, np.ones(1))
    >>> float(B[0, 0]), float(W[0, 0])
    (-1.0, 1.0)
    >>> identify_quadratic(lambda A: A**3, np.ones(1)) is None
    True
    """
    if not callable(G):
        raise TypeError(f"G: expected a callable (s, k) -> (r_out, k), got {type(G).__name__}")
    a0 = check_array(a0, "a0", ndim=1, dtype_kind="f")
    r = a0.size
    amplitude = float(np.linalg.norm(a0))
    if not math.isfinite(amplitude):
        return None
    if amplitude == 0.0:
        amplitude = 1.0
    V = np.eye(r) if basis is None else np.asarray(basis, dtype=float)
    u0 = np.zeros(V.shape[0]) if origin is None else np.asarray(origin, dtype=float)
    try:
        with np.errstate(all="ignore"):
            c, B, W = quadratic_coefficients(G, r, amplitude / math.sqrt(r), V, u0)
            rng = np.random.default_rng(random_state)
            directions = rng.standard_normal((r, 6))
            directions /= np.linalg.norm(directions, axis=0)
            amplitudes = amplitude * np.array([0.1, 0.5, 1.0, 2.0, 5.0, 10.0])
            checks = np.hstack([a0[:, None], a0[:, None] + directions * amplitudes])
            exact = G(u0[:, None] + V @ checks)
            constant, linear_term, quadratic = evaluate_quadratic(c, B, W, checks)
    except (ValueError, FloatingPointError, ArithmeticError):
        return None
    if not (np.isfinite(c).all() and np.isfinite(B).all() and np.isfinite(W).all()):
        return None
    if not np.isfinite(exact).all():
        return None
    # the misfit against the size of the three terms (cancellation among them is fine)
    misfit = _column_norms(exact - linear_term - quadratic - constant[:, None])
    size = np.linalg.norm(constant) + _column_norms(linear_term) + _column_norms(quadratic)
    if not np.all(misfit <= VERIFY_RTOL * size):
        return None
    if linear is not None:
        K, k = linear
        B = B + K
        c = c + k
    if jacobian is not None:
        J = np.asarray(jacobian(a0), dtype=float)
        Wa = (W @ a0).reshape(c.size, r)
        J_model = B + 2.0 * Wa
        # the model's Jacobian may be approximate (forward differences): a loose check
        bound = 1e-6 * (np.linalg.norm(B) + 2.0 * np.linalg.norm(Wa)) + 1e-300
        if J.shape != J_model.shape or not np.linalg.norm(J - J_model) <= bound:
            return None
    return c, B, W


def quadratic_system(
    coefficients: tuple[np.ndarray, np.ndarray, np.ndarray],
    extra: Callable[[float, np.ndarray], np.ndarray] | None = None,
) -> tuple[Callable[[float, Any], np.ndarray], Callable[[float, Any], np.ndarray]]:
    """``(rhs(t, a), jacobian(t, a))`` of ``a' = c + B a + W(a, a) (+ extra(t, a))``."""
    c, B, W = coefficients
    r = c.size
    matvec = np.dot

    if extra is None:

        def rhs(t, a):
            out = matvec(B + matvec(W, a).reshape(r, r), a)
            out += c
            return out

    else:

        def rhs(t, a):
            out = matvec(B + matvec(W, a).reshape(r, r), a)
            out += c
            out += extra(t, a)
            return out

    rhs.coefficients = coefficients

    def jacobian(t, a):
        J = matvec(W, a).reshape(r, r)
        J *= 2.0
        J += B
        return J

    return rhs, jacobian

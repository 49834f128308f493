r"""What a reduced model asks of a full-order model ``M du/dt = f(u, mu, t)``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from rom.validation import check_array

__all__ = ["FullOrderModel", "as_full_order_model"]

_CALLABLES = ("rhs", "jacobian", "rhs_entries", "stencil", "jacobian_entries")


class FullOrderModel:
    r"""A full-order model :math:`M\,du/dt = f(u, \mu, t)` given by callables.

    Only ``rhs`` is required; the rest unlocks more of :class:`GalerkinROM`.
    Any object with attributes of these names (for example
    :class:`fem_examples.burgers_1d.Burgers1D`) can be used in its place.

    Parameters
    ----------
    rhs : callable ``(u, mu, t) -> f``
        The right-hand side, for ``u`` of shape (n,) (and (n, k) column by column
        when ``vectorized``).
    mass : (n, n) matrix, optional
        The mass matrix ``M`` (None: the identity). It is also the default inner
        product of the POD.
    jacobian : callable ``(u, mu, t) -> (n, n)``, optional
        :math:`\partial f/\partial u`, dense or sparse. Used by the reduced model
        without hyper-reduction (otherwise forward differences of ``rhs``).
    stencil : callable ``rows -> cols``, optional
        The sorted indices of the unknowns that rows ``rows`` of ``f`` depend on.
    rhs_entries : callable ``(u_local, rows, mu, t) -> f[rows]``, optional
        Rows ``rows`` of ``f`` from ``u_local = u[stencil(rows)]`` (shape (s,) or
        (s, k)), at a cost independent of ``n``. Required, with ``stencil``, for
        hyper-reduction.
    jacobian_entries : callable ``(u_local, rows, mu, t) -> (len(rows), s)``, optional
        Rows ``rows`` and columns ``stencil(rows)`` of the Jacobian (otherwise forward
        differences of ``rhs_entries``, one vectorised call).
    linear_operators : sequence of (n, n) matrices, optional
        The linear part :math:`f(u) = \sum_q \theta_q(\mu) (A_q u + b_q) + g(u, \mu, t)`:
        the matrices :math:`A_q`. A reduced model projects this part once, exactly,
        and hyper-reduces only :math:`g`.
    linear_offsets : sequence of (n,) arrays or None, optional
        The vectors :math:`b_q` (None: zero).
    linear_coefficients : callable ``mu -> (Q,)``, optional
        :math:`\theta(\mu)`; required with ``linear_operators``.
    vectorized : bool
        Whether ``rhs`` and ``rhs_entries`` take several states as columns.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.galerkin import FullOrderModel
    >>> A = -np.diag(np.arange(1.0, 5.0))
    >>> model = FullOrderModel(lambda u, mu, t: mu * (A @ u), jacobian=lambda u, mu, t: mu * A)
    >>> model.rhs(np.ones(4), 2.0, 0.0).tolist()
    [-2.0, -4.0, -6.0, -8.0]
    """

    def __init__(
        self,
        rhs: Callable[..., Any],
        mass: Any = None,
        jacobian: Callable[..., Any] | None = None,
        stencil: Callable[[Any], Any] | None = None,
        rhs_entries: Callable[..., Any] | None = None,
        jacobian_entries: Callable[..., Any] | None = None,
        linear_operators: Sequence[Any] | None = None,
        linear_offsets: Sequence[Any] | None = None,
        linear_coefficients: Callable[[Any], Any] | None = None,
        vectorized: bool = True,
    ) -> None:
        for name, value in (
            ("rhs", rhs),
            ("jacobian", jacobian),
            ("stencil", stencil),
            ("rhs_entries", rhs_entries),
            ("jacobian_entries", jacobian_entries),
            ("linear_coefficients", linear_coefficients),
        ):
            if value is not None and not callable(value):
                raise TypeError(f"{name}: expected a callable or None, got {type(value).__name__}")
        if not callable(rhs):
            raise TypeError("rhs: expected a callable (u, mu, t) -> f")
        if (rhs_entries is None) != (stencil is None):
            raise ValueError(
                "rhs_entries, stencil: give both (hyper-reduction needs both) or none"
            )
        if jacobian_entries is not None and stencil is None:
            raise ValueError("jacobian_entries: needs stencil")
        if linear_operators is not None and linear_coefficients is None:
            raise ValueError("linear_coefficients: required with linear_operators")
        if linear_offsets is not None and linear_operators is None:
            raise ValueError("linear_offsets: given without linear_operators")
        if linear_operators is not None and linear_offsets is not None:
            if len(linear_offsets) != len(linear_operators):
                raise ValueError(
                    f"linear_offsets: expected {len(linear_operators)} entries (one per "
                    f"linear operator), got {len(linear_offsets)}"
                )
        self.rhs = rhs
        self.mass = mass
        self.jacobian = jacobian
        self.stencil = stencil
        self.rhs_entries = rhs_entries
        self.jacobian_entries = jacobian_entries
        self.linear_operators = None if linear_operators is None else list(linear_operators)
        self.linear_offsets = None if linear_offsets is None else list(linear_offsets)
        self.linear_coefficients = linear_coefficients
        self.vectorized = bool(vectorized)

    def __repr__(self) -> str:
        has = [n for n in _CALLABLES if getattr(self, n) is not None]
        return f"FullOrderModel({', '.join(has)})"


def as_full_order_model(model: Any) -> FullOrderModel:
    """``model`` itself if a :class:`FullOrderModel`, else one built from its attributes.

    The attributes read are those of :class:`FullOrderModel` (missing ones are None;
    ``vectorized`` defaults to True).

    Parameters
    ----------
    model : object
        A :class:`FullOrderModel`, or an object with its attributes.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.galerkin import as_full_order_model
    >>> class Decay:
    ...     def rhs(self, u, mu, t):
    ...         return -mu * u
    ...     def jacobian(self, u, mu, t):
    ...         return -mu * np.eye(len(u))
    >>> as_full_order_model(Decay())
    FullOrderModel(rhs, jacobian)
    """
    if isinstance(model, FullOrderModel):
        return model
    if not callable(getattr(model, "rhs", None)):
        raise TypeError(
            f"model: expected a FullOrderModel or an object with a method rhs(u, mu, t), "
            f"got {type(model).__name__}"
        )
    get = lambda name: getattr(model, name, None)  # noqa: E731
    return FullOrderModel(
        rhs=model.rhs,
        mass=get("mass"),
        jacobian=get("jacobian"),
        stencil=get("stencil"),
        rhs_entries=get("rhs_entries"),
        jacobian_entries=get("jacobian_entries"),
        linear_operators=get("linear_operators"),
        linear_offsets=get("linear_offsets"),
        linear_coefficients=get("linear_coefficients"),
        vectorized=bool(getattr(model, "vectorized", True)),
    )


def column_arguments(m: int, mu: Any, mus: Any, times: Any) -> tuple[list, np.ndarray]:
    """The parameter and time of each of ``m`` snapshots.

    Parameters
    ----------
    m : int
        Number of snapshots.
    mu : object
        The parameter of every snapshot, used when ``mus`` is None.
    mus : sequence or None
        One parameter per snapshot.
    times : array of shape (m,) or None
        The time of each snapshot (None: 0).

    Returns
    -------
    column_mus : list
        The parameter of each snapshot.
    column_times : ndarray of shape (m,)
        The time of each snapshot.
    """
    if mus is not None:
        if len(mus) != m:
            raise ValueError(f"mus: expected {m} parameters (one per snapshot), got {len(mus)}")
        column_mus = list(mus)
    else:
        column_mus = [mu] * m
    if times is None:
        column_times = np.zeros(m)
    else:
        column_times = check_array(times, "times", shape=(m,), dtype_kind="f")
    return column_mus, column_times


def _column_blocks(rhs, S, mus, times, vectorized):
    """``rhs`` of every column ``S[:, j]`` with ``mus[j]`` and ``times[j]``."""
    m = S.shape[1]
    out = None
    # group columns that share (mu, t) so that a vectorised rhs is called once per group
    groups: dict[Any, list[int]] = {}
    keys = []
    for j in range(m):
        mu, t = mus[j], times[j]
        try:
            key = (mu if np.ndim(mu) == 0 else tuple(np.ravel(mu)), float(t))
            hash(key)
        except TypeError:
            key = ("column", j)
        groups.setdefault(key, []).append(j)
        keys.append(key)
    for _key, cols in groups.items():
        mu, t = mus[cols[0]], times[cols[0]]
        if vectorized:
            F = np.asarray(rhs(S[:, cols], mu, t))
            if F.ndim == 1:
                F = F[:, None]
        else:
            F = np.column_stack([np.asarray(rhs(S[:, j], mu, t)) for j in cols])
        if out is None:
            out = np.empty((F.shape[0], m), dtype=np.result_type(F.dtype, float))
        out[:, cols] = F
    return out

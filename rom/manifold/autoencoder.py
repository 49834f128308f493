"""Autoencoder reductions: a decoder ``g`` from ``r`` latent coordinates to the state.

:class:`Autoencoder` wraps any encoder / decoder pair that speaks NumPy (trained
anywhere: torch, JAX, scikit-learn, a formula). The networks trained by romba itself
live in :mod:`rom.manifold.torch`, which needs torch and is imported only when asked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rom._base import Estimator
from rom.validation import check_array, check_positive_int

__all__ = ["Autoencoder"]


def check_rows(rows: Any, n: int) -> np.ndarray | None:
    """``rows`` as a 1-D int64 array of indices in ``[0, n)`` (None passes)."""
    if rows is None:
        return None
    arr = np.asarray(rows)
    if arr.dtype.kind not in "iu" or arr.dtype == bool:
        raise TypeError(f"rows: expected an array of integer indices, got dtype {arr.dtype}")
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"rows: expected a non-empty 1-D array of indices, got shape {arr.shape}")
    if arr.min() < 0 or arr.max() >= n:
        raise ValueError(f"rows: expected indices in [0, {n}), got [{arr.min()}, {arr.max()}]")
    return arr.astype(np.int64)


class ManifoldReduction(Estimator):
    """The face of :class:`rom.POD` for a nonlinear decoder (the shared checks).

    Subclasses provide ``_encode(S) -> Z`` (2-D arrays), ``_decode(Z, rows)`` and
    ``_jacobian(z, rows)``, and set the fitted ``rank_`` and ``n_dofs_``.
    """

    _fitted_marker = "rank_"
    #: the kinds of data accepted ("fc": real or complex, "f": real only)
    _dtype_kind = "fc"

    def _columns(self, S: Any, name: str) -> tuple[np.ndarray, bool]:
        self._check_fitted()
        S = check_array(S, name, ndim=(1, 2), dtype_kind=self._dtype_kind)
        if S.shape[0] != self.n_dofs_:
            raise ValueError(
                f"{name}: expected {self.n_dofs_} rows (one per degree of freedom), "
                f"got {S.shape[0]}"
            )
        return (S[:, None], True) if S.ndim == 1 else (S, False)

    def transform(self, S: Any) -> np.ndarray:
        """Encode the columns of ``S`` (n, k): latent coordinates (r, k), or (r,) for 1-D.

        Parameters
        ----------
        S : array, shape (n,) or (n, k)
            One state, or states as columns, with the ``n`` rows of the fitted
            snapshots (real only for the torch autoencoders).

        Returns
        -------
        array, shape (r,) or (r, k)
            The latent coordinates of each column (1-D for a 1-D ``S``).
        """
        S2, one = self._columns(S, "S")
        Z = self._encode(S2)
        return Z[:, 0] if one else Z

    def inverse_transform(self, Z: Any, rows: Any = None) -> np.ndarray:
        """Decode latent coordinates ``Z`` (r, k) or (r,): the states (n, k) or (n,).

        Parameters
        ----------
        Z : array of float, shape (r, k) or (r,)
            Latent coordinate vectors as columns, or one vector (real).
        rows : 1-D integer array, optional
            Only these entries of the state (rows of the result, in this order): what
            a hyper-reduced model needs. Non-empty, indices in ``[0, n)``; None
            (default): all ``n`` entries.

        Returns
        -------
        array, shape (n, k) or (n,)
            The decoded states (``len(rows)`` rows with ``rows``; 1-D for a 1-D
            ``Z``).
        """
        self._check_fitted()
        Z = check_array(Z, "Z", ndim=(1, 2), dtype_kind="f")
        if Z.shape[0] != self.rank_:
            raise ValueError(
                f"Z: expected {self.rank_} rows (one per latent coordinate), got {Z.shape[0]}"
            )
        rows = check_rows(rows, self.n_dofs_)
        one = Z.ndim == 1
        U = self._decode(Z[:, None] if one else Z, rows)
        return U[:, 0] if one else U

    def jacobian(self, z: Any, rows: Any = None) -> np.ndarray:
        """The decoder's tangent ``dg/dz`` at ``z`` (r,): shape (n, r), or (len(rows), r).

        Parameters
        ----------
        z : array of float, shape (r,)
            One latent coordinate vector (real).
        rows : 1-D integer array, optional
            Only these entries of the state (rows of the tangent, in this order).
            Non-empty, indices in ``[0, n)``; None (default): all ``n`` entries.

        Returns
        -------
        array, shape (n, r)
            The tangent (``(len(rows), r)`` with ``rows``).
        """
        self._check_fitted()
        z = check_array(z, "z", shape=(self.rank_,), dtype_kind="f")
        rows = check_rows(rows, self.n_dofs_)
        return self._jacobian(z, rows)

    def projection_error(self, S: Any, relative: bool = True) -> np.ndarray | float:
        """``||s - g(h(s))||`` for every column ``s`` of ``S`` (over ``||s||`` when ``relative``).

        Euclidean norms; a zero column has relative error 0.

        Parameters
        ----------
        S : array, shape (n,) or (n, k)
            One state, or states as columns.
        relative : bool, default True
            Divide each error by the norm of its column (else the absolute error).

        Returns
        -------
        array, shape (k,), or float
            The error of each column (a float for a 1-D ``S``).
        """
        if not isinstance(relative, bool | np.bool_):
            raise TypeError(f"relative: expected True or False, got {relative!r}")
        S2, one = self._columns(S, "S")
        R = S2 - self._decode(self._encode(S2), None)
        err = np.linalg.norm(R, axis=0)
        if relative:
            ref = np.linalg.norm(S2, axis=0)
            err = np.where(ref > 0, err / np.where(ref > 0, ref, 1.0), 0.0)
        return float(err[0]) if one else err

    def _check_sizes(self) -> None:
        """Check the loaded sizes (``_restore``)."""
        for name in ("rank_", "n_dofs_"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: expected a positive integer, got {value!r}")


def _as_function(part: Any, name: str) -> Callable[[np.ndarray], Any]:
    if callable(getattr(part, "predict", None)):
        return part.predict
    if callable(part):
        return part
    raise TypeError(
        f"{name}: expected a callable or an object with predict, got {type(part).__name__}"
    )


class Autoencoder(ManifoldReduction):
    r"""A reduction given by an encoder ``h`` and a decoder ``g`` that speak NumPy.

    The protocol (both parts are callables, or objects with a ``predict`` method,
    which is used first when present):

    - ``encoder(S)`` maps snapshots ``S`` (n, k), as columns, to latent coordinates
      (r, k);
    - ``decoder(Z)`` maps latent coordinates (r, k) to states (n, k);
    - optionally ``decoder.jacobian(z)``: the tangent ``dg/dz`` (n, r) at one point
      ``z`` (r,). Without it :meth:`jacobian` takes central differences, with the step
      :math:`h_j = \epsilon^{1/3}\max(1, |z_j|)` along coordinate ``j``
      (:math:`\epsilon` the float64 machine epsilon: error about
      :math:`\epsilon^{2/3} \approx 4\cdot 10^{-11}` relative to the decoder's scale),
      all ``2r`` points in one call of the decoder.

    :meth:`fit` does not train anything: it checks the pair on the data (encoded and
    decoded shapes, finite values) and records the sizes. Train the parts beforehand,
    or use :mod:`rom.manifold.torch`, whose estimators train their own networks.
    ``inverse_transform(Z, rows)`` decodes the whole state and keeps ``rows``: a
    wrapped decoder cannot do less (the shallow sparse decoder of
    :class:`rom.manifold.torch.SparseAutoencoder` can).

    Saving: the encoder and the decoder are code; the file names them (parts
    ``"encoder"`` and ``"decoder"``) and ``rom.load(path, encoder=h, decoder=g)`` takes
    them back.

    Parameters
    ----------
    encoder : callable or object with ``predict``
        ``(n, k) -> (r, k)``.
    decoder : callable or object with ``predict``
        ``(r, k) -> (n, k)``; optional ``jacobian(z) -> (n, r)``.
    rank : int, optional
        The latent dimension the encoder must return (checked by :meth:`fit`); None
        takes it from the encoder's output.

    Attributes
    ----------
    rank_ : int
        The latent dimension ``r``.
    n_dofs_ : int
        The state dimension ``n``.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.manifold import Autoencoder
    >>> x = np.linspace(0, 1, 50)[:, None]
    >>> S = np.sin(np.pi * x) * np.linspace(1, 2, 8)        # rank one snapshots
    >>> u = np.sin(np.pi * x[:, 0]) / np.linalg.norm(np.sin(np.pi * x[:, 0]))
    >>> ae = Autoencoder(lambda S: u[None] @ S, lambda Z: u[:, None] * Z).fit(S)
    >>> ae.rank_, bool(ae.projection_error(S).max() < 1e-14)
    (1, True)
    >>> ae.jacobian(np.array([0.5])).shape
    (50, 1)
    """

    def __init__(self, encoder: Any, decoder: Any, rank: int | None = None) -> None:
        self.encoder = encoder
        self.decoder = decoder
        self.rank = rank

    def fit(self, S: Any) -> Autoencoder:
        """Check the encoder / decoder pair on the snapshots ``S`` (n, k); no training.

        Parameters
        ----------
        S : array, shape (n, k)
            Snapshots as columns, passed to ``encoder`` as they are; the encoded
            coordinates are passed to ``decoder``.

        Returns
        -------
        self : Autoencoder
            With ``rank_`` and ``n_dofs_`` set.

        Raises
        ------
        ValueError
            The encoder or the decoder returns a wrong shape, or NaN / inf.
        """
        rank = check_positive_int(self.rank, "rank")
        _as_function(self.encoder, "encoder")
        _as_function(self.decoder, "decoder")
        S = check_array(S, "S", ndim=2)
        n, k = S.shape
        Z = self._call("encoder", S, None, k)
        if rank is not None and Z.shape[0] != rank:
            raise ValueError(f"encoder: returned {Z.shape[0]} latent coordinates, rank={rank}")
        U = self._call("decoder", Z, n, k)
        del U
        self.n_dofs_ = int(n)
        self.rank_ = int(Z.shape[0])
        return self

    def _call(self, name: str, X: np.ndarray, rows: int | None, k: int) -> np.ndarray:
        out = np.asarray(_as_function(getattr(self, name), name)(X))
        if out.ndim != 2 or out.shape[1] != k or (rows is not None and out.shape[0] != rows):
            want = f"({rows if rows is not None else 'r'}, {k})"
            raise ValueError(f"{name}: expected an output of shape {want}, got {out.shape}")
        if out.dtype.kind not in "fciu" or not np.all(np.isfinite(out)):
            raise ValueError(f"{name}: returned non-finite or non-numeric values")
        return out

    def _encode(self, S: np.ndarray) -> np.ndarray:
        return self._call("encoder", S, self.rank_, S.shape[1])

    def _decode(self, Z: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
        U = self._call("decoder", Z, self.n_dofs_, Z.shape[1])
        return U if rows is None else U[rows]

    def _jacobian(self, z: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
        given = getattr(self.decoder, "jacobian", None)
        if callable(given):
            J = np.asarray(given(z))
            if J.shape != (self.n_dofs_, self.rank_) or not np.all(np.isfinite(J)):
                raise ValueError(
                    f"decoder: jacobian returned shape {J.shape} or non-finite "
                    f"values, expected ({self.n_dofs_}, {self.rank_})"
                )
        else:
            r = self.rank_
            h = np.finfo(float).eps ** (1 / 3) * np.maximum(1.0, np.abs(z))
            steps = np.diag(h)
            Z = np.concatenate([z[:, None] + steps, z[:, None] - steps], axis=1)
            U = self._call("decoder", Z, self.n_dofs_, 2 * r)
            J = (U[:, :r] - U[:, r:]) / (2 * h)
        return J if rows is None else J[rows]

    def _restore(self) -> None:
        self._check_sizes()

"""Autoencoders trained with torch (``pip install romba[torch]``; torch 2.x).

torch is imported when a network is built (``fit``, or loading a saved model), never
by ``import rom`` nor ``import rom.manifold``. Three estimators, all with the face of
:class:`rom.POD` (see :class:`rom.manifold.Autoencoder`):

- :class:`DenseAutoencoder`: a fully connected encoder and decoder;
- :class:`SparseAutoencoder`: a shallow decoder whose output layer is sparse (each
  state entry reads a band of hidden neurons), so that decoding a few ``rows`` costs
  only the neurons feeding them (hyper-reduction);
- :class:`PODAutoencoder`: a POD first, the network on the POD coefficients, so that
  training and decoding cost does not grow with the state dimension beyond the
  POD's products.

The theory page (Learned and nonlinear reductions) describes the training.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rom.manifold._torch_base import (
    TorchAutoencoder,
    activation_module,
    band_index,
    band_layer,
    estimator_doc,
    init_common,
    mlp,
)
from rom.manifold._torch_decoder import band_matrix, linear_layers
from rom.validation import check_positive_int, check_tolerance

__all__ = ["DenseAutoencoder", "PODAutoencoder", "SparseAutoencoder", "band_index"]


class DenseAutoencoder(TorchAutoencoder):
    """A fully connected autoencoder trained on the snapshots.

    Encoder ``n -> hidden[0] -> ... -> rank``, decoder the mirror image
    ``rank -> ... -> hidden[0] -> n``, hidden layers with ``activation``, affine
    output layers; trained by Adam on the mean squared reconstruction error of the
    scaled snapshots. ``inverse_transform(Z, rows)`` decodes the whole state and
    keeps ``rows`` (a dense output layer couples every entry to every neuron: see
    :class:`SparseAutoencoder` for a decoder that saves work on ``rows``).

    Parameters
    ----------
    rank : int
        The latent dimension.
    hidden : int or tuple of int
        Widths of the encoder's hidden layers (the decoder's reversed).
    """

    __doc__ += estimator_doc(
        """

    Examples
    --------
    >>> import numpy as np
    >>> from rom.manifold.torch import DenseAutoencoder
    >>> x = np.linspace(0, 1, 40)[:, None]
    >>> S = np.exp(-200 * (x - np.linspace(0.3, 0.7, 30)) ** 2)
    >>> ae = DenseAutoencoder(1, hidden=8, epochs=5).fit(S, progress=False)
    >>> ae.transform(S).shape, ae.inverse_transform(np.zeros(1), rows=[0, 5]).shape
    ((1, 30), (2,))
    """
    )

    def __init__(
        self,
        rank: int,
        hidden: int | tuple[int, ...] = (64, 32),
        epochs: int = 300,
        batch_size: int = 32,
        learning_rate: float = 1e-3,
        validation_fraction: float = 0.1,
        patience: int | None = 30,
        tol: float = 1e-4,
        activation: str = "elu",
        scaling: str = "global",
        device: str = "auto",
        dtype: str = "float32",
        random_state: int | None = 0,
    ) -> None:
        init_common(self, locals())

    def _check_architecture(self) -> None:
        self._hidden(self.hidden)

    def _fit_inputs(self, S: np.ndarray) -> np.ndarray:
        return self._center_scale(S)

    def _network(self, torch: Any, d: int) -> Any:
        sizes = [d, *self._hidden(self.hidden), int(self.rank)]
        net = torch.nn.Module()
        net.encoder = mlp(torch, sizes, self.activation)
        net.decoder = mlp(torch, sizes[::-1], self.activation)
        return net

    def _state_decoder(self, torch: Any, rows: np.ndarray | None) -> Any:
        center, scale = self._affine(torch, rows)
        index = None if rows is None else torch.as_tensor(rows, device=self._device)
        decoder = self._net.decoder

        def decode(Z: Any) -> Any:
            X = decoder(Z)
            return center + scale * (X if index is None else X[:, index])

        return decode

    def _numpy_layers(self, rows: np.ndarray | None) -> list:
        layers = linear_layers(self._net.decoder, self.activation)
        W, b, _ = layers[-1]
        center = self.center_
        if rows is not None:
            W, b, center = W[rows], b[rows], center[rows]
        layers[-1] = (self.scale_ * W, center + self.scale_ * b, None)
        return layers


class SparseAutoencoder(TorchAutoencoder):
    """A shallow autoencoder with a sparse decoder: hyper-reduction by ``rows``.

    The decoder has one hidden layer, ``rank -> hidden`` (dense, ``activation``),
    then a *sparse* output layer: state entry ``i`` reads only ``bandwidth``
    consecutive hidden neurons, a window sliding along the entries (entry ``i`` reads
    the neurons near ``(i + 1/2) hidden / n``). ``inverse_transform(Z, rows)`` and
    ``jacobian(z, rows)`` therefore evaluate only the hidden neurons that feed
    ``rows``: their cost is about ``|rows| * bandwidth + |needed| * rank``, whatever
    ``n``. The encoder is dense, ``n -> encoder_hidden -> rank``. The band follows the
    order of the entries: order the degrees of freedom so that neighbours in space
    are near in the numbering (1-D grids are; for meshes, a bandwidth-reducing
    ordering such as reverse Cuthill-McKee).

    This is the shallow masked autoencoder of Kim, Choi, Widemann and Zohdi (J.
    Comput. Phys. 451, 2022), built for hyper-reduced manifold least-squares
    Petrov-Galerkin models in the sense of Lee and Carlberg (J. Comput. Phys. 404,
    108973, 2020).

    Parameters
    ----------
    rank : int
        The latent dimension.
    hidden : int
        Hidden neurons of the decoder.
    bandwidth : int
        Hidden neurons read by each state entry (at most ``hidden``).
    encoder_hidden : int
        Hidden neurons of the encoder.
    """

    __doc__ += estimator_doc(
        """

    Examples
    --------
    >>> import numpy as np
    >>> from rom.manifold.torch import SparseAutoencoder
    >>> x = np.linspace(0, 1, 40)[:, None]
    >>> S = np.exp(-200 * (x - np.linspace(0.3, 0.7, 30)) ** 2)
    >>> ae = SparseAutoencoder(1, hidden=16, bandwidth=4, epochs=5).fit(S, progress=False)
    >>> Z = ae.transform(S)
    >>> bool(np.allclose(ae.inverse_transform(Z, rows=[3, 9]), ae.inverse_transform(Z)[[3, 9]]))
    True
    """
    )

    def __init__(
        self,
        rank: int,
        hidden: int = 64,
        bandwidth: int = 8,
        encoder_hidden: int = 64,
        epochs: int = 300,
        batch_size: int = 32,
        learning_rate: float = 1e-3,
        validation_fraction: float = 0.1,
        patience: int | None = 30,
        tol: float = 1e-4,
        activation: str = "elu",
        scaling: str = "global",
        device: str = "auto",
        dtype: str = "float32",
        random_state: int | None = 0,
    ) -> None:
        init_common(self, locals())

    def _check_architecture(self) -> None:
        hidden = check_positive_int(self.hidden, "hidden", allow_none=False)
        check_positive_int(self.encoder_hidden, "encoder_hidden", allow_none=False)
        band = check_positive_int(self.bandwidth, "bandwidth", allow_none=False)
        if band > hidden:
            raise ValueError(f"bandwidth: expected at most hidden={hidden}, got {band}")

    def _fit_inputs(self, S: np.ndarray) -> np.ndarray:
        return self._center_scale(S)

    def _network(self, torch: Any, d: int) -> Any:
        r, h = int(self.rank), int(self.hidden)
        net = torch.nn.Module()
        net.encoder = mlp(torch, [d, int(self.encoder_hidden), r], self.activation)
        net.decoder = torch.nn.Sequential(
            torch.nn.Linear(r, h),
            activation_module(torch, self.activation),
            band_layer(torch)(band_index(d, h, int(self.bandwidth))),
        )
        return net

    def _state_decoder(self, torch: Any, rows: np.ndarray | None) -> Any:
        center, scale = self._affine(torch, rows)
        first, act, out = self._net.decoder
        if rows is None:
            decoder = self._net.decoder
            return lambda Z: center + scale * decoder(Z)
        index = band_index(self.n_dofs_, int(self.hidden), int(self.bandwidth), rows)
        needed = np.unique(index)  # the hidden neurons that feed ``rows``
        local = torch.as_tensor(np.searchsorted(needed, index), device=self._device)
        keep = torch.as_tensor(needed, device=self._device)
        rows_t = torch.as_tensor(rows, device=self._device)
        W1, b1 = first.weight[keep], first.bias[keep]
        W2, b2 = out.weight[rows_t], out.bias[rows_t]

        def decode(Z: Any) -> Any:
            a = act(Z @ W1.T + b1)
            return center + scale * ((a[:, local] * W2).sum(-1) + b2)

        return decode

    def _numpy_layers(self, rows: np.ndarray | None) -> list:
        (W1, b1, _), (weight, bias, _) = linear_layers(self._net.decoder, self.activation)
        index = band_index(self.n_dofs_, int(self.hidden), int(self.bandwidth), rows)
        center = self.center_
        if rows is not None:
            weight, bias, center = weight[rows], bias[rows], center[rows]
        needed = np.unique(index)  # the hidden neurons that feed ``rows``
        local = np.searchsorted(needed, index)
        return [
            (W1[needed], b1[needed], self.activation),
            (
                band_matrix(self.scale_ * weight, local, needed.size),
                center + self.scale_ * bias,
                None,
            ),
        ]


class PODAutoencoder(TorchAutoencoder):
    """An autoencoder on POD coefficients: POD first, then a network on ``p`` numbers.

    The snapshots are centred by their mean, compressed by a POD (``pod_rank``
    modes at most, relative projection error ``pod_tol`` at most: the smallest
    basis that meets both), and a fully connected autoencoder ``p -> hidden -> rank
    -> hidden -> p`` is trained on the POD coefficients scaled by their largest
    entry. Decoding is ``mean + U g(z)``: the network's cost depends on ``p``, not on
    the state dimension ``n``, and ``rows`` cost ``|rows| * p`` for the product with
    the rows of ``U``. The reduction cannot be more accurate than the POD
    (``pod_tol``). The same design as EZyRB's ``PODAE``.

    Parameters
    ----------
    rank : int
        The latent dimension.
    pod_rank : int, optional
        Maximum number of POD modes.
    pod_tol : float, optional
        Relative Frobenius projection error of the POD (see :class:`rom.POD`).
    hidden : int or tuple of int
        Widths of the encoder's hidden layers (the decoder's reversed).
    """

    __doc__ += estimator_doc(
        """
    basis_ : ndarray (n, p)
        The POD modes.
    singular_values_ : ndarray (p,)
        Their singular values.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.manifold.torch import PODAutoencoder
    >>> x = np.linspace(0, 1, 40)[:, None]
    >>> S = np.exp(-200 * (x - np.linspace(0.3, 0.7, 30)) ** 2)
    >>> ae = PODAutoencoder(1, pod_tol=1e-3, hidden=8, epochs=5).fit(S, progress=False)
    >>> ae.basis_.shape[1] > 1, ae.jacobian(np.zeros(1)).shape
    (True, (40, 1))
    """
    )

    def __init__(
        self,
        rank: int,
        pod_rank: int | None = None,
        pod_tol: float | None = 1e-3,
        hidden: int | tuple[int, ...] = (64, 32),
        epochs: int = 300,
        batch_size: int = 32,
        learning_rate: float = 1e-3,
        validation_fraction: float = 0.1,
        patience: int | None = 30,
        tol: float = 1e-4,
        activation: str = "elu",
        scaling: str = "global",
        device: str = "auto",
        dtype: str = "float32",
        random_state: int | None = 0,
    ) -> None:
        init_common(self, locals())

    def _check_architecture(self) -> None:
        self._hidden(self.hidden)
        check_positive_int(self.pod_rank, "pod_rank")
        check_tolerance(self.pod_tol, "pod_tol", upper=1.0)

    def _fit_inputs(self, S: np.ndarray) -> np.ndarray:
        from rom.linalg import POD

        self.center_ = S.mean(axis=1) if self.scaling == "global" else np.zeros(S.shape[0])
        X = S - self.center_[:, None]
        pod = POD(rank=self.pod_rank, tol=self.pod_tol, random_state=self.random_state).fit(X)
        if pod.rank_ < self.rank:
            raise ValueError(
                f"rank: the POD kept {pod.rank_} modes, fewer than rank={self.rank}; "
                "lower pod_tol or raise pod_rank"
            )
        self.basis_ = np.ascontiguousarray(pod.basis_)
        self.singular_values_ = np.asarray(pod.singular_values_)
        C = self.basis_.T @ X
        largest = float(np.abs(C).max()) if self.scaling == "global" else 1.0
        self.scale_ = largest if largest > 0 else 1.0
        return C / self.scale_

    def _inputs(self, S: np.ndarray) -> np.ndarray:
        return self.basis_.T @ (S - self.center_[:, None]) / self.scale_

    def _network(self, torch: Any, d: int) -> Any:
        return DenseAutoencoder._network(self, torch, d)

    def _state_decoder(self, torch: Any, rows: np.ndarray | None) -> Any:
        center, scale = self._affine(torch, rows)
        basis = self._tensor(torch, self.basis_ if rows is None else self.basis_[rows])
        decoder = self._net.decoder
        return lambda Z: center + scale * (decoder(Z) @ basis.T)

    def _numpy_layers(self, rows: np.ndarray | None) -> list:
        basis = self.basis_ if rows is None else self.basis_[rows]
        center = self.center_ if rows is None else self.center_[rows]
        layers = linear_layers(self._net.decoder, self.activation)
        return [*layers, (self.scale_ * basis, center, None)]

    def _check_loaded_inputs(self) -> int:
        basis, n = self.basis_, self.n_dofs_
        if not isinstance(basis, np.ndarray) or basis.ndim != 2 or basis.shape[0] != n:
            raise ValueError(f"basis_: expected a float array with {n} rows")
        if basis.dtype.kind != "f" or not np.all(np.isfinite(basis)):
            raise ValueError("basis_: expected finite float entries")
        if not (self.rank_ <= basis.shape[1]):
            raise ValueError(f"basis_: {basis.shape[1]} modes, fewer than rank_={self.rank_}")
        s = self.singular_values_
        if not isinstance(s, np.ndarray) or s.shape != (basis.shape[1],):
            raise ValueError(f"singular_values_: expected shape ({basis.shape[1]},)")
        return int(basis.shape[1])

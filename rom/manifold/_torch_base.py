"""The training loop, scaling, evaluation and saving shared by :mod:`rom.manifold.torch`.

torch is imported inside the functions only (by ``fit`` and by loading), so importing
this module does not import torch.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from rom._progress import progress_bar
from rom._torch import load_weights, resolve_device, weights_of
from rom.backend import import_optional
from rom.manifold._torch_decoder import Chain
from rom.manifold.autoencoder import ManifoldReduction
from rom.validation import check_array, check_choice, check_positive_int, check_tolerance

__all__ = [
    "ATTRIBUTES_DOC",
    "COMMON_DOC",
    "TorchAutoencoder",
    "activation_module",
    "band_index",
    "band_layer",
    "estimator_doc",
    "init_common",
    "mlp",
]

ACTIVATIONS = ("elu", "tanh", "relu", "sigmoid", "silu", "softplus")
DTYPES = ("float32", "float64")
SCALINGS = ("global", "none")

COMMON_DOC = """
    epochs : int
        Maximum number of passes over the training snapshots.
    batch_size : int
        Snapshots per step of Adam (the training set if it is smaller).
    learning_rate : float
        Adam's step size.
    validation_fraction : float
        Share of the snapshots (chosen at random) held out to decide early stopping;
        0, or a share that holds out no snapshot, monitors the training loss instead.
    patience : int, optional
        Stop after this many epochs without improvement of the monitored loss (an
        improvement lowers it below ``(1 - tol)`` times the last improvement); None
        trains every epoch. The weights of the epoch with the lowest monitored loss are
        kept. With ``patience >= 4`` the learning rate also halves after
        ``patience // 4`` epochs without improvement (a plateau schedule), so that
        training slows down before it stops.
    tol : float
        Relative improvement that counts (see ``patience``).
    activation : {"elu", "tanh", "relu", "sigmoid", "silu", "softplus"}
        The hidden layers' nonlinearity (the output layers are affine).
    scaling : {"global", "none"}
        ``"global"``: the network sees ``(s - mean) / c``, the snapshots centred by
        their mean and divided by one number ``c`` (the largest entry of the centred
        data), so the loss weighs every entry alike and remains the squared
        Frobenius projection error up to a constant; ``"none"``: raw data.
    device : {"auto", "cpu", "cuda"}
        ``"auto"`` trains on the GPU when torch sees one.
    dtype : {"float32", "float64"}
        Precision of the network. float32 (the default) halves the memory traffic
        and is the fast path of GPUs; the reconstruction errors that networks reach
        (1e-2 to 1e-5) are far above its round-off. float64 for derivative checks.
    random_state : int, optional
        Seed of the initial weights, the validation split, the batch order and the
        randomised POD of :class:`~rom.manifold.torch.PODAutoencoder` (None: fresh
        entropy). With a given seed training on the CPU is deterministic: the same
        weights bit for bit (torch's deterministic algorithms are switched on while it
        runs). On a GPU it is deterministic where cuBLAS is
        (``CUBLAS_WORKSPACE_CONFIG=:4096:8``)."""

ATTRIBUTES_DOC = """
    rank_ : int
        The latent dimension.
    n_dofs_ : int
        The state dimension.
    center_ : ndarray (n,)
        The mean snapshot (zeros with ``scaling="none"``).
    scale_ : float
        The scaling constant ``c`` (1 with ``scaling="none"``).
    weights_ : dict of ndarray
        The network's weights (what is saved).
    loss_history_ : ndarray
        Mean training loss per epoch (scaled units), one value per epoch trained.
    validation_loss_history_ : ndarray
        Validation loss per epoch (empty without a validation set).
    n_epochs_ : int
        Epochs trained.
    best_epoch_ : int
        The epoch whose weights were kept (0-based).
    stop_reason_ : str
        ``"tol"``: early stopping (``patience`` epochs without improvement);
        ``"exhausted"``: the ``epochs`` were used up."""


def estimator_doc(rest: str) -> str:
    """The shared parameters and attributes of the torch autoencoders, then ``rest``."""
    return COMMON_DOC + "\n\n    Attributes\n    ----------" + ATTRIBUTES_DOC + rest


@functools.cache
def band_layer(torch: Any) -> type:
    """The sparse output layer: entry ``i`` reads the hidden neurons ``index[i]``."""

    class BandLinear(torch.nn.Module):
        def __init__(self, index: np.ndarray) -> None:
            super().__init__()
            n, b = index.shape
            self.register_buffer("index", torch.as_tensor(index), persistent=False)
            bound = 1.0 / np.sqrt(b)
            self.weight = torch.nn.Parameter(torch.empty(n, b).uniform_(-bound, bound))
            self.bias = torch.nn.Parameter(torch.empty(n).uniform_(-bound, bound))

        def forward(self, a: Any) -> Any:
            return (a[:, self.index] * self.weight).sum(-1) + self.bias

    return BandLinear


def band_index(n: int, hidden: int, bandwidth: int, rows: Any = None) -> np.ndarray:
    """The hidden neurons read by each state entry: (n, bandwidth), a sliding window.

    Entry ``i`` reads ``bandwidth`` consecutive neurons centred near ``(i + 1/2) h / n``:
    neighbouring entries share neurons, distant ones none. With ``rows``, only those
    entries' neurons (len(rows), bandwidth), computed without the others.

    Parameters
    ----------
    n : int
        Number of state entries (outputs of the layer).
    hidden : int
        Number of hidden neurons (inputs of the layer).
    bandwidth : int
        Neurons read by each entry, ``1 <= bandwidth <= hidden``.
    rows : 1-D array of int, optional
        Entries in ``[0, n)`` whose neurons are wanted, in this order (not checked
        here); None (default): all ``n``.

    Returns
    -------
    ndarray of int64, shape (n, bandwidth)
        Row ``i`` holds the consecutive neuron indices ``s_i, ..., s_i + bandwidth -
        1`` in ``[0, hidden)``, with ``s_i = floor((i + 1/2) hidden / n - bandwidth /
        2)`` clipped to ``[0, hidden - bandwidth]`` (``(len(rows), bandwidth)`` with
        ``rows``).

    Examples
    --------
    >>> from rom.manifold.torch import band_index
    >>> band_index(6, 4, 2).tolist()
    [[0, 1], [0, 1], [0, 1], [1, 2], [2, 3], [2, 3]]
    """
    entries = np.arange(n) if rows is None else np.asarray(rows)
    start = np.floor((entries + 0.5) * hidden / n - bandwidth / 2).astype(np.int64)
    start = np.clip(start, 0, hidden - bandwidth)
    return start[:, None] + np.arange(bandwidth)


def mlp(torch: Any, sizes: list[int], activation: str) -> Any:
    nn = torch.nn
    layers: list[Any] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(activation_module(torch, activation))
    return nn.Sequential(*layers)


def activation_module(torch: Any, name: str) -> Any:
    nn = torch.nn
    return {
        "elu": nn.ELU,
        "tanh": nn.Tanh,
        "relu": nn.ReLU,
        "sigmoid": nn.Sigmoid,
        "silu": nn.SiLU,
        "softplus": nn.Softplus,
    }[name]()


class TorchAutoencoder(ManifoldReduction):
    """Training, encoding, decoding and saving shared by the torch autoencoders.

    Subclasses implement ``_fit_inputs(S)`` (set the preprocessing, return the
    network's training data (d, k)), ``_inputs(S)``, ``_network(torch, d)`` (a module
    with ``encoder`` and ``decoder``), ``_state_decoder(torch, rows)`` (the decoder on
    ``rows`` in torch: batches on a GPU, and the reference of the tests) and
    ``_numpy_layers(rows)`` (the same map as ``(W, b, activation)`` float64 layers for
    :class:`~rom.manifold._torch_decoder.Chain`: decoding on the CPU and the analytic
    tangent).
    """

    _dtype_kind = "f"
    _fitted_marker = "weights_"

    # ------------------------------------------------------------------ checks
    def _check_common(self) -> dict[str, Any]:
        check_positive_int(self.rank, "rank", allow_none=False)
        opts = {
            "epochs": check_positive_int(self.epochs, "epochs", allow_none=False),
            "batch_size": check_positive_int(self.batch_size, "batch_size", allow_none=False),
            "patience": check_positive_int(self.patience, "patience"),
            "tol": check_tolerance(self.tol, "tol", allow_none=False, upper=1.0),
            "validation_fraction": check_tolerance(
                self.validation_fraction, "validation_fraction", allow_none=False, upper=0.5
            ),
        }
        lr = self.learning_rate
        if (
            isinstance(lr, bool)
            or not isinstance(lr, int | float)
            or not np.isfinite(lr)
            or lr <= 0
        ):
            raise ValueError(f"learning_rate: expected a positive number, got {lr!r}")
        check_choice(self.activation, "activation", ACTIVATIONS)
        check_choice(self.scaling, "scaling", SCALINGS)
        check_choice(self.dtype, "dtype", DTYPES)
        check_choice(self.device, "device", ("auto", "cpu", "cuda"))
        if self.random_state is not None:
            check_positive_int(self.random_state, "random_state", minimum=0)
        self._check_architecture()
        return opts

    @staticmethod
    def _hidden(value: Any, name: str = "hidden") -> tuple[int, ...]:
        if isinstance(value, int | np.integer) and not isinstance(value, bool):
            value = (value,)
        if not isinstance(value, tuple | list) or not value:
            raise TypeError(
                f"{name}: expected an integer or a non-empty tuple of integers, got {value!r}"
            )
        return tuple(check_positive_int(v, name, allow_none=False) for v in value)

    # ------------------------------------------------------------------ training
    def fit(self, S: Any, progress: bool | None = None) -> Any:
        """Train the autoencoder on the snapshots ``S`` (n, k), columns.

        Parameters
        ----------
        S : array of float, shape (n, k)
            Real snapshots as columns, at least 2 and ``n >= rank`` (a complex field:
            stack its real and imaginary parts).
        progress : bool, optional
            Show a progress bar over the epochs (None: on a terminal).

        Returns
        -------
        self : TorchAutoencoder
            The trained estimator.

        Raises
        ------
        FloatingPointError
            The training loss became NaN or inf (lower ``learning_rate``).
        """
        torch = import_optional("torch", "torch")
        opts = self._check_common()
        if getattr(S, "dtype", None) is not None and np.dtype(S.dtype).kind == "c":
            raise TypeError(
                "S: complex snapshots; the networks are real: train on the "
                "real and imaginary parts stacked as rows"
            )
        S = check_array(S, "S", ndim=2, dtype_kind="f")
        n, k = S.shape
        if k < 2:
            raise ValueError(f"S: expected at least 2 snapshots (columns), got {k}")
        if self.rank > n:
            raise ValueError(f"rank: expected at most {n} (the state dimension), got {self.rank}")
        seed = (
            int(np.random.default_rng().integers(2**62))
            if self.random_state is None
            else int(self.random_state)
        )
        device = resolve_device(self.device)
        dtype = getattr(torch, self.dtype)
        self.n_dofs_ = int(n)
        X = self._fit_inputs(S)  # (d, k), float64
        rng = np.random.default_rng(seed)
        order = rng.permutation(k)
        n_val = int(opts["validation_fraction"] * k)
        val, train = np.sort(order[:n_val]), np.sort(order[n_val:])
        deterministic = torch.are_deterministic_algorithms_enabled()
        try:
            torch.use_deterministic_algorithms(True, warn_only=True)
            with torch.random.fork_rng(devices=[] if device == "cpu" else None):
                torch.manual_seed(seed)
                net = self._network(torch, X.shape[0]).to(device=device, dtype=dtype)
                data = torch.as_tensor(np.ascontiguousarray(X.T), dtype=dtype, device=device)
                self._train(
                    torch,
                    net,
                    data[train],
                    data[val],
                    opts,
                    float(self.learning_rate),
                    seed,
                    progress,
                )
        finally:
            torch.use_deterministic_algorithms(deterministic)
        net.eval()
        self.rank_ = int(self.rank)
        self.weights_ = weights_of(net)
        self._net, self._device = net, device
        return self

    def _train(self, torch, net, train, val, opts, lr, seed, progress) -> None:
        name = type(self).__name__
        optimiser = torch.optim.Adam(net.parameters(), lr=lr)
        patience, tol = opts["patience"], opts["tol"]
        schedule = None
        if patience is not None and patience >= 4:
            schedule = torch.optim.lr_scheduler.ReduceLROnPlateau(
                optimiser, factor=0.5, patience=patience // 4, threshold=tol
            )
        generator = torch.Generator().manual_seed(seed)
        m, size = train.shape[0], min(opts["batch_size"], train.shape[0])
        history, val_history = [], []
        best, best_state, best_epoch, waited, reference = np.inf, None, 0, 0, np.inf
        reason = "exhausted"
        with progress_bar(progress, opts["epochs"], name, unit="epoch") as bar:
            for epoch in range(opts["epochs"]):
                net.train()
                perm = torch.randperm(m, generator=generator).to(train.device)
                total = 0.0
                for start in range(0, m, size):
                    batch = train[perm[start : start + size]]
                    optimiser.zero_grad()
                    loss = torch.mean((net.decoder(net.encoder(batch)) - batch) ** 2)
                    loss.backward()
                    optimiser.step()
                    total += float(loss.detach()) * batch.shape[0]
                history.append(total / m)
                if not np.isfinite(history[-1]):
                    raise FloatingPointError(
                        f"{name}: the training loss became {history[-1]} at epoch {epoch}; "
                        f"lower learning_rate (now {lr})"
                    )
                monitored = history[-1]
                if val.shape[0]:
                    net.eval()
                    with torch.no_grad():
                        monitored = float(torch.mean((net.decoder(net.encoder(val)) - val) ** 2))
                    val_history.append(monitored)
                    if not np.isfinite(monitored):
                        raise FloatingPointError(
                            f"{name}: the validation loss became {monitored} at epoch {epoch}; "
                            f"lower learning_rate (now {lr})"
                        )
                if schedule is not None:
                    schedule.step(monitored)
                bar.update(1)
                bar.set_postfix(loss=f"{monitored:.3g}")
                if monitored < best:
                    best, best_epoch = monitored, epoch
                    best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
                if monitored < reference * (1.0 - tol):
                    reference, waited = monitored, 0
                else:
                    waited += 1
                    if patience is not None and waited >= patience:
                        reason = "tol"
                        break
        if best_state is not None:
            net.load_state_dict(best_state)
        self.loss_history_ = np.asarray(history, dtype=float)
        self.validation_loss_history_ = np.asarray(val_history, dtype=float)
        self.n_epochs_ = len(history)
        self.best_epoch_ = int(best_epoch)
        self.stop_reason_ = reason

    # ------------------------------------------------------------------ scaling
    def _center_scale(self, S: np.ndarray) -> np.ndarray:
        """Set ``center_`` and ``scale_`` from ``S`` and return ``(S - center) / scale``."""
        if self.scaling == "none":
            self.center_, self.scale_ = np.zeros(S.shape[0]), 1.0
            return S.copy()
        self.center_ = S.mean(axis=1)
        X = S - self.center_[:, None]
        largest = float(np.abs(X).max())
        self.scale_ = largest if largest > 0 else 1.0
        return X / self.scale_

    # ------------------------------------------------------------------ evaluation
    def _tensor(self, torch: Any, values: np.ndarray) -> Any:
        return torch.as_tensor(
            np.ascontiguousarray(values), dtype=getattr(torch, self.dtype), device=self._device
        )

    def _encode(self, S: np.ndarray) -> np.ndarray:
        import torch

        with torch.no_grad():
            Z = self._net.encoder(self._tensor(torch, self._inputs(S).T))
        return Z.cpu().numpy().astype(float).T

    def _decode(self, Z: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
        if Z.shape[1] == 1:
            return self._chain(rows).decode(Z[:, 0])[:, None]
        if self._device == "cpu":
            return self._chain(rows).decode(Z)
        import torch

        with torch.no_grad():  # batches stay on the GPU
            U = self._state_decoder(torch, rows)(self._tensor(torch, Z.T))
        return U.cpu().numpy().astype(float).T

    def _jacobian(self, z: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
        return self._chain(rows).tangent(z)

    def _chain(self, rows: np.ndarray | None) -> Chain:
        """The decoder on ``rows`` in float64 NumPy, kept while the weights are unchanged."""
        net, cache = self._net, getattr(self, "_chains", None)
        if cache is None or cache[0] is not net:
            cache = self._chains = (net, list(net.decoder.parameters()), [], {})
        versions = [p._version for p in cache[1]]  # in-place changes of the weights
        if versions != cache[2]:
            cache[2][:] = versions
            cache[3].clear()
        key = None if rows is None else rows.tobytes()
        chain = cache[3].get(key)
        if chain is None:
            if len(cache[3]) >= 8:
                cache[3].clear()
            chain = cache[3][key] = Chain(self._numpy_layers(rows))
        return chain

    def _affine(self, torch: Any, rows: np.ndarray | None) -> tuple[Any, float]:
        center = self.center_ if rows is None else self.center_[rows]
        return self._tensor(torch, center), float(self.scale_)

    # ------------------------------------------------------------------ persistence
    def _restore(self) -> None:
        """Check the loaded state, then rebuild the network from the saved weights."""
        self._check_sizes()
        self._check_common()
        n = self.n_dofs_
        center = self.center_
        if not isinstance(center, np.ndarray) or center.shape != (n,) or center.dtype.kind != "f":
            raise ValueError(f"center_: expected a float array of shape ({n},)")
        if not np.all(np.isfinite(center)):
            raise ValueError("center_: contains NaN or inf")
        scale = self.scale_
        if (
            isinstance(scale, bool)
            or not isinstance(scale, int | float)
            or not (np.isfinite(scale) and scale > 0)
        ):
            raise ValueError(f"scale_: expected a positive finite number, got {scale!r}")
        if self.rank_ != self.rank:
            raise ValueError(f"rank_: {self.rank_} differs from rank={self.rank}")
        d = self._check_loaded_inputs()
        torch = import_optional("torch", "torch")
        device = "cuda" if self.device != "cpu" and torch.cuda.is_available() else "cpu"
        with torch.random.fork_rng(devices=[]):
            net = self._network(torch, d).to(device=device, dtype=getattr(torch, self.dtype))
        load_weights(net, self.weights_, type(self).__name__)
        net.eval()
        self._net, self._device = net, device

    def _check_loaded_inputs(self) -> int:
        """Check subclass state; return the network's input size."""
        return self.n_dofs_

    def _inputs(self, S: np.ndarray) -> np.ndarray:
        return (S - self.center_[:, None]) / self.scale_


def init_common(self: Any, kw: dict) -> None:
    for name, value in kw.items():
        if name not in ("self", "__class__"):
            setattr(self, name, value)

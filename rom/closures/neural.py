"""A thin adapter that lets a torch module speak the regressor protocol (torch optional)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rom._checks import check_array, check_choice, check_fitted, check_positive_int
from rom.backend import import_optional

__all__ = ["TorchRegressor"]

DTYPES = ("float64", "float32")


def _default_module(torch: Any, n_in: int, n_out: int) -> Any:
    nn = torch.nn
    return nn.Sequential(
        nn.Linear(n_in, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, n_out)
    )


class TorchRegressor:
    """``fit(X, Y)`` / ``predict(X)`` on NumPy arrays with a torch module inside.

    torch is imported when :meth:`fit` runs (``pip install romba[torch]``), never at
    the import of romba. Inputs and outputs are standardised column by column; the
    module is trained on the mean squared error by Adam, full batch or in
    mini-batches; arrays are converted at the boundary, and :meth:`predict` returns
    a NumPy array.

    Parameters
    ----------
    module_factory : callable ``(n_in, n_out) -> torch.nn.Module``, optional
        Builds the network; default: two hidden layers of 32 ``tanh`` units.
    epochs : int
        Passes over the training data.
    lr : float
        Learning rate of Adam.
    batch_size : int, optional
        Mini-batch size (None: full batch).
    weight_decay : float
        L2 penalty of Adam.
    dtype : {"float64", "float32"}
    device : str
        A torch device (``"cpu"``, ``"cuda"``).
    random_state : int
        Seed of the initialisation and of the batch order.

    Attributes
    ----------
    module_ : torch.nn.Module
    loss_history_ : ndarray (epochs,)
        Mean training loss (standardised units) per epoch.
    n_features_in_, n_outputs_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from rom.closures import TorchRegressor
    >>> reg = TorchRegressor(epochs=200, lr=1e-2)  # torch is not imported yet
    >>> reg.epochs
    200
    """

    def __init__(
        self,
        module_factory: Callable[[int, int], Any] | None = None,
        epochs: int = 500,
        lr: float = 1e-2,
        batch_size: int | None = None,
        weight_decay: float = 0.0,
        dtype: str = "float64",
        device: str = "cpu",
        random_state: int = 0,
    ) -> None:
        self.module_factory = module_factory
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.dtype = dtype
        self.device = device
        self.random_state = random_state

    def __repr__(self) -> str:
        return f"TorchRegressor(epochs={self.epochs}, lr={self.lr})"

    def fit(self, X: Any, Y: Any) -> TorchRegressor:
        """Train a fresh module on ``X`` (n_samples, p) and ``Y`` (n_samples, k) or 1-D."""
        torch = import_optional("torch", "torch")
        epochs = check_positive_int(self.epochs, "epochs", allow_none=False)
        batch = check_positive_int(self.batch_size, "batch_size")
        dtype = check_choice(self.dtype, "dtype", DTYPES)
        if not (isinstance(self.lr, (int, float)) and np.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr: expected a positive number, got {self.lr!r}")
        if self.module_factory is not None and not callable(self.module_factory):
            raise TypeError("module_factory: expected a callable (n_in, n_out) -> Module")
        X = check_array(X, "X", ndim=2, dtype_kind="f")
        Y = check_array(Y, "Y", ndim=(1, 2), dtype_kind="f")
        self._one_output = Y.ndim == 1
        Y = Y[:, None] if Y.ndim == 1 else Y
        if Y.shape[0] != X.shape[0]:
            raise ValueError(f"Y: expected {X.shape[0]} rows (one per row of X), got {Y.shape}")
        m, p = X.shape
        k = Y.shape[1]
        self.n_features_in_, self.n_outputs_ = int(p), int(k)
        self.x_mean_, self.x_scale_ = X.mean(0), np.where(X.std(0) > 0, X.std(0), 1.0)
        self.y_mean_, self.y_scale_ = Y.mean(0), np.where(Y.std(0) > 0, Y.std(0), 1.0)
        self._torch_dtype = getattr(torch, dtype)
        torch.manual_seed(int(self.random_state))
        if self.module_factory is None:
            module = _default_module(torch, p, k)
        else:
            module = self.module_factory(p, k)
        if not isinstance(module, torch.nn.Module):
            raise TypeError(
                f"module_factory: expected a torch.nn.Module, got {type(module).__name__}"
            )
        module = module.to(device=self.device, dtype=self._torch_dtype)
        Xt = self._tensor(torch, (X - self.x_mean_) / self.x_scale_)
        Yt = self._tensor(torch, (Y - self.y_mean_) / self.y_scale_)
        optimiser = torch.optim.Adam(
            module.parameters(), lr=float(self.lr), weight_decay=float(self.weight_decay)
        )
        generator = torch.Generator().manual_seed(int(self.random_state))
        size = m if batch is None else min(batch, m)
        history = np.empty(epochs)
        module.train()
        for epoch in range(epochs):
            order = torch.randperm(m, generator=generator) if size < m else None
            total = 0.0
            for start in range(0, m, size):
                rows = slice(start, start + size) if order is None else order[start : start + size]
                optimiser.zero_grad()
                loss = torch.mean((module(Xt[rows]) - Yt[rows]) ** 2)
                loss.backward()
                optimiser.step()
                total += float(loss.detach()) * (min(start + size, m) - start)
            history[epoch] = total / m
            if not np.isfinite(history[epoch]):
                raise FloatingPointError(
                    f"TorchRegressor: the training loss became {history[epoch]} at epoch "
                    f"{epoch}; lower lr"
                )
        module.eval()
        self.module_ = module
        self.loss_history_ = history
        return self

    def _tensor(self, torch: Any, values: np.ndarray) -> Any:
        return torch.as_tensor(
            np.ascontiguousarray(values), dtype=self._torch_dtype, device=self.device
        )

    def predict(self, X: Any) -> np.ndarray:
        """Predictions for the rows of ``X``: (n_samples, k), or (n_samples,) if ``Y`` was 1-D."""
        check_fitted(self, "module_")
        import torch

        X = check_array(X, "X", shape=(None, self.n_features_in_), dtype_kind="f")
        with torch.no_grad():
            out = self.module_(self._tensor(torch, (X - self.x_mean_) / self.x_scale_))
        Y = out.detach().cpu().numpy().astype(float) * self.y_scale_ + self.y_mean_
        return Y[:, 0] if self._one_output else Y

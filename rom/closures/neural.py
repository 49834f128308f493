"""A thin adapter that lets a torch module speak the regressor protocol (torch optional)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rom._base import Estimator
from rom._torch import load_weights, weights_of
from rom.backend import import_optional
from rom.closures.adapters import check_training_data
from rom.validation import check_array, check_choice, check_positive_int

__all__ = ["TorchRegressor"]

DTYPES = ("float64", "float32")


def _default_module(torch: Any, n_in: int, n_out: int) -> Any:
    nn = torch.nn
    return nn.Sequential(
        nn.Linear(n_in, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, n_out)
    )


class TorchRegressor(Estimator):
    """``fit(X, Y)`` / ``predict(X)`` on NumPy arrays with a torch module inside.

    torch is imported when :meth:`fit` runs (``pip install romba[torch]``), never at
    the import of romba. Inputs and outputs are standardised column by column; the
    module is trained on the mean squared error by Adam, full batch or in
    mini-batches; arrays are converted at the boundary, and :meth:`predict` returns
    a NumPy array. Real data only: for complex data wrap it in
    :class:`ArrayRegressor`, which hands it the real and imaginary parts.

    Saving: the weights of the trained module are saved as arrays; loading rebuilds
    the module with ``module_factory`` (a *part* of the file when it is given:
    ``rom.load(path, module_factory=factory)``) and needs torch.

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
    x_mean_, x_scale_, y_mean_, y_scale_ : ndarray
        The standardisation of the inputs and the outputs.
    target_ndim_ : int
        1 when fitted on a 1-D ``Y`` (then :meth:`predict` returns 1-D arrays), else 2.

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

    _fitted_marker = "module_"

    def fit(self, X: Any, Y: Any) -> TorchRegressor:
        """Train a fresh module on ``X`` (n_samples, p) and ``Y`` (n_samples, k) or 1-D.

        Parameters
        ----------
        X : array, shape (n_samples, p)
            Input rows.
        Y : array, shape (n_samples, k) or (n_samples,)
            Targets.

        Returns
        -------
        self
        """
        torch = import_optional("torch", "torch")
        epochs = check_positive_int(self.epochs, "epochs", allow_none=False)
        batch = check_positive_int(self.batch_size, "batch_size")
        check_choice(self.dtype, "dtype", DTYPES)
        if not (isinstance(self.lr, (int, float)) and np.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr: expected a positive number, got {self.lr!r}")
        if self.module_factory is not None and not callable(self.module_factory):
            raise TypeError("module_factory: expected a callable (n_in, n_out) -> Module")
        X, Y, target_ndim = check_training_data(X, Y, dtype_kind="f")
        m, p = X.shape
        k = Y.shape[1]
        self.n_features_in_, self.n_outputs_ = int(p), int(k)
        self.x_mean_, self.x_scale_ = X.mean(0), np.where(X.std(0) > 0, X.std(0), 1.0)
        self.y_mean_, self.y_scale_ = Y.mean(0), np.where(Y.std(0) > 0, Y.std(0), 1.0)
        torch.manual_seed(int(self.random_state))
        module = self._new_module(torch, p, k)
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
        self.target_ndim_ = target_ndim
        self.loss_history_ = history
        self.module_ = module
        return self

    def _new_module(self, torch: Any, n_in: int, n_out: int) -> Any:
        if self.module_factory is None:
            module = _default_module(torch, n_in, n_out)
        else:
            module = self.module_factory(n_in, n_out)
        if not isinstance(module, torch.nn.Module):
            raise TypeError(
                f"module_factory: expected a torch.nn.Module, got {type(module).__name__}"
            )
        return module.to(device=self.device, dtype=getattr(torch, self.dtype))

    def _tensor(self, torch: Any, values: np.ndarray) -> Any:
        return torch.as_tensor(
            np.ascontiguousarray(values), dtype=getattr(torch, self.dtype), device=self.device
        )

    # ------------------------------------------------------------------ persistence
    def _fitted_state(self) -> dict[str, Any]:
        """The fitted attributes, with the module as its weights (``module_state_``)."""
        state = {k: v for k, v in super()._fitted_state().items() if k != "module_"}
        state["module_state_"] = weights_of(self.module_)
        return state

    def _restore(self) -> None:
        """Rebuild the module from the saved weights (torch is needed)."""
        weights = vars(self).pop("module_state_", None)
        if weights is None:
            return
        torch = import_optional("torch", "torch")
        check_choice(self.dtype, "dtype", DTYPES)
        module = self._new_module(torch, int(self.n_features_in_), int(self.n_outputs_))
        load_weights(module, weights, "TorchRegressor")
        module.eval()
        self.module_ = module

    def predict(self, X: Any) -> np.ndarray:
        """Predictions for the rows of ``X``: (n_samples, k), or (n_samples,) if ``Y`` was 1-D.

        Parameters
        ----------
        X : array, shape (n_samples, p)
            Input rows.
        """
        self._check_fitted()
        import torch

        X = check_array(X, "X", shape=(None, self.n_features_in_), dtype_kind="f")
        with torch.no_grad():
            out = self.module_(self._tensor(torch, (X - self.x_mean_) / self.x_scale_))
        Y = out.detach().cpu().numpy().astype(float) * self.y_scale_ + self.y_mean_
        return Y[:, 0] if self.target_ndim_ == 1 else Y

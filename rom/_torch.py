"""torch helpers shared by the estimators that train networks (torch imported lazily).

A trained network is saved as its weights, plain arrays (``state_dict`` converted to
NumPy), never with ``torch.save`` or pickle; loading rebuilds the network from the
estimator's parameters and checks every saved array against it before loading.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["load_weights", "resolve_device", "weights_of"]


def weights_of(module: Any) -> dict[str, np.ndarray]:
    """The weights of ``module`` as NumPy arrays (copies, on the host)."""
    return {k: v.detach().cpu().numpy().copy() for k, v in module.state_dict().items()}


def load_weights(module: Any, weights: Any, owner: str) -> None:
    """Load saved ``weights`` into ``module`` after checking names, shapes and finiteness.

    Raises
    ------
    ValueError
        A missing or unexpected weight, a wrong shape, a non-float or non-finite array.
    """
    import torch

    if not isinstance(weights, dict):
        raise ValueError(f"{owner}: the saved weights are not a mapping of arrays")
    expected = module.state_dict()
    missing = sorted(set(expected) - set(weights))
    unknown = sorted(set(weights) - set(expected))
    if missing or unknown:
        raise ValueError(
            f"{owner}: the saved weights do not fit the module "
            f"(missing {missing}, unexpected {unknown})"
        )
    tensors = {}
    for name, ref in expected.items():
        value = weights[name]
        if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
            raise ValueError(f"{owner}: the saved weight {name!r} is not a float array")
        if tuple(value.shape) != tuple(ref.shape):
            raise ValueError(
                f"{owner}: the saved weights do not fit the module: {name!r} has shape "
                f"{value.shape}, the module expects {tuple(ref.shape)}"
            )
        if not np.all(np.isfinite(value)):
            raise ValueError(f"{owner}: the saved weight {name!r} has NaN or inf entries")
        tensors[name] = torch.as_tensor(value, dtype=ref.dtype, device=ref.device)
    module.load_state_dict(tensors)


def resolve_device(device: Any) -> str:
    """``"auto"`` -> ``"cuda"`` when torch sees a GPU, else ``"cpu"``; others as given."""
    if device not in ("auto", "cpu", "cuda"):
        raise ValueError(f"device: expected one of ('auto', 'cpu', 'cuda'), got {device!r}")
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device: 'cuda' was asked for but torch sees no GPU")
    return device

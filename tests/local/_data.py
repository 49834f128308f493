"""Snapshots shared by the tests of rom.local: travelling fronts of varying amplitude."""

import numpy as np


def fronts(params: np.ndarray, n: int = 400) -> np.ndarray:
    """``a * tanh((x - c) / w)`` on ``n`` points of [0, 1]; one column per row (c, w, a)."""
    x = np.linspace(0.0, 1.0, n)[:, None]
    c, w, a = (params[:, i][None, :] for i in range(3))
    return a * np.tanh((x - c) / w)


def front_parameters(rng: np.random.Generator, m: int) -> np.ndarray:
    return np.column_stack(
        [rng.uniform(0.15, 0.85, m), rng.uniform(0.01, 0.05, m), rng.uniform(0.2, 2.0, m)]
    )

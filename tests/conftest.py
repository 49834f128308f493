import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(20261128)


def singular_kernel(n_x: int = 30, n_mu: int = 12) -> np.ndarray:
    """Snapshots of 1/|x - mu| with x in [0,1]^2 and mu in [-1,-0.01]^2 (columns)."""
    x = np.linspace(0.0, 1.0, n_x)
    X = np.stack(np.meshgrid(x, x, indexing="ij"), -1).reshape(-1, 2)
    m = np.linspace(-1.0, -0.01, n_mu)
    P = np.stack(np.meshgrid(m, m, indexing="ij"), -1).reshape(-1, 2)
    return 1.0 / np.linalg.norm(X[:, None, :] - P[None, :, :], axis=2)


def random_spd(n: int, rng, cond: float = 1e3):
    """A dense symmetric positive definite matrix with the given condition number."""
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return (Q * np.geomspace(1.0, cond, n)) @ Q.T

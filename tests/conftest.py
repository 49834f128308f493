import importlib.util
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


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


def mpi_launcher() -> tuple[str, dict]:
    """An MPI launcher and the environment for ``launcher -n 2 python -m mpi4py.futures``.

    Skips the test without mpi4py or a launcher (mpiexec, mpirun) on PATH.
    """
    if importlib.util.find_spec("mpi4py") is None:
        pytest.skip("mpi4py is not installed")
    launcher = shutil.which("mpiexec") or shutil.which("mpirun")
    if launcher is None:
        pytest.skip("no MPI launcher (mpiexec or mpirun) on PATH")
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        # Open MPI refuses root (containers) and more ranks than cores unless told
        OMPI_ALLOW_RUN_AS_ROOT="1",
        OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
        OMPI_MCA_rmaps_base_oversubscribe="1",
    )
    return launcher, env

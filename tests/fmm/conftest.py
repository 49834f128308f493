import sys

import numpy as np
import pytest

from rom.fmm import _cupy, kernels


def distribution(name: str, n: int, dim: int, seed: int = 0) -> np.ndarray:
    """Uniform cube, sphere surface, or strongly clustered Gaussian blobs.

    All three fit in the unit cube, so that their trees have the same root box and
    the same box sides: the far-field operators trained for one distribution (cached
    per kernel and box side) serve the others.
    """
    rng = np.random.default_rng(seed)
    if name == "cube":
        return rng.random((n, dim))
    if name == "sphere":
        x = rng.standard_normal((n, dim))
        return 0.5 + 0.49 * x / np.linalg.norm(x, axis=1)[:, None]
    centers = 0.15 + 0.7 * rng.random((5, dim))
    return centers[rng.integers(0, 5, n)] + 0.01 * rng.standard_normal((n, dim))


def builtin_kernels(dim: int) -> dict:
    """Every built-in kernel of dimension ``dim``; length scales wider than the boxes."""
    ks = {
        "laplace": kernels.laplace(dim),
        "yukawa": kernels.yukawa(3.0, dim),
        "gaussian": kernels.gaussian(0.5, dim),
        "multiquadric": kernels.multiquadric(0.1, dim),
        "inverse_multiquadric": kernels.inverse_multiquadric(0.1, dim),
        "matern12": kernels.matern(0.5, 0.3, dim),
        "matern32": kernels.matern(1.5, 0.3, dim),
        "matern52": kernels.matern(2.5, 0.3, dim),
        "thin_plate": kernels.thin_plate(dim),
    }
    if dim == 3:
        ks["helmholtz"] = kernels.helmholtz(2.0)
    return ks


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def reference_formula(name: str, dim: int):
    """The kernels of :func:`builtin_kernels` written out in numpy, as functions of r."""
    s3, s5 = np.sqrt(3.0), np.sqrt(5.0)
    with_zero = {  # singular kernels: 0 at r = 0 (the convention of the loops)
        "laplace": (lambda r: 1 / r) if dim == 3 else np.log,
        "yukawa": lambda r: np.exp(-3.0 * r) / r,
        "thin_plate": lambda r: r**2 * np.log(r),
        "helmholtz": lambda r: np.exp(2j * r) / r,
    }
    smooth = {
        "gaussian": lambda r: np.exp(-(r**2) / 0.25),
        "multiquadric": lambda r: np.sqrt(r**2 + 0.01),
        "inverse_multiquadric": lambda r: 1 / np.sqrt(r**2 + 0.01),
        "matern12": lambda r: np.exp(-r / 0.3),
        "matern32": lambda r: (1 + s3 * r / 0.3) * np.exp(-s3 * r / 0.3),
        "matern52": lambda r: (1 + s5 * r / 0.3 + 5 * r**2 / 0.27) * np.exp(-s5 * r / 0.3),
    }
    if name in smooth:
        return smooth[name]
    f = with_zero[name]
    return lambda r: f(r) if r > 0 else 0.0


# the evaluation paths (CPU, array, GPU) compared on four cases that cover them
DEVICE_CASES = {
    # homogeneous: one M2L table shared by the levels, SVD-compressed
    "laplace": (kernels.laplace(), "cube", 3),
    # per-level tables, fast decay (levels without a far field)
    "gaussian": (kernels.gaussian(0.3), "blobs", 3),
    # complex kernel, each level trained on its own (a shallow tree); its M2L is
    # compressed only on larger levels
    "helmholtz": (kernels.helmholtz(2.0), "sphere", 3),
    # 2-D, adaptive tree with M2P and P2L between levels
    "log": (kernels.log(), "blobs", 2),
}


@pytest.fixture
def host_cupy(monkeypatch):
    """``import cupy`` gives NumPy with the raw CUDA kernels run on the host."""
    from rom import backend
    from tests.fmm.cuda_host import fake_cupy

    for name, mod in fake_cupy().items():
        monkeypatch.setitem(sys.modules, name, mod)
    backend._installed.cache_clear()
    monkeypatch.setattr(_cupy, "_MODULE", None)
    yield sys.modules["cupy"]
    backend._installed.cache_clear()

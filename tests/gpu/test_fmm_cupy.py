"""The cupy direct sum agrees with the numba one and keeps the data on the device."""

import numpy as np
import pytest

from rom.fmm import direct_sum, kernels

cupy = pytest.importorskip("cupy")

KERNELS = {
    "laplace": kernels.laplace(),
    "yukawa": kernels.yukawa(2.0),
    "gaussian": kernels.gaussian(0.3),
    "multiquadric": kernels.multiquadric(0.2),
    "inverse_multiquadric": kernels.inverse_multiquadric(0.2),
    "matern12": kernels.matern(0.5, 0.3),
    "matern32": kernels.matern(1.5, 0.3),
    "matern52": kernels.matern(2.5, 0.3),
    "thin_plate": kernels.thin_plate(),
    "log": kernels.log(dim=3),
    "helmholtz": kernels.helmholtz(3.0),
}


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_cupy_direct_sum_matches_numba(name):
    K = KERNELS[name]
    rng = np.random.default_rng(0)
    y = rng.random((700, 3))
    x = rng.random((300, 3))
    Q = rng.standard_normal((700, 3))
    for targets in (None, x):
        ref = direct_sum(K, targets, y, Q, backend="numba")
        got = direct_sum(
            K, None if targets is None else cupy.asarray(targets), cupy.asarray(y), cupy.asarray(Q)
        )
        assert isinstance(got, cupy.ndarray) and got.shape == ref.shape
        assert np.allclose(cupy.asnumpy(got), ref, rtol=1e-11, atol=1e-11 * np.abs(ref).max())


def test_cupy_direct_sum_one_charge_vector_and_2d():
    rng = np.random.default_rng(1)
    y = rng.random((500, 2))
    q = rng.standard_normal(500)
    K = kernels.gaussian(0.2, dim=2)
    ref = direct_sum(K, None, y, q)
    got = direct_sum(K, None, cupy.asarray(y), cupy.asarray(q))
    assert got.shape == (500,)
    assert np.allclose(cupy.asnumpy(got), ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())

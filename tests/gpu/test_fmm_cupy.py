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


GPU_EIFMM = {
    "laplace": (kernels.laplace(), 3),
    "gaussian": (kernels.gaussian(0.3), 3),
    "helmholtz": (kernels.helmholtz(2.0), 3),
    "log": (kernels.log(), 2),
}


@pytest.mark.parametrize("name", sorted(GPU_EIFMM))
def test_cupy_eifmm_matches_the_cpu_one(name):
    from rom.fmm import EIFMM

    K, dim = GPU_EIFMM[name]
    rng = np.random.default_rng(2)
    centers = 0.2 + 0.6 * rng.random((4, dim))
    y = centers[rng.integers(0, 4, 3000)] + 0.03 * rng.standard_normal((3000, dim))
    x = rng.random((800, dim))
    Q = rng.standard_normal((3000, 2))
    for targets in (None, x):
        cpu = EIFMM(K, tol=1e-6, leaf_size=30).fit(y, targets)
        gpu = EIFMM(K, tol=1e-6, leaf_size=30, backend="cupy").fit(
            cupy.asarray(y), None if targets is None else cupy.asarray(targets)
        )
        assert gpu.backend_ == "cupy"
        ref = cpu.evaluate(Q)
        got = gpu.evaluate(cupy.asarray(Q))
        assert isinstance(got, cupy.ndarray) and got.shape == ref.shape
        err = np.linalg.norm(cupy.asnumpy(got) - ref) / np.linalg.norm(ref)
        assert err <= 1e-12
        one = gpu.evaluate(cupy.asarray(Q[:, 0]))
        assert one.shape == (ref.shape[0],)
        assert np.linalg.norm(cupy.asnumpy(one) - ref[:, 0]) <= 1e-12 * np.linalg.norm(ref[:, 0])
        exact = direct_sum(K, targets, y, Q)
        assert np.linalg.norm(cupy.asnumpy(got) - exact) <= 2e-6 * np.linalg.norm(exact)


def test_cupy_grouped_sum_matches_numba():
    from rom.fmm import _cupy, _numba

    rng = np.random.default_rng(3)
    t, s = rng.random((200, 3)), rng.random((500, 3))
    tstart, tend = np.arange(0, 200, 20), np.arange(20, 201, 20)
    sstart, send = np.arange(0, 500, 50), np.arange(50, 501, 50)
    lptr = np.arange(0, 31, 3)  # three source groups per target group
    lsrc = rng.integers(0, 10, 30)
    Q = rng.standard_normal((3, 500))
    K = kernels.matern(1.5, 0.3)
    ref = np.zeros((3, 200))
    args = (tstart, tend, lptr, lsrc)
    _numba.grouped_sum(K.kid, K.params, t, *args, s, sstart, send, False, Q, ref)
    got = cupy.zeros((3, 200))
    d = cupy.asarray
    _cupy.grouped_sum(
        K.kid, d(K.params), d(t), *(d(a) for a in args), d(s), d(sstart), d(send), False, d(Q), got
    )
    assert np.allclose(cupy.asnumpy(got), ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())

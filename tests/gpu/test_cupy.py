"""cupy paths agree with numpy (the reference) and keep the data on the device."""

import numpy as np
import pytest
import scipy.sparse

from rom.eim import EIM, GEIM
from rom.linalg import POD, gram_schmidt
from tests.conftest import singular_kernel

cupy = pytest.importorskip("cupy")


@pytest.fixture(scope="module")
def S():
    return singular_kernel(40, 18)


@pytest.mark.parametrize("method", ["svd", "snapshots", "randomized", "auto"])
def test_pod_on_the_gpu_matches_numpy(S, method):
    ref = POD(rank=20, method=method, random_state=0).fit(S)
    gpu = POD(rank=20, method=method, random_state=0).fit(cupy.asarray(S))
    assert isinstance(gpu.basis_, cupy.ndarray)
    tol = 1e-6 if method == "snapshots" else 1e-12
    s = cupy.asnumpy(gpu.singular_values_)
    assert np.abs(s - ref.singular_values_).max() <= tol * s[0]
    U = gpu.basis_
    assert float(cupy.abs(U.T @ U - cupy.eye(20)).max()) < 1e-12


def test_weighted_pod_on_the_gpu(S):
    w = np.linspace(1, 2, S.shape[0])
    ref = POD(rank=10, inner=scipy.sparse.diags(w)).fit(S)
    gpu = POD(rank=10, inner=scipy.sparse.diags(w), backend="cupy").fit(S)
    assert np.allclose(cupy.asnumpy(gpu.singular_values_), ref.singular_values_, rtol=1e-10)


def test_gram_schmidt_on_the_gpu(rng):
    V = rng.standard_normal((200, 12))
    Q = gram_schmidt(cupy.asarray(V))
    assert float(cupy.abs(Q.T @ Q - cupy.eye(12)).max()) < 1e-13


@pytest.mark.parametrize("norm", ["linf", "l2", "l1"])
def test_eim_on_the_gpu_selects_the_same_points(S, norm):
    ref = EIM(max_terms=40, norm=norm, backend="numpy").fit(S)
    gpu = EIM(max_terms=40, norm=norm).fit(cupy.asarray(S))
    assert isinstance(gpu.basis_, cupy.ndarray)
    assert np.array_equal(gpu.points_, ref.points_)
    assert np.array_equal(gpu.params_, ref.params_)
    A = cupy.asnumpy(gpu.approximate(cupy.asarray(S)))
    assert np.abs(A - ref.approximate(S)).max() <= 1e-12 * np.abs(S).max()


def test_geim_on_the_gpu(S):
    ref = GEIM(np.eye(S.shape[0]), max_terms=15).fit(S)
    gpu = GEIM(cupy.eye(S.shape[0]), max_terms=15).fit(cupy.asarray(S))
    assert np.array_equal(gpu.functionals_, ref.functionals_)

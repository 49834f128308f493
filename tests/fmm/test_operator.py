import numpy as np
import pytest
import scipy.linalg
from scipy.sparse.linalg import LinearOperator, cg

from rom.fmm import KernelOperator, kernels
from tests.fmm.conftest import distribution


def test_cg_on_a_gaussian_kernel_system_matches_a_dense_solve():
    x = distribution("cube", 1000, 2, seed=3)
    K = kernels.gaussian(0.3, dim=2)
    nugget = 0.5
    A = KernelOperator(K, x, tol=1e-9, nugget=nugget, leaf_size=30)
    assert isinstance(A, LinearOperator) and A.shape == (1000, 1000)
    b = np.sin(4 * x[:, 0]) + x[:, 1] ** 2
    c, info = cg(A, b, rtol=1e-10, maxiter=2000)
    assert info == 0
    dense = K.matrix(x, x) + nugget * np.eye(1000)
    ref = scipy.linalg.solve(dense, b, assume_a="pos")
    assert np.linalg.norm(c - ref) <= 1e-5 * np.linalg.norm(ref)


def test_matmat_and_adjoint_match_the_dense_matrix(rng):
    x = distribution("blobs", 800, 2)
    K = kernels.matern(1.5, 0.4, dim=2)
    A = KernelOperator(K, x, tol=1e-8, nugget=0.5, leaf_size=30)
    dense = K.matrix(x, x) + 0.5 * np.eye(800)
    X = rng.standard_normal((800, 3))
    ref = dense @ X
    assert np.linalg.norm(A @ X - ref) <= 1e-7 * np.linalg.norm(ref)
    assert np.linalg.norm(A.H @ X[:, 0] - ref[:, 0]) <= 1e-7 * np.linalg.norm(ref[:, 0])


def test_bad_nugget():
    with pytest.raises(ValueError, match="nugget"):
        KernelOperator(
            kernels.gaussian(0.3, dim=2), np.random.default_rng(0).random((50, 2)), nugget=-1.0
        )

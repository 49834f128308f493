"""The 2-D Helmholtz kernel ``H0^(1)(k r)``: its compiled Hankel function against
scipy, the EIFMM against the direct sum, the CUDA form against the numba one."""

import numpy as np
import pytest

import rom
from rom.fmm import EIFMM, _cupy, _numba, direct_sum, kernels
from tests.fmm.conftest import relative_error

scipy_special = pytest.importorskip("scipy.special", reason="scipy is the reference")


def test_the_compiled_hankel_function_matches_scipy_from_1e_6_to_1e3():
    # the three ranges (series, recurrence, asymptotic) and their joins, densely
    x = np.concatenate(
        [np.geomspace(1e-6, 1e3, 20001), [2.0, np.nextafter(2.0, 0), 16.0, 15.999999]]
    )
    got = np.array([_numba.hankel0(v) for v in x])
    ref = scipy_special.hankel1(0, x)
    err = np.abs(got - ref) / np.abs(ref)
    assert err.max() < 1e-14, (err.max(), x[err.argmax()])


def test_the_kernel_matrix_is_h0_of_k_r_with_zero_on_the_diagonal(rng):
    K = kernels.helmholtz(7.5, dim=2)
    assert (K.dim, K.dtype, K.singular, K.value_at_zero) == (2, np.complex128, True, 0j)
    assert K.name == "helmholtz(k=7.5, dim=2)" and K.homogeneity is None
    X, Y = rng.random((60, 2)) * 40, rng.random((50, 2)) * 40  # k r up to ~400
    Y[:3] = X[:3]
    M = K.matrix(X, Y)
    r = np.linalg.norm(X[:, None] - Y[None], axis=2)
    ref = scipy_special.hankel1(0, 7.5 * np.where(r > 0, r, 1.0))
    ref[r == 0] = 0
    assert M.shape == (60, 50) and M.dtype == np.complex128
    assert np.all(M[r == 0] == 0) and np.count_nonzero(r == 0) == 3
    assert np.max(np.abs(M - ref) / np.maximum(np.abs(ref), 1e-300)) < 1e-14
    # the 3-D kernel is unchanged: exp(i k r) / r
    H3 = kernels.helmholtz(2.0)
    assert (H3.dim, H3.name) == (3, "helmholtz(k=2)")
    d = np.array([[0.3, 0.4, 0.0]])
    assert abs(H3(d)[0] - np.exp(1j) / 0.5) < 1e-15


@pytest.mark.parametrize("k", [2.0, 20.0])
def test_eifmm_with_the_2d_helmholtz_kernel_meets_its_tolerance(k, rng):
    K = kernels.helmholtz(k, dim=2)
    y = rng.random((2000, 2))
    q = rng.standard_normal(2000) + 1j * rng.standard_normal(2000)
    fmm = EIFMM(K, tol=1e-6, leaf_size=64).fit(y)
    assert len(fmm.lists_["m2l"]) > 0  # the far field is used
    phi = fmm.evaluate(q)
    assert phi.dtype == np.complex128
    assert relative_error(phi, direct_sum(K, None, y, q)) <= 3e-6


def test_a_saved_2d_helmholtz_eifmm_loads_with_its_kernel(tmp_path, rng):
    K = kernels.helmholtz(5.0, dim=2)
    y, q = rng.random((800, 2)), rng.standard_normal(800)
    fmm = EIFMM(K, tol=1e-3, leaf_size=40).fit(y)
    fmm.save(tmp_path / "h.npz")
    loaded = rom.load(tmp_path / "h.npz")
    assert loaded.kernel_.name == K.name and loaded.kernel_.kid == K.kid
    assert np.array_equal(loaded.evaluate(q), fmm.evaluate(q))


def test_bad_wave_numbers_and_dimensions_are_refused():
    for dim in (1, 4, 2.0, True, "2"):
        with pytest.raises(ValueError, match="dim: expected 2 or 3"):
            kernels.helmholtz(1.0, dim=dim)
    for k in (0.0, -1.0, np.inf, np.nan):
        with pytest.raises(ValueError, match="k: expected a finite positive"):
            kernels.helmholtz(k, dim=2)
    for k in ("1", None, 1j, True):
        with pytest.raises(TypeError, match="k: expected a positive real"):
            kernels.helmholtz(k, dim=2)


def test_the_cuda_form_of_the_kernel_matches_numba(host_cupy, rng):
    K = kernels.helmholtz(20.0, dim=2)  # k r from 0 to ~40: the three ranges
    y, x = rng.random((300, 2)) * 2, rng.random((120, 2)) * 2
    Q = rng.standard_normal((300, 2)) + 1j * rng.standard_normal((300, 2))
    for targets in (None, x):
        ref = direct_sum(K, targets, y, Q, backend="numba")
        got = direct_sum(K, targets, y, Q, backend="cupy")
        assert got.shape == ref.shape and got.dtype == ref.dtype
        assert relative_error(got, ref) <= 1e-13
    assert _cupy._MODULE._functions["direct_complex"].launches == 2

import numba
import numpy as np
import pytest

from rom.fmm import direct_sum, kernels
from tests.fmm.conftest import builtin_kernels, reference_formula


def double_loop(f, T, S, Q, same):
    """The plain reference: two Python loops over targets and sources, ``f(r)`` in numpy."""
    out = np.zeros((T.shape[0], Q.shape[1]), dtype=complex)
    for i in range(T.shape[0]):
        for j in range(S.shape[0]):
            if same and i == j:
                continue
            out[i] += f(float(np.sqrt(np.sum((T[i] - S[j]) ** 2)))) * Q[j]
    return out if np.iscomplexobj(out[out != 0]) and np.abs(out.imag).max() else out.real


@pytest.mark.parametrize("dim", [2, 3])
def test_direct_sum_matches_a_double_loop_for_every_kernel(dim, rng):
    S = rng.random((40, dim))
    T = rng.random((25, dim))
    Q = rng.standard_normal((40, 3))
    for name, K in builtin_kernels(dim).items():
        f = reference_formula(name, dim)
        ref = double_loop(f, S, S, Q, True)
        got = direct_sum(K, None, S, Q)
        assert np.allclose(got, ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max()), name
        ref = double_loop(f, T, S, Q, False)
        got = direct_sum(K, T, S, Q)
        assert np.allclose(got, ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max()), name
        got_np = direct_sum(K, T, S, Q, backend="numpy")
        assert np.allclose(got_np, ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max()), name


def test_self_interaction_is_excluded_only_when_targets_are_sources(rng):
    S = rng.random((30, 3))
    q = rng.random(30)
    K = kernels.gaussian(0.3)
    a = direct_sum(K, None, S, q)
    b = direct_sum(K, S, S, q)
    c = direct_sum(K, S.copy(), S, q)  # a different array: K(0) q_i is included
    assert np.allclose(a, b)
    assert np.allclose(c - a, q * K.value_at_zero)


def test_shapes_complex_charges_and_bare_jitted_kernel(rng):
    S = rng.random((50, 2))
    q = rng.standard_normal(50) + 1j * rng.standard_normal(50)
    K = kernels.log()
    out = direct_sum(K, None, S, q)
    assert out.shape == (50,) and out.dtype == np.complex128
    assert np.allclose(out, direct_sum(K, None, S, q.real) + 1j * direct_sum(K, None, S, q.imag))
    # a bare jitted f(r) is wrapped once as a radial kernel (its loops compile once;
    # user-kernel sums are checked in tests/fmm/test_eifmm.py::test_user_kernel)
    f = numba.njit(lambda r: np.exp(-r))
    W = kernels.as_kernel(f, 2)
    assert W is kernels.as_kernel(f, 2) and W.radial and W.dim == 2
    assert W.value_at_zero == 1.0 and not W.singular


def test_helmholtz_direct_sum_is_complex_and_reciprocal(rng):
    S = rng.random((60, 3))
    K = kernels.helmholtz(3.0)
    e0, e1 = np.zeros(60), np.zeros(60)
    e0[0], e1[1] = 1, 1
    # K is symmetric: phi_1 from a unit charge at 0 equals phi_0 from a unit charge at 1
    a = direct_sum(K, None, S, e0)[1]
    b = direct_sum(K, None, S, e1)[0]
    r = np.linalg.norm(S[0] - S[1])
    assert a == pytest.approx(b) and a == pytest.approx(np.exp(3j * r) / r)


@pytest.mark.parametrize(
    "args, err, match",
    [
        ((None, np.ones((5, 3)), np.ones(4)), ValueError, "charges: expected 5 rows"),
        ((None, np.ones((5, 4)), np.ones(5)), ValueError, "sources:"),
        ((np.ones((3, 2)), np.ones((5, 3)), np.ones(5)), ValueError, "targets:"),
        ((None, np.full((5, 3), np.nan), np.ones(5)), ValueError, "sources: contains NaN"),
        ((None, np.ones((5, 3)), np.array([1, 2, np.inf, 4, 5.0])), ValueError, "charges:"),
        ((None, np.ones(5), np.ones(5)), ValueError, "sources: expected a 2-D"),
    ],
)
def test_direct_sum_bad_input(args, err, match):
    with pytest.raises(err, match=match):
        direct_sum(kernels.laplace(), *args)


def test_direct_sum_bad_kernel_and_backend():
    with pytest.raises(TypeError, match="kernel:"):
        direct_sum(lambda r: r, None, np.ones((3, 3)), np.ones(3))
    with pytest.raises(ValueError, match="kernel: a 2-D kernel"):
        direct_sum(kernels.log(), None, np.ones((3, 3)), np.ones(3))
    with pytest.raises(ValueError, match="backend:"):
        direct_sum(kernels.laplace(), None, np.ones((3, 3)), np.ones(3), backend="gpu")


@pytest.mark.parametrize("dim", [2, 3])
def test_all_pairs_sum_uses_each_kernel_value_twice(dim, rng):
    """Targets = sources beyond one group of points: the all-pairs loop (each kernel
    value serves both points of a pair) against the dense reference, for one and for
    several charge vectors, complex charges too, with coincident points."""
    from rom.fmm import direct

    n = 3 * direct.MUTUAL_CHUNK + 17
    S = rng.random((n, dim))
    S[5] = S[700]  # coincident points: the singular kernels take 0 there
    Q = rng.standard_normal((n, 2))
    for name, K in builtin_kernels(dim).items():
        ref = direct_sum(K, None, S, Q, backend="numpy")
        for charges in (Q, Q[:, 0], Q[:, 0] + 1j * Q[:, 1]):
            got = direct_sum(K, None, S, charges)
            want = ref if charges.ndim == 2 else ref[:, 0]
            if np.iscomplexobj(charges):
                want = ref[:, 0] + 1j * ref[:, 1]
            assert np.allclose(got, want, rtol=1e-12, atol=1e-12 * np.abs(want).max()), name

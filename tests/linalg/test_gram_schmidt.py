import numpy as np
import pytest
import scipy.sparse
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rom.linalg import gram_schmidt, orthonormalize
from tests.conftest import random_spd


def _gram(Q, M=None):
    return Q.conj().T @ (Q if M is None else M @ Q)


@settings(max_examples=40, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(3, 20), st.integers(1, 6)),
        elements=st.floats(-1e3, 1e3, allow_subnormal=False),
    ),
    st.booleans(),
)
def test_orthonormal_and_spans_input(V, complex_):
    if complex_:
        V = V + 1j * np.roll(V, 1, axis=0)
    Q = gram_schmidt(V)
    r = Q.shape[1]
    assert np.allclose(_gram(Q), np.eye(r), atol=1e-12)
    # every kept direction comes from V, every column of V is in span(Q)
    assert r <= min(V.shape)
    if r:
        residual = V - Q @ (Q.conj().T @ V)
        assert np.linalg.norm(residual) <= 1e-9 * max(1.0, np.linalg.norm(V))


def test_reorthogonalisation_fixes_ill_conditioned_columns(rng):
    # Hilbert-like columns: a single pass loses orthogonality, two passes do not
    n, k = 200, 12
    x = np.linspace(0, 1, n)[:, None]
    V = x ** np.arange(k)[None, :]
    once = gram_schmidt(V, reorthogonalize=False, rtol=0, atol=0)
    twice = gram_schmidt(V, rtol=0, atol=0)
    assert np.abs(_gram(once) - np.eye(once.shape[1])).max() > 1e-8
    assert np.abs(_gram(twice) - np.eye(twice.shape[1])).max() < 1e-13


def test_drops_dependent_columns_and_keeps_order(rng):
    a, b = rng.standard_normal((2, 50))
    V = np.stack([a, 2 * a, b, a - 3 * b, np.zeros(50)], axis=1)
    Q = gram_schmidt(V)
    assert Q.shape == (50, 2)
    assert np.allclose(Q[:, 0], a / np.linalg.norm(a))


def test_weighted_inner_product_dense_and_sparse(rng):
    n = 40
    M = random_spd(n, rng, cond=1e6)
    V = rng.standard_normal((n, 7)) + 1j * rng.standard_normal((n, 7))
    for inner in (M, scipy.sparse.csr_matrix(M)):
        Q = gram_schmidt(V, inner=inner)
        assert Q.shape == (n, 7)
        assert np.allclose(_gram(Q, M), np.eye(7), atol=1e-12)
        assert np.allclose(Q @ (Q.conj().T @ (M @ V)), V, atol=1e-9)


def test_real_complex_parity(rng):
    V = rng.standard_normal((30, 5))
    assert np.allclose(gram_schmidt(V), gram_schmidt(V.astype(complex)).real, atol=1e-14)


def test_orthonormalize_block_in_inner_product(rng):
    n = 300
    diag = np.geomspace(1e-4, 1e4, n)  # cond(M) = 1e8
    M = scipy.sparse.diags(diag)
    Y = rng.standard_normal((n, 20))
    Q = orthonormalize(Y, M)
    assert np.abs(_gram(Q, M) - np.eye(20)).max() < 1e-12
    assert np.linalg.matrix_rank(np.hstack([Q, Y]), tol=1e-8) == 20


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(V=np.array([[np.nan, 1.0]])), ValueError, "V: contains NaN"),
        (dict(V=np.ones((2, 2, 2))), ValueError, "V: expected a 1-D or 2-D"),
        (dict(V=np.array([["a"]])), TypeError, "V: expected a real or complex"),
        (dict(V=np.ones((3, 2)), inner=np.eye(2)), ValueError, r"inner: expected shape \(3, 3\)"),
        (dict(V=np.ones((3, 2)), atol=-1.0), ValueError, "atol"),
        (
            dict(V=np.ones((3, 2)), inner=-np.eye(3)),
            ValueError,
            "inner: the matrix is not positive",
        ),
    ],
)
def test_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        gram_schmidt(**kwargs)

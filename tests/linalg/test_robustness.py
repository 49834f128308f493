"""Overflow, non-symmetric inner products, NaN input (issue 18, items 10, 11, 12)."""

import numpy as np
import pytest
import scipy.sparse

from rom.linalg import POD, gram_schmidt, orthonormalize


def _snapshots():
    x = np.linspace(0, 1, 200)[:, None]
    mu = np.linspace(1, 2, 30)[None, :]
    return np.exp(-mu * x)


@pytest.mark.parametrize("method", ["auto", "svd", "snapshots", "randomized"])
@pytest.mark.parametrize("factor", [1e154, 1e300, 1e-200])
def test_pod_is_scale_invariant(method, factor):
    S = _snapshots()
    ref = POD(tol=1e-3, method=method, random_state=0).fit(S)
    big = POD(tol=1e-3, method=method, random_state=0).fit(S * factor)
    assert big.rank_ == ref.rank_ == 3
    assert np.all(np.isfinite(big.energy_))
    assert np.allclose(big.energy_, ref.energy_, rtol=1e-12, atol=0)
    assert np.allclose(big.singular_values_ / factor, ref.singular_values_, rtol=1e-12)
    assert np.allclose(np.abs(big.basis_.T @ ref.basis_), np.eye(3), atol=1e-10)


def test_pod_scale_is_exact_in_powers_of_two_and_absolute_tol_follows():
    S = _snapshots()
    c = 2.0**600
    ref = POD(tol=1e-6, relative=False).fit(S)
    big = POD(tol=1e-6 * c, relative=False).fit(S * c)
    assert big.rank_ == ref.rank_
    assert np.array_equal(big.singular_values_, ref.singular_values_ * c)
    assert np.array_equal(big.basis_, ref.basis_)
    C = POD(rank=3).fit_transform(S * c)
    assert np.allclose(C / c, POD(rank=3).fit_transform(S), rtol=1e-12, atol=1e-14)


def test_gram_schmidt_is_scale_invariant():
    rng = np.random.default_rng(0)
    V = rng.standard_normal((50, 4))
    V = np.c_[V, V[:, 0] - V[:, 1]]  # one dependent column
    ref = gram_schmidt(V)
    assert ref.shape == (50, 4)
    for factor in (1e154, 1e300):
        Q = gram_schmidt(V * factor)
        assert Q.shape == ref.shape  # before: an empty basis
        assert np.abs(Q - ref).max() < 1e-12
    S, c = _snapshots(), 2.0**700
    assert np.array_equal(gram_schmidt(S * c, atol=1e-13 * c), gram_schmidt(S))


def test_pod_and_gram_schmidt_refuse_a_non_symmetric_inner():
    rng = np.random.default_rng(1)
    n = 20
    B = rng.standard_normal((n, n))
    spd = B @ B.T + n * np.eye(n)
    skewed = spd + np.triu(np.ones((n, n)), 1)  # positive on every probe, not symmetric
    S = rng.standard_normal((n, 5))
    POD(rank=2, inner=spd).fit(S)
    POD(rank=2, inner=spd * (1 + 1e-13 * rng.standard_normal((n, n)))).fit(S)  # round-off
    for inner in (skewed, scipy.sparse.csr_matrix(skewed)):
        with pytest.raises(ValueError, match="inner: expected a Hermitian"):
            POD(rank=2, inner=inner).fit(S)  # before: |U^T M U - I| of order 1
        with pytest.raises(ValueError, match="inner: expected a Hermitian"):
            gram_schmidt(S, inner=inner)
    with pytest.raises(ValueError, match="inner: the matrix is not positive definite"):
        POD(rank=2, inner=-spd).fit(S)


def test_orthonormalize_refuses_nan_and_documents_rank_deficiency():
    Y = np.ones((6, 2))
    Y[0, 1] = np.nan
    with pytest.raises(ValueError, match="Y: contains NaN or inf"):
        orthonormalize(Y)
    with pytest.raises(ValueError, match="Y: contains NaN or inf"):
        orthonormalize(Y, np.eye(6))
    # zero columns: orthonormal columns whose span contains Y's (the documented completion)
    Z = np.zeros((6, 2))
    Z[:, 0] = 1.0
    Q = orthonormalize(Z)
    assert Q.shape == (6, 2) and np.allclose(Q.T @ Q, np.eye(2))
    assert np.allclose(Q @ (Q.T @ Z), Z)
    assert gram_schmidt(Z).shape == (6, 1)  # the exact span: the zero column dropped

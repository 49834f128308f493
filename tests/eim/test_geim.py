import numpy as np
import pytest
import scipy.sparse

from rom.eim import EIM, GEIM
from tests.conftest import singular_kernel


@pytest.fixture(scope="module")
def S():
    return singular_kernel(20, 10)


def test_identity_functionals_give_the_eim(S):
    g = GEIM(np.eye(S.shape[0]), max_terms=25).fit(S)
    e = EIM(max_terms=25).fit(S)
    assert np.array_equal(g.functionals_, e.points_)
    assert np.array_equal(g.params_, e.params_)
    assert np.allclose(g.basis_, e.basis_, atol=1e-10)  # round-off (fused multiply-adds)
    assert np.allclose(g.errors_, e.errors_, rtol=1e-12)


def test_local_averages_interpolate_the_functionals(S):
    n = S.shape[0]
    # sensors averaging 4 consecutive dofs, as a sparse matrix
    rows = np.repeat(np.arange(n // 4), 4)
    L = scipy.sparse.csr_matrix((np.full(n, 0.25), (rows, np.arange(n))), shape=(n // 4, n))
    g = GEIM(L, tol=1e-4).fit(S)
    assert g.stop_reason_ == "tol"
    B = g.interpolation_matrix_
    assert np.array_equal(np.triu(B, 1), np.zeros_like(B))
    assert np.array_equal(np.diag(B), np.ones(len(B)))
    A = g.approximate(S)
    Lsel = L[g.functionals_].toarray()
    assert np.allclose(Lsel @ A, Lsel @ S, atol=1e-10)  # functionals reproduced
    assert g.errors_[-1] <= 1e-4 * g.errors_[0]
    # the greedy's error is the sup error of the approximation on the training set
    assert np.abs(A - S).max() == pytest.approx(g.errors_[-1], rel=1e-6)
    # 100 averaging sensors cannot see every detail: asking for more stops cleanly
    with pytest.warns(RuntimeWarning, match="no longer see the residual"):
        fine = GEIM(L, tol=1e-13).fit(S)
    assert fine.stop_reason_ == "degenerate" and fine.n_terms_ <= 100


def test_bad_input(S):
    with pytest.raises(ValueError, match="functionals: expected 400 columns"):
        GEIM(np.eye(10)).fit(S)
    with pytest.raises(ValueError, match="functionals: contains NaN"):
        GEIM(np.full((3, 400), np.nan)).fit(S)
    with pytest.raises(ValueError, match="S: the snapshots"):
        GEIM(np.eye(4)).fit(np.zeros((4, 3)))
    g = GEIM(np.eye(400), max_terms=3).fit(S)
    with pytest.raises(ValueError, match="values: expected 3 values"):
        g.interpolate(np.ones(2))


def test_weighted_norm_and_complex_snapshots(S):
    n = S.shape[0]
    w = np.linspace(1, 2, n)
    g = GEIM(np.eye(n), max_terms=8, norm="l2", inner=scipy.sparse.diags(w)).fit(S)
    assert g.errors_[0] == pytest.approx(np.sqrt((w[:, None] * S**2).sum(0)).max(), rel=1e-12)
    e = EIM(max_terms=8, norm="l2", inner=scipy.sparse.diags(w)).fit(S)
    assert np.array_equal(g.functionals_, e.points_)
    Sc = S * np.exp(0.3j) + 0.5j * S[::-1]
    gc = GEIM(np.eye(n), max_terms=10).fit(Sc)
    ec = EIM(max_terms=10).fit(Sc)
    assert np.array_equal(gc.functionals_, ec.points_)
    assert np.abs(gc.approximate(Sc) - ec.approximate(Sc)).max() < 1e-10 * np.abs(Sc).max()
    with pytest.raises(ValueError, match="inner: a weighted"):
        GEIM(np.eye(n), inner=np.eye(n)).fit(S)
    with pytest.raises(TypeError, match="relative"):
        GEIM(np.eye(n), relative=1).fit(S)

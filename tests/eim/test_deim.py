import numpy as np
import pytest

from rom.eim import DEIM, QDEIM
from rom.linalg import POD


def _s(x, mu):
    return (1 - x) * np.cos(3 * np.pi * mu * (x + 1)) * np.exp(-(1 + x) * mu)


@pytest.fixture(scope="module")
def example1():
    """Example 1 of Chaturantabut & Sorensen (2010)."""
    x = np.linspace(-1, 1, 100)[:, None]
    train = _s(x, np.linspace(1, np.pi, 51)[None, :])
    valid = _s(x, np.linspace(1, np.pi, 101)[None, :])
    return train, valid


@pytest.mark.parametrize("m, published", [(10, 1e-1), (20, 1.5e-5)])
def test_published_mean_validation_error(example1, m, published):
    train, valid = example1
    deim = DEIM(max_terms=m).fit(train)
    err = np.linalg.norm(deim.approximate(valid) - valid, axis=0)
    assert published / 3 < err.mean() < 3 * published


@pytest.mark.parametrize("cls", [DEIM, QDEIM])
def test_error_bound_holds_for_every_validation_parameter(example1, cls):
    train, valid = example1
    for m in (5, 10, 20):
        d = cls(max_terms=m).fit(train)
        U = d.basis_
        err = np.linalg.norm(d.approximate(valid) - valid, axis=0)
        best = np.linalg.norm(valid - U @ (U.T @ valid), axis=0)
        assert np.all(err <= d.error_constant_ * best * (1 + 1e-10) + 1e-14)
        s = np.linalg.svd(U[d.points_], compute_uv=False)
        assert d.error_constant_ == pytest.approx(1 / s[-1])


def test_deim_points_follow_the_published_greedy(example1):
    """Reference implementation of Algorithm 1 of Chaturantabut & Sorensen."""
    train, _ = example1
    U = POD(rank=12, method="svd").fit(train).basis_
    points = [int(np.argmax(np.abs(U[:, 0])))]
    for ell in range(1, 12):
        c = np.linalg.solve(U[points, :ell], U[points, ell])
        r = U[:, ell] - U[:, :ell] @ c
        points.append(int(np.argmax(np.abs(r))))
    assert np.array_equal(DEIM.from_basis(U).points_, points)


def test_qdeim_uses_pivoted_qr_and_has_a_small_constant(example1):
    import scipy.linalg

    train, _ = example1
    U = POD(rank=15, method="svd").fit(train).basis_
    q = QDEIM.from_basis(U)
    _, _, piv = scipy.linalg.qr(U.T, pivoting=True)
    assert np.array_equal(q.points_, piv[:15])
    n, m = U.shape
    assert q.error_constant_ < np.sqrt(n - m + 1) * 2**m
    assert q.error_constant_ < 10  # far below the worst case in practice


def test_interpolation_at_points_and_complex_basis(rng):
    A = rng.standard_normal((80, 6)) + 1j * rng.standard_normal((80, 6))
    U, _ = np.linalg.qr(A)
    for cls in (DEIM, QDEIM):
        d = cls.from_basis(U)
        f = U @ rng.standard_normal(6)
        assert np.allclose(d.approximate(f), f)  # exact on the span
        g = rng.standard_normal(80)
        assert np.allclose(d.approximate(g)[d.points_], g[d.points_])


def test_max_terms_truncates_a_given_basis(rng):
    U, _ = np.linalg.qr(rng.standard_normal((40, 8)))
    d = DEIM.from_basis(U, max_terms=3)
    assert d.basis_.shape == (40, 3) and d.points_.shape == (3,)
    assert d.n_terms_ == 3 and d.stop_reason_ == "max_terms"
    assert DEIM.from_basis(U).stop_reason_ == "exhausted"


def test_bad_input(rng):
    U, _ = np.linalg.qr(rng.standard_normal((20, 4)))
    with pytest.raises(ValueError, match="U: expected at most as many columns"):
        DEIM.from_basis(U.T)
    with pytest.raises(ValueError, match="U: column 2 is"):
        DEIM.from_basis(np.stack([U[:, 0], U[:, 1], U[:, 0] + U[:, 1]], axis=1))
    with pytest.raises(ValueError, match="U: contains NaN"):
        QDEIM.from_basis(np.full((4, 2), np.nan))
    with pytest.raises(ValueError, match="max_terms"):
        DEIM(max_terms=0).fit(U)
    with pytest.raises(ValueError, match="max_terms"):
        DEIM.from_basis(U, max_terms=0)
    d = DEIM.from_basis(U)
    with pytest.raises(ValueError, match="values: expected 4 values"):
        d.interpolate(np.ones(3))
    with pytest.raises(ValueError, match="S: expected 20 rows"):
        d.approximate(np.ones(5))


def test_stop_reasons_and_sizes(example1):
    train, _ = example1
    capped = DEIM(max_terms=7).fit(train)
    assert capped.n_terms_ == 7 and capped.stop_reason_ == "max_terms"
    by_tol = DEIM(tol=1e-4).fit(train)
    assert by_tol.stop_reason_ == "tol" and by_tol.n_terms_ == by_tol.pod_.rank_
    assert by_tol.pod_.energy_[-1] >= 1 - 1e-8  # the POD tolerance (relative Frobenius)


def test_inner_product_of_the_pod_and_complex_snapshots(example1):
    train, _ = example1
    M = np.diag(np.linspace(1, 3, train.shape[0]))
    for S in (train, train * np.exp(0.4j) + 1j * train[::-1]):
        d = DEIM(max_terms=8, inner=M).fit(S)
        U = d.basis_
        assert np.allclose(U.conj().T @ M @ U, np.eye(8), atol=1e-12)  # M-orthonormal
        f = U @ np.arange(1.0, 9.0)
        assert np.allclose(d.approximate(f), f)  # exact on the span


def test_error_bound_in_the_inner_product(example1):
    train, valid = example1
    w = np.linspace(0.5, 3, train.shape[0])
    d = DEIM(max_terms=10, inner=np.diag(w)).fit(train)
    U = d.basis_

    def norm(F):
        return np.sqrt((w[:, None] * np.abs(F) ** 2).sum(0))

    err = norm(d.approximate(valid) - valid)
    best = norm(valid - U @ (U.T @ (w[:, None] * valid)))
    assert np.all(err <= d.error_constant_ / np.sqrt(w.min()) * best * (1 + 1e-10) + 1e-14)


def test_deim_on_huge_snapshots_selects_the_same_terms():
    """Issue 18, item 10: the POD of DEIM.fit is scale-invariant (before: 1 term)."""
    x = np.linspace(-1, 1, 100)[:, None]
    mu = np.linspace(1, np.pi, 51)[None, :]
    S = (1 - x) * np.cos(3 * np.pi * mu * (x + 1)) * np.exp(-(1 + x) * mu)
    ref = DEIM(tol=1e-8).fit(S)
    big = DEIM(tol=1e-8).fit(S * 1e154)
    assert ref.n_terms_ > 10
    assert np.array_equal(big.points_, ref.points_)
    f = S[:, 7] * 1e154
    assert np.linalg.norm(big.approximate(f) - f) <= 1e-6 * np.linalg.norm(f)


@pytest.mark.parametrize("name", ["DEIM", "QDEIM"])
def test_a_rank_deficient_basis_is_refused_not_nan(name):
    """Issue 18, item 12: QDEIM on np.ones((10, 3)) gave NaN interpolants."""
    cls = {"DEIM": DEIM, "QDEIM": QDEIM}[name]
    with pytest.raises(ValueError, match=r"^U: "):
        cls.from_basis(np.ones((10, 3)))
    U = np.linalg.qr(np.random.default_rng(0).standard_normal((10, 3)))[0]
    assert np.isfinite(cls.from_basis(U).interpolate(np.ones(3))).all()

import warnings

import numpy as np
import pytest
import scipy.sparse
from hypothesis import given, settings
from hypothesis import strategies as st

import rom
from rom import NotFittedError
from rom.linalg import POD
from tests.conftest import random_spd, singular_kernel


@pytest.fixture(scope="module")
def S():
    return singular_kernel(25, 16)  # 625 x 256


@pytest.fixture(scope="module")
def svd_ref(S):
    return np.linalg.svd(S, full_matrices=False)


def _align(U, V):
    """Fix the sign (or phase) of each column of U to match V."""
    phase = np.sum(U.conj() * V, axis=0)
    return U * (phase / np.abs(phase))


@pytest.mark.parametrize("method", ["svd", "randomized", "auto"])
def test_singular_values_match_direct_svd_to_round_off(S, svd_ref, method):
    _, s_ref, _ = svd_ref
    pod = POD(rank=40, method=method, random_state=0).fit(S)
    assert pod.rank_ == 40
    err = np.abs(pod.singular_values_ - s_ref[:40])
    assert err.max() <= 1e-12 * s_ref[0]
    # the reported bound holds and is itself at the round-off level
    assert np.all(err <= pod.singular_value_error_ + 1e-15 * s_ref[0])
    assert pod.singular_value_error_.max() <= 1e-12 * s_ref[0]


def test_methods_agree_on_leading_modes(S, svd_ref):
    U_ref, s_ref, _ = svd_ref
    for method in ("svd", "snapshots", "randomized"):
        pod = POD(rank=8, method=method, random_state=1).fit(S)
        U = _align(pod.basis_, U_ref[:, :8])
        assert np.abs(U - U_ref[:, :8]).max() < 1e-7, method
        assert np.allclose(pod.singular_values_, s_ref[:8], rtol=1e-10), method


def test_method_of_snapshots_loses_the_small_singular_values(S, svd_ref):
    """The Gram matrix squares sigma: nothing below sqrt(eps) sigma_1 survives."""
    _, s_ref, _ = svd_ref
    snap = POD(rtol=1e-12, method="snapshots").fit(S)
    accurate = POD(rtol=1e-12, method="auto").fit(S)
    assert snap.singular_values_[-1] > 1e-9 * s_ref[0]
    assert accurate.singular_values_[-1] < 1e-11 * s_ref[0]
    r = accurate.rank_
    assert np.abs(accurate.singular_values_ - s_ref[:r]).max() <= 1e-12 * s_ref[0]


def test_orthonormal_basis_and_reconstruction(S):
    pod = POD(tol=1e-8).fit(S)
    U = pod.basis_
    assert np.abs(U.T @ U - np.eye(pod.rank_)).max() < 1e-13
    C = pod.transform(S)
    assert C.shape == (pod.rank_, S.shape[1])
    R = S - pod.inverse_transform(C)
    assert np.linalg.norm(R) <= 1e-8 * np.linalg.norm(S) * (1 + 1e-6)
    assert pod.energy_[-1] == pytest.approx(1 - (np.linalg.norm(R) / np.linalg.norm(S)) ** 2)


@pytest.mark.parametrize("tol", [1e-2, 1e-5, 1e-9])
def test_tol_is_the_smallest_rank_meeting_the_frobenius_error(S, svd_ref, tol):
    _, s_ref, _ = svd_ref
    tails = np.sqrt(np.cumsum((s_ref**2)[::-1])[::-1] / np.sum(s_ref**2))
    expected = int(np.argmax(np.append(tails[1:], 0.0) <= tol)) + 1
    for method in ("svd", "auto"):
        pod = POD(tol=tol, method=method).fit(S)
        assert pod.rank_ == expected, method
        rel = np.linalg.norm(S - pod.basis_ @ pod.transform(S)) / np.linalg.norm(S)
        assert rel <= tol * (1 + 1e-8)


def test_rtol_keeps_modes_above_the_cut(S, svd_ref):
    _, s_ref, _ = svd_ref
    pod = POD(rtol=1e-6).fit(S)
    assert pod.rank_ == int(np.sum(s_ref > 1e-6 * s_ref[0]))


def test_projection_error_resolves_far_below_sqrt_eps(S):
    pod = POD(rank=90, method="svd").fit(S)
    err = pod.projection_error(S)
    direct = np.linalg.norm(S - pod.basis_ @ (pod.basis_.T @ S), axis=0) / np.linalg.norm(
        S, axis=0
    )
    assert np.allclose(err, direct, rtol=1e-6, atol=1e-16)
    assert err.max() < 1e-11
    # the textbook formula sqrt(|s|^2 - |c|^2) stalls near sqrt(eps)
    C = pod.transform(S)
    textbook = np.sqrt(np.abs(np.sum(S**2, 0) - np.sum(C**2, 0))) / np.linalg.norm(S, axis=0)
    assert np.median(textbook) > 1e3 * err.max()
    assert pod.projection_error(S[:, 0]) == pytest.approx(err[0], rel=1e-6, abs=1e-16)
    absolute = pod.projection_error(S, relative=False)
    assert np.allclose(absolute, err * np.linalg.norm(S, axis=0), rtol=1e-6, atol=1e-16)


def test_weighted_pod_with_a_mass_matrix(S, rng):
    n = S.shape[0]
    w = rng.uniform(0.5, 2.0, n) / n
    M = scipy.sparse.diags(w)
    ref = np.linalg.svd(np.sqrt(w)[:, None] * S, compute_uv=False)
    for method in ("svd", "auto", "snapshots"):
        pod = POD(rank=10, inner=M, method=method).fit(S)
        U = pod.basis_
        assert np.abs(U.T @ (M @ U) - np.eye(10)).max() < 1e-12, method
        rtol = 1e-10 if method != "snapshots" else 1e-6
        assert np.allclose(pod.singular_values_, ref[:10], rtol=rtol), method
    # dense SPD inner product: singular values are those of L^T S with M = L L^T
    Md = random_spd(n, rng, cond=1e4) / n
    L = np.linalg.cholesky(Md)
    ref = np.linalg.svd(L.T @ S, compute_uv=False)
    pod = POD(rank=12, inner=Md).fit(S)
    assert np.allclose(pod.singular_values_, ref[:12], rtol=1e-9)
    assert np.abs(pod.basis_.T @ Md @ pod.basis_ - np.eye(12)).max() < 1e-11


@settings(max_examples=15, deadline=None)
@given(st.integers(2, 6), st.integers(0, 2**31 - 1))
def test_real_complex_parity(rank, seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((60, rank)) @ rng.standard_normal((rank, 25))
    real = POD(method="svd").fit(A)
    phase = np.exp(1j * rng.uniform(0, 2 * np.pi))
    cplx = POD(method="svd").fit(phase * A)  # same singular values, rotated basis
    assert real.rank_ == cplx.rank_ == rank
    assert np.allclose(real.singular_values_, cplx.singular_values_, rtol=1e-10)
    G = cplx.basis_.conj().T @ cplx.basis_
    assert np.allclose(G, np.eye(rank), atol=1e-12)


def test_complex_snapshots_match_svd(rng):
    A = rng.standard_normal((400, 250)) + 1j * rng.standard_normal((400, 250))
    A = A @ np.diag(np.geomspace(1, 1e-10, 250))
    s_ref = np.linalg.svd(A, compute_uv=False)
    for method in ("auto", "svd"):  # slow decay: "auto" falls back to the SVD if needed
        pod = POD(rank=30, method=method, random_state=3).fit(A)
        assert np.abs(pod.singular_values_ - s_ref[:30]).max() <= 1e-12 * s_ref[0]
        assert np.abs(pod.basis_.conj().T @ pod.basis_ - np.eye(30)).max() < 1e-13


def test_auto_chooses_by_shape_and_request(S):
    assert POD(rank=3).fit(S[:150]).method_ == "svd"  # small
    assert POD().fit(S).method_ == "svd"  # no truncation: full spectrum
    assert POD(rank=80).fit(S).method_ == "svd"  # a sizeable part of the modes
    assert POD(rank=10).fit(S).method_ == "randomized"


def test_rank_larger_than_numerical_rank_warns(rng):
    A = rng.standard_normal((300, 3)) @ rng.standard_normal((3, 220))
    with pytest.warns(RuntimeWarning, match="numerically nonzero"):
        pod = POD(rank=10, method="svd").fit(A)
    assert pod.rank_ == 3


def test_save_load_round_trip(S, tmp_path):
    pod = POD(rank=5, inner=scipy.sparse.identity(S.shape[0]) * 2.0).fit(S)
    path = tmp_path / "pod.npz"
    pod.save(path)
    again = rom.load(path)
    assert isinstance(again, POD)
    assert np.array_equal(again.basis_, pod.basis_)
    assert np.allclose(again.transform(S), pod.transform(S), rtol=0, atol=0)


@pytest.mark.parametrize(
    "kwargs, data, error, match",
    [
        (dict(), np.array([[1.0, np.inf], [0.0, 1.0]]), ValueError, "S: contains NaN or inf"),
        (dict(), np.ones(5), ValueError, "S: expected a 2-D"),
        (dict(), np.zeros((0, 3)), ValueError, "S: expected a non-empty"),
        (dict(), np.zeros((4, 3)), ValueError, "S: every snapshot is zero"),
        (dict(), np.array([["x"]]), TypeError, "S: expected a real or complex"),
        (dict(rank=0), np.ones((3, 3)), ValueError, "rank: expected an integer >= 1"),
        (dict(rank=2.5), np.ones((3, 3)), TypeError, "rank"),
        (dict(tol=-1), np.ones((3, 3)), ValueError, "tol"),
        (dict(tol=2.0), np.ones((3, 3)), ValueError, "tol"),
        (dict(method="qr"), np.ones((3, 3)), ValueError, "method: expected one of"),
        (dict(backend="gpu"), np.ones((3, 3)), ValueError, "backend: expected one of"),
        (dict(inner=np.eye(2)), np.ones((3, 3)), ValueError, r"inner: expected shape \(3, 3\)"),
    ],
)
def test_bad_input(kwargs, data, error, match):
    with pytest.raises(error, match=match):
        POD(**kwargs).fit(data)


def test_bad_input_after_fit(S):
    pod = POD(rank=3).fit(S)
    with pytest.raises(ValueError, match="S: expected 625 rows"):
        pod.transform(np.ones((5, 2)))
    with pytest.raises(ValueError, match="C: expected 3 rows"):
        pod.inverse_transform(np.ones((4, 2)))
    with pytest.raises(NotFittedError, match="not fitted"):
        POD().transform(S)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pod.projection_error(np.zeros(625))  # a zero column has error 0, no warning


def test_weighted_pod_of_a_wide_snapshot_matrix(rng):
    n, m = 40, 90
    w = rng.uniform(0.5, 2.0, n)
    S = rng.standard_normal((n, 6)) @ rng.standard_normal((6, m))
    ref = np.linalg.svd(np.sqrt(w)[:, None] * S, compute_uv=False)
    pod = POD(inner=scipy.sparse.diags(w)).fit(S)
    assert pod.rank_ == 6
    assert np.allclose(pod.singular_values_, ref[:6], rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
@pytest.mark.parametrize("order", ["C", "F"])
def test_tall_svd_route_matches_lapack(dtype, order):
    """Tall snapshot matrices go through the R factor of a QR decomposition and
    only the kept modes are formed: singular values and projections must be those
    of LAPACK's full SVD to round-off, down to modes at 1e-13 sigma_1."""
    rng = np.random.default_rng(3)
    n, m = 3000, 40
    Q1 = np.linalg.qr(
        rng.standard_normal((n, m))
        + (1j * rng.standard_normal((n, m)) if dtype is np.complex128 else 0)
    )[0]
    Q2 = np.linalg.qr(rng.standard_normal((m, m)))[0]
    sigma = np.logspace(0, -13, m)
    S = np.asarray((Q1 * sigma) @ Q2.T, order=order).astype(dtype)
    reference = np.linalg.svd(S, compute_uv=False)
    for kwargs in ({"rank": 25}, {"tol": 1e-9}, {"rtol": 1e-6}, {}):
        pod = POD(method="svd", **kwargs).fit(S)
        r = pod.rank_
        assert np.abs(pod.singular_values_ - reference[:r]).max() <= 1e-14 * reference[0]
        U = pod.basis_
        assert np.abs(U.conj().T @ U - np.eye(r)).max() < 1e-14
        residual = np.linalg.norm(S - U @ (U.conj().T @ S))
        assert residual <= np.linalg.norm(reference[r:]) + 1e-14 * reference[0]
        # the leading modes are the SVD's (up to a phase)
        U_ref = np.linalg.svd(S, full_matrices=False)[0]
        overlap = np.abs(np.sum(U_ref[:, :5].conj() * U[:, :5], axis=0))
        assert np.allclose(overlap, 1.0, atol=1e-12)
    tails = np.sqrt(np.cumsum(sigma[::-1] ** 2)[::-1] / np.sum(sigma**2))
    assert POD(method="svd", tol=3e-3).fit(S).rank_ == int(np.sum(tails > 3e-3))


def test_tall_route_in_a_forked_process_after_the_parent_used_it():
    # the row blocks run on a thread pool; a child forked after the parent created it
    # must get threads of its own (the parent's do not exist in the child)
    import multiprocessing

    S = np.random.default_rng(0).standard_normal((4000, 20))
    ref = POD(rank=5).fit(S).singular_values_
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        got = pool.apply_async(_pod_values, (S,)).get(timeout=60)
    np.testing.assert_allclose(got, ref, rtol=1e-12)


def _pod_values(S):
    return POD(rank=5).fit(S).singular_values_


@pytest.mark.parametrize("method", ["svd", "snapshots", "randomized"])
def test_absolute_tolerance(method):
    """relative=False: the Frobenius norm of the discarded part is at most tol itself."""
    x = np.linspace(0, 1, 300)[:, None]
    S = 50.0 * np.exp(-np.linspace(1, 5, 40)[None, :] * x)
    sigma = np.linalg.svd(S, compute_uv=False)
    tails = np.sqrt(np.cumsum(sigma[::-1] ** 2)[::-1])  # tails[r] = ||S - S_r||_F
    tol = 1e-4
    pod = POD(tol=tol, relative=False, method=method, random_state=0).fit(S)
    r = pod.rank_
    assert tails[r] <= tol * (1 + 1e-8) and tails[r - 1] > tol
    # the same truncation as the relative tolerance scaled by ||S||_F
    rel = POD(tol=tol / np.linalg.norm(S), method=method, random_state=0).fit(S)
    assert rel.rank_ == r

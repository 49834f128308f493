import math

import numpy as np
import pytest
import scipy.sparse

from rom import NotFittedError
from rom.io import load
from rom.linalg import POD
from rom.local import LocalPOD, sine_dissimilarity
from tests.local._data import front_parameters, fronts


@pytest.fixture(scope="module")
def transport():
    rng = np.random.default_rng(7)
    P, Q = front_parameters(rng, 240), front_parameters(rng, 80)
    return fronts(P), fronts(Q), P, Q


def test_sine_local_pod_beats_global_pod_of_the_same_rank(transport):
    S, T, _, _ = transport
    for rank in (4, 8):
        local = LocalPOD(6, rank=rank, random_state=0).fit(S)
        glob = POD(rank=rank).fit(S)
        assert local.projection_error(T).max() < glob.projection_error(T).max() / 2
        assert all(b.rank_ == rank for b in local.bases_)


def test_sine_clustering_ignores_amplitude_and_beats_euclidean_kmeans(transport):
    """Amplitudes vary by a factor 10: Euclidean k-means spends clusters on them."""
    S, T, _, _ = transport
    sine = LocalPOD(6, rank=6, random_state=0).fit(S).projection_error(T)
    eucl = LocalPOD(6, "euclidean", "kmeans", rank=6, random_state=0).fit(S).projection_error(T)
    assert sine.max() < 0.6 * eucl.max()
    assert np.sqrt(np.mean(sine**2)) < 0.6 * np.sqrt(np.mean(eucl**2))


def test_projection_error_is_the_projection_on_the_assigned_basis(transport):
    S, T, _, _ = transport
    local = LocalPOD(4, rank=5, random_state=1).fit(S)
    labels = local.assign(T)
    # nearest medoid in the sine dissimilarity, computed directly
    D = sine_dissimilarity(T, local.medoids_)
    assert np.array_equal(labels, np.argmin(D, axis=1))
    err = local.projection_error(T)
    for j in range(0, T.shape[1], 9):
        Phi = local.bases_[labels[j]].basis_
        r = T[:, j] - Phi @ (Phi.T @ T[:, j])
        assert err[j] == pytest.approx(np.linalg.norm(r) / np.linalg.norm(T[:, j]), rel=1e-10)
    # the training snapshots are assigned to their own clusters
    assert np.array_equal(local.assign(S), local.labels_)


@pytest.mark.parametrize("metric, method", [("sine", "kmedoids"), ("euclidean", "kmeans")])
def test_assignment_in_reduced_coordinates_matches_the_full_one(transport, metric, method, rng):
    S, _, _, _ = transport
    n = S.shape[0]
    M = scipy.sparse.diags(np.linspace(0.5, 1.5, n) / n)
    local = LocalPOD(5, metric, method, rank=6, inner=M, random_state=0).fit(S)
    for i, pod in enumerate(local.bases_):
        A = rng.standard_normal((pod.rank_, 30))
        A[:, 0] = pod.transform(S[:, local.members_[i][0]])
        full = local.assign(pod.basis_ @ A)
        assert np.array_equal(local.assign(A, basis=i), full)
        assert local.assign(A[:, 0], basis=i) == full[0]
        # the small Gram quantities need no vector of length n
        assert local._coupling[i].shape == (pod.rank_, 5)


def test_transfer_between_bases_is_the_projection(transport, rng):
    S, _, _, _ = transport
    n = S.shape[0]
    M = scipy.sparse.diags(np.linspace(1.0, 2.0, n))
    local = LocalPOD(3, rank=4, inner=M, random_state=0).fit(S)
    a = rng.standard_normal(4)
    u = local.bases_[0].basis_ @ a
    b = local.transfer(a, 0, 2)
    assert np.allclose(b, local.bases_[2].basis_.T @ (M @ u), rtol=1e-12, atol=1e-14)
    assert np.allclose(local.transfer(a, 1, 1), a, atol=1e-12)  # orthonormal basis
    with pytest.raises(ValueError, match="target"):
        local.transfer(a, 0, 3)
    with pytest.raises(ValueError, match="a: expected 4 rows"):
        local.transfer(np.ones(3), 0, 1)


def test_overlap_adds_the_nearest_snapshots_of_other_clusters(transport):
    S, _, _, _ = transport
    base = LocalPOD(4, rank=3, random_state=2).fit(S)
    over = LocalPOD(4, rank=3, overlap=0.1, random_state=2).fit(S)
    assert np.array_equal(base.labels_, over.labels_)
    D = sine_dissimilarity(S, over.medoids_)
    for k in range(4):
        own = np.flatnonzero(over.labels_ == k)
        extra = np.setdiff1d(over.members_[k], own)
        assert extra.size == math.ceil(0.1 * own.size)
        others = np.setdiff1d(np.arange(S.shape[1]), own)
        threshold = np.sort(D[others, k])[extra.size - 1]
        assert np.all(D[extra, k] <= threshold)


def test_kmeans_matches_scikit_learn_on_separated_groups(rng):
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    centres = rng.standard_normal((50, 4)) * 10
    S = np.repeat(centres, 30, axis=1) + rng.standard_normal((50, 120))
    ours = LocalPOD(4, "euclidean", "kmeans", rank=2, random_state=0).fit(S)
    ref = KMeans(4, n_init=4, random_state=0).fit(S.T)
    assert adjusted_rand_score(ours.labels_, ref.labels_) == 1.0
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-10)
    assert np.allclose(np.sort(ours.medoids_.sum(axis=0)), np.sort(ref.cluster_centers_.sum(1)))


def test_save_and_load_give_the_same_model(transport, tmp_path):
    S, T, _, _ = transport
    local = LocalPOD(3, rank=4, overlap=0.05, random_state=0).fit(S)
    local.save(tmp_path / "local.npz")
    back = load(tmp_path / "local.npz")
    assert np.array_equal(back.assign(T), local.assign(T))
    assert np.allclose(back.projection_error(T), local.projection_error(T), rtol=1e-14)
    assert np.allclose(back.criterion_.gain_, local.criterion_.gain_)
    assert np.allclose(back.transfer(np.ones(4), 0, 1), local.transfer(np.ones(4), 0, 1))


def test_saved_file_holds_the_inner_product_once(transport, tmp_path):
    S, T, _, _ = transport
    M = scipy.sparse.diags(np.linspace(1.0, 2.0, S.shape[0]), format="csr")
    local = LocalPOD(3, rank=4, inner=M, random_state=0).fit(S)
    local.save(tmp_path / "local.npz")
    with np.load(tmp_path / "local.npz") as raw:
        assert sum(name.endswith(".data") for name in raw.files) == 1  # one sparse matrix
    back = load(tmp_path / "local.npz")
    assert all(pod.inner_ is back.inner_ for pod in back.bases_)
    assert np.array_equal(back.assign(T), local.assign(T))
    assert np.allclose(back.projection_error(T), local.projection_error(T), rtol=1e-13)
    assert local.bases_[0].inner_ is not None  # saving left the fitted model as it was


def test_absolute_tol_is_the_frobenius_error_of_each_cluster(transport):
    S, _, _, _ = transport
    local = LocalPOD(3, tol=0.5, relative=False, random_state=0).fit(S)
    for idx, pod in zip(local.members_, local.bases_, strict=True):
        tail = np.sqrt(np.sum(np.linalg.svd(S[:, idx], compute_uv=False)[pod.rank_ :] ** 2))
        assert tail <= 0.5
        assert (
            pod.rank_ == 0
            or np.sqrt(np.sum(np.linalg.svd(S[:, idx], compute_uv=False)[pod.rank_ - 1 :] ** 2))
            > 0.5
        )
    with pytest.raises(ValueError, match=r"tol: expected a number <= 1\.0"):
        LocalPOD(3, tol=2.0).fit(S)
    assert LocalPOD(3, tol=2.0, relative=False, random_state=0).fit(S).bases_[0].rank_ >= 1


def test_bad_input_is_refused(transport):
    S, _, _, _ = transport
    with pytest.raises(ValueError, match="n_clusters: expected at most 240"):
        LocalPOD(241).fit(S)
    with pytest.raises(ValueError, match="dissimilarity"):
        LocalPOD(2, dissimilarity="cosine").fit(S)
    with pytest.raises(ValueError, match="clustering"):
        LocalPOD(2, clustering="dbscan").fit(S)
    with pytest.raises(ValueError, match="overlap"):
        LocalPOD(2, overlap=1.5).fit(S)
    Z = S.copy()
    Z[:, 3] = 0
    with pytest.raises(ValueError, match="zero"):
        LocalPOD(2).fit(Z)
    LocalPOD(2, "euclidean", rank=2).fit(Z)  # fine without angles
    local = LocalPOD(2, rank=3, random_state=0).fit(S)
    with pytest.raises(ValueError, match="u: expected 400 rows"):
        local.assign(np.ones(5))
    with pytest.raises(ValueError, match="u: expected 3 rows"):
        local.assign(np.ones(5), basis=0)
    with pytest.raises(TypeError, match="basis"):
        local.assign(np.ones(3), basis=0.5)
    with pytest.raises(ValueError, match="zero state"):
        local.assign(np.zeros(400))
    with pytest.raises(NotFittedError, match="not fitted"):
        LocalPOD(2).assign(S[:, 0])

import numpy as np
import pytest

from rom.linalg import POD
from rom.local import EfficiencyCriterion, LocalPOD, cluster_widths, scan_clusters
from tests.local._data import front_parameters, fronts


@pytest.fixture(scope="module")
def snapshots():
    rng = np.random.default_rng(3)
    return fronts(front_parameters(rng, 200), n=300), fronts(front_parameters(rng, 80), n=300)


def _unit(S):
    return S / np.linalg.norm(S, axis=0)


def test_in_sample_widths_are_the_pod_projection_errors(snapshots):
    S, _ = snapshots
    U = _unit(S)
    members = np.arange(0, 200, 3)
    widths = cluster_widths(U.T @ U, members, 12, "max")
    rms = cluster_widths(U.T @ U, members, 12, "rms")
    X = U[:, members]
    Phi = np.linalg.svd(X, full_matrices=False)[0]
    for r in range(13):
        P = Phi[:, :r]
        err = np.linalg.norm(X - P @ (P.T @ X), axis=0)
        assert widths[r] == pytest.approx(err.max(), rel=1e-6, abs=1e-7)
        assert rms[r] == pytest.approx(np.sqrt(np.mean(err**2)), rel=1e-6, abs=1e-7)


def test_cross_validated_widths_project_each_fold_on_the_others(snapshots):
    S, _ = snapshots
    U = _unit(S)
    members = np.arange(1, 200, 2)
    widths = cluster_widths(U.T @ U, members, 6, "max", folds=4)
    errors = np.zeros((members.size, 7))
    for f in range(4):
        held = np.arange(members.size)[f::4]
        train = np.setdiff1d(np.arange(members.size), held)
        Phi = np.linalg.svd(U[:, members[train]], full_matrices=False)[0]
        for r in range(7):
            P = Phi[:, :r]
            X = U[:, members[held]]
            errors[held, r] = np.linalg.norm(X - P @ (P.T @ X), axis=0)
    assert np.allclose(widths, np.minimum.accumulate(errors.max(axis=0)), rtol=1e-6, atol=1e-7)


def test_one_cluster_has_gain_one_and_the_budget_is_checked(snapshots):
    S, _ = snapshots
    c = LocalPOD(1, rank=5, random_state=0).fit(S).criterion_
    assert np.allclose(c.gain_, 1.0) and np.allclose(c.gain_in_sample_, 1.0)
    c = LocalPOD(8, rank=10, random_state=0).fit(S).criterion_
    sizes = c.cluster_sizes_
    assert sizes.sum() == 200
    assert np.array_equal(c.admissible_, sizes.min() >= 2.0 * (np.arange(11) + 1))
    g, loc = c.ranks_for(0.3)
    worst = c.cluster_widths_.max(axis=0)
    assert loc < g <= 10  # the local bases need fewer modes for the same width
    assert c.global_width_[g] <= 0.3 < c.global_width_[g - 1]
    assert worst[loc] <= 0.3 < worst[loc - 1]
    assert c.ranks_for(1e-9) == (11, 11)  # beyond the ranks computed


def test_criterion_predicts_the_measured_gain(snapshots):
    """Across numbers of clusters and ranks the predicted and measured gains agree."""
    S, T = snapshots
    predicted, measured = [], []
    for rank in (4, 8):
        scan = scan_clusters(S, [1, 2, 4, 8], rank, validation=T)
        predicted += list(scan.predicted_gain)
        measured += list(scan.measured_gain)
        assert scan.predicted_gain[0] == pytest.approx(1.0)
        assert scan.measured_gain[0] == pytest.approx(1.0)
        assert scan.best_k > 1
        glob = POD(rank=rank).fit(S).projection_error(T).max()
        assert scan.global_error == pytest.approx(glob)
    lp, lm = np.log(predicted), np.log(measured)
    assert np.corrcoef(lp, lm)[0, 1] > 0.9
    assert np.max(np.abs(lp - lm)) < np.log(3)  # within a factor 3 everywhere


def test_criterion_of_orthogonal_snapshots():
    """Orthonormal snapshots: no rank below the set size helps, split or not."""
    c = EfficiencyCriterion(folds=None).fit(np.eye(8), [np.arange(4), np.arange(4, 8)], 3)
    assert np.allclose(c.global_width_, np.sqrt(1 - 0.0))  # every snapshot has error 1
    assert np.allclose(c.gain_in_sample_, 1.0)
    assert c.max_admissible_rank_ == 1  # 4 snapshots per cluster, 2 per mode
    with pytest.raises(ValueError, match="rank: expected at most 3"):
        c.gain_at(4)


def test_criterion_is_saved_inside_local_pod_and_alone(snapshots, tmp_path):
    import rom

    S, _ = snapshots
    c = LocalPOD(3, rank=4, random_state=0).fit(S).criterion_
    rom.save(c, tmp_path / "c.npz")
    back = rom.load(tmp_path / "c.npz")
    assert repr(back) == repr(c)
    for name in ("gain_", "cluster_widths_", "admissible_", "cluster_sizes_"):
        assert np.array_equal(getattr(back, name), getattr(c, name))
    assert back.ranks_for(0.2) == c.ranks_for(0.2)


def test_scan_bad_input(snapshots):
    S, _ = snapshots
    with pytest.raises(ValueError, match="statistic"):
        scan_clusters(S, [1, 2], 3, statistic="median")
    with pytest.raises(ValueError, match="validation: expected shape"):
        scan_clusters(S, [1, 2], 3, validation=np.ones((5, 2)))
    with pytest.raises(ValueError, match="folds"):
        LocalPOD(2, folds=1).fit(S)
    with pytest.raises(TypeError, match="ks"):
        scan_clusters(S, [1, 2.5], 3)

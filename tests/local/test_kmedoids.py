import itertools

import numpy as np
import pytest

from rom import NotFittedError
from rom.local import KMedoids, sine_dissimilarity, total_cost
from rom.local._numba import best_swaps, best_swaps_serial, nearest_two


def _points(rng, m):
    X = rng.standard_normal((m, 2))
    return np.linalg.norm(X[:, None, :] - X[None, :, :], axis=2)


@pytest.mark.parametrize("swap", ["eager", "best"])
@pytest.mark.parametrize("case", range(20))
def test_reaches_the_brute_force_optimum_on_small_cases(case, swap):
    rng = np.random.default_rng(1000 + case)
    m = int(rng.integers(6, 12))
    k = int(rng.integers(2, 5))
    if case % 3 == 0:
        D = _points(rng, m)
    elif case % 3 == 1:
        D = _points(rng, m) ** 2
    else:  # sines of the angles between random snapshots
        D = sine_dissimilarity(rng.standard_normal((8, m)))
    optimum = min(total_cost(D, c) for c in itertools.combinations(range(m), k))
    km = KMedoids(k, n_init=10, swap=swap, random_state=case).fit(D)
    assert km.inertia_ == pytest.approx(optimum, rel=1e-12)
    assert total_cost(D, km.medoid_indices_) == pytest.approx(km.inertia_, rel=1e-12)


def test_labels_are_the_nearest_medoids_and_history_decreases(rng):
    D = _points(rng, 60)
    km = KMedoids(5, random_state=0).fit(D)
    assert np.array_equal(km.labels_, np.argmin(D[km.medoid_indices_], axis=0))
    assert np.array_equal(km.labels_[km.medoid_indices_], np.arange(5))
    assert np.all(np.diff(km.history_) <= 1e-12)
    assert km.inertia_ == pytest.approx(km.history_[-1])
    assert np.array_equal(km.predict(D[:, km.medoid_indices_][:7]), km.labels_[:7])


def test_swap_phase_never_worse_than_alternating_alone(rng):
    D = _points(rng, 80)
    for seed in range(5):
        plain = KMedoids(6, n_init=1, swap=None, random_state=seed).fit(D)
        for swap in ("eager", "best"):
            full = KMedoids(6, n_init=1, swap=swap, random_state=seed).fit(D)
            assert full.inertia_ <= plain.inertia_ + 1e-12


def test_serial_and_parallel_sweeps_agree(rng):
    D = _points(rng, 120)
    medoids = np.array([3, 40, 77, 100], dtype=np.int64)
    labels, d1, d2 = nearest_two(D, medoids)
    is_medoid = np.zeros(120, dtype=bool)
    is_medoid[medoids] = True
    a = best_swaps(D, is_medoid, labels, d1, d2, 4)
    b = best_swaps_serial(D, is_medoid, labels, d1, d2, 4)
    assert np.allclose(a[0], b[0], rtol=1e-12) and np.array_equal(a[1], b[1])
    # the change predicted for a swap is the true change of the total cost
    c = int(np.argmin(a[0]))
    swapped = medoids.copy()
    swapped[a[1][c]] = c
    assert total_cost(D, swapped) - total_cost(D, medoids) == pytest.approx(a[0][c], abs=1e-10)


def test_as_many_clusters_as_points_and_duplicates(rng):
    D = _points(rng, 5)
    km = KMedoids(5, random_state=0).fit(D)
    assert km.inertia_ == 0.0 and sorted(km.medoid_indices_) == list(range(5))
    x = np.array([0.0, 0.0, 0.0, 1.0, 1.0])  # two distinct values, three clusters
    with pytest.warns(RuntimeWarning, match="coincide"):
        km = KMedoids(3, random_state=0).fit(np.abs(x[:, None] - x[None, :]))
    assert np.all(np.bincount(km.labels_, minlength=3) >= 1)  # no empty cluster
    assert km.inertia_ == 0.0 and km.n_duplicate_medoids_ == 1


def test_bad_input_is_refused(rng):
    D = _points(rng, 6)
    with pytest.raises(ValueError, match="n_clusters: expected at most 6"):
        KMedoids(7).fit(D)
    with pytest.raises(ValueError, match="square"):
        KMedoids(2).fit(D[:, :5])
    bad = D.copy()
    bad[0, 1] += 1
    with pytest.raises(ValueError, match="symmetric"):
        KMedoids(2).fit(bad)
    with pytest.raises(ValueError, match="non-negative"):
        KMedoids(2).fit(-D)
    with pytest.raises(TypeError, match="n_clusters"):
        KMedoids(2.5).fit(D)
    with pytest.raises(ValueError, match="swap"):
        KMedoids(2, swap=True).fit(D)
    with pytest.raises(NotFittedError, match="not fitted"):
        KMedoids(2).predict(D[:, :2])


def test_against_fasterpam_of_the_kmedoids_package():
    """The peer: FasterPAM (the ``kmedoids`` package) on the squared sine dissimilarity
    of travelling fronts. romba's result is a local optimum for single swaps by
    FasterPAM's own check (no swap from it improves), and its cost is at most that of
    FasterPAM's best of as many random starts."""
    kmedoids = pytest.importorskip("kmedoids", reason="the peer k-medoids package")
    from tests.local._data import front_parameters, fronts

    S = fronts(front_parameters(np.random.default_rng(11), 400))
    D = sine_dissimilarity(S) ** 2
    km = KMedoids(8, n_init=4, random_state=0).fit(D)
    again = kmedoids.fasterpam(D, km.medoid_indices_.copy())
    assert again.n_swap == 0
    assert again.loss == pytest.approx(km.inertia_, rel=1e-12)
    peer = min(kmedoids.fasterpam(D, 8, random_state=seed).loss for seed in range(4))
    assert km.inertia_ <= peer * (1 + 1e-12)


def test_alternating_steps_are_optional():
    rng = np.random.default_rng(3)
    D = _points(rng, 120)
    with_steps = KMedoids(5, n_init=1, alternate=True, random_state=1).fit(D)
    without = KMedoids(5, n_init=1, random_state=1).fit(D)
    assert without.history_[0] == without.history_[1]  # no alternating step
    assert with_steps.history_[1] <= with_steps.history_[0]
    assert KMedoids(5, n_init=1, swap=None, random_state=1).fit(D).n_iter_ >= 1
    with pytest.raises(TypeError, match="alternate"):
        KMedoids(5, alternate="yes").fit(D)

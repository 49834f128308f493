"""The far-field training store, and the per-level criterion that EIFMM documents."""

import numpy as np
import pytest

import rom.fmm
from rom.fmm import EIFMM, _farfield, kernels
from tests.fmm.conftest import distribution


@pytest.fixture
def small_cache(monkeypatch):
    """A store of its own (the session's one keeps serving the other tests)."""
    cache = _farfield.TrainingCache(max_bytes=2_000_000, max_entries=12)
    monkeypatch.setattr(_farfield, "CACHE", cache)
    return cache


def test_the_store_stays_bounded_after_many_distinct_trainings(small_cache, rng):
    y = rng.random((600, 2))
    put = []
    original = small_cache.put
    small_cache.put = lambda key, value: (
        put.append(_farfield._nbytes(value)),
        original(key, value),
    )
    for h in np.geomspace(0.05, 0.5, 8):  # eight kernels, each trained per level
        EIFMM(kernels.gaussian(h, dim=2), tol=1e-4, leaf_size=20).fit(y)
        assert small_cache.nbytes <= small_cache.max_bytes
        assert len(small_cache) <= small_cache.max_entries
        assert small_cache.nbytes == sum(small_cache._sizes.values())
    assert sum(put) > 2 * small_cache.max_bytes and len(put) > 3 * small_cache.max_entries
    info = rom.fmm.cache_info()
    assert info["entries"] == len(small_cache) and info["nbytes"] == small_cache.nbytes


def test_clear_cache_empties_the_store_and_a_fit_refills_it(small_cache, rng):
    y = rng.random((600, 2))
    K = kernels.gaussian(0.2, dim=2)
    first = EIFMM(K, tol=1e-5, leaf_size=20).fit(y)
    assert len(small_cache) > 0
    rom.fmm.clear_cache()
    assert rom.fmm.cache_info()["entries"] == 0 and rom.fmm.cache_info()["nbytes"] == 0
    again = EIFMM(K, tol=1e-5, leaf_size=20).fit(y)  # trained anew, the same operators
    assert again.ranks_ == first.ranks_ and len(small_cache) > 0
    q = rng.standard_normal(600)
    assert np.array_equal(again.evaluate(q), first.evaluate(q))


def test_least_recently_used_entries_go_first():
    cache = _farfield.TrainingCache(max_bytes=3 * 800, max_entries=100)
    for key in "abc":
        cache.put(key, np.zeros(100))  # 800 bytes each: full
    assert cache.get("a") is not None  # a is now the most recent
    cache.put("d", np.zeros(100))
    assert cache.get("b") is None and all(cache.get(k) is not None for k in "acd")
    cache.put("huge", np.zeros(1000))  # larger than the whole store: not kept
    assert cache.get("huge") is None and len(cache) == 3
    many = _farfield.TrainingCache(max_bytes=10**9, max_entries=5)
    for k in range(20):
        many.put(k, float(k))  # numbers: bounded by the number of entries
    assert len(many) == 5 and many.get(19) == 19.0 and many.get(0) is None


@pytest.mark.parametrize(
    "kernel, dim, dist",
    [
        (kernels.gaussian(0.3, dim=2), 2, "blobs"),
        (kernels.laplace(), 3, "cube"),
        (kernels.log(), 2, "blobs"),
    ],
    ids=["gaussian", "laplace", "log"],
)
def test_each_level_gets_the_documented_rank(kernel, dim, dist, monkeypatch):
    """The EIFMM docstring: the rank of a level is the smallest whose training error
    is at most tol / (SAFETY sqrt(L)) times the level's reference size, which is the
    largest |K| over the level's training set, or more on the coarse levels above the
    first level with a far field (FLOOR)."""
    from rom.fmm import eifmm

    calls = []
    train = _farfield.train

    def recording(K, method, h, level_tier, max_order, reach, target):
        tr = train(K, method, h, level_tier, max_order, reach, target)
        own = _farfield.own_max(K, h, level_tier, reach)
        calls.append((h, target, own, tr))
        return tr

    monkeypatch.setattr(_farfield, "train", recording)
    tol = 1e-6
    fmm = EIFMM(kernel, tol=tol, leaf_size=30).fit(distribution(dist, 1500, dim))
    L = max(len(fmm.ranks_), 1)
    assert fmm.level_tol_ == tol / (eifmm.SAFETY * np.sqrt(L))
    assert len(calls) == len(fmm.ranks_)
    seen_far = False
    for (lev, rank), (h, target, own, tr) in zip(sorted(fmm.ranks_.items()), calls, strict=True):
        assert h == fmm.tree_.root_side / 2.0**lev
        ref = target / fmm.level_tol_
        assert ref >= own * (1 - 1e-12)
        if seen_far:
            assert ref == pytest.approx(own, rel=1e-12)  # no floor below a far field
        scale = 1.0 if kernel.homogeneity is None else (h / tr.h) ** kernel.homogeneity
        errs = tr.errors * scale
        assert errs[rank] <= target  # the rank reaches the level's tolerance
        assert rank == 0 or errs[rank - 1] > target  # and is the smallest that does
        seen_far = seen_far or rank > 0
    assert fmm.error_estimate_ == pytest.approx(np.sqrt(L) * max(fmm.level_errors_.values()))

"""Snapshot stores read in blocks: chunks, readers, streamed POD, surrogate, CLI."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import rom
from rom import ParameterSpace
from rom.backend import blas_threads
from rom.linalg import POD, IncrementalPOD, distributed_pod, project_store
from rom.nonintrusive import SnapshotStore, Surrogate
from rom.parallel import process_pool

SPACE = ParameterSpace({"a": (1.0, 6.0), "b": (0.0, 1.0)})
X = np.linspace(0.0, 1.0, 120)


def truth(mu):
    return np.exp(-mu[0] * X) * np.cos(3 * mu[1] * X) + mu[1]


@pytest.fixture
def store(tmp_path):
    s = SnapshotStore(tmp_path / "store", SPACE, ["u", "v"])
    for mu in SPACE.grid(6):
        s.put(mu, {"u": truth(mu), "v": np.ones(3)})
    return s


@pytest.fixture(autouse=True)
def one_blas_thread():
    with blas_threads(1):
        yield


def test_chunks_are_lazy_and_cover_the_store(store, monkeypatch):
    S, mus = store.snapshots("u")
    loads = []
    original = SnapshotStore._load
    monkeypatch.setattr(
        SnapshotStore, "_load", lambda self, p: loads.append(p) or original(self, p)
    )
    it = store.chunks(5)
    assert loads == []  # nothing read before the first block is asked for
    first = next(it)
    assert first.shape == (120, 5) and len(loads) == 5
    blocks = [first, *it]
    assert [b.shape[1] for b in blocks] == [5] * 7 + [1]
    np.testing.assert_array_equal(np.concatenate(blocks, axis=1), S)
    pairs = list(store.chunks(8, parameters=True))
    np.testing.assert_array_equal(np.concatenate([p[1] for p in pairs]), mus)
    assert [b.shape for b in store.chunks(30, field="v")] == [(3, 30), (3, 6)]


def test_readers_are_picklable_and_skip_corrupt_files(store):
    S, mus = store.snapshots("u")
    readers = store.chunk_readers(10)
    assert [len(r) for r in readers] == [10, 10, 10, 6]
    assert len(pickle.dumps(readers[0])) < 2000  # the names, not the data
    with process_pool(2) as pool:
        parts = list(pool.map(pickle.loads(pickle.dumps(readers[1])).__class__.read, readers))
    np.testing.assert_array_equal(np.concatenate([p[0] for p in parts], axis=1), S)
    np.testing.assert_array_equal(np.concatenate([p[1] for p in parts]), mus)
    victim = store.path / "snapshots" / readers[0].names[3]
    victim.write_bytes(b"not a snapshot")
    assert readers[0]().shape == (120, 9)
    assert sum(b.shape[1] for b in store.chunks(10)) == 35


def test_streamed_pods_of_a_store(store):
    S, _ = store.snapshots("u")
    norm = np.linalg.norm(S)
    inc = IncrementalPOD(tol=1e-6, chunk_size=7).fit(store)
    dist = distributed_pod(store.chunk_readers(6), tol=1e-6, arity=3)
    exact = POD(tol=1e-6, method="svd").fit(store)
    np.testing.assert_allclose(
        exact.singular_values_, POD(tol=1e-6, method="svd").fit(S).singular_values_
    )
    whole = distributed_pod(store, tol=1e-6)  # the store itself: readers of ~64 MB
    assert whole.n_samples_seen_ == 36
    for pod in (inc, dist, whole):
        err = np.linalg.norm(S - pod.basis_ @ pod.transform(S))
        assert err <= pod.error_bound_ * (1 + 1e-8) <= 1e-6 * norm
        assert exact.rank_ <= pod.rank_ <= exact.rank_ + 2
    with process_pool(2) as pool:
        coords, mus = project_store(inc, store, executor=pool, chunk_size=8)
    np.testing.assert_allclose(coords, inc.transform(S), atol=1e-12 * norm)
    np.testing.assert_array_equal(mus, store.snapshots("u")[1])


def test_surrogate_fit_from_a_store(store):
    S, mus = store.snapshots("u")
    streamed = Surrogate().fit(store, "u")
    assert isinstance(streamed.reduction_, IncrementalPOD)
    in_memory = Surrogate(reduction=IncrementalPOD(tol=1e-6)).fit(mus, S)
    test = np.array([[2.3, 0.4], [5.1, 0.9]])
    np.testing.assert_allclose(streamed.predict(test), in_memory.predict(test), atol=1e-6)
    reference = np.stack([truth(mu) for mu in test], axis=1)
    assert np.abs(streamed.predict(test) - reference).max() < 0.05


@pytest.mark.parametrize("executor", ["serial", "processes:2"])
def test_cli_pod_from_a_store(store, tmp_path, capsys, executor):
    from rom.cli import main

    out = tmp_path / f"basis-{executor.replace(':', '')}.npz"
    assert main(["pod", "--store", str(store.path), "--field", "u", "--tol", "1e-5",
                 "--chunk-size", "8", "--executor", executor, "-o", str(out)]) == 0  # fmt: skip
    assert "certified relative error" in capsys.readouterr().out
    pod = rom.load(out)
    S, _ = store.snapshots("u")
    err = np.linalg.norm(S - pod.basis_ @ pod.transform(S))
    assert err <= pod.error_bound_ * (1 + 1e-8) <= 1e-5 * np.linalg.norm(S)


def test_open_and_bad_input(store, tmp_path):
    again = SnapshotStore.open(store.path)
    assert again.fields == ["u", "v"] and len(again) == 36
    with pytest.raises(ValueError, match=r"path: .* is not a snapshot store"):
        SnapshotStore.open(tmp_path)
    with pytest.raises(ValueError, match="size: expected an integer >= 1"):
        next(store.chunks(0))
    with pytest.raises(TypeError, match="size: expected an integer"):
        store.chunk_readers(2.5)
    with pytest.raises(ValueError, match="field: expected one of"):
        store.chunk_readers(3, field="w")
    with pytest.raises(TypeError, match="store: expected a SnapshotStore"):
        project_store(POD(rank=1).fit(np.eye(3)), np.eye(3))

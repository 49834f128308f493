"""IncrementalPOD and distributed_pod: the HAPOD bound against the exact POD."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse

import rom
from rom.backend import blas_threads
from rom.linalg import POD, IncrementalPOD, distributed_pod
from rom.linalg.hapod import DistributedPODError
from rom.parallel import process_pool
from tests.conftest import mpi_launcher

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def one_blas_thread():
    """Small matrices: one BLAS thread is faster and steadier on a loaded machine."""
    with blas_threads(1):
        yield


def exact_rank(s, tol):
    """The smallest rank whose discarded singular values stay within tol (relative)."""
    tails = np.concatenate([np.cumsum((s**2)[::-1])[::-1][1:], [0.0]])
    return int(np.nonzero(tails <= tol**2 * np.sum(s**2))[0][0]) + 1


def structured(n=400, m=120, noise=1e-7, seed=0):
    x = np.linspace(0.0, 1.0, n)[:, None]
    mu = np.linspace(1.0, 12.0, m)[None, :]
    rng = np.random.default_rng(seed)
    return np.sin(3 * mu * x) * np.exp(-mu * x) + noise * rng.standard_normal((n, m))


def random_low_rank(n=300, m=90, seed=1):
    rng = np.random.default_rng(seed)
    U = np.linalg.qr(rng.standard_normal((n, 40)))[0]
    V = np.linalg.qr(rng.standard_normal((m, 40)))[0]
    return (U * np.logspace(0, -8, 40)) @ V.T + 1e-10 * rng.standard_normal((n, m))


def error(pod, S, M=None):
    """sqrt(sum_j ||s_j - U U^H M s_j||_M^2), computed directly."""
    R = S - pod.basis_ @ pod.transform(S)
    return float(np.sqrt(np.sum(np.real(np.conj(R) * (R if M is None else M @ R)))))


def blocks(S, size):
    return [S[:, k : k + size] for k in range(0, S.shape[1], size)]


@pytest.mark.parametrize("data", [structured, random_low_rank])
@pytest.mark.parametrize("tol", [1e-2, 1e-4, 1e-7])
def test_incremental_bound_holds_and_tol_met(data, tol):
    S = data()
    norm = np.linalg.norm(S)
    pod = IncrementalPOD(tol=tol, chunk_size=17).fit(S)
    err = error(pod, S)
    assert err <= pod.error_bound_ * (1 + 1e-8) + 1e-13 * norm
    assert pod.error_bound_ <= tol * norm * (1 + 1e-12)
    assert pod.n_samples_seen_ == S.shape[1]
    # against the exact POD of all the snapshots: never better than optimal, and only
    # a few modes more for the same tolerance
    s = np.linalg.svd(S, compute_uv=False)
    assert err >= np.sqrt(np.sum(s[pod.rank_ :] ** 2)) * (1 - 1e-8)
    r = exact_rank(s, tol)
    assert r <= pod.rank_ <= r + max(3, r // 20)
    # certified singular values: 0 <= sigma_i - hat sigma_i <= singular_value_error_
    gap = s[: pod.rank_] - pod.singular_values_
    assert np.all(gap >= -1e-12 * s[0])
    assert np.all(gap <= pod.singular_value_error_ + 1e-12 * s[0])


@pytest.mark.parametrize("arity", [2, 3])
def test_distributed_incremental_in_memory_agree(arity):
    S = structured(m=130)
    tol = 1e-5
    norm = np.linalg.norm(S)
    inc = IncrementalPOD(tol=tol, chunk_size=20).fit(S)
    dist = distributed_pod(blocks(S, 20), tol=tol, arity=arity)
    exact = POD(tol=tol, method="svd").fit(S)
    for pod in (inc, dist):
        assert error(pod, S) <= pod.error_bound_ * (1 + 1e-8) <= tol * norm * (1 + 1e-8)
        assert pod.n_samples_seen_ == 130
        assert abs(pod.total_energy_ - norm**2) <= 1e-12 * norm**2
    # the projections agree within the sum of the bounds
    for a, b in ((inc, dist), (inc, exact), (dist, exact)):
        bound_a = getattr(a, "error_bound_", error(a, S))
        bound_b = getattr(b, "error_bound_", error(b, S))
        P = a.basis_ @ a.transform(S) - b.basis_ @ b.transform(S)
        assert np.linalg.norm(P) <= bound_a + bound_b + 1e-12 * norm
    k = min(inc.rank_, dist.rank_, exact.rank_)
    np.testing.assert_allclose(
        dist.singular_values_[:k], exact.singular_values_[:k], atol=tol * norm
    )


def test_absolute_tolerance_inner_product_and_complex():
    S = structured(n=200, m=60) + 1j * structured(n=200, m=60, seed=3)[::-1]
    M = scipy.sparse.diags(np.linspace(1.0, 3.0, 200), format="csr")
    total = float(np.real(np.sum(np.conj(S) * (M @ S))))
    tol = 1e-3 * np.sqrt(total)
    for pod in (
        IncrementalPOD(tol=tol, relative=False, inner=M, chunk_size=7).fit(S),
        distributed_pod(blocks(S, 7), tol=tol, relative=False, inner=M, arity=4),
    ):
        U = pod.basis_
        np.testing.assert_allclose(U.conj().T @ (M @ U), np.eye(pod.rank_), atol=1e-10)
        assert error(pod, S, M) <= pod.error_bound_ * (1 + 1e-8) <= tol * (1 + 1e-8)
        assert abs(pod.total_energy_ - total) <= 1e-10 * total


def test_partial_fit_save_load_and_resume(tmp_path):
    S = structured()
    a = IncrementalPOD(tol=1e-6)
    for chunk in blocks(S, 30):
        a.partial_fit(chunk)
    b = IncrementalPOD(tol=1e-6, chunk_size=30).fit(S)
    np.testing.assert_array_equal(a.singular_values_, b.singular_values_)
    half = IncrementalPOD(tol=1e-6, chunk_size=30).fit(S[:, :60])
    half.save(tmp_path / "half.npz")
    loaded = rom.load(tmp_path / "half.npz")
    assert isinstance(loaded, IncrementalPOD) and isinstance(loaded, POD)
    np.testing.assert_array_equal(loaded.basis_, half.basis_)
    for chunk in blocks(S[:, 60:], 30):
        loaded.partial_fit(chunk)
    assert loaded.n_samples_seen_ == S.shape[1]
    assert error(loaded, S) <= loaded.error_bound_ * (1 + 1e-8) <= 1e-6 * np.linalg.norm(S)


def test_usable_as_a_surrogate_reduction():
    from rom.nonintrusive import Surrogate

    mus = np.linspace(1.0, 12.0, 40)[:, None]
    x = np.linspace(0.0, 1.0, 100)[:, None]
    S = np.exp(-mus.T * x)
    model = Surrogate(reduction=IncrementalPOD(tol=1e-8, chunk_size=9)).fit(mus, S)
    assert isinstance(model.reduction_, IncrementalPOD)
    mid = np.array([[5.25]])
    np.testing.assert_allclose(model.predict(mid)[:, 0], np.exp(-5.25 * x[:, 0]), atol=1e-3)


def test_dask_array_tsqr_matches_in_memory():
    da = pytest.importorskip("dask.array", reason="dask is optional")
    S = structured(n=1200, m=50)
    lazy = da.from_array(S, chunks=(300, 25))
    a = POD(tol=1e-6).fit(lazy)
    b = POD(tol=1e-6, method="svd").fit(S)
    assert a.method_ == "tsqr" and a.rank_ == b.rank_
    np.testing.assert_allclose(
        a.singular_values_, b.singular_values_, atol=1e-13 * b.singular_values_[0]
    )
    np.testing.assert_allclose(a.basis_ @ a.transform(S), b.basis_ @ b.transform(S), atol=1e-11)


# ---------------------------------------------------------------------- executors
def test_threads_and_processes_give_the_serial_result():
    S = random_low_rank()
    serial = distributed_pod(blocks(S, 15), tol=1e-6)
    with ThreadPoolExecutor(2) as pool:
        threads = distributed_pod(blocks(S, 15), tol=1e-6, executor=pool)
    with process_pool(2) as pool:
        procs = distributed_pod(blocks(S, 15), tol=1e-6, executor=pool)
    for pod in (threads, procs):
        assert pod.rank_ == serial.rank_
        np.testing.assert_allclose(pod.singular_values_, serial.singular_values_, rtol=1e-10)
        assert abs(pod.error_bound_ - serial.error_bound_) <= 1e-8 * serial.error_bound_


class DieOnce:
    """A chunk reader whose process exits (as if killed) the first time it is read."""

    def __init__(self, block: np.ndarray, marker: str) -> None:
        self.block, self.marker = block, marker

    def __call__(self) -> np.ndarray:
        if not os.path.exists(self.marker):
            Path(self.marker).touch()
            os._exit(1)
        return self.block


@pytest.mark.slow  # two process pools
def test_killed_worker_loses_its_chunks_and_resumes(tmp_path):
    S = structured(m=96)
    chunks = blocks(S, 12)
    chunks[5] = DieOnce(chunks[5], str(tmp_path / "died"))
    with process_pool(2) as pool, pytest.raises(DistributedPODError) as info:
        distributed_pod(chunks, tol=1e-6, executor=pool)
    err = info.value
    assert 5 in err.lost and "resume=err.state" in str(err)
    kept = {i for i in range(8) if i not in err.lost}
    assert all((0, i) in err.state or any(k[0] > 0 for k in err.state) for i in kept)
    with process_pool(2) as pool:
        pod = distributed_pod(chunks, tol=1e-6, executor=pool, resume=err.state)
    reference = distributed_pod(blocks(S, 12), tol=1e-6)
    assert pod.rank_ == reference.rank_
    np.testing.assert_allclose(pod.singular_values_, reference.singular_values_, rtol=1e-10)
    assert error(pod, S) <= pod.error_bound_ * (1 + 1e-8) <= 1e-6 * np.linalg.norm(S)


@pytest.mark.slow  # an in-process dask cluster
def test_dask_local_cluster():
    distributed = pytest.importorskip("distributed", reason="dask.distributed is optional")
    S = structured(m=64)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        pod = distributed_pod(blocks(S, 8), tol=1e-6, executor=client, arity=2)
    reference = distributed_pod(blocks(S, 8), tol=1e-6)
    assert pod.rank_ == reference.rank_
    np.testing.assert_allclose(pod.singular_values_, reference.singular_values_, rtol=1e-10)
    assert error(pod, S) <= pod.error_bound_ * (1 + 1e-8)


MPI_SCRIPT = """
import sys
import numpy as np
from mpi4py.futures import MPIPoolExecutor
from rom import ParameterSpace
from rom.linalg import POD, distributed_pod
from rom.nonintrusive import SnapshotStore

if __name__ == "__main__":
    space = ParameterSpace({"k": (1.0, 10.0)})
    store = SnapshotStore(sys.argv[1], space, ["u"])
    x = np.linspace(0.0, 1.0, 200)
    for k in np.linspace(1.0, 10.0, 24):
        store.put([k], {"u": np.sin(k * x) * np.exp(-k * x)})
    with MPIPoolExecutor() as pool:
        pod = distributed_pod(store.chunk_readers(5), tol=1e-6, executor=pool)
    S = store.snapshots()[0]
    err = np.linalg.norm(S - pod.basis_ @ pod.transform(S))
    exact = POD(tol=1e-6, method="svd").fit(S)
    print("RESULT", pod.rank_, exact.rank_, err <= pod.error_bound_ <= 1e-6 * np.linalg.norm(S))
"""


@pytest.mark.slow  # an MPI job of two ranks
def test_mpiexec_two_ranks(tmp_path):
    launcher, env = mpi_launcher()
    script = tmp_path / "hapod_mpi.py"
    script.write_text(textwrap.dedent(MPI_SCRIPT))
    command = [launcher, "-n", "2", sys.executable, "-m", "mpi4py.futures", str(script)]
    run = subprocess.run(
        [*command, str(tmp_path / "store")], env=env, capture_output=True, text=True, timeout=180
    )
    assert run.returncode == 0, run.stdout + run.stderr
    line = next(x for x in run.stdout.splitlines() if x.startswith("RESULT"))
    _, rank, exact, ok = line.split()
    assert ok == "True" and int(exact) <= int(rank) <= int(exact) + 2


# ---------------------------------------------------------------------- bad input
def test_bad_input():
    S = structured(n=50, m=20)
    pod = IncrementalPOD(tol=1e-4).partial_fit(S)
    with pytest.raises(ValueError, match="S: expected 50 rows"):
        pod.partial_fit(np.ones((49, 3)))
    bad = S.copy()
    bad[1, 1] = np.inf
    with pytest.raises(ValueError, match="S: contains NaN or inf"):
        IncrementalPOD(tol=1e-4).partial_fit(bad)
    with pytest.raises(ValueError, match="S: expected a non-empty"):
        IncrementalPOD(tol=1e-4).partial_fit(np.ones((50, 0)))
    with pytest.raises(ValueError, match="S: expected at least one block"):
        IncrementalPOD(tol=1e-4).fit(iter([]))
    with pytest.raises(ValueError, match="S: every snapshot is zero"):
        IncrementalPOD(tol=1e-4).fit(np.zeros((5, 3)))
    for omega in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match="omega: expected a number in"):
            IncrementalPOD(tol=1e-4, omega=omega).fit(S)
    with pytest.raises(TypeError, match="omega"):
        IncrementalPOD(omega="0.5").fit(S)
    with pytest.raises(ValueError, match="tol: expected a number <= 1"):
        IncrementalPOD(tol=2.0).fit(S)
    with pytest.raises(TypeError, match="S: expected an array, an iterable"):
        IncrementalPOD().fit(3.0)
    with pytest.raises(ValueError, match="chunks: expected at least one chunk"):
        distributed_pod([], tol=1e-3)
    with pytest.raises(ValueError, match="arity: expected an integer >= 2"):
        distributed_pod([S], arity=1)
    with pytest.raises(ValueError, match="chunks: expected the same number of rows"):
        distributed_pod([S, S[:40]], tol=1e-3)
    with pytest.raises(ValueError, match=r"chunks\[1\]: contains NaN"):
        distributed_pod([S, bad], tol=1e-3)
    with pytest.raises(TypeError, match="chunks: expected a sequence"):
        distributed_pod(S[:, 0].tolist().__iter__(), tol=1e-3)
    with pytest.raises(ValueError, match="inner: a dask array"):
        da = pytest.importorskip("dask.array", reason="dask is optional")
        POD(inner=np.eye(50)).fit(da.from_array(S))


def test_gram_step_certified_for_a_wide_spectrum():
    """The local step by the Gram matrix (tolerances far above round-off) on singular
    values over six orders of magnitude: the candidate modes are then far from
    orthonormal (about eps sigma_1^2 / sigma_r^2), the basis must still be so to
    round-off, and the bound must hold against the exact POD."""
    rng = np.random.default_rng(4)
    n, m = 1500, 160
    U = np.linalg.qr(rng.standard_normal((n, 60)))[0]
    V = np.linalg.qr(rng.standard_normal((m, 60)))[0]
    S = (U * np.logspace(0, -6, 60)) @ V.T
    norm = np.linalg.norm(S)
    s = np.linalg.svd(S, compute_uv=False)
    for tol in (1e-3, 1e-5):
        for pod in (
            IncrementalPOD(tol=tol, chunk_size=25).fit(S),
            distributed_pod(blocks(S, 20), tol=tol, arity=3),
        ):
            B = pod.basis_
            np.testing.assert_allclose(B.T @ B, np.eye(pod.rank_), atol=1e-13)
            err = error(pod, S)
            assert err <= pod.error_bound_ * (1 + 1e-8) <= tol * norm * (1 + 1e-8)
            assert err >= np.sqrt(np.sum(s[pod.rank_ :] ** 2)) * (1 - 1e-8)
            gap = s[: pod.rank_] - pod.singular_values_
            assert np.all(gap >= -1e-12 * s[0])
            assert np.all(gap <= pod.singular_value_error_ + 1e-12 * s[0])


def test_fit_forms_the_modes_once_and_agrees_with_partial_fit():
    """fit keeps the working modes unformed between blocks (and reads the column
    blocks of a C-ordered array in place); partial_fit forms them after each block:
    the two agree to round-off, as does fit on a Fortran-ordered copy."""
    S = structured(n=600, m=150)
    a = IncrementalPOD(tol=1e-4, chunk_size=16).fit(S)
    b = IncrementalPOD(tol=1e-4)
    for k in range(0, 150, 16):
        b.partial_fit(S[:, k : k + 16])
    c = IncrementalPOD(tol=1e-4, chunk_size=16).fit(np.asfortranarray(S))
    for other in (b, c):
        assert other.rank_ == a.rank_
        np.testing.assert_allclose(
            other.singular_values_, a.singular_values_, rtol=0, atol=1e-12 * a.singular_values_[0]
        )
        np.testing.assert_allclose(
            other.basis_ @ other.transform(S), a.basis_ @ a.transform(S), atol=1e-10
        )
        assert other.error_bound_ == pytest.approx(a.error_bound_, rel=1e-6)
        assert other.total_energy_ == pytest.approx(a.total_energy_, rel=1e-12)


def test_nonfinite_and_float32_blocks():
    """NaN, inf and overflowing squares are found from the Gram diagonal (no separate
    pass over the data); float32 blocks are computed in float64."""
    S = structured(n=300, m=40)
    bad = S.copy()
    bad[250, 33] = np.nan
    with pytest.raises(ValueError, match="S: contains NaN or inf"):
        IncrementalPOD(tol=1e-4, chunk_size=10).fit(bad)
    with pytest.raises(ValueError, match="S: values too large"):
        IncrementalPOD(tol=1e-4).partial_fit(S * 1e160)
    with pytest.raises(ValueError, match=r"chunks\[0\]: values too large"):
        distributed_pod([S * 1e160], tol=1e-3)
    single = IncrementalPOD(tol=1e-3, chunk_size=10).fit(S.astype(np.float32))
    S32 = S.astype(np.float32).astype(np.float64)
    assert single.basis_.dtype == np.float64
    assert error(single, S32) <= single.error_bound_ * (1 + 1e-8)

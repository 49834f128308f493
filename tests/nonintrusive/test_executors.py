"""Snapshot campaigns on executors: process pools, dask.distributed, mpi4py.futures."""

import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from rom import ParameterSpace
from rom.nonintrusive import CallableSolver, SnapshotStore, generate_snapshots
from rom.parallel import as_executor
from tests.conftest import mpi_launcher

ROOT = Path(__file__).resolve().parents[2]
SPACE = ParameterSpace({"a": (1.0, 2.0), "b": (0.0, 1.0)})
X = np.linspace(0.0, 1.0, 400)


def truth(mu):
    return {"u": np.exp(-mu["a"] * X) + mu["b"], "pid": np.array([float(os.getpid())])}


def slow_truth(mu):  # long enough for two campaigns to collide on the same parameters
    time.sleep(0.02)
    return truth(mu)


def campaign(path, order):
    """A whole campaign in a separate process (each one opens the store itself)."""
    store = SnapshotStore(path, SPACE, ["u", "pid"])
    mus = SPACE.grid(5)[order]
    result = generate_snapshots(CallableSolver(slow_truth), mus, store, progress=False)
    return len(result.computed), len(result.skipped), len(result.failed)


def check_store(path, n_expected):
    store = SnapshotStore(path, SPACE, ["u", "pid"])
    assert store.verify() == []  # every file complete, every checksum right
    assert len(store) == n_expected
    assert not [p.name for p in Path(path, "snapshots").iterdir() if p.suffix != ".npz"]
    S, mus = store.snapshots("u")
    for k, mu in enumerate(mus):
        expected = truth(dict(zip(SPACE.names, mu, strict=True)))["u"]
        np.testing.assert_array_equal(S[:, k], expected)
    return store


def test_two_campaigns_write_one_store_at_once(tmp_path):
    # two processes run the same 25 parameters, in opposite orders, into one store: they
    # meet half-way and both write some parameters; atomic files keep every one whole
    path = tmp_path / "store"
    SnapshotStore(path, SPACE, ["u", "pid"])
    forward = np.arange(25)
    with ProcessPoolExecutor(2) as pool:
        runs = [pool.submit(campaign, path, order) for order in (forward, forward[::-1])]
        outcomes = [r.result() for r in runs]
    assert all(failed == 0 for _, _, failed in outcomes)
    assert all(computed + skipped == 25 for computed, skipped, _ in outcomes)
    assert sum(computed for computed, _, _ in outcomes) >= 25
    store = check_store(path, 25)
    writers = {float(p) for p in store.snapshots("pid")[0].ravel()}
    assert len(writers) == 2 and os.getpid() not in writers  # both processes wrote


def test_process_pool_workers_write_the_store(tmp_path):
    store = SnapshotStore(tmp_path / "s", SPACE, ["u", "pid"])
    mus = SPACE.grid(4)
    with ProcessPoolExecutor(2) as pool:
        result = generate_snapshots(CallableSolver(truth), mus, store, pool, progress=False)
    assert len(result.computed) == 16 and not result.failed
    check_store(tmp_path / "s", 16)
    pids = {float(p) for p in store.snapshots("pid")[0].ravel()}
    assert os.getpid() not in pids


def test_as_executor_rejects_what_cannot_submit(tmp_path):
    assert as_executor(None) is None
    with pytest.raises(TypeError, match=r"executor: expected None, a concurrent\.futures"):
        as_executor(4)
    store = SnapshotStore(tmp_path / "s", SPACE, ["u", "pid"])
    with pytest.raises(TypeError, match="executor"):
        generate_snapshots(CallableSolver(truth), [[1.0, 0.0]], store, executor="processes:2")
    assert len(store) == 0


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.mark.slow  # starting a cluster of two worker processes takes seconds
@pytest.mark.parametrize("how", ["client", "get_executor"])
def test_dask_local_cluster(tmp_path, dask_client, how):
    executor = dask_client if how == "client" else dask_client.get_executor()
    store = SnapshotStore(tmp_path / "s", SPACE, ["u", "pid"])
    mus = SPACE.grid(4)
    first = generate_snapshots(CallableSolver(truth), mus[:10], store, executor, progress=False)
    again = generate_snapshots(CallableSolver(truth), mus, store, executor, progress=False)
    assert len(first.computed) == 10 and len(again.skipped) == 10 and len(again.computed) == 6
    check_store(tmp_path / "s", 16)
    worker_pids = set(dask_client.run(os.getpid).values())
    pids = {int(p) for p in store.snapshots("pid")[0].ravel()}
    assert pids <= worker_pids and os.getpid() not in pids  # the dask workers wrote


@pytest.mark.slow  # two MPI jobs, each importing romba on two ranks
def test_mpi_pool_executor_example(tmp_path):
    launcher, env = mpi_launcher()
    sys.path.insert(0, str(ROOT))
    try:
        from fem_examples.mpi_snapshots import exact
    finally:
        sys.path.remove(str(ROOT))
    command = [launcher, "-n", "2", sys.executable, "-m", "mpi4py.futures"]
    command += [str(ROOT / "fem_examples" / "mpi_snapshots.py"), "--store", str(tmp_path), "-n"]
    run = subprocess.run([*command, "8"], env=env, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "8 computed, 0 already stored, 0 failed" in run.stdout
    space = ParameterSpace({"k": (0.1, 100.0)}, log=["k"])
    store = SnapshotStore(tmp_path, space, ["u", "rank"])
    assert store.verify() == [] and len(store) == 8
    S, mus = store.snapshots("u")
    for k, mu in enumerate(mus):
        reference = exact(mu[0])
        assert np.abs(S[:, k] - reference).max() < 1e-9 * np.abs(reference).max()
    assert set(store.snapshots("rank")[0].ravel()) == {1.0}  # the worker rank, not rank 0
    # resumed: a second job with more parameters computes only the new ones
    run = subprocess.run([*command, "12"], env=env, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "10 computed, 2 already stored" in run.stdout  # the grids share their end points
    assert len(store) == 18 and store.verify() == []


MODEL = """
import os
import numpy as np

X = np.linspace(0.0, 1.0, 60)


def solve(mu):
    return {"u": np.exp(-mu["a"] * X) + mu["b"], "pid": np.array([float(os.getpid())])}
"""


def _spec(tmp_path, kind):
    (tmp_path / "dask_model.py").write_text(MODEL)
    spec = tmp_path / "spec.toml"
    spec.write_text(
        "[parameters]\na = [1.0, 2.0]\nb = [0.0, 1.0]\n"
        '[sampling]\nmethod = "grid"\nper_axis = 3\n'
        '[solver]\npython = "dask_model:solve"\nfield = "u"\n'
        f'[executor]\nkind = "{kind}"\n'
    )
    return spec


@pytest.mark.slow  # starts a two-worker dask cluster
def test_rom_build_on_a_dask_cluster(tmp_path, capsys):
    pytest.importorskip("distributed")
    from rom.cli import main

    assert main(["build", str(_spec(tmp_path, "dask:2"))]) == 0
    assert "9 computed" in capsys.readouterr().out
    store = SnapshotStore(tmp_path / "snapshots", SPACE, ["u"])
    assert store.verify() == [] and len(store) == 9
    S, mus = store.snapshots("u")
    X60 = np.linspace(0.0, 1.0, 60)
    np.testing.assert_allclose(S, np.exp(-mus[:, 0][None, :] * X60[:, None]) + mus[:, 1])


@pytest.mark.parametrize("kind", ["dask:x", "processes:0", "mpi:4", "cluster"])
def test_bad_executor_kinds_are_refused(tmp_path, kind):
    from rom.nonintrusive.spec import read_spec

    with pytest.raises(ValueError, match=r"\[executor\] kind must be serial, threads:N"):
        read_spec(_spec(tmp_path, kind))

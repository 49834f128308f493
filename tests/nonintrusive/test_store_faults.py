"""Issue 18, items 5-8: a snapshot campaign survives kill -9, hostile files and bad outputs."""

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from rom import ParameterSpace
from rom.io import read_arrays, write_arrays
from rom.nonintrusive import (
    CallableSolver,
    CommandSolver,
    SnapshotStore,
    SolverError,
    generate_snapshots,
)

ROOT = Path(__file__).resolve().parents[2]
SPACE = ParameterSpace({"a": (1.0, 2.0), "b": (0.0, 1.0)})
X = np.linspace(0.0, 1.0, 20)


def field(mu):
    return {"u": np.exp(-mu["a"] * X) + mu["b"]}


def _gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (a zombie nobody reaps counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


def _wait_gone(pid: int, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if _gone(pid):
            return True
        time.sleep(0.05)
    return _gone(pid)


# --------------------------------------------------------------- item 5: temporaries
def test_leftover_temporaries_are_never_snapshots_and_are_removed_on_open(tmp_path):
    store = SnapshotStore(tmp_path / "s", SPACE, ["u"])
    mus = SPACE.grid(2)
    generate_snapshots(CallableSolver(field), mus, store, progress=False)
    snapshots = tmp_path / "s" / "snapshots"
    real = sorted(snapshots.glob("*.npz"))
    assert len(real) == 4
    # what a worker killed between writing and renaming leaves (atomic_write's names)
    complete = snapshots / f".{real[0].stem}.0123456789abcdef.tmp.npz"
    truncated = snapshots / f".{real[1].stem}.fedcba9876543210.tmp.npz"
    shutil.copy(real[0], complete)
    truncated.write_bytes(real[1].read_bytes()[:100])
    failure_tmp = tmp_path / "s" / "failures" / f".{real[2].stem}.00112233aabbccdd.tmp.json"
    failure_tmp.write_text('{"mu": {"a": 1.0, "b": 0.0}, "err')
    old = time.time() - 3600  # the killed campaign ran an hour ago
    for p in (complete, truncated, failure_tmp):
        os.utime(p, (old, old))
    assert len(store) == 4 and store.snapshots()[0].shape == (20, 4)  # never read as snapshots
    assert store.verify() == [] and store.failures() == []
    reopened = SnapshotStore(tmp_path / "s", SPACE, ["u"])
    assert len(reopened) == 4
    S, params = reopened.snapshots()
    assert S.shape == (20, 4) and len(np.unique(params, axis=0)) == 4
    assert not complete.exists() and not truncated.exists() and not failure_tmp.exists()
    assert sorted(snapshots.iterdir()) == real


def test_a_fresh_temporary_of_a_running_writer_is_left_alone(tmp_path):
    SnapshotStore(tmp_path / "s", SPACE, ["u"])
    writing = tmp_path / "s" / "snapshots" / ".0123.0123456789abcdef.tmp.npz"
    writing.write_bytes(b"being written by another campaign")
    store = SnapshotStore(tmp_path / "s", SPACE, ["u"])
    assert writing.exists() and len(store) == 0


# ------------------------------------------------------------ item 6: cross-checks
def test_rewritten_mu_inside_a_snapshot_is_detected(tmp_path):
    store = SnapshotStore(tmp_path / "s", SPACE, ["u"])
    mu = [1.5, 0.25]
    store.put(mu, field({"a": 1.5, "b": 0.25}))
    path = store._file(mu)
    header, arrays = read_arrays(path)
    arrays["mu"] = np.array([1.5, 0.75])  # another parameter, the same key and fields
    write_arrays(path, arrays, header)
    assert not store.has(mu) and store.verify() == [path.name]
    with pytest.raises(ValueError, match=r"corrupt.*mu"):
        store.get(mu)
    assert store.snapshots()[0].shape == (0, 0)
    # the header's copy of mu is checked too
    store.put(mu, field({"a": 1.5, "b": 0.25}))
    header, arrays = read_arrays(path)
    header["mu"] = {"a": 1.5, "b": 0.75}
    write_arrays(path, arrays, header)
    assert not store.has(mu) and store.verify() == [path.name]


def test_a_snapshot_copied_over_another_key_is_detected(tmp_path):
    store = SnapshotStore(tmp_path / "s", SPACE, ["u"])
    mu_a, mu_b = [1.25, 0.5], [1.75, 0.5]
    for mu in (mu_a, mu_b):
        store.put(mu, field(dict(zip(SPACE.names, mu, strict=True))))
    shutil.copy(store._file(mu_a), store._file(mu_b))
    assert store.has(mu_a) and not store.has(mu_b)
    assert store.verify() == [store._file(mu_b).name]
    with pytest.raises(ValueError, match=r"corrupt.*key"):
        store.get(mu_b)
    params = store.snapshots()[1]
    np.testing.assert_array_equal(params, [mu_a])  # no duplicate of A
    # a campaign recomputes B
    result = generate_snapshots(CallableSolver(field), [mu_a, mu_b], store, progress=False)
    assert len(result.computed) == 1 and store.verify() == []
    np.testing.assert_array_equal(store.get(mu_b)["u"], field({"a": 1.75, "b": 0.5})["u"])


def test_a_store_without_its_specification_is_refused(tmp_path):
    store = SnapshotStore(tmp_path / "s", SPACE, ["u"])
    store.put([1.5, 0.5], field({"a": 1.5, "b": 0.5}))
    (tmp_path / "s" / "store.json").unlink()
    other = ParameterSpace({"a": (0.0, 10.0), "b": (0.0, 1.0)})
    with pytest.raises(ValueError, match=r"path: .* holds snapshots but no store\.json"):
        SnapshotStore(tmp_path / "s", other, ["u"])
    with pytest.raises(ValueError, match=r"no store.json"):
        SnapshotStore(tmp_path / "s", SPACE, ["u"])
    assert not (tmp_path / "s" / "store.json").exists()
    # an empty store (or one left with temporaries only) may be opened afresh
    empty = tmp_path / "e"
    SnapshotStore(empty, SPACE, ["u"])
    (empty / "store.json").unlink()
    assert len(SnapshotStore(empty, other, ["u"])) == 0


# ---------------------------------------------------- item 8: solver outputs checked
def raw_outputs(mu):  # a bare function: nothing between it and the store but the store
    a = mu["a"]
    if a < 1.1:
        return {"u": np.ones(5)}
    if a < 1.3:
        return {"u": np.array([1.0, object()], dtype=object)}
    if a < 1.5:
        return {"u": "1 2 3 4 5"}
    if a < 1.7:
        return {"u": np.array([1.0, np.nan, 1.0, 1.0, 1.0])}
    if a < 1.8:
        return {"u": np.zeros(0)}
    if a < 1.9:
        return {"u": np.ones(6)}  # another size than the first snapshot's
    return {"u": np.full(5, 2.0)}


def test_invalid_solver_outputs_are_failed_runs(tmp_path):
    store = SnapshotStore(tmp_path / "s", ParameterSpace({"a": (1.0, 2.0)}), ["u"])
    mus = np.array([[1.0], [1.2], [1.4], [1.6], [1.75], [1.85], [1.95]])
    result = generate_snapshots(raw_outputs, mus, store, progress=False)
    assert [float(m[0]) for m in result.computed] == [1.0, 1.95]
    reasons = dict((float(m[0]), message) for m, message in result.failed)
    assert "expected a numeric array" in reasons[1.2] and "object" in reasons[1.2]
    assert "expected a numeric array" in reasons[1.4]
    assert "NaN" in reasons[1.6]
    assert "empty" in reasons[1.75]
    assert "6 values" in reasons[1.85] and "5" in reasons[1.85]
    assert len(store) == 2 and len(store.failures()) == 5
    assert {f["mu"]["a"]: f["error"] for f in store.failures()}[1.6] == reasons[1.6]
    for path in (tmp_path / "s" / "snapshots").iterdir():  # no pickle anywhere
        np.load(path, allow_pickle=False)


def test_store_put_refuses_object_nan_empty_and_sizes(tmp_path):
    store = SnapshotStore(tmp_path / "s", SPACE, ["u"])
    with pytest.raises(TypeError, match=r"fields\['u'\]: expected a numeric array"):
        store.put([1.5, 0.5], {"u": np.array([1.0, 2.0], dtype=object)})
    with pytest.raises(ValueError, match=r"fields\['u'\]: .*NaN"):
        store.put([1.5, 0.5], {"u": np.array([1.0, np.inf])})
    with pytest.raises(ValueError, match=r"fields\['u'\]: .*empty"):
        store.put([1.5, 0.5], {"u": []})
    store.put([1.5, 0.5], {"u": np.ones(4)})
    # another process (a fresh store object) sees the first snapshot's size too
    with pytest.raises(ValueError, match=r"fields\['u'\]: expected 4 values .* got 3"):
        SnapshotStore(tmp_path / "s", SPACE, ["u"]).put([1.5, 0.6], {"u": np.ones(3)})
    with pytest.raises(ValueError, match=r"fields\['u'\]: expected 4 values"):
        store.put([1.5, 0.6], {"u": np.ones((2, 3))})
    store.put([1.5, 0.5], {"u": np.zeros(4)})  # replacing a snapshot keeps the size
    assert len(store) == 1


def test_callable_solver_refuses_empty_outputs():
    with pytest.raises(SolverError, match=r"field 'u': .*empty"):
        CallableSolver(lambda mu: np.zeros(0))({"k": 1.0})


# ------------------------------------------- item 7: timeouts and process cleanup
def test_command_solver_has_a_default_timeout_and_none_means_no_limit():
    solver = CommandSolver([sys.executable, "-c", "pass"], {"u": "u.npy"})
    assert solver.timeout == CommandSolver.DEFAULT_TIMEOUT > 0
    assert CommandSolver([sys.executable], {"u": "u.npy"}, timeout=None).timeout is None
    assert CommandSolver([sys.executable], {"u": "u.npy"}, timeout=2).timeout == 2.0
    for bad in ("5", 0, -1.0, float("nan"), float("inf"), True):
        with pytest.raises((TypeError, ValueError), match="timeout: expected"):
            CommandSolver([sys.executable], {"u": "u.npy"}, timeout=bad)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_timed_out_command_leaves_no_child_running(tmp_path):
    pidfile = tmp_path / "child.pid"
    script = f'sleep 25 & echo $! > "{pidfile}"; wait; true'
    solver = CommandSolver(["sh", "-c", script], {"u": "u.npy"}, timeout=0.5)
    start = time.monotonic()
    with pytest.raises(SolverError, match=r"timed out after 0.5 s"):
        solver({"a": 1.0})
    assert time.monotonic() - start < 5  # not blocked on the child's pipes
    child = int(pidfile.read_text())
    assert _wait_gone(child, 2.0), "the command's child (sleep 25) is still running"


POOL_SCRIPT = """
import os, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from rom.nonintrusive.spec import Spec
spec = Spec({{"parameters": {{"k": [0.0, 1.0]}}, "solver": {{"python": "m:f"}},
             "executor": {{"kind": "processes:2"}}}}, Path({root!r}))
pool = spec.executor()
print(" ".join(str(p) for p in {{pool.submit(os.getpid).result() for _ in range(4)}}),
      flush=True)
time.sleep(60)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_process_pool_workers_exit_when_the_campaign_is_killed(tmp_path):
    code = textwrap.dedent(POOL_SCRIPT).format(root=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        workers = [int(p) for p in proc.stdout.readline().split()]
        assert workers and all(not _gone(p) for p in workers)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    survivors = [pid for pid in workers if not _wait_gone(pid, 4.0)]
    for pid in survivors:  # do not leave them behind when the test fails
        os.kill(pid, signal.SIGKILL)
    assert not survivors, f"workers {survivors} outlived their killed parent"


def test_a_spec_command_gets_the_default_timeout(tmp_path):
    from rom.nonintrusive.spec import Spec

    table = {"command": [sys.executable, "-c", "pass"], "outputs": {"u": "u.npy"}}
    spec = Spec({"parameters": {"k": [0.0, 1.0]}, "solver": table}, tmp_path)
    assert spec.solver().timeout == CommandSolver.DEFAULT_TIMEOUT
    table["timeout"] = 5
    assert Spec({"parameters": {"k": [0.0, 1.0]}, "solver": table}, tmp_path).solver().timeout == 5

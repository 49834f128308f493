import sys
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse

from rom import ParameterSpace
from rom.io import read_arrays, write_arrays
from rom.nonintrusive import (
    CallableSolver,
    CommandSolver,
    SnapshotStore,
    SolverError,
    generate_snapshots,
)

SPACE = ParameterSpace({"a": (1.0, 2.0), "b": (0.0, 1.0)})
X = np.linspace(0, 1, 50)


def field(mu):  # module level: picklable for process pools
    return {"u": np.exp(-mu["a"] * X) + mu["b"], "v": np.sin(mu["a"] * X)}


def flaky(mu):
    if mu["b"] > 0.9:
        raise RuntimeError("diverged")
    return field(mu)


def test_store_round_trip_and_checksums(tmp_path):
    store = SnapshotStore(tmp_path / "s", SPACE, ["u", "v"])
    mu = np.array([1.5, 0.25])
    store.put(mu, field({"a": 1.5, "b": 0.25}), metadata={"who": "test"})
    assert store.has(mu) and not store.has([1.6, 0.25])
    assert np.array_equal(store.get(mu)["u"], field({"a": 1.5, "b": 0.25})["u"])
    # corrupt the file: detected by has(), get() and verify()
    path = next((tmp_path / "s" / "snapshots").glob("*.npz"))
    path.write_bytes(path.read_bytes()[:-40])
    assert not store.has(mu)
    assert store.verify() == [path.name]
    with pytest.raises(ValueError, match="corrupt"):
        store.get(mu)


def test_store_files_are_rom_io_files_and_keep_sparse_fields(tmp_path):
    store = SnapshotStore(tmp_path / "s", SPACE, ["A", "f"])
    A = scipy.sparse.random(6, 6, density=0.5, random_state=0, format="csr")
    unsorted = scipy.sparse.csr_matrix((A.data[::-1], A.indices[::-1], A.indptr), A.shape)
    unsorted.has_sorted_indices = False
    store.put({"b": 0.5, "a": 1.5}, {"A": unsorted, "f": np.ones(6)}, metadata={"who": object})
    assert not unsorted.has_sorted_indices  # the caller's matrix is left as it is
    got = store.get([1.5, 0.5])
    assert scipy.sparse.issparse(got["A"]) and abs(got["A"] - unsorted).max() == 0
    np.testing.assert_array_equal(got["f"], np.ones(6))
    path = next((tmp_path / "s" / "snapshots").glob("*.npz"))
    header, arrays = read_arrays(path)
    assert header["format"] == "romba-snapshot" and header["mu"] == {"a": 1.5, "b": 0.5}
    assert "object" in header["metadata"]["who"]
    np.testing.assert_array_equal(arrays["mu"], [1.5, 0.5])
    with pytest.raises(ValueError, match="field: 'A' holds sparse matrices"):
        store.snapshots("A")
    # a changed value fails the checksum: the snapshot is no longer there
    arrays["field:A"].data[0] += 1.0
    write_arrays(path, arrays, header)
    assert not store.has([1.5, 0.5]) and store.verify() == [path.name]
    with pytest.raises(TypeError, match=r"fields\['f'\]: expected a numeric array"):
        store.put([1.5, 0.5], {"A": A, "f": np.array(["x"])})
    with pytest.raises(ValueError, match="mu: expected one parameter set"):
        store.put([[1.5, 0.5], [1.6, 0.5]], {"A": A, "f": np.ones(6)})


def test_store_refuses_another_space_or_fields(tmp_path):
    SnapshotStore(tmp_path / "s", SPACE, ["u"])
    with pytest.raises(ValueError, match="another parameter space"):
        SnapshotStore(tmp_path / "s", ParameterSpace({"a": (1.0, 3.0), "b": (0, 1)}), ["u"])
    with pytest.raises(ValueError, match="another parameter space or other fields"):
        SnapshotStore(tmp_path / "s", SPACE, ["w"])
    with pytest.raises(ValueError, match="outside its bounds"):
        SnapshotStore(tmp_path / "s", SPACE, ["u"]).put([5.0, 0.0], {"u": np.ones(2)})


@pytest.mark.parametrize("pool", [None, ThreadPoolExecutor, ProcessPoolExecutor])
def test_generate_is_resumable_and_parallel(tmp_path, pool):
    store = SnapshotStore(tmp_path / "s", SPACE, ["u", "v"])
    mus = SPACE.grid(4)
    solver = CallableSolver(field)
    if pool is None:
        first = generate_snapshots(solver, mus[:7], store, progress=False)
        second = generate_snapshots(solver, mus, store, progress=False)
    else:
        with pool(2) as ex:
            first = generate_snapshots(solver, mus[:7], store, executor=ex, progress=False)
            second = generate_snapshots(solver, mus, store, executor=ex, progress=False)
    assert len(first.computed) == 7 and not first.skipped
    assert len(second.skipped) == 7 and len(second.computed) == 9
    S, params = store.snapshots("u")
    assert S.shape == (50, 16)
    for k, mu in enumerate(params):
        assert np.allclose(S[:, k], field(dict(zip(SPACE.names, mu, strict=True)))["u"])


def test_failures_are_recorded_and_do_not_stop_the_others(tmp_path):
    store = SnapshotStore(tmp_path / "s", SPACE, ["u", "v"])
    mus = SPACE.grid(3)  # b in {0, 0.5, 1}: three runs diverge
    result = generate_snapshots(CallableSolver(flaky), mus, store, progress=False)
    assert len(result.failed) == 3 and len(result.computed) == 6
    assert all("diverged" in message for _, message in result.failed)
    assert len(store.failures()) == 3
    # a later successful run clears the failure record
    generate_snapshots(CallableSolver(field), mus, store, progress=False)
    assert store.failures() == [] and len(store) == 9


def test_corrupt_snapshots_are_recomputed(tmp_path):
    store = SnapshotStore(tmp_path / "s", SPACE, ["u", "v"])
    mus = SPACE.grid(2)
    generate_snapshots(CallableSolver(field), mus, store, progress=False)
    path = sorted((tmp_path / "s" / "snapshots").glob("*.npz"))[0]
    path.write_bytes(b"garbage")
    again = generate_snapshots(CallableSolver(field), mus, store, progress=False)
    assert len(again.computed) == 1 and len(again.skipped) == 3
    assert store.verify() == []


SCRIPT = """
import sys, numpy
k = float(sys.argv[1])
if k > 1.9:
    sys.stderr.write("solver blew up")
    sys.exit(3)
numpy.save("u.npy", numpy.linspace(0, k, 5))
with open("args.txt", "w") as fh:
    fh.write(repr(sys.argv[1:]))
"""


def test_command_solver_runs_without_a_shell(tmp_path):
    script = tmp_path / "model.py"
    script.write_text(SCRIPT)
    solver = CommandSolver(
        [sys.executable, "model.py", "{a}", "{b}; touch hacked"],
        outputs={"u": "u.npy"},
        templates=[script],
    )
    u = solver({"a": 1.25, "b": 0.5})["u"]
    assert np.allclose(u, np.linspace(0, 1.25, 5))
    assert not (tmp_path / "hacked").exists()
    assert solver.arguments({"a": 1.25, "b": 0.5}, "w")[-1] == "0.5; touch hacked"
    with pytest.raises(SolverError, match=r"exit status 3.*solver blew up"):
        solver({"a": 1.95, "b": 0.5})


def test_command_solver_in_a_campaign_with_timeout_and_missing_output(tmp_path):
    script = tmp_path / "model.py"
    script.write_text(SCRIPT)
    store = SnapshotStore(tmp_path / "s", ParameterSpace({"a": (1.0, 2.0)}), ["u"])
    solver = CommandSolver([sys.executable, "model.py", "{a}"], {"u": "u.npy"}, templates=[script])
    result = generate_snapshots(solver, np.array([[1.0], [1.5], [2.0]]), store, progress=False)
    assert len(result.computed) == 2 and len(result.failed) == 1
    assert "solver blew up" in store.failures()[0]["error"]
    missing = CommandSolver([sys.executable, "-c", "pass"], {"u": "u.npy"})
    with pytest.raises(SolverError, match="not written"):
        missing({"a": 1.0})
    slow = CommandSolver(
        [sys.executable, "-c", "import time; time.sleep(5)"], {"u": "u.npy"}, timeout=0.5
    )
    with pytest.raises(SolverError, match="timed out"):
        slow({"a": 1.0})


def test_bad_input(tmp_path):
    with pytest.raises(TypeError, match="command: expected a non-empty list"):
        CommandSolver("FreeFem++ model.edp", {"u": "u.txt"})
    with pytest.raises(TypeError, match="outputs"):
        CommandSolver(["x"], {})
    with pytest.raises(FileNotFoundError, match="templates"):
        CommandSolver(["x"], {"u": "u.txt"}, templates=[tmp_path / "nope.edp"])
    with pytest.raises(ValueError, match="timeout"):
        CommandSolver(["x"], {"u": "u.txt"}, timeout=-1)
    with pytest.raises(ValueError, match="placeholder"):
        CommandSolver(["{c}"], {"u": "u.txt"}).arguments({"a": 1.0}, "w")
    with pytest.raises(TypeError, match="fn"):
        CallableSolver(3)
    with pytest.raises(TypeError, match="parameter_space: expected a rom"):
        SnapshotStore(tmp_path, {"a": (0, 1)}, ["u"])
    with pytest.raises(TypeError, match="store"):
        generate_snapshots(CallableSolver(field), [[1.0, 0.0]], object())
    with pytest.raises(SolverError, match="NaN"):
        CallableSolver(lambda mu: np.array([np.nan]))({"a": 1.0})


MESH_SCRIPT = """
import sys, numpy, meshio
k = float(sys.argv[1])
x = numpy.linspace(0, 1, 6)
points = numpy.stack([x, x**2], axis=1)
cells = [("line", numpy.stack([numpy.arange(5), numpy.arange(1, 6)], axis=1))]
meshio.Mesh(points, cells, point_data={"T": numpy.exp(-k * x)}).write("out.vtu")
"""


def test_mesh_outputs_keep_the_mesh_once(tmp_path):
    script = tmp_path / "mesh_model.py"
    script.write_text(MESH_SCRIPT)
    space = ParameterSpace({"k": (1.0, 2.0)})
    store = SnapshotStore(tmp_path / "s", space, ["T"])
    solver = CommandSolver(
        [sys.executable, "mesh_model.py", "{k}"], {"T": "out.vtu"}, templates=[script]
    )
    result = generate_snapshots(solver, space.grid(3), store, progress=False)
    assert len(result.computed) == 3
    mesh = store.mesh()
    assert mesh is not None and mesh.points.shape[0] == 6  # VTU stores 3-D points
    S, mus = store.snapshots("T")
    assert np.allclose(S[:, 0], np.exp(-mus[0, 0] * np.linspace(0, 1, 6)))
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == [
        "failures",
        "mesh.vtu",
        "snapshots",
        "store.json",
    ]

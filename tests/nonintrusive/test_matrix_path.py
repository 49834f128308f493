"""Matrices written by an external program -> MatrixEIM -> reduced basis, end to end."""

import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.io
import scipy.sparse
import scipy.sparse.linalg

from rom import ParameterSpace
from rom.affine import AffineVector
from rom.eim import MatrixEIM
from rom.nonintrusive import CommandSolver, MatrixSolver, SnapshotStore, SolverError
from rom.rb import LinearModel, ReducedBasis

N = 80  # interior nodes

# -(nu u')' + r(x; c) u = 1 on (0, 1), u(0) = u(1) = 0, P1 elements with a lumped
# reaction r = 20 exp(-c x): affine in nu, not in c. The program (plain Python, quick
# to start) writes A (coordinate Matrix Market), f (array Matrix Market) and the
# stiffness K, and appends one line to a log at every run.
PROGRAM = textwrap.dedent(
    """
    import math
    import sys

    nu, c, log = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    n = {n}
    h = 1.0 / (n + 1)
    reaction = [20.0 * math.exp(-c * (i + 1) * h) * h for i in range(n)]

    def write_tridiagonal(name, diagonal, off):
        rows = [(i + 1, i + 1, diagonal[i]) for i in range(n)]
        rows += [(i + 2, i + 1, off) for i in range(n - 1)]
        rows += [(i + 1, i + 2, off) for i in range(n - 1)]
        with open(name, "w") as fh:
            fh.write("%%MatrixMarket matrix coordinate real general\\n")
            fh.write(f"{{n}} {{n}} {{len(rows)}}\\n")
            fh.writelines(f"{{i}} {{j}} {{v!r}}\\n" for i, j, v in rows)

    write_tridiagonal("A.mtx", [2.0 * nu / h + r for r in reaction], -nu / h)
    write_tridiagonal("K.mtx", [2.0 / h] * n, -1.0 / h)
    with open("f.mtx", "w") as fh:
        fh.write("%%MatrixMarket matrix array real general\\n")
        fh.write(f"{{n}} 1\\n")
        fh.writelines(f"{{h!r}}\\n" for _ in range(n))
    with open(log, "a") as fh:
        fh.write(f"{{nu!r}} {{c!r}}\\n")
    """
).format(n=N)

SPACE = ParameterSpace({"nu": (1.0, 10.0), "c": (0.5, 3.0)})
# A(mu) is affine in nu: its two end values suffice; c needs a finer sample
TRAINING = np.array([[nu, c] for nu in (1.0, 10.0) for c in np.linspace(0.5, 3.0, 8)])


def python_matrices(mu):
    """The same matrices, built here (to check what was read)."""
    h = 1.0 / (N + 1)
    x = np.arange(1, N + 1) * h
    K = scipy.sparse.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(N, N)) / h
    R = scipy.sparse.diags(20.0 * np.exp(-mu[1] * x) * h)
    return (mu[0] * K + R).tocsr(), np.full(N, h)


@pytest.fixture
def program(tmp_path):
    script = tmp_path / "assemble.py"
    script.write_text(PROGRAM)
    log = tmp_path / "runs.log"
    solver = CommandSolver(  # -S: no site packages, a quicker start
        [sys.executable, "-S", "assemble.py", "{nu}", "{c}", str(log)],
        outputs={"A": "A.mtx", "f": "f.mtx", "K": "K.mtx"},
        templates=[script],
    )
    return solver, log


def runs(log):
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_reduced_basis_from_external_matrices(tmp_path, program):
    solver, log = program
    matrices = MatrixSolver(solver, SPACE, store=tmp_path / "matrices")
    training = TRAINING
    with ThreadPoolExecutor(2) as pool:  # the runs, in parallel, straight into the store
        done = matrices.precompute(training, executor=pool, progress=False)
    assert len(done.computed) == 16 and runs(log) == 16

    # what was read is what the program assembled
    A, f = python_matrices(training[5])
    got = matrices.matrices(training[5])
    assert scipy.sparse.issparse(got["A"]) and got["f"].shape == (N,)
    assert abs(got["A"] - A).max() <= 1e-14 * abs(A).max()
    np.testing.assert_array_equal(got["f"], f)

    meim = MatrixEIM(tol=1e-10).fit(matrices.assembler("A"), training)
    assert runs(log) == 16  # every training matrix came from the store
    assert 2 < meim.n_terms_ < 16

    K = matrices.matrices(training[0])["K"]
    model = LinearModel(meim.to_affine(), AffineVector(f), inner=K, parameter_space=SPACE)
    # A(mu) >= nu K (the reaction is non-negative): alpha(mu) >= nu in the K-norm
    rb = ReducedBasis(model, lambda mu: 0.9 * mu[0], tol=1e-8).fit(training)
    assert runs(log) == 16  # the greedy's EIM coefficients too

    test = SPACE.sample(3, random_state=11)
    reduced = rb.reduced_model_
    for mu in test:
        A, f = python_matrices(mu)
        direct = scipy.sparse.linalg.spsolve(A.tocsc(), f)  # the full model, solved directly
        u_rb = rb.basis_ @ reduced.solve(mu)
        error = np.sqrt((u_rb - direct) @ (K @ (u_rb - direct)))
        assert error <= 1e-6 * np.sqrt(direct @ (K @ direct))
    assert runs(log) == 16 + 3  # one assembly per new parameter, for its EIM coefficients

    # a new process (a new MatrixSolver on the same store) recomputes nothing
    again = MatrixSolver(solver, SPACE, store=tmp_path / "matrices")
    meim2 = MatrixEIM(tol=1e-10).fit(again.assembler("A"), training)
    assert again.n_runs_ == 0 and runs(log) == 19
    np.testing.assert_array_equal(meim2.entries_, meim.entries_)


def test_assembler_and_a_corrupt_cache_entry(tmp_path, program):
    solver, log = program
    store = SnapshotStore(tmp_path / "m", SPACE, ["A", "f", "K"])
    assemble = MatrixSolver(solver, SPACE, store=store).assembler("A")
    mu = np.array([2.0, 1.5])
    A = assemble(mu)
    assert abs(A - python_matrices(mu)[0]).max() <= 1e-14 * abs(A).max()
    assert runs(log) == 1 and len(store) == 1
    path = next((tmp_path / "m" / "snapshots").glob("*.npz"))
    path.write_bytes(b"not a snapshot")
    B = MatrixSolver(solver, SPACE, store=store).assembler("A")(mu)  # read fails: run again
    assert runs(log) == 2 and abs(B - A).max() == 0 and store.verify() == []


def test_python_function_as_the_external_code(tmp_path):
    def assemble(mu):
        A, f = python_matrices([mu["nu"], mu["c"]])
        return {"A": A.toarray(), "f": f}

    matrices = MatrixSolver(assemble, SPACE, outputs=["A", "f"], store=tmp_path / "m")
    mu = [3.0, 1.4]
    dense = matrices.assembler("A")(mu)
    assert isinstance(dense, np.ndarray) and dense.shape == (N, N)
    again = MatrixSolver(assemble, SPACE, outputs=["A", "f"], store=tmp_path / "m")
    np.testing.assert_array_equal(again.assembler("A")(mu), dense)
    assert again.n_runs_ == 0


def test_bad_input(tmp_path, program):
    solver, _ = program
    with pytest.raises(TypeError, match="solver: expected a CommandSolver or a callable"):
        MatrixSolver(3, SPACE)
    with pytest.raises(TypeError, match="parameter_space: expected a rom"):
        MatrixSolver(solver, {"nu": (1, 2)})
    with pytest.raises(TypeError, match="outputs: expected the output names"):
        MatrixSolver(lambda mu: np.eye(2), SPACE)
    with pytest.raises(ValueError, match=r"outputs: \['B'\] are not outputs of the command"):
        MatrixSolver(solver, SPACE, outputs=["B"])
    with pytest.raises(ValueError, match="store: holds the fields"):
        MatrixSolver(solver, SPACE, store=SnapshotStore(tmp_path / "s", SPACE, ["u"]))
    with pytest.raises(ValueError, match="output: expected one of"):
        MatrixSolver(solver, SPACE).assembler("B")
    with pytest.raises(ValueError, match="outside its bounds"):
        MatrixSolver(solver, SPACE).assembler("A")([50.0, 0.5])
    broken = MatrixSolver(lambda mu: np.array([[np.nan]]), SPACE, outputs=["A"])
    with pytest.raises(SolverError, match="NaN"):
        broken.assembler("A")([2.0, 1.5])
    with pytest.raises(ValueError, match="precompute: this MatrixSolver has no store"):
        MatrixSolver(solver, SPACE).precompute(SPACE.grid(2))

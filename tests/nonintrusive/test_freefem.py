"""FreeFEM as the external code, for real: formats, campaign, surrogate, ``rom build``."""

import shutil
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import meshio
import numpy as np
import pytest

from rom.cli import main
from rom.io import read_array, read_fields
from rom.nonintrusive import generate_snapshots

ROOT = Path(__file__).resolve().parents[2]
FREEFEM = shutil.which("FreeFem++") or shutil.which("FreeFem++-nw")
pytestmark = pytest.mark.skipif(
    FREEFEM is None, reason="FreeFem++ is not on PATH (Debian/Ubuntu: apt-get install freefem++)"
)
SCRIPT = ROOT / "fem_examples" / "freefem" / "poisson.edp"


@pytest.fixture(scope="module")
def example():
    sys.path.insert(0, str(ROOT))
    try:
        from fem_examples import freefem_poisson
    finally:
        sys.path.remove(str(ROOT))
    return freefem_poisson


def run_freefem(tmp_path, k1, k2, *extra):
    import subprocess

    shutil.copy(SCRIPT, tmp_path)
    args = [FREEFEM, "-nw", "-v", "0", "poisson.edp", "-k1", repr(k1), "-k2", repr(k2), *extra]
    done = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_what_freefem_writes_is_what_romba_reads(tmp_path):
    run_freefem(tmp_path, 2.0, 0.5, "-matrix", "1")
    first = (tmp_path / "A.txt").read_text().splitlines()[0]
    A = read_array(tmp_path / "A.txt")
    b = read_array(tmp_path / "b.txt")
    u = read_array(tmp_path / "u.txt")
    assert A.shape == (625, 625) and b.shape == u.shape == (625,)
    # the matrix FreeFEM assembled, applied to the solution FreeFEM computed, gives its rhs
    assert np.abs(A @ u - b).max() <= 1e-10 * np.abs(b).max(), first
    assert abs(A - A.T).max() <= 1e-12 * abs(A).max()  # a symmetric operator
    values, mesh = read_fields([tmp_path / "u.vtk"], "u")
    np.testing.assert_allclose(values[:, 0], u, rtol=1e-14, atol=0)
    assert mesh.points.shape == (625, 3) and len(mesh.cells[0].data) == 2 * 24 * 24
    # maximum principle and symmetry of the square: u > 0 inside, u(x, y) = u(y, x)
    x, y = mesh.points[:, 0], mesh.points[:, 1]
    inside = (x > 0) & (x < 1) & (y > 0) & (y < 1)
    assert u[inside].min() > 0 and np.abs(u[~inside]).max() < 1e-20
    swap = np.lexsort((x, y)), np.lexsort((y, x))
    np.testing.assert_allclose(u[swap[0]], u[swap[1]], rtol=1e-8, atol=1e-14)


def test_campaign_surrogate_and_a_fresh_run(tmp_path, example):
    with ThreadPoolExecutor(2) as pool:  # the runs are separate FreeFEM processes
        model, store = example.build(tmp_path / "store", n=4, executor=pool)
    assert len(store) == 16 and store.failures() == []
    new = example.SPACE.sample(3, "random", random_state=42)
    errors = example.check(model, new)  # fresh FreeFEM runs at parameters never seen
    S, mus = store.snapshots("u")
    unit = example.SPACE.to_unit
    nearest = np.linalg.norm(unit(new)[:, None] - unit(mus)[None], axis=2).argmin(axis=1)
    truths = [example.solver()(dict(zip(("k1", "k2"), mu, strict=True)))["u"] for mu in new]
    baseline = [
        np.linalg.norm(S[:, j] - t) / np.linalg.norm(t)
        for j, t in zip(nearest, truths, strict=True)
    ]
    assert errors.max() < 3e-2
    assert np.all(errors < np.asarray(baseline) / 4)  # far better than the nearest snapshot
    # a second campaign over the same parameters runs nothing
    again = generate_snapshots(example.solver(), example.SPACE.grid(4), store, progress=False)
    assert not again.computed and len(again.skipped) == 16


def test_rom_build_with_a_freefem_command(tmp_path, capsys):
    shutil.copy(SCRIPT, tmp_path)
    spec = tmp_path / "spec.toml"
    spec.write_text(
        textwrap.dedent(
            f"""
            [parameters]
            k1 = {{ bounds = [0.5, 4.0], log = true }}
            k2 = [0.8, 1.6]

            [sampling]
            method = "grid"
            per_axis = 3

            [solver]
            command = ["{FREEFEM}", "-nw", "-v", "0", "poisson.edp",
                       "-k1", "{{k1}}", "-k2", "{{k2}}"]
            outputs = {{ u = "u.vtk" }}
            templates = ["poisson.edp"]
            timeout = 120

            [regressor]
            kernel = "cubic"

            [executor]
            kind = "threads:2"
            """
        )
    )
    assert main(["build", str(spec)]) == 0
    assert "9 computed" in capsys.readouterr().out
    assert (tmp_path / "snapshots" / "mesh.vtu").is_file()  # the mesh, kept once
    out = tmp_path / "predicted.vtu"
    args = ["predict", str(tmp_path / "surrogate.npz"), "--mu", "k1=1.3", "--mu", "k2=1.1"]
    assert main([*args, "-o", str(out), "--field", "u", "--spec", str(spec)]) == 0
    predicted = meshio.read(out)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    run_freefem(fresh, 1.3, 1.1)
    truth = read_array(fresh / "u.txt")
    np.testing.assert_allclose(predicted.points[:, :2], meshio.read(fresh / "u.vtk").points[:, :2])
    error = np.linalg.norm(predicted.point_data["u"] - truth) / np.linalg.norm(truth)
    assert error < 3e-2
    capsys.readouterr()
    model = str(tmp_path / "surrogate.npz")
    assert main(["validate", model, "--spec", str(spec), "--test", "2"]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if "max" in ln)
    assert float(line.split()[1]) < 5e-2


def test_certified_reduced_basis_from_freefem_matrices(tmp_path):
    """FreeFEM's assembled matrices -> MatrixEIM -> reduced basis with error bounds."""
    from rom import ParameterSpace
    from rom.affine import AffineVector
    from rom.eim import MatrixEIM
    from rom.linalg.solvers import constrained_rows
    from rom.nonintrusive import CommandSolver, MatrixSolver
    from rom.rb import LinearModel, ReducedBasis

    space = ParameterSpace({"k1": (0.5, 4.0), "k2": (0.8, 1.6)})
    solver = CommandSolver(
        [FREEFEM, "-nw", "-v", "0", "poisson.edp", "-k1", "{k1}", "-k2", "{k2}", "-matrix", "1"],
        outputs={"A": "A.txt", "b": "b.txt", "u": "u.txt"},
        templates=[SCRIPT],
        timeout=120,
    )
    matrices = MatrixSolver(solver, space, store=tmp_path / "matrices")
    training = np.array([[k1, k2] for k1 in (0.5, 1.5, 4.0) for k2 in (0.8, 1.6)])
    with ThreadPoolExecutor(2) as pool:
        matrices.precompute(training, executor=pool, progress=False)
    A0 = matrices.matrices(training[0])["A"]
    # Dirichlet conditions imposed exactly: the 96 boundary rows are identity rows
    assert constrained_rows(A0).size == 4 * 24
    # A(k) = k1 A1 + k2 A2 + (identity on the boundary): three terms, found from the
    # assembled matrices alone
    meim = MatrixEIM(tol=1e-10).fit(matrices.assembler("A"), training)
    assert meim.n_terms_ == 3
    b = matrices.matrices(training[0])["b"]
    X = matrices.matrices([1.0, 1.0])["A"]  # the energy inner product at k = (1, 1)
    model = LinearModel(meim.to_affine(), AffineVector(b), inner=X, parameter_space=space)
    # on functions vanishing on the boundary, A(k) >= min(k1, k2) X
    rb = ReducedBasis(model, lambda mu: min(mu[0], mu[1]), tol=1e-9).fit(training)
    runs = matrices.n_runs_
    for mu in space.sample(2, "random", random_state=5):
        truth = matrices.matrices(mu)["u"]  # FreeFEM's own solution at a new parameter
        u_rb, bound = rb.reduced_model_.solve_and_estimate(mu)
        e = rb.basis_ @ u_rb - truth
        error = np.sqrt(e @ (X @ e))
        assert error <= 1.001 * bound + 1e-12 * np.sqrt(truth @ (X @ truth))
        assert error <= 1e-5 * np.sqrt(truth @ (X @ truth))
    assert matrices.n_runs_ == runs + 2  # one FreeFEM run per new parameter

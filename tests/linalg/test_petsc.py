"""PETScSolver against scipy's sparse direct solve."""

import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.linalg

pytest.importorskip("petsc4py")

from rom.linalg import SingularMatrixError
from rom.linalg.petsc import PETScSolver, petsc_factory
from rom.rb import LinearModel

ROOT = Path(__file__).resolve().parents[2]


def laplacian(n=300, shift=1.0):
    h = 1.0 / (n + 1)
    A = scipy.sparse.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(n, n), format="csr") / h**2
    return (A + shift * scipy.sparse.eye(n)).tocsr()


@pytest.fixture(scope="module")
def system():
    A = laplacian()
    B = np.random.default_rng(7).standard_normal((A.shape[0], 3))
    return A, B, scipy.sparse.linalg.spsolve(A.tocsc(), B)


@pytest.mark.parametrize(
    "settings, tol",
    [
        ({}, 1e-12),  # PETSc's sparse LU
        ({"ksp_type": "cg", "pc_type": "icc"}, 1e-10),
        ({"ksp_type": "cg", "pc_type": "gamg", "rtol": 1e-13}, 1e-9),
        ({"ksp_type": "gmres", "pc_type": "ilu", "options": {"ksp_gmres_restart": 60}}, 1e-10),
    ],
    ids=["lu", "cg-icc", "cg-gamg", "gmres-ilu"],
)
def test_matches_scipy(system, settings, tol):
    A, B, reference = system
    solver = PETScSolver(A, **settings)
    X = solver.solve(B)
    assert X.shape == B.shape
    assert np.abs(X - reference).max() <= tol * np.abs(reference).max()
    x = solver.solve(B[:, 0])
    assert x.shape == (A.shape[0],)
    assert np.abs(x - reference[:, 0]).max() <= tol * np.abs(reference[:, 0]).max()


def test_dense_matrix_and_complex_right_hand_side(system):
    A, B, reference = system
    x = PETScSolver(A.toarray()).solve(B[:, 0] + 1j * B[:, 1])
    expected = reference[:, 0] + 1j * reference[:, 1]
    assert np.abs(x - expected).max() <= 1e-12 * np.abs(expected).max()


def test_stands_in_for_the_factorisation_of_a_linear_model():
    sys.path.insert(0, str(ROOT))
    try:
        from fem_examples import diffusion_1d
    finally:
        sys.path.remove(str(ROOT))
    model, space, _ = diffusion_1d.build(n=200)
    petsc_model = LinearModel(
        model.operator, model.rhs, solver=petsc_factory(ksp_type="cg", pc_type="gamg", rtol=1e-13)
    )
    direct = LinearModel(model.operator, model.rhs, solver="petsc")
    for mu in space.sample(3, random_state=1):
        assert (
            np.abs(direct.solve(mu) - model.solve(mu)).max()
            <= 1e-11 * np.abs(model.solve(mu)).max()
        )
        u = petsc_model.solve(mu)
        reference = model.solve(mu)  # scipy's SuperLU
        assert np.abs(u - reference).max() <= 1e-9 * np.abs(reference).max()


def test_failures_are_clear(system):
    A, B, _ = system
    with pytest.raises(SingularMatrixError, match=r"did not converge .*DIVERGED_MAX_IT"):
        PETScSolver(A, ksp_type="cg", pc_type="none", max_it=3).solve(B[:, 0])
    singular = scipy.sparse.eye(5, format="lil")
    singular[2, 2] = 0.0
    with pytest.raises(SingularMatrixError, match="A"):
        PETScSolver(singular.tocsr()).solve(np.ones(5))
    with pytest.raises(ValueError, match="expected a square matrix"):
        PETScSolver(np.ones((3, 2)))
    with pytest.raises(ValueError, match="rtol"):
        PETScSolver(A, rtol=2.0)
    with pytest.raises(ValueError, match="b: expected 300 rows"):
        PETScSolver(A).solve(np.ones(4))
    with pytest.raises(ValueError, match="NaN or inf"):
        PETScSolver(scipy.sparse.eye(3, format="csr") * np.nan)
    with pytest.raises(TypeError, match="unknown PETScSolver keywords"):
        petsc_factory(pc="lu")

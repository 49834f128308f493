import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.linalg

from rom.linalg import SingularMatrixError, factorize
from rom.linalg.krylov import ConvergenceError, PreconditionedKrylov, inner_preconditioned
from rom.linalg.solvers import constrained_rows


def block_problem(m: int, kappa: tuple[float, float, float, float]):
    """P1-like 5-point diffusion on an m x m grid, four blocks of conductivity kappa,
    Dirichlet rows kept as unit rows whose columns are not eliminated (as pyMOR and
    many finite element codes assemble them). Returns A, the H1_0 product X, b."""
    h = 1.0 / (m - 1)
    x = np.arange(m) * h
    X_, Y_ = np.meshgrid(x, x, indexing="ij")
    block = (X_ >= 0.5).astype(int) + 2 * (Y_ >= 0.5).astype(int)
    k = np.asarray(kappa)[block].ravel()
    n = m * m
    index = np.arange(n).reshape(m, m)
    boundary = np.zeros((m, m), dtype=bool)
    boundary[[0, -1], :] = boundary[:, [0, -1]] = True
    boundary = boundary.ravel()

    def assemble(coef):
        rows, cols, vals = [], [], []
        for di, dj in ((1, 0), (0, 1)):
            a = index[: m - di, : m - dj].ravel()
            b = index[di:, dj:].ravel()
            c = (coef[a] + coef[b]) / 2
            for p, q in ((a, b), (b, a)):
                rows += [p, p]
                cols += [p, q]
                vals += [c, -c]
        A = scipy.sparse.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
        ).tolil()
        for i in np.flatnonzero(boundary):
            A.rows[i], A.data[i] = [i], [1.0]
        return A.tocsr()

    A, X = assemble(k), assemble(np.ones(n))
    # X: symmetric, so its Dirichlet columns are eliminated too
    keep = scipy.sparse.diags((~boundary).astype(float))
    X = (keep @ X @ keep + scipy.sparse.diags(boundary.astype(float))).tocsr()
    b = np.where(boundary, 0.0, h * h)
    return A, X, b


def test_constrained_rows_found():
    A, X, _ = block_problem(8, (1, 2, 3, 4))
    fixed = constrained_rows(A)
    assert len(fixed) == 4 * 8 - 4
    assert np.array_equal(fixed, constrained_rows(X))
    assert len(constrained_rows(scipy.sparse.csr_matrix((3, 3)))) == 0


def test_factorization_eliminates_unit_rows(rng):
    A, _, b = block_problem(12, (1.0, 0.1, 0.5, 2.0))
    b = b + rng.standard_normal(len(b))
    lu = factorize(A)
    assert lu.free is not None and len(lu.fixed) == 44
    reference = scipy.sparse.linalg.spsolve(A.tocsc(), b)
    assert np.allclose(lu.solve(b), reference, rtol=1e-12, atol=1e-12)
    B = rng.standard_normal((A.shape[0], 3)) + 1j * rng.standard_normal((A.shape[0], 3))
    assert np.allclose(lu.solve(B), scipy.sparse.linalg.spsolve(A.tocsc(), B), atol=1e-11)
    # a right-hand side zero on the constrained rows: solve_free on the free entries
    b0 = b.copy()
    b0[lu.fixed] = 0
    assert np.allclose(lu.solve_free(b0[lu.free]), lu.solve(b0)[lu.free], atol=1e-13)
    # a constrained row with a scaled diagonal
    D = scipy.sparse.diags(np.linspace(1, 3, A.shape[0]))
    assert np.allclose(factorize(D @ A).solve(D @ b), reference, atol=1e-11)


def test_factorization_all_rows_constrained_and_singular():
    D = scipy.sparse.diags([2.0, 4.0, 8.0]).tocsr()
    assert np.allclose(factorize(D).solve(np.ones(3)), [0.5, 0.25, 0.125])
    with pytest.raises(ValueError, match="no rows were eliminated"):
        factorize(scipy.sparse.csr_matrix(np.array([[2.0, 1.0], [1.0, 2.0]]))).solve_free([1, 1])
    S = scipy.sparse.csr_matrix(np.array([[1.0, 0.0], [1.0, 0.0]]))
    with pytest.raises(SingularMatrixError):
        factorize(S).solve(np.ones(2))


@pytest.mark.parametrize("m", [17, 33, 65])
def test_pcg_with_the_inner_product_is_mesh_independent(m):
    """X^{-1} A has its spectrum in [min kappa, max kappa] whatever the mesh: the
    iteration count stays put as h -> 0, and the answer is the direct one."""
    A, X, b = block_problem(m, (1.0, 0.1, 0.5, 0.2))
    solver = PreconditionedKrylov(A, factorize(X), rtol=1e-12)
    x = solver.solve(b)
    assert solver.method_ == "cg"
    reference = scipy.sparse.linalg.spsolve(A.tocsc(), b)
    assert np.linalg.norm(x - reference) <= 1e-9 * np.linalg.norm(reference)
    assert solver.residual_ <= 1e-12
    # kappa <= 10: CG's bound (sqrt(10)-1)/(sqrt(10)+1) ~ 0.52 per step gives <= 40
    # iterations for 1e-12; a piecewise constant coefficient clusters the spectrum
    assert solver.iterations_ <= 40


def test_pcg_iterations_do_not_grow_with_the_mesh():
    counts = {}
    for m in (17, 65):
        A, X, b = block_problem(m, (1.0, 0.1, 0.5, 0.2))
        solver = PreconditionedKrylov(A, factorize(X), rtol=1e-10)
        solver.solve(b)
        counts[m] = solver.iterations_
    assert counts[65] <= counts[17] + 3, counts
    # unpreconditioned CG on the fine mesh needs many more (the condition grows as h^-2)
    A, X, b = block_problem(65, (1.0, 0.1, 0.5, 0.2))
    identity = factorize(scipy.sparse.eye(A.shape[0]).tocsr())
    plain = PreconditionedKrylov(A, identity, rtol=1e-10, maxiter=20000)
    plain.solve(b)
    assert plain.iterations_ > 5 * counts[65]


def test_warm_start_and_initial_guess_checks():
    A, X, b = block_problem(33, (1.0, 0.3, 0.5, 0.8))
    solver = PreconditionedKrylov(A, factorize(X), rtol=1e-12)
    x = solver.solve(b)
    cold = solver.iterations_
    guess = x + 1e-6 * np.linalg.norm(x) * np.sin(np.arange(len(x)))
    x2 = solver.solve(b, x0=guess)
    assert solver.iterations_ < cold
    assert np.allclose(x2, x, rtol=1e-9, atol=1e-12)
    assert np.allclose(solver.solve(b, x0=x), x, atol=1e-14)
    with pytest.raises(ValueError, match="x0: expected shape"):
        solver.solve(b, x0=np.zeros(3))
    with pytest.raises(ValueError, match="b: expected"):
        solver.solve(np.ones(4))
    assert np.array_equal(solver.solve(np.zeros_like(b)), np.zeros_like(b))
    B = np.stack([b, 2 * b], axis=1)
    assert np.allclose(solver.solve(B), np.stack([x, 2 * x], axis=1), atol=1e-11)


def test_gmres_for_a_nonsymmetric_operator():
    """Convection-diffusion: not Hermitian, so 'auto' picks GMRES; X still works."""
    A, X, b = block_problem(33, (1.0, 1.0, 1.0, 1.0))
    n = A.shape[0]
    C = scipy.sparse.diags([0.3, -0.3], [1, -1], shape=(n, n)).tocsr()
    C = scipy.sparse.diags((np.diff(A.indptr) > 1).astype(float)) @ C  # free rows only
    A2 = (A + C).tocsr()
    solver = PreconditionedKrylov(A2, factorize(X), rtol=1e-11)
    assert solver.method_ == "gmres"
    x = solver.solve(b)
    reference = scipy.sparse.linalg.spsolve(A2.tocsc(), b)
    assert np.linalg.norm(x - reference) <= 1e-8 * np.linalg.norm(reference)


def test_complex_hermitian_uses_cg():
    A, X, b = block_problem(17, (1.0, 0.5, 0.5, 1.0))
    n = A.shape[0]
    free = np.diff(A.indptr) > 1
    S = scipy.sparse.diags([0.05j, -0.05j], [1, -1], shape=(n, n)).tocsr()
    F = scipy.sparse.diags(free.astype(float))
    A2 = (A + F @ S @ F).tocsr()  # Hermitian on the free rows
    solver = PreconditionedKrylov(A2, factorize(X), rtol=1e-12)
    assert solver.method_ == "cg"
    x = solver.solve(b.astype(complex))
    reference = scipy.sparse.linalg.spsolve(A2.tocsc(), b.astype(complex))
    assert np.linalg.norm(x - reference) <= 1e-9 * np.linalg.norm(reference)


def test_failures_are_reported():
    A, X, b = block_problem(33, (1.0, 0.01, 0.5, 0.2))
    with pytest.raises(ConvergenceError, match="did not reach rtol"):
        PreconditionedKrylov(A, factorize(X), rtol=1e-12, maxiter=2).solve(b)
    with pytest.raises(ConvergenceError, match="not positive definite"):
        PreconditionedKrylov(-A, factorize(X), method="cg").solve(b)
    with pytest.raises(ValueError, match="expected a square"):
        PreconditionedKrylov(np.ones((2, 3)), factorize(X))
    with pytest.raises(TypeError, match="preconditioner: expected an object with solve"):
        PreconditionedKrylov(A, X)
    with pytest.raises(ValueError, match="method: expected one of"):
        PreconditionedKrylov(A, factorize(X), method="bicg")
    with pytest.raises(TypeError, match="inner_solver"):
        inner_preconditioned(X)
    factory = inner_preconditioned(factorize(X), rtol=1e-10)
    solver = factory(A, name="A(mu)")
    assert np.allclose(
        solver.solve(b), scipy.sparse.linalg.spsolve(A.tocsc(), b), rtol=1e-7, atol=1e-12
    )

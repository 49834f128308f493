import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.linalg

from rom.affine import AffineOperator, AffineVector, LinearCoefficients
from rom.linalg import SingularMatrixError
from rom.parameters import ParameterSpace
from rom.rb import LinearModel


@pytest.fixture
def pieces(rng):
    n = 30
    A0 = scipy.sparse.random(n, n, density=0.2, random_state=1) + 5 * scipy.sparse.eye(n)
    A1 = rng.standard_normal((n, n))
    return n, A0.tocsr(), A1


def test_assemble_apply_project_agree(pieces, rng):
    n, A0, A1 = pieces
    op = AffineOperator([A0, A1], lambda mu: [1.0, mu[0]])
    mu = [0.3]
    dense = A0.toarray() + 0.3 * A1
    assert np.allclose(op.assemble(mu).toarray(), dense)
    V = rng.standard_normal((n, 4))
    assert np.allclose(op.apply(mu, V), dense @ V)
    W = rng.standard_normal((n, 4))
    small = op.project(V, W)
    assert np.allclose(small.assemble(mu), W.T @ dense @ V)
    f = AffineVector([np.ones(n), np.arange(n, dtype=float)], lambda mu: [2.0, mu[0]])
    assert np.allclose(f.assemble(mu), 2 + 0.3 * np.arange(n))
    assert np.allclose(f.project(W).assemble(mu), W.T @ f.assemble(mu))


def test_complex_terms(pieces):
    n, A0, A1 = pieces
    op = AffineOperator([A0, 1j * A1], LinearCoefficients([[0.0], [1.0]], offset=[1.0, 0.0]))
    model = LinearModel(op, np.ones(n, dtype=complex))
    u = model.solve([0.7])
    assert np.iscomplexobj(u)
    assert np.allclose((A0.toarray() + 0.7j * A1) @ u, 1)


def test_linear_coefficients_vectorised():
    theta = LinearCoefficients([[1.0, 0.0], [0.0, 2.0]], offset=[0.5, 0.0])
    mus = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert np.allclose(theta.many(mus), np.stack([theta(m) for m in mus]))
    again = LinearCoefficients._from_arrays(*theta._to_arrays())
    assert again == theta and again([1.0, 1.0]).tolist() == [1.5, 2.0]


def test_solve_many_with_an_executor(pieces):
    from concurrent.futures import ThreadPoolExecutor

    n, A0, A1 = pieces
    model = LinearModel(AffineOperator([A0, A1], LinearCoefficients.identity(2)), np.ones(n))
    mus = np.array([[1.0, 0.1], [1.0, 0.2], [1.0, 0.3]])
    with ThreadPoolExecutor(2) as pool:
        parallel = model.solve_many(mus, executor=pool)
    assert np.allclose(parallel, model.solve_many(mus))


def test_output_and_parameter_checks(pieces):
    n, A0, _ = pieces
    space = ParameterSpace({"k": (1.0, 2.0)})
    model = LinearModel(
        AffineOperator([A0], LinearCoefficients.identity(1)),
        np.ones(n),
        output="compliant",
        parameter_space=space,
    )
    u = model.solve([1.5])
    assert model.output([1.5]) == pytest.approx(np.ones(n) @ u)
    with pytest.raises(ValueError, match=r"mu: parameter 'k' = 3\.0 is outside"):
        model.solve([3.0])
    with pytest.raises(ValueError, match="mu: expected 1 values"):
        model.solve([1.0, 1.0])


def test_bad_input(pieces):
    n, A0, A1 = pieces
    with pytest.raises(ValueError, match="matrices: expected at least one"):
        AffineOperator([], lambda mu: [])
    with pytest.raises(ValueError, match=r"matrices\[1\]: expected shape"):
        AffineOperator([A0, np.ones((3, 3))], lambda mu: [1, 1])
    with pytest.raises(ValueError, match=r"matrices\[0\]: contains NaN"):
        AffineOperator([np.full((2, 2), np.nan)], lambda mu: [1])
    op = AffineOperator([A0, A1], lambda mu: [1.0])
    with pytest.raises(ValueError, match="coefficients: expected 2 values"):
        op.assemble([0.0])
    with pytest.raises(ValueError, match="operator: expected a square"):
        LinearModel(AffineOperator([np.ones((3, 2))], lambda mu: [1.0]), np.ones(3))
    with pytest.raises(ValueError, match="rhs: expected vectors of size 30"):
        LinearModel(AffineOperator([A0], lambda mu: [1.0]), np.ones(4))
    with pytest.raises(TypeError, match="operator: expected an AffineOperator"):
        LinearModel(A0, np.ones(n))
    singular = LinearModel(
        AffineOperator([scipy.sparse.csr_matrix((n, n))], lambda mu: [1.0]), np.ones(n)
    )
    with pytest.raises(SingularMatrixError, match="singular"):
        singular.solve([0.0])
    with pytest.raises(ValueError, match="output: expected None"):
        LinearModel(AffineOperator([A0], lambda mu: [1.0]), np.ones(n), output="yes")


def test_a_given_solver_replaces_the_sparse_lu(pieces):
    n, A0, _ = pieces
    spd = (A0 @ A0.T + n * scipy.sparse.eye(n)).tocsr()
    op = AffineOperator([spd, scipy.sparse.eye(n)], lambda mu: [1.0, mu[0]])
    calls = []

    class ConjugateGradient:
        def __init__(self, A, name):
            calls.append(name)
            self.A = A

        def solve(self, b):
            x, info = scipy.sparse.linalg.cg(self.A, b, rtol=1e-14, maxiter=10 * n)
            assert info == 0
            return x

    model = LinearModel(op, np.ones(n), solver=ConjugateGradient)
    u = model.solve([0.5])
    dense = spd.toarray() + 0.5 * np.eye(n)
    assert calls == ["A(mu)"]
    assert np.abs(u - np.linalg.solve(dense, np.ones(n))).max() < 1e-10 * np.abs(u).max()
    with pytest.raises(TypeError, match="solver"):
        LinearModel(op, np.ones(n), solver=3)
    with pytest.raises(ValueError, match="solver"):
        LinearModel(op, np.ones(n), solver="mumps")
    same = LinearModel(op, np.ones(n), solver="scipy").solve([0.5])
    assert np.abs(same - np.linalg.solve(dense, np.ones(n))).max() < 1e-12 * np.abs(u).max()

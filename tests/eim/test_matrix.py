import numpy as np
import pytest
import scipy.sparse

from fem_examples.nonaffine_1d import Problem
from rom.eim import MatrixEIM, VectorEIM
from rom.rb import AffineOperator, LinearModel


@pytest.fixture(scope="module")
def problem():
    return Problem(n=300)


def _training(n_c=120):
    a, c = np.meshgrid(np.linspace(1, 10, 3), np.linspace(0.2, 0.8, n_c), indexing="ij")
    return np.stack([a.ravel(), c.ravel()], axis=1)


@pytest.fixture(scope="module")
def fitted(problem):
    train = _training()
    return MatrixEIM(tol=1e-11).fit(problem.assemble, train, entries=problem.entries), train


def test_reproduces_the_matrices_at_the_selected_parameters(problem, fitted):
    meim, _ = fitted
    for mu, A in zip(meim.parameters_, meim.matrices_, strict=True):
        assert abs(meim.approximate(mu) - problem.assemble(mu)).max() <= 1e-12 * abs(A).max()


def test_converges_on_the_nonaffine_problem(problem, fitted):
    meim, _train = fitted
    test = problem.space.sample(20, seed=5)
    scale = abs(problem.assemble(test[0])).max()
    errors = [abs(meim.approximate(mu) - problem.assemble(mu)).max() / scale for mu in test]
    assert max(errors) < 1e-8
    assert meim.n_terms_ < 60  # a few dozen terms
    decay = meim.errors_ / meim.errors_[0]
    assert decay[-1] <= 1e-11
    assert decay[10] < 0.1 and decay[20] < 1e-4 and decay[25] < 1e-7  # exponential decay


def test_nonintrusive_model_solves_like_the_full_one(problem, fitted):
    meim, _ = fitted
    model = LinearModel(meim.to_affine(), problem.rhs)
    assert isinstance(model.operator, AffineOperator)
    for mu in problem.space.sample(5, seed=9):
        u, ref = model.solve(mu), problem.solve(mu)
        assert np.linalg.norm(u - ref) <= 1e-8 * np.linalg.norm(ref)


def test_same_selection_with_or_without_entries(problem):
    train = problem.space.sample(6, "grid")
    with pytest.warns(RuntimeWarning, match="residual vanished"):  # 6 x 6 training set
        a = MatrixEIM(max_terms=10).fit(problem.assemble, train)
    with pytest.warns(RuntimeWarning, match="residual vanished"):
        b = MatrixEIM(max_terms=10).fit(problem.assemble, train, entries=problem.entries)
    assert np.array_equal(a.entries_, b.entries_) and np.array_equal(a.params_, b.params_)


def test_dense_complex_matrices():
    rng = np.random.default_rng(2)
    B0, B1 = rng.standard_normal((2, 40, 40))

    def assemble(mu):
        return B0 + np.exp(1j * mu[0]) * B1 + 1.0 / (1.0 + mu[0]) * np.eye(40)

    meim = MatrixEIM(tol=1e-12, n_candidates=500).fit(assemble, np.linspace(0, 3, 25))
    assert meim.n_terms_ == 3  # span{B0, B1, I} over the complex numbers
    assert np.abs(meim.approximate([1.234]) - assemble([1.234])).max() < 1e-10


def test_vector_eim():
    x = np.linspace(0, 1, 80)

    def f(mu):
        return np.sin(mu[0] * x) / (1 + mu[0])

    veim = VectorEIM(tol=1e-12).fit(f, np.linspace(1, 3, 30))
    vec = veim.to_affine()
    assert np.abs(vec.assemble([2.2]) - f([2.2])).max() < 1e-10


def test_bad_input(problem):
    train = problem.space.sample(3, "grid")

    def changing(mu):
        n = 10 if mu[0] < 5 else 11
        return scipy.sparse.eye(n, format="csr")

    with pytest.raises(ValueError, match="assemble: the shape changed"):
        MatrixEIM().fit(changing, train)

    def pattern(mu):
        A = problem.assemble(mu).tolil()
        if mu[0] > 5:
            A[0, 5] = 1.0
        return A.tocsr()

    with pytest.raises(ValueError, match="sparsity pattern changed"):
        MatrixEIM().fit(pattern, train)
    with pytest.raises(ValueError, match="contains NaN"):
        MatrixEIM().fit(lambda mu: np.full((3, 3), np.nan), train)
    with pytest.raises(ValueError, match="entries: disagrees with assemble"):
        MatrixEIM().fit(
            problem.assemble, train, entries=lambda mu, r, c: 2 * problem.entries(mu, r, c)
        )
    with pytest.raises(TypeError, match="assemble: expected a callable"):
        MatrixEIM().fit(np.eye(3), train)
    with pytest.raises(ValueError, match="assemble: expected a 2-D matrix"):
        MatrixEIM().fit(lambda mu: np.ones(3), train)

import numpy as np
import pytest
import scipy.sparse

from fem_examples.nonaffine_1d import Problem
from rom.affine import AffineOperator
from rom.eim import MatrixEIM, VectorEIM
from rom.rb import LinearModel


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


# ------------------------------------------------------------------ EIM error estimate
@pytest.fixture(scope="module")
def coarse(problem):
    train = _training(40)
    return MatrixEIM(max_terms=8, n_error_terms=4).fit(problem.assemble, train)


def test_error_terms_continue_the_greedy(problem, coarse):
    meim = coarse
    assert meim.n_error_terms_ == 4 and len(meim.error_parameters_) == 4
    rows, cols = meim.candidates_.T
    for k, Q in enumerate(meim.error_terms_):  # the greedy's basis functions, as matrices
        values = np.asarray(Q[rows, cols]).ravel()
        assert np.abs(values - meim.eim_.error_basis_[:, k]).max() < 1e-10
    # the extra steps do not change the selection
    plain = MatrixEIM(max_terms=8, n_error_terms=0).fit(problem.assemble, _training(40))
    assert np.array_equal(plain.entries_, meim.entries_)
    assert np.array_equal(plain.params_, meim.params_)
    assert plain.error_operator() is None and plain.to_affine().eim_error is None


def test_tail_is_the_m_plus_p_term_interpolant(problem, coarse):
    meim = coarse
    entries = np.concatenate([meim.entries_, meim.error_entries_])
    for mu in problem.space.sample(4, seed=11):
        A = problem.assemble(mu)
        full = meim.approximate(mu) + meim.error_approximation(mu)
        # A_{M+p} interpolates A(mu) at the M + p entries ...
        got = np.asarray(full[entries[:, 0], entries[:, 1]]).ravel()
        want = np.asarray(A[entries[:, 0], entries[:, 1]]).ravel()
        assert np.abs(got - want).max() <= 1e-10 * abs(A).max()
        # ... and is a better approximation than A_M: the tail estimates the error
        true = abs(A - meim.approximate(mu)).max()
        assert abs(A - full).max() < true
        estimate = meim.estimate_error(mu)
        assert 0.2 * true < estimate < 20 * true


def test_error_operator_is_attached_to_the_affine_form(problem, coarse):
    meim = coarse
    op = meim.to_affine()
    E = op.eim_error
    assert isinstance(E, AffineOperator) and E.n_terms == meim.n_error_terms_
    assert 0 <= meim.saturation_ <= 0.9
    mu = [3.0, 0.41]
    scaled = E.assemble(mu) * (1 - meim.saturation_)
    assert abs(scaled - meim.error_approximation(mu)).max() <= 1e-12 * abs(scaled).max()


def test_vector_eim_error_estimate():
    x = np.linspace(0, 1, 200)

    def f(mu):
        return np.exp(-(((x - mu[0]) / 0.15) ** 2))

    veim = VectorEIM(max_terms=6).fit(f, np.linspace(0.2, 0.8, 60))
    assert veim.to_affine().eim_error.n_terms == 4
    for mu in ([0.33], [0.71]):
        true = np.abs(f(mu) - veim.approximate(mu)).max()
        assert 0.2 * true < veim.estimate_error(mu) < 20 * true


def test_error_estimate_bad_input(problem):
    train = _training(10)
    with pytest.raises(ValueError, match="n_error_terms"):
        MatrixEIM(n_error_terms=-1).fit(problem.assemble, train)
    with pytest.raises(TypeError, match="n_error_terms"):
        MatrixEIM(n_error_terms=1.5).fit(problem.assemble, train)
    plain = MatrixEIM(max_terms=3, n_error_terms=0).fit(problem.assemble, train)
    with pytest.raises(RuntimeError, match="n_error_terms"):
        plain.estimate_error([2.0, 0.5])
    with pytest.raises(RuntimeError, match="n_error_terms"):
        plain.error_approximation([2.0, 0.5])

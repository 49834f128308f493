import numpy as np
import pytest
import scipy.sparse

import rom
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
    test = problem.space.sample(20, "random", 5)
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
    for mu in problem.space.sample(5, "random", 9):
        u, ref = model.solve(mu), problem.solve(mu)
        assert np.linalg.norm(u - ref) <= 1e-8 * np.linalg.norm(ref)


def test_same_selection_with_or_without_entries(problem):
    train = problem.space.grid(6)
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

    meim = MatrixEIM(tol=1e-12, n_candidates=500).fit(assemble, np.linspace(0, 3, 25)[:, None])
    assert meim.n_terms_ == 3  # span{B0, B1, I} over the complex numbers
    assert np.abs(meim.approximate([1.234]) - assemble([1.234])).max() < 1e-10


def test_vector_eim():
    x = np.linspace(0, 1, 80)

    def f(mu):
        return np.sin(mu[0] * x) / (1 + mu[0])

    veim = VectorEIM(tol=1e-12).fit(f, np.linspace(1, 3, 30)[:, None])
    vec = veim.to_affine()
    assert np.abs(vec.assemble([2.2]) - f([2.2])).max() < 1e-10


def test_bad_input(problem):
    train = problem.space.grid(3)

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
    for mu in problem.space.sample(4, "random", 11):
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

    veim = VectorEIM(max_terms=6).fit(f, np.linspace(0.2, 0.8, 60)[:, None])
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


# ------------------------------------------------------------------ executor, saving
def _assemble_small(mu):
    """Module level, so that a process pool can pickle it."""
    K = scipy.sparse.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(40, 40), format="csr")
    return (K + np.exp(mu[0]) * scipy.sparse.eye(40) + np.sin(mu[0]) * K @ K).tocsr()


def test_executor_gives_the_same_approximation():
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

    train = np.linspace(0.1, 2, 25)[:, None]  # sin(mu) > 0: the same sparsity pattern
    serial = MatrixEIM(tol=1e-12).fit(_assemble_small, train, progress=False)
    with ThreadPoolExecutor(2) as pool:
        threads = MatrixEIM(tol=1e-12).fit(_assemble_small, train, executor=pool)
    with ProcessPoolExecutor(2) as pool:
        processes = MatrixEIM(tol=1e-12).fit(_assemble_small, train, executor=pool)
    for other in (threads, processes):
        assert np.array_equal(other.entries_, serial.entries_)
        assert np.array_equal(other.params_, serial.params_)
        assert np.array_equal(other.coefficients([0.7]), serial.coefficients([0.7]))
        for A, B in zip(other.error_terms_, serial.error_terms_, strict=True):
            assert abs(A - B).max() == 0
    with pytest.raises(TypeError, match="executor: expected"):
        MatrixEIM().fit(_assemble_small, train, executor=4)


def test_parameters_are_rows(problem, fitted):
    meim, _ = fitted
    mu = meim.parameters_[0]
    assert np.array_equal(meim.coefficients(mu), meim.coefficients(mu[None, :]))
    with pytest.raises(ValueError, match="mu: expected parameter sets of 2 values"):
        meim.coefficients([1.0, 0.5, 0.2])
    with pytest.raises(ValueError, match="mu: expected one parameter set"):
        meim.coefficients(meim.parameters_[:2])
    # a 1-D training set is one parameter set: one term
    veim = VectorEIM().fit(lambda mu: np.arange(3.0) * mu.sum(), np.linspace(1, 2, 5))
    assert veim.parameters_.shape == (1, 5) and veim.n_terms_ == 1


def test_save_and_load_need_the_assembly_back(problem, tmp_path):
    train = _training(10)
    meim = MatrixEIM(max_terms=6, n_error_terms=2).fit(problem.assemble, train)
    path = tmp_path / "meim.npz"
    meim.save(path)
    with pytest.raises(ValueError, match="assemble_function_"):
        rom.load(path)
    back = rom.load(path, assemble_function_=problem.assemble)
    mu = [4.0, 0.33]
    assert abs(back.approximate(mu) - meim.approximate(mu)).max() == 0
    assert back.estimate_error(mu) == meim.estimate_error(mu)
    assert back.stop_reason_ == meim.stop_reason_ == "max_terms"
    op = back.to_affine()
    assert abs(op.assemble(mu) - meim.approximate(mu)).max() <= 1e-14 * abs(op.assemble(mu)).max()

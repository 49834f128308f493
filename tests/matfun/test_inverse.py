"""InverseApproximation: accuracy, preconditioning, complex families, saving."""

import pickle
from concurrent.futures import Executor, Future

import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.linalg

import rom
from fem_examples import diffusion_1d
from rom.matfun import InverseApproximation
from tests.matfun.families import load_with


def _iterations(solver, A, b, **kwargs):
    count = [0]

    def callback(_):
        count[0] += 1

    _, info = solver(A, b, rtol=1e-8, maxiter=1000, callback=callback, **kwargs)
    assert info == 0
    return count[0]


def test_inverse_preconditions_gmres_and_cg(block_inverse):
    model, space, inv = block_inverse
    rng = np.random.default_rng(0)
    for mu in space.sample(3, random_state=11):
        A = model.operator.assemble(mu)
        b = rng.standard_normal(A.shape[0])
        M = inv.as_linear_operator(mu)
        plain = _iterations(scipy.sparse.linalg.gmres, A, b, restart=300, callback_type="pr_norm")
        pre = _iterations(
            scipy.sparse.linalg.gmres, A, b, M=M, restart=300, callback_type="pr_norm"
        )
        assert pre * 10 <= plain
        assert _iterations(scipy.sparse.linalg.cg, A, b, M=M) * 10 <= _iterations(
            scipy.sparse.linalg.cg, A, b
        )


def test_inverse_error_below_estimate_and_tolerance(block_inverse):
    model, space, inv = block_inverse
    rng = np.random.default_rng(5)
    assert inv.stop_reason_ == "tol"
    for mu in space.sample(8, random_state=12):
        A = model.operator.assemble(mu).tocsc()
        B = rng.standard_normal((A.shape[0], 2))
        exact = scipy.sparse.linalg.spsolve(A, B)
        x, estimate = inv.apply(mu, B, return_estimate=True)
        error = np.linalg.norm(x - exact, axis=0)
        assert x.shape == B.shape and estimate.shape == (2,)
        assert np.all(error <= estimate)
        assert np.all(error <= inv.tol * np.linalg.norm(exact, axis=0))


def test_inverse_coefficients_interpolate_and_combine_the_inverses(block_inverse):
    model, _, inv = block_inverse
    for m in (0, 3, inv.n_terms_ - 1):
        assert np.allclose(inv.coefficients(inv.parameters_[m]), np.eye(inv.n_terms_)[m])
    mu = np.array([0.3, 0.8, 0.5, 0.2])
    lam = inv.coefficients(mu)
    b = np.ones(model.size)
    combined = sum(
        c * scipy.sparse.linalg.spsolve(model.operator.assemble(p).tocsc(), b)
        for c, p in zip(lam, inv.parameters_, strict=True)
    )
    assert np.allclose(inv.apply(mu, b), combined, rtol=1e-10)
    assert np.array_equal(inv.solve(mu, b), inv.apply(mu, b))  # solve is an alias


def test_inverse_of_a_complex_family():
    model, space, _ = diffusion_1d.build(n=40, segments=2, complex_shift=0.5)
    train = np.vstack([space.grid(2), space.sample(512, "sobol", random_state=2)])
    inv = InverseApproximation(model, tol=1e-3, max_terms=50).fit(train)
    mu = space.sample(1, random_state=9)[0]
    A = model.operator.assemble(mu).tocsc()
    b = np.linspace(0.0, 1.0, model.size)
    exact = scipy.sparse.linalg.spsolve(A, b)
    assert np.iscomplexobj(inv.apply(mu, b))
    assert np.linalg.norm(inv.apply(mu, b) - exact) <= 1e-3 * np.linalg.norm(exact)


# ------------------------------------------------------------ executors and saving
class _InlineExecutor(Executor):
    """Runs each task at once and sends its result through pickle, as a process pool."""

    def submit(self, fn, *args, **kwargs):
        future = Future()
        try:
            result = fn(*args, **kwargs)
            future.set_result(pickle.loads(pickle.dumps(result)))
        except Exception as err:  # pragma: no cover - a failed task
            future.set_exception(err)
        return future


def _family(mu):
    n = 12
    main = 2.0 + mu[0] * np.linspace(1.0, 2.0, n)
    return scipy.sparse.diags([-np.ones(n - 1), main, -np.ones(n - 1)], [-1, 0, 1]).tocsr()


def test_inverse_with_an_out_of_process_executor_factorises_again():
    train = np.linspace(0.1, 2.0, 300)[:, None]
    serial = InverseApproximation(_family, tol=1e-8).fit(train)
    remote = InverseApproximation(_family, tol=1e-8).fit(train, executor=_InlineExecutor())
    assert np.array_equal(remote.parameters_, serial.parameters_)
    assert np.array_equal(remote.errors_, serial.errors_)
    assert "_factorizations" not in vars(remote)  # made again at the first use
    b = np.linspace(0.0, 1.0, 12)
    assert np.allclose(remote.apply([0.7], b), serial.apply([0.7], b), rtol=1e-13, atol=0)
    assert len(remote.factorizations_) == remote.n_terms_


def test_inverse_save_and_load_with_the_operator_as_a_part(tmp_path):
    inv = InverseApproximation(_family, tol=1e-8).fit(np.linspace(0.1, 2.0, 300)[:, None])
    path = tmp_path / "inverse.npz"
    inv.save(path)
    assert rom.io.read_header(path)["parts"] == {
        "operator": "InverseApproximation.operator: a callable"
    }
    with pytest.raises(ValueError, match=r"operator=\.\.\."):
        rom.load(path)
    back = rom.load(path, operator=_family)
    assert back.operator is _family and repr(back) == repr(inv)
    B = np.random.default_rng(0).standard_normal((12, 3))
    x, estimate = inv.apply([0.45], B, return_estimate=True)
    y, estimate_back = back.apply([0.45], B, return_estimate=True)
    assert np.allclose(y, x, rtol=1e-13, atol=0) and np.allclose(estimate_back, estimate)
    assert np.array_equal(back.coefficients([1.3]), inv.coefficients([1.3]))
    # without the operator: the coefficients, not the solves
    bare = rom.load(path, operator=None)
    assert np.array_equal(bare.coefficients([1.3]), inv.coefficients([1.3]))
    with pytest.raises(TypeError, match="operator"):
        bare.apply([0.45], B)


def test_inverse_of_the_thermal_block_saves_and_loads(tmp_path, block_inverse):
    model, space, inv = block_inverse
    inv.save(tmp_path / "block.npz")
    back = load_with(tmp_path / "block.npz", operator=model, parameter_space_=space)
    mu = space.sample(1, random_state=13)[0]
    b = np.ones(model.size)
    assert np.allclose(back.apply(mu, b), inv.apply(mu, b), rtol=1e-12, atol=0)

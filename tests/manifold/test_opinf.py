"""OperatorInference, ParametricOperatorInference, time_derivatives (rom/manifold/opinf.py)."""

import numpy as np
import pytest
import scipy.linalg

import rom
from rom.linalg import POD
from rom.manifold import (
    OperatorInference,
    ParametricOperatorInference,
    QuadraticManifold,
    n_quadratic,
    quadratic_monomials,
    time_derivatives,
)


def _quadratic_system(r=4, seed=0):
    rng = np.random.default_rng(seed)
    A = -1.5 * np.eye(r) + 0.3 * rng.standard_normal((r, r))
    H = 0.1 * rng.standard_normal((r, n_quadratic(r)))
    c = 0.1 * rng.standard_normal(r)
    return c, A, H


def _exact_model(c=None, A=None, H=None):
    """An OperatorInference holding given operators (the reference integrations)."""
    model = OperatorInference()
    model.c_, model.A_, model.H_, model.B_ = c, A, H, None
    model.operators_ = "".join(x for x, v in zip("cAH", (c, A, H), strict=True) if v is not None)
    model.regularization_, model.validation_error_ = 0.0, None
    model._restore()
    return model


def _rhs(c, A, H, Z):
    return c[:, None] + A @ Z + H @ quadratic_monomials(Z)


def test_recovers_exact_operators_from_exact_data():
    c, A, H = _quadratic_system()
    rng = np.random.default_rng(1)
    # three "trajectories" of samples, concatenated
    Z = np.hstack([rng.standard_normal((4, 30)) for _ in range(3)])
    model = OperatorInference("cAH").fit(Z, _rhs(c, A, H, Z))
    np.testing.assert_allclose(model.c_, c, atol=1e-10)
    np.testing.assert_allclose(model.A_, A, atol=1e-10)
    np.testing.assert_allclose(model.H_, H, atol=1e-10)
    assert model.B_ is None and model.operators_ == "cAH" and model.regularization_ == 0.0
    np.testing.assert_allclose(model.rhs(Z), _rhs(c, A, H, Z), atol=1e-10)
    # with an input
    B = rng.standard_normal((4, 2))
    U = rng.standard_normal((2, Z.shape[1]))
    model = OperatorInference("AHB").fit(Z, A @ Z + H @ quadratic_monomials(Z) + B @ U, U)
    np.testing.assert_allclose(model.B_, B, atol=1e-10)
    np.testing.assert_allclose(model.A_, A, atol=1e-10)


def test_predict_matches_an_exact_linear_solution_with_and_without_inputs():
    A = np.array([[-0.5, 2.0], [-2.0, -0.5]])
    t = np.linspace(0.0, 3.0, 61)
    z0 = np.array([1.0, 0.0])
    exact = np.column_stack([scipy.linalg.expm(A * s) @ z0 for s in t])
    model = OperatorInference("A").fit(exact, A @ exact)
    np.testing.assert_allclose(model.predict(z0, t, rtol=1e-10, atol=1e-12), exact, atol=1e-8)
    # z' = A z + b u with a constant input u = 1: z = expm(At) z0 + A^{-1}(expm(At) - I) b
    b = np.array([[1.0], [0.5]])
    forced = exact + np.column_stack(
        [np.linalg.solve(A, (scipy.linalg.expm(A * s) - np.eye(2)) @ b[:, 0]) for s in t]
    )
    ones = np.ones((1, t.size))
    model = OperatorInference("AB").fit(forced, A @ forced + b @ ones, ones)
    for inputs in (lambda s: np.ones(1), ones):
        pred = model.predict(z0, t, inputs, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(pred, forced, atol=1e-8)


def test_complex_coordinates():
    A = np.array([[-0.2 + 1.0j, 0.3], [0.0, -0.4 - 2.0j]])
    t = np.linspace(0.0, 2.0, 41)
    z0 = np.array([1.0 + 0.5j, -0.3j])
    exact = np.column_stack([scipy.linalg.expm(A * s) @ z0 for s in t])
    model = OperatorInference("A").fit(exact, A @ exact)
    np.testing.assert_allclose(model.A_, A, atol=1e-10)
    np.testing.assert_allclose(model.predict(z0, t, rtol=1e-10, atol=1e-12), exact, atol=1e-7)


def test_time_derivatives_orders():
    errors = {2: [], 4: []}
    for k in (41, 81):
        t = np.linspace(0.0, 2.0, k)
        Z = np.vstack([np.sin(3 * t), np.exp(-t)])
        exact = np.vstack([3 * np.cos(3 * t), -np.exp(-t)])
        for order in (2, 4):
            errors[order].append(np.abs(time_derivatives(Z, t, order) - exact).max())
    assert 3.0 < errors[2][0] / errors[2][1] < 5.0  # second order: halving h divides by 4
    assert 12.0 < errors[4][0] / errors[4][1] < 20.0  # fourth order: by 16
    with pytest.raises(ValueError, match="times: order 4 expects uniform"):
        time_derivatives(np.ones((1, 6)), np.array([0, 1, 2, 3, 4, 6.0]))
    with pytest.raises(ValueError, match="order: expected 2 or 4"):
        time_derivatives(np.ones((1, 6)), np.arange(6.0), order=3)


def _opinf_package_model(Z, dZ, lam):
    opinf = pytest.importorskip("opinf", reason="the peer implementation")
    ops = [
        opinf.operators.ConstantOperator(),
        opinf.operators.LinearOperator(),
        opinf.operators.QuadraticOperator(),
    ]
    model = opinf.models.ContinuousModel(ops, solver=opinf.lstsq.L2Solver(lam))
    return model.fit(Z, dZ)


@pytest.mark.slow  # importing opinf takes seconds
def test_same_operators_and_state_error_as_the_opinf_package():
    c, A, H = _quadratic_system(r=3, seed=2)
    t = np.linspace(0.0, 2.0, 201)
    rng = np.random.default_rng(3)
    trajectories = []
    for _ in range(2):
        z0 = 0.5 * rng.standard_normal(3)
        exact = _exact_model(c, A, H)
        trajectories.append(exact.predict(z0, t, rtol=1e-11, atol=1e-13))
    Z = np.hstack(trajectories)
    dZ = np.hstack([time_derivatives(X, t, order=4) for X in trajectories])
    lam = 1e-3
    ours = OperatorInference("cAH", regularization=lam).fit(Z, dZ)
    peer = _opinf_package_model(Z, dZ, lam)
    np.testing.assert_allclose(ours.c_, peer.operators[0].entries, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours.A_, peer.operators[1].entries, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours.H_, peer.operators[2].entries, rtol=1e-8, atol=1e-10)
    ref = trajectories[0]
    ours_err = np.linalg.norm(ours.predict(ref[:, 0], t) - ref) / np.linalg.norm(ref)
    peer_pred = peer.predict(ref[:, 0], t, method="BDF", rtol=1e-10, atol=1e-12)
    peer_err = np.linalg.norm(peer_pred - ref) / np.linalg.norm(ref)
    assert ours_err == pytest.approx(peer_err, rel=0.1, abs=1e-7)


def _heat_snapshots(n=60, k=101, T=0.1):
    x = np.linspace(0.0, 1.0, n + 2)[1:-1]
    h = x[1] - x[0]
    L = (
        np.diag(-2.0 * np.ones(n)) + np.diag(np.ones(n - 1), 1) + np.diag(np.ones(n - 1), -1)
    ) / h**2
    t = np.linspace(0.0, T, k)
    u0 = np.exp(-((x - 0.4) ** 2) / 0.01)
    E = scipy.linalg.expm(L * (t[1] - t[0]))
    S = np.empty((n, k))
    S[:, 0] = u0
    for i in range(1, k):
        S[:, i] = E @ S[:, i - 1]
    return S, t, L


def test_on_pod_coordinates_recovers_the_projected_operator():
    S, t, L = _heat_snapshots()
    pod = POD(rank=6).fit(S)
    Z = pod.transform(S)
    # derivatives of the projected trajectory: exact through the full operator
    model = OperatorInference("A").fit(Z, pod.transform(L @ S))
    projected = pod.basis_.T @ L @ pod.basis_
    np.testing.assert_allclose(model.A_, projected, atol=1e-6 * np.abs(projected).max())
    model = OperatorInference("A").fit(Z, time_derivatives(Z, t))
    pred = model.predict(Z[:, 0], t)
    assert np.linalg.norm(pred - Z) / np.linalg.norm(Z) < 1e-2


def test_on_quadratic_manifold_coordinates():
    S, t, _ = _heat_snapshots()
    qm = QuadraticManifold(rank=3).fit(S)
    Z = qm.transform(S)
    model = OperatorInference("cAH").fit(Z, time_derivatives(Z, t))
    pred = model.predict(Z[:, 0], t)
    assert np.linalg.norm(pred - Z) / np.linalg.norm(Z) < 2e-2
    states = qm.inverse_transform(pred)
    assert np.linalg.norm(states - S) / np.linalg.norm(S) < 5e-2


def test_auto_regularization_gives_a_stable_model_on_noisy_data():
    # a lightly damped oscillator with a quadratic term, noisy states, differentiated
    rng = np.random.default_rng(4)
    A = np.array([[-0.2, 2.0, 0.0], [-2.0, -0.2, 0.0], [0.0, 0.0, -0.5]])
    exact = _exact_model(np.array([0.0, 0.0, 0.1]), A, 0.1 * rng.standard_normal((3, 6)))
    rng = np.random.default_rng(5)
    t = np.linspace(0.0, 4.0, 201)
    train = [exact.predict(0.8 * rng.standard_normal(3), t) for _ in range(3)]
    noisy = [X + 0.02 * rng.standard_normal(X.shape) for X in train]
    Z = np.hstack(noisy)
    dZ = np.hstack([time_derivatives(X, t, order=2) for X in noisy])
    z0 = 0.8 * rng.standard_normal(3)
    test = exact.predict(z0, t)
    model = OperatorInference("cAH", regularization="auto").fit(Z, dZ, validation=(z0, t, test))
    assert model.regularization_ > 0.0
    assert model.validation_error_ < 0.15
    long = model.predict(z0, np.linspace(0.0, 20.0, 101))  # five times longer: still bounded
    assert np.isfinite(long).all()
    assert np.abs(long).max() < 2 * np.abs(test).max()
    # without regularisation the same data give a model that blows up or is far worse
    plain = OperatorInference("cAH").fit(Z, dZ)
    try:
        plain_err = np.linalg.norm(plain.predict(z0, t) - test) / np.linalg.norm(test)
    except rom.galerkin.IntegrationError:
        plain_err = np.inf
    assert plain_err > 2 * model.validation_error_


def test_parametric_operators_affine_in_the_parameter():
    rng = np.random.default_rng(6)
    A0 = -np.eye(3) + 0.2 * rng.standard_normal((3, 3))
    A1 = 0.3 * rng.standard_normal((3, 3))
    H = 0.05 * rng.standard_normal((3, 6))
    mus = np.array([[0.0], [0.5], [1.0], [2.0]])
    states, derivs = [], []
    for mu in mus[:, 0]:
        Z = rng.standard_normal((3, 40))
        states.append(Z)
        derivs.append((A0 + mu * A1) @ Z + H @ quadratic_monomials(Z))
    model = ParametricOperatorInference("AH").fit(mus, states, derivs)
    at = model.model([1.3])
    np.testing.assert_allclose(at.A_, A0 + 1.3 * A1, atol=1e-8)
    np.testing.assert_allclose(at.H_, H, atol=1e-8)
    t = np.linspace(0.0, 1.0, 11)
    exact = _exact_model(A=A0 + 1.3 * A1, H=H)
    z0 = np.array([0.3, -0.2, 0.1])
    np.testing.assert_allclose(model.predict([1.3], z0, t), exact.predict(z0, t), atol=1e-7)
    with pytest.raises(ValueError, match="parameters: expected at least 2"):
        ParametricOperatorInference("A").fit(mus[:1], states[:1], derivs[:1])
    with pytest.raises(TypeError, match="derivatives: expected a list of 4"):
        ParametricOperatorInference("A").fit(mus, states, derivs[:2])


def test_save_and_load(tmp_path):
    c, A, H = _quadratic_system(r=3, seed=7)
    Z = np.random.default_rng(8).standard_normal((3, 30))
    model = OperatorInference("cAH", regularization=1e-6).fit(Z, _rhs(c, A, H, Z))
    model.save(tmp_path / "m.npz")
    back = rom.load(tmp_path / "m.npz")
    for name in ("c_", "A_", "H_"):
        np.testing.assert_array_equal(getattr(back, name), getattr(model, name))
    assert back.B_ is None
    t = np.linspace(0.0, 1.0, 5)
    np.testing.assert_array_equal(back.predict(Z[:, 0], t), model.predict(Z[:, 0], t))
    back.A_ = np.ones((3, 2))
    with pytest.raises(ValueError, match="A_: expected shape"):
        back._restore()


def test_bad_input_names_the_argument():
    Z = np.random.default_rng(9).standard_normal((3, 20))
    with pytest.raises(ValueError, match="operators: expected"):
        OperatorInference("AX").fit(Z, Z)
    with pytest.raises(ValueError, match="derivatives: expected shape"):
        OperatorInference("A").fit(Z, Z[:, :5])
    with pytest.raises(ValueError, match="inputs: expected inputs exactly"):
        OperatorInference("AB").fit(Z, Z)
    with pytest.raises(ValueError, match="validation: regularization='auto'"):
        OperatorInference("A", regularization="auto").fit(Z, Z)
    with pytest.raises(TypeError, match="regularization"):
        OperatorInference("A", regularization=[1.0]).fit(Z, Z)
    model = OperatorInference("A").fit(Z, -Z)
    with pytest.raises(ValueError, match="z0: expected shape"):
        model.predict(np.ones(2), np.linspace(0, 1, 3))
    with pytest.raises(ValueError, match="times: expected strictly increasing"):
        model.predict(np.ones(3), np.array([0.0, 1.0, 0.5]))
    with pytest.raises(ValueError, match="inputs: the model has no input"):
        model.predict(np.ones(3), np.linspace(0, 1, 3), inputs=np.ones((1, 3)))

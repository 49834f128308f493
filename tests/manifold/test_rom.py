"""Manifold Galerkin and LSPG reduced models: against POD-Galerkin, against the direct
minimum-residual solution of a linear system, on a moving pulse with a nonlinear
decoder, hyper-reduced against not, bad input, saving."""

import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.linalg

import rom
from fem_examples.burgers_1d import Burgers1D
from fem_examples.transport_1d import Transport1D
from rom import POD
from rom.galerkin import FullOrderModel, GalerkinROM, IntegrationError
from rom.manifold import ManifoldROM, QuadraticManifold

NU = 0.02
BURGERS = Burgers1D(40, domain=(-0.5, 1.5), scheme="upwind")
U0 = BURGERS.initial_condition(center=0.0, width=0.2)
TIMES = np.linspace(0.0, 0.4, 9)
S = BURGERS.solve(U0, TIMES, NU)


def _relative(A, B):
    return np.linalg.norm(A - B) / np.linalg.norm(B)


class ShiftDecoder:
    """``g(z) = (1 + z_1) p(x - x_0 - z_0)``: the pulse moved by ``z_0``, scaled by
    ``1 + z_1``; it records the number of rows of every decoder call."""

    def __init__(self, fom):
        self.x, self.center, self.width, self.period = fom.x, fom.center, fom.width, fom.period
        self.calls = []

    def fit(self, S):
        self.rank_ = 2
        return self

    def _pulse(self, shift, rows):
        x = self.x if rows is None else self.x[rows]
        d = np.mod(x[:, None] - self.center - shift + 0.5 * self.period, self.period)
        d -= 0.5 * self.period
        e = np.exp(-((d / self.width) ** 2))
        return e, 2.0 * d / self.width**2 * e  # p and -p'

    def inverse_transform(self, Z, rows=None):
        self.calls.append(self.x.size if rows is None else len(rows))
        p, _ = self._pulse(Z[0], rows)
        return p * (1.0 + Z[1])

    def jacobian(self, z, rows=None):
        self.calls.append(self.x.size if rows is None else len(rows))
        p, dp = self._pulse(np.atleast_1d(z[0]), rows)
        return np.column_stack([dp[:, 0] * (1.0 + z[1]), p[:, 0]])

    def transform(self, S):
        Z = np.zeros((2, S.shape[1]))
        for j in range(S.shape[1]):  # Gauss-Newton from the position of the maximum
            z = np.array([self.x[np.argmax(S[:, j])] - self.center, 0.0])
            for _ in range(10):
                r = self.inverse_transform(z[:, None])[:, 0] - S[:, j]
                z = z - np.linalg.lstsq(self.jacobian(z), r, rcond=None)[0]
            Z[:, j] = z
        return Z


def _implicit_reference(A, b, u0, dt, steps, scheme):
    """The full model ``u' = A u + b`` by backward Euler or BDF2 (first step Euler)."""
    I = scipy.sparse.identity(A.shape[0], format="csc")
    euler = scipy.sparse.linalg.splu(scipy.sparse.csc_matrix(I - dt * A))
    bdf2 = scipy.sparse.linalg.splu(scipy.sparse.csc_matrix(I - (2.0 / 3.0) * dt * A))
    U = [u0, euler.solve(u0 + dt * b)]
    for _ in range(steps - 1):
        if scheme == "backward_euler":
            U.append(euler.solve(U[-1] + dt * b))
        else:
            U.append(bdf2.solve(4.0 / 3.0 * U[-1] - U[-2] / 3.0 + 2.0 / 3.0 * dt * b))
    return np.column_stack(U)


# ---------------------------------------------------------------- linear decoder
def test_manifold_galerkin_on_pod_is_pod_galerkin():
    reference = GalerkinROM(None, BURGERS, rank=5).fit(S, NU)
    A = reference.solve(U0, TIMES, NU, rtol=1e-8, atol=1e-10)
    model = ManifoldROM(reference.pod_, BURGERS, method="galerkin", scheme="adaptive").fit(S, NU)
    Z = model.solve(U0, TIMES, NU, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(Z, A, rtol=0, atol=1e-10 * np.abs(A).max())
    np.testing.assert_allclose(model.rhs(A[:, 3], NU), reference.rhs(A[:, 3], NU), atol=1e-10)


@pytest.mark.parametrize("scheme", ["backward_euler", "bdf2"])
def test_lspg_on_pod_is_the_direct_minimum_residual_solution(scheme):
    rng = np.random.default_rng(1)
    n, dt, steps = 30, 0.05, 6
    A = -np.diag(np.linspace(1.0, 4.0, n)) + 0.3 * rng.standard_normal((n, n)) / np.sqrt(n)
    b = rng.standard_normal(n)
    model = FullOrderModel(
        lambda u, mu, t: mu * (A @ u) + b[:, None] if u.ndim == 2 else mu * (A @ u) + b,
        jacobian=lambda u, mu, t: mu * A,
    )
    u0 = rng.standard_normal(n)
    pod = POD(rank=4).fit(_implicit_reference(A, b, u0, dt, steps, scheme))
    Phi = pod.basis_
    est = ManifoldROM(pod, model, method="lspg", scheme=scheme, time_step=dt).fit()
    times = dt * np.arange(steps + 1)
    Z = est.solve(Phi.T @ u0, times, 1.0, state=False, newton_tol=1e-13)
    # the minimiser of ||Phi z - sum_j alpha_j Phi z_j - beta dt (A Phi z + b)||, directly
    expected = [Phi.T @ u0]
    for k in range(steps):
        if scheme == "backward_euler" or k == 0:
            alphas, beta = [1.0], 1.0
        else:
            alphas, beta = [4.0 / 3.0, -1.0 / 3.0], 2.0 / 3.0
        known = sum(a * (Phi @ z) for a, z in zip(alphas, expected[::-1], strict=False))
        lhs = Phi - beta * dt * (A @ Phi)
        expected.append(np.linalg.lstsq(lhs, known + beta * dt * b, rcond=None)[0])
    np.testing.assert_allclose(Z, np.column_stack(expected), atol=1e-12)


def test_galerkin_backward_euler_on_pod_is_the_projected_linear_step():
    rng = np.random.default_rng(2)
    n, dt = 20, 0.1
    A = -np.eye(n) - np.diag(rng.uniform(0, 2, n))
    model = FullOrderModel(lambda u, mu, t: A @ u, jacobian=lambda u, mu, t: A)
    Phi = np.linalg.qr(rng.standard_normal((n, 3)))[0]
    pod = POD(rank=3).fit(Phi @ rng.standard_normal((3, 5)))
    Phi = pod.basis_
    est = ManifoldROM(pod, model, method="galerkin", scheme="backward_euler").fit()
    z0 = np.array([1.0, -0.5, 0.25])
    Z = est.solve(z0, [0.0, dt, 2 * dt], None, newton_tol=1e-14)
    K = np.eye(3) - dt * Phi.T @ A @ Phi
    z1 = np.linalg.solve(K, z0)
    np.testing.assert_allclose(Z, np.column_stack([z0, z1, np.linalg.solve(K, z1)]), atol=1e-13)


# ---------------------------------------------------------------- nonlinear decoder
TRANSPORT = Transport1D(400, scheme="upwind3", width=0.08)
T_TIMES = np.linspace(0.0, 0.5, 51)
T_DT = 0.01
T_REFERENCE = _implicit_reference(
    TRANSPORT.jacobian(np.zeros(400), 1.0),
    np.zeros(400),
    TRANSPORT.initial_condition(),
    T_DT,
    50,
    "bdf2",
)


def test_lspg_on_a_shift_manifold_beats_pod_galerkin_on_a_moving_pulse():
    u0 = TRANSPORT.initial_condition()
    decoder = ShiftDecoder(TRANSPORT)
    lspg = ManifoldROM(decoder, TRANSPORT, method="lspg").fit(T_REFERENCE)
    error_lspg = _relative(lspg.predict(u0, T_TIMES, 1.0), T_REFERENCE)
    pod = GalerkinROM(None, TRANSPORT, rank=2).fit(T_REFERENCE, 1.0)
    error_pod = _relative(pod.reconstruct(pod.solve(u0, T_TIMES, 1.0)), T_REFERENCE)
    assert error_lspg < 0.1 < 0.5 < error_pod
    # and LSPG is close to the best the manifold can do for this trajectory
    best = _relative(decoder.inverse_transform(decoder.transform(T_REFERENCE)), T_REFERENCE)
    assert error_lspg < 1.5 * best


@pytest.mark.parametrize(
    ("hyper", "options"),
    [("gappy", {"deim_rank": 12, "n_samples": 24}), ("deim", {"deim_rank": 16})],
)
def test_hyperreduced_lspg_agrees_and_never_decodes_all_rows(hyper, options):
    decoder = ShiftDecoder(TRANSPORT).fit(None)  # fitted: used as it is, not copied
    z0 = decoder.transform(TRANSPORT.initial_condition()[:, None])[:, 0]
    full = ManifoldROM(decoder, TRANSPORT, method="lspg").fit(T_REFERENCE)
    Z_full = full.solve(z0, T_TIMES, 1.0)
    est = ManifoldROM(decoder, TRANSPORT, method="lspg", hyperreduction=hyper, **options)
    est.fit(T_REFERENCE, 1.0)
    decoder.calls.clear()
    Z = est.solve(z0, T_TIMES, 1.0)
    sampled = est.sample_rows_.size
    assert set(decoder.calls) == {sampled}
    assert sampled < TRANSPORT.n / 3
    assert est.n_points_ == options.get("n_samples", options["deim_rank"])
    np.testing.assert_array_equal(est.stencil_, TRANSPORT.stencil(est.points_))
    # the hyper-reduction moves the states by far less than the ROM's own error
    own = _relative(full.reconstruct(Z_full), T_REFERENCE)
    assert _relative(est.reconstruct(Z), full.reconstruct(Z_full)) < 0.4 * own


@pytest.mark.parametrize("method", ["galerkin", "lspg"])
@pytest.mark.parametrize("hyper", ["deim", "gappy"])
def test_hyperreduced_pod_models_agree_with_the_full_ones(method, hyper):
    options = {"deim_rank": 8} if hyper == "deim" else {"deim_rank": 6, "n_samples": 12}
    kw = {"method": method, "time_step": 0.005}
    Z_full = ManifoldROM(POD(rank=5), BURGERS, **kw).fit(S, NU).solve(U0, TIMES, NU)
    est = ManifoldROM(POD(rank=5), BURGERS, hyperreduction=hyper, **kw, **options).fit(S, NU)
    Z = est.solve(U0, TIMES, NU)
    assert _relative(Z, Z_full) < 2e-3
    assert _relative(est.reconstruct(Z), S) < 2e-3


def test_quadratic_manifold_lspg_beats_pod_lspg_at_the_same_rank():
    fom = Burgers1D(200, domain=(0.0, 1.0), scheme="upwind")
    u0 = fom.initial_condition(center=0.2, width=0.05)
    times = np.linspace(0.0, 0.5, 51)
    snapshots = fom.solve(u0, times, 0.01)
    errors = {}
    for name, reduction in (("pod", POD(rank=3)), ("quadratic", QuadraticManifold(rank=3))):
        est = ManifoldROM(reduction, fom, method="lspg").fit(snapshots, 0.01)
        errors[name] = _relative(est.predict(u0, times, 0.01), snapshots)
    assert errors["quadratic"] < 0.5 * errors["pod"]


def test_quadratic_manifold_rows_are_its_own_decoder_rows():
    from rom.manifold._decoder import Decoder

    qm = QuadraticManifold(rank=3).fit(S)
    decoder = Decoder(qm)
    z, rows = np.array([0.3, -1.2, 0.7]), np.array([0, 5, 17, 39])
    Z = np.random.default_rng(4).standard_normal((3, 4))
    np.testing.assert_allclose(decoder.decode(z, rows), qm.inverse_transform(z, rows=rows))
    np.testing.assert_allclose(decoder.decode(Z), qm.inverse_transform(Z), atol=1e-13)
    np.testing.assert_allclose(decoder.tangent(z, rows), qm.jacobian(z, rows=rows))
    np.testing.assert_allclose(decoder.tangent(z), qm.jacobian(z), atol=1e-13)


def test_gappy_points_grow_the_volume_greedily():
    from rom.eim import DEIM
    from rom.manifold._decoder import oversample

    U = np.linalg.qr(np.random.default_rng(5).standard_normal((60, 4)))[0]
    chosen = list(DEIM.from_basis(U).points_)
    points = oversample(U, np.array(chosen), 9)
    for _ in range(5):  # the row that maximises det(U_P^T U_P), by brute force
        volume = [
            -np.inf if i in chosen else np.linalg.det(U[[*chosen, i]].T @ U[[*chosen, i]])
            for i in range(60)
        ]
        chosen.append(int(np.argmax(volume)))
    np.testing.assert_array_equal(points, chosen)
    smallest = np.linalg.svd(U[points], compute_uv=False)[-1]
    assert smallest > np.linalg.svd(U[points[:4]], compute_uv=False)[-1]


# ---------------------------------------------------------------- errors
def test_bad_settings_and_input():
    with pytest.raises(ValueError, match="method"):
        ManifoldROM(POD(rank=2), BURGERS, method="petrov").fit(S, NU)
    with pytest.raises(ValueError, match="scheme: 'adaptive'"):
        ManifoldROM(POD(rank=2), BURGERS, scheme="adaptive").fit(S, NU)
    with pytest.raises(ValueError, match="deim_rank"):
        ManifoldROM(POD(rank=2), BURGERS, hyperreduction="gappy").fit(S, NU)
    with pytest.raises(ValueError, match="n_samples: expected at least 6"):
        ManifoldROM(POD(rank=2), BURGERS, hyperreduction="gappy", deim_rank=6, n_samples=3).fit(
            S, NU
        )
    with pytest.raises(ValueError, match="n_samples: only for"):
        ManifoldROM(POD(rank=2), BURGERS, hyperreduction="deim", deim_rank=6, n_samples=8).fit(
            S, NU
        )
    plain = FullOrderModel(BURGERS.rhs)
    with pytest.raises(ValueError, match="model: hyperreduction='deim' needs"):
        ManifoldROM(POD(rank=2), plain, hyperreduction="deim", deim_rank=4).fit(S, NU)
    with pytest.raises(ValueError, match=r"model\.mass"):
        ManifoldROM(POD(rank=2), FullOrderModel(BURGERS.rhs, mass=2 * np.eye(40))).fit(S, NU)
    with pytest.raises(TypeError, match="reduction"):
        ManifoldROM(np.eye(3), BURGERS).fit(S, NU)
    with pytest.raises(ValueError, match="states: expected 40 rows"):
        ManifoldROM(POD(rank=2).fit(S), BURGERS).fit(S[:-1], NU)
    with pytest.raises(ValueError, match="time_step"):
        ManifoldROM(POD(rank=2), BURGERS, time_step=-1.0).fit(S, NU)
    est = ManifoldROM(POD(rank=3), BURGERS).fit(S, NU)
    with pytest.raises(ValueError, match="times: expected times\\[0\\] \\+ multiples"):
        est.solve(U0, [0.0, 0.1, 0.25], NU)
    with pytest.raises(ValueError, match="initial: expected 3 coordinates or a state of 40"):
        est.solve(np.ones(7), TIMES, NU)
    with pytest.raises(ValueError, match="Z: expected 3 rows"):
        est.reconstruct(np.ones(4))
    with pytest.raises(rom.NotFittedError):
        ManifoldROM(POD(rank=3), BURGERS).solve(U0, TIMES, NU)


def test_non_finite_and_non_converged_steps_raise_integration_errors():
    n = 12
    A = -np.eye(n)
    model = FullOrderModel(lambda u, mu, t: mu * (A @ u) - u**3, jacobian=None)
    pod = POD(rank=2).fit(np.random.default_rng(3).standard_normal((n, 4)))
    est = ManifoldROM(pod, model, method="lspg").fit()
    with pytest.raises(IntegrationError, match=r"not finite at t = 0\.1"):
        est.solve(np.ones(2), [0.0, 0.1], np.nan, state=False)
    with pytest.raises(IntegrationError, match="max_iter"):
        est.solve(5 * np.ones(2), [0.0, 0.5], 1.0, state=False, max_iter=1, newton_tol=1e-14)


# ---------------------------------------------------------------- saving
def test_save_and_load_hyperreduced_model(tmp_path):
    est = ManifoldROM(
        POD(rank=4), BURGERS, method="lspg", hyperreduction="gappy", deim_rank=6, n_samples=10
    ).fit(S, NU)
    path = tmp_path / "manifold.npz"
    rom.save(est, path)
    back = rom.load(path, model=BURGERS)
    np.testing.assert_array_equal(back.points_, est.points_)
    np.testing.assert_allclose(back.solve(U0, TIMES, NU), est.solve(U0, TIMES, NU), atol=1e-13)
    for name, bad in (
        ("points_", np.array([0, 1, 400])),
        ("stencil_", np.array([3, 2, 1])),
        ("weights_", np.full((6, 10), np.nan)),
    ):
        broken = rom.load(path, model=BURGERS)
        setattr(broken, name, bad)
        with pytest.raises(ValueError, match="points_, stencil_, weights_"):
            broken._restore()

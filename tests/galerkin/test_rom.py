import numpy as np
import pytest

from fem_examples.burgers_1d import Burgers1D
from rom import NotFittedError
from rom.galerkin import FullOrderModel, GalerkinROM, as_full_order_model

NU = 0.02


@pytest.fixture(scope="module")
def burgers():
    """Upwind Burgers on 150 unknowns: a front travelling from x = 0 to x = 0.5."""
    fom = Burgers1D(150, domain=(-0.5, 1.5), scheme="upwind")
    u0 = fom.initial_condition(center=0.0, width=0.1)
    times = np.linspace(0.0, 1.0, 21)
    S = fom.solve(u0, times, NU, rtol=1e-10, atol=1e-12)
    return fom, u0, times, S


def _relative(A, B):
    return np.linalg.norm(A - B) / np.linalg.norm(B)


def test_full_basis_reproduces_the_full_model(burgers, rng):
    """With a basis of all of R^n (not the identity), Galerkin is a change of variables."""
    fom = Burgers1D(60, domain=(-0.5, 1.5), scheme="upwind")
    u0 = fom.initial_condition(center=0.0, width=0.2)
    times = np.linspace(0.0, 0.5, 6)
    S = fom.solve(u0, times, NU, rtol=1e-10, atol=1e-12)
    Q, _ = np.linalg.qr(rng.standard_normal((fom.n, fom.n)))
    rom = GalerkinROM(Q, fom).fit()
    A = rom.solve(u0, times, NU, state=True, method="BDF", rtol=1e-10, atol=1e-12)
    assert np.abs(rom.reconstruct(A) - S).max() < 1e-7
    # the reduced right-hand side and Jacobian are the full ones in the new coordinates
    a = Q.T @ S[:, 3]
    assert np.allclose(Q @ rom.rhs(a, NU), fom.rhs(S[:, 3], NU), atol=1e-10)
    J = fom.jacobian(S[:, 3], NU).toarray()
    assert np.allclose(rom.jacobian(a, NU), Q.T @ J @ Q, atol=1e-8)


def test_error_decreases_with_the_rank(burgers):
    fom, u0, times, S = burgers
    errors = []
    for r in (4, 8, 12, 16):
        rom = GalerkinROM(None, fom, rank=r).fit(S, NU)
        A = rom.solve(u0, times, NU, rtol=1e-7, atol=1e-10)
        errors.append(_relative(rom.reconstruct(A), S))
    assert np.all(np.diff(errors) < 0), errors
    assert errors[0] / errors[-1] > 100
    assert errors[-1] < 1e-4


@pytest.mark.parametrize("hyperreduction", ["deim", "qdeim"])
def test_hyper_reduction_matches_the_galerkin_rom_to_the_deim_error(burgers, hyperreduction):
    fom, u0, times, S = burgers
    galerkin = GalerkinROM(None, fom, rank=12).fit(S, NU)
    times = times[:11]  # to t = 0.5
    a_ref = galerkin.solve(u0, times, NU, rtol=1e-8, atol=1e-11)
    previous = np.inf
    for m in (6, 12, 20):
        rom = GalerkinROM(None, fom, hyperreduction, deim_rank=m, rank=12).fit(S, NU)
        a = rom.solve(u0, times, NU, rtol=1e-8, atol=1e-11)
        gap = _relative(rom.reconstruct(a), galerkin.reconstruct(a_ref))
        # DEIM error of the nonlinear term along the Galerkin trajectory, projected
        U = galerkin.reconstruct(a_ref)
        L, b = fom.linear_operators[0], fom.linear_offsets[0]
        G = fom.rhs(U, NU) - NU * (L @ U + b[:, None])
        deim_error = _relative(rom.deim_.approximate(G), G)
        assert gap < 10 * deim_error + 1e-8, (m, gap, deim_error)
        assert gap < previous
        previous = gap
    assert previous < 1e-5


def test_linear_part_is_projected_exactly(burgers):
    """Without a nonlinear term, hyper-reduction changes nothing (to round-off)."""
    fom, _, _, S = burgers
    L, b = fom.linear_operators[0], fom.linear_offsets[0]

    def rhs(u, mu, t):
        return mu * (L @ u + (b if u.ndim == 1 else b[:, None]))

    def rhs_entries(u_local, rows, mu, t):
        b_rows = b[rows] if u_local.ndim == 1 else b[rows][:, None]
        return mu * (L[rows][:, fom.stencil(rows)] @ u_local + b_rows)

    model = FullOrderModel(
        rhs=rhs,
        stencil=fom.stencil,
        rhs_entries=rhs_entries,
        linear_operators=[L],
        linear_offsets=[b],
        linear_coefficients=lambda mu: [mu],
    )
    plain = GalerkinROM(None, model, rank=10).fit(S, NU)
    hyper = GalerkinROM(None, model, "deim", deim_rank=3, rank=10).fit(
        S, NU, nonlinear_snapshots=np.random.default_rng(1).standard_normal((fom.n, 5))
    )
    a = plain.project(S[:, 10])
    assert np.allclose(hyper.rhs(a, 0.3), plain.rhs(a, 0.3), atol=1e-10)
    J = plain.jacobian(a, 0.3)  # both by forward differences
    assert np.allclose(hyper.jacobian(a, 0.3), J, rtol=0, atol=1e-6 * np.abs(J).max())


class RecordingModel:
    """Burgers whose full-size methods refuse to run and whose row methods record."""

    def __init__(self, fom):
        self.fom = fom
        self.mass = fom.mass
        self.linear_operators = fom.linear_operators
        self.linear_offsets = fom.linear_offsets
        self.linear_coefficients = fom.linear_coefficients
        self.stencil = fom.stencil
        self.online = False
        self.asked_rows: list = []
        self.local_sizes: list = []

    def rhs(self, u, mu, t=0.0):
        if self.online:
            raise AssertionError("the online stage evaluated the full right-hand side")
        return self.fom.rhs(u, mu, t)

    def jacobian(self, u, mu, t=0.0):
        raise AssertionError("the online stage evaluated the full Jacobian")

    def rhs_entries(self, u_local, rows, mu, t=0.0):
        self.asked_rows.append(np.array(rows))
        self.local_sizes.append(np.shape(u_local)[0])
        return self.fom.rhs_entries(u_local, rows, mu, t)

    def jacobian_entries(self, u_local, rows, mu, t=0.0):
        self.asked_rows.append(np.array(rows))
        self.local_sizes.append(np.shape(u_local)[0])
        return self.fom.jacobian_entries(u_local, rows, mu, t)


def test_online_stage_touches_only_the_stencil_rows(burgers):
    fom, u0, times, S = burgers
    model = RecordingModel(fom)
    rom = GalerkinROM(None, model, "deim", deim_rank=15, rank=8).fit(S, NU)
    a0 = rom.project(u0)
    expected = rom.solve(a0, times, NU)
    # after fit, the full-size arrays are not needed online: poison them with NaN
    for name in ("basis_", "shift_", "_left"):
        setattr(rom, name, np.full_like(getattr(rom, name), np.nan))
    model.online = True
    model.asked_rows.clear()
    model.local_sizes.clear()
    A = rom.solve(a0, times, NU)
    model.online = False
    assert np.array_equal(A, expected)
    assert model.asked_rows, "rhs_entries was never called"
    for rows in model.asked_rows:
        assert np.array_equal(rows, rom.points_)
    assert set(model.local_sizes) == {rom.stencil_.size}
    assert rom.stencil_.size <= 3 * rom.points_.size < fom.n
    assert rom.basis_stencil_.shape == (rom.stencil_.size, 8)


def test_explicit_and_implicit_integration_agree(burgers):
    fom, u0, times, S = burgers
    rom = GalerkinROM(None, fom, "deim", deim_rank=30, rank=10).fit(S, NU)
    implicit = rom.solve(u0, times, NU, method="implicit", rtol=1e-8, atol=1e-11)
    explicit = rom.solve(u0, times, NU, method="explicit", rtol=1e-8, atol=1e-11)
    ros2 = rom.solve(u0, times, NU, method="ros2", rtol=1e-6, atol=1e-9)
    scipy_rk = rom.solve(u0, times, NU, method="DOP853", rtol=1e-10, atol=1e-12)
    scale = np.abs(scipy_rk).max()
    assert np.abs(implicit - scipy_rk).max() < 1e-6 * scale
    assert np.abs(explicit - scipy_rk).max() < 1e-6 * scale
    assert np.abs(ros2 - scipy_rk).max() < 1e-5 * scale


def test_mass_matrix_and_non_orthonormal_basis(rng):
    """M du/dt = -K u with a non-orthonormal basis: the reduced mass is inverted."""
    n = 40
    h = 1.0 / (n + 1)
    main, off = np.full(n, 4 * h / 6), np.full(n - 1, h / 6)
    M = np.diag(main) + np.diag(off, 1) + np.diag(off, -1)
    K = (2 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)) / h
    model = FullOrderModel(lambda u, mu, t: -mu * (K @ u), mass=M)
    x = np.arange(1, n + 1) * h
    V = np.column_stack([np.sin(np.pi * k * x) for k in (1, 2, 3)]) @ rng.standard_normal((3, 3))
    rom = GalerkinROM(V, model).fit()
    a0 = np.linalg.solve(V.T @ M @ V, V.T @ M @ np.sin(np.pi * x))
    A = rom.solve(a0, [0.0, 0.1], 1.0, rtol=1e-10, atol=1e-13)
    # exact for the discrete eigenpair: the decay rate is the generalised eigenvalue
    lam = (np.sin(np.pi * x) @ K @ np.sin(np.pi * x)) / (np.sin(np.pi * x) @ M @ np.sin(np.pi * x))
    assert np.allclose(V @ A[:, -1], np.exp(-lam * 0.1) * np.sin(np.pi * x), atol=1e-8)


def test_project_and_reconstruct_with_a_shift(burgers):
    fom, u0, times, S = burgers
    rom = GalerkinROM(None, fom, rank=6, shift=u0).fit(S, NU)
    assert np.allclose(rom.project(u0), 0.0)
    assert np.allclose(rom.reconstruct(np.zeros(6)), u0)
    A = rom.solve(u0, times, NU, rtol=1e-6, atol=1e-9)
    unshifted = GalerkinROM(None, fom, rank=12).fit(S, NU)
    B = unshifted.solve(u0, times, NU, rtol=1e-6, atol=1e-9)
    assert _relative(rom.reconstruct(A), S) < 1e-2
    assert _relative(unshifted.reconstruct(B), S) < 1e-2


def test_protocol_adapter_and_bad_input(burgers):
    fom, u0, times, S = burgers
    model = as_full_order_model(fom)
    assert model.rhs_entries is not None and model.linear_operators is not None
    with pytest.raises(TypeError, match="model"):
        as_full_order_model(object())
    with pytest.raises(ValueError, match="rhs_entries, stencil"):
        FullOrderModel(fom.rhs, rhs_entries=fom.rhs_entries)
    with pytest.raises(ValueError, match="linear_coefficients"):
        FullOrderModel(fom.rhs, linear_operators=fom.linear_operators)
    with pytest.raises(ValueError, match="hyperreduction"):
        GalerkinROM(None, fom, "gappy", rank=3).fit(S, NU)
    with pytest.raises(ValueError, match="rhs_entries"):
        GalerkinROM(None, FullOrderModel(fom.rhs), "deim", deim_rank=3, rank=3).fit(S, NU)
    with pytest.raises(ValueError, match="deim_rank"):
        GalerkinROM(None, fom, "deim", rank=3).fit(S, NU)
    with pytest.raises(ValueError, match="states"):
        GalerkinROM(None, fom, rank=3).fit()
    with pytest.raises(ValueError, match="mus"):
        GalerkinROM(None, fom, "deim", deim_rank=3, rank=3).fit(S, mus=[NU])
    rom = GalerkinROM(None, fom, rank=3).fit(S, NU)
    with pytest.raises(ValueError, match="initial"):
        rom.solve(np.zeros(5), times, NU)
    with pytest.raises(ValueError, match="a: expected 3 rows"):
        rom.reconstruct(np.zeros(4))
    with pytest.raises(ValueError, match="method"):
        rom.solve(u0, times, NU, method="euler")
    with pytest.raises(NotFittedError, match="not fitted"):
        GalerkinROM(None, fom).rhs(np.zeros(3), NU)

"""GalerkinROM: saving and loading (the model and the closure are parts), complex models."""

import numpy as np
import pytest
import scipy.sparse

import rom
from fem_examples.burgers_1d import Burgers1D
from rom.galerkin import FullOrderModel, GalerkinROM, integrate

NU = 0.02


@pytest.fixture(scope="module")
def burgers():
    fom = Burgers1D(80, domain=(-0.5, 1.5), scheme="central")
    u0 = fom.initial_condition(center=0.0, width=0.2)
    times = np.linspace(0.0, 0.5, 11)
    return fom, u0, times, fom.solve(u0, times, NU, rtol=1e-9, atol=1e-11)


def _damping(a, mu, t):
    return -0.05 * a


@pytest.mark.parametrize("autonomous", [False, True])
def test_a_loaded_model_integrates_to_the_same_trajectory(burgers, tmp_path, autonomous):
    fom, u0, times, S = burgers
    fitted = GalerkinROM(None, fom, "deim", deim_rank=12, closure=_damping, rank=6).fit(S, NU)
    path = tmp_path / "galerkin.npz"
    rom.save(fitted, path)
    assert set(rom.io.read_header(path)["parts"]) == {"model", "closure"}
    loaded = rom.load(path, model=fom, closure=_damping)
    assert repr(loaded) == repr(fitted)
    for name in ("basis_", "points_", "stencil_", "interpolation_", "reduced_linear_"):
        assert np.array_equal(getattr(loaded, name), getattr(fitted, name)), name
    expected = fitted.solve(u0, times, NU, autonomous=autonomous)
    got = loaded.solve(u0, times, NU, autonomous=autonomous)
    assert np.abs(got - expected).max() <= 1e-12 * np.abs(expected).max()
    # without hyper-reduction too, and a given basis is stored
    plain = GalerkinROM(fitted.basis_, fom).fit()
    rom.save(plain, path)
    again = rom.load(path, model=fom)
    assert np.array_equal(again.solve(u0, times, NU), plain.solve(u0, times, NU))


def test_the_error_names_the_missing_parts(burgers, tmp_path):
    fom, _, _, S = burgers
    path = tmp_path / "galerkin.npz"
    GalerkinROM(None, fom, closure=_damping, rank=3).fit(S, NU).save(path)
    with pytest.raises(ValueError, match=r"model=\.\.\., closure=\.\.\.") as err:
        rom.load(path)
    assert "GalerkinROM.model: a Burgers1D" in str(err.value)
    with pytest.raises(ValueError, match="closure=") as err:
        rom.load(path, model=fom)
    assert "model=" not in str(err.value).split("(")[1].split(")")[0]


def test_refit_forgets_the_previous_hyper_reduction(burgers):
    fom, _, _, S = burgers
    model = GalerkinROM(None, fom, "deim", deim_rank=10, rank=5).fit(S, NU)
    assert model.n_points_ == 10
    model.set_params(hyperreduction=None).fit(S, NU)
    assert model.n_points_ == 0 and not hasattr(model, "points_")


# ---------------------------------------------------------------- complex models
def _schroedinger(n=64):
    """Damped nonlinear Schroedinger on a periodic grid: u' = (i - 0.1) D2 u - i |u|^2 u."""
    h = 1.0 / n
    D2 = scipy.sparse.diags([1.0, -2.0, 1.0], [-1, 0, 1], shape=(n, n), format="lil")
    D2[0, n - 1] = D2[n - 1, 0] = 1.0
    D2 = (D2.tocsr() / h**2) * 1e-3
    L = (1j - 0.1) * D2

    def g(u):
        return -1j * np.abs(u) ** 2 * u

    def rhs(u, mu, t):
        return L @ u + mu * g(u)

    def stencil(rows):
        rows = np.asarray(rows)
        return np.unique(np.concatenate([(rows - 1) % n, rows, (rows + 1) % n]))

    def rhs_entries(u_local, rows, mu, t):
        cols = stencil(rows)
        full = np.zeros((n, *u_local.shape[1:]), dtype=complex)
        full[cols] = u_local
        return (L[rows] @ full) + mu * g(full[rows])

    model = FullOrderModel(
        rhs,
        stencil=stencil,
        rhs_entries=rhs_entries,
        linear_operators=[L],
        linear_coefficients=lambda mu: [1.0],
    )
    x = np.arange(n) * h
    u0 = (1.0 + 0.5 * np.cos(2 * np.pi * x)) * np.exp(2j * np.pi * x)
    return model, u0, x


def test_complex_full_basis_reproduces_the_full_model(rng):
    model, u0, _ = _schroedinger(32)
    times = np.linspace(0.0, 0.2, 5)
    full = integrate(
        lambda t, u: model.rhs(u, 1.0, t), u0, times, method="explicit", rtol=1e-10, atol=1e-12
    )
    Q, _ = np.linalg.qr(rng.standard_normal((32, 32)) + 1j * rng.standard_normal((32, 32)))
    reduced = GalerkinROM(Q, model).fit()
    A = reduced.solve(u0, times, 1.0, state=True, rtol=1e-10, atol=1e-12)
    assert np.iscomplexobj(A) and np.abs(reduced.reconstruct(A) - full).max() < 1e-6
    assert np.allclose(reduced.project(full[:, 2]), Q.conj().T @ full[:, 2])


def test_complex_hyper_reduction_approaches_the_galerkin_model(tmp_path):
    model, u0, _ = _schroedinger()
    times = np.linspace(0.0, 0.5, 21)
    explicit = {"method": "explicit", "rtol": 1e-9, "atol": 1e-12}
    S = integrate(lambda t, u: model.rhs(u, 1.0, t), u0, times, **explicit)
    galerkin = GalerkinROM(None, model, rank=10, inner=None).fit(S, 1.0)
    reference = galerkin.reconstruct(galerkin.solve(u0, times, 1.0, **explicit))
    assert np.linalg.norm(reference - S) < 1e-2 * np.linalg.norm(S)
    gaps = []
    for m in (5, 11):
        hyper = GalerkinROM(None, model, "deim", deim_rank=m, rank=10, inner=None).fit(S, 1.0)
        assert np.iscomplexobj(hyper.interpolation_)
        U = hyper.reconstruct(hyper.solve(u0, times, 1.0, **explicit))
        gaps.append(np.linalg.norm(U - reference) / np.linalg.norm(reference))
    assert gaps[1] < gaps[0] and gaps[1] < 1e-4, gaps
    path = tmp_path / "complex.npz"
    hyper.save(path)
    back = rom.load(path, model=model)
    assert np.array_equal(back.solve(u0, times, 1.0), hyper.solve(u0, times, 1.0))


def test_a_real_model_refuses_a_complex_closure():
    model = FullOrderModel(lambda u, mu, t: -u)
    damped = GalerkinROM(np.eye(3)[:, :2], model, closure=lambda a, mu, t: 1j * a).fit()
    with pytest.raises(TypeError, match="closure '<lambda>': expected a real array"):
        damped.rhs(np.ones(2), None)

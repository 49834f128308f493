import numpy as np
import pytest

from rom import NotFittedError
from rom.lagrangian import GridCrossingError, LagrangianPOD


@pytest.fixture(scope="module")
def translation():
    """Pure convection: the state is carried unchanged, the grid translates rigidly."""
    x0 = np.linspace(0, 1, 300, endpoint=False)
    t = np.linspace(0, 1, 41)
    X = x0[:, None] + 0.8 * t[None, :]
    W = np.repeat(np.exp(-((x0 - 0.3) ** 2) / (2 * 0.02**2))[:, None], t.size, axis=1)
    return W, X


def test_pure_convection_is_rank_one_in_state_and_two_in_grid(translation):
    W, X = translation
    raw = LagrangianPOD(center="none", period=1.0).fit(W, X)
    s_w, s_x = np.linalg.svd(W, compute_uv=False), np.linalg.svd(X, compute_uv=False)
    assert s_w[1] / s_w[0] < 1e-14 and s_x[2] / s_x[0] < 1e-14 and s_x[1] / s_x[0] > 1e-3
    assert raw.state_basis_.shape[1] == 1 and raw.grid_basis_.shape[1] == 2
    centred = LagrangianPOD(period=1.0).fit(W, X)  # reference grid removed: rank one
    assert centred.grid_basis_.shape[1] == 1
    assert np.allclose(centred.reference_, X[:, 0])
    a, b = centred.transform(W, X)
    Wr, Xr = centred.inverse_transform(a, b)
    assert np.allclose(Wr, W, atol=1e-13) and np.allclose(Xr, X, atol=1e-13)


def test_mean_centring_and_truncation():
    x0 = np.linspace(0, 1, 100)
    t = np.linspace(0, 1, 30)
    X = x0[:, None] * (1 + 0.2 * np.sin(np.pi * t))[None, :]
    W = np.cos(np.outer(x0, 1 + t))
    pod = LagrangianPOD(rank_state=2, center="mean").fit(W, X)
    assert pod.state_basis_.shape[1] == 2
    assert np.allclose(pod.reference_, X.mean(axis=1))
    assert np.allclose(pod.state_basis_.T @ pod.state_basis_, np.eye(2), atol=1e-13)


def test_bad_snapshots_are_refused(translation):
    W, X = translation
    with pytest.raises(ValueError, match="shape of the state snapshots"):
        LagrangianPOD().fit(W, X[:, :-1])
    tangled = X.copy()
    tangled[10, 5], tangled[11, 5] = tangled[11, 5], tangled[10, 5]
    with pytest.raises(GridCrossingError, match="snapshot 5"):
        LagrangianPOD().fit(W, tangled)
    with pytest.raises(ValueError, match="no grid motion"):
        LagrangianPOD().fit(W, np.repeat(X[:, :1], X.shape[1], axis=1))
    with pytest.raises(ValueError, match="center"):
        LagrangianPOD(center="median").fit(W, X)
    with pytest.raises(ValueError, match="NaN"):
        LagrangianPOD().fit(W * np.nan, X)
    with pytest.raises(NotFittedError, match="not fitted"):
        LagrangianPOD().transform(W, X)


def test_complex_states_and_an_inner_product(translation):
    import scipy.sparse

    W, X = translation
    phase = np.exp(1j * np.linspace(0.0, 2.0, W.shape[1]))[None, :]
    WC = W * (1.0 + 0.3 * np.cos(5 * X)) * phase
    M = scipy.sparse.diags(np.linspace(1.0, 3.0, W.shape[0]))
    pod = LagrangianPOD(rank_state=6, inner=M, period=1.0).fit(WC, X)
    Phi = pod.state_basis_
    assert np.iscomplexobj(Phi) and not np.iscomplexobj(pod.grid_basis_)
    assert np.allclose(Phi.conj().T @ (M @ Phi), np.eye(Phi.shape[1]), atol=1e-12)
    assert np.allclose(pod.grid_basis_.T @ (M @ pod.grid_basis_), np.eye(1), atol=1e-12)
    a, b = pod.transform(WC, X)
    assert np.allclose(a, Phi.conj().T @ (M @ WC))
    Wr, Xr = pod.inverse_transform(a, b)
    assert np.allclose(Xr, X, atol=1e-12)
    assert np.linalg.norm(Wr - WC) < 1e-2 * np.linalg.norm(WC)
    with pytest.raises(TypeError, match="X: expected a real"):
        pod.fit(WC, X + 0j)

import importlib.util

import numpy as np
import pytest

from rom.closures import TorchRegressor, as_regressor, fit_closure
from rom.galerkin import FullOrderModel, GalerkinROM


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny networks: one thread avoids oversubscribing a shared machine."""
    if importlib.util.find_spec("torch") is None:
        yield
        return
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.skipif(importlib.util.find_spec("torch") is not None, reason="torch is installed")
def test_without_torch_the_error_names_the_extra():
    with pytest.raises(ImportError, match=r"romba\[torch\]"):
        TorchRegressor(epochs=1).fit(np.ones((3, 1)), np.ones(3))


def test_smooth_function_is_learned(rng):
    pytest.importorskip("torch")
    X = rng.uniform(-1.0, 1.0, (200, 2))
    Y = np.column_stack([np.sin(2.0 * X[:, 0]) * X[:, 1], X[:, 0] ** 2])
    reg = as_regressor(TorchRegressor(epochs=300, lr=2e-2, random_state=1)).fit(X, Y)
    X_new = rng.uniform(-0.9, 0.9, (50, 2))
    Y_new = np.column_stack([np.sin(2.0 * X_new[:, 0]) * X_new[:, 1], X_new[:, 0] ** 2])
    out = reg.predict(X_new)
    assert out.shape == (50, 2) and out.dtype == np.float64
    # far better than the best constant (the mean): a tenth of its error
    assert np.sqrt(np.mean((out - Y_new) ** 2)) < 0.1 * Y_new.std()
    history = reg.estimator.loss_history_
    assert history.shape == (300,) and history[-1] < 0.01 * history[0]


def test_custom_module_minibatches_and_float32(rng):
    torch = pytest.importorskip("torch")
    X = rng.standard_normal((64, 3))
    Y = X @ np.array([1.0, -2.0, 0.5])
    reg = TorchRegressor(
        lambda n_in, n_out: torch.nn.Linear(n_in, n_out),
        epochs=100,
        lr=5e-2,
        batch_size=16,
        dtype="float32",
    ).fit(X, Y)
    assert reg.predict(X[:5]).shape == (5,)
    assert np.allclose(reg.predict(X), Y, atol=1e-3 * np.abs(Y).max())
    with pytest.raises(TypeError, match=r"module_factory: expected a torch\.nn\.Module"):
        TorchRegressor(lambda n_in, n_out: "net", epochs=1).fit(X, Y)
    with pytest.raises(ValueError, match="lr: expected a positive number"):
        TorchRegressor(lr=-1.0).fit(X, Y)
    with pytest.raises(ValueError, match="dtype: expected one of"):
        TorchRegressor(dtype="float16").fit(X, Y)


def test_torch_closure_recovers_a_linear_truncation():
    """u1' = -u1 + u2, u2' = -2 u2 with u2 = c u1 on the trajectories: the exact closure is c a."""
    pytest.importorskip("torch")
    A = np.array([[-1.0, 1.0], [0.0, -2.0]])
    model = FullOrderModel(lambda u, mu, t: A @ u)
    rom = GalerkinROM(np.eye(2)[:, :1], model).fit()
    times = np.linspace(0.0, 1.0, 11)
    # u2 = u1 (at the start) decays as e^{-2t}, u1 = 2 e^{-t} - e^{-2t}: targets are u2 = Y
    data = []
    for scale in (0.5, 1.0, 2.0):
        u1 = scale * (2 * np.exp(-times) - np.exp(-2 * times))
        u2 = scale * np.exp(-2 * times)
        data.append((np.vstack([u1, u2]), times, 0.0))
    closure = fit_closure(rom, data, TorchRegressor(epochs=200, lr=2e-2), features=("a", "t"))
    X = np.array([[1.0, 0.3]])
    expected = np.exp(-2 * 0.3) / (2 * np.exp(-0.3) - np.exp(-2 * 0.3))  # u2 / u1 at t = 0.3
    assert closure(X[0, :1], 0.0, 0.3)[0] == pytest.approx(expected, rel=0.05)


def _linear(n_in, n_out):
    import torch

    return torch.nn.Linear(n_in, n_out)


def test_saved_weights_rebuild_the_module(rng, tmp_path):
    pytest.importorskip("torch")
    import rom

    X = rng.standard_normal((40, 2))
    Y = np.column_stack([X[:, 0] - X[:, 1], X[:, 0] * X[:, 1]])
    default = TorchRegressor(epochs=20, random_state=3).fit(X, Y)
    default.save(tmp_path / "default.npz")
    assert rom.io.read_header(tmp_path / "default.npz")["parts"] == {}
    back = rom.load(tmp_path / "default.npz")
    assert np.array_equal(back.predict(X), default.predict(X))
    assert np.array_equal(back.loss_history_, default.loss_history_)
    # a custom module is rebuilt by its factory, a part of the file
    custom = TorchRegressor(_linear, epochs=20, dtype="float32").fit(X, Y[:, 0])
    custom.save(tmp_path / "custom.npz")
    with pytest.raises(ValueError, match="module_factory"):
        rom.load(tmp_path / "custom.npz")
    back = rom.load(tmp_path / "custom.npz", module_factory=_linear)
    assert back.predict(X).shape == (40,)
    assert np.array_equal(back.predict(X), custom.predict(X))
    with pytest.raises(ValueError, match="the saved weights do not fit the module"):
        rom.load(tmp_path / "custom.npz", module_factory=lambda n_in, n_out: _linear(n_in, 3))

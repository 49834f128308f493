"""The torch autoencoders: accuracy on a travelling pulse, determinism, early stopping,
derivatives, hyper-reduced decoding, saving, and the failure paths."""

import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the torch autoencoders need torch")

import rom  # noqa: E402
from rom.linalg import POD  # noqa: E402
from rom.manifold.torch import (  # noqa: E402
    DenseAutoencoder,
    PODAutoencoder,
    SparseAutoencoder,
    band_index,
)

# a travelling pulse, one parameter (its position): n = 200 entries, k = 100 snapshots
X = np.linspace(0.0, 1.0, 200)
S = np.exp(-(((X[:, None] - np.linspace(0.2, 0.8, 100)[None]) / 0.1) ** 2))
TEST = np.exp(-(((X[:, None] - np.array([0.313, 0.5021, 0.6677])[None]) / 0.1) ** 2))
FAST = {"device": "cpu", "random_state": 0}


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny networks train fastest on one thread (and do not fight for the cores)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def dense():
    torch.set_num_threads(1)
    return DenseAutoencoder(
        2, hidden=(32,), epochs=100, batch_size=25, learning_rate=1e-2, **FAST
    ).fit(S, progress=False)


def test_rank_two_autoencoder_beats_rank_two_pod(dense):
    """The pulse family is one-dimensional: two latent coordinates suffice, two POD
    modes leave more than half of it (measured: POD 0.57, autoencoder 0.05-0.08
    for the seeds 0, 1, 2)."""
    pod = POD(rank=2).fit(S)
    assert pod.projection_error(S).mean() > 0.5
    assert dense.projection_error(S).mean() < 0.15
    assert dense.projection_error(TEST).mean() < 0.15  # between the training positions
    assert dense.rank_ == 2 and dense.transform(TEST).shape == (2, 3)
    assert dense.n_epochs_ == len(dense.loss_history_) == len(dense.validation_loss_history_)
    assert dense.loss_history_[-1] < 0.1 * dense.loss_history_[0]


@pytest.mark.slow
def test_pod_autoencoder_beats_rank_two_pod():
    ae = PODAutoencoder(
        2,
        pod_rank=20,
        pod_tol=None,
        hidden=(32,),
        epochs=100,
        batch_size=25,
        learning_rate=1e-2,
        **FAST,
    ).fit(S, progress=False)
    assert ae.basis_.shape == (200, 20)
    assert ae.projection_error(S).mean() < 0.15  # measured 0.05-0.08 (seeds 0-2); POD: 0.57


def test_same_random_state_gives_the_same_weights():
    def fit(seed):
        return DenseAutoencoder(
            2, hidden=(8,), epochs=4, batch_size=16, device="cpu", random_state=seed
        ).fit(S, progress=False)

    a, b, c = fit(3), fit(3), fit(4)
    for name, value in a.weights_.items():
        np.testing.assert_array_equal(value, b.weights_[name])
    np.testing.assert_array_equal(a.loss_history_, b.loss_history_)
    assert any(not np.array_equal(v, c.weights_[k]) for k, v in a.weights_.items())


def test_early_stopping_keeps_the_best_epoch():
    # an improvement must halve the validation loss: training stops after `patience`
    ae = DenseAutoencoder(
        2, hidden=(8,), epochs=200, patience=3, tol=0.5, validation_fraction=0.2, **FAST
    ).fit(S, progress=False)
    assert ae.stop_reason_ == "tol"
    history = ae.validation_loss_history_
    assert len(history) == ae.n_epochs_ < 200
    # the last improvement by half was followed by `patience` epochs without one
    last = max(i for i in range(len(history)) if i == 0 or history[i] < 0.5 * min(history[:i]))
    assert ae.n_epochs_ == last + 4
    assert ae.best_epoch_ == int(np.argmin(history))
    best = history[ae.best_epoch_]
    # the kept weights are those of the best epoch: their validation loss is `best`
    order = np.random.default_rng(0).permutation(100)
    val = np.sort(order[:20])
    Xv = (S[:, val] - ae.center_[:, None]) / ae.scale_
    with torch.no_grad():
        net = ae._net
        t = torch.as_tensor(Xv.T, dtype=torch.float32)
        loss = float(torch.mean((net.decoder(net.encoder(t)) - t) ** 2))
    assert loss == pytest.approx(best, rel=1e-5)
    full = DenseAutoencoder(2, hidden=(8,), epochs=5, patience=None, **FAST).fit(S, progress=False)
    assert full.stop_reason_ == "exhausted" and full.n_epochs_ == 5


def _small(cls):
    extra = {
        DenseAutoencoder: {"hidden": (12, 6)},
        SparseAutoencoder: {"hidden": 24, "bandwidth": 5, "encoder_hidden": 8},
        PODAutoencoder: {"pod_rank": 10, "hidden": (8,)},
    }[cls]
    return cls(3, epochs=3, dtype="float64", activation="tanh", **extra, **FAST).fit(
        S, progress=False
    )


@pytest.mark.parametrize("cls", [DenseAutoencoder, SparseAutoencoder, PODAutoencoder])
def test_jacobian_matches_central_differences(cls):
    ae = _small(cls)
    z = ae.transform(TEST[:, 1])
    J = ae.jacobian(z)
    assert J.shape == (200, 3) and J.dtype == np.float64
    h = 1e-5
    fd = np.column_stack(
        [
            (ae.inverse_transform(z + h * e) - ae.inverse_transform(z - h * e)) / (2 * h)
            for e in np.eye(3)
        ]
    )
    np.testing.assert_allclose(J, fd, atol=1e-8 * np.abs(J).max())
    rows = np.array([199, 3, 50, 3])
    np.testing.assert_allclose(ae.jacobian(z, rows=rows), J[rows], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cls", [DenseAutoencoder, SparseAutoencoder, PODAutoencoder])
def test_rows_equal_slicing(cls):
    ae = _small(cls)
    Z = ae.transform(TEST)
    rows = np.array([0, 17, 17, 120, 199])
    np.testing.assert_allclose(
        ae.inverse_transform(Z, rows=rows), ae.inverse_transform(Z)[rows], rtol=1e-12, atol=1e-14
    )
    np.testing.assert_allclose(
        ae.inverse_transform(Z[:, 0], rows=rows[:2]),
        ae.inverse_transform(Z[:, 0])[rows[:2]],
        rtol=1e-12,
        atol=1e-14,
    )


def test_sparse_decoder_touches_only_the_neurons_feeding_the_rows():
    ae = _small(SparseAutoencoder)
    rows = np.array([10, 11, 12])
    needed = np.unique(band_index(200, 24, 5)[rows])
    assert len(needed) < 8  # of 24 hidden neurons
    z = ae.transform(TEST[:, 0])
    before = ae.inverse_transform(z, rows=rows)
    first = ae._net.decoder[0]
    with torch.no_grad():  # poison every other neuron: the rows must not see it
        others = np.setdiff1d(np.arange(24), needed)
        first.weight[others] = float("nan")
    after = ae.inverse_transform(z, rows=rows)
    np.testing.assert_array_equal(after, before)
    assert np.isnan(ae.inverse_transform(z)).any()


def test_save_and_load_give_the_same_decoder(dense, tmp_path):
    path = tmp_path / "ae.npz"
    dense.save(path)
    back = rom.load(path)
    Z = dense.transform(TEST)
    np.testing.assert_array_equal(back.transform(TEST), Z)
    np.testing.assert_array_equal(back.inverse_transform(Z), dense.inverse_transform(Z))
    np.testing.assert_array_equal(back.jacobian(Z[:, 0]), dense.jacobian(Z[:, 0]))
    assert back.stop_reason_ == dense.stop_reason_


@pytest.mark.parametrize("damage", ["shape", "nan", "missing"])
def test_loading_checks_the_weights(dense, damage):
    settings, arrays = dense._to_arrays()
    name = next(k for k in arrays if k.startswith("weights_") and k.endswith("weight"))
    if damage == "shape":
        arrays[name] = arrays[name][:, :-1].copy()
    elif damage == "nan":
        arrays[name] = arrays[name].copy()
        arrays[name][0, 0] = np.nan
    else:
        weights = settings["fitted"]["weights_"]["$dict"]
        del weights[next(iter(weights))]
    with pytest.raises(ValueError, match=r"DenseAutoencoder: .*weight"):
        DenseAutoencoder._from_arrays(settings, arrays)


def test_loading_checks_the_scaling(dense):
    settings, arrays = dense._to_arrays()
    arrays["center_"] = arrays["center_"][:-1]
    with pytest.raises(ValueError, match="center_: expected a float array"):
        DenseAutoencoder._from_arrays(settings, arrays)


def test_diverging_training_raises():
    ae = DenseAutoencoder(2, hidden=(8,), epochs=20, learning_rate=1e30, **FAST)
    with pytest.raises(FloatingPointError, match=r"training loss became .* lower learning_rate"):
        ae.fit(S, progress=False)


def test_complex_snapshots_are_refused():
    with pytest.raises(TypeError, match="S: complex snapshots"):
        DenseAutoencoder(2, **FAST).fit(S + 1j * S)


def test_missing_torch_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match=r"pip install romba\[torch\]"):
        DenseAutoencoder(2).fit(S)


def test_auto_device_follows_torch():
    ae = DenseAutoencoder(2, hidden=(4,), epochs=1, random_state=0).fit(S, progress=False)
    assert ae._device == ("cuda" if torch.cuda.is_available() else "cpu")

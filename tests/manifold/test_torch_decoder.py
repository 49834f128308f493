"""The torch decoders in NumPy: the analytic tangent and the decoding against torch itself
(the network's own forward pass, and automatic differentiation as the reference)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the torch autoencoders need torch")

import rom  # noqa: E402
from rom.manifold._torch_base import ACTIVATIONS  # noqa: E402
from rom.manifold.torch import (  # noqa: E402
    DenseAutoencoder,
    PODAutoencoder,
    SparseAutoencoder,
)

X = np.linspace(0.0, 1.0, 120)
S = np.exp(-(((X[:, None] - np.linspace(0.2, 0.8, 40)[None]) / 0.1) ** 2))
ROWS = np.array([119, 3, 50, 51, 3, 0])
SIZES = {
    DenseAutoencoder: {"hidden": (10, 7)},
    SparseAutoencoder: {"hidden": 30, "bandwidth": 4, "encoder_hidden": 6},
    PODAutoencoder: {"pod_rank": 9, "pod_tol": None, "hidden": (8, 6)},
}


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _fit(cls, activation, dtype):
    return cls(
        3, epochs=2, activation=activation, dtype=dtype, device="cpu", random_state=1, **SIZES[cls]
    ).fit(S, progress=False)


def _autograd(ae, z, rows):
    """The tangent by forward-mode automatic differentiation of the torch decoder."""
    decode = ae._state_decoder(torch, rows)
    J = torch.func.jacfwd(lambda v: decode(v[None])[0])(ae._tensor(torch, z))
    return J.detach().numpy().astype(float)


def _points(ae):
    """Latent points inside the data and far out (saturated or linear activations)."""
    z = ae.transform(S[:, 17])
    return [z, 40.0 * z + np.array([5.0, -30.0, 12.0])]


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("cls", [DenseAutoencoder, SparseAutoencoder, PODAutoencoder])
def test_tangent_matches_automatic_differentiation_float64(cls, activation):
    ae = _fit(cls, activation, "float64")
    for z in _points(ae):
        for rows in (None, ROWS):
            reference = _autograd(ae, z, rows)
            J = ae.jacobian(z, rows=rows)
            assert J.shape == ((120 if rows is None else ROWS.size), 3)
            assert J.dtype == np.float64
            scale = np.abs(reference).max()
            assert scale > 0
            np.testing.assert_allclose(J, reference, rtol=0, atol=1e-12 * scale)
            decoded = ae.inverse_transform(z, rows=rows)
            with torch.no_grad():
                expected = ae._state_decoder(torch, rows)(ae._tensor(torch, z[None]))[0]
            expected = expected.numpy()
            np.testing.assert_allclose(
                decoded, expected, rtol=0, atol=1e-12 * np.abs(expected).max()
            )


@pytest.mark.parametrize("activation", ["elu", "softplus"])
@pytest.mark.parametrize("cls", [DenseAutoencoder, SparseAutoencoder, PODAutoencoder])
def test_tangent_of_a_float32_network(cls, activation):
    # evaluated in float64 from the float32 weights: float32 round-off apart
    ae = _fit(cls, activation, "float32")
    z = _points(ae)[0]
    for rows in (None, ROWS):
        reference = _autograd(ae, z, rows)
        J = ae.jacobian(z, rows=rows)
        np.testing.assert_allclose(J, reference, rtol=0, atol=1e-5 * np.abs(reference).max())


@pytest.mark.parametrize("cls", [DenseAutoencoder, SparseAutoencoder, PODAutoencoder])
def test_batches_decode_like_single_columns_and_like_the_network(cls):
    ae = _fit(cls, "tanh", "float64")
    Z = ae.transform(S[:, ::3])
    batch = ae.inverse_transform(Z)
    columns = np.column_stack([ae.inverse_transform(z) for z in Z.T])
    np.testing.assert_allclose(batch, columns, rtol=1e-13, atol=1e-14)
    with torch.no_grad():
        expected = ae._state_decoder(torch, None)(ae._tensor(torch, Z.T)).numpy().T
    np.testing.assert_allclose(batch, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ae.inverse_transform(Z, rows=ROWS), batch[ROWS], atol=1e-14)


def test_a_change_of_the_weights_is_seen():
    ae = _fit(DenseAutoencoder, "elu", "float64")
    z = ae.transform(S[:, 5])
    before, J_before = ae.inverse_transform(z), ae.jacobian(z, rows=ROWS)
    with torch.no_grad():  # in place, as an optimiser step does
        ae._net.decoder[0].weight *= 2.0
    after = ae.inverse_transform(z)
    with torch.no_grad():
        expected = ae._state_decoder(torch, None)(ae._tensor(torch, z[None]))[0].numpy()
    np.testing.assert_allclose(after, expected, rtol=0, atol=1e-12)
    assert np.abs(after - before).max() > 1e-3
    J = ae.jacobian(z, rows=ROWS)
    np.testing.assert_allclose(J, _autograd(ae, z, ROWS), rtol=0, atol=1e-12)
    assert np.abs(J - J_before).max() > 1e-3


def test_a_loaded_decoder_has_the_same_tangent(tmp_path):
    ae = _fit(SparseAutoencoder, "silu", "float32")
    z = _points(ae)[0]
    J = ae.jacobian(z, rows=ROWS)  # fills the cache of the original
    ae.save(tmp_path / "ae.npz")
    back = rom.load(tmp_path / "ae.npz")
    np.testing.assert_array_equal(back.jacobian(z, rows=ROWS), J)
    np.testing.assert_array_equal(back.inverse_transform(z), ae.inverse_transform(z))


def test_alternating_points_and_returned_arrays_are_independent():
    # the forward pass at the last point is kept for the tangent: it must not leak
    ae = _fit(PODAutoencoder, "elu", "float64")
    z1, z2 = _points(ae)
    J1 = ae.jacobian(z1, rows=ROWS)
    u2 = ae.inverse_transform(z2, rows=ROWS)
    np.testing.assert_allclose(ae.jacobian(z1, rows=ROWS), J1, rtol=0, atol=0)
    np.testing.assert_allclose(ae.jacobian(z2, rows=ROWS), _autograd(ae, z2, ROWS), atol=1e-12)
    u2[:] = np.nan  # the caller's copy
    J1[:] = np.nan
    assert np.all(np.isfinite(ae.inverse_transform(z2, rows=ROWS)))
    assert np.all(np.isfinite(ae.jacobian(z1, rows=ROWS)))


def test_pod_autoencoder_is_reproducible():
    # more than 200 snapshots: the POD is randomised, and its seed is the estimator's,
    # so the basis and the weights repeat bit for bit
    x = np.linspace(0.0, 1.0, 300)[:, None]
    snapshots = np.exp(-(((x - np.linspace(0.2, 0.8, 210)[None]) / 0.1) ** 2))
    a, b = (
        PODAutoencoder(
            2, pod_rank=10, pod_tol=None, hidden=(6,), epochs=2, device="cpu", random_state=4
        ).fit(snapshots, progress=False)
        for _ in range(2)
    )
    np.testing.assert_array_equal(a.basis_, b.basis_)
    for name, value in a.weights_.items():
        np.testing.assert_array_equal(value, b.weights_[name])


def test_sparse_decoder_with_a_sparse_output_matrix():
    # 3000 entries x 30 neurons: the output layer on every row is a SciPy CSR matrix
    x = np.linspace(0.0, 1.0, 3000)[:, None]
    snapshots = np.exp(-(((x - np.linspace(0.2, 0.8, 12)[None]) / 0.1) ** 2))
    ae = SparseAutoencoder(
        2, hidden=30, bandwidth=4, encoder_hidden=4, epochs=2, dtype="float64", device="cpu"
    ).fit(snapshots, progress=False)
    assert not isinstance(ae._chain(None).layers[-1][0], np.ndarray)
    Z = ae.transform(snapshots[:, :5])
    with torch.no_grad():
        expected = ae._state_decoder(torch, None)(ae._tensor(torch, Z.T)).numpy().T
    np.testing.assert_allclose(ae.inverse_transform(Z), expected, rtol=0, atol=1e-13)
    np.testing.assert_allclose(ae.inverse_transform(Z[:, 1]), expected[:, 1], rtol=0, atol=1e-13)
    reference = _autograd(ae, Z[:, 1], None)
    np.testing.assert_allclose(
        ae.jacobian(Z[:, 1]), reference, rtol=0, atol=1e-12 * np.abs(reference).max()
    )

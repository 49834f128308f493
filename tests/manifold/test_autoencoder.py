"""Autoencoder: the NumPy-protocol wrapper of an encoder / decoder pair."""

import numpy as np
import pytest

import rom
from rom.linalg import POD
from rom.manifold import Autoencoder

X = np.linspace(0.0, 1.0, 120)
MU = X[20:100:2]  # centres on grid points, so that the peak is exact
S = np.exp(-(((X[:, None] - MU[None]) / 0.1) ** 2))


def pulse(Z):
    """A pulse of amplitude ``z_1`` centred at ``z_0``: a 2-D manifold."""
    return Z[1] * np.exp(-(((X[:, None] - Z[0]) / 0.1) ** 2))


def pulse_jacobian(z):
    g = np.exp(-(((X - z[0]) / 0.1) ** 2))
    return np.column_stack([z[1] * g * 2 * (X - z[0]) / 0.01, g])


def locate(S):
    """The exact encoder of the pulse family: position and amplitude of the peak."""
    i = np.argmax(S, axis=0)
    return np.vstack([X[i], S[i, np.arange(S.shape[1])]])


@pytest.mark.parametrize("rank", [1, 3, 6])
def test_linear_pair_is_the_pod(rank):
    """Encoder U^T and decoder U: the projection errors of the POD, to round-off."""
    pod = POD(rank=rank).fit(S)
    U = pod.basis_
    ae = Autoencoder(lambda A: U.T @ A, lambda Z: U @ Z, rank=rank).fit(S)
    assert ae.rank_ == rank and ae.n_dofs_ == 120
    test = np.exp(-(((X[:, None] - np.array([0.33, 0.61])) / 0.1) ** 2))
    np.testing.assert_allclose(ae.projection_error(test), pod.projection_error(test), atol=1e-13)
    np.testing.assert_allclose(
        ae.projection_error(test, relative=False),
        pod.projection_error(test, relative=False),
        atol=1e-13,
    )
    np.testing.assert_allclose(ae.transform(test), pod.transform(test), atol=1e-13)
    # the tangent of a linear decoder is the basis (central differences are exact)
    np.testing.assert_allclose(ae.jacobian(np.ones(rank)), U, atol=1e-9)
    rows = np.array([5, 0, 77, 5])
    Z = ae.transform(test)
    np.testing.assert_array_equal(ae.inverse_transform(Z, rows=rows), (U @ Z)[rows])
    np.testing.assert_array_equal(ae.inverse_transform(Z[:, 0]), U @ Z[:, 0])


def test_exact_nonlinear_pair_has_no_error_where_pod_needs_many_modes():
    ae = Autoencoder(locate, pulse).fit(S)
    assert ae.rank_ == 2
    assert ae.projection_error(S).max() < 1e-12
    assert POD(rank=2).fit(S).projection_error(S).max() > 0.5


def test_finite_difference_jacobian_matches_the_derivative():
    ae = Autoencoder(locate, pulse).fit(S)
    z = np.array([0.43, 1.7])
    J = ae.jacobian(z)
    exact = pulse_jacobian(z)
    assert J.shape == (120, 2)
    np.testing.assert_allclose(J, exact, atol=1e-7 * np.abs(exact).max())
    np.testing.assert_array_equal(ae.jacobian(z, rows=[3, 40]), J[[3, 40]])


class Decoder:
    """A decoder object with ``predict`` and its own ``jacobian``."""

    def __init__(self, bad=False):
        self.bad = bad
        self.jacobian_calls = 0

    def predict(self, Z):
        return pulse(Z)

    def jacobian(self, z):
        self.jacobian_calls += 1
        return pulse_jacobian(z)[:5] if self.bad else pulse_jacobian(z)


def test_predict_objects_and_a_given_jacobian():
    decoder = Decoder()
    ae = Autoencoder(locate, decoder).fit(S)
    z = np.array([0.5, 1.0])
    np.testing.assert_array_equal(ae.jacobian(z), pulse_jacobian(z))
    assert decoder.jacobian_calls == 1
    with pytest.raises(ValueError, match="decoder: jacobian returned shape"):
        Autoencoder(locate, Decoder(bad=True)).fit(S).jacobian(z)


def test_fit_checks_the_pair_on_the_data():
    with pytest.raises(ValueError, match="encoder: returned non-finite"):
        Autoencoder(lambda A: np.full((2, A.shape[1]), np.nan), pulse).fit(S)
    with pytest.raises(ValueError, match=r"encoder: expected an output of shape"):
        Autoencoder(lambda A: A[0], pulse).fit(S)
    with pytest.raises(ValueError, match=r"decoder: expected an output of shape \(120, 40\)"):
        Autoencoder(locate, lambda Z: Z).fit(S)
    with pytest.raises(TypeError, match="decoder: expected a callable"):
        Autoencoder(locate, "pulse").fit(S)
    with pytest.raises(rom.NotFittedError):
        Autoencoder(locate, pulse).transform(S)


def test_save_and_load_take_the_parts_back_by_name(tmp_path):
    ae = Autoencoder(locate, pulse, rank=2).fit(S)
    path = tmp_path / "ae.npz"
    rom.save(ae, path)
    assert set(rom.io.read_header(path)["parts"]) == {"encoder", "decoder"}
    back = rom.load(path, encoder=locate, decoder=pulse)
    assert back.rank_ == 2 and back.n_dofs_ == 120
    np.testing.assert_array_equal(back.projection_error(S), ae.projection_error(S))
    with pytest.raises(ValueError, match=r"give them to rom.load by name"):
        rom.load(path)

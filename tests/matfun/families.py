"""Parametrised matrices shared by the tests of rom.matfun."""

import numpy as np
from scipy.spatial.distance import cdist

import rom
from rom.affine import AffineOperator, LinearCoefficients


def training(space, n):
    """Sobol points plus the corners: the interpolation must not extrapolate."""
    return np.vstack([space.grid(2), space.sample(n, method="sobol", random_state=0)])


def random_spd_family(n=40, seed=0):
    """A(mu) = A0 + mu0 A1 + mu1 A2 with dense random SPD terms."""
    rng = np.random.default_rng(seed)
    terms = []
    for _ in range(3):
        G = rng.standard_normal((n, n))
        terms.append(G @ G.T / n + 0.5 * np.eye(n))
    theta = LinearCoefficients([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]], offset=[1.0, 0.0, 0.0])
    return AffineOperator(terms, theta)


def gp_covariance(n=150, seed=0):
    """Matern-3/2 covariance on random points of the unit square, length scale and nugget."""
    x = np.random.default_rng(seed).uniform(size=(n, 2))
    distances = cdist(x, x)

    def covariance(mu):
        length, nugget = mu
        r = np.sqrt(3.0) * distances / length
        return (1.0 + r) * np.exp(-r) + nugget**2 * np.eye(n)

    return covariance


def load_with(path, **known):
    """``rom.load`` with the parts the file names, each taken from ``known``.

    The tests give every part they may need (``parameter_space_`` is one while
    :class:`rom.ParameterSpace` cannot be nested in a file); a part the file names
    that is not in ``known`` fails the test.
    """
    needed = rom.io.read_header(path)["parts"]
    unexpected = sorted(set(needed) - set(known))
    assert not unexpected, f"the file names unexpected parts {unexpected}"
    return rom.load(path, **{name: known[name] for name in needed})

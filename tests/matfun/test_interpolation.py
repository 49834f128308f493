"""The interpolation engine: variables, graded elimination, the nested value object."""

import numpy as np
import pytest

import rom
from rom.affine import LinearCoefficients
from rom.matfun._interpolation import (
    InterpolationVariables,
    _chebyshev_features,
    _GradedInterpolation,
)


def test_variables_use_the_homogeneity_of_positive_coefficients():
    theta = LinearCoefficients(np.eye(3))
    mus = np.random.default_rng(0).uniform(0.1, 1.0, size=(50, 3))
    v = InterpolationVariables("theta", theta, "auto").fit(mus)
    assert v.homogeneous_ and v.dim == 2  # log(theta / s), the last one dropped
    x, log_s = v.transform(mus)
    assert np.all(np.abs(x) <= 1.0 + 1e-12)
    assert np.allclose(log_s, np.log(mus).mean(axis=1))
    linear = InterpolationVariables("theta", theta, "linear").fit(mus)
    assert not linear.homogeneous_ and linear.dim == 3 and not linear.logs_.any()
    with pytest.raises(ValueError, match="variables"):
        InterpolationVariables("theta", theta, "cubic").fit(mus)
    with pytest.raises(rom.NotFittedError):
        InterpolationVariables("mu").transform(mus)


def test_variables_save_and_load_with_their_coefficients(tmp_path):
    theta = LinearCoefficients([[1.0, 0.0], [0.0, 2.0]], offset=[0.5, 0.0])
    mus = np.random.default_rng(1).uniform(0.1, 1.0, size=(40, 2))
    v = InterpolationVariables("theta", theta, "log").fit(mus)
    rom.save(v, tmp_path / "v.npz")
    back = rom.load(tmp_path / "v.npz")
    assert np.array_equal(back(mus), v(mus))
    assert rom.io.read_header(tmp_path / "v.npz")["class"] == "InterpolationVariables"


def test_graded_elimination_is_nested_and_bounded():
    x = np.linspace(-1.0, 1.0, 60)[:, None]
    engine = _GradedInterpolation(x)
    for degree in range(6):
        engine.add_degree(degree, 100)
    L, U = engine.factors()
    assert engine.size == 6
    assert np.allclose(np.diag(L), 1.0) and np.all(np.abs(L) <= 1.0 + 1e-12)
    V = _chebyshev_features(x[engine.rows], engine.indices)
    assert np.allclose(L @ U, V)

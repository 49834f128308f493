import numpy as np
import pytest
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF

import rom
from rom import POD, NotFittedError, ParameterSpace
from rom.nonintrusive import RBFRegressor, Surrogate

SPACE = ParameterSpace({"a": (0.5, 2.0), "c": (0.2, 0.8)})
X = np.linspace(0, 1, 200)


def fields(mus):
    mus = np.atleast_2d(mus)
    return np.exp(-mus[:, 0][None, :] * (X[:, None] - mus[:, 1][None, :]) ** 2 * 10)


@pytest.fixture(scope="module")
def data():
    mus = SPACE.sample(8, "grid")
    return mus, fields(mus)


def test_prediction_error_decreases_with_more_snapshots(data):
    test = SPACE.sample(30, seed=3)
    truth = fields(test)
    errors = []
    for n in (4, 8, 12):
        mus = SPACE.sample(n, "grid")
        model = Surrogate(space=SPACE).fit(mus, fields(mus))
        errors.append(np.linalg.norm(model.predict(test) - truth) / np.linalg.norm(truth))
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 1e-2


def test_interpolates_the_training_snapshots(data):
    mus, S = data
    model = Surrogate(reduction=POD(tol=1e-10), space=SPACE).fit(mus, S)
    assert np.abs(model.predict(mus) - S).max() < 1e-8


def test_sklearn_regressor_and_cross_validation(data):
    mus, S = data
    gp = GaussianProcessRegressor(RBF(length_scale=0.3), alpha=1e-10, optimizer=None)
    model = Surrogate(regressor=gp).fit(mus, S)  # scaled by the training range
    test = SPACE.sample(10, seed=1)
    rel = np.linalg.norm(model.predict(test) - fields(test)) / np.linalg.norm(fields(test))
    assert rel < 0.05
    folds = Surrogate(space=SPACE).cross_validate(mus, S, k=4)
    assert folds.shape == (4,) and np.all(folds < 0.1)


def test_log_scaled_space_round_trip():
    space = ParameterSpace({"k": (0.01, 100.0)}, log=["k"])
    u = space.to_unit([[0.01], [1.0], [100.0]])
    assert np.allclose(u.ravel(), [0.0, 0.5, 1.0])
    assert np.allclose(space.from_unit(u), [[0.01], [1.0], [100.0]])


def test_bad_input(data):
    mus, S = data
    with pytest.raises(ValueError, match="snapshots: expected 64 columns"):
        Surrogate().fit(mus, S[:, :10])
    with pytest.raises(ValueError, match="outside its bounds"):
        Surrogate(space=SPACE).fit(mus, S).predict([[5.0, 0.5]])
    with pytest.raises(NotFittedError, match="not fitted"):
        Surrogate().predict([[1.0, 0.5]])
    with pytest.raises(ValueError, match="k"):
        Surrogate().cross_validate(mus, S, k=1)
    with pytest.raises(NotFittedError, match="not fitted"):
        RBFRegressor().predict(np.ones((2, 1)))


def test_save_load_round_trip(data, tmp_path):

    mus, S = data
    model = Surrogate(space=SPACE).fit(mus, S)
    model.save(tmp_path / "surrogate.npz")
    again = rom.load(tmp_path / "surrogate.npz")
    test = SPACE.sample(5, seed=2)
    assert np.allclose(again.predict(test), model.predict(test), rtol=0, atol=1e-12)
    gp = Surrogate(regressor=GaussianProcessRegressor(optimizer=None)).fit(mus, S)
    with pytest.raises(TypeError, match="only surrogates with a POD reduction"):
        gp.save(tmp_path / "gp.npz")
    assert not (tmp_path / "gp.npz").exists()

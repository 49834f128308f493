import numpy as np
import pytest
import scipy.sparse
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
    mus = SPACE.grid(8)
    return mus, fields(mus)


def test_prediction_error_decreases_with_more_snapshots(data):
    test = SPACE.sample(30, random_state=3)
    truth = fields(test)
    errors = []
    for n in (4, 8, 12):
        mus = SPACE.grid(n)
        model = Surrogate(parameter_space=SPACE).fit(mus, fields(mus))
        errors.append(np.linalg.norm(model.predict(test) - truth) / np.linalg.norm(truth))
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 1e-2


def test_interpolates_the_training_snapshots(data):
    mus, S = data
    model = Surrogate(reduction=POD(tol=1e-10), parameter_space=SPACE).fit(mus, S)
    assert np.abs(model.predict(mus) - S).max() < 1e-8


def test_sklearn_regressor_and_cross_validation(data):
    mus, S = data
    gp = GaussianProcessRegressor(RBF(length_scale=0.3), alpha=1e-10, optimizer=None)
    model = Surrogate(regressor=gp).fit(mus, S)  # scaled by the training range
    test = SPACE.sample(10, random_state=1)
    rel = np.linalg.norm(model.predict(test) - fields(test)) / np.linalg.norm(fields(test))
    assert rel < 0.05
    folds = Surrogate(parameter_space=SPACE).cross_validate(mus, S, k=4, random_state=0)
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
    with pytest.raises(ValueError, match=r"parameters: parameter .a. = 5\.0 is outside"):
        Surrogate(parameter_space=SPACE).fit(mus, S).predict([[5.0, 0.5]])
    with pytest.raises(ValueError, match="parameters: expected parameter sets of 2 values"):
        Surrogate().fit(mus, S).predict([[1.0, 0.5, 3.0]])
    with pytest.raises(NotFittedError, match="not fitted"):
        Surrogate().predict([[1.0, 0.5]])
    with pytest.raises(ValueError, match="k"):
        Surrogate().cross_validate(mus, S, k=1)
    with pytest.raises(ValueError, match="k: expected at most 64 folds"):
        Surrogate().cross_validate(mus, S, k=65)
    with pytest.raises(NotFittedError, match="not fitted"):
        RBFRegressor().predict(np.ones((2, 1)))
    with pytest.raises(TypeError, match=r"parameter_space: expected a rom\.ParameterSpace"):
        Surrogate(parameter_space={"a": (0, 1)}).fit(mus, S)
    with pytest.raises(TypeError, match="regressor: expected a regressor with methods fit"):
        Surrogate(regressor=object()).fit(mus, S)
    with pytest.raises(TypeError, match="reduction: expected an object with fit, transform"):
        Surrogate(reduction=object()).fit(mus, S)
    with pytest.raises(ValueError, match="kernel: expected one of"):
        RBFRegressor(kernel="nope").fit(np.eye(3), np.ones(3))


def test_one_parameter_set_is_a_row():
    # the one rule: a 1-D array is one parameter set, k values of one parameter are (k, 1)
    space = ParameterSpace({"a": (1.0, 2.0)})
    mus = space.grid(6)
    S = np.exp(-mus[:, 0][None, :] * X[:, None])
    model = Surrogate(parameter_space=space).fit(mus, S)
    np.testing.assert_allclose(model.predict([1.5]), model.predict([[1.5]]), rtol=0, atol=0)
    assert model.predict(mus).shape == (X.size, 6)
    with pytest.raises(ValueError, match="snapshots: expected 1 columns"):
        Surrogate().fit(mus[:, 0], S)


def test_complex_snapshots():
    space = ParameterSpace({"k": (1.0, 3.0)})
    mus = space.grid(15)
    S = np.exp(1j * mus[:, 0][None, :] * X[:, None])
    model = Surrogate(reduction=POD(tol=1e-10), parameter_space=space).fit(mus, S)
    test = np.array([[1.3], [2.7]])
    truth = np.exp(1j * test[:, 0][None, :] * X[:, None])
    predicted = model.predict(test)
    assert np.iscomplexobj(predicted)
    assert np.linalg.norm(predicted - truth) < 1e-3 * np.linalg.norm(truth)


def test_save_load_round_trip(data, tmp_path):
    mus, S = data
    model = Surrogate(parameter_space=SPACE).fit(mus, S)
    model.save(tmp_path / "surrogate.npz")
    header = rom.io.read_header(tmp_path / "surrogate.npz")
    assert header["parts"] == {}  # the RBF regressor is stored as its training data
    again = rom.load(tmp_path / "surrogate.npz")
    assert isinstance(again.regressor_.estimator, RBFRegressor)
    assert again.parameter_space == SPACE
    test = SPACE.sample(5, random_state=2)
    assert np.allclose(again.predict(test), model.predict(test), rtol=0, atol=1e-12)


def test_nested_romba_parameters_are_stored_unfitted(data, tmp_path):
    mus, S = data
    model = Surrogate(POD(tol=1e-8), RBFRegressor(kernel="cubic"), SPACE).fit(mus, S)
    model.save(tmp_path / "s.npz")
    again = rom.load(tmp_path / "s.npz")
    assert repr(again) == repr(model)
    assert isinstance(again.reduction, POD) and not hasattr(again.reduction, "basis_")
    assert again.regressor.kernel == "cubic" and not hasattr(again.regressor, "X_")
    np.testing.assert_allclose(again.predict(mus), model.predict(mus), rtol=0, atol=1e-12)


def test_a_scikit_learn_regressor_is_a_named_part(data, tmp_path):
    mus, S = data
    gp = GaussianProcessRegressor(RBF(length_scale=0.3), alpha=1e-10, optimizer=None)
    model = Surrogate(regressor=gp, parameter_space=SPACE).fit(mus, S)
    path = tmp_path / "gp.npz"
    model.save(path)
    assert list(rom.io.read_header(path)["parts"]) == ["regressor"]  # nothing else
    with pytest.raises(ValueError, match=r"give them to rom\.load by name \(regressor=\.\.\.\)"):
        rom.load(path)
    with pytest.raises(ValueError, match="GaussianProcessRegressor"):
        rom.load(path)
    again = rom.load(path, regressor=model.regressor_.estimator)
    assert again.regressor is model.regressor_.estimator
    assert again.regressor_.estimator is model.regressor_.estimator
    test = SPACE.sample(5, random_state=2)
    np.testing.assert_allclose(again.predict(test), model.predict(test), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(again.reduction_.basis_, model.reduction_.basis_)


def test_inner_product_of_the_default_reduction_and_of_the_errors():
    """With a weighted inner product, the POD and the fold errors use it."""
    rng = np.random.default_rng(3)
    x = np.linspace(0, 1, 80)
    mus = rng.uniform(1.0, 2.0, (20, 1))
    S = np.exp(-mus[:, 0][None, :] * x[:, None])
    w = np.linspace(1.0, 3.0, 80)
    M = scipy.sparse.diags(w)
    model = Surrogate(inner=M).fit(mus, S)
    B = model.reduction_.basis_
    np.testing.assert_allclose(B.T @ (w[:, None] * B), np.eye(B.shape[1]), atol=1e-12)
    errors = model.cross_validate(mus, S, k=4, random_state=1)
    # the same folds measured by hand in the weighted norm
    order = np.random.default_rng(1).permutation(20)
    for e, test in zip(errors, np.array_split(order, 4), strict=True):
        train = np.setdiff1d(order, test)
        d = Surrogate(inner=M).fit(mus[train], S[:, train]).predict(mus[test]) - S[:, test]
        ref = np.sqrt(np.sum(w[:, None] * d**2) / np.sum(w[:, None] * S[:, test] ** 2))
        assert abs(e - ref) <= 1e-12 * ref
    with pytest.raises(ValueError, match=r"inner: expected shape \(80, 80\)"):
        Surrogate(inner=np.eye(3)).fit(mus, S)

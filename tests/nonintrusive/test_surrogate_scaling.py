"""Surrogate: normalised inputs and outputs, leave-one-out errors, POD-NN."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.kernel_ridge import KernelRidge
from sklearn.neural_network import MLPRegressor

import rom
from rom import POD, ParameterSpace
from rom.closures import as_regressor
from rom.nonintrusive import RBFRegressor, Surrogate
from tests.nonintrusive.test_surrogate import SPACE, X, fields


@pytest.fixture(scope="module")
def data():
    mus = SPACE.sample(32, "sobol", random_state=0)
    return mus, fields(mus)


def _relative(model, mus):
    truth = fields(mus)
    return np.linalg.norm(model.predict(mus) - truth) / np.linalg.norm(truth)


def test_gaussian_process_needs_the_normalisation(data):
    """scikit-learn's default GP: its length scale collapses on raw data (predictions 0,
    100 % error); on normalised data it is as accurate as the RBF interpolation."""
    mus, S = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        raw = Surrogate(
            regressor=GaussianProcessRegressor(), parameter_space=SPACE, normalize=False
        )
        scaled = Surrogate(regressor=GaussianProcessRegressor(), parameter_space=SPACE)
        before = raw.cross_validate(mus, S, k=4, random_state=0)
        after = scaled.cross_validate(mus, S, k=4, random_state=0)
    assert before.min() > 0.95  # the defect: every fold ~100 %
    assert after.max() < 0.05  # measured 0.009 to 0.016
    rbf = Surrogate(parameter_space=SPACE).cross_validate(mus, S, k=4, random_state=0)
    assert after.mean() < rbf.mean()  # measured 0.013 against 0.061


def test_normalisation_leaves_rbf_interpolation_unchanged(data):
    """RBF with a polynomial: invariant under the affine scaling of the outputs, and under
    shifting and scaling the inputs alike in every direction (scale-free kernels)."""
    mus, S = data
    test = SPACE.sample(20, random_state=4)
    pod = POD(tol=1e-6).fit(S)
    scale = np.abs(S).max()
    for kernel, degree in (("thin_plate_spline", 1), ("cubic", 1), ("quintic", 2), ("linear", 0)):
        model = Surrogate(regressor=RBFRegressor(kernel, degree=degree), parameter_space=SPACE)
        model.fit(mus, S)
        assert model.y_scale_ != 1.0 and np.abs(model.y_mean_).max() > 1.0
        # the surrogate of before: unit-box inputs, raw coordinates
        before = RBFRegressor(kernel, degree=degree).fit(SPACE.to_unit(mus), pod.transform(S).T)
        reference = pod.inverse_transform(before.predict(SPACE.to_unit(test)).T)
        # round-off of the interpolation system only (the surrogate's error is ~1e-2)
        diff = np.abs(model.predict(test) - reference).max()
        assert diff < 1e-8 * scale, kernel


def test_normalisation_is_saved(data, tmp_path):
    mus, S = data
    model = Surrogate(parameter_space=SPACE).fit(mus, S)
    model.save(tmp_path / "s.npz")
    again = rom.load(tmp_path / "s.npz")
    assert again.normalize is True and again.y_scale_ == model.y_scale_
    np.testing.assert_array_equal(again.y_mean_, model.y_mean_)
    test = SPACE.sample(5, random_state=2)
    np.testing.assert_allclose(again.predict(test), model.predict(test), rtol=0, atol=1e-12)
    off = Surrogate(parameter_space=SPACE, normalize=False).fit(mus, S)
    off.save(tmp_path / "off.npz")
    loaded = rom.load(tmp_path / "off.npz")
    assert loaded.normalize is False and loaded.y_scale_ == 1.0
    assert not loaded.y_mean_.any()


def test_normalisation_rules_and_bad_input(data):
    mus, S = data
    model = Surrogate(parameter_space=SPACE).fit(mus, S)
    Y = (model.coordinates_ - model.y_mean_) / model.y_scale_
    np.testing.assert_allclose(Y.mean(axis=0), 0, atol=1e-12)
    assert np.mean(np.sum(Y**2, axis=1)) == pytest.approx(1.0)  # one scale for all outputs
    X_seen = model.regressor_.estimator.X_
    np.testing.assert_allclose(X_seen, (SPACE.to_unit(mus) - 0.5) * np.sqrt(12), atol=1e-14)
    no_space = Surrogate().fit(mus, S)  # the training range is the box
    assert no_space.regressor_.estimator.X_.min(axis=0) == pytest.approx(-np.sqrt(3))
    with pytest.raises(TypeError, match="normalize: expected True or False"):
        Surrogate(normalize="yes").fit(mus, S)
    with pytest.raises(TypeError, match="relative: expected True or False"):
        model.loo_error(relative="no")


@pytest.mark.parametrize(
    "kernel, degree, smoothing",
    [
        ("thin_plate_spline", 1, 0.0),
        ("cubic", 2, 0.0),
        ("quintic", 2, 0.0),
        ("linear", 0, 0.0),
        ("thin_plate_spline", 1, 1e-3),
    ],
)
def test_rippa_formula_matches_refitting(kernel, degree, smoothing):
    rng = np.random.default_rng(1)
    Xr = rng.random((15, 2))
    Y = np.c_[np.sin(3 * Xr[:, 0]) * Xr[:, 1], np.exp(Xr[:, 0] - Xr[:, 1])]
    reg = RBFRegressor(kernel, smoothing=smoothing, degree=degree).fit(Xr, Y)
    closed = reg.loo_residuals()
    brute = np.array(
        [
            Y[i]
            - RBFRegressor(kernel, smoothing, degree)
            .fit(np.delete(Xr, i, 0), np.delete(Y, i, 0))
            .predict(Xr[i : i + 1])[0]
            for i in range(len(Xr))
        ]
    )
    assert np.abs(brute).max() > 1e-3  # not trivially zero
    np.testing.assert_allclose(closed, brute, rtol=1e-6, atol=1e-10)


def test_loo_error_against_brute_force(data):
    mus, S = data
    inner = np.diag(np.linspace(1.0, 2.0, X.size))
    model = Surrogate(parameter_space=SPACE, inner=inner).fit(mus, S)
    errors = model.loo_error()
    basis, coords = model.reduction_.basis_, model.coordinates_
    Xs = (SPACE.to_unit(mus) - 0.5) * np.sqrt(12)
    expected = []
    for i in range(len(mus)):
        keep = np.arange(len(mus)) != i
        fit = RBFRegressor().fit(Xs[keep], coords[keep])
        d = basis @ (coords[i] - fit.predict(Xs[i : i + 1])[0])
        expected.append(np.sqrt(d @ inner @ d))
    np.testing.assert_allclose(errors, expected, rtol=1e-6)
    rel = model.loo_error(relative=True)
    norms = np.sqrt(np.einsum("ij,ik,kj->j", S, inner, S))
    np.testing.assert_allclose(rel, errors / norms, rtol=1e-5)
    # a regressor without a closed form is refitted: the same numbers for the same fit
    ridge = KernelRidge(alpha=1e-6, kernel="rbf", gamma=0.5)
    other = Surrogate(regressor=ridge, parameter_space=SPACE).fit(mus, S)
    basis = other.reduction_.basis_
    Y = (other.coordinates_ - other.y_mean_) / other.y_scale_
    i = 5
    keep = np.arange(len(mus)) != i
    pred = as_regressor(KernelRidge(alpha=1e-6, kernel="rbf", gamma=0.5)).fit(Xs[keep], Y[keep])
    d = basis @ ((Y[i] - pred.predict(Xs[i : i + 1])[0]) * other.y_scale_)
    assert other.loo_error()[i] == pytest.approx(np.linalg.norm(d), rel=1e-8)


def test_loo_error_of_complex_snapshots():
    space = ParameterSpace({"k": (1.0, 3.0)})
    mus = space.grid(9)
    S = np.exp(1j * mus[:, 0][None, :] * X[:, None])
    model = Surrogate(reduction=POD(tol=1e-10), parameter_space=space).fit(mus, S)
    errors = model.loo_error()
    for i in (0, 4):
        keep = np.arange(9) != i
        sub = RBFRegressor().fit
        Xs = (space.to_unit(mus) - 0.5) * np.sqrt(12)
        C = model.coordinates_
        Yr = np.c_[C.real, C.imag]
        pred = sub(Xs[keep], Yr[keep]).predict(Xs[i : i + 1])[0]
        k = C.shape[1]
        d = model.reduction_.basis_ @ (C[i] - (pred[:k] + 1j * pred[k:]))
        assert errors[i] == pytest.approx(np.linalg.norm(d), rel=1e-6)


def test_pod_nn_with_an_mlp():
    """POD-NN (Hesthaven and Ubbiali): an MLP on the normalised POD coordinates."""
    space = ParameterSpace({"a": (0.5, 2.0)})
    mus = space.grid(24)
    S = np.exp(-mus[:, 0][None, :] * X[:, None]) * np.cos(3 * X[:, None])
    test = space.sample(40, random_state=3)
    truth = np.exp(-test[:, 0][None, :] * X[:, None]) * np.cos(3 * X[:, None])
    mlp = MLPRegressor(
        hidden_layer_sizes=(20,),
        activation="tanh",
        solver="lbfgs",
        max_iter=2000,
        tol=1e-12,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = Surrogate(reduction=POD(rank=4), regressor=mlp, parameter_space=space)
        model.fit(mus, S)
    err = np.linalg.norm(model.predict(test) - truth) / np.linalg.norm(truth)
    assert err < 5e-3  # measured 7e-4


@pytest.mark.slow  # importing torch takes seconds
def test_pod_nn_with_the_torch_adapter():
    pytest.importorskip("torch", reason="the torch adapter needs torch")
    from rom.closures import TorchRegressor

    space = ParameterSpace({"a": (0.5, 2.0)})
    mus = space.grid(16)
    S = np.exp(-mus[:, 0][None, :] * X[:, None])
    test = space.sample(20, random_state=3)
    truth = np.exp(-test[:, 0][None, :] * X[:, None])
    net = TorchRegressor(epochs=150, lr=1e-2)
    model = Surrogate(reduction=POD(rank=3), regressor=net, parameter_space=space).fit(mus, S)
    err = np.linalg.norm(model.predict(test) - truth) / np.linalg.norm(truth)
    assert err < 1e-2  # measured 9e-4


def test_fold_errors_against_refitting(data):
    """folds=k: each sample's error when its fold is left out (k refits)."""
    mus, S = data
    ridge = KernelRidge(alpha=1e-6, kernel="rbf", gamma=0.5)
    model = Surrogate(regressor=ridge, parameter_space=SPACE).fit(mus, S)
    errors = model.loo_error(folds=4, random_state=3)
    Xs = (SPACE.to_unit(mus) - 0.5) * np.sqrt(12)
    Y = (model.coordinates_ - model.y_mean_) / model.y_scale_
    expected = np.empty(len(mus))
    for rows in np.array_split(np.random.default_rng(3).permutation(len(mus)), 4):
        keep = np.setdiff1d(np.arange(len(mus)), rows)
        fit = as_regressor(KernelRidge(alpha=1e-6, kernel="rbf", gamma=0.5))
        residual = (Y[rows] - fit.fit(Xs[keep], Y[keep]).predict(Xs[rows])) * model.y_scale_
        expected[rows] = np.linalg.norm(residual @ model.reduction_.basis_.T, axis=1)
    np.testing.assert_allclose(errors, expected, rtol=1e-8)
    # leaving out folds costs more than leaving out one sample: larger errors
    assert errors.mean() > model.loo_error().mean()
    # for an RBF surrogate, folds refit too (and agree with Rippa's formula for folds=n)
    rbf = Surrogate(parameter_space=SPACE).fit(mus, S)
    np.testing.assert_allclose(rbf.loo_error(folds=len(mus)), rbf.loo_error(), rtol=1e-6)
    with pytest.raises(ValueError, match="folds"):
        model.loo_error(folds=1)
    with pytest.raises(ValueError, match="folds: expected at most 32"):
        model.loo_error(folds=40)

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPRegressor

from rom import NotFittedError
from rom.closures import (
    ArrayClassifier,
    ArrayRegressor,
    QuadraticRidge,
    as_classifier,
    as_regressor,
)


class MeanRegressor:
    """A hand-written regressor: predicts the column means of the targets."""

    def fit(self, X, Y):
        self.mean = np.mean(Y, axis=0)
        return self

    def predict(self, X):
        return (
            np.tile(self.mean, (X.shape[0], 1))
            if np.ndim(self.mean)
            else np.full(X.shape[0], self.mean)
        )


class BrokenRegressor:
    def __init__(self, output):
        self.output = output

    def fit(self, X, Y):
        return self

    def predict(self, X):
        return self.output(X)


def test_sklearn_ridge_through_the_adapter_is_the_least_squares_solution(rng):
    X = rng.standard_normal((40, 3))
    Y = X @ rng.standard_normal((3, 2)) + 0.01 * rng.standard_normal((40, 2))
    reg = as_regressor(Ridge(alpha=1e-12)).fit(X, Y)
    # direct computation: least squares with an intercept column, by QR
    B = np.linalg.lstsq(np.column_stack([np.ones(40), X]), Y, rcond=None)[0]
    X_new = rng.standard_normal((5, 3))
    assert np.allclose(reg.predict(X_new), B[0] + X_new @ B[1:], atol=1e-9)
    assert reg.n_features_in_ == 3 and reg.n_outputs_ == 2
    assert as_regressor(reg) is reg


@pytest.mark.parametrize(
    "estimator",
    [
        KernelRidge(alpha=1e-3, kernel="rbf"),
        MLPRegressor(hidden_layer_sizes=(8,), max_iter=50),
        MeanRegressor(),
    ],
    ids=["kernel_ridge", "mlp", "hand_written"],
)
@pytest.mark.parametrize("k", [1, 3])
def test_predictions_are_always_2d_with_one_column_per_output(rng, estimator, k):
    X = rng.standard_normal((30, 2))
    Y = rng.standard_normal((30, k))
    reg = as_regressor(estimator)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, Y)
        out = reg.predict(X[:4])
        assert out.shape == (4, k) and out.dtype == float
        if k == 1:  # a 1-D target is one output
            assert reg.fit(X, Y[:, 0]).predict(X[:4]).shape == (4, 1)


def test_mean_regressor_predicts_the_means(rng):
    X, Y = rng.standard_normal((10, 2)), rng.standard_normal((10, 2))
    assert np.allclose(as_regressor(MeanRegressor()).fit(X, Y).predict(X[:2]), Y.mean(0))


def test_regressor_bad_input_names_the_object(rng):
    X, Y = rng.standard_normal((10, 2)), rng.standard_normal((10, 2))
    with pytest.raises(TypeError, match=r"regressor: .*fit and predict.*'object'.*fit, predict"):
        as_regressor(object())

    class OnlyPredict:
        def predict(self, X):
            return X

    with pytest.raises(TypeError, match="'OnlyPredict' without fit"):
        as_regressor(OnlyPredict())
    wrong = as_regressor(BrokenRegressor(lambda X: np.zeros((X.shape[0], 3)))).fit(X, Y)
    with pytest.raises(ValueError, match=r"regressor 'BrokenRegressor'.*shape \(4, 3\).*\(4, 2\)"):
        wrong.predict(X[:4])
    nan = as_regressor(BrokenRegressor(lambda X: np.full((X.shape[0], 2), np.nan))).fit(X, Y)
    with pytest.raises(ValueError, match=r"regressor 'BrokenRegressor'.*NaN or inf"):
        nan.predict(X)
    text = as_regressor(BrokenRegressor(lambda X: "abc")).fit(X, Y)
    with pytest.raises(TypeError, match=r"regressor 'BrokenRegressor'.*real array"):
        text.predict(X)
    reg = as_regressor(Ridge())
    with pytest.raises(ValueError, match="X: expected a 2-D array"):
        reg.fit(X[:, 0], Y)
    with pytest.raises(ValueError, match="Y: expected 10 rows"):
        reg.fit(X, Y[:5])
    with pytest.raises(ValueError, match="X: contains NaN"):
        reg.fit(np.full((10, 2), np.nan), Y)
    reg.fit(X, Y)
    with pytest.raises(ValueError, match="X: expected 2 columns"):
        reg.predict(np.ones((3, 5)))


def test_classifier_keeps_the_fitted_labels(rng):
    X = np.concatenate([rng.normal(-3.0, 0.3, (20, 2)), rng.normal(3.0, 0.3, (20, 2))])
    labels = np.array(["left"] * 20 + ["right"] * 20)
    clf = as_classifier(KNeighborsClassifier(3)).fit(X, labels)
    assert isinstance(clf, ArrayClassifier) and clf.classes_.tolist() == ["left", "right"]
    assert clf.predict(np.array([[-3.0, -3.0], [3.0, 3.0]])).tolist() == ["left", "right"]
    ints = as_classifier(LogisticRegression()).fit(X, (labels == "right").astype(int))
    assert np.array_equal(ints.predict(X), (labels == "right").astype(int))
    # fitted elsewhere: the estimator's own classes_ are used
    outside = as_classifier(KNeighborsClassifier(1).fit(X, labels))
    assert outside.predict(X[:1]).tolist() == ["left"]


def test_classifier_bad_input_names_the_object(rng):
    X = rng.standard_normal((6, 2))

    class Inventive:
        def fit(self, X, labels):
            return self

        def predict(self, X):
            return np.full(X.shape[0], 7)

    with pytest.raises(ValueError, match=r"classifier 'Inventive'.*labels \[7\].*\[0, 1\]"):
        as_classifier(Inventive()).fit(X, [0, 1, 0, 1, 0, 1]).predict(X)

    class Shape(Inventive):
        def predict(self, X):
            return np.zeros((X.shape[0], 2), dtype=int)

    with pytest.raises(ValueError, match=r"classifier 'Shape'.*shape \(6, 2\)"):
        as_classifier(Shape()).fit(X, [0, 1, 0, 1, 0, 1]).predict(X)
    with pytest.raises(TypeError, match=r"classifier: .*'int' without fit, predict"):
        as_classifier(3)
    with pytest.raises(ValueError, match="labels: expected a 1-D array of 6 labels"):
        as_classifier(Inventive()).fit(X, [0, 1])
    with pytest.raises(ValueError, match="labels: contains NaN"):
        as_classifier(Inventive()).fit(X, [0.0, 1.0, np.nan, 0.0, 1.0, 0.0])
    with pytest.raises(NotFittedError, match=r"not fitted.*'Inventive' has no classes_"):
        as_classifier(Inventive()).predict(X)
    assert isinstance(as_regressor(Ridge()), ArrayRegressor)


def test_complex_data_are_split_into_real_and_imaginary_parts(rng):
    Z = rng.standard_normal((40, 2)) + 1j * rng.standard_normal((40, 2))
    W = np.column_stack([2j * Z[:, 0] - Z[:, 1], np.conj(Z[:, 1])])  # not holomorphic
    reg = as_regressor(Ridge(alpha=1e-12)).fit(Z, W)
    assert reg.complex_inputs_ and reg.complex_outputs_ and reg.n_outputs_ == 2
    Z_new = rng.standard_normal((5, 2)) + 1j * rng.standard_normal((5, 2))
    out = reg.predict(Z_new)
    assert out.dtype.kind == "c" and out.shape == (5, 2)
    expected = np.column_stack([2j * Z_new[:, 0] - Z_new[:, 1], np.conj(Z_new[:, 1])])
    assert np.allclose(out, expected, atol=1e-8)
    # the regressor saw the real columns [Re Z, Im Z]
    assert reg.estimator.coef_.shape == (4, 4)
    # real input to a complex fit: taken as complex with zero imaginary part
    assert np.allclose(reg.predict(Z_new.real), reg.predict(Z_new.real + 0j))
    real = as_regressor(Ridge()).fit(Z.real, W.real)
    with pytest.raises(TypeError, match="X: expected a real array"):
        real.predict(Z_new)
    labels = (Z[:, 0].imag > 0).astype(int)
    clf = as_classifier(KNeighborsClassifier(1)).fit(Z, labels)
    assert clf.complex_inputs_ and np.array_equal(clf.predict(Z), labels)


def test_a_regressor_fitted_elsewhere_is_used_as_it_is(rng):
    from sklearn.exceptions import NotFittedError as SklearnNotFitted

    X, Y = rng.standard_normal((20, 3)), rng.standard_normal((20, 2))
    ridge = Ridge().fit(X, Y)
    assert np.allclose(ArrayRegressor(ridge).predict(X[:3]), ridge.predict(X[:3]))
    with pytest.raises(NotFittedError, match="not fitted") as info:
        ArrayRegressor(Ridge()).predict(X)
    assert isinstance(info.value.__cause__, SklearnNotFitted)
    with pytest.raises(TypeError, match="estimator: expected a regressor"):
        ArrayRegressor(object()).fit(X, Y)


def test_foreign_estimators_are_parts_of_the_saved_file(rng, tmp_path):
    import rom

    X, Y = rng.standard_normal((20, 3)), rng.standard_normal((20, 2))
    ridge = Ridge()
    reg = ArrayRegressor(ridge).fit(X, Y)
    reg.save(tmp_path / "reg.npz")
    assert rom.io.read_header(tmp_path / "reg.npz")["parts"] == {
        "estimator": "ArrayRegressor.estimator: a Ridge"
    }
    with pytest.raises(ValueError, match="estimator"):
        rom.load(tmp_path / "reg.npz")
    back = rom.load(tmp_path / "reg.npz", estimator=ridge)
    assert back.estimator is ridge and back.n_outputs_ == 2
    assert np.array_equal(back.predict(X), reg.predict(X))
    # a romba regressor is saved inside the file
    inner = ArrayRegressor(QuadraticRidge()).fit(X, Y)
    inner.save(tmp_path / "inner.npz")
    assert rom.io.read_header(tmp_path / "inner.npz")["parts"] == {}
    assert np.array_equal(rom.load(tmp_path / "inner.npz").predict(X), inner.predict(X))

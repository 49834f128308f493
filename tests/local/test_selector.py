import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier

from rom import NotFittedError
from rom.local import LocalPOD
from tests.local._data import fronts


@pytest.fixture(scope="module")
def fitted():
    """Fronts parametrised by their position only: the clusters are intervals of c."""
    c = np.linspace(0.15, 0.85, 120)
    P = np.column_stack([c, np.full(120, 0.03), np.ones(120)])
    return LocalPOD(3, rank=4, seed=0).fit(fronts(P)), c


def test_mlp_learns_parameter_to_cluster(fitted):
    local, c = fitted
    clf = MLPClassifier((16,), solver="lbfgs", max_iter=2000, random_state=0)
    local.fit_selector(c, clf)
    assert np.mean(local.select(c) == local.labels_) > 0.9
    # new parameters: the selected basis is the one of the nearest medoid, or next to it
    new = np.array([0.2, 0.5, 0.8])
    fronts_new = fronts(np.column_stack([new, np.full(3, 0.03), np.ones(3)]))
    assert np.array_equal(local.select(new[:, None]), local.assign(fronts_new))
    assert local.select(new).dtype.kind == "i"


class _Constant:
    def __init__(self, value):
        self.value = value

    def fit(self, X, y):
        return self

    def predict(self, X):
        return np.full(len(X), self.value)


def test_classifier_with_unknown_labels_is_a_clear_error(fitted):
    local, c = fitted
    local.fit_selector(c, _Constant(7))
    with pytest.raises(ValueError, match=r"classifier: predicted labels \[7\]"):
        local.select(c)
    local.fit_selector(c, _Constant("a"))
    with pytest.raises(ValueError, match="non-numeric"):
        local.select(c)
    local.fit_selector(c, _Constant(1.5))
    with pytest.raises(ValueError, match="not cluster indices"):
        local.select(c)


def test_selector_input_errors(fitted):
    local, c = fitted
    with pytest.raises(TypeError, match="classifier: expected an object with fit"):
        local.fit_selector(c, object())
    with pytest.raises(ValueError, match="parameters: expected 120 rows"):
        local.fit_selector(c[:10], _Constant(0))
    fresh = LocalPOD(3, rank=2, seed=0).fit(fronts(np.column_stack([c, c * 0 + 0.03, c * 0 + 1])))
    with pytest.raises(NotFittedError, match="not fitted"):
        fresh.select(c)
    local.fit_selector(c, _Constant(0))
    with pytest.raises(ValueError, match="parameters: expected 1 columns"):
        local.select(np.ones((4, 2)))

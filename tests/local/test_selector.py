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
    return LocalPOD(3, rank=4, random_state=0).fit(fronts(P)), c[:, None]


def test_mlp_learns_parameter_to_cluster(fitted):
    local, c = fitted
    clf = MLPClassifier((16,), solver="lbfgs", max_iter=2000, random_state=0)
    local.fit_selector(c, clf)
    assert np.mean(local.select(c) == local.labels_) > 0.9
    # new parameters: the selected basis is the one of the nearest medoid, or next to it
    new = np.array([0.2, 0.5, 0.8])
    fronts_new = fronts(np.column_stack([new, np.full(3, 0.03), np.ones(3)]))
    assert np.array_equal(local.select(new[:, None]), local.assign(fronts_new))
    assert local.select(new[:, None]).dtype.kind == "i"
    # a 1-D array is one parameter set
    assert local.select(new[:1]).shape == (1,)
    with pytest.raises(ValueError, match=r"parameters: expected parameter sets of 1 values"):
        local.select(new)


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
    with pytest.raises(ValueError, match=r"classifier '_Constant'.*labels \[7\].*\[0, 1, 2\]"):
        local.select(c)
    local.fit_selector(c, _Constant("a"))
    with pytest.raises(ValueError, match=r"classifier '_Constant'.*labels \['a'\]"):
        local.select(c)
    local.fit_selector(c, _Constant(1.5))
    with pytest.raises(ValueError, match=r"classifier '_Constant'.*labels \[1.5\]"):
        local.select(c)


def test_selector_input_errors(fitted):
    local, c = fitted
    with pytest.raises(TypeError, match="classifier: expected a classifier with methods fit"):
        local.fit_selector(c, object())
    with pytest.raises(ValueError, match="parameters: expected 120 rows"):
        local.fit_selector(c[:10], _Constant(0))
    with pytest.raises(ValueError, match="parameters: expected 120 rows"):
        local.fit_selector(c[:, 0], _Constant(0))  # a 1-D array is one parameter set
    P = np.column_stack([c[:, 0], np.full(120, 0.03), np.ones(120)])
    fresh = LocalPOD(3, rank=2, random_state=0).fit(fronts(P))
    with pytest.raises(NotFittedError, match="no selector yet"):
        fresh.select(c)
    with pytest.raises(NotFittedError, match="not fitted"):
        LocalPOD(3).fit_selector(c, _Constant(0))
    local.fit_selector(c, _Constant(0))
    with pytest.raises(ValueError, match="parameters: expected parameter sets of 1 values"):
        local.select(np.ones((4, 2)))
    # fitting the bases again drops the selector of the earlier clusters
    local_again = LocalPOD(3, rank=2, random_state=0).fit(fronts(P)).fit_selector(c, _Constant(0))
    local_again.fit(fronts(P))
    assert not hasattr(local_again, "selector_")


def test_selector_is_a_part_of_the_saved_file(fitted, tmp_path):
    from sklearn.neighbors import KNeighborsClassifier

    import rom

    local, c = fitted
    knn = KNeighborsClassifier(1)
    local.fit_selector(c, knn)
    local.save(tmp_path / "local.npz")
    assert rom.io.read_header(tmp_path / "local.npz")["parts"] == {
        "estimator": "ArrayClassifier.estimator: a KNeighborsClassifier"
    }
    with pytest.raises(ValueError, match="estimator"):
        rom.load(tmp_path / "local.npz")
    back = rom.load(tmp_path / "local.npz", estimator=knn)
    assert np.array_equal(back.select(c), local.select(c))
    assert back.selector_.estimator is knn

"""rom._base: parameters, repr and the not-fitted error of every estimator."""

import numpy as np
import pytest

import rom
from rom._base import Estimator
from rom.validation import NotFittedError


class Inner(Estimator):
    def __init__(self, a=1, b="x"):
        self.a = a
        self.b = b


class Outer(Estimator):
    _fitted_marker = "w_"

    def __init__(self, inner=None, tol=1e-6, weights=None):
        self.inner = inner
        self.tol = tol
        self.weights = weights

    def fit(self):
        self.w_ = 1.0
        return self


def test_get_params_shallow_and_deep():
    inner = Inner(a=3)
    outer = Outer(inner, tol=1e-3)
    assert outer.get_params(deep=False) == {"inner": inner, "tol": 1e-3, "weights": None}
    deep = outer.get_params()
    assert deep["inner__a"] == 3 and deep["inner__b"] == "x"


def test_set_params_nested_and_unknown_names():
    outer = Outer(Inner())
    assert outer.set_params(tol=0.5, inner__a=7) is outer
    assert outer.tol == 0.5 and outer.inner.a == 7
    with pytest.raises(ValueError, match=r"nope: not a parameter of Outer \(parameters: "):
        outer.set_params(nope=1)
    with pytest.raises(ValueError, match="tol: float has no parameters to set"):
        outer.set_params(tol__x=1)


def test_repr_shows_the_parameters_that_differ_from_their_defaults():
    assert repr(Outer()) == "Outer()"
    assert repr(Outer(Inner(a=2), tol=1e-6)) == "Outer(inner=Inner(a=2))"
    assert repr(Outer(weights=np.ones((2, 3)))) == "Outer(weights=<array (2, 3) float64>)"


def test_not_fitted_error_is_a_value_and_attribute_error():
    assert issubclass(NotFittedError, ValueError) and issubclass(NotFittedError, AttributeError)
    assert rom.NotFittedError is NotFittedError
    outer = Outer()
    with pytest.raises(NotFittedError, match=r"this Outer is not fitted yet: call fit\(\.\.\.\)"):
        outer._check_fitted()
    outer.fit()._check_fitted()


def test_star_arguments_are_refused():
    class Loose(Estimator):
        def __init__(self, **kwargs):
            self.kwargs = kwargs

    with pytest.raises(TypeError, match="named parameters only"):
        Loose().get_params()

"""The parameter explorer: sliders from the space, redrawn fields equal the model's."""

import sys

import numpy as np
import pytest

import rom
from rom.plotting import evaluate_field, explore

pytest.importorskip("ipywidgets", reason="the explorer's sliders are ipywidgets")

g = np.linspace(0.0, 1.0, 9)
POINTS = np.stack(np.meshgrid(g, g, indexing="ij"), -1).reshape(-1, 2)


def field(mu):
    return np.exp(-mu[0] * POINTS[:, 0]) * np.cos(mu[1] * POINTS[:, 1])


@pytest.fixture(scope="module")
def surrogate():
    from rom.nonintrusive import RBFRegressor, Surrogate

    space = rom.ParameterSpace({"k": (0.1, 10.0), "w": (0.0, 3.0)}, log=["k"])
    mus = space.sample(30, method="sobol", random_state=0)
    S = np.column_stack([field(mu) for mu in mus])
    model = Surrogate(rom.POD(tol=1e-8), RBFRegressor(), parameter_space=space).fit(mus, S)
    return model, space


def test_sliders_follow_the_space(surrogate):
    import ipywidgets

    model, space = surrogate
    explorer = explore(model, space, mesh=POINTS)
    k, w = explorer.sliders["k"], explorer.sliders["w"]
    assert isinstance(k, ipywidgets.FloatLogSlider) and isinstance(w, ipywidgets.FloatSlider)
    assert (k.min, k.max, k.base) == (-1.0, 1.0, 10.0)
    assert (w.min, w.max) == (0.0, 3.0)
    np.testing.assert_allclose(explorer.parameters, [1.0, 1.5])  # the centre (geometric for k)
    np.testing.assert_allclose(explorer.artist.get_array(), model.predict([1.0, 1.5])[:, 0])


def test_moving_a_slider_redraws_the_prediction(surrogate):
    model, space = surrogate
    explorer = explore(model, space, mesh=POINTS)
    explorer.sliders["k"].value = 3.7
    explorer.sliders["w"].value = 0.4
    np.testing.assert_allclose(explorer.parameters, [3.7, 0.4])
    expected = model.predict(np.array([[3.7, 0.4]]))[:, 0]
    np.testing.assert_allclose(explorer.artist.get_array(), expected)
    assert explorer.artist.axes.get_title() == "k = 3.7, w = 0.4"
    assert not np.allclose(expected, model.predict([1.0, 1.5])[:, 0])  # the drawing moved


def test_reduced_model_solve_and_reconstruct_on_a_line():
    from rom.affine import AffineOperator, LinearCoefficients
    from rom.rb import LinearModel, MinTheta, ReducedBasis

    n = 40
    K = (
        np.diag(np.full(n, 2.0 * n))
        - np.diag(np.full(n - 1, n), 1)
        - np.diag(np.full(n - 1, n), -1)
    )
    theta = LinearCoefficients([[1.0], [0.0]], offset=[0.0, 1.0])  # mu K + M
    op = AffineOperator([K, np.eye(n) / n], theta)
    model = LinearModel(op, np.ones(n), inner=K + np.eye(n) / n)
    reduced = (
        ReducedBasis(model, MinTheta(theta, [1.0], 1.0), tol=1e-8)
        .fit(np.linspace(0.1, 1.0, 10)[:, None])
        .reduced_model_
    )
    space = rom.ParameterSpace({"mu": (0.1, 1.0)})
    x = np.linspace(0.0, 1.0, n)
    explorer = explore(reduced, space, mesh=x, rescale=True)
    explorer.sliders["mu"].value = 0.25
    expected = reduced.reconstruct(reduced.solve([0.25]))
    np.testing.assert_allclose(explorer.artist.get_ydata(), expected)
    np.testing.assert_allclose(expected, model.solve([0.25]), rtol=1e-6)  # the true solution
    lo, hi = explorer.artist.axes.get_ylim()
    assert lo <= expected.min() and hi >= expected.max()


def test_explorer_errors(monkeypatch):
    space = rom.ParameterSpace({"k": (1.0, 2.0)})
    with pytest.raises(TypeError, match=r"parameter_space: expected a rom\.ParameterSpace"):
        explore(field, {"k": (1.0, 2.0)})
    with pytest.raises(ValueError, match="steps: expected an integer >= 2"):
        explore(field, space, steps=1)
    with pytest.raises(TypeError, match=r"model: expected an object with predict\(\)"):
        evaluate_field(42, [1.0])
    with pytest.raises(ValueError, match="model: expected one field per parameter set"):
        evaluate_field(lambda mu: np.ones((3, 3)), [1.0])
    with pytest.raises(ValueError, match=r"values: expected 81 values"):
        explore(lambda mu: np.ones(5), space, mesh=POINTS)

    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"ipywidgets .* `pip install romba\[widgets\]`"):
        explore(field, space)

"""Errors over a parameter sample: scatter data, log scales from the space, pair grids."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

import rom
from rom.plotting import plot_parameter_errors


def test_two_parameters_scatter_coloured_by_error_on_log_axes():
    space = rom.ParameterSpace({"k": (0.1, 10.0), "f": (0.0, 1.0)}, log=["k"])
    mus = space.sample(12, method="lhs", random_state=0)
    errors = 10.0 ** -np.arange(12)
    points = plot_parameter_errors(mus, errors, parameter_space=space, title="t")
    np.testing.assert_array_equal(points.get_offsets(), mus)
    np.testing.assert_array_equal(points.get_array(), errors)
    ax = points.axes
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "linear")
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("k", "f", "t")
    assert points.norm.vmin == pytest.approx(1e-11) and points.norm.vmax == 1.0


def test_zero_errors_on_a_log_scale_and_one_parameter():
    line = plot_parameter_errors([[0.3], [0.1], [0.2]], [0.0, 1e-3, 1e-2], names=["a"])
    np.testing.assert_array_equal(line.get_xdata(), [0.1, 0.2, 0.3])
    np.testing.assert_array_equal(line.get_ydata(), [1e-3, 1e-2, 1e-3])  # 0 drawn at the floor
    assert line.axes.get_yscale() == "log" and line.axes.get_xlabel() == "a"


def test_pairs_for_more_parameters():
    rng = np.random.default_rng(1)
    mus = rng.random((10, 4))
    errors = rng.random(10)
    axes = plot_parameter_errors(mus, errors, names=["a", "b", "c", "d"], log_errors=False)
    assert axes.shape == (3, 3)
    for i in range(1, 4):
        for j in range(3):
            panel = axes[i - 1, j]
            if j >= i:
                assert not panel.get_visible()
                continue
            (points,) = panel.collections
            np.testing.assert_array_equal(points.get_offsets(), mus[:, [j, i]])
            np.testing.assert_array_equal(points.get_array(), errors)
            assert (panel.get_xlabel(), panel.get_ylabel()) == ("abcd"[j], "abcd"[i])


def test_bad_parameter_error_input():
    with pytest.raises(ValueError, match=r"errors: expected 3 errors \(one per parameter row\)"):
        plot_parameter_errors(np.ones((3, 2)), [1.0, 2.0])
    with pytest.raises(ValueError, match="errors: expected non-negative errors"):
        plot_parameter_errors(np.ones((2, 2)), [1.0, -2.0])
    with pytest.raises(ValueError, match=r"names: expected 2 names"):
        plot_parameter_errors(np.ones((2, 2)), [1.0, 2.0], names=["a"])
    with pytest.raises(ValueError, match=r"ax: 3 parameters need a \(2, 2\) array of axes"):
        plot_parameter_errors(np.ones((2, 3)), [1.0, 2.0], ax=plt.subplots(1, 2)[1])
    with pytest.raises(ValueError, match="parameter_space: it has 2 parameters"):
        space = rom.ParameterSpace({"a": (0, 1), "b": (0, 1)})
        plot_parameter_errors(np.ones((2, 3)), [1.0, 2.0], parameter_space=space)
    with pytest.raises(ValueError, match="parameters: values must be finite"):
        plot_parameter_errors([[np.inf, 1.0]], [1.0])

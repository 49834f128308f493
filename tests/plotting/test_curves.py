"""The convergence and singular value curves keep their signatures and return figures."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from rom.plotting import plot_convergence, plot_singular_values


def test_convergence_curves_and_relative_scale():
    fig, ax = plt.subplots()
    out = plot_convergence([2.0, 0.2, 2e-4], [1.0, 0.1, 1e-4], ax=ax, relative_to=2.0, title="x")
    assert out is fig
    est, true = ax.lines
    np.testing.assert_allclose(est.get_ydata(), [1.0, 0.1, 1e-4])
    np.testing.assert_allclose(true.get_ydata(), [0.5, 0.05, 5e-5])
    assert ax.get_yscale() == "log" and ax.get_title() == "x"
    with pytest.raises(ValueError, match="relative_to: expected a positive number"):
        plot_convergence([1.0], relative_to=0.0)
    with pytest.raises(ValueError, match="estimated: expected a 1-D array"):
        plot_convergence(np.ones((2, 2)))
    line = plot_convergence([1.0, np.inf, 1e-3]).axes[0].lines[0]  # a gap, as matplotlib draws it
    assert np.isinf(line.get_ydata()[1])


def test_singular_values_normalised():
    s = np.array([10.0, 1.0, 0.1])
    fig = plot_singular_values(s, label="pod")
    line = fig.axes[0].lines[0]
    np.testing.assert_allclose(line.get_ydata(), s / 10.0)
    np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3])
    with pytest.raises(ValueError, match="singular_values: expected a non-empty array"):
        plot_singular_values([])

import numpy as np
import pytest

from rom.lagrangian import (
    GridCrossingError,
    check_grid,
    fornberg_weights,
    second_derivative,
    stencils,
    to_fixed_grid,
)
from rom.lagrangian import second_derivative_weights as d2_row


def _grid(n, seed=0):
    h = np.random.default_rng(seed).uniform(0.5, 1.5, n)
    x = np.cumsum(h)
    return (x - x[0]) / (x[-1] - x[0])


@pytest.mark.parametrize("k", [3, 5, 7])
def test_fornberg_weights_are_exact_on_polynomials(k):
    x = _grid(40)
    index, _, center = stencils(40, k)
    nodes = x[index]
    c = fornberg_weights(nodes, nodes[np.arange(40), center], 2)
    z = nodes[np.arange(40), center]
    for degree in range(k):
        exact = degree * (degree - 1) * z ** max(degree - 2, 0)
        assert np.allclose(np.einsum("ij,ij->i", c, nodes**degree), exact, atol=1e-7)


def test_three_point_weights_match_the_closed_form():
    x = _grid(30)
    h1, h2 = x[1:-1] - x[:-2], x[2:] - x[1:-1]
    closed = np.stack([2 / (h1 * (h1 + h2)), -2 / (h1 * h2), 2 / (h2 * (h1 + h2))], axis=1)
    nodes = np.stack([x[:-2], x[1:-1], x[2:]], axis=1)
    assert np.allclose(fornberg_weights(nodes, x[1:-1]), closed, rtol=1e-12)


@pytest.mark.parametrize("k", [3, 5])
def test_compiled_row_agrees_with_the_vectorised_weights(k):
    rng = np.random.default_rng(1)
    nodes = np.sort(rng.uniform(0, 1, (6, k)), axis=1)
    for center in range(k):
        ref = fornberg_weights(nodes, nodes[:, center], 2)
        c, tab = np.empty(k), np.empty((k, 3))
        for i in range(6):
            d2_row(nodes[i], center, c, tab)
            assert np.allclose(c, ref[i], rtol=1e-10, atol=1e-8 * np.abs(ref[i]).max())


def test_second_derivative_converges_at_second_and_fourth_order():
    errs = {3: [], 5: []}
    for n in (100, 200, 400):
        x = np.linspace(0, 1, n, endpoint=False)
        x = x + 0.2 / n * np.sin(2 * np.pi * x)  # smooth non-uniform grid
        for k in errs:
            d = second_derivative(x, np.sin(2 * np.pi * x), k, period=1.0)
            errs[k].append(np.abs(d + 4 * np.pi**2 * np.sin(2 * np.pi * x)).max())
    assert np.log2(errs[3][1] / errs[3][2]) == pytest.approx(2, abs=0.2)
    assert np.log2(errs[5][1] / errs[5][2]) == pytest.approx(4, abs=0.3)


def test_selected_rows_equal_the_full_rows():
    x = np.linspace(0, 1, 50, endpoint=False) + 0.3
    w = np.cos(2 * np.pi * x)
    rows = np.array([0, 7, 49])
    assert np.allclose(
        second_derivative(x, w, 5, 1.0, rows=rows), second_derivative(x, w, 5, 1.0)[rows]
    )


def test_periodic_stencils_wrap_with_shifts():
    index, shifts, center = stencils(6, 5, period=1.0, rows=[0, 5])
    assert index.tolist() == [[4, 5, 0, 1, 2], [3, 4, 5, 0, 1]]
    assert shifts.tolist() == [[-1, -1, 0, 0, 0], [0, 0, 0, 1, 1]]
    assert center.tolist() == [2, 2]


def test_interpolation_to_a_fixed_grid_across_the_seam():
    x = np.linspace(0, 1, 200, endpoint=False) + 0.37  # a translated periodic grid
    w = np.sin(2 * np.pi * x)
    y = np.linspace(0, 1, 33, endpoint=False)
    assert np.allclose(to_fixed_grid(x, w, y, period=1.0), np.sin(2 * np.pi * y), atol=1e-8)


@pytest.mark.parametrize(
    "x, period, message",
    [
        (np.array([0.0, 0.3, 0.2, 0.5]), None, "node 2"),
        (np.array([0.0, 0.3, 0.3, 0.5]), None, "node 2"),
        (np.array([0.0, 0.5, 1.2]), 1.0, "period"),
    ],
)
def test_tangled_grids_are_refused(x, period, message):
    with pytest.raises(GridCrossingError, match=message):
        check_grid(x, period=period)


def test_bad_stencil_arguments():
    with pytest.raises(ValueError, match="odd"):
        stencils(10, 4)
    with pytest.raises(ValueError, match="order"):
        fornberg_weights(np.zeros((2, 3)), np.zeros(2), 3)
    with pytest.raises(ValueError, match="shape of x"):
        second_derivative(np.linspace(0, 1, 5), np.zeros(4))

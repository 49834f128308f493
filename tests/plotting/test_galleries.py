"""Galleries of snapshots, modes and errors: one panel per column, shared colour scales."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from rom.plotting import plot_errors, plot_gallery, plot_modes, plot_snapshots

g = np.linspace(0.0, 1.0, 5)
POINTS = np.stack(np.meshgrid(g, g, indexing="ij"), -1).reshape(-1, 2)
FIELDS = np.column_stack([POINTS[:, 0], 3 * POINTS[:, 1], -POINTS.sum(axis=1)])


def test_gallery_panels_hold_the_columns_on_one_colour_scale():
    artists = plot_gallery(POINTS, FIELDS, titles=["a", "b", "c"], ncols=2)
    assert len(artists) == 3
    axes = [a.axes for a in artists]
    assert len(set(axes)) == 3 and axes[0].figure is axes[2].figure
    y0 = [a.get_position().y0 for a in axes]
    assert y0[0] == y0[1] > y0[2]  # two per row
    for j, artist in enumerate(artists):
        np.testing.assert_array_equal(artist.get_array(), FIELDS[:, j])
        assert artist.get_clim() == (-2.0, 3.0)  # the range of all the fields
    assert [a.get_title() for a in axes] == ["a", "b", "c"]


def test_gallery_own_scales_and_given_axes():
    ax = plt.subplots(2, 2)[1]
    artists = plot_gallery(POINTS, FIELDS, ax=ax, shared_scale=False, colorbar=False)
    assert [a.axes for a in artists] == list(ax.ravel()[:3])
    assert artists[1].get_clim() == (0.0, 3.0)


def test_snapshots_modes_and_errors():
    titles = [a.axes.get_title() for a in plot_snapshots(POINTS, FIELDS)]
    assert titles == ["snapshot 0", "snapshot 1", "snapshot 2"]
    U = np.linalg.qr(FIELDS)[0]
    modes = plot_modes(POINTS, U)
    assert [a.axes.get_title() for a in modes] == ["mode 1", "mode 2", "mode 3"]
    np.testing.assert_allclose(modes[0].get_clim(), (U[:, 0].min(), U[:, 0].max()))
    approx = FIELDS + 0.01 * POINTS[:, :1]
    errors = plot_errors(POINTS, FIELDS, approx)
    for j, artist in enumerate(errors):
        np.testing.assert_allclose(artist.get_array(), np.abs(approx[:, j] - FIELDS[:, j]))
    rel = np.linalg.norm(0.01 * POINTS[:, 0]) / np.linalg.norm(FIELDS[:, 0])
    assert errors[0].axes.get_title() == f"error 0 (rel. {rel:.1e})"


def test_bad_gallery_input():
    with pytest.raises(ValueError, match=r"titles: expected 3 titles"):
        plot_gallery(POINTS, FIELDS, titles=["a"])
    with pytest.raises(ValueError, match="ax: 3 fields need 3 axes, got 2"):
        plot_gallery(POINTS, FIELDS, ax=plt.subplots(1, 2)[1])
    with pytest.raises(ValueError, match="ncols: expected a positive integer"):
        plot_gallery(POINTS, FIELDS, ncols=0)
    with pytest.raises(ValueError, match=r"values: expected 25 values"):
        plot_gallery(POINTS, FIELDS[:10])
    with pytest.raises(ValueError, match=r"approximation: expected the shape of reference"):
        plot_errors(POINTS, FIELDS, FIELDS[:, :2])
    with pytest.raises(ValueError, match="fields: expected a 2-D array"):
        plot_gallery(POINTS, np.ones((25, 2, 2)))

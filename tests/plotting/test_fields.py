"""Fields on meshes: the artists hold the field, on the right triangles, for every mesh form."""

import matplotlib.pyplot as plt
import meshio
import numpy as np
import pytest

from rom.plotting import as_mesh, plot_field, update_field


def grid(n=4, quads=True):
    """An n x n grid of points on the unit square, as quads or as triangles."""
    g = np.linspace(0.0, 1.0, n)
    points = np.stack(np.meshgrid(g, g, indexing="ij"), -1).reshape(-1, 2)
    idx = np.arange(n * n).reshape(n, n)
    a, b, c, d = idx[:-1, :-1], idx[1:, :-1], idx[1:, 1:], idx[:-1, 1:]
    q = np.stack([a, b, c, d], -1).reshape(-1, 4)
    if quads:
        return points, q
    return points, np.concatenate([q[:, [0, 1, 2]], q[:, [0, 2, 3]]])


def test_point_field_on_quads_is_interpolated_on_split_triangles():
    points, quads = grid()
    values = points[:, 0] ** 2 + points[:, 1]
    artist = plot_field((points, quads), values)
    np.testing.assert_array_equal(artist.get_array(), values)
    tri = artist._triangulation  # a TriMesh: check its triangles
    assert tri.triangles.shape == (2 * len(quads), 3)
    # every quad is covered by its two triangles: the areas add up to the square
    p = points[tri.triangles]
    u, v = p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]
    area = 0.5 * np.abs(u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0])
    assert np.isclose(area.sum(), 1.0)
    assert tri.triangles.min() >= 0 and tri.triangles.max() < len(points)


def test_cell_field_colours_each_cell_on_both_of_its_triangles():
    points, quads = grid()
    values = np.arange(len(quads), dtype=float)
    artist = plot_field((points, quads), values, vmin=-1.0, vmax=20.0)
    faces = np.asarray(artist.get_array())
    assert faces.shape == (2 * len(quads),)
    np.testing.assert_array_equal(faces, np.concatenate([values, values]))
    assert artist.get_clim() == (-1.0, 20.0)


def test_meshio_mesh_with_mixed_blocks_and_cell_data():
    points, quads = grid(3)
    tris = np.array([[0, 1, 4]])
    mesh = meshio.Mesh(
        np.column_stack([points, np.zeros(len(points))]),  # flat in z: drawn in 2-D
        [("quad", quads), ("triangle", tris)],
    )
    m = as_mesh(mesh)
    assert m.kind == "plane" and m.n_cells == 5
    np.testing.assert_array_equal(m.cell_of_triangle, [0, 1, 2, 3, 0, 1, 2, 3, 4])
    artist = plot_field(mesh, [1.0, 2.0, 3.0, 4.0, 5.0])
    np.testing.assert_array_equal(artist.get_array(), [1, 2, 3, 4, 1, 2, 3, 4, 5])


def test_scikit_fem_mesh():
    skfem = pytest.importorskip("skfem", reason="scikit-fem reads the mesh")
    mesh = skfem.MeshTri().refined(2)
    values = np.sin(mesh.p[0]) * mesh.p[1]
    artist = plot_field(mesh, values, edges=True)
    np.testing.assert_allclose(artist.get_array(), values)
    drawn = np.sort(artist._triangulation.triangles, axis=1)  # matplotlib orients them
    np.testing.assert_array_equal(drawn, np.sort(mesh.t.T, axis=1))


def test_points_alone_are_triangulated():
    rng = np.random.default_rng(0)
    points = rng.random((30, 2))
    artist = plot_field(points, points[:, 0])
    np.testing.assert_array_equal(artist.get_array(), points[:, 0])
    assert artist._triangulation.triangles.shape[1] == 3


def test_one_dimensional_point_and_cell_values():
    x = np.array([0.0, 0.5, 0.25, 1.0])  # unsorted: drawn in order of x
    line = plot_field(x, 2 * x)
    np.testing.assert_array_equal(line.get_xdata(), np.sort(x))
    np.testing.assert_array_equal(line.get_ydata(), 2 * np.sort(x))
    cells = np.array([[0, 2], [2, 1], [1, 3]])
    line = plot_field((x[:, None], cells), [1.0, 2.0, 3.0])
    np.testing.assert_allclose(line.get_xdata(), [0.125, 0.375, 0.75])
    np.testing.assert_array_equal(line.get_ydata(), [1.0, 2.0, 3.0])


def test_surface_in_3d_by_its_triangles():
    # two triangles of the unit square folded along its diagonal
    points = np.array([[0.0, 0, 0], [1, 0, 0], [1, 1, 1], [0, 1, 0]])
    cells = np.array([[0, 1, 2], [0, 2, 3]])
    values = np.array([0.0, 3.0, 6.0, 9.0])
    artist = plot_field((points, cells), values)
    assert artist.axes.name == "3d"
    np.testing.assert_allclose(artist.get_array(), [3.0, 5.0])  # means of the corners
    cell_artist = plot_field((points, cells), [7.0, 8.0])
    np.testing.assert_array_equal(cell_artist.get_array(), [7.0, 8.0])
    flat_axes = plt.figure().add_subplot()
    with pytest.raises(ValueError, match=r"ax: .*projection='3d'"):
        plot_field((points, cells), values, ax=flat_axes)


def test_draws_into_given_axes_and_updates():
    points, tris = grid(quads=False)
    ax = plt.figure().add_subplot()
    artist = plot_field((points, tris), points[:, 0], ax=ax, colorbar=False, title="t")
    assert artist.axes is ax and ax.get_title() == "t"
    update_field(artist, 5 * points[:, 1])
    np.testing.assert_array_equal(artist.get_array(), 5 * points[:, 1])
    assert artist.get_clim() == (0.0, 5.0)


@pytest.mark.parametrize(
    "values, match",
    [
        (np.ones(7), r"values: expected 16 values \(one per point\) or 9 \(one per cell\), got 7"),
        (np.ones((16, 2)), "values: expected a 1-D array"),
        (np.full(16, np.nan), "values: values must be finite"),
        (np.ones(16) * 1j, "values: complex values"),
    ],
)
def test_bad_values(values, match):
    with pytest.raises(ValueError, match=match):
        plot_field(grid(), values)


def test_bad_meshes_and_axes():
    points, quads = grid()
    with pytest.raises(ValueError, match=r"mesh: cell indices must lie in \[0, 16\)"):
        plot_field((points, quads + 10), np.ones(16))
    with pytest.raises(ValueError, match="mesh: cells must have shape"):
        plot_field((points, np.zeros((3, 5), int)), np.ones(16))
    with pytest.raises(TypeError, match=r"mesh: expected a meshio\.Mesh"):
        plot_field("mesh.vtu", np.ones(16))
    with pytest.raises(ValueError, match="mesh: points must have shape"):
        plot_field(np.ones((4, 5)), np.ones(4))
    with pytest.raises(TypeError, match="ax: expected a matplotlib Axes"):
        plot_field(grid(), np.ones(16), ax="left")
    with pytest.raises(ValueError, match="vmin: expected a finite number"):
        plot_field(grid(), np.ones(16), vmin=np.nan)
    line = plot_field(points[:, 0], points[:, 1])
    with pytest.raises(TypeError, match="artist: expected an artist returned by plot_field"):
        update_field(plt.plot([0, 1])[0], [1, 2])
    with pytest.raises(ValueError, match="values: expected 16 values"):
        update_field(line, np.ones(3))

"""Tests of rom.io.fields: snapshot matrices from mesh files and fields written back."""

import os

import meshio
import numpy as np
import pytest

from rom.io import read_fields, write_fields

# a unit square split into two triangles, and a 2 x 1 strip of four triangles
POINTS = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0]])
CELLS = [("triangle", np.array([[0, 1, 2], [1, 3, 2]]))]
POINTS_BIG = np.array([[x, y, 0.0] for y in (0.0, 1.0) for x in (0.0, 1.0, 2.0)])
CELLS_BIG = [("triangle", np.array([[0, 1, 3], [1, 4, 3], [1, 2, 4], [2, 5, 4]]))]

# formats meshio writes and reads back without optional dependencies
FORMATS = {
    "vtu": {},
    "vtk": {},  # legacy VTK
    # Gmsh 4.1 (meshio's ascii Gmsh reader fails under numpy 2, so the binary variant)
    "msh": {"file_format": "gmsh", "binary": True},
}


def temperature(k: float, points: np.ndarray = POINTS) -> np.ndarray:
    x, y = points[:, 0], points[:, 1]
    return np.sin(k * x) + k * y**2


def velocity(k: float, points: np.ndarray = POINTS) -> np.ndarray:
    x, y = points[:, 0], points[:, 1]
    return np.stack([k * x, -k * y, x * y + k], axis=1)


def write_mesh(path, k, points=POINTS, cells=CELLS, cell_values=None, **kwargs):
    cell_data = {}
    if cell_values is not None:
        cell_data["pressure"] = [np.asarray(cell_values, dtype=float)]
    mesh = meshio.Mesh(
        points,
        cells,
        point_data={"T": temperature(k, points), "u": velocity(k, points)},
        cell_data=cell_data,
    )
    mesh.write(path, **kwargs)
    return path


@pytest.fixture(params=sorted(FORMATS))
def fmt(request):
    return request.param


@pytest.fixture
def ks():
    return [0.5, 1.0, 1.5, 2.25]


@pytest.fixture
def files(tmp_path, fmt, ks):
    return [write_mesh(tmp_path / f"snap_{i}.{fmt}", k, **FORMATS[fmt]) for i, k in enumerate(ks)]


# ---------------------------------------------------------------------- read_fields
def test_scalar_field_columns_are_files(files, ks):
    S, mesh = read_fields(files, "T")
    expected = np.stack([temperature(k) for k in ks], axis=1)
    assert S.shape == (len(POINTS), len(ks))
    np.testing.assert_allclose(S, expected, rtol=1e-14, atol=1e-14)
    assert isinstance(mesh, meshio.Mesh)
    np.testing.assert_allclose(mesh.points[:, :2], POINTS[:, :2])


def test_vector_field_is_flattened_point_major(files, ks):
    S, _ = read_fields(files, "u")
    assert S.shape == (3 * len(POINTS), len(ks))
    for j, k in enumerate(ks):
        v = velocity(k)
        # x0, y0, z0, x1, y1, z1, ...
        np.testing.assert_allclose(S[:, j], v.reshape(-1), rtol=1e-14, atol=1e-14)
        np.testing.assert_allclose(S[3:6, j], v[1], rtol=1e-14, atol=1e-14)


def test_str_and_pathlike_and_single_path(tmp_path):
    path = write_mesh(tmp_path / "one.vtu", 0.7)
    S1, _ = read_fields(path, "T")
    S2, _ = read_fields(str(path), "T")
    S3, _ = read_fields((str(path), path), "T")
    np.testing.assert_allclose(S1[:, 0], temperature(0.7), rtol=1e-14)
    np.testing.assert_array_equal(S1, S2)
    np.testing.assert_array_equal(S3, np.hstack([S1, S1]))


def test_cell_data_fallback(tmp_path):
    paths = [write_mesh(tmp_path / f"c{i}.vtu", 1.0, cell_values=[i + 0.5, -i]) for i in range(3)]
    S, _ = read_fields(paths, "pressure")
    np.testing.assert_array_equal(S, [[0.5, 1.5, 2.5], [0.0, -1.0, -2.0]])


def test_cell_data_of_several_blocks_is_concatenated(tmp_path):
    cells = [("triangle", np.array([[0, 1, 2]])), ("line", np.array([[1, 3], [3, 2]]))]
    path = tmp_path / "mixed.vtu"
    meshio.Mesh(POINTS, cells, cell_data={"q": [np.array([7.0]), np.array([8.0, 9.0])]}).write(
        path
    )
    S, _ = read_fields([path], "q")
    np.testing.assert_array_equal(S[:, 0], [7.0, 8.0, 9.0])


def test_point_data_wins_over_cell_data_of_the_same_name(tmp_path):
    path = tmp_path / "both.vtu"
    meshio.Mesh(
        POINTS, CELLS, point_data={"f": np.arange(4.0)}, cell_data={"f": [np.array([-1.0, -2.0])]}
    ).write(path)
    S, _ = read_fields([path], "f")
    np.testing.assert_array_equal(S[:, 0], np.arange(4.0))


def test_missing_field_lists_available_fields(files):
    with pytest.raises(ValueError, match=r"name: no field 'pressure' .*available: \[.*'T'.*'u'"):
        read_fields(files, "pressure")


def test_meshes_of_different_sizes(tmp_path):
    a = write_mesh(tmp_path / "a.vtu", 1.0)
    b = write_mesh(tmp_path / "b.vtu", 1.0, points=POINTS_BIG, cells=CELLS_BIG)
    with pytest.raises(ValueError, match=r"paths: field 'T' in .*b\.vtu.* share one mesh"):
        read_fields([a, b], "T")


def test_missing_file(tmp_path):
    a = write_mesh(tmp_path / "a.vtu", 1.0)
    with pytest.raises(FileNotFoundError, match=r"paths: no such file .*missing\.vtu"):
        read_fields([a, tmp_path / "missing.vtu"], "T")


def test_directory_is_not_a_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="paths: no such file"):
        read_fields([tmp_path], "T")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("garbage.vtu", np.random.default_rng(0).bytes(512)),
        ("empty.vtu", b""),
        ("text.msh", b"this is not a gmsh file\n"),
        ("unknown.xyz", b"1 2 3\n"),  # a format meshio does not know
    ],
    ids=["random-bytes", "empty", "not-gmsh", "unknown-suffix"],
)
def test_unreadable_file(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValueError, match=rf"paths: .*{name}.* could not be read as a mesh"):
        read_fields([path], "T")


def test_nan_in_field(tmp_path):
    good = write_mesh(tmp_path / "good.vtu", 1.0)
    bad = tmp_path / "bad.vtu"
    values = temperature(1.0)
    values[2] = np.nan
    meshio.Mesh(POINTS, CELLS, point_data={"T": values}).write(bad)
    with pytest.raises(ValueError, match=r"paths: field 'T' has NaN or inf values in .*bad\.vtu"):
        read_fields([good, bad], "T")


def test_inf_in_field(tmp_path):
    bad = tmp_path / "bad.vtu"
    meshio.Mesh(POINTS, CELLS, point_data={"T": np.array([0.0, np.inf, 1.0, 2.0])}).write(bad)
    with pytest.raises(ValueError, match="NaN or inf"):
        read_fields([bad], "T")


def test_empty_path_list():
    with pytest.raises(ValueError, match="paths: expected at least one file"):
        read_fields([], "T")


@pytest.mark.parametrize("paths", [3, None, {"a.vtu"}, (p for p in ["a.vtu"])])
def test_bad_paths_type(paths):
    with pytest.raises(TypeError, match="paths: expected a path or a sequence of paths"):
        read_fields(paths, "T")


@pytest.mark.parametrize("name", ["", None, 3, ["T"]])
def test_bad_name(tmp_path, name):
    path = write_mesh(tmp_path / "a.vtu", 1.0)
    with pytest.raises(TypeError, match="name: expected a field name"):
        read_fields([path], name)


# ---------------------------------------------------------------------- write_fields
# not "msh": for that suffix meshio picks its ANSYS writer, which drops point data
@pytest.mark.parametrize("fmt", ["vtu", "vtk"])
def test_write_fields_round_trip(tmp_path, fmt):
    mesh = meshio.Mesh(POINTS, CELLS)
    scalar = temperature(1.3)
    vector = velocity(1.3)
    path = tmp_path / f"out.{fmt}"
    write_fields(path, mesh, {"mode0": scalar, "mode1": vector})
    back = meshio.read(path)
    np.testing.assert_allclose(back.point_data["mode0"].reshape(-1), scalar, rtol=1e-14)
    np.testing.assert_allclose(back.point_data["mode1"], vector, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(back.points[:, :2], POINTS[:, :2])
    np.testing.assert_array_equal(back.cells_dict["triangle"], CELLS[0][1])


def test_write_then_read_fields_gives_the_same_snapshot(tmp_path):
    mesh = meshio.Mesh(POINTS, CELLS)
    S = np.stack([velocity(k).reshape(-1) for k in (0.3, 0.9)], axis=1)
    paths = []
    for j in range(S.shape[1]):
        paths.append(tmp_path / f"v{j}.vtu")
        write_fields(paths[-1], mesh, {"v": S[:, j]})  # flattened: reshaped point-major
    S_back, _ = read_fields(paths, "v")
    np.testing.assert_allclose(S_back, S, rtol=1e-14, atol=1e-15)


def test_flattened_vector_field_is_reshaped_point_major(tmp_path):
    mesh = meshio.Mesh(POINTS, CELLS)
    flat = np.arange(8.0)  # 4 points x 2 components
    path = tmp_path / "flat.vtu"
    write_fields(path, mesh, {"w": flat})
    np.testing.assert_array_equal(meshio.read(path).point_data["w"], flat.reshape(4, 2))


def test_write_fields_from_read_mesh(tmp_path):
    src = write_mesh(tmp_path / "src.vtu", 1.0)
    S, mesh = read_fields([src], "T")
    out = tmp_path / "modes.vtu"
    write_fields(out, mesh, {"twice": 2 * S[:, 0]})
    np.testing.assert_allclose(meshio.read(out).point_data["twice"], 2 * temperature(1.0))


@pytest.mark.parametrize(
    "value", [np.zeros(3), np.zeros(7), np.zeros((5, 2)), np.zeros((2, 4)), 1.0]
)
def test_write_fields_wrong_row_count(tmp_path, value):
    with pytest.raises(ValueError, match=r"fields\['f'\]: expected 4 rows \(one per mesh point\)"):
        write_fields(tmp_path / "x.vtu", meshio.Mesh(POINTS, CELLS), {"f": value})
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("mesh", [None, POINTS, {"points": POINTS, "cells": CELLS}])
def test_write_fields_needs_a_mesh(tmp_path, mesh):
    with pytest.raises(TypeError, match=r"mesh: expected a meshio\.Mesh"):
        write_fields(tmp_path / "x.vtu", mesh, {"f": np.zeros(4)})


@pytest.mark.parametrize("fields", [{}, None, [("f", np.zeros(4))]])
def test_write_fields_needs_a_mapping(tmp_path, fields):
    with pytest.raises(TypeError, match="fields: expected a non-empty mapping"):
        write_fields(tmp_path / "x.vtu", meshio.Mesh(POINTS, CELLS), fields)


def test_write_fields_bad_names_and_dtypes(tmp_path):
    mesh = meshio.Mesh(POINTS, CELLS)
    with pytest.raises(TypeError, match="fields: names must be strings"):
        write_fields(tmp_path / "x.vtu", mesh, {1: np.zeros(4)})
    with pytest.raises(TypeError, match=r"fields\['c'\]: expected a real numeric array"):
        write_fields(tmp_path / "x.vtu", mesh, {"c": np.zeros(4, dtype=complex)})
    with pytest.raises(TypeError, match=r"fields\['s'\]: expected a real numeric array"):
        write_fields(tmp_path / "x.vtu", mesh, {"s": np.array(list("abcd"))})
    assert os.listdir(tmp_path) == []


def test_write_fields_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "out.vtu"
    path.write_bytes(b"previous")
    write_fields(path, meshio.Mesh(POINTS, CELLS), {"f": np.arange(4.0)})
    assert os.listdir(tmp_path) == ["out.vtu"]
    np.testing.assert_array_equal(meshio.read(path).point_data["f"], np.arange(4.0))


def test_write_fields_into_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="path: directory"):
        write_fields(tmp_path / "no" / "x.vtu", meshio.Mesh(POINTS, CELLS), {"f": np.zeros(4)})

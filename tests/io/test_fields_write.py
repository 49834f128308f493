"""Writing mesh fields: every file a format produces comes out whole, or nothing does."""

import sys
import xml.etree.ElementTree as ET

import meshio
import numpy as np
import pytest

from rom.io import write_fields
from rom.io.fields import write_series


@pytest.fixture
def mesh():
    points = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0]])
    return meshio.Mesh(points, [("triangle", np.array([[0, 1, 2], [1, 3, 2]]))])


def test_xdmf_comes_with_its_h5_under_the_final_name(tmp_path, mesh):
    """The .xdmf pointed to a hidden temporary .h5 left under its temporary name."""
    pytest.importorskip("h5py", reason="meshio writes XDMF's heavy data with h5py")
    u = np.array([1.0, 2.0, 3.0, 4.0])
    write_fields(tmp_path / "a.xdmf", mesh, {"u": u})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.h5", "a.xdmf"]  # nothing hidden
    assert "a.h5:" in (tmp_path / "a.xdmf").read_text()  # the reference names the final file
    back = meshio.read(tmp_path / "a.xdmf")
    np.testing.assert_array_equal(back.point_data["u"].ravel(), u)
    # rewriting replaces both files
    write_fields(tmp_path / "a.xdmf", mesh, {"u": 2 * u})
    np.testing.assert_array_equal(meshio.read(tmp_path / "a.xdmf").point_data["u"].ravel(), 2 * u)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.h5", "a.xdmf"]


@pytest.mark.parametrize("suffix", [".vtu", ".vtk"])
def test_single_file_formats_round_trip(tmp_path, mesh, suffix):
    u = np.array([0.5, 1.5, 2.5, 3.5])
    write_fields(tmp_path / f"b{suffix}", mesh, {"u": u})
    assert [p.name for p in tmp_path.iterdir()] == [f"b{suffix}"]
    back = meshio.read(tmp_path / f"b{suffix}")
    np.testing.assert_allclose(np.asarray(back.point_data["u"]).ravel(), u)


def test_a_suffix_meshio_does_not_write_is_a_clear_error(tmp_path, mesh):
    """-o a.csv escaped as meshio's ReadError."""
    with pytest.raises(ValueError, match=r"path: meshio writes no format for the suffix '.csv'"):
        write_fields(tmp_path / "a.csv", mesh, {"u": np.zeros(4)})
    assert list(tmp_path.iterdir()) == []


def test_a_format_that_refuses_the_mesh_leaves_nothing(tmp_path):
    """TetGen's writer refuses 2-D points with meshio's WriteError."""
    flat = meshio.Mesh(np.eye(3)[:, :2], [("triangle", np.array([[0, 1, 2]]))])
    with pytest.raises(ValueError, match=r"path: meshio could not write this mesh as '.node'"):
        write_fields(tmp_path / "a.node", flat, {"u": np.zeros(3)})
    assert list(tmp_path.iterdir()) == []


def test_xdmf_without_h5py_is_a_clear_import_error(tmp_path, mesh, monkeypatch):
    """Without h5py, -o a.xdmf ended in a ModuleNotFoundError traceback."""
    monkeypatch.setitem(sys.modules, "h5py", None)  # import h5py now fails
    with pytest.raises(ImportError, match=r"path: writing 'a.xdmf' needs the package 'h5py'"):
        write_fields(tmp_path / "a.xdmf", mesh, {"u": np.zeros(4)})
    assert list(tmp_path.iterdir()) == []


def test_missing_directory(tmp_path, mesh):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_fields(tmp_path / "no" / "a.vtu", mesh, {"u": np.zeros(4)})


def test_series_is_a_pvd_collection_of_vtu_files(tmp_path, mesh):
    fields = [{"u": np.full(4, float(k)), "v": np.arange(4.0) * k} for k in range(3)]
    files = write_series(tmp_path / "run.pvd", mesh, fields, times=[0.0, 0.5, 2.0])
    assert [f.name for f in files] == ["run_000.vtu", "run_001.vtu", "run_002.vtu"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["run.pvd", *(f.name for f in files)]
    )
    root = ET.parse(tmp_path / "run.pvd").getroot()
    assert root.get("type") == "Collection"
    entries = root.findall("./Collection/DataSet")
    assert [e.get("file") for e in entries] == [f.name for f in files]
    assert [float(e.get("timestep")) for e in entries] == [0.0, 0.5, 2.0]
    for k, entry in enumerate(entries):
        back = meshio.read(tmp_path / entry.get("file"))
        np.testing.assert_array_equal(back.point_data["u"], np.full(4, float(k)))
        np.testing.assert_array_equal(back.point_data["v"], np.arange(4.0) * k)


def test_series_bad_input_leaves_nothing(tmp_path, mesh):
    with pytest.raises(ValueError, match=r"path: a collection is written as \.pvd"):
        write_series(tmp_path / "run.vtu", mesh, [{"u": np.zeros(4)}])
    with pytest.raises(ValueError, match=r"times: expected 2 values"):
        write_series(tmp_path / "run.pvd", mesh, [{"u": np.zeros(4)}] * 2, times=[0.0])
    with pytest.raises(ValueError, match=r"fields\[1\]\['u'\]: expected 4 rows"):
        write_series(tmp_path / "run.pvd", mesh, [{"u": np.zeros(4)}, {"u": np.zeros(5)}])
    with pytest.raises(TypeError, match="fields: expected a non-empty sequence"):
        write_series(tmp_path / "run.pvd", mesh, {"u": np.zeros(4)})
    assert list(tmp_path.iterdir()) == []

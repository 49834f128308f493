"""Tests of rom.io.write_arrays / read_arrays: the one "arrays + JSON header" file."""

import os

import numpy as np
import pytest
import scipy.sparse

import rom
from rom.io import read_arrays, read_header, write_arrays


def test_round_trip_dense_sparse_none_and_header(tmp_path):
    A = scipy.sparse.random(7, 5, density=0.4, random_state=0, format="csr")
    A = (A + 1j * A).tocsr()
    arrays = {
        "u": np.arange(6.0).reshape(2, 3),
        "n": np.arange(4, dtype=np.int32),
        "A": A,
        "nothing": None,
        "name": np.array("text"),
    }
    path = tmp_path / "a.npz"
    write_arrays(path, arrays, {"note": [1, 2.5, "x"], "nan": float("nan")})
    header, back = read_arrays(path)
    assert header["note"] == [1, 2.5, "x"] and np.isnan(header["nan"])
    assert set(back) == set(arrays)
    np.testing.assert_array_equal(back["u"], arrays["u"])
    assert back["n"].dtype == np.int32
    assert scipy.sparse.issparse(back["A"]) and back["A"].dtype == np.complex128
    assert abs(back["A"] - A).max() == 0
    assert back["nothing"] is None and str(back["name"]) == "text"
    # a plain .npz, without pickle
    with np.load(path, allow_pickle=False) as data:
        assert {"u", "A.data", "A.indices", "A.indptr"} <= set(data.files)


def test_models_are_written_by_the_same_function(tmp_path):
    pod = rom.POD(rank=2).fit(np.random.default_rng(0).standard_normal((10, 4)))
    rom.save(pod, tmp_path / "pod.npz")
    header, arrays = read_arrays(tmp_path / "pod.npz")
    assert header == read_header(tmp_path / "pod.npz") and header["class"] == "POD"
    np.testing.assert_array_equal(arrays["basis_"], pod.basis_)


def test_write_errors_leave_nothing(tmp_path):
    path = tmp_path / "a.npz"
    with pytest.raises(TypeError, match=r"arrays\['o'\]: expected a numeric array"):
        write_arrays(path, {"o": np.array([object()])}, {})
    with pytest.raises(TypeError, match="header: not JSON-serialisable"):
        write_arrays(path, {"u": np.zeros(2)}, {"x": object()})
    with pytest.raises(TypeError, match="header: expected a dict"):
        write_arrays(path, {"u": np.zeros(2)}, [1])
    with pytest.raises(ValueError, match="arrays: invalid array name"):
        write_arrays(path, {"__romba_header__": np.zeros(2)}, {})
    with pytest.raises(TypeError, match="path: expected a file path"):
        write_arrays(3, {}, {})
    with pytest.raises(FileNotFoundError, match="path: directory"):
        write_arrays(tmp_path / "nope" / "a.npz", {}, {})
    assert os.listdir(tmp_path) == []


def test_a_failed_write_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "a.npz"
    write_arrays(path, {"u": np.ones(3)}, {"v": 1})

    def broken(fh, **payload):
        fh.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(OSError, match="disk full"):
        write_arrays(path, {"u": np.zeros(3)}, {"v": 2})
    monkeypatch.undo()
    header, arrays = read_arrays(path)
    assert header["v"] == 1 and arrays["u"].tolist() == [1.0, 1.0, 1.0]
    assert os.listdir(tmp_path) == ["a.npz"]


@pytest.mark.parametrize("fraction", [0.0, 0.3, 0.9])
def test_read_errors_name_the_path(tmp_path, fraction):
    path = tmp_path / "a.npz"
    write_arrays(path, {"u": np.ones(50)}, {})
    raw = path.read_bytes()
    bad = tmp_path / "bad.npz"
    bad.write_bytes(raw[: int(fraction * len(raw))])
    with pytest.raises(ValueError, match=r"path: .*bad\.npz"):
        read_arrays(bad)
    with pytest.raises(FileNotFoundError, match="path: no such file"):
        read_arrays(tmp_path / "missing.npz")
    plain = tmp_path / "plain.npz"
    np.savez(plain, u=np.ones(2))
    with pytest.raises(ValueError, match=r"is an \.npz file but not a romba file"):
        read_arrays(plain)


def test_read_refuses_a_corrupt_sparse_entry(tmp_path):
    path = tmp_path / "a.npz"
    write_arrays(path, {"A": scipy.sparse.eye(3, format="csr")}, {})
    with np.load(path, allow_pickle=False) as data:
        payload = {k: data[k] for k in data.files if k != "A.indptr"}
    with open(path, "wb") as fh:
        np.savez(fh, **payload)
    with pytest.raises(ValueError, match="corrupt sparse matrix"):
        read_arrays(path)

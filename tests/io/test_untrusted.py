"""Model files are untrusted input (issue 18): every loaded array is checked before use."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import meshio
import numpy as np
import pytest
import scipy.sparse

import rom
from rom.eim import EIM
from rom.io import read_fields, read_matrix
from rom.io.persist import _HEADER

ROOT = Path(__file__).resolve().parents[2]


def _raw(path):
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def _edited(src, dst, key, index, value):
    raw = _raw(src)
    arr = raw[key].copy()
    arr[index] = value
    raw[key] = arr
    with open(dst, "wb") as fh:
        np.savez(fh, **raw)
    return dst


def _with_header(src, dst, **changes):
    raw = _raw(src)
    header = json.loads(str(raw[_HEADER]))
    for key, value in changes.items():
        if value is ...:
            header.pop(key)
        else:
            header[key] = value
    raw[_HEADER] = np.array(json.dumps(header))
    with open(dst, "wb") as fh:
        np.savez(fh, **raw)
    return dst


# ---------------------------------------------------------------------- sparse matrices
@pytest.fixture
def sparse_pod(tmp_path):
    rng = np.random.default_rng(0)
    S = rng.standard_normal((30, 8))
    M = scipy.sparse.diags(
        [rng.uniform(1, 2, 30), 0.1 * np.ones(29), 0.1 * np.ones(29)], [0, 1, -1], format="csr"
    )
    path = tmp_path / "pod.npz"
    rom.save(rom.POD(rank=3, inner=M).fit(S), path)
    return path, S


@pytest.mark.parametrize(
    ("key", "index", "value", "match"),
    [
        ("inner.indices", 3, 10**6, "indices must be < 30"),
        ("inner.indices", 0, -5, "indices must be >= 0"),
        ("inner.indptr", 5, -3, "non-decreasing"),
        ("inner.indptr", 0, 1, "start with 0"),
        ("inner.indptr", -1, 10**9, "end at nnz"),
    ],
)
def test_pod_with_an_edited_sparse_inner_is_refused(
    sparse_pod, tmp_path, key, index, value, match
):
    src, _ = sparse_pod
    bad = _edited(src, tmp_path / "bad.npz", key, index, value)
    with pytest.raises(
        ValueError, match=rf"path: .*bad\.npz.* corrupt sparse matrix 'inner'.*{match}"
    ):
        rom.load(bad)  # not used here: the old reader's use crashed the interpreter


def test_pod_sparse_inner_with_float_indices_is_refused(sparse_pod, tmp_path):
    src, _ = sparse_pod
    raw = _raw(src)
    raw["inner.indices"] = raw["inner.indices"].astype(float)
    bad = tmp_path / "bad.npz"
    with open(bad, "wb") as fh:
        np.savez(fh, **raw)
    with pytest.raises(ValueError, match=r"bad\.npz.*indices: expected a 1-D integer array"):
        rom.load(bad)


@pytest.fixture
def npz_matrix(tmp_path):
    A = scipy.sparse.random(6, 5, density=0.5, format="csr", random_state=0)
    path = tmp_path / "A.npz"
    scipy.sparse.save_npz(path, A)
    return path, A


@pytest.mark.parametrize(
    ("key", "index", "value", "match"),
    [
        ("indptr", 3, 100, "non-decreasing"),
        ("indptr", -1, 10**6, "Last value of index pointer"),
        ("indices", 2, 10**6, "indices must be < 5"),
        ("indices", 2, 5, "indices must be < 5"),
    ],
)
def test_read_matrix_refuses_a_corrupt_save_npz_file(
    npz_matrix, tmp_path, key, index, value, match
):
    src, _ = npz_matrix
    bad = _edited(src, tmp_path / "bad.npz", key, index, value)
    with pytest.raises(ValueError, match=rf"path: .*bad\.npz.* corrupt sparse matrix.*{match}"):
        read_matrix(bad)  # not used here: the old reader's use crashed the interpreter


@pytest.mark.parametrize("fmt", ["csc", "coo", "bsr"])
def test_read_matrix_checks_every_sparse_format(tmp_path, fmt):
    A = scipy.sparse.random(6, 5, density=0.5, format=fmt, random_state=0)
    src = tmp_path / "A.npz"
    scipy.sparse.save_npz(src, A)
    np.testing.assert_allclose(read_matrix(src).toarray(), A.toarray())
    key = "col" if fmt == "coo" else "indices"
    bad = _edited(src, tmp_path / "bad.npz", key, 0, 10**6)
    # in a subprocess: the old reader's conversion to CSR crashed the interpreter
    code = f"from rom.io import read_matrix; read_matrix({str(bad)!r})"
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1, proc.stderr[-1000:]
    assert re.search(r"ValueError: path: .*bad\.npz.* corrupt sparse matrix", proc.stderr)


# ---------------------------------------------------------------------- headers and arrays
@pytest.fixture
def saved_pod(tmp_path):
    S = np.random.default_rng(1).standard_normal((20, 6))
    path = tmp_path / "pod.npz"
    rom.save(rom.POD(rank=3).fit(S), path)
    return path, S


def test_header_without_class(saved_pod, tmp_path):
    bad = _with_header(saved_pod[0], tmp_path / "bad.npz", **{"class": ...})
    with pytest.raises(ValueError, match=r"path: .*bad\.npz.* names no class"):
        rom.load(bad)


@pytest.mark.parametrize("settings", ["abc", [1, 2], None, {}, {"params": "x", "fitted": {}}])
def test_settings_that_are_not_a_mapping(saved_pod, tmp_path, settings):
    bad = _with_header(saved_pod[0], tmp_path / "bad.npz", settings=settings)
    with pytest.raises(ValueError, match=r"path: .*bad\.npz.*POD: expected settings mapping"):
        rom.load(bad)


@pytest.mark.parametrize(
    ("key", "value", "match"),
    [
        ("basis_", lambda a: np.where(a == a.flat[0], np.nan, a), "basis_: contains NaN"),
        ("basis_", lambda a: a[:, 0], "basis_: expected a 2-D array"),
        ("singular_values_", lambda a: a[::-1], "singular_values_: expected non-negative, non-i"),
        ("singular_values_", lambda a: a[:2], r"singular_values_: expected shape \(3\)"),
        ("singular_values_", lambda a: -a, "singular_values_: expected non-negative"),
        ("energy_", lambda a: a * 0.5, "energy_: expected the cumulative"),
        ("singular_value_error_", lambda a: a[:1], "singular_value_error_: expected shape"),
    ],
)
def test_pod_arrays_are_checked_at_load(saved_pod, tmp_path, key, value, match):
    raw = _raw(saved_pod[0])
    raw[key] = value(raw[key])
    bad = tmp_path / "bad.npz"
    with open(bad, "wb") as fh:
        np.savez(fh, **raw)
    with pytest.raises(ValueError, match=rf"path: .*bad\.npz.*{match}"):
        rom.load(bad)


def test_pod_inner_of_the_wrong_size(saved_pod, tmp_path):
    S = np.random.default_rng(1).standard_normal((20, 6))
    path = tmp_path / "p.npz"
    rom.save(rom.POD(rank=2, inner=np.eye(20)).fit(S), path)
    raw = _raw(path)
    raw["inner"] = np.eye(19)
    with open(path, "wb") as fh:
        np.savez(fh, **raw)
    with pytest.raises(ValueError, match=r"p\.npz.*inner_: expected shape \(20, 20\)"):
        rom.load(path)


@pytest.fixture
def saved_eim(tmp_path):
    x = np.linspace(0, 1, 60)[:, None]
    S = np.exp(-np.linspace(1, 3, 20)[None, :] * x)
    path = tmp_path / "eim.npz"
    rom.save(EIM(max_terms=5).fit(S), path)
    return path, S


@pytest.mark.parametrize(
    ("key", "index", "value", "match"),
    [
        ("points_", 1, 60, r"points_: expected indices in 0 \.\. 59"),
        ("points_", 1, -1, r"points_: expected indices in 0 \.\. 59"),
        ("points_", 1, None, "points_: expected distinct indices"),  # a repeated point
        ("points_", 1, 30, r"interpolation_matrix_: expected basis_\[points_\]"),
        ("params_", 0, 20, r"params_: expected indices in 0 \.\. 19"),
        ("error_points_", 0, 10**9, "error_points_: expected indices"),
        ("basis_", (3, 1), np.inf, "basis_: contains NaN or inf"),
    ],
)
def test_eim_arrays_are_checked_at_load(saved_eim, tmp_path, key, index, value, match):
    src, S = saved_eim
    if value is None:
        value = _raw(src)["points_"][0]
    if key == "points_" and value == 30:
        value = next(i for i in range(60) if i not in _raw(src)["points_"])
    bad = _edited(src, tmp_path / "bad.npz", key, index, value)
    with pytest.raises(ValueError, match=rf"path: .*bad\.npz.*{match}"):
        rom.load(bad).approximate(S)


def test_eim_round_trip_is_unchanged(saved_eim):
    src, S = saved_eim
    back = rom.load(src)
    np.testing.assert_array_equal(back.approximate(S), EIM(max_terms=5).fit(S).approximate(S))


# ---------------------------------------------------------------------- meshes
def test_read_fields_of_a_truncated_vtu_raises_a_value_error(tmp_path):
    pts = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    good = tmp_path / "good.vtu"
    meshio.Mesh(pts, [("triangle", [[0, 1, 2]])], point_data={"u": pts[:, 0]}).write(good)
    bad = tmp_path / "bad.vtu"
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    # meshio ends the interpreter (SystemExit) on this file: romba turns it into an error
    with pytest.raises(ValueError, match=r"paths: .*bad\.vtu.* could not be read as a mesh"):
        read_fields([good, bad], "u")


# ---------------------------------------------------------------------- fuzz
@pytest.mark.parametrize("name", ["POD", "EIM", "ReducedModel", "Surrogate", "LocalPOD", "EIFMM"])
def test_fuzz_single_edits_of_a_saved_model(tmp_path, name):
    """Single edits of every integer and float array of a saved model (each array with
    each value of the fuzzer, at a random position): a clear ValueError naming the file
    at load, or a result; never a crash (the edits run in a subprocess), never a wrong
    result after an edit of an integer (index) array or a NaN / infinity."""
    proc = subprocess.run(
        [sys.executable, "-m", "tests.io._fuzz_models", name, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"the interpreter died ({proc.returncode}): {proc.stderr[-2000:]}"
    lines = [json.loads(ln) for ln in proc.stdout.splitlines() if ln.startswith("{")]
    assert len(lines) >= 10
    for line in lines:
        where = f"{line['array']}[{line['index']}] = {line['value']}"
        nonfinite = line["value"] in ("nan", "inf")
        if line["outcome"] == "result":
            # a finite edit of a value gives another valid model; an edit of an index or
            # a NaN / infinity never passes unnoticed
            assert line["same"] or not (line["int"] or nonfinite), f"{where}: a wrong result"
            continue
        assert line["outcome"] == "ValueError", f"{where}: {line['outcome']} {line['message']}"
        if line["phase"] == "load" or line["int"] or nonfinite:
            # index edits and non-finite values are caught at load, naming the file
            assert line["phase"] == "load", f"{where}: not caught at load: {line['message']}"
            assert f"{name}-edited.npz" in line["message"], f"{where}: {line['message']}"
        else:  # a finite value too large to use: the error names the argument it met
            assert re.match(r"\w+: ", line["message"]), f"{where}: {line['message']}"

"""Tests of rom.io.persist: save / load without pickle, atomic writes, bad files."""

import json
import os
import stat
import zipfile

import numpy as np
import pytest
import scipy.sparse

import rom
from rom._base import Estimator
from rom.io import atomic_write, read_header, registry
from rom.io.persist import _HEADER, FORMAT_VERSION


def snapshots(complex_: bool, n: int = 40, m: int = 12, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.linspace(0.0, 1.0, n)[:, None]
    mu = rng.uniform(1.0, 3.0, m)[None, :]
    S = np.exp(-mu * x) + 0.1 * np.sin(3 * mu * x)
    if complex_:
        S = S + 1j * np.cos(mu * x) * x
    return S


def mass_matrix(n: int) -> scipy.sparse.csr_matrix:
    # 1-D P1 mass matrix: sparse, symmetric positive definite
    h = 1.0 / (n - 1)
    main = np.full(n, 4.0 * h / 6.0)
    main[[0, -1]] = 2.0 * h / 6.0
    off = np.full(n - 1, h / 6.0)
    return scipy.sparse.diags([off, main, off], [-1, 0, 1], format="csr")


def write_payload(path, payload: dict) -> None:
    with open(path, "wb") as fh:
        np.savez(fh, **payload)


def rewrite_header(src, dst, **changes) -> None:
    """Copy a romba file, changing entries of its JSON header."""
    with np.load(src, allow_pickle=False) as data:
        payload = {k: data[k] for k in data.files}
    header = json.loads(str(payload[_HEADER]))
    header.update(changes)
    payload[_HEADER] = np.array(json.dumps(header))
    write_payload(dst, payload)


@pytest.fixture
def saved_pod(tmp_path):
    S = snapshots(False)
    pod = rom.POD(rank=4).fit(S)
    path = tmp_path / "pod.npz"
    rom.save(pod, path)
    return pod, path, S


# ---------------------------------------------------------------------- round trip
@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("with_inner", [False, True], ids=["euclidean", "mass"])
def test_round_trip(tmp_path, complex_, with_inner):
    S = snapshots(complex_)
    inner = mass_matrix(S.shape[0]) if with_inner else None
    pod = rom.POD(tol=1e-8, inner=inner).fit(S)
    path = tmp_path / "pod.npz"
    rom.save(pod, path)
    back = rom.load(path)

    assert type(back) is rom.POD
    assert back.rank_ == pod.rank_
    assert back.method_ == pod.method_ and back.tol == pod.tol
    assert back.total_energy_ == pod.total_energy_
    for name in ("basis_", "singular_values_", "singular_value_error_", "energy_"):
        np.testing.assert_array_equal(getattr(back, name), getattr(pod, name))
    assert back.basis_.dtype == (np.complex128 if complex_ else np.float64)
    if with_inner:
        assert scipy.sparse.issparse(back.inner_)
        np.testing.assert_array_equal(back.inner_.toarray(), inner.toarray())
    else:
        assert back.inner_ is None
    # the loaded model computes what the original computes
    probe = snapshots(complex_, seed=1)
    np.testing.assert_allclose(back.transform(probe), pod.transform(probe), rtol=0, atol=1e-14)
    np.testing.assert_allclose(
        back.projection_error(probe), pod.projection_error(probe), rtol=0, atol=1e-14
    )
    # and the reference: U^H M s computed directly
    M = np.eye(S.shape[0]) if inner is None else inner.toarray()
    np.testing.assert_allclose(
        back.transform(probe), back.basis_.conj().T @ M @ probe, rtol=0, atol=1e-12
    )


def test_method_save_and_header(tmp_path, saved_pod):
    pod, _, _ = saved_pod
    other = tmp_path / "other.npz"
    pod.save(other)
    header = read_header(other)
    assert header["format"] == "romba"
    assert header["format_version"] == FORMAT_VERSION
    assert header["romba_version"] == rom.__version__
    assert header["class"] == "POD"
    assert header["settings"]["params"]["rank"] == 4
    assert header["parts"] == {}


def test_file_is_a_plain_npz_without_pickle(saved_pod):
    pod, path, _ = saved_pod
    assert zipfile.is_zipfile(path)
    with np.load(path, allow_pickle=False) as data:
        assert _HEADER in data.files
        np.testing.assert_array_equal(data["basis_"], pod.basis_)
        assert all(data[k].dtype.kind != "O" for k in data.files)
        header = json.loads(str(data[_HEADER]))
    assert header["class"] == "POD"


def test_sparse_inner_is_stored_as_csr_parts(tmp_path):
    S = snapshots(False)
    inner = mass_matrix(S.shape[0])
    rom.save(rom.POD(rank=3, inner=inner).fit(S), tmp_path / "p.npz")
    with np.load(tmp_path / "p.npz", allow_pickle=False) as data:
        assert {"inner.data", "inner.indices", "inner.indptr"} <= set(data.files)
        np.testing.assert_array_equal(data["inner.data"], inner.data)
    assert read_header(tmp_path / "p.npz")["sparse"] == {"inner": list(inner.shape)}


def test_saved_file_has_ordinary_permissions(tmp_path, saved_pod):
    _, path, _ = saved_pod
    reference = tmp_path / "reference"
    reference.write_bytes(b"")  # created with the umask, like any new file
    assert stat.S_IMODE(os.stat(path).st_mode) == stat.S_IMODE(os.stat(reference).st_mode)


# ---------------------------------------------------------------------- save errors
def test_save_unfitted_pod_raises_and_writes_nothing(tmp_path):
    with pytest.raises(rom.NotFittedError, match="not fitted"):
        rom.save(rom.POD(rank=2), tmp_path / "pod.npz")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("obj", [np.zeros(3), {"basis_": np.zeros(3)}, "pod", None])
def test_save_non_romba_object(tmp_path, obj):
    with pytest.raises(TypeError, match=r"obj: .* cannot be saved by romba"):
        rom.save(obj, tmp_path / "x.npz")
    assert list(tmp_path.iterdir()) == []


def test_save_bad_path_type(saved_pod):
    pod, _, _ = saved_pod
    with pytest.raises(TypeError, match="path: expected a file path"):
        rom.save(pod, 3)


def test_save_into_missing_directory(tmp_path, saved_pod):
    pod, _, _ = saved_pod
    with pytest.raises(FileNotFoundError, match=r"path: directory .* does not exist"):
        rom.save(pod, tmp_path / "nope" / "pod.npz")


def test_save_onto_a_directory_leaves_no_temporary_file(tmp_path, saved_pod):
    pod, _, _ = saved_pod
    (tmp_path / "target").mkdir()
    before = set(os.listdir(tmp_path))
    with pytest.raises(OSError):
        rom.save(pod, tmp_path / "target")
    assert set(os.listdir(tmp_path)) == before


# ---------------------------------------------------------------------- load errors
def test_load_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="path: no such file"):
        rom.load(tmp_path / "missing.npz")


def test_load_bad_path_type():
    with pytest.raises(TypeError, match="path: expected a file path"):
        rom.load(None)


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.5, 0.9, 0.99])
def test_load_truncated_file(tmp_path, saved_pod, fraction):
    _, path, _ = saved_pod
    raw = path.read_bytes()
    bad = tmp_path / "truncated.npz"
    bad.write_bytes(raw[: int(fraction * len(raw))])
    with pytest.raises(ValueError, match=r"path: .*truncated\.npz"):
        rom.load(bad)


@pytest.mark.parametrize("prefix", [b"", b"PK\x03\x04", b"\x93NUMPY"])
def test_load_random_bytes(tmp_path, prefix):
    bad = tmp_path / "random.npz"
    bad.write_bytes(prefix + np.random.default_rng(0).bytes(300))
    with pytest.raises(ValueError, match=r"path: .*random\.npz"):
        rom.load(bad)


def test_load_npy_file(tmp_path):
    path = tmp_path / "basis.npy"
    np.save(path, np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"path: .*not a readable romba file"):
        rom.load(path)


def test_load_npz_without_header(tmp_path):
    path = tmp_path / "plain.npz"
    write_payload(path, {"basis_": np.ones((3, 2))})
    with pytest.raises(ValueError, match=r"path: .*is an \.npz file but not a romba file"):
        rom.load(path)
    with pytest.raises(ValueError, match="not a romba file"):
        read_header(path)


@pytest.mark.parametrize(
    "text", ["{not json", "[1, 2]", json.dumps({"format": "other", "format_version": 1})]
)
def test_load_bad_header(tmp_path, saved_pod, text):
    _, src, _ = saved_pod
    with np.load(src, allow_pickle=False) as data:
        payload = {k: data[k] for k in data.files}
    payload[_HEADER] = np.array(text)
    bad = tmp_path / "bad.npz"
    write_payload(bad, payload)
    with pytest.raises(ValueError, match=r"path: .*bad\.npz"):
        rom.load(bad)


@pytest.mark.parametrize(
    "cls",
    [
        "builtins:eval",
        "os:system",
        "subprocess:Popen",
        "numpy:load",
        "rom.linalg.pod:POD",  # a module path, not an alias: never imported from a file
        "rom.io.persist:os.system",
        "romx:POD",
        "Nope",
        "__class__",
        "",
        None,
        ["POD"],
    ],
)
def test_load_refuses_anything_but_a_registered_alias(tmp_path, saved_pod, cls):
    _, src, _ = saved_pod
    bad = tmp_path / "evil.npz"
    rewrite_header(src, bad, **{"class": cls})
    with pytest.raises(ValueError, match="names an unknown class"):
        rom.load(bad)


def test_load_refuses_the_previous_format(tmp_path, saved_pod):
    _, src, _ = saved_pod
    old = tmp_path / "old.npz"
    rewrite_header(src, old, format_version=1)
    with pytest.raises(ValueError, match=r"path: .*file format 1 .*save the model again"):
        rom.load(old)


@pytest.mark.parametrize("version", [FORMAT_VERSION + 1, "1", None])
def test_load_newer_or_invalid_format_version(tmp_path, saved_pod, version):
    _, src, _ = saved_pod
    bad = tmp_path / "future.npz"
    rewrite_header(src, bad, format_version=version, romba_version="99.0")
    with pytest.raises(ValueError, match=r"path: .*file format .*upgrade romba"):
        rom.load(bad)


def test_load_missing_array(tmp_path, saved_pod):
    _, src, _ = saved_pod
    with np.load(src, allow_pickle=False) as data:
        payload = {k: data[k] for k in data.files if k != "basis_"}
    bad = tmp_path / "partial.npz"
    write_payload(bad, payload)
    with pytest.raises(ValueError, match=r"path: .*lacks the array 'basis_'"):
        rom.load(bad)


def test_load_missing_sparse_part(tmp_path):
    S = snapshots(False)
    src = tmp_path / "p.npz"
    rom.save(rom.POD(rank=2, inner=mass_matrix(S.shape[0])).fit(S), src)
    with np.load(src, allow_pickle=False) as data:
        payload = {k: data[k] for k in data.files if k != "inner.indptr"}
    bad = tmp_path / "partial.npz"
    write_payload(bad, payload)
    with pytest.raises(ValueError, match=r"path: .*corrupt sparse matrix"):
        rom.load(bad)


# ---------------------------------------------------------------------- atomic_write
def test_atomic_write_success_replaces_destination(tmp_path):
    target = tmp_path / "a.npy"
    target.write_bytes(b"old")
    with atomic_write(target) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".npy" and tmp != target
        assert target.read_bytes() == b"old"  # nothing visible before the end
        np.save(tmp, np.arange(3.0))
    np.testing.assert_array_equal(np.load(target), np.arange(3.0))
    assert os.listdir(tmp_path) == ["a.npy"]


def test_atomic_write_failure_leaves_no_temporary_and_keeps_destination(tmp_path):
    target = tmp_path / "a.npy"
    target.write_bytes(b"precious")
    with pytest.raises(RuntimeError, match="boom"), atomic_write(target) as tmp:
        tmp.write_bytes(b"half-writ")
        raise RuntimeError("boom")
    assert target.read_bytes() == b"precious"
    assert os.listdir(tmp_path) == ["a.npy"]


def test_atomic_write_failure_without_destination_creates_nothing(tmp_path):
    with pytest.raises(KeyError), atomic_write(tmp_path / "new.vtu"):
        raise KeyError("x")
    assert os.listdir(tmp_path) == []


def test_atomic_write_failed_save_keeps_the_previous_model(tmp_path, saved_pod, monkeypatch):
    pod, path, _ = saved_pod
    before = path.read_bytes()

    def broken_savez(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        rom.save(rom.POD(rank=1).fit(snapshots(False)), path)
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == ["pod.npz"]
    monkeypatch.undo()
    np.testing.assert_array_equal(rom.load(path).basis_, pod.basis_)


# ---------------------------------------------------------------------- parts and aliases
class Scaled(Estimator):
    """A small estimator holding a user function (a part) and a nested POD."""

    def __init__(self, function=None, pod=None, scale=1.0, options=None):
        self.function = function
        self.pod = pod
        self.scale = scale
        self.options = options

    def fit(self, x):
        self.values_ = self.scale * self.function(np.asarray(x, float))
        self.shape_ = self.values_.shape
        return self


@pytest.fixture
def scaled_registered(monkeypatch):
    """Register the test class under an alias, as romba's own classes are."""
    path = f"{Scaled.__module__}:{Scaled.__qualname__}"
    monkeypatch.setitem(registry.CLASSES, "Scaled", path)
    monkeypatch.setitem(registry._BY_PATH, path, "Scaled")
    return Scaled


def test_parts_are_named_and_given_back(tmp_path, scaled_registered):
    pod = rom.POD(rank=2).fit(snapshots(False))
    options = {"grid": (1, 2.5, "x"), "flags": [True, None], "c": 1 + 2j, "dt": np.dtype("f4")}
    est = Scaled(np.sin, pod, 2.0, options).fit([0.5, 1.0])
    path = tmp_path / "s.npz"
    rom.save(est, path)
    header = read_header(path)
    assert header["class"] == "Scaled"
    assert header["parts"] == {"function": "Scaled.function: a callable"}
    with pytest.raises(ValueError, match=r"give them to rom\.load by name \(function=\.\.\.\)"):
        rom.load(path)
    with pytest.raises(ValueError, match="other: not a part of"):
        rom.load(path, function=np.sin, other=1)
    back = rom.load(path, function=np.sin)
    assert back.function is np.sin and back.scale == 2.0 and back.shape_ == (2,)
    assert back.options == options  # tuples, lists, None, complex and dtypes come back as such
    assert isinstance(back.options["grid"], tuple)
    np.testing.assert_array_equal(back.values_, 2.0 * np.sin([0.5, 1.0]))
    np.testing.assert_array_equal(back.pod.basis_, pod.basis_)  # the nested POD
    assert repr(back) == repr(est)


def test_a_part_met_twice_is_one_part(tmp_path, scaled_registered):
    shared = lambda x: x  # noqa: E731
    est = Scaled(shared, None, 1.0, {"again": shared}).fit([1.0])
    rom.save(est, tmp_path / "s.npz")
    assert list(read_header(tmp_path / "s.npz")["parts"]) == ["function"]
    back = rom.load(tmp_path / "s.npz", function=abs)
    assert back.options["again"] is abs


def test_an_array_met_twice_is_stored_once(tmp_path):
    S = snapshots(False)
    inner = mass_matrix(S.shape[0])
    rom.save(rom.POD(rank=2, inner=inner).fit(S), tmp_path / "p.npz")
    header = read_header(tmp_path / "p.npz")
    assert header["settings"]["fitted"]["inner_"] == {"$array": "inner"}


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        ({"params": {"function": {"$part": "function"}, "bogus": 1}}, "unexpected saved"),
        ({"fitted": {"__class__": 1}}, "unexpected saved"),
        ({"fitted": {"values_": {"$eval": "1"}}}, "unknown entry"),
        ({"fitted": {"values_": {"$array": "missing"}}}, "lacks the array"),
        ({"fitted": {"values_": {"$object": "os.system", "settings": {}}}}, "unknown class"),
    ],
)
def test_hostile_settings_are_refused(tmp_path, scaled_registered, edit, match):
    est = Scaled(np.sin, None, 1.0).fit([1.0])
    src, bad = tmp_path / "s.npz", tmp_path / "bad.npz"
    rom.save(est, src)
    settings = read_header(src)["settings"]
    for key, value in edit.items():
        settings[key] = {**settings[key], **value}
    rewrite_header(src, bad, settings=settings)
    with pytest.raises(ValueError, match=match):
        rom.load(bad, function=np.sin)

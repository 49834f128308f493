import numba
import numpy as np
import pytest

import rom
from rom.fmm import EIFMM, _farfield, kernels
from tests.fmm.conftest import distribution

N = 3000

CASES = {
    # homogeneous kernel: one shared, compressed M2L table for every level
    "laplace": lambda: (EIFMM(kernels.laplace(), tol=1e-6, leaf_size=30), "cube", 3, False),
    "gaussian, separate targets": lambda: (
        EIFMM(kernels.gaussian(0.3), tol=1e-6, leaf_size=30),
        "blobs",
        3,
        True,
    ),
    "log 2-D": lambda: (EIFMM(kernels.log(), tol=1e-9, leaf_size=20), "sphere", 2, False),
    "helmholtz": lambda: (EIFMM(kernels.helmholtz(2.0), tol=1e-3, leaf_size=40), "cube", 3, False),
    "chebyshev": lambda: (
        EIFMM(kernels.matern(1.5, 0.3), tol=1e-3, leaf_size=40, interpolation="chebyshev"),
        "cube",
        3,
        False,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_loaded_eifmm_evaluates_exactly_as_the_saved_one(case, tmp_path, rng, monkeypatch):
    fmm, dist, dim, separate = CASES[case]()
    y = distribution(dist, N, dim)
    x = rng.random((700, dim)) if separate else None
    fmm.fit(y, x)
    Q = rng.standard_normal((N, 2))
    path = tmp_path / "fmm.npz"
    fmm.save(path)
    # nothing of the fit runs again: no training, no tree
    rom.fmm.clear_cache()
    monkeypatch.setattr(_farfield, "train", lambda *a, **k: pytest.fail("trained on load"))
    loaded = rom.load(path)
    assert isinstance(loaded, EIFMM)
    assert np.array_equal(loaded.evaluate(Q), fmm.evaluate(Q))
    assert np.array_equal(loaded.evaluate(Q[:, 0]), fmm.evaluate(Q[:, 0]))
    assert loaded.ranks_ == fmm.ranks_ and loaded.m2l_ranks_ == fmm.m2l_ranks_
    assert loaded.error_estimate_ == fmm.error_estimate_
    assert loaded.kernel_.name == fmm.kernel_.name and loaded.tol == fmm.tol
    assert rom.io.persist.read_header(path)["class"] == "EIFMM"


@pytest.mark.slow
def test_a_user_kernel_is_a_named_part(tmp_path, rng):
    # user kernels compile their own loops (seconds)
    f = numba.njit(lambda r: np.exp(-r))
    y, q = distribution("cube", 800, 3), rng.standard_normal(800)
    for kernel in (kernels.radial(f), f):  # a Kernel, or the bare f(r)
        fmm = EIFMM(kernel, tol=1e-3, leaf_size=40).fit(y)
        path = tmp_path / "user.npz"
        fmm.save(path)
        assert list(rom.io.read_header(path)["parts"]) == ["kernel"]
        with pytest.raises(ValueError, match=r"give them to rom.load by name \(kernel=\.\.\.\)"):
            rom.load(path)
        loaded = rom.load(path, kernel=kernel)
        assert loaded.kernel is kernel
        assert np.array_equal(loaded.evaluate(q), fmm.evaluate(q))
    # another kernel given back is refused: its values differ from the stored ones
    other = kernels.radial(numba.njit(lambda r: np.exp(-2.0 * r)))
    with pytest.raises(ValueError, match=r"kernel: .* is not the kernel this EIFMM was fitted"):
        rom.load(path, kernel=other)
    with pytest.raises(ValueError, match="kernel: a 2-D kernel"):
        rom.load(path, kernel=kernels.gaussian(0.3, dim=2))


def test_an_unfitted_object_is_refused(tmp_path):
    with pytest.raises(rom.NotFittedError, match=r"call fit\(\.\.\.\)"):
        EIFMM(kernels.laplace()).save(tmp_path / "unset.npz")
    assert list(tmp_path.iterdir()) == []


def _saved(tmp_path):
    fmm = EIFMM(kernels.laplace(), tol=1e-3, leaf_size=30).fit(distribution("cube", 1500, 3))
    path = tmp_path / "fmm.npz"
    fmm.save(path)
    with np.load(path, allow_pickle=False) as data:
        return fmm, path, {name: data[name] for name in data.files}


def _tampered(tmp_path, arrays, name, value):
    bad = dict(arrays)
    bad[name] = value
    path = tmp_path / "bad.npz"
    np.savez(path, **bad)
    return path


@pytest.mark.parametrize(
    "name, change, match",
    [
        ("_p2p.lst", lambda a: a + 10**6, "_p2p.lst: indices out of range"),
        ("tree.src_end", lambda a: a + 1, "tree.src_end: indices out of range"),
        ("tree.src_order", lambda a: np.zeros_like(a), "tree.src_order: not a permutation"),
        ("_eq_start", lambda a: a * 2, "_eq_start: inconsistent"),
        ("_Ys", lambda a: a[:-1], r"_Ys: expected shape"),
        ("lists.p2p", lambda a: -a - 1, "lists.p2p: indices out of range"),
        ("kernel_values", lambda a: 2 * a, "kernel: laplace is not the kernel"),
    ],
)
def test_a_corrupt_file_is_refused_before_any_loop_runs(tmp_path, name, change, match):
    _, _, arrays = _saved(tmp_path)
    path = _tampered(tmp_path, arrays, name, change(arrays[name]))
    with pytest.raises(ValueError, match=match):
        rom.load(path)


def test_corrupt_m2l_arrays_are_refused(tmp_path):
    fmm, _, arrays = _saved(tmp_path)
    lev = min(fmm._m2l)
    for part, change in (("src", lambda a: a + 10**6), ("store", lambda a: a + 10**6)):
        name = f"m2l.{lev}.{part}"
        path = _tampered(tmp_path, arrays, name, change(arrays[name]))
        with pytest.raises(ValueError, match=f"{name}: indices out of range"):
            rom.load(path)

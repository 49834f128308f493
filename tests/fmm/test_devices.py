"""The array path of the evaluation (the GPU's, run here on NumPy) against the CPU's."""

import numpy as np
import pytest

from rom.fmm import EIFMM, direct_sum, kernels
from rom.fmm._devices import ArrayDevice, numpy_device
from tests.fmm.conftest import DEVICE_CASES, distribution, relative_error


@pytest.mark.parametrize("name", sorted(DEVICE_CASES))
def test_array_path_matches_the_cpu_path(name, rng):
    K, where, dim = DEVICE_CASES[name]
    y = distribution(where, 1200, dim)
    x = distribution("cube", 300, dim)
    Q = rng.standard_normal((1200, 2))
    for targets in (None, x):
        fmm = EIFMM(K, tol=1e-6, leaf_size=25).fit(y, targets)
        ref = fmm.evaluate(Q)
        dev = numpy_device(fmm)
        got = fmm._evaluate_on(dev, Q, False)
        assert got.shape == ref.shape and got.dtype == ref.dtype
        # the same triangular solves and a batched M2L: the same sums to round-off
        assert relative_error(got, ref) <= 1e-13
        one = fmm._evaluate_on(dev, Q[:, :1], True)
        assert relative_error(one, ref[:, 0]) <= 1e-13
        exact = direct_sum(K, targets, y, Q)
        assert relative_error(got, exact) <= 2e-6


def test_array_path_keeps_the_accuracy_of_tight_tolerances(rng):
    # the Lagrange operators are applied by triangular solves on every device: an
    # explicit inverse would lose four digits here
    y = distribution("cube", 2000, 3)
    K = kernels.laplace()
    fmm = EIFMM(K, tol=1e-9, leaf_size=25).fit(y)
    q = rng.standard_normal(2000)
    got = fmm._evaluate_on(numpy_device(fmm), q[:, None], True)
    assert relative_error(got, direct_sum(K, None, y, q)) <= 2e-9


def test_array_path_with_complex_charges_and_cached_device_arrays(rng):
    y = distribution("cube", 1000, 3)
    fmm = EIFMM(kernels.laplace(), tol=1e-6, leaf_size=25).fit(y)
    q = rng.standard_normal(1000) + 1j * rng.standard_normal(1000)
    dev = numpy_device(fmm)
    got = fmm._evaluate_on(dev, q[:, None], True)
    assert relative_error(got, fmm.evaluate(q)) <= 1e-13
    cached = len(dev._cache)
    fmm._evaluate_on(dev, q.real[:, None], True)
    assert len(dev._cache) == cached  # the fitted arrays are copied once


def test_batched_m2l_in_chunks(rng, monkeypatch):
    from rom.fmm import _devices

    y = distribution("cube", 2000, 3)
    fmm = EIFMM(kernels.laplace(), tol=1e-6, leaf_size=20).fit(y)
    Q = rng.standard_normal((2000, 3))
    whole = fmm._evaluate_on(numpy_device(fmm), Q, False)
    monkeypatch.setattr(_devices, "M2L_CHUNK_BYTES", 1)  # one offset per product
    chunked = fmm._evaluate_on(numpy_device(fmm), Q, False)
    assert relative_error(chunked, whole) <= 1e-13


def test_cupy_backend_is_refused_without_cupy_or_for_chebyshev(monkeypatch):
    from rom import backend

    y = distribution("cube", 200, 3)
    with pytest.raises(ValueError, match="interpolation"):
        if backend._installed("cupy"):
            EIFMM(kernels.laplace(), backend="cupy", interpolation="chebyshev").fit(y)
        else:
            raise ValueError("interpolation: cupy missing, checked below")
    if not backend._installed("cupy"):
        with pytest.raises(ValueError, match="cupy"):
            EIFMM(kernels.laplace(), backend="cupy").fit(y)
    with pytest.raises(ValueError, match="backend"):
        EIFMM(kernels.laplace(), backend="gpu").fit(y)


def test_array_device_is_generic_in_its_modules():
    y = distribution("cube", 500, 3)
    fmm = EIFMM(kernels.gaussian(0.3), tol=1e-3, leaf_size=25).fit(y)
    calls = []

    def grouped(*args):
        calls.append(len(args))
        fmm.kernel_.loops()[0](*args)

    dev = ArrayDevice(fmm, np, grouped, np.add.at)
    q = np.ones(500)
    assert relative_error(fmm._evaluate_on(dev, q[:, None], True), fmm.evaluate(q)) <= 1e-13
    assert calls and all(n == 13 for n in calls)  # kid, params, 9 plan entries, Q, out


def test_real_scatter_add_adds_complex_values_as_pairs_of_reals(rng):
    from rom.fmm._devices import real_scatter_add

    def real_only(a, index, values):  # cupy's scatter_add: no complex type
        assert a.dtype.kind == "f" and values.dtype == a.dtype
        np.add.at(a, index, values)

    add = real_scatter_add(real_only)
    a = rng.standard_normal((2, 7, 3)) + 1j * rng.standard_normal((2, 7, 3))
    want = a.copy()
    tgt = np.array([[1, 4, 1, 6], [0, 1, 1, 1]])  # repeated targets accumulate
    Y = rng.standard_normal((2, 2, 4, 3)) + 1j * rng.standard_normal((2, 2, 4, 3))
    np.add.at(want, (slice(None), tgt), Y)
    add(a, (slice(None), tgt), np.asfortranarray(Y))  # copied to C order first
    assert np.allclose(a, want, rtol=1e-15, atol=1e-15)
    r = rng.standard_normal((2, 7, 3))
    want = r.copy()
    np.add.at(want, (slice(None), tgt), Y.real)
    add(r, (slice(None), tgt), Y.real)
    assert np.array_equal(r, want)


def test_array_path_with_a_compressed_complex_m2l(rng, monkeypatch, tmp_path):
    from rom import load
    from rom.fmm import eifmm

    monkeypatch.setattr(eifmm, "COMPRESS_MIN", 0.0)  # compress every level
    y = distribution("sphere", 1200, 3)
    K = kernels.helmholtz(2.0)
    fmm = EIFMM(K, tol=1e-6, leaf_size=25).fit(y)
    assert all(fmm.m2l_ranks_[lev] < fmm.ranks_[lev] for lev in fmm.m2l_ranks_)
    Q = rng.standard_normal((1200, 2))
    ref = fmm.evaluate(Q)
    assert relative_error(ref, direct_sum(K, None, y, Q)) <= 2e-6
    assert relative_error(fmm._evaluate_on(numpy_device(fmm), Q, False), ref) <= 1e-13
    fmm.save(tmp_path / "h.rom")  # the complex basis U is saved and loaded as it is
    assert np.array_equal(load(tmp_path / "h.rom").evaluate(Q), ref)

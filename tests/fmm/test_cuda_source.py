"""The CUDA kernels of ``backend="cupy"`` without a GPU: compiled for the device by
nvcc, and run on the host (the same text as C++, its grid one thread after another)
behind a cupy on NumPy, against the numba sums. ``tests/gpu`` confirms on a device."""

import shutil
import sys

import numpy as np
import pytest

from rom.fmm import EIFMM, _cupy, direct_sum, kernels
from tests.fmm.conftest import DEVICE_CASES, builtin_kernels, distribution, relative_error
from tests.fmm.cuda_host import HostModule, nvcc_cubin, parse_globals


def launches() -> dict:
    """How often each raw kernel ran since the module was made."""
    return {n: f.launches for n, f in _cupy._MODULE._functions.items()}


def test_the_cuda_source_compiles_for_the_device():
    if shutil.which("nvcc") is None:
        pytest.skip("nvcc is not installed")
    cubin = nvcc_cubin(_cupy._SOURCE, "sm_90")  # H100; warnings are errors
    for name in ("direct_real", "direct_complex", "grouped_real", "grouped_complex"):
        assert name.encode() in cubin


def test_every_entry_point_is_parsed_with_its_parameters():
    found = parse_globals(_cupy._SOURCE)
    assert sorted(found) == ["direct_complex", "direct_real", "grouped_complex", "grouped_real"]
    assert [a[1] for a in found["direct_real"]] == [
        *("kid", "p", "tp", "nt", "sp", "ns", "Q", "k", "exclude", "out")
    ]
    assert found["grouped_complex"][11][:3] == ("cplx", "Q", True)


def test_the_host_launch_refuses_what_the_device_would_misread():
    from tests.fmm.cuda_host import DeviceArray

    fn = HostModule(_cupy._SOURCE).get_function("direct_real")

    def dev(a):
        return a.view(DeviceArray)

    y, Q, out = dev(np.zeros((4, 3))), dev(np.zeros((1, 4))), dev(np.zeros((1, 4)))
    args = [np.int32(0), dev(np.zeros(1)), y, np.int32(4), y, np.int32(4), Q, np.int32(1)]
    with pytest.raises(TypeError, match="nt is a C int"):
        fn((1,), (32,), (*args[:3], np.int64(4), *args[4:], np.bool_(True), out))
    with pytest.raises(TypeError, match="out must be a float64 array"):
        fn((1,), (32,), (*args, np.bool_(True), out.astype(np.float32)))
    with pytest.raises(TypeError, match="C-contiguous"):
        bad = dev(np.zeros((1, 8)))[:, ::2]
        fn((1,), (32,), (*args[:6], bad, args[7], np.bool_(True), out))
    with pytest.raises(TypeError, match="out is a host"):
        fn((1,), (32,), (*args, np.bool_(True), np.zeros((1, 4))))
    fn((1,), (32,), (*args, np.bool_(True), out))  # the right types run


ALL3 = builtin_kernels(3) | {"log3": kernels.log(dim=3), "gaussian_narrow": kernels.gaussian(0.1)}


@pytest.mark.parametrize("name", sorted(ALL3))
def test_cuda_direct_sum_matches_numba(name, host_cupy, rng):
    K = ALL3[name]
    y, x = rng.random((300, 3)), rng.random((130, 3))
    Q = rng.standard_normal((300, 3))
    for targets in (None, x):
        ref = direct_sum(K, targets, y, Q, backend="numba")
        got = direct_sum(K, targets, y, Q, backend="cupy")
        assert got.shape == ref.shape and got.dtype == ref.dtype
        assert relative_error(got, ref) <= 1e-13
    assert launches()["direct_complex" if K.is_complex else "direct_real"] == 2


def test_cuda_direct_sum_in_2d_more_than_16_charge_vectors_and_complex_charges(host_cupy, rng):
    y = rng.random((250, 2))
    K = kernels.matern(1.5, 0.2, dim=2)
    Q = rng.standard_normal((250, 21))  # two passes of the 16 accumulators
    assert (
        relative_error(direct_sum(K, None, y, Q, backend="cupy"), direct_sum(K, None, y, Q))
        <= 1e-13
    )
    q = rng.standard_normal(250) + 1j * rng.standard_normal(250)  # two real sums
    got = direct_sum(K, None, y, q, backend="cupy")
    assert got.shape == (250,) and got.dtype == np.complex128
    assert relative_error(got, direct_sum(K, None, y, q)) <= 1e-13
    H = kernels.helmholtz(3.0)
    y3 = rng.random((200, 3))
    got = direct_sum(H, None, y3, q[:200].real, backend="cupy")  # real charges, complex kernel
    assert relative_error(got, direct_sum(H, None, y3, q[:200].real)) <= 1e-13


def test_cuda_direct_sum_validates_like_the_cpu_one(host_cupy):
    y = np.zeros((5, 3))
    y[:, 0] = np.arange(5)
    with pytest.raises(ValueError, match="charges: expected shape"):
        direct_sum(kernels.laplace(), None, y, np.ones(4), backend="cupy")
    with pytest.raises(ValueError, match="sources: contains NaN"):
        direct_sum(kernels.laplace(), None, np.full((5, 3), np.nan), np.ones(5), backend="cupy")
    with pytest.raises(ValueError, match="cupy backend runs the built-in kernels only"):
        import numba

        user = kernels.radial(numba.njit(lambda r: 1.0 / (1.0 + r)))
        direct_sum(user, None, y, np.ones(5), backend="cupy")


@pytest.mark.parametrize("complex_", [False, True])
def test_cuda_grouped_sum_matches_numba(complex_, host_cupy, rng):
    t, s = rng.random((200, 3)), rng.random((500, 3))
    tstart, tend = np.arange(0, 200, 20), np.arange(20, 201, 20)
    sstart, send = np.arange(0, 500, 50), np.arange(50, 501, 50)
    lptr = np.arange(0, 31, 3)  # three source groups per target group
    lsrc = rng.integers(0, 10, 30)
    K = kernels.helmholtz(2.0) if complex_ else kernels.matern(1.5, 0.3)
    Q = rng.standard_normal((19, 500)).astype(K.dtype)
    ref = np.zeros((19, 200), dtype=K.dtype)
    args = (t, tstart, tend, lptr, lsrc, s, sstart, send, True)
    K.loops()[0](K.kid, K.params, *args, Q, ref)
    d = host_cupy.asarray
    got = d(np.zeros_like(ref))
    dev = [a if isinstance(a, bool) else d(a) for a in args]
    _cupy.grouped_sum(K.kid, d(K.params), *dev, d(Q), got)
    assert relative_error(got, ref) <= 1e-13


@pytest.mark.parametrize("name", sorted(DEVICE_CASES))
def test_eifmm_cupy_backend_on_the_host_matches_the_cpu_one(name, host_cupy, rng):
    K, where, dim = DEVICE_CASES[name]
    y = distribution(where, 1500, dim)
    x = distribution("cube", 300, dim, seed=1)
    Q = rng.standard_normal((1500, 2))
    for targets in (None, x):
        cpu = EIFMM(K, tol=1e-6, leaf_size=25).fit(y, targets)
        gpu = EIFMM(K, tol=1e-6, leaf_size=25, backend="cupy").fit(y, targets)
        assert gpu.backend_ == "cupy"
        ref = cpu.evaluate(Q)
        got = gpu.evaluate(Q)
        assert got.shape == ref.shape and got.dtype == ref.dtype
        assert relative_error(got, ref) <= 1e-12
        one = gpu.evaluate(Q[:, 1])
        assert one.shape == (ref.shape[0],) and relative_error(one, ref[:, 1]) <= 1e-12
        if not K.is_complex:
            qc = Q[:, 0] + 1j * Q[:, 1]
            assert relative_error(gpu.evaluate(qc), ref[:, 0] + 1j * ref[:, 1]) <= 1e-12
    grouped = "grouped_complex" if K.is_complex else "grouped_real"
    assert launches()[grouped] > 0  # the near field and the interpolation ran as CUDA


@pytest.mark.slow
def test_the_gpu_tests_pass_on_the_host():
    """``tests/gpu``, skipped without a device, run here against the host cupy: the
    device's test code stays runnable, and the GPU paths of every package (POD, EIM,
    Gram-Schmidt, the FMM) agree with the CPU ones through it."""
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, ROM_GPU_ON_HOST="1")
    cmd = [sys.executable, "-m", "pytest", "tests/gpu", "-q", "-p", "no:randomly"]
    cmd += ["-p", "no:cacheprovider", "-o", "addopts="]
    res = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=900)
    tail = res.stdout[-3000:] + res.stderr[-2000:]
    assert res.returncode == 0, tail
    assert " passed" in tail and "skipped" not in tail and "failed" not in tail, tail

"""CUDA source run on the host: the GPU path's logic checked on machines without a GPU.

:class:`HostModule` (through :func:`compile_host`) compiles the CUDA text of
:mod:`rom.fmm._cupy` as C++ (a prelude defines ``__device__``, ``__global__``,
``threadIdx`` and friends) and generates, for every ``extern "C" __global__``
function, a launcher that runs its grid one thread after another. That is exact for
kernels whose threads neither share memory nor synchronise (each output written by
one thread); sources with ``__shared__`` or ``__syncthreads`` are refused.

Launches are checked as the device would need them: every scalar must have the NumPy
type of the declared C parameter (cupy passes scalars by their NumPy type, so a
``np.int64`` for an ``int`` parameter is a bug on the GPU), every array must be a
device array, C-contiguous, of the pointed type, and only 1-D grids and blocks are
accepted.

:func:`fake_cupy` builds ``cupy``/``cupyx`` stand-ins on NumPy whose arrays pass for
cupy's and whose ``RawModule`` is :class:`HostModule`, with cupy's restrictions where
they differ from NumPy's (``scatter_add`` takes real types only; a triangular solve
takes its type from the matrix), so that ``backend="cupy"`` runs end to end on the
CPU. :func:`nvcc_cubin` compiles the same text for a device architecture.
"""

from __future__ import annotations

import atexit
import ctypes
import hashlib
import importlib.machinery
import re
import shutil
import subprocess
import tempfile
import types
from pathlib import Path

import numpy as np
import scipy.linalg
import scipy.sparse

_PRELUDE = r"""
#include <algorithm>
#include <cmath>
#include <cstddef>
using std::max;
using std::min;
struct rom_dim3 { unsigned int x, y, z; };
static rom_dim3 threadIdx, blockIdx, blockDim, gridDim;
#define __device__
#define __global__
#define __forceinline__ inline
#line 1 "cuda_source"
"""

_GLOBAL = re.compile(r'extern\s+"C"\s+__global__\s+void\s+(\w+)\s*\(([^)]*)\)', re.S)

# C parameter type -> (ctypes type, NumPy type of the scalar cupy would pass)
_SCALARS = {
    "int": (ctypes.c_int32, np.int32),
    "long long": (ctypes.c_int64, np.int64),
    "bool": (ctypes.c_bool, np.bool_),
    "double": (ctypes.c_double, np.float64),
}
# pointed-to C type -> dtype of the array
_POINTEES = {
    "double": np.float64,
    "cplx": np.complex128,
    "long long": np.int64,
    "int": np.int32,
}


def parse_globals(source: str) -> dict[str, list[tuple[str, str, bool, str]]]:
    """``name -> [(C base type, parameter name, is pointer, declaration), ...]``."""
    out = {}
    for name, params in _GLOBAL.findall(source):
        args = []
        for p in params.split(","):
            decl = " ".join(p.split())
            words = [w for w in decl.replace("*", " ").split() if w != "const"]
            args.append((" ".join(words[:-1]), words[-1], "*" in decl, decl))
        out[name] = args
    return out


def _launchers(kernels: dict) -> str:
    code = []
    for name, args in kernels.items():
        decl = ", ".join(a[3] for a in args)
        names = ", ".join(a[1] for a in args)
        code.append(
            f'extern "C" void rom_launch_{name}(unsigned int grid, unsigned int block, '
            f"{decl}) {{\n"
            "    gridDim.x = grid; gridDim.y = gridDim.z = 1;\n"
            "    blockDim.x = block; blockDim.y = blockDim.z = 1;\n"
            "    threadIdx.y = threadIdx.z = blockIdx.y = blockIdx.z = 0;\n"
            "    for (unsigned int b = 0; b < grid; ++b)\n"
            "        for (unsigned int t = 0; t < block; ++t) {\n"
            "            blockIdx.x = b; threadIdx.x = t;\n"
            f"            {name}({names});\n"
            "        }\n"
            "}\n"
        )
    return "\n".join(code)


_LIBS: dict[str, ctypes.CDLL] = {}


def compile_host(source: str) -> ctypes.CDLL:
    """The CUDA text as a host shared library (cached per text and process)."""
    key = hashlib.sha256(source.encode()).hexdigest()[:16]
    if key in _LIBS:
        return _LIBS[key]
    cxx = shutil.which("g++") or shutil.which("c++")
    if cxx is None:
        raise RuntimeError("no C++ compiler on this machine")
    folder = Path(tempfile.mkdtemp(prefix="rom_cuda_host_"))
    atexit.register(shutil.rmtree, folder, True)  # a loaded library may be unlinked
    src = folder / "kernels.cpp"
    lib = folder / "kernels.so"
    if "__shared__" in source or "__syncthreads" in source:
        raise RuntimeError("the host run is exact only for kernels without shared memory")
    src.write_text(_PRELUDE + source + "\n" + _launchers(parse_globals(source)))
    cmd = [cxx, "-std=c++14", "-O1", "-fPIC", "-shared", "-Wall", "-Werror", str(src)]
    res = subprocess.run([*cmd, "-o", str(lib)], capture_output=True, text=True)
    if res.returncode:
        raise RuntimeError(f"the CUDA source does not compile on the host:\n{res.stderr}")
    _LIBS[key] = ctypes.CDLL(str(lib))
    return _LIBS[key]


class HostKernel:
    """One ``__global__`` function, called as cupy calls a raw kernel."""

    def __init__(self, lib: ctypes.CDLL, name: str, args: list) -> None:
        self.name, self.args = name, args
        self.fn = getattr(lib, f"rom_launch_{name}")
        self.fn.restype = None
        self.fn.argtypes = [ctypes.c_uint, ctypes.c_uint] + [
            ctypes.c_void_p if ptr else _SCALARS[t][0] for t, _, ptr, _ in args
        ]
        self.launches = 0

    def __call__(self, grid: tuple, block: tuple, args: tuple) -> None:
        if len(grid) != 1 or len(block) != 1:
            raise ValueError(f"{self.name}: only 1-D grids and blocks run on the host")
        if len(args) != len(self.args):
            raise TypeError(f"{self.name}: {len(self.args)} arguments, got {len(args)}")
        values = []
        for a, (t, n, ptr, _) in zip(args, self.args, strict=True):
            if ptr:
                want = np.dtype(_POINTEES[t])
                if isinstance(a, np.ndarray) and not isinstance(a, DeviceArray):
                    raise TypeError(f"{self.name}: {n} is a host (NumPy) array")
                if not isinstance(a, np.ndarray) or a.dtype != want:
                    got = a.dtype if isinstance(a, np.ndarray) else type(a).__name__
                    raise TypeError(f"{self.name}: {n} must be a {want} array, got {got}")
                if not a.flags.c_contiguous:
                    raise TypeError(f"{self.name}: {n} must be C-contiguous")
                values.append(a.ctypes.data)
            else:
                want = _SCALARS[t][1]
                if type(a) is not want:
                    raise TypeError(
                        f"{self.name}: {n} is a C {t}; cupy would pass a "
                        f"{type(a).__name__}, not a {want.__name__}"
                    )
                values.append(a.item())
        self.fn(int(grid[0]), int(block[0]), *values)
        self.launches += 1


class HostModule:
    """The host twin of ``cupy.RawModule(code=...)``."""

    def __init__(self, code: str, options: tuple = ()) -> None:
        self._lib = compile_host(code)
        self._kernels = parse_globals(code)
        self._functions: dict[str, HostKernel] = {}

    def get_function(self, name: str) -> HostKernel:
        if name not in self._kernels:
            raise AttributeError(f"no __global__ function {name!r} in the module")
        if name not in self._functions:
            self._functions[name] = HostKernel(self._lib, name, self._kernels[name])
        return self._functions[name]


def _module(name: str, **attrs) -> types.ModuleType:
    mod = types.ModuleType(name)
    mod.__spec__ = importlib.machinery.ModuleSpec(name, None)
    mod.__dict__.update(attrs)
    return mod


# the types cupy's scatter_add takes (its atomic adds): no complex
_SCATTER_TYPES = (np.int32, np.float16, np.float32, np.float64, np.uint32, np.uint64)


def _scatter_add(a: np.ndarray, index, values) -> None:
    """``cupyx.scatter_add``: ``np.add.at`` with cupy's restriction on types."""
    if not isinstance(a, DeviceArray):
        raise TypeError("scatter_add: a must be a cupy array")
    if a.dtype.type not in _SCATTER_TYPES:
        raise TypeError(f"scatter_add only supports real types, got {a.dtype}")
    np.add.at(a, index, values)


def _solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, **kw):
    """``cupyx.scipy.linalg.solve_triangular``: the type of the solve is ``a``'s alone,
    and ``b`` is cast to it (a complex ``b`` with a real ``a`` would lose its imaginary
    part on the device; here the cast raises NumPy's ComplexWarning)."""
    dtype = a.dtype if a.dtype.char in "fdFD" else np.promote_types(a.dtype.char, "f")
    b = np.array(b, dtype=dtype, order="F")
    return scipy.linalg.solve_triangular(
        a.astype(dtype), b, trans=trans, lower=lower, unit_diagonal=unit_diagonal
    )


class DeviceArray(np.ndarray):
    """A NumPy array that passes for a cupy one (its type's module is ``cupy``), so
    that ``backend="auto"`` sends it down the GPU path; ``get()`` as on cupy."""

    def get(self) -> np.ndarray:
        return np.array(self)


DeviceArray.__module__ = "cupy"


def _on_device(x):
    if type(x) is np.ndarray:
        return x.view(DeviceArray)
    if isinstance(x, tuple):
        return tuple(_on_device(v) for v in x)
    return x


def _device_attr(module: types.ModuleType, name: str):
    """``module.name`` with the arrays its functions make put on the "device"; a
    submodule (``linalg``, ``random``) likewise."""
    attr = getattr(module, name)
    if isinstance(attr, types.ModuleType):
        proxy = types.ModuleType(attr.__name__)
        proxy.__getattr__ = lambda n, _m=attr: _device_attr(_m, n)
        return proxy
    if callable(attr) and not isinstance(attr, type):
        fn = attr

        def attr(*args, **kwargs):
            return _on_device(fn(*args, **kwargs))

    return attr


def _numpy_attr(name: str):
    """The array API of the fake cupy: NumPy's, on the "device"."""
    return _device_attr(np, name)


class _DeviceCSR(scipy.sparse.csr_matrix):
    """A SciPy CSR matrix that passes for a cupyx one; products land on the "device"."""

    def __matmul__(self, other):
        return _on_device(super().__matmul__(other))

    def dot(self, other):
        return _on_device(super().dot(other))

    def get(self):
        return scipy.sparse.csr_matrix(self)


_DeviceCSR.__module__ = "cupyx.scipy.sparse"


def fake_cupy() -> dict[str, types.ModuleType]:
    """``sys.modules`` entries of a cupy on NumPy whose raw kernels run on the host."""
    cupy = _module(
        "cupy", RawModule=HostModule, ndarray=DeviceArray, asnumpy=np.array, __version__="host"
    )
    cupy.__getattr__ = _numpy_attr
    device = types.SimpleNamespace(synchronize=lambda: None)
    cupy.cuda = types.SimpleNamespace(
        Device=lambda *a: device,
        runtime=types.SimpleNamespace(
            getDeviceCount=lambda: 1,
            getDeviceProperties=lambda i: {"name": b"the host, one thread at a time"},
        ),
    )
    linalg = _module("cupyx.scipy.linalg", solve_triangular=_solve_triangular)
    sparse = _module("cupyx.scipy.sparse", csr_matrix=_DeviceCSR, issparse=scipy.sparse.issparse)
    cscipy = _module("cupyx.scipy", linalg=linalg, sparse=sparse)
    cupyx = _module("cupyx", scatter_add=_scatter_add, scipy=cscipy)
    return {
        "cupy": cupy,
        "cupyx": cupyx,
        "cupyx.scipy": cscipy,
        "cupyx.scipy.linalg": linalg,
        "cupyx.scipy.sparse": sparse,
    }


def nvcc_cubin(source: str, arch: str = "sm_90") -> bytes:
    """The CUDA text compiled by nvcc for ``arch`` (as cupy's NVRTC would, C++14)."""
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        raise RuntimeError("nvcc is not installed")
    with tempfile.TemporaryDirectory(prefix="rom_nvcc_") as d:
        src, out = Path(d) / "kernels.cu", Path(d) / "kernels.cubin"
        src.write_text(source)
        cmd = [nvcc, "-std=c++14", f"-arch={arch}", "-cubin", "-Werror", "all-warnings"]
        res = subprocess.run([*cmd, "-o", str(out), str(src)], capture_output=True, text=True)
        if res.returncode:
            raise RuntimeError(f"nvcc failed:\n{res.stderr}")
        return out.read_bytes()

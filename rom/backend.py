"""Array backends: numpy (the reference), numba kernels on the CPU, cupy on the GPU.

Nothing here imports cupy, numba, petsc4py or dask at import time; each is
looked up on first use.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.metadata
import importlib.util
import itertools
import os
import platform
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

__all__ = [
    "BACKENDS",
    "array_namespace",
    "blas_threads",
    "info",
    "is_cupy_array",
    "kernel_cache_dir",
    "map_rows",
    "register_kernel_cache",
    "resolve_backend",
    "row_blocks",
    "scipy_linalg",
    "to_numpy",
]

BACKENDS = ("auto", "numpy", "numba", "cupy")


def is_cupy_array(x: Any) -> bool:
    """Whether ``x`` is a cupy array (dense or sparse), without importing cupy.

    Parameters
    ----------
    x : object
        Any object.
    """
    return type(x).__module__.split(".")[0] in ("cupy", "cupyx")


def array_namespace(*arrays: Any) -> ModuleType:
    """Return the array module (``numpy`` or ``cupy``) that holds ``arrays``.

    ``None`` entries and Python scalars are ignored. Mixing numpy and cupy
    arrays is an error: data never moves between devices silently.

    Parameters
    ----------
    *arrays : array
        Arrays (numpy or cupy; others are ignored).

    Examples
    --------
    >>> import numpy as np
    >>> from rom.backend import array_namespace
    >>> array_namespace(np.ones(3), None).__name__
    'numpy'
    """
    on_gpu = [is_cupy_array(a) for a in arrays if a is not None and hasattr(a, "shape")]
    if any(on_gpu):
        if not all(on_gpu):
            raise TypeError(
                "arrays: got a mix of cupy (GPU) and numpy/scipy (CPU) arrays; "
                "move them to one device first (rom.backend.to_numpy or cupy.asarray)"
            )
        import cupy

        return cupy
    return np


def to_numpy(x: Any) -> Any:
    """Return ``x`` as a numpy array (copying from the GPU when needed).

    Scipy sparse matrices are returned unchanged; cupyx sparse matrices come back
    as scipy sparse matrices.

    Parameters
    ----------
    x : array_like
        A numpy or cupy array, or anything :func:`numpy.asarray` accepts.

    Examples
    --------
    >>> from rom.backend import to_numpy
    >>> to_numpy([1.0, 2.0])
    array([1., 2.])
    """
    if is_cupy_array(x):
        return x.get()
    if hasattr(x, "tocsr") and hasattr(x, "nnz"):
        return x
    return np.asarray(x)


#: modules that may bring their own BLAS (SciPy's wheels ship a second OpenBLAS)
_BLAS_MODULES = ("scipy.linalg", "scipy.sparse.linalg", "sklearn", "torch")


def _blas_controller() -> Any:
    """A controller of the BLAS libraries loaded now: inspected again when a module
    that may bring its own BLAS was imported since the last inspection."""
    return _controller_for(tuple(name in sys.modules for name in _BLAS_MODULES))


@functools.cache
def _controller_for(key: tuple) -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def blas_threads(limit: int | None) -> Any:
    """A context manager that caps the BLAS threads at ``limit`` (None: no change).

    Small and memory-bound products (a tall matrix times a few columns, Gram
    matrices of a few vectors) run faster and far more predictably on one thread;
    the libraries are inspected once per process, so entering costs microseconds.

    Parameters
    ----------
    limit : int or None
        The largest number of BLAS threads inside the context.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.backend import blas_threads
    >>> with blas_threads(1):
    ...     G = np.ones((1000, 3)).T @ np.ones((1000, 3))
    >>> float(G[0, 0])
    1000.0
    """
    if limit is None:
        return contextlib.nullcontext()
    return _blas_controller().limit(limits=int(limit), user_api="blas")


_POOLS: dict[int, Any] = {}


def _pool() -> Any:
    """The worker threads of this process, one per core (a forked child gets its own:
    the parent's threads do not exist there)."""
    pid = os.getpid()
    if pid not in _POOLS:
        from concurrent.futures import ThreadPoolExecutor

        _POOLS[pid] = ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="rom")
    return _POOLS[pid]


def row_blocks(n: int, m: int = 1, parts: int | None = None) -> list[slice]:
    """Up to ``parts`` contiguous ranges covering ``range(n)``, each of at least ``4 m``
    rows (one range when ``n < 8 m``).

    Parameters
    ----------
    n : int
        Number of rows.
    m : int
        Columns of the matrix: a block shorter than ``4 m`` rows is not worth a thread
        (for a QR, it would be mostly its triangle).
    parts : int, optional
        Most ranges; default: one per core.

    Returns
    -------
    list of slice

    Examples
    --------
    >>> from rom.backend import row_blocks
    >>> row_blocks(10, parts=2)
    [slice(0, 5, None), slice(5, 10, None)]
    >>> row_blocks(10, m=2, parts=4)
    [slice(0, 10, None)]
    """
    parts = (os.cpu_count() or 1) if parts is None else int(parts)
    parts = max(1, min(parts, n // (4 * max(m, 1))))
    cuts = np.linspace(0, n, parts + 1).astype(int)
    return [slice(int(a), int(b)) for a, b in itertools.pairwise(cuts)]


def map_rows(fn: Any, blocks: list[slice]) -> list:
    """``[fn(rows) for rows in blocks]``, on threads when there are several blocks.

    For work that releases the GIL: NumPy's products and ufuncs on large arrays,
    LAPACK through ctypes, numba functions compiled with ``nogil=True``.

    Parameters
    ----------
    fn : callable
        ``fn(rows)`` for a slice ``rows``.
    blocks : list of slice
        The row blocks, one call each.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.backend import map_rows, row_blocks
    >>> x = np.arange(10.0)
    >>> [float(s) for s in map_rows(lambda rows: x[rows].sum(), row_blocks(10, parts=2))]
    [10.0, 35.0]
    """
    if len(blocks) == 1:
        return [fn(blocks[0])]
    return list(_pool().map(fn, blocks))


@functools.cache
def _installed(module: str) -> bool:
    """Whether ``module`` can be imported (looked up once per process)."""
    return importlib.util.find_spec(module) is not None


def resolve_backend(backend: str, *arrays: Any) -> str:
    """Validate ``backend`` and resolve ``"auto"`` from where ``arrays`` live.

    ``"auto"`` gives ``"cupy"`` for cupy arrays, otherwise ``"numba"`` when numba
    is installed and ``"numpy"`` when it is not.

    Parameters
    ----------
    backend : {"auto", "numpy", "numba", "cupy"}
        The requested backend.
    *arrays : array
        The arrays the work runs on.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.backend import resolve_backend
    >>> resolve_backend("numpy", np.zeros(2))
    'numpy'
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend: expected one of {BACKENDS}, got {backend!r}")
    xp = array_namespace(*arrays)
    on_gpu = xp is not np
    if backend == "auto":
        if on_gpu:
            return "cupy"
        return "numba" if _installed("numba") else "numpy"
    if backend == "cupy":
        if not _installed("cupy"):
            raise ValueError("backend: 'cupy' was asked for but cupy is not installed")
        return "cupy"
    if on_gpu:
        raise ValueError(
            f"backend: {backend!r} runs on the CPU but the input arrays are on the GPU; "
            "use backend='cupy' or 'auto', or move the data with rom.backend.to_numpy"
        )
    if backend == "numba" and not _installed("numba"):
        raise ValueError("backend: 'numba' was asked for but numba is not installed")
    return backend


def scipy_linalg(xp: ModuleType) -> ModuleType:
    """Return ``scipy.linalg`` or ``cupyx.scipy.linalg`` to match ``xp``."""
    if xp is np:
        import scipy.linalg

        return scipy.linalg
    import cupyx.scipy.linalg

    return cupyx.scipy.linalg


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _numba_threading_layer() -> str:
    import numba

    @numba.njit(parallel=True, cache=False)
    def _touch(n):  # pragma: no cover - compiled
        s = 0.0
        for i in numba.prange(n):
            s += i
        return s

    try:
        _touch(4)
        return numba.threading_layer()
    except Exception as err:  # no parallel layer could start
        return f"unavailable ({err.__class__.__name__})"


def _cupy_device() -> dict[str, Any]:
    try:
        import cupy

        n = cupy.cuda.runtime.getDeviceCount()
        if n == 0:
            return {"gpu": None, "gpu_count": 0}
        props = cupy.cuda.runtime.getDeviceProperties(0)
        name = props["name"]
        name = name.decode() if isinstance(name, bytes) else str(name)
        return {"gpu": name, "gpu_count": int(n)}
    except Exception as err:  # no driver, no device
        return {"gpu": None, "gpu_count": 0, "gpu_error": f"{err.__class__.__name__}: {err}"}


def info() -> dict[str, Any]:
    """Report what is available: versions, numba threading, the GPU, optional extras.

    Calling this compiles a tiny numba function (to learn the threading layer) and,
    when cupy is installed, asks the CUDA runtime for the device name.

    Returns
    -------
    dict
        Keys ``romba``, ``python``, ``platform``, ``numpy``, ``scipy``, ``numba``,
        ``numba_threading_layer``, ``numba_threads``, ``cupy``, ``gpu``,
        ``gpu_count``, ``petsc4py``, ``dask``, ``torch``, ``scikit-fem``, ``meshio``.
        Versions are strings, or ``None`` for what is not installed.

    Examples
    --------
    >>> import rom
    >>> report = rom.backend.info()
    >>> report["numpy"] is not None
    True
    """
    from rom._version import __version__

    report: dict[str, Any] = {
        "romba": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": np.__version__,
        "scipy": _version("scipy"),
        "numba": _version("numba"),
        "numba_threading_layer": None,
        "numba_threads": None,
        "cupy": None,
        "gpu": None,
        "gpu_count": 0,
        "petsc4py": _version("petsc4py"),
        "dask": _version("dask"),
        "torch": _version("torch"),
        "scikit-fem": _version("scikit-fem"),
        "meshio": _version("meshio"),
    }
    if report["numba"] is not None:
        import numba

        report["numba_threads"] = int(numba.config.NUMBA_NUM_THREADS)
        report["numba_threading_layer"] = _numba_threading_layer()
    cupy_dist = next(
        (d for d in ("cupy", "cupy-cuda12x", "cupy-cuda13x", "cupy-cuda11x") if _version(d)), None
    )
    if cupy_dist is not None or importlib.util.find_spec("cupy") is not None:
        report["cupy"] = _version(cupy_dist) if cupy_dist else "installed"
        report.update(_cupy_device())
    return report


def import_optional(name: str, extra: str) -> ModuleType:
    """Import an optional dependency, or say which extra installs it."""
    try:
        return importlib.import_module(name)
    except ImportError as err:
        raise ImportError(
            f"{name} is needed here but is not installed; install it with "
            f"`pip install romba[{extra}]`"
        ) from err


# ---------------------------------------------------------------------------
# where compiled kernels are cached
# the distribution's packages whose kernels are cached by romba's locator
_KERNEL_ROOTS = tuple(Path(__file__).resolve().parents[1] / p for p in ("rom", "fem_examples"))
_kernel_cache_registered = False


def kernel_cache_dir() -> Path:
    """The directory under which romba's compiled kernels are cached (see
    :func:`register_kernel_cache`).

    Examples
    --------
    >>> from rom.backend import kernel_cache_dir
    >>> kernel_cache_dir().name
    'numba'
    """
    root = os.environ.get("ROMBA_CACHE_DIR")
    if root:
        return Path(root) / "numba"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "romba" / "numba"


def register_kernel_cache() -> None:
    """Cache the numba kernels of romba's files in a user directory, never beside them.

    numba's default puts a cached kernel in its source's ``__pycache__``: for an
    installed romba that is ``site-packages/rom/...``, files pip does not know of,
    which it leaves behind on uninstall (the leftover folder then shadows a later
    editable install as an empty namespace package). Every module with cached
    kernels (``cache=True``) calls this before it compiles anything; the kernels of
    the ``rom`` and ``fem_examples`` packages are then cached under

    - ``$NUMBA_CACHE_DIR`` when the user set it (numba's own rule, unchanged);
    - otherwise :func:`kernel_cache_dir`: ``$ROMBA_CACHE_DIR/numba``, or
      ``$XDG_CACHE_HOME/romba/numba``, or ``~/.cache/romba/numba``.

    Other packages' kernels are left to numba's usual locators; where no cache
    directory can be written, numba falls back to them, and finally to no cache.
    Calling it again does nothing.
    """
    global _kernel_cache_registered
    if _kernel_cache_registered:
        return
    from numba.core import caching

    # public names since numba 0.61, underscored before
    user_provided = (
        getattr(caching, "UserProvidedCacheLocator", None) or caching._UserProvidedCacheLocator
    )
    impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl

    class RombaCacheLocator(user_provided):
        """Caches the kernels of romba's own files in :func:`kernel_cache_dir`."""

        def __init__(self, py_func, py_file):
            super().__init__(py_func, py_file)
            # one folder per source folder (its name and a hash of its path, as numba's)
            self._cache_path = str(kernel_cache_dir() / self.get_suitable_cache_subpath(py_file))

        @classmethod
        def from_function(cls, py_func, py_file):
            path = Path(py_file).resolve()
            if not any(path.is_relative_to(root) for root in _KERNEL_ROOTS):
                return None  # not a romba file
            # numba's own setting wins
            if caching.config.CACHE_DIR:
                return None
            return super(user_provided, cls).from_function(py_func, py_file)

    locators = impl._locator_classes
    # after numba's user-provided directory, before the in-tree __pycache__
    locators.insert(1 if locators and locators[0] is user_provided else 0, RombaCacheLocator)
    _kernel_cache_registered = True

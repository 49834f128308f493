"""Tests of rom.backend: array namespaces, backend names, info(), and what import rom loads."""

import importlib.util
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse

import rom
from rom.backend import (
    BACKENDS,
    array_namespace,
    import_optional,
    info,
    is_cupy_array,
    resolve_backend,
    scipy_linalg,
    to_numpy,
)

HAS_NUMBA = importlib.util.find_spec("numba") is not None
HAS_CUPY = importlib.util.find_spec("cupy") is not None


# ---------------------------------------------------------------------- namespaces
@pytest.mark.parametrize(
    "arrays",
    [
        (np.ones(3),),
        (np.ones((2, 2)), None, np.zeros(1, dtype=complex)),
        (None,),
        (),
        (1.0, 2, "text"),  # scalars and other objects without a shape are ignored
        (scipy.sparse.eye(3, format="csr"), np.ones(3)),
    ],
)
def test_array_namespace_is_numpy_on_the_cpu(arrays):
    assert array_namespace(*arrays) is np


def test_is_cupy_array_false_for_cpu_objects():
    for x in (np.ones(2), [1.0], scipy.sparse.eye(2), None, 3.0):
        assert not is_cupy_array(x)


def test_to_numpy_list_and_array():
    out = to_numpy([[1, 2], [3, 4]])
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, np.array([[1, 2], [3, 4]]))
    x = np.arange(4.0)
    assert to_numpy(x) is x  # no copy for data already in numpy
    np.testing.assert_array_equal(to_numpy(3.5), np.array(3.5))


def test_to_numpy_sparse_is_returned_unchanged():
    A = scipy.sparse.random(4, 4, density=0.5, random_state=0, format="csr")
    assert to_numpy(A) is A
    B = scipy.sparse.csc_array(A)
    assert to_numpy(B) is B


def test_scipy_linalg_for_numpy():
    assert scipy_linalg(np) is scipy.linalg


# ---------------------------------------------------------------------- backend names
def test_backend_names():
    assert BACKENDS == ("auto", "numpy", "numba", "cupy")


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_resolve_explicit_cpu_backends(backend):
    expected_ok = backend == "numpy" or HAS_NUMBA
    if expected_ok:
        assert resolve_backend(backend, np.ones(2)) == backend
        assert resolve_backend(backend) == backend
    else:
        with pytest.raises(ValueError, match="backend: 'numba' was asked for"):
            resolve_backend(backend)


def test_resolve_auto_on_the_cpu():
    expected = "numba" if HAS_NUMBA else "numpy"
    assert expected == "numba"  # numba is a dependency of romba: installed here
    assert resolve_backend("auto", np.ones(3)) == expected
    assert resolve_backend("auto") == expected
    assert resolve_backend("auto", None, np.ones(2, dtype=complex)) == expected


def test_resolve_cupy_depends_on_cupy_being_installed():
    if HAS_CUPY:
        assert resolve_backend("cupy", np.ones(2)) == "cupy"
    else:
        with pytest.raises(ValueError, match="backend: 'cupy' was asked for but cupy is not"):
            resolve_backend("cupy", np.ones(2))


@pytest.mark.parametrize("backend", ["torch", "NumPy", "", None, 1, "gpu"])
def test_resolve_bad_backend_name(backend):
    with pytest.raises(ValueError, match=r"backend: expected one of \('auto', 'numpy'"):
        resolve_backend(backend)


def test_import_optional():
    assert import_optional("numpy", "test") is np
    with pytest.raises(ImportError, match=r"pip install romba\[gpu\]"):
        import_optional("no_such_module_for_romba_tests", "gpu")


# ---------------------------------------------------------------------- info
@pytest.fixture(scope="module")
def report():
    return info()


def test_info_keys(report):
    expected = {
        "romba",
        "python",
        "platform",
        "numpy",
        "scipy",
        "numba",
        "numba_threading_layer",
        "numba_threads",
        "cupy",
        "gpu",
        "gpu_count",
        "petsc4py",
        "dask",
        "torch",
        "scikit-fem",
        "meshio",
    }
    assert expected <= set(report)
    assert set(report) - expected <= {"gpu_error"}


def test_info_values(report):
    import platform

    import meshio
    import scipy

    assert report["romba"] == rom.__version__
    assert report["python"] == platform.python_version()
    assert report["numpy"] == np.__version__
    assert report["scipy"] == scipy.__version__
    assert report["meshio"] == meshio.__version__
    for key in ("petsc4py", "dask", "torch", "scikit-fem", "cupy"):
        assert report[key] is None or isinstance(report[key], str), key
        assert (report[key] is None) == (
            importlib.util.find_spec(key.replace("scikit-fem", "skfem")) is None
        ), key
    assert isinstance(report["gpu_count"], int) and report["gpu_count"] >= 0
    assert report["gpu"] is None or isinstance(report["gpu"], str)


def test_info_numba(report):
    import numba

    assert report["numba"] == numba.__version__
    assert report["numba_threads"] == numba.config.NUMBA_NUM_THREADS
    assert isinstance(report["numba_threads"], int) and report["numba_threads"] >= 1
    assert isinstance(report["numba_threading_layer"], str) and report["numba_threading_layer"]


# ---------------------------------------------------------------------- import-time contract
HEAVY = ("cupy", "torch", "dask", "petsc4py", "numba", "meshio", "matplotlib")


def test_import_rom_loads_no_optional_or_heavy_module():
    code = (
        "import sys, rom\n"
        f"heavy = {HEAVY!r}\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in heavy)\n"
        "print(loaded)\n"
        "sys.exit(1 if loaded else 0)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, f"import rom loaded {run.stdout.strip()}\n{run.stderr}"


def test_import_rom_is_fast():
    # a regression guard with a generous bound, not a benchmark
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import rom"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    last = run.stderr.strip().splitlines()[-1]
    match = re.fullmatch(r"import time:\s*(\d+)\s*\|\s*(\d+)\s*\|\s*rom", last)
    assert match, f"unexpected -X importtime output: {last!r}"
    cumulative_s = int(match.group(2)) * 1e-6
    assert cumulative_s < 1.0, f"import rom took {cumulative_s:.2f} s"


def test_blas_threads_caps_a_blas_library_loaded_after_the_first_use():
    """SciPy's wheels bring a second OpenBLAS: imported after a first ``blas_threads``,
    it is capped too (a stale inspection left it at every core)."""
    code = (
        "import numpy\n"
        "from rom.backend import blas_threads\n"
        "with blas_threads(1):\n"
        "    pass\n"
        "import scipy.linalg\n"
        "from threadpoolctl import threadpool_info\n"
        "with blas_threads(1):\n"
        "    print(sorted({i['num_threads'] for i in threadpool_info()"
        " if i['user_api'] == 'blas'}))\n"
    )
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[1]", out.stdout

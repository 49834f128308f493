"""GPU tests: collected everywhere, run only where cupy sees a CUDA device.

With ``ROM_GPU_ON_HOST=1`` they run without a GPU against a cupy made of NumPy whose
CUDA kernels are compiled and run on the host (:mod:`tests.fmm.cuda_host`): the test
code and the GPU path's logic, not the device.
"""

import importlib.util
import os
import sys

import pytest

if os.environ.get("ROM_GPU_ON_HOST") == "1":
    from tests.fmm.cuda_host import fake_cupy

    sys.modules.update(fake_cupy())


def _gpu_available() -> bool:
    if os.environ.get("ROM_GPU_ON_HOST") == "1":
        return True
    if importlib.util.find_spec("cupy") is None:
        return False
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


GPU = _gpu_available()


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason="needs cupy and a CUDA device")
    for item in items:
        if "tests/gpu" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.gpu)
            if not GPU:
                item.add_marker(skip)

import pytest


@pytest.fixture(autouse=True, scope="module")
def _single_threaded_blas():
    """The matrices here are small: one BLAS thread avoids spinning threads on a busy host."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        yield

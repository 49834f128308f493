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
    fmm.setup(y, x)
    Q = rng.standard_normal((N, 2))
    path = tmp_path / "fmm.npz"
    fmm.save(path)
    # nothing of the setup runs again: no training, no tree
    _farfield._CACHE.clear()
    monkeypatch.setattr(_farfield, "train", lambda *a, **k: pytest.fail("trained on load"))
    loaded = rom.load(path)
    assert isinstance(loaded, EIFMM)
    assert np.array_equal(loaded.evaluate(Q), fmm.evaluate(Q))
    assert np.array_equal(loaded.evaluate(Q[:, 0]), fmm.evaluate(Q[:, 0]))
    assert loaded.ranks_ == fmm.ranks_ and loaded.m2l_ranks_ == fmm.m2l_ranks_
    assert loaded.error_estimate_ == fmm.error_estimate_
    assert loaded.kernel_.name == fmm.kernel_.name and loaded.tol == fmm.tol
    assert rom.io.persist.read_header(path)["class"] == "EIFMM"


def test_user_kernels_and_unset_objects_are_refused(tmp_path):
    K = kernels.radial(numba.njit(lambda r: np.exp(-r)))
    fmm = EIFMM(K, tol=1e-3, leaf_size=40).setup(distribution("cube", 800, 3))
    with pytest.raises(TypeError, match=r"kernel: .*user kernel"):
        fmm.save(tmp_path / "user.npz")
    assert not (tmp_path / "user.npz").exists()
    with pytest.raises(Exception, match="call setup"):
        EIFMM(kernels.laplace()).save(tmp_path / "unset.npz")
    assert list(tmp_path.iterdir()) == []

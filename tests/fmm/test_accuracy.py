"""The accuracy claim: relative l2 error at most 2 tol against the direct sum.

For every built-in kernel, three point distributions (uniform cube, sphere surface,
Gaussian blobs) and the tolerances 1e-3, 1e-6, 1e-9, in 2-D and 3-D, with two charge
vectors summed at once. One test per (dimension, kernel, distribution) runs every
tolerance on one point set and one direct reference, finest tolerance first: the
greedy is nested, so the operators trained for 1e-9 serve 1e-6 and 1e-3 (training
cache), and the distributions share the root box, hence the trained box sides.

3-D reductions (ranks reach 250 per box at 1e-6 and 550 at 1e-9: training a
non-homogeneous kernel that deep takes seconds to minutes per box side): every kernel
on the three distributions at 1e-3, every kernel on the cube at 1e-6 (Helmholtz, whose
low-frequency regime is the point, at 1e-3 only), and Laplace, the representative
(one reference greedy for all box sides), at 1e-6 on the three distributions and at
1e-9 on the cube.
"""

import numpy as np
import pytest

from rom.fmm import EIFMM, direct_sum
from tests.fmm.conftest import builtin_kernels, distribution, relative_error

N = {2: 1000, 3: 1500}
N_TARGETS = 300  # random targets compared with the direct sum
LEAF = 30
DISTS = ("cube", "sphere", "blobs")


def reference(K, y, Q, idx):
    """Direct sums at the sources ``idx``, every other source included."""
    full = direct_sum(K, y[idx].copy(), y, Q)  # a copy: K(0) q_i is included...
    return full - K.value_at_zero * Q[idx]  # ...and taken out again


def check_tolerances(K, dist, dim, tols, n=None, leaf_size=LEAF):
    """Every tolerance on one point set; returns the failures as readable strings."""
    n = N[dim] if n is None else n
    y = distribution(dist, n, dim)
    Q = np.random.default_rng(1).random((n, 2))  # two charge vectors of one sign
    idx = np.random.default_rng(2).choice(n, N_TARGETS, replace=False)
    ref = reference(K, y, Q, idx)
    failures = []
    for tol in sorted(tols):
        fmm = EIFMM(K, tol=tol, leaf_size=leaf_size).fit(y)
        assert fmm.ranks_ and max(fmm.ranks_.values()) > 0, "the far field was not used"
        phi = fmm.evaluate(Q)
        assert phi.shape == (n, 2) and phi.dtype == np.result_type(K.dtype, np.float64)
        err = max(relative_error(phi[idx, c], ref[:, c]) for c in range(2))
        # the error meets the tolerance, and the estimate is an upper estimate of the
        # measured error up to a small factor
        if not (err <= 2 * tol and err <= 3 * fmm.error_estimate_):
            failures.append(f"{K.name} {dist} tol={tol:g}: {err:.2e} ({fmm.error_estimate_:.1e})")
    return failures


CASES = []
for _name in sorted(builtin_kernels(2)):
    for _dist in DISTS:
        marks = () if _name in ("laplace", "gaussian") else pytest.mark.slow
        CASES.append(pytest.param(2, _name, _dist, (1e-3, 1e-6, 1e-9), marks=marks))
for _name in sorted(builtin_kernels(3)):
    for _dist in DISTS:
        tols = (1e-3, 1e-6) if _dist == "cube" or _name == "laplace" else (1e-3,)
        if _name == "helmholtz":
            tols = (1e-3,)
        if _name == "laplace" and _dist == "cube":
            tols = (1e-3, 1e-6, 1e-9)
        marks = () if _name == "laplace" else pytest.mark.slow
        CASES.append(pytest.param(3, _name, _dist, tols, marks=marks))


@pytest.mark.parametrize("dim, name, dist, tols", CASES)
def test_every_kernel_distribution_and_tolerance(dim, name, dist, tols):
    failures = check_tolerances(builtin_kernels(dim)[name], dist, dim, tols)
    assert not failures, failures


@pytest.mark.parametrize(
    "dim, name, dist, tol",
    [
        (2, "gaussian", "sphere", 1e-9),
        (2, "matern12", "sphere", 1e-3),
        (3, "thin_plate", "blobs", 1e-6),
    ],
)
def test_deep_trees_keep_the_tolerance(dim, name, dist, tol):
    """20000 points on a circle or in blobs: trees 8 or 9 levels deep, every level
    adding the errors of its own interpolants (trained for tol / sqrt(levels): with
    tol alone these cases came out 9.0, 2.3 and 2.7 times less accurate than asked)."""
    K = builtin_kernels(dim)[name]
    n = 20000
    y = distribution(dist, n, dim)
    rng = np.random.default_rng(1)
    Q = rng.standard_normal((n, 2))  # charges of both signs
    idx = rng.choice(n, N_TARGETS, replace=False)
    ref = reference(K, y, Q, idx)
    fmm = EIFMM(K, tol=tol, leaf_size=40).fit(y)
    assert fmm.tree_.depth >= 8
    phi = fmm.evaluate(Q)
    for c in range(2):
        assert relative_error(phi[idx, c], ref[:, c]) <= 2 * tol

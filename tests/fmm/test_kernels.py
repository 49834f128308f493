import numba
import numpy as np
import pytest

from rom.fmm import kernels


def _r(d):
    return np.linalg.norm(d, axis=1)


FORMULAS = {
    "laplace3": (lambda: kernels.laplace(), lambda r: 1 / r),
    "log": (lambda: kernels.log(), np.log),
    "yukawa": (lambda: kernels.yukawa(2.0), lambda r: np.exp(-2 * r) / r),
    "gaussian": (lambda: kernels.gaussian(0.7), lambda r: np.exp(-(r**2) / 0.49)),
    "mq": (lambda: kernels.multiquadric(0.3), lambda r: np.sqrt(r**2 + 0.09)),
    "imq": (lambda: kernels.inverse_multiquadric(0.3), lambda r: 1 / np.sqrt(r**2 + 0.09)),
    "m12": (lambda: kernels.matern(0.5, 0.4), lambda r: np.exp(-r / 0.4)),
    "m32": (
        lambda: kernels.matern(1.5, 0.4),
        lambda r: (1 + np.sqrt(3) * r / 0.4) * np.exp(-np.sqrt(3) * r / 0.4),
    ),
    "m52": (
        lambda: kernels.matern(2.5, 0.4),
        lambda r: (
            (1 + np.sqrt(5) * r / 0.4 + 5 * r**2 / (3 * 0.16)) * np.exp(-np.sqrt(5) * r / 0.4)
        ),
    ),
    "tps": (lambda: kernels.thin_plate(), lambda r: r**2 * np.log(r)),
    "helmholtz": (lambda: kernels.helmholtz(1.5), lambda r: np.exp(1.5j * r) / r),
}


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_builtin_kernels_match_their_formulas(name):
    make, formula = FORMULAS[name]
    K = make()
    d = np.random.default_rng(0).standard_normal((50, K.dim))
    assert np.allclose(K(d), formula(_r(d)), rtol=1e-13, atol=0)
    assert K(d).dtype == K.dtype


def test_conventions_at_zero():
    assert kernels.laplace().singular and kernels.laplace().value_at_zero == 0.0
    assert kernels.log().value_at_zero == 0.0
    assert kernels.gaussian(1.0).value_at_zero == 1.0 and not kernels.gaussian(1.0).singular
    assert kernels.multiquadric(2.0, dim=2).value_at_zero == 2.0
    assert kernels.thin_plate().value_at_zero == 0.0


def test_homogeneity_is_exact_for_laplace():
    K = kernels.laplace()
    d = np.random.default_rng(1).standard_normal((20, 3))
    a = 3.7
    assert np.allclose(K(a * d), a**K.homogeneity * K(d), rtol=1e-14)
    assert kernels.gaussian(1.0).homogeneity is None


def test_user_radial_kernel_detects_singularity_and_homogeneity():
    f = numba.njit(lambda r: 1.0 / (r * r))
    K = kernels.radial(f, dim=2, homogeneity=-2)
    assert K.singular and K.value_at_zero == 0.0 and K.homogeneity == -2.0
    # the compiled scalar function (the loops around it compile in test_eifmm)
    assert K.scalar(K.kid, K.params, 0.5, 0.0, 0.0) == pytest.approx(4.0)
    with pytest.raises(ValueError, match="homogeneity"):
        kernels.radial(f, homogeneity=-1)


def test_user_displacement_kernel_must_be_even():
    even = numba.njit(lambda a, b: np.exp(-(a * a) - 3 * b * b))
    K = kernels.displacement(even, dim=2)
    assert not K.radial and K.value_at_zero == 1.0
    odd = numba.njit(lambda a, b: a * np.exp(-(a * a) - b * b))
    with pytest.raises(ValueError, match="kernel: K\\(-d\\) != K\\(d\\)"):
        kernels.displacement(odd, dim=2)


@pytest.mark.parametrize(
    "call, err, match",
    [
        (lambda: kernels.gaussian(-1.0), ValueError, "h:"),
        (lambda: kernels.gaussian(float("nan")), ValueError, "h:"),
        (lambda: kernels.yukawa("a"), TypeError, "lam:"),
        (lambda: kernels.matern(1.0, 0.3), ValueError, "nu:"),
        (lambda: kernels.laplace(dim=4), ValueError, "dim:"),
        (lambda: kernels.radial(lambda r: r), TypeError, "numba-jitted"),
        (lambda: kernels.radial(numba.njit(lambda r: np.nan * r)), ValueError, "finite"),
    ],
)
def test_bad_kernel_arguments(call, err, match):
    with pytest.raises(err, match=match):
        call()


DENSE = {
    **{name: make for name, (make, _) in FORMULAS.items()},
    "log2": lambda: kernels.log(),
    "gaussian2": lambda: kernels.gaussian(0.5, dim=2),
    "tps2": lambda: kernels.thin_plate(dim=2),
    "yukawa2": lambda: kernels.yukawa(1.0, dim=2),
}


@pytest.mark.parametrize("name", sorted(DENSE))
def test_dense_matrices_match_the_compiled_scalar_loop(name):
    """Kernel matrices from NumPy's vectorised functions (exp, log kernels) equal the
    compiled loop's values, at coincident points too, also split between threads."""
    from rom.fmm import _numba
    from rom.fmm.kernels import _pad3

    K = DENSE[name]()
    rng = np.random.default_rng(3)
    X, Y = rng.random((300, K.dim)), rng.random((400, K.dim))
    Y[:7] = X[:7]  # r = 0: the kernel's convention there
    A = K.matrix(X, Y)  # 120000 entries: row blocks on every core
    ref = np.empty_like(A)
    _numba.matrix(K.kid, K.params, _pad3(X), _pad3(Y), ref)
    # log r vanishes at r = 1: the error is measured against the matrix's scale
    assert np.abs(A - ref).max() <= 1e-14 * np.abs(ref).max()
    assert np.all(np.diag(A[:7, :7]) == K.value_at_zero)

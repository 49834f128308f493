"""Translation-invariant kernels for :mod:`rom.fmm`.

A :class:`Kernel` is a function of the displacement ``d = x - y`` only. Built-in
kernels are radial; user kernels are numba-jitted functions of ``r`` (:func:`radial`)
or of the displacement components (:func:`displacement`). Every kernel carries the
scalar function compiled into the loops, its dimension, its dtype, its convention at
``r = 0`` and its homogeneity (``K(a d) = a^p K(d)``), which lets one reference
empirical interpolation serve every level of the tree.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = [
    "Kernel",
    "displacement",
    "gaussian",
    "helmholtz",
    "inverse_multiquadric",
    "laplace",
    "log",
    "matern",
    "multiquadric",
    "radial",
    "thin_plate",
    "yukawa",
]


def _positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a positive real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name}: expected a finite positive number, got {value}")
    return value


def _dimension(dim: Any) -> int:
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or dim not in (2, 3):
        raise ValueError(f"dim: expected 2 or 3, got {dim!r}")
    return int(dim)


def _is_jitted(f: Any) -> bool:
    return hasattr(f, "py_func") and hasattr(f, "compile")


class Kernel:
    """A translation-invariant kernel ``K(x - y)`` ready for the numba loops.

    Build one with the functions of :mod:`rom.fmm.kernels` (:func:`laplace`,
    :func:`gaussian`, ..., :func:`radial`, :func:`displacement`) rather than directly.

    Parameters
    ----------
    name, dim, dtype, scalar, kid, params, singular, homogeneity, radial : see Attributes
        The attributes of the same names.
    key : tuple
        What identifies the kernel in the cache of compiled loops.

    Attributes
    ----------
    name : str
        Readable name with parameters, e.g. ``"gaussian(h=0.1)"``.
    dim : int
        Space dimension, 2 or 3.
    dtype : numpy.dtype
        float64 or complex128.
    singular : bool
        Whether ``K`` is unbounded at ``r = 0``; its value there is taken as 0 (the
        pair is dropped). Self-interaction (a point with itself) is always excluded
        when targets are the sources.
    value_at_zero : float or complex
        ``K(0)`` as the loops evaluate it (0 for singular kernels).
    homogeneity : float or None
        ``p`` with ``K(a d) = a^p K(d)`` for every ``a > 0``, or None.
    radial : bool
        Whether ``K`` depends on ``|d|`` only (hence even).
    scalar : numba function
        ``scalar(kid, params, d0, d1, d2)``, the value at a displacement (``d2 = 0`` in
        2-D), called inside the compiled loops.
    kid : int
        Built-in kernel id, or -1 for a user kernel.
    params : ndarray
        Parameters passed to ``scalar``.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.fmm import kernels
    >>> K = kernels.laplace()
    >>> float(K(np.array([[0.0, 3.0, 4.0]]))[0])
    0.2
    """

    def __init__(
        self,
        name: str,
        dim: int,
        dtype: Any,
        scalar: Any,
        kid: int,
        params: Any,
        *,
        singular: bool,
        homogeneity: float | None,
        radial: bool,
        key: tuple,
    ) -> None:
        self.name = name
        self.dim = dim
        self.dtype = np.dtype(dtype)
        self.scalar = scalar
        self.kid = int(kid)
        self.params = np.ascontiguousarray(params, dtype=np.float64)
        self.singular = bool(singular)
        self.homogeneity = homogeneity
        self.radial = bool(radial)
        self.key = key
        self._loops: tuple | None = None
        # the scalar function alone: no parallel loop is compiled to know K(0)
        z = scalar(self.kid, self.params, 0.0, 0.0, 0.0)
        self.value_at_zero = complex(z) if self.dtype.kind == "c" else float(z)

    def __repr__(self) -> str:
        return f"Kernel({self.name}, dim={self.dim}, dtype={self.dtype})"

    @property
    def is_complex(self) -> bool:
        return self.dtype.kind == "c"

    def loops(self) -> tuple[Any, Any]:
        """The compiled ``(grouped_sum, matrix)`` pair for this kernel."""
        if self._loops is None:
            from rom.fmm import _numba

            if self.kid < 0:
                self._loops = _numba.make_user_loops(self.scalar)
            else:  # real or complex as the output array is
                self._loops = (_numba.grouped_sum, _numba.matrix)
        return self._loops

    def matrix(self, X: Any, Y: Any) -> np.ndarray:
        """Dense kernel matrix ``K(X_i - Y_j)``; ``X``, ``Y`` of shape (n, dim).

        Parameters
        ----------
        X : array, shape (n, dim)
            Target points (rows).
        Y : array, shape (m, dim)
            Source points (rows).
        """
        X3, Y3 = _pad3(np.asarray(X, dtype=np.float64)), _pad3(np.asarray(Y, dtype=np.float64))
        out = np.empty((X3.shape[0], Y3.shape[0]), dtype=self.dtype)
        if not out.size:
            return out
        profile = _PROFILES.get(self.kid) if self.kid >= 0 and not self.is_complex else None
        if profile is None:
            self.loops()[1](self.kid, self.params, X3, Y3, out)
        else:
            _vector_matrix(profile, self.params, X3, Y3, out)
        return out

    def __call__(self, d: Any) -> np.ndarray:
        """Values at displacements ``d`` of shape (n, dim)."""
        d = np.asarray(d, dtype=np.float64)
        if d.ndim != 2 or d.shape[1] != self.dim:
            raise ValueError(f"d: expected shape (n, {self.dim}), got {d.shape}")
        return self.matrix(d, np.zeros((1, self.dim)))[:, 0]


def _yukawa(r2: np.ndarray, p: np.ndarray) -> None:
    np.sqrt(r2, out=r2)
    zero = r2 == 0.0
    np.divide(np.exp(-p[0] * r2), r2, out=r2, where=~zero)
    r2[zero] = 0.0


def _gaussian(r2: np.ndarray, p: np.ndarray) -> None:
    np.multiply(r2, -p[0], out=r2)
    np.exp(r2, out=r2)


def _matern(poly: tuple[float, ...], scale: float) -> Any:
    def profile(r2: np.ndarray, p: np.ndarray) -> None:
        np.sqrt(r2, out=r2)
        np.multiply(r2, scale * p[0], out=r2)  # s
        e = np.exp(-r2)
        if len(poly) > 1:  # (1 + s + c s^2) exp(-s), by Horner
            acc = np.full_like(r2, poly[-1])
            for c in poly[-2::-1]:
                np.multiply(acc, r2, out=acc)
                np.add(acc, c, out=acc)
            np.multiply(acc, e, out=r2)
        else:
            r2[...] = e

    return profile


def _log_r(r2: np.ndarray, p: np.ndarray) -> None:  # log r = log(r^2) / 2
    positive = r2 > 0.0
    np.log(r2, out=r2, where=positive)
    np.multiply(r2, 0.5, out=r2)
    r2[~positive] = 0.0


def _thin_plate(r2: np.ndarray, p: np.ndarray) -> None:  # r^2 log r
    r = r2.copy()
    _log_r(r, p)
    np.multiply(r2, r, out=r2)


# built-in real kernels with an exponential or a logarithm, as NumPy expressions of
# r^2, by kernel id: NumPy's vectorised exp and log make dense matrices 1.2x (Yukawa,
# Matern) to 2.3x (Gaussian) faster than the compiled scalar loop on two cores; the
# kernels of square roots alone are faster in the compiled loop
_PROFILES: dict[int, Any] = {
    1: _yukawa,
    2: _gaussian,
    5: _matern((1.0,), 1.0),
    6: _matern((1.0, 1.0), float(np.sqrt(3.0))),
    7: _matern((1.0, 1.0, 1.0 / 3.0), float(np.sqrt(5.0))),
    8: _thin_plate,
    9: _log_r,
}
# rows of a piece of the matrix: a few hundred kilobytes, so that the distances stay
# in cache while the profile is applied
_PIECE_BYTES = 1 << 18


def _vector_matrix(profile: Any, params: np.ndarray, X3, Y3, out: np.ndarray) -> None:
    """``out = K(X - Y)`` by pieces of rows: squared distances (compiled, without the
    GIL), then the kernel's NumPy profile in place; row blocks on every core."""
    from rom.backend import map_rows, row_blocks
    from rom.fmm import _numba

    YT = np.ascontiguousarray(Y3.T)
    step = max(1, _PIECE_BYTES // (8 * Y3.shape[0]))

    def block(rows: slice) -> None:
        for a in range(rows.start, rows.stop, step):
            b = min(a + step, rows.stop)
            piece = out[a:b]
            _numba.squared_distances(X3[a:b], YT, piece)
            profile(piece, params)

    n = X3.shape[0]
    parts = 1 if out.size < 1 << 16 else None
    map_rows(block, row_blocks(n, max(1, step // 4), parts))


def _pad3(X: np.ndarray) -> np.ndarray:
    """Coordinates padded with zeros to 3 columns, C-contiguous float64."""
    if X.shape[1] == 3:
        return np.ascontiguousarray(X)
    out = np.zeros((X.shape[0], 3))
    out[:, : X.shape[1]] = X
    return out


def _builtin(name, dim, kid, params, *, singular, homogeneity, complex_=False) -> Kernel:
    from rom.fmm import _numba

    scalar = _numba.complex_kernel if complex_ else _numba.real_kernel
    return Kernel(
        name,
        dim,
        np.complex128 if complex_ else np.float64,
        scalar,
        kid,
        params if params else [0.0],
        singular=singular,
        homogeneity=homogeneity,
        radial=True,
        key=("builtin", complex_, kid, tuple(params), dim),
    )


def laplace(dim: int = 3) -> Kernel:
    """Laplace kernel: ``1/r`` in 3-D, ``log r`` in 2-D (no ``1/(4 pi)`` factor).

    Parameters
    ----------
    dim : {2, 3}
        Space dimension.

    Examples
    --------
    >>> from rom.fmm import kernels
    >>> kernels.laplace().homogeneity
    -1.0
    """
    dim = _dimension(dim)
    if dim == 2:
        return log()
    return _builtin("laplace", 3, 0, [], singular=True, homogeneity=-1.0)


def log(dim: int = 2) -> Kernel:
    """The 2-D logarithmic kernel ``log r`` (0 at ``r = 0``).

    Parameters
    ----------
    dim : {2}
        Space dimension (2 only).

    Examples
    --------
    >>> from rom.fmm import kernels
    >>> kernels.log().dim
    2
    """
    dim = _dimension(dim)
    return _builtin("log", dim, 9, [], singular=True, homogeneity=None)


def yukawa(lam: float, dim: int = 3) -> Kernel:
    """Yukawa (screened Coulomb) kernel ``exp(-lam r) / r``.

    Parameters
    ----------
    lam : float
        Screening parameter, positive.
    dim : {2, 3}
        Space dimension.

    Examples
    --------
    >>> from rom.fmm import kernels
    >>> kernels.yukawa(2.0).name
    'yukawa(lam=2)'
    """
    lam = _positive(lam, "lam")
    dim = _dimension(dim)
    return _builtin(f"yukawa(lam={lam:g})", dim, 1, [lam], singular=True, homogeneity=None)


def gaussian(h: float, dim: int = 3) -> Kernel:
    """Gaussian kernel ``exp(-r^2 / h^2)``.

    Parameters
    ----------
    h : float
        Width, positive.
    dim : {2, 3}
        Space dimension.

    Examples
    --------
    >>> from rom.fmm import kernels
    >>> kernels.gaussian(0.5).value_at_zero
    1.0
    """
    h = _positive(h, "h")
    dim = _dimension(dim)
    return _builtin(f"gaussian(h={h:g})", dim, 2, [1.0 / h**2], singular=False, homogeneity=None)


def multiquadric(c: float, dim: int = 3) -> Kernel:
    """Multiquadric ``sqrt(r^2 + c^2)``.

    Parameters
    ----------
    c : float
        Shape parameter, positive.
    dim : {2, 3}
        Space dimension.

    Examples
    --------
    >>> from rom.fmm import kernels
    >>> kernels.multiquadric(2.0).value_at_zero
    2.0
    """
    c = _positive(c, "c")
    dim = _dimension(dim)
    return _builtin(f"multiquadric(c={c:g})", dim, 3, [c * c], singular=False, homogeneity=None)


def inverse_multiquadric(c: float, dim: int = 3) -> Kernel:
    """Inverse multiquadric ``1 / sqrt(r^2 + c^2)``.

    Parameters
    ----------
    c : float
        Shape parameter, positive.
    dim : {2, 3}
        Space dimension.

    Examples
    --------
    >>> from rom.fmm import kernels
    >>> kernels.inverse_multiquadric(2.0).value_at_zero
    0.5
    """
    c = _positive(c, "c")
    dim = _dimension(dim)
    return _builtin(
        f"inverse_multiquadric(c={c:g})", dim, 4, [c * c], singular=False, homogeneity=None
    )


def matern(nu: float, length: float, dim: int = 3) -> Kernel:
    """Matern kernel with smoothness ``nu`` in {1/2, 3/2, 5/2} and unit variance.

    ``nu = 1/2``: ``exp(-r/l)``; ``3/2``: ``(1 + s) exp(-s)``, ``s = sqrt(3) r / l``;
    ``5/2``: ``(1 + s + s^2/3) exp(-s)``, ``s = sqrt(5) r / l``.

    Parameters
    ----------
    nu : {0.5, 1.5, 2.5}
        Smoothness.
    length : float
        Length scale, positive.
    dim : {2, 3}
        Space dimension.

    Examples
    --------
    >>> from rom.fmm import kernels
    >>> kernels.matern(1.5, 0.3).value_at_zero
    1.0
    """
    kids = {0.5: 5, 1.5: 6, 2.5: 7}
    if isinstance(nu, bool) or not isinstance(nu, numbers.Real) or float(nu) not in kids:
        raise ValueError(f"nu: expected 0.5, 1.5 or 2.5, got {nu!r}")
    length = _positive(length, "length")
    dim = _dimension(dim)
    return _builtin(
        f"matern(nu={float(nu):g}, length={length:g})",
        dim,
        kids[float(nu)],
        [1.0 / length],
        singular=False,
        homogeneity=None,
    )


def thin_plate(dim: int = 3) -> Kernel:
    """Thin-plate spline ``r^2 log r`` (0 at ``r = 0``).

    Parameters
    ----------
    dim : {2, 3}
        Space dimension.

    Examples
    --------
    >>> from rom.fmm import kernels
    >>> kernels.thin_plate(dim=2).value_at_zero
    0.0
    """
    dim = _dimension(dim)
    return _builtin("thin_plate", dim, 8, [], singular=False, homogeneity=None)


def helmholtz(k: float, dim: int = 3) -> Kernel:
    """Low-frequency Helmholtz kernel (complex): ``exp(i k r) / r`` in 3-D,
    ``H0^(1)(k r) = J0(k r) + i Y0(k r)`` in 2-D.

    No normalising factor, as :func:`laplace`: the fundamental solutions of
    ``-(Delta + k^2)`` are ``exp(i k r) / (4 pi r)`` in 3-D and ``(i / 4) H0^(1)(k r)`` in
    2-D. fmm3dpy's ``hfmm3d`` computes sums of ``exp(i k r) / r`` and fmm2dpy's
    ``hfmm2d`` sums of ``(i / 4) H0^(1)(k r)`` (its documentation omits the ``i / 4``).
    Both are singular at ``r = 0`` and taken as 0 there. The 2-D Hankel function is
    compiled with the loops, to a few 1e-15 relative for every ``k r > 0``.

    The far field is compressed by the same empirical interpolation as the real
    kernels, whose rank grows with ``k`` times the box size: meant for boxes a few
    wavelengths across at most.

    Parameters
    ----------
    k : float
        Wave number, positive.
    dim : {2, 3}
        Space dimension.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.fmm import kernels
    >>> kernels.helmholtz(1.0).dtype
    dtype('complex128')
    >>> K = kernels.helmholtz(2.0, dim=2)
    >>> complex(np.round(K(np.array([[0.5, 0.0]]))[0], 6))  # J0(1) + i Y0(1)
    (0.765198+0.088257j)
    """
    k = _positive(k, "k")
    dim = _dimension(dim)
    if dim == 2:
        return _builtin(
            f"helmholtz(k={k:g}, dim=2)", 2, 1, [k], singular=True, homogeneity=None, complex_=True
        )
    return _builtin(
        f"helmholtz(k={k:g})", 3, 0, [k], singular=True, homogeneity=None, complex_=True
    )


def _at_zero(f: Any, *args: float) -> Any:
    """``f`` at zero, or inf where it divides by zero (numba raises there)."""
    try:
        with np.errstate(all="ignore"):
            return f(*args)
    except ZeroDivisionError:
        return np.inf


_BARE: dict = {}
_SAMPLE_R = np.concatenate([np.geomspace(1e-3, 1e3, 61), [0.5, 1.0, 2.0]])


def radial(
    f: Any, dim: int = 3, *, homogeneity: float | None = None, name: str | None = None
) -> Kernel:
    """A user radial kernel from a numba-jitted ``f(r)`` (float64 -> float64 or complex).

    ``f(0)`` is taken as the value at zero when it is finite; otherwise the kernel is
    singular and the loops take 0 there. ``homogeneity`` declares ``f(a r) = a^p f(r)``;
    it is checked on a sample.

    Parameters
    ----------
    f : numba function
        ``f(r)`` for ``r >= 0``, compiled with ``numba.njit``.
    dim : {2, 3}
        Space dimension.
    homogeneity : float, optional
        ``p`` with ``f(a r) = a^p f(r)`` for every ``a > 0``, if there is one.
    name : str, optional
        Readable name of the kernel.

    Examples
    --------
    >>> import numba, numpy as np
    >>> from rom.fmm import kernels
    >>> K = kernels.radial(numba.njit(lambda r: np.exp(-r)))
    >>> round(float(K(np.array([[1.0, 0.0, 0.0]]))[0]), 6)
    0.367879
    """
    import numba

    if not _is_jitted(f):
        raise TypeError(
            f"kernel: expected a numba-jitted function f(r), got {type(f).__name__}; "
            "decorate it with @numba.njit"
        )
    dim = _dimension(dim)
    try:
        values = np.array([f(float(r)) for r in _SAMPLE_R])
        at0 = _at_zero(f, 0.0)
    except Exception as err:
        raise TypeError(f"kernel: f(r) failed on a float argument: {err}") from err
    if values.dtype.kind not in "fc" or not np.all(np.isfinite(values)):
        raise ValueError("kernel: f(r) must return finite real or complex numbers for r > 0")
    singular = not np.isfinite(at0)
    if homogeneity is not None:
        if isinstance(homogeneity, bool) or not isinstance(homogeneity, numbers.Real):
            raise TypeError(f"homogeneity: expected a real number, got {homogeneity!r}")
        homogeneity = float(homogeneity)
        scaled = np.array([f(2.0 * float(r)) for r in _SAMPLE_R])
        want = 2.0**homogeneity * values
        if not np.allclose(scaled, want, rtol=1e-10, atol=0):
            raise ValueError(f"homogeneity: f(2 r) != 2^{homogeneity:g} f(r) on a sample")
    complex_ = values.dtype.kind == "c"

    if singular:

        @numba.njit
        def scalar(kid, p, d0, d1, d2):  # pragma: no cover - compiled
            r = np.sqrt(d0 * d0 + d1 * d1 + d2 * d2)
            if r > 0.0:
                return f(r)
            return f(1.0) * 0.0

    else:

        @numba.njit
        def scalar(kid, p, d0, d1, d2):  # pragma: no cover - compiled
            return f(np.sqrt(d0 * d0 + d1 * d1 + d2 * d2))

    return Kernel(
        name or getattr(f, "__name__", "radial"),
        dim,
        np.complex128 if complex_ else np.float64,
        scalar,
        -1,
        [0.0],
        singular=singular,
        homogeneity=homogeneity,
        radial=True,
        # the function itself, not its id: the far-field cache keys on it, and an id
        # can be reused once a function is collected
        key=("user", "radial", f, dim, homogeneity),
    )


def displacement(
    f: Any, dim: int = 3, *, homogeneity: float | None = None, name: str | None = None
) -> Kernel:
    """A user kernel from a numba-jitted ``f(d0, d1)`` (2-D) or ``f(d0, d1, d2)`` (3-D).

    The fast multipole method uses the same interpolation on the source and on the
    target side, which needs ``K(-d) = K(d)``: this is checked on a sample and an
    odd or non-symmetric kernel is refused. ``f(0)`` that is not finite makes the kernel
    singular (0 is used there).

    Parameters
    ----------
    f : numba function
        ``f(d0, d1)`` or ``f(d0, d1, d2)``, compiled with ``numba.njit``.
    dim : {2, 3}
        Space dimension.
    homogeneity : float, optional
        ``p`` with ``K(a d) = a^p K(d)`` for every ``a > 0``, if there is one.
    name : str, optional
        Readable name of the kernel.

    Examples
    --------
    >>> import numba, numpy as np
    >>> from rom.fmm import kernels
    >>> K = kernels.displacement(numba.njit(lambda a, b, c: np.exp(-a * a - 2 * b * b - c * c)))
    >>> float(K(np.zeros((1, 3)))[0])
    1.0
    """
    import numba

    if not _is_jitted(f):
        raise TypeError(
            f"kernel: expected a numba-jitted function of the displacement, got "
            f"{type(f).__name__}; decorate it with @numba.njit"
        )
    dim = _dimension(dim)
    rng = np.random.default_rng(0)
    D = rng.standard_normal((64, dim)) * np.geomspace(0.05, 20, 64)[:, None]
    try:
        plus = np.array([f(*map(float, d)) for d in D])
        minus = np.array([f(*map(float, -d)) for d in D])
        at0 = _at_zero(f, *([0.0] * dim))
    except Exception as err:
        raise TypeError(
            f"kernel: f must take the {dim} displacement components as floats: {err}"
        ) from err
    if plus.dtype.kind not in "fc" or not np.all(np.isfinite(plus)):
        raise ValueError("kernel: f must return finite real or complex numbers for d != 0")
    scale = np.max(np.abs(plus))
    if np.max(np.abs(plus - minus)) > 1e-10 * scale:
        raise ValueError(
            "kernel: K(-d) != K(d) on a sample; the EIFMM interpolates sources and targets "
            "with the same points and needs an even kernel"
        )
    singular = not np.isfinite(at0)
    if homogeneity is not None:
        homogeneity = float(homogeneity)
        scaled = np.array([f(*map(float, 2.0 * d)) for d in D])
        if not np.allclose(scaled, 2.0**homogeneity * plus, rtol=1e-10, atol=0):
            raise ValueError(f"homogeneity: K(2 d) != 2^{homogeneity:g} K(d) on a sample")
    complex_ = plus.dtype.kind == "c"
    if dim == 2:

        @numba.njit
        def g(d0, d1, d2):  # pragma: no cover - compiled
            return f(d0, d1)

    else:
        g = f
    if singular:

        @numba.njit
        def scalar(kid, p, d0, d1, d2):  # pragma: no cover - compiled
            if d0 == 0.0 and d1 == 0.0 and d2 == 0.0:
                return g(1.0, 0.0, 0.0) * 0.0
            return g(d0, d1, d2)

    else:

        @numba.njit
        def scalar(kid, p, d0, d1, d2):  # pragma: no cover - compiled
            return g(d0, d1, d2)

    return Kernel(
        name or getattr(f, "__name__", "displacement"),
        dim,
        np.complex128 if complex_ else np.float64,
        scalar,
        -1,
        [0.0],
        singular=singular,
        homogeneity=homogeneity,
        radial=False,
        key=("user", "displacement", f, dim, homogeneity),
    )


def as_kernel(kernel: Any, dim: int | None = None, name: str = "kernel") -> Kernel:
    """A :class:`Kernel`, or a bare jitted ``f(r)`` wrapped as a radial kernel."""
    if isinstance(kernel, Kernel):
        if dim is not None and kernel.dim != dim:
            raise ValueError(
                f"{name}: a {kernel.dim}-D kernel was given for {dim}-D points; "
                f"build it with dim={dim}"
            )
        return kernel
    if _is_jitted(kernel):
        # one Kernel (hence one compilation of its loops) per bare function and dimension
        dim = 3 if dim is None else dim
        K = _BARE.get((kernel, dim))
        if K is None:
            K = _BARE[(kernel, dim)] = radial(kernel, dim=dim)
        return K
    raise TypeError(
        f"{name}: expected a rom.fmm.kernels.Kernel or a numba-jitted f(r), "
        f"got {type(kernel).__name__}"
    )

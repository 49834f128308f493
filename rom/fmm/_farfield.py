"""Far-field operators of one tree level: empirical (EIM) or Chebyshev interpolation.

For a source box ``B = [-h/2, h/2]^d`` and targets ``x`` in its far field ``F`` (outside
the cube of half side ``3h/2``), ``K(x - y) ~ sum_m K(x - y_m) q_m(y)`` for ``y`` in ``B``.
The EIM gives points ``y_m`` on a training grid of ``B`` and Lagrange functions
``q_m(y) = sum_k C[k, m] K(x_k - y)`` (``x_k`` the training targets the greedy selected),
``C = L^{-T} D^{-1} B^{-1}`` with the unit lower triangular factors of the greedy;
Chebyshev interpolation gives tensor points and Lagrange polynomials.
"""

from __future__ import annotations

import functools
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from rom.fmm.kernels import Kernel, _pad3

# training tiers: (n_y per dim, n_surface per face edge for near / far shells, greedy floor)
_TIERS = {
    2: [(14, 40, 16, 1e-5), (20, 56, 20, 1e-8), (28, 72, 24, 1e-11)],
    3: [(7, 8, 5, 1e-5), (9, 10, 6, 1e-8), (11, 12, 6, 1e-11)],
}
NEAR_SHELLS = (1.5, 2.0, 2.5, 3.5)
# kernels whose interpolation error can peak between shells train on dense ones
DENSE_NEAR_SHELLS = tuple(np.arange(1.5, 3.51, 0.25))
FAR_SHELLS = (5.5, 9.5, 17.5, 33.5)


class TrainingCache:
    """Least recently used store of far-field trainings, bounded in bytes and entries.

    A training (one greedy per kernel, box side and training tier) holds a few to a
    few tens of megabytes; the box sides repeat between point sets (the root box is
    rounded to a power of two), so later fits with the same kernel reuse them. The
    least recently used entries go first when the arrays held exceed ``max_bytes`` or
    the entries ``max_entries``; an entry larger than ``max_bytes`` is not kept.
    """

    def __init__(self, max_bytes: int, max_entries: int) -> None:
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self._data: OrderedDict = OrderedDict()
        self._sizes: dict = {}
        self.nbytes = 0
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            if key not in self._data:
                return None
            self._data.move_to_end(key)
            return self._data[key]

    def put(self, key: Any, value: Any) -> None:
        size = _nbytes(value)
        with self._lock:
            if key in self._data:
                self.nbytes -= self._sizes.pop(key)
                del self._data[key]
            if size > self.max_bytes:
                return
            self._data[key] = value
            self._sizes[key] = size
            self.nbytes += size
            while self._data and (
                self.nbytes > self.max_bytes or len(self._data) > self.max_entries
            ):
                old, _ = self._data.popitem(last=False)
                self.nbytes -= self._sizes.pop(old)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._sizes.clear()
            self.nbytes = 0

    def __len__(self) -> int:
        return len(self._data)


def _nbytes(value: Any) -> int:
    """The bytes of the arrays a cached value holds (its own, and its greedy's)."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, Training):
        inner = list(vars(value).values()) + list(vars(value.eim).values() if value.eim else [])
        return sum(int(v.nbytes) for v in inner if isinstance(v, np.ndarray))
    return 0


#: trainings, validation errors and kernel maxima of far fields: 1 GiB of arrays at
#: most, 4096 entries (the small ones are numbers)
CACHE = TrainingCache(max_bytes=2**30, max_entries=4096)


def clear_cache() -> None:
    """Forget the far-field trainings that :class:`rom.fmm.EIFMM` keeps between fits.

    ``EIFMM.fit`` trains the empirical interpolation of each tree level once per
    kernel, box side and tolerance tier and keeps the result, so that later fits with
    the same kernel skip it. The store is bounded: the least recently used trainings
    go first when their arrays exceed ``CACHE.max_bytes`` (1 GiB) or the entries
    ``CACHE.max_entries`` (4096). Clearing it frees that memory, or makes the next fit
    time its training (benchmarks). A fitted EIFMM does not depend on it.

    Examples
    --------
    >>> import rom.fmm
    >>> rom.fmm.clear_cache()
    >>> rom.fmm.cache_info()["entries"]
    0
    """
    CACHE.clear()


def cache_info() -> dict:
    """The far-field training store: ``entries``, ``nbytes`` held, and its bounds
    ``max_bytes`` and ``max_entries`` (see :func:`clear_cache`).

    Examples
    --------
    >>> import rom.fmm
    >>> sorted(rom.fmm.cache_info())
    ['entries', 'max_bytes', 'max_entries', 'nbytes']
    """
    return {
        "entries": len(CACHE),
        "nbytes": CACHE.nbytes,
        "max_bytes": CACHE.max_bytes,
        "max_entries": CACHE.max_entries,
    }


def tier(tol: float) -> int:
    return 0 if tol >= 3e-5 else (1 if tol >= 3e-8 else 2)


def lobatto(n: int) -> np.ndarray:
    return np.cos(np.pi * np.arange(n) / (n - 1))[::-1].copy()


def chebyshev_nodes(p: int) -> np.ndarray:
    return np.cos(np.pi * (2 * np.arange(p) + 1) / (2 * p))[::-1].copy()


def tensor(nodes: np.ndarray, dim: int) -> np.ndarray:
    grids = np.meshgrid(*([nodes] * dim), indexing="ij")
    return np.stack([g.ravel() for g in grids], axis=1)


@functools.lru_cache(maxsize=64)
def shell(s: float, n: int, dim: int) -> np.ndarray:
    """Points on the boundary of the cube ``[-s, s]^dim``, ``n`` per edge of a face.

    Cached (the training sets of every level and kernel share them): read-only.
    """
    t = np.linspace(-s, s, n)
    pts = []
    for a in range(dim):
        face = tensor(t, dim - 1)
        for sign in (-s, s):
            P = np.insert(face, a, sign, axis=1)
            pts.append(P)
    P = np.unique(np.round(np.concatenate(pts), 12), axis=0)
    P.flags.writeable = False
    return P


def dense_shells(K: Kernel) -> bool:
    """Whether the training far field needs the dense near shells.

    Kernels that obey a maximum principle off the box (1/r, log r, Yukawa) have
    interpolation errors, solutions of the same equation, largest on the boundaries
    of the training shells. Measured for the other built-in kernels in 3-D at
    ``tol = 1e-6`` (the largest error on random far-field targets, over the greedy's
    estimate, and the potentials on uniform and clustered points): only the Gaussian
    peaks between the four shells (at ``h = 0.2``: error 1.9 times the estimate and
    1.9e-6 on the potentials with them, 1.3 and 4.7e-7 with the dense ones); the
    multiquadrics, Matern kernels and the thin-plate spline are as accurate on the
    four shells (their ranks within 5 %) at half the training cost. Helmholtz (an
    oscillating kernel, not measured so) and user kernels keep the dense shells.
    """
    if K.key[0] != "builtin":
        return True
    return K.name.split("(")[0] in ("gaussian", "helmholtz")


def training_set(
    dim: int, level_tier: int, reach: float = np.inf, dense: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Reference (h = 1) training sources ``y`` in B and targets ``x`` in F.

    Targets lie on the boundaries of cubes of half sides ``NEAR_SHELLS`` and
    ``FAR_SHELLS`` (in box sides) up to ``reach``, the farthest a target of the tree
    can be.
    """
    ny, nnear, nfar, _ = _TIERS[dim][level_tier]
    Y = tensor(0.5 * lobatto(ny), dim)
    near = DENSE_NEAR_SHELLS if dense else NEAR_SHELLS
    X = np.concatenate(
        [shell(s, nnear, dim) for s in near if s <= max(reach, near[-1])]
        + [shell(s, nfar, dim) for s in FAR_SHELLS if s <= reach]
    )
    return Y, X


def validation_set(
    dim: int, X: np.ndarray, reach: float = np.inf
) -> tuple[np.ndarray, np.ndarray]:
    """Off-grid sources (uniform in B and on its faces), a subset of the targets, and
    targets off the shells, uniform in the near far field (up to 4.5 box sides)."""
    rng = np.random.default_rng(1408_0210)
    n = 300 if dim == 3 else 200
    Y = rng.uniform(-0.5, 0.5, (n, dim))
    Y[: n // 3, 0] = rng.choice([-0.5, 0.5], n // 3)
    Xs = X[rng.choice(X.shape[0], min(X.shape[0], 1500), replace=False)]
    outer = min(max(reach, 3.5), 4.5)
    Xo = rng.uniform(-outer, outer, (4 * n, dim))
    Xo = Xo[np.abs(Xo).max(axis=1) >= 1.5]
    return Y, np.concatenate([Xs, Xo])


@dataclass
class Training:
    """A greedy run (or a Chebyshev order scan) for one box side."""

    method: str
    h: float
    scale_exp: float  # C_h = h^scale_exp * C_ref for a reference operator, 0 otherwise
    eim: Any = None
    Ytrain: np.ndarray | None = None
    Xtrain: np.ndarray | None = None
    own_max: float = 0.0
    errors: np.ndarray | None = None  # max-norm error on the training set per rank
    cheb_orders: np.ndarray | None = None
    target: float = 0.0
    exhausted: bool = False


class LevelOperator:
    """Interpolation data for boxes of side ``h``: points, Lagrange functions, factors."""

    def __init__(self, K: Kernel, train: Training, rank: int, h: float, dim: int):
        self.K, self.h, self.dim, self.method = K, h, dim, train.method
        ratio = h / train.h
        self.ratio = ratio
        if train.method == "eim":
            e = train.eim
            r = rank
            self.rank = r
            self.Y = ratio * train.Ytrain[e.points_[:r]]
            self.X = ratio * train.Xtrain[e.params_[:r]]
            self.Lf = np.ascontiguousarray(e.param_basis_[e.params_[:r], :r])
            self.Bf = np.ascontiguousarray(e.interpolation_matrix_[:r, :r])
            self.piv = np.asarray(e.pivots_[:r])
            # K(h x) = h^p K(x): C_h = ratio^{-p} C_ref
            self.scale = ratio ** (-K.homogeneity) if train.scale_exp else 1.0
        else:
            p = rank
            self.order = p
            self.rank = p**dim
            self.nodes = chebyshev_nodes(p)
            self.Y = (h / 2) * tensor(self.nodes, dim)
        self.Y3 = _pad3(self.Y)
        if self.method == "eim":
            self.X3 = _pad3(self.X)

    # EIM: q(y)^T = k(y)^T C with k(y)_k = K(X_k - y), C = s L^{-T} D^{-1} B^{-1}
    def factors(self, xp: Any = np) -> tuple:
        """``(solve_triangular, L, pivots, B)`` on the array module ``xp``.

        The Lagrange operator ``C`` is applied by triangular solves with the greedy's
        unit triangular factors, never formed: at tol 1e-9 an explicit ``C`` loses
        four digits (its entries are sums of large terms of both signs).
        """
        from rom.backend import scipy_linalg

        return (
            scipy_linalg(xp).solve_triangular,
            xp.asarray(self.Lf),
            xp.asarray(self.piv)[:, None],
            xp.asarray(self.Bf),
        )

    def apply_CT(self, W: Any, factors: tuple | None = None) -> Any:
        """``C^T W`` for ``W`` of shape (r, m) (``factors``: see :meth:`factors`)."""
        solve, Lf, piv, Bf = factors or self.factors()
        Z = solve(Lf, W, lower=True, unit_diagonal=True)
        Z /= piv
        Z = solve(Bf, Z, lower=True, unit_diagonal=True, trans="T")
        return Z * self.scale if self.scale != 1.0 else Z

    def apply_C(self, V: Any, factors: tuple | None = None) -> Any:
        """``C V`` for ``V`` of shape (r, m)."""
        solve, Lf, piv, Bf = factors or self.factors()
        Z = solve(Bf, V, lower=True, unit_diagonal=True)
        Z /= piv
        Z = solve(Lf, Z, lower=True, unit_diagonal=True, trans="T")
        return Z * self.scale if self.scale != 1.0 else Z

    def q_matrix(self, Z: np.ndarray) -> np.ndarray:
        """Lagrange functions at points ``Z`` (n, dim), shape (n, r)."""
        if self.method == "eim":
            Kz = self.K.matrix(self.X, Z)  # (r, n): K(X_k - z)
            return self.apply_CT(Kz).T
        t = Z / (self.h / 2)
        p = self.order
        lag = []
        for a in range(self.dim):
            La = np.ones((Z.shape[0], p))
            for i in range(p):
                for m in range(p):
                    if m != i:
                        La[:, i] *= (t[:, a] - self.nodes[m]) / (self.nodes[i] - self.nodes[m])
            lag.append(La)
        Q = lag[0]
        for a in range(1, self.dim):
            Q = (Q[:, :, None] * lag[a][:, None, :]).reshape(Z.shape[0], -1)
        return Q


def _run_eim(S: np.ndarray, target: float):
    from rom.eim import EIM

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return EIM(tol=target, relative=False, norm="linf", backend="numba").fit(S)


def train(
    K: Kernel,
    method: str,
    h: float,
    level_tier: int,
    max_order: int,
    reach: float,
    target: float,
) -> Training:
    """Greedy (or Chebyshev order scan) for boxes of side ``h`` down to error ``target``.

    A homogeneous kernel is trained once, on the reference box (``h = 1``) and the
    whole training far field; other kernels per box side, on the far field that
    reaches ``reach`` box sides from the box (the root box). The greedy stops when its
    largest residual on the training set is at most ``target`` (an absolute error at
    box side ``h``). Results are cached: a cached run that went at least as deep is
    reused, the greedy being nested, also one on a finer training tier (a finer grid of
    the same box and far field only makes the measured errors more conservative).
    """
    homog = K.homogeneity is not None
    href = 1.0 if homog else float(h)
    reach = np.inf if homog else float(reach)
    ref_target = target * (href / h) ** K.homogeneity if homog else target
    key = (K.key, method, href, level_tier, max_order if method == "chebyshev" else 0, reach)
    # a run on a finer training tier serves a coarser one when it went deep enough
    for t in range(len(_TIERS[K.dim]) - 1, level_tier - 1, -1):
        hit = CACHE.get((*key[:3], t, *key[4:]))
        if hit is not None and (hit.target <= ref_target or (hit.exhausted and t == level_tier)):
            return hit
    dim = K.dim
    Y, X = training_set(dim, level_tier, reach, dense_shells(K))
    Y, X = href * Y, href * X
    # even kernel: S[i, j] = K(x_j - y_i) = K(y_i - x_j), computed column-major (the
    # greedy's layout: its working copy is then a plain copy, not a transposition)
    S = K.matrix(X, Y).T
    # no temporary of the size of S (a few tens of megabytes)
    own = float(max(S.max(), -S.min())) if S.dtype.kind == "f" else float(np.abs(S).max())
    tr = Training(method, href, 1.0 if homog else 0.0, Ytrain=Y, Xtrain=X, own_max=own)
    tr.target = ref_target
    tr.exhausted = False
    if own == 0.0:
        tr.errors = np.zeros(1)
        tr.cheb_orders = np.zeros(1, np.int64)
    elif method == "eim":
        floor = max(ref_target, 1e-14 * own)
        tr.eim = _run_eim(S, floor)
        tr.errors = np.asarray(tr.eim.errors_, dtype=float)
        tr.exhausted = tr.eim.stop_reason_ != "tol"
    else:
        Yv, Xv = validation_set(dim, X / href, reach)
        Yv, Xv = href * Yv, href * Xv
        Sv = K.matrix(Yv, Xv)
        errs, orders = [own], [0]
        for p in range(2, max_order + 1):
            op = LevelOperator(K, Training("chebyshev", href, 0.0), p, href, dim)
            approx = op.q_matrix(Yv) @ K.matrix(op.Y, Xv)
            errs.append(float(np.abs(Sv - approx).max()))
            orders.append(p)
            if errs[-1] <= ref_target:
                break
        else:
            tr.exhausted = True
        tr.errors, tr.cheb_orders = np.asarray(errs), np.asarray(orders)
    CACHE.put(key, tr)
    return tr


def validate(K: Kernel, op: LevelOperator, reach: float) -> float:
    """Max error of the interpolant on off-grid sources and reference targets (cached)."""
    if K.homogeneity is not None:
        reach = np.inf
    key = ("validate", K.key, op.method, op.h, reach, op.Y.tobytes())
    error = CACHE.get(key)
    if error is None:
        error = _validate(K, op, reach)
        CACHE.put(key, error)
    return error


def _validate(K: Kernel, op: LevelOperator, reach: float) -> float:
    Yv, Xv = validation_set(K.dim, training_set(K.dim, 0, reach, dense_shells(K))[1], reach)
    Yv, Xv = op.h * Yv, op.h * Xv
    approx = op.q_matrix(Yv) @ K.matrix(op.Y, Xv)
    return float(np.abs(K.matrix(Yv, Xv) - approx).max())


def own_max(K: Kernel, h: float, level_tier: int, reach: float) -> float:
    """Largest |K(x - y)| over the training set of boxes of side ``h``."""
    if K.homogeneity is not None:
        reach = np.inf
    key = ("own_max", K.key, h, level_tier, reach)
    value = CACHE.get(key)
    if value is None:
        Y, X = training_set(K.dim, level_tier, reach, dense_shells(K))
        # the largest values are at the extreme sources (corners, faces) and nearest shell
        corner = np.abs(Y).max(axis=1) >= 0.5 - 1e-12
        value = float(np.abs(K.matrix(h * Y[corner], h * X)).max())
        CACHE.put(key, value)
    return value

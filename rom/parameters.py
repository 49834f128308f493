"""Parameter spaces: named box-bounded parameters, samplers, log scales."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

__all__ = ["ParameterSpace"]

#: the methods of :meth:`ParameterSpace.sample` (``n`` points in all); a tensor grid
#: is :meth:`ParameterSpace.grid` (points per axis)
SAMPLERS = ("random", "lhs", "sobol")

#: The most values (rows x parameters) that :meth:`ParameterSpace.sample` returns:
#: 2**27 float64 values, 1 GiB. A larger request is refused before anything is allocated.
MAX_SAMPLE_VALUES = 2**27


class ParameterSpace:
    """A box of named parameters, some of them on a logarithmic scale.

    Parameter sets are rows: a sample of ``k`` parameter values is a ``(k, dim)``
    array whose columns follow :attr:`names`.

    Parameters
    ----------
    bounds : mapping of str to (low, high)
        Bounds of each parameter, ``low <= high`` (equal bounds fix a parameter).
    log : iterable of str
        Names of the parameters sampled uniformly in ``log(mu)`` (bounds must be > 0).

    Examples
    --------
    >>> from rom.parameters import ParameterSpace
    >>> space = ParameterSpace({"k": (0.1, 10.0), "f": (0.0, 1.0)}, log=["k"])
    >>> space.grid(4).shape  # 4 points per axis
    (16, 2)
    >>> space.sample(16, method="lhs", random_state=0).shape  # 16 points in all
    (16, 2)
    >>> space.check({"k": 1.0, "f": 0.5})
    array([1. , 0.5])
    """

    def __init__(self, bounds: Mapping[str, tuple[float, float]], log: Iterable[str] = ()):
        if not isinstance(bounds, Mapping) or len(bounds) == 0:
            raise TypeError("bounds: expected a non-empty mapping of names to (low, high)")
        names, lows, highs = [], [], []
        for name, pair in bounds.items():
            if not isinstance(name, str) or not name:
                raise TypeError(f"bounds: parameter names must be non-empty strings, got {name!r}")
            try:
                low, high = (float(v) for v in pair)
            except (TypeError, ValueError) as err:
                raise TypeError(
                    f"bounds[{name!r}]: expected a pair of numbers (low, high), got {pair!r}"
                ) from err
            if not (np.isfinite(low) and np.isfinite(high)):
                raise ValueError(f"bounds[{name!r}]: bounds must be finite, got ({low}, {high})")
            if low > high:
                raise ValueError(f"bounds[{name!r}]: low must be <= high, got ({low}, {high})")
            names.append(name)
            lows.append(low)
            highs.append(high)
        if isinstance(log, str):
            log = [log]
        log = tuple(log)
        for name in log:
            if name not in names:
                raise ValueError(f"log: {name!r} is not a parameter name (names: {names})")
            if lows[names.index(name)] <= 0:
                raise ValueError(f"log: parameter {name!r} needs positive bounds for a log scale")
        self.bounds = {n: (lo, hi) for n, lo, hi in zip(names, lows, highs, strict=True)}
        self.log = log
        self._low = np.array(lows)
        self._high = np.array(highs)
        self._is_log = np.array([n in log for n in names])
        # bounds widened by round-off, for check()
        slack = 1e-12 * np.maximum(np.abs(self._low), np.abs(self._high)) + 1e-300
        self._check_low = self._low - slack
        self._check_high = self._high + slack

    # ------------------------------------------------------------------ basics
    @property
    def names(self) -> tuple[str, ...]:
        """Parameter names, in column order."""
        return tuple(self.bounds)

    @property
    def dim(self) -> int:
        """Number of parameters."""
        return len(self.bounds)

    @property
    def lows(self) -> np.ndarray:
        return self._low.copy()

    @property
    def highs(self) -> np.ndarray:
        return self._high.copy()

    def __repr__(self) -> str:
        log = f", log={list(self.log)}" if self.log else ""
        return f"ParameterSpace({self.bounds}{log})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ParameterSpace)
            and self.bounds == other.bounds
            and set(self.log) == set(other.log)
        )

    def __hash__(self) -> int:
        return hash((tuple(self.bounds.items()), frozenset(self.log)))

    def to_dict(self) -> dict:
        """A JSON-serialisable description (for saved models and snapshot stores)."""
        return {"bounds": {n: list(b) for n, b in self.bounds.items()}, "log": list(self.log)}

    @classmethod
    def from_dict(cls, data: Mapping) -> ParameterSpace:
        """Inverse of :meth:`to_dict`.

        Parameters
        ----------
        data : mapping
            What :meth:`to_dict` returned.
        """
        return cls({n: tuple(b) for n, b in data["bounds"].items()}, log=data.get("log", ()))

    def _to_arrays(self) -> tuple[dict, dict]:
        """Saved as its description, no arrays (see :mod:`rom.io.persist`)."""
        return self.to_dict(), {}

    @classmethod
    def _from_arrays(cls, settings: dict, arrays: dict) -> ParameterSpace:
        if not isinstance(settings.get("bounds"), Mapping):
            raise ValueError("ParameterSpace: expected its bounds in the settings")
        return cls.from_dict(settings)  # the constructor validates the bounds

    # ------------------------------------------------------------------ scaling
    def _scaled_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        lo = np.where(self._is_log, np.log(np.where(self._is_log, self._low, 1.0)), self._low)
        hi = np.where(self._is_log, np.log(np.where(self._is_log, self._high, 1.0)), self._high)
        return lo, hi

    def to_unit(self, mu: Any) -> np.ndarray:
        """Map parameter rows to the unit cube (log dimensions in log scale).

        Fixed parameters (equal bounds) map to 0.5.
        """
        x = np.atleast_2d(self.check(mu)).copy()
        x[:, self._is_log] = np.log(x[:, self._is_log])
        lo, hi = self._scaled_bounds()
        width = hi - lo
        return np.where(width > 0, (x - lo) / np.where(width > 0, width, 1.0), 0.5)

    def from_unit(self, u: Any) -> np.ndarray:
        """Map points of the unit cube (rows) to the space (log dimensions exponentiated).

        Parameters
        ----------
        u : array_like, shape (k, n_params)
            Points of the unit cube (rows).
        """
        u = np.atleast_2d(np.asarray(u, dtype=float))
        if u.shape[1] != self.dim:
            raise ValueError(f"u: expected {self.dim} columns, got shape {u.shape}")
        lo, hi = self._scaled_bounds()
        x = (1.0 - u) * lo + u * hi  # not lo + u * (hi - lo): hi - lo may overflow
        x[:, self._is_log] = np.exp(x[:, self._is_log])
        # exp(log(b)) may miss b by an ulp: the bounds themselves are exact, and the rest
        # stays inside the box
        x = np.where(u == 0, self._low, np.where(u == 1, self._high, x))
        return np.clip(x, self._low, self._high)

    # ------------------------------------------------------------------ sampling
    def _check_size(self, rows: int, what: str) -> None:
        if rows * self.dim > MAX_SAMPLE_VALUES:
            raise ValueError(
                f"{what} of {self.dim} parameters would be {rows * self.dim:.3g} values, "
                f"more than the limit of {MAX_SAMPLE_VALUES} (2**27, 1 GiB; "
                "rom.parameters.MAX_SAMPLE_VALUES)"
            )

    def sample(
        self, n: int, method: str = "random", random_state: int | None = None
    ) -> np.ndarray:
        """Draw ``n`` parameter sets (rows).

        Parameters
        ----------
        n : int
            Number of points, in all.
        method : {"random", "lhs", "sobol"}
            Uniform random, Latin hypercube (``scipy.stats.qmc``) or scrambled Sobol'.
            Log-scaled parameters are uniform in ``log(mu)``. A tensor grid is
            :meth:`grid` (its size is given per axis).
        random_state : int, optional
            Seed.

        Returns
        -------
        numpy.ndarray, shape (n, dim)

        Raises
        ------
        ValueError
            ``method="grid"`` (use :meth:`grid`), or a result of more than
            ``MAX_SAMPLE_VALUES`` (2**27, 1 GiB) values, checked before anything is
            allocated.

        Examples
        --------
        >>> from rom.parameters import ParameterSpace
        >>> ParameterSpace({"a": (0.0, 1.0), "b": (1.0, 2.0)}).sample(5, "sobol", 0).shape
        (5, 2)
        """
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"n: expected a positive integer, got {n!r}")
        if method == "grid":
            raise ValueError(
                "method: 'grid' is not a sampler of n points; use ParameterSpace.grid(per_axis) "
                f"for a tensor grid of per_axis ** {self.dim} points"
            )
        if method not in SAMPLERS:
            raise ValueError(f"method: expected one of {SAMPLERS}, got {method!r}")
        if random_state is not None and (
            isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral)
        ):
            raise TypeError(f"random_state: expected an integer or None, got {random_state!r}")
        n = int(n)
        self._check_size(n, f"n: {n} points")
        if method == "random":
            u = np.random.default_rng(random_state).random((n, self.dim))
        else:
            from scipy.stats import qmc

            if method == "lhs":
                u = qmc.LatinHypercube(d=self.dim, seed=random_state).random(n)
            else:
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", message=".*balance properties.*")
                    u = qmc.Sobol(d=self.dim, scramble=True, seed=random_state).random(n)
        return self.from_unit(u)

    def grid(self, per_axis: int) -> np.ndarray:
        """The tensor grid with ``per_axis`` points along each parameter (rows).

        The result has ``per_axis ** d`` rows, ``d`` the number of parameters that are
        not fixed; the first parameter varies slowest, both bounds are included
        (``per_axis = 1`` gives the centre), a log-scaled parameter is spaced evenly in
        ``log(mu)``, and a fixed parameter (equal bounds) contributes its single value.

        Parameters
        ----------
        per_axis : int
            Points per parameter.

        Returns
        -------
        numpy.ndarray, shape (per_axis ** d, dim)

        Raises
        ------
        ValueError
            ``per_axis`` not a positive integer, or a grid of more than
            ``MAX_SAMPLE_VALUES`` values (checked before anything is allocated).

        Examples
        --------
        >>> from rom.parameters import ParameterSpace
        >>> ParameterSpace({"a": (0.0, 1.0), "b": (1.0, 2.0)}).grid(3).shape
        (9, 2)
        >>> ParameterSpace({"k": (0.1, 10.0)}, log=["k"]).grid(3)[:, 0]
        array([ 0.1,  1. , 10. ])
        """
        if (
            isinstance(per_axis, bool)
            or not isinstance(per_axis, numbers.Integral)
            or per_axis < 1
        ):
            raise ValueError(f"per_axis: expected a positive integer, got {per_axis!r}")
        n = int(per_axis)
        fixed = self._high == self._low
        free = int((~fixed).sum())
        # exact integers: n ** free can be far beyond what a float or an int64 holds
        self._check_size(n**free, f"per_axis: {n} ** {free} grid points")
        axes = [
            np.array([0.0]) if f else np.linspace(0.0, 1.0, n) if n > 1 else np.array([0.5])
            for f in fixed
        ]
        u = np.stack([a.ravel() for a in np.meshgrid(*axes, indexing="ij")], axis=1)
        return self.from_unit(u)

    # ------------------------------------------------------------------ checking
    def check(self, mu: Any, name: str = "mu") -> np.ndarray:
        """Validate parameter values and return them as an array.

        Parameters
        ----------
        mu : dict, 1-D array of length ``dim``, or 2-D array of shape (k, dim)
            A dict must name every parameter exactly once. A 1-D array is one
            parameter set (the one rule of :func:`rom.validation.check_parameters`).
        name : str
            The argument's name in error messages.

        Returns
        -------
        numpy.ndarray, shape (dim,) or (k, dim)

        Raises
        ------
        ValueError
            Wrong size, unknown or missing names, NaN, or a value outside the bounds
            (the message names the parameter and its bounds).
        TypeError
            Values that are not real numbers (strings, complex numbers, objects).
        """
        if isinstance(mu, Mapping):
            unknown = sorted(set(mu) - set(self.names))
            missing = [n for n in self.names if n not in mu]
            if unknown or missing:
                raise ValueError(
                    f"{name}: expected the parameters {list(self.names)}; "
                    f"unknown: {unknown}, missing: {missing}"
                )
            for n in self.names:
                value = np.asarray(mu[n])
                if value.ndim != 0 or value.dtype.kind not in "biuf":
                    raise TypeError(f"{name}: {n!r} must be a real number, got {mu[n]!r}")
            arr = np.array([float(mu[n]) for n in self.names])
        else:
            try:
                arr = np.asarray(mu)
            except (TypeError, ValueError):  # ragged nested sequences
                arr = None
            if arr is None or arr.dtype.kind not in "biuf":  # also strings, complex, objects
                raise TypeError(
                    f"{name}: expected a dict or an array of {self.dim} real numbers, got {mu!r}"
                )
            arr = arr.astype(float)
            if arr.ndim == 0 and self.dim == 1:
                arr = arr.reshape(1)
            if arr.ndim not in (1, 2) or arr.shape[-1] != self.dim:
                raise ValueError(
                    f"{name}: expected {self.dim} values (or rows of {self.dim}) for "
                    f"{list(self.names)}, got shape {arr.shape}"
                )
        if not np.isfinite(arr).all():
            raise ValueError(f"{name}: contains NaN or inf")
        rows = np.atleast_2d(arr)
        bad = (rows < self._check_low) | (rows > self._check_high)
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise ValueError(
                f"{name}: parameter {self.names[j]!r} = {float(rows[i, j])!r} is outside "
                f"its bounds {self.bounds[self.names[j]]}"
            )
        return arr

    def contains(self, mu: Any) -> bool:
        """Whether ``mu`` is a valid point (or rows of points) of the space.

        Parameters
        ----------
        mu : array_like, shape (n_params,) or (k, n_params)
            Parameter sets (rows).
        """
        try:
            self.check(mu)
        except (TypeError, ValueError):
            return False
        return True

    def to_dicts(self, mus: Any) -> list[dict[str, float]]:
        """Rows of parameter values as a list of ``{name: value}`` dicts.

        Parameters
        ----------
        mus : array_like, shape (k, n_params)
            Parameter sets (rows).
        """
        rows = np.atleast_2d(self.check(mus))
        return [dict(zip(self.names, map(float, row), strict=True)) for row in rows]

"""The weak greedy loop: one algorithm for reduced bases, SCM and any surrogate."""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from rom._progress import progress_bar

__all__ = ["ExtensionError", "GreedyResult", "weak_greedy"]

logger = logging.getLogger("rom.rb.greedy")


class ExtensionError(Exception):
    """Raised by ``surrogate.extend`` when it cannot grow (the greedy then stops)."""


class Surrogate(Protocol):
    def evaluate(self, mus: np.ndarray) -> np.ndarray: ...

    def extend(self, mu: np.ndarray) -> None: ...


@dataclass
class GreedyResult:
    """The record of a greedy run.

    Attributes
    ----------
    errors : ndarray, shape (n_extensions + 1,)
        Largest estimated error over the training set before each extension and
        after the last one.
    selected : ndarray, shape (n_extensions, n_params)
        The selected parameters, in order.
    selected_indices : ndarray of int
        Their rows in the training set.
    times : dict
        Seconds spent in ``evaluate``, in ``extend`` and in total.
    stop_reason : str
        "tol", "max_extensions", "exhausted" (zero error everywhere), or
        "extension_failed: ..." (the surrogate could not grow).
    """

    errors: np.ndarray
    selected: np.ndarray
    selected_indices: np.ndarray
    times: dict = field(default_factory=dict)
    stop_reason: str = ""

    @property
    def n_extensions(self) -> int:
        return len(self.selected_indices)


def weak_greedy(
    surrogate: Surrogate,
    training_set: Any,
    tol: float | None = None,
    max_extensions: int | None = None,
    relative: bool = False,
    progress: bool | None = None,
) -> GreedyResult:
    """Weak greedy: extend the surrogate where its estimated error is largest.

    The loop only calls ``surrogate.evaluate(mus)`` (estimated errors, one per row of
    ``mus``) and ``surrogate.extend(mu)``. It stops when the largest estimate is at
    most ``tol`` (times the first largest estimate when ``relative``), after
    ``max_extensions`` extensions, when every estimate is zero, or when ``extend``
    raises :class:`ExtensionError` (with a warning).

    Parameters
    ----------
    surrogate : object with ``evaluate`` and ``extend``
    training_set : array, shape (n_train, n_params)
    tol : float, optional
    max_extensions : int, optional
    relative : bool
    progress : bool, optional
        A tqdm bar (default: when stderr is a terminal).

    Returns
    -------
    GreedyResult

    Examples
    --------
    >>> import numpy as np
    >>> from rom.rb import weak_greedy
    >>> class Points:  # approximate f(mu) = mu by the nearest selected value
    ...     def __init__(self): self.sel = []
    ...     def evaluate(self, mus):
    ...         if not self.sel: return np.abs(mus[:, 0])
    ...         return np.min(np.abs(mus[:, :1] - np.array(self.sel)[None, :]), axis=1)
    ...     def extend(self, mu): self.sel.append(mu[0])
    >>> res = weak_greedy(Points(), np.linspace(0, 1, 11)[:, None], tol=0.25)
    >>> res.stop_reason, res.n_extensions  # selected 1.0, 0.0, 0.5: error 0.2 left
    ('tol', 3)
    """
    if not (hasattr(surrogate, "evaluate") and hasattr(surrogate, "extend")):
        raise TypeError("surrogate: expected an object with evaluate(mus) and extend(mu)")
    mus = np.asarray(training_set, dtype=float)
    mus = mus.reshape(-1, 1) if mus.ndim == 1 else mus
    if mus.ndim != 2 or len(mus) == 0 or not np.isfinite(mus).all():
        raise ValueError(
            f"training_set: expected finite parameter rows (n_train, n_params), got shape "
            f"{mus.shape}"
        )
    if tol is not None and (not np.isfinite(tol) or tol < 0):
        raise ValueError(f"tol: expected a non-negative number, got {tol!r}")
    if max_extensions is not None and (
        int(max_extensions) != max_extensions or max_extensions < 0
    ):
        raise ValueError(
            f"max_extensions: expected a non-negative integer, got {max_extensions!r}"
        )
    errors, chosen = [], []
    t_eval = t_ext = 0.0
    start = time.perf_counter()
    target = None
    reason = ""
    bar = progress_bar(progress, max_extensions, "greedy", unit="ext")
    try:
        while True:
            t0 = time.perf_counter()
            est = np.asarray(surrogate.evaluate(mus), dtype=float)
            t_eval += time.perf_counter() - t0
            if est.shape != (len(mus),) or not np.isfinite(est).all() or (est < 0).any():
                raise ValueError(
                    f"surrogate: evaluate() must return {len(mus)} finite non-negative "
                    f"estimates, got shape {est.shape}"
                )
            i = int(np.argmax(est))
            err = float(est[i])
            errors.append(err)
            if target is None and tol is not None:
                target = tol * err if relative else tol
            bar.set_postfix(error=f"{err:.3e}")
            if target is not None and err <= target:
                reason = "tol"
                break
            if max_extensions is not None and len(chosen) >= max_extensions:
                reason = "max_extensions"
                break
            if err == 0.0:
                reason = "exhausted"
                break
            t0 = time.perf_counter()
            try:
                surrogate.extend(mus[i])
            except ExtensionError as exc:
                reason = f"extension_failed: {exc}"
                warnings.warn(
                    f"greedy: stopped after {len(chosen)} extensions ({exc}); error {err:.3e}",
                    RuntimeWarning,
                    stacklevel=2,
                )
                break
            finally:
                t_ext += time.perf_counter() - t0
            chosen.append(i)
            logger.info("greedy extension %d: mu=%s, error %.3e", len(chosen), mus[i], err)
            bar.update(1)
    finally:
        bar.close()
    idx = np.asarray(chosen, dtype=np.int64)
    return GreedyResult(
        errors=np.asarray(errors),
        selected=mus[idx],
        selected_indices=idx,
        times={"evaluate": t_eval, "extend": t_ext, "total": time.perf_counter() - start},
        stop_reason=reason,
    )

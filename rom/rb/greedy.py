"""The weak greedy loop: one algorithm for reduced bases, SCM and any surrogate."""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from rom._progress import progress_bar
from rom.validation import check_parameters, check_positive_int, check_real, check_tolerance

__all__ = ["STOP_REASONS", "ExtensionError", "GreedyResult", "weak_greedy"]

logger = logging.getLogger("rom.rb.greedy")


class ExtensionError(Exception):
    """Raised by ``surrogate.extend`` when it cannot grow (the greedy then stops)."""


class Surrogate(Protocol):
    def evaluate(self, mus: np.ndarray) -> np.ndarray: ...

    def extend(self, mu: np.ndarray) -> None: ...


#: why a greedy stopped (the vocabulary of every greedy-built object)
STOP_REASONS = ("tol", "max_terms", "exhausted", "degenerate")


@dataclass
class GreedyResult:
    """The record of a greedy run.

    Parameters
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
    stop_reason : {"tol", "max_terms", "exhausted", "degenerate"}
        ``"tol"``: the largest estimate reached the tolerance; ``"max_terms"``: the
        number of extensions reached its cap; ``"exhausted"``: every estimate is zero;
        ``"degenerate"``: the surrogate could not grow (:class:`ExtensionError`, with
        a warning that says why).
    """

    errors: np.ndarray
    selected: np.ndarray
    selected_indices: np.ndarray
    times: dict = field(default_factory=dict)
    stop_reason: str = ""

    @property
    def n_extensions(self) -> int:
        """The number of extensions made."""
        return len(self.selected_indices)

    def _to_arrays(self) -> tuple[dict, dict]:
        """The record as ``(settings, arrays)`` (see :mod:`rom.io.persist`)."""
        times = {str(k): float(v) for k, v in self.times.items()}
        settings = {"times": times, "stop_reason": self.stop_reason}
        arrays = {
            "errors": np.asarray(self.errors, dtype=float),
            "selected": np.asarray(self.selected, dtype=float),
            "selected_indices": np.asarray(self.selected_indices, dtype=np.int64),
        }
        return settings, arrays

    @classmethod
    def _from_arrays(cls, settings: dict, arrays: dict) -> GreedyResult:
        errors = np.asarray(arrays["errors"], dtype=float)
        selected = np.asarray(arrays["selected"], dtype=float)
        indices = np.asarray(arrays["selected_indices"])
        reason = settings.get("stop_reason")
        times = settings.get("times", {})
        if (
            errors.ndim != 1
            or selected.ndim != 2
            or indices.ndim != 1
            or indices.dtype.kind not in "iu"
            or len(errors) != len(indices) + 1
            or len(selected) != len(indices)
        ):
            raise ValueError("GreedyResult: inconsistent greedy record")
        if reason not in STOP_REASONS or not isinstance(times, dict):
            raise ValueError(f"GreedyResult: unexpected stop reason {reason!r}")
        return cls(
            errors=errors,
            selected=selected,
            selected_indices=indices.astype(np.int64),
            times={str(k): float(v) for k, v in times.items()},
            stop_reason=reason,
        )


def weak_greedy(
    surrogate: Surrogate,
    training_set: Any,
    tol: float | None = None,
    max_terms: int | None = None,
    relative: bool = True,
    progress: bool | None = None,
    saturation: float | None = None,
) -> GreedyResult:
    """Weak greedy: extend the surrogate where its estimated error is largest.

    The loop only calls ``surrogate.evaluate(mus)`` (estimated errors, one per row of
    ``mus``) and ``surrogate.extend(mu)``. It stops when the largest estimate is at
    most the tolerance (``"tol"``), after ``max_terms`` extensions (``"max_terms"``),
    when every estimate is zero (``"exhausted"``), or when ``extend`` raises
    :class:`ExtensionError` (``"degenerate"``, with a warning).

    Parameters
    ----------
    surrogate : object with ``evaluate`` and ``extend``
    training_set : array, shape (n_train, n_params)
        Parameter sets, one per row (a 1-D array is one parameter set).
    tol : float, optional
        The tolerance on the largest estimate over the training set, in whatever
        quantity ``evaluate`` returns; with ``relative`` (the default) it is relative
        to the largest estimate before the first extension.
    max_terms : int, optional
        The largest number of extensions.
    relative : bool
        Whether ``tol`` is relative to the first largest estimate.
    progress : bool, optional
        A tqdm bar (default: when stderr is a terminal).
    saturation : float >= 1, optional
        Evaluate lazily under the saturation assumption (Hesthaven, Stamm and Zhang,
        ESAIM: M2AN 48, 2014): an estimate grows by at most this factor when the
        surrogate is extended. Each step then evaluates the training parameters in
        decreasing order of their last estimate, in blocks, and skips those whose
        last estimate times ``saturation`` is below the largest estimate found so far
        in the step. The stopping test stays exact: when the largest lazy estimate
        meets the tolerance, every parameter is evaluated once more before the loop
        stops. None (the default): every estimate at every step.

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
    mus = check_parameters(training_set, "training_set")
    tol = check_tolerance(tol, "tol")
    max_terms = check_positive_int(max_terms, "max_terms", minimum=0)
    if not isinstance(relative, bool | np.bool_):
        raise TypeError(f"relative: expected a bool, got {relative!r}")
    if saturation is not None:
        saturation = check_real(saturation, "saturation")
        if not saturation >= 1.0:
            raise ValueError(f"saturation: expected a number >= 1 or None, got {saturation!r}")

    def evaluate(rows: np.ndarray) -> np.ndarray:
        est = np.asarray(surrogate.evaluate(mus[rows]), dtype=float)
        if est.shape != (len(rows),) or not np.isfinite(est).all() or (est < 0).any():
            raise ValueError(
                f"surrogate: evaluate() must return {len(rows)} finite non-negative "
                f"estimates, got shape {est.shape}"
            )
        return est

    everything = np.arange(len(mus))
    last = None  # the last estimate of every parameter (saturation)
    full = True  # whether ``est`` holds a fresh estimate of every parameter
    n_evaluated = 0
    errors, chosen = [], []
    t_eval = t_ext = 0.0
    start = time.perf_counter()
    target = None
    reason = ""
    bar = progress_bar(progress, max_terms, "greedy", unit="ext")
    try:
        while True:
            t0 = time.perf_counter()
            if last is None or saturation is None:
                last = evaluate(everything)
                n_evaluated += len(mus)
                full = True
            else:
                n_evaluated += _lazy_step(evaluate, last, saturation)
                full = False
            t_eval += time.perf_counter() - t0
            i = int(np.argmax(last))
            err = float(last[i])
            if target is not None and err <= target and not full:
                # the lazy maximum met the tolerance: check every parameter once
                t0 = time.perf_counter()
                last = evaluate(everything)
                n_evaluated += len(mus)
                full = True
                t_eval += time.perf_counter() - t0
                i = int(np.argmax(last))
                err = float(last[i])
            errors.append(err)
            if target is None and tol is not None:
                target = tol * err if relative else tol
            bar.set_postfix(error=f"{err:.3e}")
            if target is not None and err <= target:
                reason = "tol"
                break
            if max_terms is not None and len(chosen) >= max_terms:
                reason = "max_terms"
                break
            if err == 0.0:
                reason = "exhausted"
                break
            t0 = time.perf_counter()
            try:
                surrogate.extend(mus[i])
            except ExtensionError as exc:
                reason = "degenerate"
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
        times={
            "evaluate": t_eval,
            "extend": t_ext,
            "total": time.perf_counter() - start,
            "evaluations": float(n_evaluated),
        },
        stop_reason=reason,
    )


def _lazy_step(evaluate: Any, last: np.ndarray, saturation: float) -> int:
    """One lazy evaluation under the saturation assumption; updates ``last`` in place.

    Parameters are taken in decreasing order of ``last``, in blocks that double from
    64; a block ends the step when its first parameter cannot exceed the largest
    estimate found so far (``saturation * last < found``). Returns how many
    parameters were evaluated.
    """
    order = np.argsort(-last, kind="stable")
    found = -np.inf
    pos, block = 0, 64
    while pos < len(order):
        bounds = saturation * last[order[pos : pos + block]]
        take = int(np.count_nonzero(bounds >= found))  # a prefix: ``last`` is sorted
        if take == 0:
            break
        rows = order[pos : pos + take]
        est = evaluate(rows)
        last[rows] = est
        found = max(found, float(est.max()))
        pos += take
        if take < block:
            break
        block *= 2
    return pos

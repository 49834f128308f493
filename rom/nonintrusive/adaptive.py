"""Adaptive snapshot campaigns: run the solver where the surrogate's estimated error is largest."""

from __future__ import annotations

import json
import logging
import numbers
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rom.io.persist import atomic_write
from rom.linalg import column_norms
from rom.nonintrusive.generate import generate_snapshots
from rom.nonintrusive.store import SnapshotStore
from rom.nonintrusive.surrogate import RBFRegressor, Surrogate
from rom.parameters import ParameterSpace
from rom.validation import check_inner, check_parameters, check_positive_int

__all__ = ["AdaptiveResult", "adaptive_campaign"]

logger = logging.getLogger("rom.nonintrusive.adaptive")

#: the file of the store's directory that names the held-out (validation) runs
VALIDATION_FILE = "adaptive.json"


@dataclass
class AdaptiveResult:
    """What an adaptive campaign did (the fields of this record).

    Parameters
    ----------
    surrogate : Surrogate
        Fitted on every training run of the store (the last round's surrogate).
    parameters : ndarray (n_runs, n_params)
        The training parameter sets: those the store held (in its order), then those
        this call added, in the order they were run.
    validation_parameters : ndarray (n_validation, n_params)
        The held-out parameter sets the error is measured on.
    history : list of dict
        One entry per round: ``runs`` (training runs), ``validation_error``, and
        ``estimated_error`` (the largest estimated error over the candidates, in the
        surrogate's norm, not relative; None in the last round).
    stop_reason : str
        ``"tol"`` (validation error <= ``target``), ``"max_terms"`` (``max_runs``
        training runs) or ``"exhausted"`` (no candidate left).
    validation_error : float
        The last round's relative validation error.
    computed : int
        Solver runs done by this call (training and validation).
    failed : list of (ndarray, str)
        The runs of this call that failed, with the reason.
    """

    surrogate: Surrogate
    parameters: np.ndarray
    validation_parameters: np.ndarray
    history: list = field(default_factory=list)
    stop_reason: str = ""
    validation_error: float = float("inf")
    computed: int = 0
    failed: list = field(default_factory=list)


def _seeds(random_state: Any) -> list[int]:
    if random_state is not None and (
        isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral)
    ):
        raise TypeError(f"random_state: expected an integer or None, got {random_state!r}")
    state = np.random.SeedSequence(None if random_state is None else int(random_state))
    return [int(s) for s in state.generate_state(3)]


def _rows(value: Any, name: str, space: ParameterSpace, seed: int, method: str) -> np.ndarray:
    """A number of points (sampled) or parameter sets given as rows."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        n = check_positive_int(int(value), name, allow_none=False)
        return space.sample(n, method, seed)
    if isinstance(value, bool | float | str) or value is None:
        raise TypeError(f"{name}: expected a positive integer or parameter sets (rows)")
    return check_parameters(value, name, parameter_space=space)


def _validation_rows(value: Any, store: SnapshotStore, seed: int) -> np.ndarray:
    """The held-out parameter sets: given, or those the store's earlier campaign drew."""
    space = store.parameter_space
    recorded = store.path / VALIDATION_FILE
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and recorded.is_file():
        try:
            rows = np.asarray(json.loads(recorded.read_text())["validation"], dtype=float)
            rows = check_parameters(rows, "validation", parameter_space=space)
        except (ValueError, TypeError, KeyError) as err:
            raise ValueError(f"store: {str(recorded)!r} is corrupt ({err})") from err
        if len(rows) == int(value):
            return rows
    rows = _rows(value, "validation", space, seed, "random")
    with atomic_write(recorded) as tmp:
        tmp.write_text(json.dumps({"validation": rows.tolist()}))
    return rows


def _estimated_errors(
    unit_candidates: np.ndarray, unit_train: np.ndarray, loo: np.ndarray
) -> np.ndarray:
    """Error rate (LOO error per distance) near each candidate: Shepard-interpolated."""
    from scipy.spatial.distance import cdist

    m, p = unit_train.shape
    gaps = cdist(unit_train, unit_train)
    np.fill_diagonal(gaps, np.inf)
    spacing = gaps.min(axis=1)  # the gap a left-out point leaves
    rate = np.where(np.isfinite(loo), loo, np.nanmax(np.where(np.isfinite(loo), loo, 0)))
    rate = rate / np.maximum(spacing, 1e-12)
    d = cdist(unit_candidates, unit_train)
    k = min(m, p + 1)
    nearest = np.argpartition(d, k - 1, axis=1)[:, :k]
    dk = np.take_along_axis(d, nearest, axis=1)
    w = 1.0 / np.maximum(dk, 1e-12)
    return (w * rate[nearest]).sum(axis=1) / w.sum(axis=1)


def _select(
    unit_candidates: np.ndarray, unit_train: np.ndarray, rate: np.ndarray, k: int
) -> tuple[list[int], float]:
    """Weighted max-min greedy: ``k`` candidates of largest rate x distance to the others."""
    from scipy.spatial.distance import cdist

    d = cdist(unit_candidates, unit_train).min(axis=1)
    chosen: list[int] = []
    largest = float((rate * d).max()) if len(d) else 0.0
    for _ in range(k):
        score = rate * d
        best = int(np.argmax(score)) if len(score) else -1
        if best < 0 or not score[best] > 0:
            break
        chosen.append(best)
        d = np.minimum(d, np.sqrt(((unit_candidates - unit_candidates[best]) ** 2).sum(-1)))
    return chosen, largest


def _recorded_failures(store: SnapshotStore) -> set[str]:
    """The keys of the failures the store recorded (earlier calls): not tried again."""
    names, keys = store.parameter_space.names, set()
    for record in store.failures():
        try:
            keys.add(store.key([float(record["mu"][n]) for n in names]))
        except (KeyError, TypeError, ValueError):  # an edited record: ignored
            continue
    return keys


def _relative_error(model: Surrogate, mus: np.ndarray, S: np.ndarray, inner: Any) -> float:
    diff = model.predict(mus) - S
    num = np.sqrt(np.sum(column_norms(diff, inner) ** 2))
    return float(num / max(np.sqrt(np.sum(column_norms(S, inner) ** 2)), np.finfo(float).tiny))


def adaptive_campaign(
    solver: Any,
    parameter_space: ParameterSpace,
    store: SnapshotStore,
    target: float = 0.01,
    max_runs: int = 200,
    batch: int = 8,
    initial: Any = None,
    validation: Any = 20,
    executor: Any = None,
    random_state: int | None = None,
    candidates: Any = 2048,
    progress: bool | None = None,
    surrogate: Surrogate | None = None,
    field: str | None = None,
) -> AdaptiveResult:
    r"""Run ``solver`` where a surrogate's estimated error is largest, until it is accurate.

    1. The held-out runs (``validation``) and a space-filling initial design
       (``initial``, scrambled Sobol') are computed into ``store``.
    2. Each round fits ``surrogate`` on every training run of the store and measures
       the relative error on the held-out runs,
       :math:`\|\hat S_v - S_v\|_F / \|S_v\|_F` (Frobenius norm in the surrogate's
       ``inner``). It stops when this is at most ``target`` (``"tol"``), when
       ``max_runs`` training runs are stored, the failed runs of this call included
       (``"max_terms"``), or when no candidate is left (``"exhausted"``).
    3. Otherwise it adds ``batch`` runs where the estimated error is largest. The
       estimate at a candidate :math:`\mu` is :math:`\rho(\mu)\, d(\mu)`: the
       distance :math:`d` (in the unit box) to the nearest run, times an error rate
       :math:`\rho`, the leave-one-out errors :math:`e_j` of the surrogate
       (:meth:`Surrogate.loo_error`: in closed form for RBF interpolation; for
       other regressors the errors of 5-fold refits, five fits a round) divided
       by the gap :math:`h_j` to the nearest other run that the left-out point
       leaves, interpolated (inverse distance weights over the ``n_params + 1``
       nearest runs). The batch is chosen greedily: the candidate of largest
       estimate, then :math:`d` is updated with it, and so on, so one batch spreads
       over the regions of large error (a max-min design weighted by the rate).

    The store holds every run: calling again with the same store (and the same
    ``random_state`` and ``candidates``) continues from what is there: stored runs are
    never recomputed, the held-out runs are those recorded in the store's
    ``adaptive.json``, and every other stored run is a training run. A campaign
    interrupted (Ctrl-C, a crash, ``max_runs``) loses nothing finished.

    Parameters
    ----------
    solver : callable
        ``solver(mu: dict) -> {field: array}`` (:class:`CallableSolver`,
        :class:`CommandSolver`).
    parameter_space : rom.ParameterSpace
        The store's parameter space.
    store : SnapshotStore
    target : float
        Relative validation error to reach, in (0, 1].
    max_runs : int
        Training runs of the store at most (held-out runs not included), at least
        ``initial``.
    batch : int
        Runs added per round.
    initial : int or array (k, n_params), optional
        The initial design: a number of Sobol' points (default ``max(batch, 2 *
        (n_params + 1))``) or parameter sets. Skipped when the store holds as many
        training runs already.
    validation : int or array (k, n_params)
        Held-out runs: a number of uniform random points, or parameter sets.
    executor : optional
        Where the solver runs and the leave-one-out refits go
        (:func:`rom.parallel.as_executor`).
    random_state : int, optional
        Seed of the initial design, the held-out points and the candidates.
    candidates : int or array (k, n_params)
        Where new runs may go: a number of Sobol' points or parameter sets.
    progress : bool, optional
        Progress bars of the solver runs.
    surrogate : Surrogate, optional
        The (unfitted) surrogate to fit each round; default
        ``Surrogate(parameter_space=parameter_space)`` (POD + RBF).
    field : str, optional
        The store's field to learn (default its first).

    Returns
    -------
    AdaptiveResult

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> from rom import ParameterSpace
    >>> from rom.nonintrusive import CallableSolver, SnapshotStore, adaptive_campaign
    >>> space = ParameterSpace({"k": (1.0, 2.0)})
    >>> store = SnapshotStore(tempfile.mkdtemp(), space, ["u"])
    >>> x = np.linspace(0, 1, 50)
    >>> solver = CallableSolver(lambda mu: np.exp(-mu["k"] * x))
    >>> result = adaptive_campaign(solver, space, store, target=1e-4, max_runs=40,
    ...                            batch=2, initial=4, validation=5, random_state=0,
    ...                            progress=False)
    >>> result.stop_reason, result.validation_error <= 1e-4
    ('tol', True)
    """
    if not callable(solver):
        raise TypeError("solver: expected a callable mu -> fields (CallableSolver, CommandSolver)")
    if not isinstance(parameter_space, ParameterSpace):
        raise TypeError(
            f"parameter_space: expected a rom.ParameterSpace, got {type(parameter_space).__name__}"
        )
    if not isinstance(store, SnapshotStore):
        raise TypeError(f"store: expected a SnapshotStore, got {type(store).__name__}")
    if store.parameter_space != parameter_space:
        raise ValueError(
            f"store: its parameter space {store.parameter_space} is not parameter_space "
            f"{parameter_space}"
        )
    if isinstance(target, bool) or not isinstance(target, numbers.Real):
        raise TypeError(f"target: expected a number in (0, 1], got {target!r}")
    if not 0 < float(target) <= 1:
        raise ValueError(f"target: expected a relative error in (0, 1], got {target!r}")
    max_runs = check_positive_int(max_runs, "max_runs", allow_none=False)
    batch = check_positive_int(batch, "batch", allow_none=False)
    field = store.fields[0] if field is None else field
    if field not in store.fields:
        raise ValueError(f"field: expected one of {store.fields}, got {field!r}")
    template = Surrogate(parameter_space=parameter_space) if surrogate is None else surrogate
    if not isinstance(template, Surrogate):
        raise TypeError(f"surrogate: expected a rom.nonintrusive.Surrogate, got {template!r}")
    seeds = _seeds(random_state)
    if initial is None:
        initial = max(batch, 2 * (parameter_space.dim + 1))
    start = _rows(initial, "initial", parameter_space, seeds[0], "sobol")
    if len(start) > max_runs:
        raise ValueError(
            f"max_runs: expected at least the {len(start)} runs of the initial design, "
            f"got {max_runs}"
        )
    pool = _rows(candidates, "candidates", parameter_space, seeds[2], "sobol")
    held_out = _validation_rows(validation, store, seeds[1])

    result = AdaptiveResult(template, np.zeros((0, parameter_space.dim)), held_out)

    def run(mus: np.ndarray) -> list[np.ndarray]:
        out = generate_snapshots(solver, mus, store, executor=executor, progress=progress)
        result.computed += len(out.computed)
        result.failed.extend(out.failed)
        return [np.asarray(mu) for mu in out.computed]

    run(held_out)
    held_keys = {store.key(mu) for mu in held_out}
    held_out = np.array([mu for mu in held_out if store.has(mu)]).reshape(-1, parameter_space.dim)
    if len(held_out) == 0:
        raise ValueError("validation: every held-out run failed; see the store's failures")
    S_all, mus_all = store.snapshots(field)
    keys = [store.key(mu) for mu in mus_all]
    train = [i for i, k in enumerate(keys) if k not in held_keys]
    mus = mus_all[train].reshape(-1, parameter_space.dim)
    S = S_all[:, train] if len(train) else np.zeros((S_all.shape[0], 0))
    S_val = np.column_stack([store.get(mu)[field] for mu in held_out])
    failed = {store.key(mu) for mu, _ in result.failed}

    def add(new: list[np.ndarray]) -> None:
        nonlocal mus, S
        if new:
            mus = np.vstack([mus, np.array(new)])
            S = np.column_stack([S] + [store.get(mu)[field] for mu in new])

    if len(mus) < len(start):
        todo = [mu for mu in start if store.key(mu) not in held_keys]
        todo = np.array(todo[:max_runs]).reshape(-1, parameter_space.dim)
        add(run(todo))  # the runs it computes were not stored yet
        failed |= {store.key(mu) for mu, _ in result.failed}
    if len(mus) < 2:
        raise ValueError("initial: fewer than 2 training runs succeeded; see the store's failures")

    inner = check_inner(template.inner, S.shape[0])
    to_unit = parameter_space.to_unit
    excluded = held_keys | failed | _recorded_failures(store)
    pool_keys = [store.key(mu) for mu in pool]
    closed_form = template.regressor is None or isinstance(template.regressor, RBFRegressor)
    while True:
        model = Surrogate(**template.get_params(deep=False)).fit(mus, S)
        error = _relative_error(model, held_out, S_val, inner)
        result.history.append(
            {"runs": len(mus), "validation_error": error, "estimated_error": None}
        )
        logger.info("adaptive: %d runs, validation error %.3e", len(mus), error)
        result.surrogate, result.validation_error = model, error
        if error <= target:
            result.stop_reason = "tol"
            break
        budget = max_runs - len(mus) - sum(1 for k in failed if k not in held_keys)
        if budget <= 0:
            result.stop_reason = "max_terms"
            break
        known = {store.key(mu) for mu in mus} | excluded
        free = np.array([key not in known for key in pool_keys])
        if not free.any():
            result.stop_reason = "exhausted"
            break
        unit_pool, unit_train = to_unit(pool[free]), to_unit(mus)
        if closed_form:
            loo = model.loo_error(executor=executor)
        else:  # 5 refits per round, not one per run
            loo = model.loo_error(executor=executor, folds=min(5, len(mus)), random_state=0)
        rate = _estimated_errors(unit_pool, unit_train, loo)
        chosen, largest = _select(unit_pool, unit_train, rate, min(batch, budget))
        result.history[-1]["estimated_error"] = largest
        if not chosen:
            result.stop_reason = "exhausted"
            break
        new = pool[free][chosen]
        before = len(result.failed)
        add(run(new))
        newly_failed = {store.key(mu) for mu, _ in result.failed[before:]}
        failed |= newly_failed
        excluded |= newly_failed
    result.parameters = mus
    return result

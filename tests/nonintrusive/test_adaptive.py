"""Adaptive snapshot campaigns: accuracy, the gain over a Sobol' sample, resuming, bad input."""

import textwrap

import numpy as np
import pytest

import rom
from rom import ParameterSpace
from rom.cli import main
from rom.nonintrusive import CallableSolver, SnapshotStore, Surrogate, adaptive_campaign
from rom.nonintrusive.spec import read_spec

X = np.linspace(0.0, 1.0, 100)
LINE = ParameterSpace({"a": (0.0, 1.0)})


def smooth(mu):
    return np.exp(-(1.0 + mu["a"]) * X) * np.cos(2.0 * X)


def front(mu):
    """A front that jumps from x = 0.2 to x = 0.8 while ``a`` crosses 0.5."""
    position = 0.5 + 0.3 * np.tanh((mu["a"] - 0.5) / 0.05)
    return np.tanh((X - position) / 0.05)


class Counting:
    """A solver that records its calls, and raises KeyboardInterrupt after ``stop`` of them."""

    def __init__(self, fn, stop=None):
        self.fn, self.stop, self.calls = fn, stop, []

    def __call__(self, mu):
        if self.stop is not None and len(self.calls) >= self.stop:
            raise KeyboardInterrupt
        self.calls.append(mu["a"])
        return {"u": self.fn(mu)}


def _fields(fn, mus):
    return np.column_stack([fn({"a": float(m[0])}) for m in mus])


def _error(model, fn, mus):
    truth = _fields(fn, mus)
    return np.linalg.norm(model.predict(mus) - truth) / np.linalg.norm(truth)


def _campaign(tmp_path, fn, name="store", **kwargs):
    store = SnapshotStore(tmp_path / name, LINE, ["u"])
    options = dict(batch=4, initial=8, validation=20, random_state=0, progress=False)
    options.update(kwargs)
    return adaptive_campaign(CallableSolver(fn, field="u"), LINE, store, **options), store


def test_reaches_the_target_on_a_smooth_problem(tmp_path):
    result, store = _campaign(tmp_path, smooth, target=1e-5, max_runs=60)
    assert result.stop_reason == "tol"
    assert result.validation_error <= 1e-5
    assert result.history[-1]["validation_error"] == result.validation_error
    errors = [h["validation_error"] for h in result.history]
    assert errors[-1] < errors[0]
    runs = [h["runs"] for h in result.history]
    assert runs == sorted(runs) and runs[0] == 8
    assert len(store) == len(result.parameters) + 20  # training and held-out runs
    # fresh parameters, never seen: the error is of the size of the target
    assert _error(result.surrogate, smooth, LINE.sample(50, random_state=9)) < 2e-5  # 2.7e-6


def test_needs_fewer_runs_than_sobol_on_a_moving_front(tmp_path):
    held_out = LINE.sample(40, random_state=123)
    result, _ = _campaign(tmp_path, front, target=0.01, max_runs=80, validation=held_out)
    assert result.stop_reason == "tol"
    adaptive_runs = len(result.parameters)
    truth = _fields(front, held_out)
    sobol_runs = None
    for n in range(8, 161, 4):  # the smallest Sobol' sample as accurate on the same runs
        mus = LINE.sample(n, "sobol", 0)
        model = Surrogate(parameter_space=LINE).fit(mus, _fields(front, mus))
        if np.linalg.norm(model.predict(held_out) - truth) <= 0.01 * np.linalg.norm(truth):
            sobol_runs = n
            break
    assert sobol_runs is not None
    assert 2 * adaptive_runs <= sobol_runs  # measured 24 against 84
    # the runs went where the front moves
    near = np.abs(result.parameters[:, 0] - 0.5) < 0.15
    assert near.mean() > 0.5  # measured 0.71 (0.3 for a uniform sample)


def test_resumes_after_a_max_runs_cut(tmp_path):
    whole, _ = _campaign(tmp_path, front, name="whole", target=0.01, max_runs=80)
    solver = Counting(front)
    store = SnapshotStore(tmp_path / "cut", LINE, ["u"])
    options = dict(target=0.01, batch=4, initial=8, validation=20, random_state=0, progress=False)
    first = adaptive_campaign(solver, LINE, store, max_runs=16, **options)
    assert first.stop_reason == "max_terms" and len(first.parameters) == 16
    assert first.computed == 36 and len(solver.calls) == 36
    second = adaptive_campaign(solver, LINE, store, max_runs=80, **options)
    assert second.stop_reason == "tol"
    assert len(set(solver.calls)) == len(solver.calls)  # no run computed twice
    assert second.computed == len(second.parameters) - 16
    # the same runs as the campaign that was never cut
    np.testing.assert_array_equal(
        np.sort(second.parameters[:, 0]), np.sort(whole.parameters[:, 0])
    )
    assert second.validation_error == pytest.approx(whole.validation_error, rel=1e-10)


def test_resumes_after_an_interruption(tmp_path):
    store = SnapshotStore(tmp_path / "s", LINE, ["u"])
    options = dict(target=0.01, max_runs=80, batch=4, initial=8, validation=20, random_state=0)
    interrupted = Counting(front, stop=30)  # during the third round
    with pytest.raises(KeyboardInterrupt):
        adaptive_campaign(interrupted, LINE, store, progress=False, **options)
    assert len(store) == 30
    again = Counting(front)
    result = adaptive_campaign(again, LINE, store, progress=False, **options)
    assert result.stop_reason == "tol" and result.validation_error <= 0.01
    assert not set(again.calls) & set(interrupted.calls)  # nothing stored is run again
    assert len(result.parameters) + 20 == len(store)
    assert len(result.validation_parameters) == 20


def test_failed_runs_are_recorded_and_skipped(tmp_path):
    def sometimes(mu):
        if 0.45 < mu["a"] < 0.5:
            raise RuntimeError("diverged")
        return front(mu)

    result, store = _campaign(tmp_path, sometimes, target=0.02, max_runs=60)
    assert result.failed and all("diverged" in message for _, message in result.failed)
    assert all(not 0.45 < a < 0.5 for a in result.parameters[:, 0])
    assert len(store.failures()) == len(result.failed)
    assert result.stop_reason in ("tol", "max_terms")


def test_bad_input(tmp_path):
    store = SnapshotStore(tmp_path / "s", LINE, ["u"])
    solver = CallableSolver(smooth, field="u")
    run = lambda **kw: adaptive_campaign(  # noqa: E731
        kw.pop("solver", solver), kw.pop("space", LINE), kw.pop("store", store), **kw
    )
    with pytest.raises(ValueError, match=r"target: expected a relative error in \(0, 1\]"):
        run(target=0.0)
    with pytest.raises(ValueError, match="target: "):
        run(target=-1e-3)
    with pytest.raises(TypeError, match="target: "):
        run(target="0.01")
    with pytest.raises(ValueError, match="max_runs: expected at least the 8 runs"):
        run(max_runs=5, initial=8)
    with pytest.raises(ValueError, match="max_runs"):
        run(max_runs=0)
    with pytest.raises(ValueError, match="batch"):
        run(batch=0)
    with pytest.raises(TypeError, match="solver: expected a callable"):
        run(solver="model.py")
    with pytest.raises(TypeError, match=r"parameter_space: expected a rom\.ParameterSpace"):
        run(space={"a": (0, 1)})
    with pytest.raises(ValueError, match="store: its parameter space"):
        run(space=ParameterSpace({"a": (0.0, 2.0)}))
    with pytest.raises(TypeError, match="store: expected a SnapshotStore"):
        run(store=str(tmp_path))
    with pytest.raises(ValueError, match="field: expected one of"):
        run(field="v")
    with pytest.raises(ValueError, match=r"validation: parameter .a. = 3\.0 is outside"):
        run(validation=[[3.0]])
    with pytest.raises(TypeError, match="validation: expected a positive integer or"):
        run(validation=2.5)
    with pytest.raises(TypeError, match="random_state: expected an integer or None"):
        run(random_state=0.5)
    with pytest.raises(TypeError, match=r"surrogate: expected a rom\.nonintrusive\.Surrogate"):
        run(surrogate=object())
    assert len(store) == 0  # nothing ran


SPEC = textwrap.dedent(
    """
    [parameters]
    a = [0.0, 1.0]

    [solver]
    python = "{module}:solve"
    field = "u"

    [store]
    path = "snapshots"

    [adaptive]
    {adaptive}
    """
)

MODEL = textwrap.dedent(
    """
    import numpy as np

    X = np.linspace(0.0, 1.0, 100)

    def solve(mu):
        return np.tanh((X - 0.5 - 0.3 * np.tanh((mu["a"] - 0.5) / 0.05)) / 0.05)
    """
)


def test_build_command_runs_an_adaptive_campaign(tmp_path, capsys):
    (tmp_path / "adaptive_model.py").write_text(MODEL)
    spec = tmp_path / "spec.toml"
    table = "target = 0.01\nmax_runs = 60\nbatch = 4\ninitial = 8\nvalidation = 20"
    spec.write_text(SPEC.format(module="adaptive_model", adaptive=table))
    assert main(["build", str(spec), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "adaptive:" in out and "(tol)" in out
    model = rom.load(tmp_path / "surrogate.npz")
    assert _error(model, front, LINE.sample(30, random_state=5)) < 0.03


@pytest.mark.parametrize(
    "table, message",
    [
        ("target = 0", r"\[adaptive\] target must be a relative error in \(0, 1\]"),
        ("target = 2.0", r"\[adaptive\] target must be"),
        ('target = "0.01"', r"\[adaptive\] target must be"),
        ("max_runs = 0", r"\[adaptive\] max_runs must be a positive integer"),
        ("batch = 2.5", r"\[adaptive\] batch must be a positive integer"),
        ("initial = 40\nmax_runs = 20", r"\[adaptive\] initial \(40\) must be at most max_runs"),
        ("validation = 0", r"\[adaptive\] validation must be a positive integer"),
        ("tol = 0.01", r"unknown keys \['tol'\] in \[adaptive\]"),
    ],
)
def test_spec_checks_the_adaptive_section(tmp_path, table, message):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.format(module="m", adaptive=table))
    with pytest.raises(ValueError, match=message):
        read_spec(spec)
    spec.write_text(SPEC.format(module="m", adaptive="target = 0.05"))
    assert read_spec(spec).adaptive == {"target": 0.05, "max_runs": 200, "batch": 8}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_regressor_without_closed_form(tmp_path):
    """A Gaussian process: the error estimate comes from 5-fold refits."""
    from sklearn.gaussian_process import GaussianProcessRegressor

    template = Surrogate(regressor=GaussianProcessRegressor(), parameter_space=LINE)
    result, _ = _campaign(tmp_path, smooth, target=1e-4, max_runs=40, surrogate=template)
    assert result.stop_reason == "tol" and result.validation_error <= 1e-4
    assert type(result.surrogate.regressor_.estimator) is GaussianProcessRegressor

"""``rom build`` under a memory budget: in memory or streamed from the store."""

import os
import textwrap

import numpy as np
import pytest

import rom
from rom.cli import main
from rom.linalg import IncrementalPOD
from rom.nonintrusive import SnapshotStore
from rom.nonintrusive.memory import format_bytes
from rom.nonintrusive.spec import read_spec

MODEL = textwrap.dedent(
    """
    import numpy as np

    X = np.linspace(0, 1, 80)

    def solve(mu):
        return np.exp(-mu["k"] * X) * (1 + mu["c"] * X)
    """
)

SPEC = textwrap.dedent(
    """
    [parameters]
    k = [0.5, 2.0]
    c = {{ bounds = [0.1, 1.0], log = true }}

    [sampling]
    method = "lhs"
    n = 24
    random_state = 1

    [solver]
    python = "{module}:solve"
    field = "u"

    [reduction]
    {reduction}

    [output]
    model = "{model}"
    """
)

ROWS, RUNS = 80, 24  # values per snapshot and snapshots of MODEL and SPEC


def _spec(tmp_path, module, reduction="tol = 1e-8", model="surrogate.npz", name="spec.toml"):
    (tmp_path / f"{module}.py").write_text(MODEL)
    path = tmp_path / name
    path.write_text(SPEC.format(module=module, reduction=reduction, model=model))
    return path


def _plan(out: str) -> str:
    return next(line for line in out.splitlines() if line.startswith("reduction:"))


def test_a_tiny_budget_streams_and_predicts_as_the_in_memory_build(tmp_path, capsys, monkeypatch):
    # the same store, reduced in memory (1 GB budget) and streamed ("10KB")
    large = _spec(tmp_path, "budget_model", 'tol = 1e-8\nmemory = "1GB"', "large.npz")
    small = _spec(tmp_path, "budget_model", 'tol = 1e-8\nmemory = "10KB"', "small.npz", "s.toml")
    assert main(["build", str(large)]) == 0
    plan = _plan(capsys.readouterr().out)
    matrix = format_bytes(ROWS * RUNS * 8)
    assert plan.startswith(f"reduction: in memory (snapshots {matrix}, 80 values x 24 ")
    assert 'budget 1.0 GB, memory = "1GB")' in plan

    def whole(*args, **kwargs):
        raise AssertionError("the streamed build read the whole snapshot matrix")

    with monkeypatch.context() as patch:
        patch.setattr(SnapshotStore, "snapshots", whole)
        assert main(["build", str(small)]) == 0
    out = capsys.readouterr().out
    assert "0 computed, 24 already stored" in out
    chunk = 10_000 // (4 * ROWS * 8)  # a quarter of the budget per block
    assert _plan(out) == (
        f"reduction: streaming (snapshots {matrix}, 80 values x 24 snapshots: three times "
        f'that exceeds budget 10.0 kB, memory = "10KB"), chunks of {chunk} columns'
    )

    in_memory, streamed = rom.load(tmp_path / "large.npz"), rom.load(tmp_path / "small.npz")
    assert isinstance(streamed.reduction_, IncrementalPOD)
    assert not isinstance(in_memory.reduction_, IncrementalPOD)
    assert streamed.reduction_.n_samples_seen_ == RUNS
    S, mus = SnapshotStore.open(tmp_path / "snapshots").snapshots("u")
    np.testing.assert_array_equal(streamed.parameters_, mus)  # the store's order, both ways
    norm = np.linalg.norm(S)
    U = streamed.reduction_.basis_
    assert np.linalg.norm(S - U @ (U.T @ S)) <= streamed.reduction_.error_bound_ <= 1e-8 * norm
    V = in_memory.reduction_.basis_
    memory_error = np.linalg.norm(S - V @ (V.T @ S))
    assert memory_error <= 1e-8 * norm
    # both interpolate the projected snapshots: they differ by at most both projection errors
    gap = np.linalg.norm(in_memory.predict(mus) - streamed.predict(mus))
    assert gap <= memory_error + streamed.reduction_.error_bound_ + 1e-12 * norm
    new = np.array([[1.3, 0.4], [0.7, 0.15], [1.9, 0.9]])
    a, b = in_memory.predict(new), streamed.predict(new)
    assert np.linalg.norm(a - b) <= 1e-6 * np.linalg.norm(a)


def test_the_default_budget_is_half_the_physical_memory(tmp_path, capsys):
    spec = _spec(tmp_path, "default_budget_model")
    assert main(["build", str(spec)]) == 0
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    budget, origin = read_spec(spec).memory_budget()
    assert budget == total // 2 and origin == f"half of this machine's {format_bytes(total)}"
    assert _plan(capsys.readouterr().out) == (
        f"reduction: in memory (snapshots {format_bytes(ROWS * RUNS * 8)}, 80 values x 24 "
        f"snapshots: three times that within budget {format_bytes(total // 2)}, {origin})"
    )


@pytest.mark.parametrize("memory", ['"0GB"', '"-1GB"', '"4 parsecs"', "4e9", '"1.5"', "true"])
def test_a_bad_memory_stops_the_build_before_any_run(tmp_path, capsys, memory):
    spec = _spec(tmp_path, "bad_memory_model", f"tol = 1e-8\nmemory = {memory}")
    assert main(["build", str(spec)]) == 1
    err = capsys.readouterr().err
    assert "spec: [reduction] memory: expected a positive memory size" in err
    assert not (tmp_path / "snapshots").exists()


def test_memory_with_adaptive_and_rtol_when_streaming_are_refused(tmp_path, capsys):
    spec = _spec(tmp_path, "refused_model", 'tol = 1e-8\nmemory = "1GB"')
    spec.write_text(spec.read_text() + "\n[adaptive]\ntarget = 0.01\n")
    with pytest.raises(ValueError, match=r"\[reduction\] memory applies to a sampled"):
        read_spec(spec)
    spec = _spec(tmp_path, "refused_model", 'rtol = 1e-8\nmemory = "1KB"')
    assert main(["build", str(spec)]) == 1
    assert "spec: [reduction] rtol: the snapshots exceed the memory budget" in (
        capsys.readouterr().err
    )
    # a [reduction] holding memory only keeps the default tolerance
    surrogate = read_spec(_spec(tmp_path, "refused_model", 'memory = "1KB"')).surrogate(5)
    assert isinstance(surrogate.reduction, IncrementalPOD)
    assert (surrogate.reduction.tol, surrogate.reduction.chunk_size) == (1e-6, 5)


def test_the_switch_is_at_three_times_the_matrix(tmp_path, capsys):
    matrix = ROWS * RUNS * 8
    plans = []
    for k, budget in enumerate((3 * matrix, 3 * matrix - 1)):
        spec = _spec(tmp_path, "switch_model", f"tol = 1e-8\nmemory = {budget}", f"m{k}.npz")
        assert main(["build", str(spec)]) == 0
        plans.append(_plan(capsys.readouterr().out))
    assert plans[0].startswith("reduction: in memory")
    assert f"budget {format_bytes(3 * matrix)}, memory = {3 * matrix})" in plans[0]
    assert plans[1].startswith("reduction: streaming")
    assert plans[1].endswith(f"chunks of {(3 * matrix - 1) // (4 * ROWS * 8)} columns")

"""A specification is checked before any run; failures are reported by parameter name."""

import logging
import sys

import numpy as np
import pytest

from rom import ParameterSpace
from rom.cli import main
from rom.nonintrusive import CommandSolver, SnapshotStore, generate_snapshots
from rom.nonintrusive.generate import summarize_failures
from rom.nonintrusive.spec import read_spec

PY = sys.executable.replace("\\", "/")
WRITE = "import sys, numpy; numpy.save('u.npy', [float(a) for a in sys.argv[1:]])"


def _spec(tmp_path, command, extra=""):
    spec = tmp_path / "spec.toml"
    spec.write_text(
        "[parameters]\nk1 = [1.0, 2.0]\nk2 = [1.0, 2.0]\n"
        '[sampling]\nmethod = "lhs"\nn = 6\n'
        f'[solver]\ncommand = {command}\noutputs = {{ u = "u.npy" }}\n{extra}'
    )
    return spec


def _build_fails_before_any_run(tmp_path, capsys, spec, message):
    assert main(["build", str(spec)]) == 1
    captured = capsys.readouterr()
    assert message in captured.err and captured.err.startswith("rom build: error: spec: ")
    assert "computed" not in captured.out  # no campaign started
    assert not (tmp_path / "snapshots").exists()


def test_a_misspelled_placeholder_stops_the_build_before_any_run(tmp_path, capsys):
    """{kk2} ran every job and recorded one failure per parameter."""
    spec = _spec(tmp_path, f'["{PY}", "-c", "{WRITE}", "{{k1}}", "{{kk2}}"]')
    _build_fails_before_any_run(
        tmp_path, capsys, spec, "placeholder {kk2} in argument 4 is not a parameter name"
    )


def test_a_missing_program_stops_the_build_before_any_run(tmp_path, capsys):
    spec = _spec(tmp_path, '["no-such-solver-program", "{k1}", "{k2}"]')
    _build_fails_before_any_run(
        tmp_path, capsys, spec, "the program 'no-such-solver-program' is not found on the PATH"
    )
    spec = _spec(tmp_path, '["/no/such/dir/solver", "{k1}"]')
    _build_fails_before_any_run(tmp_path, capsys, spec, "is not an executable file")
    spec = _spec(tmp_path, '["./run.sh", "{k1}"]')  # runs start in a fresh directory
    _build_fails_before_any_run(tmp_path, capsys, spec, "list it in templates")


def test_a_missing_template_stops_the_build_before_any_run(tmp_path, capsys):
    spec = _spec(tmp_path, f'["{PY}", "model.py", "{{k1}}"]', 'templates = ["model.py"]\n')
    _build_fails_before_any_run(tmp_path, capsys, spec, "templates: no such file")


def test_generate_snapshots_checks_the_command_before_any_run(tmp_path):
    space = ParameterSpace({"k1": (1.0, 2.0), "k2": (1.0, 2.0)})
    store = SnapshotStore(tmp_path / "s", space, ["u"])
    solver = CommandSolver([PY, "-c", WRITE, "{k1}", "{k2x}"], outputs={"u": "u.npy"})
    with pytest.raises(ValueError, match=r"placeholder \{k2x\}"):
        generate_snapshots(solver, space.grid(2), store, progress=False)
    assert len(store) == 0 and store.failures() == []


def test_identical_failures_are_reported_once_with_parameter_names(tmp_path, capsys, caplog):
    """48 failures printed as bare arrays; now one line per distinct failure, with a count."""
    fail = "import sys; sys.stderr.write('licence server down'); sys.exit(3)"
    spec = _spec(tmp_path, f'["{PY}", "-c", "{fail}", "{{k1}}", "{{k2}}"]')
    with caplog.at_level(logging.WARNING, logger="rom.nonintrusive"):
        assert main(["build", str(spec)]) == 1  # no snapshot: no surrogate
    out = capsys.readouterr().out
    assert "0 computed, 0 already stored, 6 failed" in out
    summary = [line.strip() for line in out.splitlines() if "runs failed" in line]
    assert len(summary) == 1 and summary[0].startswith("6 runs failed: exit status 3")
    assert "licence server down" in summary[0] and "and 3 more" in summary[0]
    mus = read_spec(spec).training_set()
    assert f"k1={mus[0, 0]:.6g}, k2={mus[0, 1]:.6g}" in summary[0]
    warned = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warned) == 1 and "k1=" in warned[0].getMessage()


def test_summarize_failures_groups_and_counts():
    failed = [([1.0, 2.0], "a"), ([3.0, 4.0], "b"), ([5.0, 6.0], "b")]
    assert summarize_failures(failed, ["x", "y"], examples=1) == [
        "2 runs failed: b (at x=3, y=4; and 1 more)",
        "1 run failed: a (at x=1, y=2)",
    ]
    assert summarize_failures([], ["x"]) == []


# ---------------------------------------------------------------------- grid sampling
def _sampling(tmp_path, text):
    spec = tmp_path / "spec.toml"
    spec.write_text(
        f"[parameters]\na = [0.0, 1.0]\nb = [0.0, 1.0]\n[sampling]\n{text}\n"
        '[solver]\npython = "m:f"\n'
    )
    return spec


def test_a_grid_is_sized_per_axis(tmp_path):
    spec = read_spec(_sampling(tmp_path, 'method = "grid"\nper_axis = 3'))
    mus = spec.training_set()
    assert mus.shape == (9, 2)
    np.testing.assert_array_equal(np.unique(mus[:, 0]), [0.0, 0.5, 1.0])
    assert read_spec(_sampling(tmp_path, 'method = "sobol"\nn = 8')).training_set().shape == (8, 2)


@pytest.mark.parametrize(
    "text, message",
    [
        ('method = "grid"\nn = 3', "a grid is sized per axis: write per_axis = K"),
        ('method = "grid"', "a grid is sized per axis"),
        ('method = "grid"\nper_axis = 0', "per_axis must be a positive integer"),
        ('method = "lhs"\nper_axis = 3', 'per_axis is for method = "grid"'),
    ],
)
def test_grid_sampling_errors(tmp_path, text, message):
    with pytest.raises(ValueError, match=message):
        read_spec(_sampling(tmp_path, text))

"""Spec values are checked for their type when the spec is read, before any run (#18)."""

import re

import pytest

from rom import ParameterSpace
from rom.cli import main

HEAD = "[parameters]\nk = [0.0, 1.0]\n"
PYTHON = "[solver]\npython = 'm:f'\n"
COMMAND = "[solver]\ncommand = ['echo', '{k}']\noutputs = { u = 'u.txt' }\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[parameters]\nk = { bounds = [0.1, 1.0], log = 'false' }\n" + PYTHON,
            "parameter 'k': log must be true or false, got 'false'",
        ),
        ("[parameters]\nk = ['a', 1.0]\n" + PYTHON, "parameter 'k' needs numbers as bounds"),
        (
            HEAD + "[solver]\ncommand = 'echo {k}'\noutputs = { u = 'u.txt' }\n",
            r"command must be a list of strings, one per argument .* write command = "
            r"\['echo', '\{k\}'\]",
        ),
        (
            HEAD + "[solver]\ncommand = ['echo', 3]\noutputs = { u = 'u.txt' }\n",
            "command must hold strings only",
        ),
        (HEAD + "[solver]\ncommand = ['echo']\noutputs = 'u.txt'\n", "outputs must be a table"),
        (HEAD + "[sampling]\nn = 2.7\n" + PYTHON, "n must be a positive integer, got 2.7"),
        (HEAD + "[sampling]\nn = 'abc'\n" + PYTHON, "n must be a positive integer, got 'abc'"),
        (HEAD + "[sampling]\nmethod = ['lhs']\n" + PYTHON, "method must be one of"),
        (HEAD + COMMAND + "timeout = 'soon'\n", "timeout must be a positive number of seconds"),
        (HEAD + COMMAND + "timeout = -1\n", "timeout must be a positive number of seconds"),
        (HEAD + COMMAND + "retries = 'x'\n", "retries must be a non-negative integer, got 'x'"),
        (HEAD + COMMAND + "retries = 1.5\n", "retries must be a non-negative integer"),
        (HEAD + COMMAND + "templates = 'model.edp'\n", "templates must be a list of file names"),
        (HEAD + PYTHON + "[output]\nmodel = 5\n", r"\[output\] model must be a non-empty string"),
        (HEAD + PYTHON + "[store]\npath = true\n", r"\[store\] path must be a non-empty string"),
        (HEAD + "[solver]\npython = 3\n", r"\[solver\] python must be a non-empty string"),
        (HEAD + PYTHON + "[executor]\nkind = 4\n", r"\[executor\] kind must be a string"),
        (HEAD + PYTHON + "[reduction]\ntol = 'x'\n", r"\[reduction\] tol: expected"),
        (HEAD + PYTHON + "[reduction]\ntol = -1e-6\n", r"\[reduction\] tol: expected"),
        (HEAD + PYTHON + "[reduction]\nrank = 2.5\n", r"\[reduction\] rank: expected an integer"),
        (HEAD + PYTHON + "[regressor]\nkernel = 'nope'\n", r"\[regressor\] kernel: expected"),
        (HEAD + PYTHON + "[regressor]\nsmoothing = 'a'\n", r"\[regressor\] smoothing: expected"),
        (HEAD + PYTHON + "[regressor]\ndegree = -3\n", r"\[regressor\] degree: expected"),
    ],
)
def test_bad_spec_types_fail_before_any_run(tmp_path, capsys, text, message):
    spec = tmp_path / "spec.toml"
    spec.write_text(text)
    assert main(["build", str(spec)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("rom build: error: spec: ")
    assert err.count("\n") == 1  # one line, no traceback
    assert re.search(message, err), err
    assert not (tmp_path / "snapshots").exists()  # nothing ran


def test_good_spec_types_are_accepted(tmp_path):
    from rom.nonintrusive.spec import read_spec

    spec = tmp_path / "spec.toml"
    spec.write_text(
        "[parameters]\nk = { bounds = [0.1, 1.0], log = true }\nc = [0, 1]\n"
        + COMMAND
        + "timeout = 5\nretries = 2\n[reduction]\nrank = 3\ntol = 1e-6\n"
        "[regressor]\nkernel = 'cubic'\nsmoothing = 0\ndegree = 1\n[output]\nmodel = 'm.npz'\n"
    )
    read = read_spec(spec)
    assert read.parameter_space == ParameterSpace({"k": (0.1, 1.0), "c": (0, 1)}, log=["k"])
    solver = read.solver()
    assert solver.command == ["echo", "{k}"]
    assert solver.timeout == 5 and solver.retries == 2
    assert read.surrogate().regressor.kernel == "cubic"
    assert read.model_path == tmp_path / "m.npz"

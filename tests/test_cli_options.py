"""The ``rom`` command's options: verbosity anywhere, option names in errors, help texts."""

import argparse
import logging

import meshio
import numpy as np
import pytest

from rom.cli import DEMOS, _parser, main


def _vtu_files(tmp_path, n=3):
    points = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    paths = []
    for k in range(n):
        path = tmp_path / f"s{k}.vtu"
        meshio.Mesh(points, [("triangle", [[0, 1, 2]])], point_data={"T": points[:, 0] + k}).write(
            path
        )
        paths.append(str(path))
    return paths


@pytest.mark.parametrize(
    "argv",
    [
        ["demo", "thermal-block", "-v"],
        ["-v", "demo", "thermal-block"],
        ["demo", "--verbose", "thermal-block"],
    ],
)
def test_verbose_before_or_after_the_subcommand(argv):
    """`rom demo thermal-block -v` was rejected: -v worked only before the subcommand."""
    args = _parser().parse_args(argv)
    assert args.verbose is True and args.command == "demo" and args.name == "thermal-block"


@pytest.mark.parametrize("argv", [["info", "-q"], ["-q", "info"], ["info", "--quiet"]])
def test_quiet_anywhere(argv, capsys):
    args = _parser().parse_args(argv)
    assert args.quiet is True
    assert main(argv) == 0
    assert "numpy" in capsys.readouterr().out  # results are still printed
    assert logging.getLogger("rom").level == logging.NOTSET  # and nothing is left set


def test_verbose_and_quiet_exclude_each_other(capsys):
    for argv in (["info", "-v", "-q"], ["-v", "info", "-q"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
        assert "-q/--quiet" in capsys.readouterr().err


def test_quiet_silences_explanations(capsys):
    assert main(["demo"]) == 0  # the list of demos is a result, printed either way
    listed = capsys.readouterr().out
    assert main(["demo", "-q"]) == 0
    assert capsys.readouterr().out == listed


def test_demo_without_a_name_lists_the_demos(capsys):
    assert main(["demo"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  ")]
    assert [line.split()[0] for line in lines] == list(DEMOS)
    for line, text in zip(lines, DEMOS.values(), strict=True):
        assert line.split(None, 1)[1].strip() == text and len(text) > 20


def test_errors_name_the_option_not_the_internal_argument(tmp_path, capsys):
    """`rom pod: error: name: ...` for --field, `path:` for -o."""
    paths = _vtu_files(tmp_path)
    assert main(["pod", *paths, "--field", "P", "-o", str(tmp_path / "b.npz")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("rom pod: error: --field: no field 'P'"), err
    missing = str(tmp_path / "none.vtu")
    assert main(["pod", missing, "--field", "T", "-o", str(tmp_path / "b.npz")]) == 1
    assert capsys.readouterr().err.startswith("rom pod: error: FILES: no such file")
    out = tmp_path / "basis.npz"
    assert main(["pod", *paths, "--field", "T", "-o", str(out), "--modes", "m.csv"]) == 1
    assert capsys.readouterr().err.startswith("rom pod: error: --modes")
    assert main(["demo", "thermal-block", "--blocks", "0", "2"]) == 1
    assert capsys.readouterr().err.startswith("rom demo: error: --blocks: expected two positive")


def _options(parser):
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in sub.choices.items():
        for action in command._actions:
            if action.option_strings and action.dest != "help":
                yield name, command, action


def test_every_option_has_help_and_defaults_are_shown(capsys):
    """--help showed no defaults; --blocks, --estimator and --seed had no help text."""
    parser = _parser()
    for name, _, action in _options(parser):
        assert action.help, f"rom {name} {action.option_strings[0]} has no help text"
    for argv, shown in (
        (["demo", "--help"], ["--blocks B1 B2", "--estimator", "--seed", "(default: 100)"]),
        (["demo", "--help"], ["(default: accurate)", "(default: (2, 2))", "(default: 1e-10)"]),
        (["pod", "--help"], ["(default: auto)", "(default: 10)", "--modes FILE"]),
        (["validate", "--help"], ["(default: 12345)", "--plot PNG"]),
        (["predict", "--help"], ["(default: u)", "-q, --quiet", "-v, --verbose"]),
    ):
        with pytest.raises(SystemExit):
            main(argv)
        text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
        for piece in shown:
            assert piece in text, (argv, piece)
        assert "(default: None)" not in text and "(default: False)" not in text

"""``rom demo thermal-block``: a demonstration that explains itself and its numbers."""

import warnings

import pytest

from rom.cli import main
from rom.demo.thermal_block import _notes, default_training_size, thermal_block_demo


def test_a_warning_of_every_greedy_step_is_shown_once_with_its_count():
    """The classical estimator's RuntimeWarning came at every greedy step (~190 times)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = thermal_block_demo(
            blocks=(3, 3),
            resolution=6,
            train=24,
            tol=1e-13,
            n_test=5,
            estimator="classical",
            figure=None,
        )
    classical = [w for w in caught if "classical estimator" in str(w.message)]
    assert len(classical) == 1
    count = int(str(classical[0].message).split("(issued ")[1].split()[0])
    assert count > 5  # it did come at many steps
    # 24 training parameters for 9 parameters: the basis used them all, and the demo says so
    assert r["basis_size"] >= 12
    assert any("approaches the training-set size (24)" in note for note in r["notes"])


def test_default_training_set_grows_with_the_dimension():
    assert default_training_size(4) == 256  # the 2 x 2 block: a 4 ** 4 grid
    assert default_training_size(9) == 576  # 3 x 3: far more than the ~30 basis functions
    assert all(default_training_size(d) >= 64 * d for d in range(1, 20))


def test_effectivity_below_one_says_the_bound_failed_to_certify():
    report = {"basis_size": 5, "uncertified_count": 2, "effectivity_count": 7}
    report["max_relative_bound"] = 1e-9
    (note,) = _notes(report, n_train=256, stop_reason="tol")
    assert "at 2 of the 7 resolved tests the effectivity is below 1" in note
    assert "failed to certify" in note and "--estimator accurate" in note
    assert _notes({**report, "uncertified_count": 0}, 256, "tol") == []


def test_the_table_says_which_tolerance_stopped_the_greedy_and_plots(tmp_path, capsys):
    solutions, errors = tmp_path / "solutions.png", tmp_path / "errors.png"
    argv = ["demo", "thermal-block", "--resolution", "8", "--train", "16", "--tol", "1e-5"]
    argv += ["--test", "5", "--figure", str(tmp_path / "g.png")]
    plots = ["--plot-solutions", str(solutions), "--plot-errors", str(errors)]
    assert main([*argv, *plots]) == 0
    out = capsys.readouterr().out
    assert "heat conduction" in out  # the demo explains itself first
    basis = next(line for line in out.splitlines() if line.startswith("basis size"))
    assert "met --tol 1e-05" in basis
    for path in (solutions, errors):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert str(path) in out
    assert main([*argv, "-q"]) == 0
    quiet = capsys.readouterr().out
    assert "heat conduction" not in quiet and "basis size" in quiet


@pytest.mark.parametrize("bad", [["--train", "0"], ["--test", "0"]])
def test_bad_sizes(bad, capsys):
    assert main(["demo", "thermal-block", *bad]) == 1
    assert capsys.readouterr().err.startswith("rom demo: error: --train, --resolution and --test")

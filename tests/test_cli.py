"""Tests of the ``rom`` command line."""

import importlib.util
import os
import shutil
import subprocess

import meshio
import numpy as np
import pytest

import rom
from rom.cli import main

MUS = np.linspace(1.0, 4.0, 8)


def field(mu: float, points: np.ndarray) -> np.ndarray:
    x, y = points[:, 0], points[:, 1]
    return np.exp(-mu * x) * np.cos(mu * y) + 0.1 * mu * x * y


def square_mesh(n: int = 9):
    t = np.linspace(0.0, 1.0, n)
    X, Y = np.meshgrid(t, t, indexing="ij")
    points = np.stack([X.ravel(), Y.ravel(), np.zeros(n * n)], axis=1)
    idx = np.arange(n * n).reshape(n, n)
    a, b = idx[:-1, :-1].ravel(), idx[1:, :-1].ravel()
    c, d = idx[:-1, 1:].ravel(), idx[1:, 1:].ravel()
    triangles = np.concatenate([np.stack([a, b, c], axis=1), np.stack([b, d, c], axis=1)])
    return points, [("triangle", triangles)]


@pytest.fixture
def snapshot_files(tmp_path):
    points, cells = square_mesh()
    paths = []
    for i, mu in enumerate(MUS):
        path = tmp_path / f"snapshot_{i:02d}.vtu"
        meshio.Mesh(points, cells, point_data={"temperature": field(mu, points)}).write(path)
        paths.append(str(path))
    S = np.stack([field(mu, points) for mu in MUS], axis=1)
    return paths, S


# ---------------------------------------------------------------------- version and info
def test_version_through_main(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"romba {rom.__version__}"


def test_console_script_is_installed():
    exe = shutil.which("rom")
    assert exe is not None, "the `rom` console script is not on PATH"
    run = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"romba {rom.__version__}"


def test_info_prints_a_table(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split(None, 1)[1] for line in out.splitlines() if line.strip()}
    assert rows["numpy"].strip() == np.__version__
    assert rows["romba"].strip() == rom.__version__
    assert rows["meshio"].strip() == meshio.__version__
    for name in ("torch", "petsc4py"):  # what is not installed shows as "-"
        missing = importlib.util.find_spec(name) is None
        assert (rows[name].strip() == "-") == missing, name


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: rom" in capsys.readouterr().out


# ---------------------------------------------------------------------- pod
def test_pod_of_mesh_files(tmp_path, snapshot_files, capsys):
    paths, S = snapshot_files
    out = tmp_path / "basis.npz"
    tol = 1e-6
    assert main(["pod", *paths, "--field", "temperature", "--tol", str(tol), "-o", str(out)]) == 0

    pod = rom.load(out)
    assert isinstance(pod, rom.POD)
    U = pod.basis_
    assert U.shape[0] == S.shape[0] and 1 <= U.shape[1] <= S.shape[1]
    np.testing.assert_allclose(U.T @ U, np.eye(U.shape[1]), atol=1e-12)
    # the basis reproduces the snapshots to the tolerance (relative Frobenius norm)
    residual = S - U @ (U.T @ S)
    assert np.linalg.norm(residual) <= tol * np.linalg.norm(S)
    # and the truncation is the smallest one that does so (singular values of S)
    sigma = np.linalg.svd(S, compute_uv=False)
    r = U.shape[1]
    tail = np.sqrt(np.sum(sigma[r - 1 :] ** 2) / np.sum(sigma**2))
    assert tail > tol
    np.testing.assert_allclose(pod.singular_values_, sigma[:r], rtol=1e-10)

    stdout = capsys.readouterr().out
    assert f"POD of {len(paths)} snapshots x {S.shape[0]} values of 'temperature'" in stdout
    assert f"{r} modes, saved to {out}" in stdout
    table = [line.split() for line in stdout.splitlines() if line.strip()[:1].isdigit()]
    assert [int(row[0]) for row in table] == list(range(1, r + 1))
    printed = np.array([float(row[1]) for row in table])
    np.testing.assert_allclose(printed, sigma[:r], rtol=1e-5)  # printed with 6 digits
    np.testing.assert_allclose([float(row[2]) for row in table], sigma[:r] / sigma[0], rtol=1e-5)
    # captured energy, printed as "1 - (energy left out by the first i modes)"
    assert all(row[3:5] == ["1", "-"] for row in table)
    left_out = np.array([np.sum(sigma[i + 1 :] ** 2) for i in range(r)]) / np.sum(sigma**2)
    np.testing.assert_allclose([float(row[5]) for row in table], left_out, rtol=1e-2, atol=1e-13)


def test_pod_with_rank(tmp_path, snapshot_files, capsys):
    paths, S = snapshot_files
    out = tmp_path / "basis.npz"
    assert main(["pod", *paths, "--field", "temperature", "--rank", "2", "-o", str(out)]) == 0
    pod = rom.load(out)
    assert pod.rank_ == 2
    U_ref = np.linalg.svd(S, full_matrices=False)[0][:, :2]
    # same subspace as the two leading left singular vectors
    np.testing.assert_allclose(np.abs(U_ref.T @ pod.basis_), np.eye(2), atol=1e-10)


def test_pod_missing_field(tmp_path, snapshot_files, capsys):
    paths, _ = snapshot_files
    out = tmp_path / "basis.npz"
    assert main(["pod", *paths, "--field", "pressure", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("rom pod: error:")
    assert "'pressure'" in err and "'temperature'" in err
    assert not out.exists()


def test_pod_unreadable_file(tmp_path, snapshot_files, capsys):
    paths, _ = snapshot_files
    bad = tmp_path / "broken.vtu"
    bad.write_bytes(b"\x00garbage")
    out = tmp_path / "basis.npz"
    assert main(["pod", *paths, str(bad), "--field", "temperature", "-o", str(out)]) == 1
    assert "broken.vtu" in capsys.readouterr().err
    assert not out.exists()


def test_pod_missing_file(tmp_path, capsys):
    out = str(tmp_path / "b.npz")
    code = main(["pod", str(tmp_path / "nope.vtu"), "--field", "T", "-o", out])
    assert code == 1
    assert "rom pod: error: FILES: no such file" in capsys.readouterr().err


def test_pod_bad_tolerance(tmp_path, snapshot_files, capsys):
    paths, _ = snapshot_files
    out = tmp_path / "basis.npz"
    assert main(["pod", *paths, "--field", "temperature", "--tol", "-1", "-o", str(out)]) == 1
    assert "tol:" in capsys.readouterr().err


def test_pod_output_onto_a_directory(tmp_path, snapshot_files, capsys):
    paths, _ = snapshot_files
    target = tmp_path / "outdir"
    target.mkdir()
    before = sorted(os.listdir(tmp_path))
    assert main(["pod", *paths, "--field", "temperature", "-o", str(target)]) == 1
    assert "rom pod: error:" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == before  # no temporary file left


def test_pod_argument_errors_exit_2(snapshot_files, capsys):
    paths, _ = snapshot_files
    # --field is required with mesh files (not with --store): a one-line error naming it
    assert main(["pod", *paths, "-o", "x.npz"]) == 1
    assert capsys.readouterr().err.startswith("rom pod: error: --field:")
    with pytest.raises(SystemExit) as exc:
        main(["pod", *paths, "--field", "temperature", "-o", "x.npz", "--method", "qr"])
    assert exc.value.code == 2


def test_demo_thermal_block_runs_and_certifies(tmp_path, capsys):
    from rom.cli import main

    figure = tmp_path / "greedy.png"
    code = main(
        [
            "demo",
            "thermal-block",
            "--resolution",
            "24",
            "--train",
            "81",
            "--tol",
            "1e-8",
            "--test",
            "20",
            "--figure",
            str(figure),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert figure.stat().st_size > 1000
    for key in ("basis size", "offline time", "speed-up", "effectivity range"):
        assert key in out
    line = next(ln for ln in out.splitlines() if ln.startswith("effectivity range"))
    low = float(line.split("[")[1].split(",")[0])
    assert low >= 1.0  # certified on every resolved test error


def test_demo_report_numbers():
    from rom.demo import thermal_block_demo

    r = thermal_block_demo(resolution=20, train=16, tol=1e-6, n_test=10, figure=None)
    assert r["max_relative_error"] <= r["max_relative_bound"]
    assert r["max_relative_bound"] < 1e-2  # 16 training points: a coarse training set
    assert r["greedy_errors"][-1] <= 1e-6 * r["greedy_errors"][0]
    assert len(r["true_errors"]) == r["basis_size"] + 1


def test_demo_bad_input(capsys):
    from rom.cli import main

    assert main(["demo", "thermal-block", "--train", "0"]) == 1
    assert "--train" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_lagrangian_runs_end_to_end(tmp_path, capsys):
    """``rom demo lagrangian --quick``: the four problems, the table and the figure."""
    from rom.cli import main

    figure = tmp_path / "lagrangian.png"
    assert main(["demo", "lagrangian", "--quick", "--figure", str(figure)]) == 0
    out = capsys.readouterr().out
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and figure.stat().st_size > 10_000
    assert not list(tmp_path.glob(".*.tmp*"))  # written atomically
    rows = {}
    for line in out.splitlines()[1:]:
        if line.startswith(("convection", "Burgers")):
            name, rest = line[:24].strip(), line[24:].split()
            rows[name] = [None if v == "None" else int(v) for v in rest[1:5]]
    assert set(rows) == {
        "convection, Pe = inf",
        "convection, Pe = 1e4",
        "convection, Pe = 1e3",
        "Burgers, nu = 1e-2",
    }
    # pure convection: rank 1 + 1 in the Lagrangian frame, many Eulerian modes
    for name, most, factor in (("convection, Pe = inf", 3, 10), ("convection, Pe = 1e4", 5, 5)):
        lag_2, eul_2, lag_3, eul_3 = rows[name]
        assert lag_2 <= lag_3 <= most
        assert eul_2 is None or eul_2 >= factor * lag_2
        assert eul_3 is None or eul_3 >= factor * lag_3
    assert f"figure: {figure}" in out


@pytest.fixture
def saved_surrogate(tmp_path):
    from rom.nonintrusive import Surrogate

    space = rom.ParameterSpace({"k": (0.0, 1.0), "c": (0.0, 1.0)})
    mus = space.grid(3)
    S = np.exp(-np.outer(np.linspace(0, 1, 20), mus[:, 0] + 2 * mus[:, 1]))
    path = tmp_path / "sur.npz"
    rom.save(Surrogate(parameter_space=space).fit(mus, S), path)
    return path


def _one_line_error(capsys, command):
    err = capsys.readouterr().err
    # (meshio prints its own complaint before it exits: romba's line is the last)
    last = err.rstrip("\n").split("\n")[-1]
    assert last.startswith(f"rom {command}: error: ") and "Traceback" not in err, err
    return last


def test_predict_with_a_pod_file_is_a_clear_error(tmp_path, capsys):
    rom.save(rom.POD(rank=1).fit(np.eye(3)[:, :2]), tmp_path / "pod.npz")
    argv = ["predict", str(tmp_path / "pod.npz"), "--mu", "k=0.5", "-o", str(tmp_path / "x.npy")]
    assert main(argv) == 1
    assert "holds a POD, not a Surrogate" in _one_line_error(capsys, "predict")


def test_predict_with_a_missing_or_bad_mesh_is_a_clear_error(tmp_path, capsys, saved_surrogate):
    """#18: meshio's ReadError (and its exit on an unknown format) escaped as a traceback."""
    out = tmp_path / "x.vtu"
    base = ["predict", str(saved_surrogate), "--mu", "k=0.5", "--mu", "c=0.5", "-o", str(out)]
    assert main([*base, "--mesh", str(tmp_path / "nope.vtu")]) == 1
    assert "--mesh: no such file" in _one_line_error(capsys, "predict")
    bad = tmp_path / "bad.vtu"
    bad.write_text("not a mesh")
    assert main([*base, "--mesh", str(bad)]) == 1
    assert "--mesh: " in _one_line_error(capsys, "predict")
    assert main([*base, "--mesh", str(saved_surrogate)]) == 1  # no reader for .npz
    assert "could not be read as a mesh" in _one_line_error(capsys, "predict")
    assert not out.exists()


def test_predict_refuses_a_parameter_given_twice(tmp_path, capsys, saved_surrogate):
    """#18: --mu k=0.5 --mu k=0.6 kept the last value silently."""
    out = tmp_path / "x.npy"
    argv = ["predict", str(saved_surrogate), "--mu", "k=0.5", "--mu", "k=0.6", "--mu", "c=0.5"]
    assert main([*argv, "-o", str(out)]) == 1
    assert "--mu: 'k' is given more than once" in _one_line_error(capsys, "predict")
    assert not out.exists()
    assert (
        main(["predict", str(saved_surrogate), "--mu", "k=0.5", "--mu", "c=0.5", "-o", str(out)])
        == 0
    )
    assert np.load(out).shape == (20,)

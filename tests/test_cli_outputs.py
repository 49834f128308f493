"""What ``rom pod``, ``rom predict`` and ``rom validate`` write: whole files, or a clear error."""

import sys
import textwrap
import xml.etree.ElementTree as ET

import meshio
import numpy as np
import pytest

import rom
from rom.cli import main
from rom.nonintrusive import Surrogate

N = 20


def _line_mesh(path):
    x = np.linspace(0.0, 1.0, N)
    points = np.stack([x, np.zeros(N), np.zeros(N)], axis=1)
    cells = [("line", np.stack([np.arange(N - 1), np.arange(1, N)], axis=1))]
    meshio.Mesh(points, cells).write(path)
    return path


@pytest.fixture
def model(tmp_path):
    space = rom.ParameterSpace({"k": (0.0, 1.0), "c": (0.0, 1.0)})
    mus = space.grid(3)
    S = np.exp(-np.outer(np.linspace(0, 1, N), mus[:, 0] + 2 * mus[:, 1]))
    fitted = Surrogate(parameter_space=space).fit(mus, S)
    path = tmp_path / "sur.npz"
    rom.save(fitted, path)
    return path, fitted


def _error_line(capsys, command):
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"rom {command}: error: "), err
    return lines[0]


def _files(directory):
    return sorted(p.name for p in directory.iterdir())


def test_predict_xdmf_is_whole(tmp_path, model, capsys):
    """-o a.xdmf wrote an a.xdmf pointing to a hidden .h5 under its temporary name."""
    pytest.importorskip("h5py", reason="meshio writes XDMF's heavy data with h5py")
    path, fitted = model
    mesh = _line_mesh(tmp_path / "mesh.vtu")
    out = tmp_path / "out"
    out.mkdir()
    argv = ["predict", str(path), "--mu", "k=0.3,c=0.6", "--mesh", str(mesh), "-o"]
    assert main([*argv, str(out / "a.xdmf")]) == 0
    assert _files(out) == ["a.h5", "a.xdmf"]
    back = meshio.read(out / "a.xdmf")
    np.testing.assert_allclose(back.point_data["u"].ravel(), fitted.predict([[0.3, 0.6]])[:, 0])


def test_predict_unsupported_formats_are_one_line_errors(tmp_path, model, capsys, monkeypatch):
    """-o a.csv, and -o a.xdmf without h5py, ended in raw tracebacks."""
    path, _ = model
    mesh = _line_mesh(tmp_path / "mesh.vtu")
    out = tmp_path / "out"
    out.mkdir()
    argv = ["predict", str(path), "--mu", "k=0.3", "--mu", "c=0.6", "--mesh", str(mesh), "-o"]
    assert main([*argv, str(out / "a.csv")]) == 1
    assert "--output: meshio writes no format for the suffix '.csv'" in _error_line(
        capsys, "predict"
    )
    monkeypatch.setitem(sys.modules, "h5py", None)  # as if h5py were not installed
    assert main([*argv, str(out / "a.xdmf")]) == 1
    assert "needs the package 'h5py'" in _error_line(capsys, "predict")
    assert _files(out) == []


def test_predict_several_parameter_sets_as_a_paraview_collection(tmp_path, model, capsys):
    path, fitted = model
    mesh = _line_mesh(tmp_path / "mesh.vtu")
    sets = [[0.1, 0.2], [0.5, 0.5], [0.9, 0.3]]
    mu = [arg for k, c in sets for arg in ("--mu", f"k={k},c={c}")]
    out = tmp_path / "out"
    out.mkdir()
    assert main(["predict", str(path), *mu, "--mesh", str(mesh), "-o", str(out / "s.pvd")]) == 0
    assert _files(out) == ["s.pvd", "s_000.vtu", "s_001.vtu", "s_002.vtu"]  # nothing hidden
    entries = ET.parse(out / "s.pvd").getroot().findall("./Collection/DataSet")
    expected = fitted.predict(np.array(sets))
    for k, entry in enumerate(entries):
        back = meshio.read(out / entry.get("file"))
        np.testing.assert_allclose(back.point_data["u"].ravel(), expected[:, k])
    assert "3 parameter set(s)" in capsys.readouterr().out
    # pairs one at a time also make sets: a set ends once it names every parameter
    npy = tmp_path / "all.npy"
    one_by_one = ["--mu", "k=0.1", "--mu", "c=0.2", "--mu", "c=0.5", "--mu", "k=0.5"]
    assert main(["predict", str(path), *one_by_one, "-o", str(npy)]) == 0
    np.testing.assert_allclose(np.load(npy), expected[:, :2])
    # several sets into a single-mesh format: refused before anything is written
    vtu = tmp_path / "one.vtu"
    assert main(["predict", str(path), *mu, "--mesh", str(mesh), "-o", str(vtu)]) == 1
    assert "--output: 3 parameter sets need a collection" in _error_line(capsys, "predict")
    assert not vtu.exists()
    # an incomplete last set names what is missing
    assert main(["predict", str(path), *mu, "--mu", "k=0.2", "-o", str(npy)]) == 1
    assert "missing: ['c']" in _error_line(capsys, "predict")


def _snapshots(tmp_path):
    t = np.linspace(0.0, 1.0, 6)
    X, Y = np.meshgrid(t, t, indexing="ij")
    points = np.stack([X.ravel(), Y.ravel(), np.zeros(36)], axis=1)
    idx = np.arange(36).reshape(6, 6)
    a, b, c, d = (
        idx[:-1, :-1].ravel(),
        idx[1:, :-1].ravel(),
        idx[:-1, 1:].ravel(),
        idx[1:, 1:].ravel(),
    )
    cells = [("triangle", np.concatenate([np.stack([a, b, c], 1), np.stack([b, d, c], 1)]))]
    paths, columns = [], []
    for k, mu in enumerate(np.linspace(1.0, 3.0, 6)):
        values = np.exp(-mu * points[:, 0]) * np.cos(mu * points[:, 1])
        path = tmp_path / f"s{k}.vtu"
        meshio.Mesh(points, cells, point_data={"T": values}).write(path)
        paths.append(str(path))
        columns.append(values)
    return paths, np.stack(columns, axis=1)


def test_pod_refuses_a_model_name_that_is_not_npz(tmp_path, capsys):
    """-o x.vtu wrote an .npz archive under a .vtu name."""
    paths, _ = _snapshots(tmp_path)
    out = tmp_path / "x.vtu"
    assert main(["pod", *paths, "--field", "T", "-o", str(out)]) == 1
    line = _error_line(capsys, "pod")
    assert "--output: a POD is saved as a .npz model file" in line and "--modes" in line
    assert not out.exists()


def test_pod_writes_its_modes_for_paraview(tmp_path, capsys):
    paths, S = _snapshots(tmp_path)
    out, modes = tmp_path / "pod.npz", tmp_path / "modes.vtu"
    argv = ["pod", *paths, "--field", "T", "--rank", "4", "-o", str(out), "--modes", str(modes)]
    assert main([*argv, "--n-modes", "3"]) == 0
    pod = rom.load(out)
    back = meshio.read(modes)
    assert sorted(back.point_data) == ["mode_1", "mode_2", "mode_3"]
    for i in range(3):
        np.testing.assert_allclose(back.point_data[f"mode_{i + 1}"].ravel(), pod.basis_[:, i])
    # the modes are the left singular vectors of the snapshots (up to sign)
    U = np.linalg.svd(S, full_matrices=False)[0]
    np.testing.assert_allclose(np.abs(U[:, :3].T @ pod.basis_[:, :3]), np.eye(3), atol=1e-8)
    assert f"-> {modes}" in capsys.readouterr().out


MODEL = textwrap.dedent(
    """
    import numpy as np

    def solve(mu):
        return np.exp(-np.linspace(0, 1, 20) * (mu["k"] + 2 * mu["c"]))
    """
)


def test_validate_plots_the_error_of_each_parameter_set(tmp_path, model, capsys):
    path, fitted = model
    (tmp_path / "validate_plot_model.py").write_text(MODEL)
    spec = tmp_path / "spec.toml"
    spec.write_text(
        "[parameters]\nk = [0.0, 1.0]\nc = [0.0, 1.0]\n"
        '[solver]\npython = "validate_plot_model:solve"\nfield = "u"\n'
    )
    figure = tmp_path / "errors.png"
    argv = ["validate", str(path), "--spec", str(spec), "--test", "4", "--plot", str(figure)]
    assert main(argv) == 0
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = capsys.readouterr().out
    # the printed maximum is the surrogate's error at the seeded validation parameters
    mus = fitted.parameter_space.sample(4, "random", 12345)
    x = np.linspace(0, 1, 20)
    truth = np.exp(-np.outer(x, mus[:, 0] + 2 * mus[:, 1]))
    errors = np.linalg.norm(fitted.predict(mus) - truth, axis=0) / np.linalg.norm(truth, axis=0)
    printed = float(out.split("max ")[1].split()[0])
    assert printed == pytest.approx(errors.max(), rel=1e-3)
    assert f"errors figure: {figure}" in out and "largest at k=" in out
    assert main([*argv[:-1], str(tmp_path / "errors.txt")]) == 1
    assert "--plot: expected a .png" in _error_line(capsys, "validate")

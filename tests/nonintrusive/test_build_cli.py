import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import rom
from rom.cli import main

MODEL = textwrap.dedent(
    """
    import os
    import numpy as np

    X = np.linspace(0, 1, 80)

    def solve(mu):
        stop = os.environ.get("ROM_TEST_STOP_AFTER")
        if stop is not None:
            count = len(os.listdir(os.environ["ROM_TEST_STORE"]))
            if count >= int(stop):
                os._exit(9)  # the campaign dies half-way
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
    n = {n}
    seed = 1

    [solver]
    python = "{module}:solve"
    field = "u"

    [store]
    path = "snapshots"

    [reduction]
    tol = 1e-8

    [executor]
    kind = "{executor}"

    [output]
    model = "surrogate.npz"
    """
)


def _write(tmp_path, n=24, executor="serial", module="campaign_model"):
    (tmp_path / f"{module}.py").write_text(MODEL)
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.format(n=n, executor=executor, module=module))
    return spec


def _truth(k, c):
    x = np.linspace(0, 1, 80)
    return np.exp(-k * x) * (1 + c * x)


@pytest.mark.parametrize("executor", ["serial", "processes:2"])
def test_build_predict_validate(tmp_path, capsys, executor):
    module = f"campaign_model_{executor.split(':')[0]}"
    spec = _write(tmp_path, executor=executor, module=module)
    assert main(["build", str(spec)]) == 0
    assert "24 computed" in capsys.readouterr().out
    model = rom.load(tmp_path / "surrogate.npz")
    out = tmp_path / "u.npy"
    assert (
        main(
            [
                "predict",
                str(tmp_path / "surrogate.npz"),
                "--mu",
                "k=1.3",
                "--mu",
                "c=0.4",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    predicted = np.load(out)
    assert np.linalg.norm(predicted - _truth(1.3, 0.4)) < 1e-2 * np.linalg.norm(_truth(1.3, 0.4))
    assert model.spec_path_ == str(spec.resolve())
    capsys.readouterr()
    assert main(["validate", str(tmp_path / "surrogate.npz"), "--test", "5"]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if "max" in ln)
    assert float(line.split()[1]) < 5e-2


def test_a_killed_build_resumes_without_recomputing(tmp_path):
    spec = _write(tmp_path, n=12)
    env = dict(
        os.environ,
        ROM_TEST_STOP_AFTER="5",
        ROM_TEST_STORE=str(tmp_path / "snapshots" / "snapshots"),
    )
    (tmp_path / "snapshots" / "snapshots").mkdir(parents=True)
    first = subprocess.run(
        [sys.executable, "-m", "rom.cli", "build", str(spec)],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert first.returncode == 9  # killed half-way
    stored = len(list((tmp_path / "snapshots" / "snapshots").glob("*.npz")))
    assert stored == 5
    env.pop("ROM_TEST_STOP_AFTER")
    second = subprocess.run(
        [sys.executable, "-m", "rom.cli", "build", str(spec)],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert second.returncode == 0, second.stderr
    assert "7 computed, 5 already stored" in second.stdout


@pytest.mark.parametrize(
    "text, message",
    [
        ("[parameters]\nk = [0, 1]\n[solverr]\n", "unknown sections"),
        (
            "[parameters]\nk = [0, 1]\n[sampling]\nsize = 3\n[solver]\npython = 'm:f'\n",
            "unknown keys",
        ),
        ("[parameters]\nk = [0, 1]\n", "exactly one of 'python' or 'command'"),
        ("[parameters]\nk = [1, 0]\n[solver]\npython = 'm:f'\n", "low must be <= high"),
        ("[parameters]\nk = [0, 1\n", "not valid TOML"),
        ("[parameters]\nk = [0, 1]\n[solver]\ncommand = ['x']\n", "needs 'outputs'"),
        ("[parameters]\nk = [0, 1]\n[solver]\npython = 'nowhere:f'\n", "cannot load the solver"),
    ],
)
def test_bad_specs_fail_before_any_run(tmp_path, capsys, text, message):
    spec = tmp_path / "spec.toml"
    spec.write_text(text)
    assert main(["build", str(spec)]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "snapshots").exists()


def test_predict_bad_input(tmp_path, capsys):
    spec = _write(tmp_path, n=6, module="campaign_model_bad")
    assert main(["build", str(spec)]) == 0
    model = str(tmp_path / "surrogate.npz")
    assert (
        main(["predict", model, "--mu", "k=9", "--mu", "c=0.5", "-o", str(tmp_path / "x.npy")])
        == 1
    )
    assert "outside its bounds" in capsys.readouterr().err
    assert main(["predict", model, "--mu", "k", "-o", str(tmp_path / "x.npy")]) == 1
    assert "name=value" in capsys.readouterr().err


MESH_MODEL = textwrap.dedent(
    """
    import sys, numpy, meshio
    k = float(sys.argv[1])
    x = numpy.linspace(0, 1, 30)
    points = numpy.stack([x, numpy.zeros_like(x)], axis=1)
    cells = [("line", numpy.stack([numpy.arange(29), numpy.arange(1, 30)], axis=1))]
    meshio.Mesh(points, cells, point_data={"T": numpy.exp(-k * x)}).write("out.vtu")
    """
)


def test_command_campaign_and_prediction_on_the_stored_mesh(tmp_path, capsys):
    import meshio

    (tmp_path / "heat.py").write_text(MESH_MODEL)
    spec = tmp_path / "spec.toml"
    spec.write_text(
        textwrap.dedent(
            f"""
            [parameters]
            k = [0.5, 2.0]
            [sampling]
            method = "grid"
            n = 8
            [solver]
            command = ["{sys.executable}", "heat.py", "{{k}}"]
            outputs = {{ T = "out.vtu" }}
            templates = ["heat.py"]
            """
        )
    )
    assert main(["build", str(spec)]) == 0
    out = tmp_path / "pred.vtu"
    assert (
        main(
            [
                "predict",
                str(tmp_path / "surrogate.npz"),
                "--mu",
                "k=1.1",
                "-o",
                str(out),
                "--field",
                "T",
            ]
        )
        == 0
    )
    predicted = meshio.read(out).point_data["T"]
    x = np.linspace(0, 1, 30)
    assert np.abs(predicted - np.exp(-1.1 * x)).max() < 1e-3

import json
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
    random_state = 1

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
    np.testing.assert_allclose(model.predict([[1.3, 0.4]])[:, 0], predicted, rtol=0, atol=0)
    capsys.readouterr()
    saved = str(tmp_path / "surrogate.npz")
    assert main(["validate", saved, "--spec", str(spec), "--test", "5"]) == 0
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
        (
            "[parameters]\nk = [0, 1]\n[sampling]\nseed = 3\n[solver]\npython = 'm:f'\n",
            "unknown keys ['seed'] in [sampling]",
        ),
        (
            "[parameters]\nk = [0, 1]\n[sampling]\nrandom_state = 'x'\n[solver]\npython = 'm:f'\n",
            "random_state must be an integer",
        ),
        (
            "[parameters]\nk = [0, 1]\n[sampling]\nmethod = 'halton'\n[solver]\npython = 'm:f'\n",
            "method must be one of",
        ),
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
    assert main(["predict", model, "--mu", "k=1", "-o", str(tmp_path / "x.npy")]) == 1
    assert "--mu: expected the parameters ['k', 'c']" in capsys.readouterr().err
    assert main(["validate", model, "--spec", str(spec), "--test", "0"]) == 1
    assert "--test: expected a positive number" in capsys.readouterr().err
    other = tmp_path / "other.toml"
    other.write_text(spec.read_text().replace("k = [0.5, 2.0]", "k = [0.5, 3.0]"))
    assert main(["validate", model, "--spec", str(other)]) == 1
    assert "--spec: " in capsys.readouterr().err
    rom.save(rom.POD(rank=1).fit(np.eye(3)[:, :2]), tmp_path / "pod.npz")
    assert main(["validate", str(tmp_path / "pod.npz"), "--spec", str(spec)]) == 1
    assert "holds a POD, not a Surrogate" in capsys.readouterr().err


HOSTILE = textwrap.dedent(
    """
    import pathlib
    pathlib.Path({marker!r}).write_text("imported")

    def solve(mu):
        return [0.0]
    """
)


def test_a_model_file_names_no_path_and_no_command_trusts_one(tmp_path, capsys):
    """The saved surrogate holds no path; validate and predict take the spec from the
    command line, never from the file, so a model file cannot make them import a
    module or write a file it names."""
    spec = _write(tmp_path, n=6, module="campaign_model_paths")
    assert main(["build", str(spec)]) == 0
    saved = tmp_path / "surrogate.npz"
    with np.load(saved, allow_pickle=False) as data:
        text = " ".join(str(data[name]) for name in data.files if data[name].dtype.kind == "U")
    assert str(tmp_path) not in text and "spec" not in text.lower()
    # a model file that names a specification whose solver module writes a file on import
    hostile = tmp_path / "hostile"
    hostile.mkdir()
    marker = tmp_path / "imported.txt"
    (hostile / "evil.py").write_text(HOSTILE.format(marker=str(marker)))
    (hostile / "spec.toml").write_text(
        "[parameters]\nk = [0.5, 2.0]\nc = { bounds = [0.1, 1.0], log = true }\n"
        "[solver]\npython = 'evil:solve'\n[store]\npath = 'store'\n"
    )
    with np.load(saved, allow_pickle=False) as data:
        payload = {name: data[name] for name in data.files}
    header = json.loads(str(payload["__romba_header__"]))
    header["settings"]["fitted"]["spec_path_"] = str(hostile / "spec.toml")
    payload["__romba_header__"] = np.array(json.dumps(header))
    bad = tmp_path / "planted.npz"
    with open(bad, "wb") as fh:
        np.savez(fh, **payload)
    capsys.readouterr()
    # (whether loading accepts the planted entry or refuses it, nothing trusts it)
    assert main(["validate", str(bad), "--test", "2"]) == 1
    err = capsys.readouterr().err
    assert "--spec: give the campaign specification" in err or "spec_path_" in err
    assert main(["validate", str(saved), "--test", "2"]) == 1
    assert "--spec: give the campaign specification" in capsys.readouterr().err
    out = tmp_path / "pred.vtu"
    assert main(["predict", str(bad), "--mu", "k=1.0", "--mu", "c=0.5", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "--mesh:" in err or "spec_path_" in err
    assert not marker.exists() and not out.exists()
    assert not (hostile / "store").exists()  # no store opened (and created) from the file


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
            per_axis = 8
            [solver]
            command = ["{sys.executable}", "heat.py", "{{k}}"]
            outputs = {{ T = "out.vtu" }}
            templates = ["heat.py"]
            """
        )
    )
    assert main(["build", str(spec)]) == 0
    out = tmp_path / "pred.vtu"
    args = ["predict", str(tmp_path / "surrogate.npz"), "--mu", "k=1.1", "-o", str(out)]
    assert main([*args, "--field", "T"]) == 1  # the mesh: --mesh, or the campaign's
    assert "--mesh: .vtu output needs the mesh" in capsys.readouterr().err
    assert main([*args, "--field", "T", "--spec", str(spec)]) == 0
    predicted = meshio.read(out).point_data["T"]
    x = np.linspace(0, 1, 30)
    assert np.abs(predicted - np.exp(-1.1 * x)).max() < 1e-3

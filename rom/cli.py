"""The ``rom`` command."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from rom._version import __version__

__all__ = ["main"]


def _print_table(rows: Sequence[tuple[str, str]], out=None) -> None:
    out = out or sys.stdout
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}", file=out)


def _cmd_info(args: argparse.Namespace) -> int:
    from rom.backend import info

    report = info()
    rows = [(k, "-" if v is None else str(v)) for k, v in report.items()]
    _print_table(rows)
    return 0


def _cmd_pod(args: argparse.Namespace) -> int:
    import numpy as np

    from rom.io import read_fields
    from rom.io.persist import save
    from rom.linalg import POD

    S, _ = read_fields(args.files, args.field)
    pod = POD(rank=args.rank, tol=args.tol, rtol=args.rtol, method=args.method).fit(S)
    save(pod, args.output)
    s = np.asarray(pod.singular_values_)
    print(
        f"POD of {S.shape[1]} snapshots x {S.shape[0]} values of {args.field!r} "
        f"({pod.method_}): {pod.rank_} modes, saved to {args.output}"
    )
    print(f"{'mode':>5}  {'sigma_i':>12}  {'sigma_i/sigma_1':>15}  {'captured energy':>15}")
    energy = np.asarray(pod.energy_)
    for i in range(s.size):
        rel_tail = max(1.0 - energy[i], 0.0) ** 0.5
        print(f"{i + 1:>5}  {s[i]:12.5e}  {s[i] / s[0]:15.5e}  1 - {rel_tail**2:11.3e}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    if args.name == "lagrangian":
        from rom.demo.lagrangian import format_table, lagrangian_demo

        out = lagrangian_demo(args.figure or "lagrangian.png", quick=args.quick)
        print(format_table(out["table"]))
        print(f"figure: {out['figure']}")
        return 0
    from rom.demo import thermal_block_demo

    if args.train < 1 or args.resolution < 1 or args.test < 1:
        raise ValueError("--train, --resolution and --test must be positive")
    r = thermal_block_demo(
        blocks=tuple(args.blocks),
        resolution=args.resolution,
        train=args.train,
        tol=args.tol,
        n_test=args.test,
        estimator=args.estimator,
        figure=args.figure or "thermal_block_greedy.png",
    )
    rows = [
        ("full-order dofs", f"{r['dofs']}"),
        ("basis size", f"{r['basis_size']} ({r['stop_reason']})"),
        ("offline time", f"{r['offline_time']:.2f} s (model assembly {r['build_time']:.2f} s)"),
        ("full solve", f"{r['full_time'] * 1e3:.2f} ms per parameter"),
        ("online solve + bound", f"{r['online_time'] * 1e6:.1f} us per parameter"),
        ("speed-up", f"{r['speedup']:.0f}x"),
        (f"max true error ({args.test} tests)", f"{r['max_relative_error']:.3e} (relative, H1_0)"),
        ("max error bound", f"{r['max_relative_bound']:.3e} (relative, H1_0)"),
        (
            "effectivity range",
            f"[{r['effectivity_min']:.2f}, {r['effectivity_max']:.2f}] over the "
            f"{r['effectivity_count']} tests whose error is resolved (10 x above the "
            f"full solution's own bound, at most {r['truth_bound_max']:.1e})",
        ),
    ]
    if "figure" in r:
        rows.append(("convergence figure", r["figure"]))
    print(f"thermal block {args.blocks[0]}x{args.blocks[1]}, {args.estimator} error bound")
    _print_table(rows)
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from rom.io.persist import save
    from rom.nonintrusive import SnapshotStore, generate_snapshots
    from rom.nonintrusive.spec import read_spec

    spec = read_spec(args.spec)  # every check happens before any run starts
    solver = spec.solver()
    store = SnapshotStore(spec.store_path, spec.parameter_space, [spec.field])
    executor = spec.executor()
    try:
        result = generate_snapshots(solver, spec.training_set(), store, executor=executor)
    finally:
        if executor is not None:
            executor.shutdown()
    S, mus = store.snapshots(spec.field)
    if S.shape[1] < 2:
        raise ValueError(f"build: only {S.shape[1]} snapshot(s) succeeded; see {store.path}")
    model = spec.surrogate().fit(mus, S)
    save(model, spec.model_path)
    print(
        f"snapshots: {len(result.computed)} computed, {len(result.skipped)} already stored, "
        f"{len(result.failed)} failed ({result.seconds_per_run:.2f} s per run)"
    )
    print(
        f"surrogate: {model.reduction_.rank_} modes of {S.shape[1]} snapshots -> {spec.model_path}"
    )
    return 0


def _load_surrogate(path: str):
    """The surrogate saved at ``path`` (a model file is data: nothing in it is run)."""
    from rom.io import load
    from rom.nonintrusive import Surrogate

    model = load(path)
    if not isinstance(model, Surrogate):
        raise ValueError(f"model: {path!r} holds a {type(model).__name__}, not a Surrogate")
    return model


def _mu_from_args(model, pairs: list[str]):
    from rom.validation import check_parameters

    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"--mu: expected name=value, got {pair!r}")
        name = name.strip()
        if name in values:
            raise ValueError(f"--mu: {name!r} is given more than once")
        try:
            values[name] = float(value)
        except ValueError as err:
            raise ValueError(f"--mu: {name!r} needs a number, got {value!r}") from err
    if model.parameter_space is None:
        raise ValueError("--mu: the model was saved without its parameter space")
    return check_parameters(values, "--mu", parameter_space=model.parameter_space)


def _spec_for(model, spec_path: str, option: str):
    """The specification given on the command line, checked against the model."""
    from rom.nonintrusive.spec import read_spec

    spec = read_spec(spec_path)
    space = model.parameter_space
    if space is not None and space != spec.parameter_space:
        raise ValueError(
            f"{option}: {spec_path!r} describes the parameter space {spec.parameter_space}, "
            f"the model {space}"
        )
    return spec


def _cmd_predict(args: argparse.Namespace) -> int:
    import numpy as np

    from rom.io import write_fields

    model = _load_surrogate(args.model)
    field = model.predict(_mu_from_args(model, args.mu))[:, 0]
    out = Path(args.output)
    if out.suffix == ".npy":
        from rom.io.persist import atomic_write

        with atomic_write(out) as tmp, open(tmp, "wb") as fh:
            np.save(fh, field)
    else:
        if args.mesh:
            mesh = _read_mesh(args.mesh)
        elif args.spec:  # the mesh kept by the snapshot store of the campaign
            mesh = _store_mesh(_spec_for(model, args.spec, "--spec"))
        else:
            raise ValueError(
                f"--mesh: {out.suffix or 'this'} output needs the mesh: pass --mesh FILE, or "
                "--spec CAMPAIGN.toml for the mesh kept with the campaign's snapshots"
            )
        write_fields(out, mesh, {args.field: field})
    print(f"predicted {field.size} values -> {out}")
    return 0


def _read_mesh(path: str):
    """The mesh in ``path`` (meshio's errors, and its exit on an unknown file, as one)."""
    import meshio

    if not Path(path).is_file():
        raise ValueError(f"--mesh: no such file {path!r}")
    try:
        return meshio.read(path)
    except Exception as err:  # meshio raises many kinds of errors on bad files
        raise ValueError(
            f"--mesh: {path!r} could not be read as a mesh ({type(err).__name__}: {err})"
        ) from err
    except SystemExit as err:  # meshio exits when none of its readers accepts the file
        raise ValueError(f"--mesh: {path!r} could not be read as a mesh") from err


def _store_mesh(spec):
    from rom.nonintrusive import SnapshotStore

    if not (spec.store_path / "store.json").is_file():
        raise ValueError(f"--spec: no snapshot store at {str(spec.store_path)!r}")
    mesh = SnapshotStore(spec.store_path, spec.parameter_space, [spec.field]).mesh()
    if mesh is None:
        raise ValueError("--spec: no mesh stored with the campaign's snapshots; pass --mesh FILE")
    return mesh


def _cmd_validate(args: argparse.Namespace) -> int:
    import numpy as np

    model = _load_surrogate(args.model)
    if not args.spec:
        raise ValueError(
            "--spec: give the campaign specification whose solver computes the reference "
            "fields (rom validate MODEL --spec CAMPAIGN.toml)"
        )
    if args.test < 1:
        raise ValueError(f"--test: expected a positive number of parameter sets, got {args.test}")
    spec = _spec_for(model, args.spec, "--spec")
    solver = spec.solver()
    space = spec.parameter_space
    mus = space.sample(args.test, "random", args.random_state)
    errors = []
    for mu in mus:
        truth = solver(dict(zip(space.names, map(float, mu), strict=True)))[spec.field]
        pred = model.predict(mu[None, :])[:, 0]
        errors.append(np.linalg.norm(pred - truth) / np.linalg.norm(truth))
    errors = np.asarray(errors)
    print(f"relative L2 errors over {len(errors)} new parameter sets:")
    print(f"  max {errors.max():.3e}  mean {errors.mean():.3e}  median {np.median(errors):.3e}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rom", description="romba: reduced-order modelling toolkit"
    )
    parser.add_argument("--version", action="version", version=f"romba {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p_info = sub.add_parser("info", help="report the available backends (numba, cupy, GPU)")
    p_info.set_defaults(func=_cmd_info)

    p_pod = sub.add_parser("pod", help="POD of a field read from mesh files")
    p_pod.add_argument("files", nargs="+", help="mesh files (any format meshio reads)")
    p_pod.add_argument("--field", required=True, help="name of the point or cell field")
    p_pod.add_argument("--tol", type=float, default=None, help="relative projection error")
    p_pod.add_argument("--rtol", type=float, default=None, help="relative singular value cut")
    p_pod.add_argument("--rank", type=int, default=None, help="maximum number of modes")
    p_pod.add_argument(
        "--method", default="auto", choices=("auto", "svd", "snapshots", "randomized")
    )
    p_pod.add_argument("-o", "--output", required=True, help="output file (.npz)")
    p_pod.set_defaults(func=_cmd_pod)

    p_demo = sub.add_parser(
        "demo",
        help="run a demonstration: the certified thermal block, or Lagrangian against "
        "Eulerian bases on transport",
    )
    p_demo.add_argument("name", choices=("thermal-block", "lagrangian"))
    p_demo.add_argument("--blocks", type=int, nargs=2, default=(2, 2), metavar=("B1", "B2"))
    p_demo.add_argument("--resolution", type=int, default=100, help="cells per side")
    p_demo.add_argument("--train", type=int, default=256, help="number of training parameters")
    p_demo.add_argument("--tol", type=float, default=1e-10, help="relative greedy tolerance")
    p_demo.add_argument("--test", type=int, default=100, help="number of test parameters")
    p_demo.add_argument("--estimator", default="accurate", choices=("accurate", "classical"))
    p_demo.add_argument(
        "--figure",
        default=None,
        help="figure (PNG; thermal_block_greedy.png or lagrangian.png by default)",
    )
    p_demo.add_argument(
        "--quick", action="store_true", help="lagrangian: smaller grids and fewer cases"
    )
    p_demo.set_defaults(func=_cmd_demo)

    p_build = sub.add_parser("build", help="run a snapshot campaign and fit a surrogate")
    p_build.add_argument("spec", help="campaign specification (TOML)")
    p_build.set_defaults(func=_cmd_build)

    p_predict = sub.add_parser("predict", help="predict a field with a saved surrogate")
    p_predict.add_argument("model", help="saved surrogate (.npz)")
    p_predict.add_argument("--mu", action="append", default=[], help="name=value (repeat)")
    p_predict.add_argument("-o", "--output", required=True, help=".npy or a mesh format")
    p_predict.add_argument("--mesh", help="mesh file whose points carry the field")
    p_predict.add_argument(
        "--spec", help="campaign specification (TOML) whose snapshot store keeps the mesh"
    )
    p_predict.add_argument("--field", default="u", help="field name in the mesh output")
    p_predict.set_defaults(func=_cmd_predict)

    p_val = sub.add_parser("validate", help="compare a surrogate with fresh solver runs")
    p_val.add_argument("model", help="saved surrogate (.npz)")
    p_val.add_argument(
        "--spec", help="campaign specification (TOML) whose solver gives the reference fields"
    )
    p_val.add_argument("--test", type=int, default=10, help="number of new parameter sets")
    p_val.add_argument(
        "--random-state", type=int, default=12345, help="seed of the new parameter sets"
    )
    p_val.set_defaults(func=_cmd_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``rom`` command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.verbose:
        logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except (ValueError, TypeError, OSError, RuntimeError) as err:  # OSError: unwritable -o
        print(f"rom {args.command}: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The ``rom`` command."""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from rom._version import __version__

__all__ = ["main"]

#: the demonstrations of ``rom demo``: name -> one line
DEMOS = {
    "thermal-block": "certified reduced basis of a heat-conduction block (greedy, error bounds)",
    "lagrangian": "Lagrangian against Eulerian POD-Galerkin bases on convection and Burgers",
}


class _Formatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows ``(default: ...)`` where an option has a default worth showing."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default in (None, False, [], argparse.SUPPRESS) or "%(default)" in (
            action.help or ""
        ):
            return action.help or ""
        return super()._get_help_string(action)


def _print_table(rows: Sequence[tuple[str, str]], out=None) -> None:
    out = out or sys.stdout
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}", file=out)


def _say(args: argparse.Namespace, text: str) -> None:
    """Explanations, silenced by ``--quiet`` (results are always printed)."""
    if not args.quiet:
        print(text)


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

    if Path(args.output).suffix.lower() != ".npz":
        raise ValueError(
            f"--output: a POD is saved as a .npz model file, got {args.output!r}; for the "
            "modes as mesh fields (ParaView) add --modes MODES.vtu"
        )
    if args.store is not None:
        return _cmd_pod_store(args)
    if not args.files or args.field is None:
        raise ValueError("--field: mesh FILES and --field are required (or give --store)")
    if args.modes:
        from rom.io.fields import check_mesh_format

        _as_option(check_mesh_format, "--modes", args.modes)
        if args.n_modes < 1:
            raise ValueError(f"--n-modes: expected a positive integer, got {args.n_modes}")
    S, mesh = read_fields(args.files, args.field)
    if args.modes and args.field not in mesh.point_data:
        raise ValueError(f"--modes: {args.field!r} is cell data; --modes writes point fields")
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
    if args.modes:
        from rom.io import write_fields

        k = min(args.n_modes, pod.rank_)
        basis = np.asarray(pod.basis_)
        modes = {f"mode_{i + 1}": basis[:, i] for i in range(k)}
        _as_option(write_fields, "--modes", args.modes, mesh, modes)
        print(f"modes 1 to {k} as point fields mode_1 ... mode_{k} -> {args.modes}")
    return 0


def _pod_executor(kind: str):
    """The executor of ``--executor`` (None: serial)."""
    head, _, rest = kind.partition(":")
    if kind == "serial":
        return None
    if head == "processes" and rest.isdigit() and int(rest) > 0:
        from rom.parallel import process_pool

        return process_pool(int(rest))
    if head == "dask":
        from rom.nonintrusive.spec import DaskExecutor

        return DaskExecutor(rest or None)
    if kind == "mpi":
        from mpi4py.futures import MPIPoolExecutor

        return MPIPoolExecutor()
    raise ValueError(
        f"--executor: expected serial, processes:N, dask:N, dask:ADDRESS or mpi, got {kind!r}"
    )


def _cmd_pod_store(args: argparse.Namespace) -> int:
    """``rom pod --store``: HAPOD of a snapshot store, read block by block."""
    from rom.io.persist import save
    from rom.linalg import IncrementalPOD, distributed_pod
    from rom.nonintrusive import SnapshotStore

    if args.files:
        raise ValueError("--store: give either mesh FILES or --store, not both")
    if args.rtol is not None or args.method != "auto":
        raise ValueError("--store: the streamed POD takes --tol and --rank only")
    store = SnapshotStore.open(args.store)
    pod = IncrementalPOD(tol=args.tol, rank=args.rank, chunk_size=args.chunk_size)
    executor = _pod_executor(args.executor)
    try:
        if executor is None:
            pod.fit(store.chunks(pod._chunk_columns(store), args.field))
        else:
            size = pod._chunk_columns(store)
            readers = store.chunk_readers(size, args.field)
            pod = distributed_pod(readers, tol=args.tol, executor=executor, rank=args.rank)
    finally:
        if executor is not None:
            executor.shutdown()
    save(pod, args.output)
    relative = pod.error_bound_ / pod.total_energy_**0.5
    print(
        f"HAPOD of {pod.n_samples_seen_} snapshots x {pod.basis_.shape[0]} values of "
        f"{args.store}: {pod.rank_} modes, certified relative error <= {relative:.3e}, "
        f"saved to {args.output}"
    )
    return 0


def _as_option(function, option: str, *arguments):
    """``function(*arguments)``, its errors naming ``option`` where they say ``path``."""
    try:
        return function(*arguments)
    except (ValueError, ImportError, OSError) as err:
        message = str(err)
        if message.startswith("path:"):
            message = option + message[len("path") :]
        raise type(err)(message) from err


def _cmd_demo(args: argparse.Namespace) -> int:
    if args.name is None:
        print("demonstrations (rom demo NAME, rom demo NAME --help):")
        _print_table([(f"  {name}", line) for name, line in DEMOS.items()])
        return 0
    if args.name == "lagrangian":
        from rom.demo.lagrangian import INTRO, LEGEND, format_table, lagrangian_demo

        _say(args, INTRO + "\n")
        out = lagrangian_demo(
            args.figure or "lagrangian.png",
            quick=args.quick,
            plot_solutions=args.plot_solutions,
            plot_errors=args.plot_errors,
        )
        print(format_table(out["table"]))
        _say(args, LEGEND)
        for key in ("figure", "solutions_figure", "errors_figure"):
            if key in out:
                print(f"{key.replace('_', ' ')}: {out[key]}")
        return 0
    from rom.demo.thermal_block import INTRO, report_rows, thermal_block_demo

    if args.resolution < 1 or args.test < 1 or (args.train is not None and args.train < 1):
        raise ValueError("--train, --resolution and --test must be positive")
    _say(
        args,
        INTRO.format(b1=args.blocks[0], b2=args.blocks[1], dim=args.blocks[0] * args.blocks[1])
        + "\n",
    )
    r = thermal_block_demo(
        blocks=tuple(args.blocks),
        resolution=args.resolution,
        train=args.train,
        tol=args.tol,
        n_test=args.test,
        estimator=args.estimator,
        figure=args.figure or "thermal_block_greedy.png",
        progress=False if args.quiet else None,
        random_state=args.random_state,
        plot_solutions=args.plot_solutions,
        plot_errors=args.plot_errors,
    )
    print(f"thermal block {args.blocks[0]}x{args.blocks[1]}, {args.estimator} error bound")
    _print_table(report_rows(r))
    for note in r["notes"]:
        print(f"note: {note}")
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from rom.io.persist import save
    from rom.nonintrusive import SnapshotStore, generate_snapshots
    from rom.nonintrusive.generate import summarize_failures
    from rom.nonintrusive.spec import read_spec

    spec = read_spec(args.spec)  # every check happens before any run starts
    solver = spec.solver()  # the solver's own checks too: placeholders, program, templates
    store = SnapshotStore(spec.store_path, spec.parameter_space, [spec.field])
    executor = spec.executor()
    if spec.adaptive is not None:  # [adaptive]: runs where the surrogate's error is largest
        from rom.nonintrusive import adaptive_campaign

        try:
            run = adaptive_campaign(
                solver,
                spec.parameter_space,
                store,
                executor=executor,
                random_state=spec.random_state,
                progress=False if args.quiet else None,
                surrogate=spec.surrogate(),
                field=spec.field,
                **spec.adaptive,
            )
        finally:
            if executor is not None:
                executor.shutdown()
        save(run.surrogate, spec.model_path)
        print(
            f"adaptive: {len(run.parameters)} training runs ({run.computed} computed now, "
            f"{len(run.failed)} failed), validation error {run.validation_error:.3e} "
            f"({run.stop_reason}) -> {spec.model_path}"
        )
        return 0
    try:
        result = generate_snapshots(
            solver,
            spec.training_set(),
            store,
            executor=executor,
            progress=False if args.quiet else None,
        )
    finally:
        if executor is not None:
            executor.shutdown()
    print(
        f"snapshots: {len(result.computed)} computed, {len(result.skipped)} already stored, "
        f"{len(result.failed)} failed ({result.seconds_per_run:.2f} s per run)"
    )
    for line in summarize_failures(result.failed, spec.parameter_space.names):
        print(f"  {line}")
    chunk_size, line = _reduction_plan(spec, store)
    print(line)
    if chunk_size is None:
        S, mus = store.snapshots(spec.field)
        if S.shape[1] < 2:
            raise ValueError(f"only {S.shape[1]} snapshot(s) succeeded; see {store.path}")
        model = spec.surrogate().fit(mus, S)
        del S
    else:  # block by block: neither the snapshots nor a copy are ever whole in memory
        model = spec.surrogate(chunk_size).fit(store, spec.field)
        if len(model.parameters_) < 2:
            raise ValueError(
                f"only {len(model.parameters_)} snapshot(s) succeeded; see {store.path}"
            )
    save(model, spec.model_path)
    print(
        f"surrogate: {model.reduction_.rank_} modes of {len(model.parameters_)} snapshots "
        f"-> {spec.model_path}"
    )
    return 0


def _reduction_plan(spec, store) -> tuple[int | None, str]:
    """In memory (None) or streamed in blocks of how many columns, and the line saying so.

    The snapshot matrix is sized from the store without reading it: values per
    snapshot times stored snapshots times bytes per value (of the first readable
    snapshot; integers count as float64). The POD in memory peaks at about three times
    the matrix (the columns as read and stacked, then the matrix, the SVD's copy and
    its modes), so it runs in memory while three times the matrix is within the budget;
    else the snapshots stream through an IncrementalPOD in blocks of a quarter of the
    budget (a block and the copies of its update), at least one column.
    """
    from rom.nonintrusive.memory import format_bytes

    budget, origin = spec.memory_budget()
    first = next(store.chunks(1, spec.field), None)
    count = len(store)
    if first is None or count < 2:
        raise ValueError(
            f"only {0 if first is None else 1} snapshot(s) succeeded; see {store.path}"
        )
    itemsize = 8 if first.dtype.kind in "biu" else first.dtype.itemsize
    column = first.shape[0] * itemsize
    size = format_bytes(column * count)
    shape = f"{first.shape[0]} values x {count} snapshots"
    if budget is None:
        return None, f"reduction: in memory (snapshots {size}, {shape}; {origin})"
    within = f"budget {format_bytes(budget)}, {origin}"
    if 3 * column * count <= budget:
        return (
            None,
            f"reduction: in memory (snapshots {size}, {shape}: three times that within {within})",
        )
    chunk = int(min(max(budget // (4 * column), 1), count))
    columns = "1 column" if chunk == 1 else f"{chunk} columns"
    return chunk, (
        f"reduction: streaming (snapshots {size}, {shape}: three times that exceeds {within}), "
        f"chunks of {columns}"
    )


def _load_surrogate(path: str):
    """The surrogate saved at ``path`` (a model file is data: nothing in it is run)."""
    from rom.io import load
    from rom.nonintrusive import Surrogate

    model = load(path)
    if not isinstance(model, Surrogate):
        raise ValueError(f"model: {path!r} holds a {type(model).__name__}, not a Surrogate")
    return model


def _mus_from_args(model, values: list[str]):
    """Parameter sets (rows) from ``--mu`` values.

    Each ``--mu`` holds ``name=value`` pairs separated by commas; pairs gather into
    one parameter set until it names every parameter, then the next set starts.
    """
    import numpy as np

    from rom.validation import check_parameters

    if model.parameter_space is None:
        raise ValueError("--mu: the model was saved without its parameter space")
    names = model.parameter_space.names
    sets, current = [], {}
    for value in values:
        for pair in value.split(","):
            name, sep, number = pair.partition("=")
            if not sep:
                raise ValueError(f"--mu: expected name=value, got {pair!r}")
            name = name.strip()
            if name in current:
                raise ValueError(f"--mu: {name!r} is given more than once")
            try:
                current[name] = float(number)
            except ValueError as err:
                raise ValueError(f"--mu: {name!r} needs a number, got {number!r}") from err
            if set(names) <= set(current):
                sets.append(current)
                current = {}
    if current or not sets:
        sets.append(current)  # incomplete: check_parameters names what is missing
    rows = [check_parameters(mu, "--mu", parameter_space=model.parameter_space) for mu in sets]
    return np.concatenate([np.atleast_2d(row) for row in rows])


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
    from rom.io.fields import write_series

    model = _load_surrogate(args.model)
    mus = _mus_from_args(model, args.mu)
    out = Path(args.output)
    suffix = out.suffix.lower()
    if len(mus) > 1 and suffix not in (".npy", ".pvd"):
        raise ValueError(
            f"--output: {len(mus)} parameter sets need a collection: -o NAME.pvd (ParaView, "
            "one .vtu per set) or -o NAME.npy (one column per set)"
        )
    fields = model.predict(mus)
    if suffix == ".npy":
        from rom.io.persist import atomic_write

        with atomic_write(out) as tmp, open(tmp, "wb") as fh:
            np.save(fh, fields[:, 0] if len(mus) == 1 else fields)
        print(f"predicted {fields.shape[0]} values x {len(mus)} parameter set(s) -> {out}")
        return 0
    if args.mesh:
        mesh = _read_mesh(args.mesh)
    elif args.spec:  # the mesh kept by the snapshot store of the campaign
        mesh = _store_mesh(_spec_for(model, args.spec, "--spec"))
    else:
        raise ValueError(
            f"--mesh: {out.suffix or 'this'} output needs the mesh: pass --mesh FILE, or "
            "--spec CAMPAIGN.toml for the mesh kept with the campaign's snapshots"
        )
    if suffix == ".pvd":
        files = write_series(out, mesh, [{args.field: fields[:, k]} for k in range(len(mus))])
        print(
            f"predicted {fields.shape[0]} values x {len(mus)} parameter set(s) -> {out} "
            f"({files[0].name} ... {files[-1].name})"
        )
        return 0
    write_fields(out, mesh, {args.field: fields[:, 0]})
    print(f"predicted {fields.shape[0]} values -> {out}")
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


def _plot_errors(path: str, mus, errors, names) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rom.io.persist import atomic_write

    fig, ax = plt.subplots(figsize=(7, 4))
    k = range(1, len(errors) + 1)
    ax.semilogy(k, errors, "o-")
    ax.set(
        xlabel="validation parameter set",
        ylabel="relative L2 error",
        title=f"surrogate against the solver, {len(errors)} new parameter sets",
    )
    if len(errors) <= 12:
        labels = [", ".join(f"{n}={v:.3g}" for n, v in zip(names, mu, strict=True)) for mu in mus]
        ax.set_xticks(list(k), labels, rotation=60, ha="right", fontsize=7)
    fig.tight_layout()
    with atomic_write(path) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)


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
    if args.plot and Path(args.plot).suffix.lower() not in (".png", ".pdf", ".svg"):
        raise ValueError(f"--plot: expected a .png, .pdf or .svg file name, got {args.plot!r}")
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
    worst = int(np.argmax(errors))
    where = ", ".join(f"{n}={v:.6g}" for n, v in zip(space.names, mus[worst], strict=True))
    print(f"  largest at {where}")
    if args.plot:
        _plot_errors(args.plot, mus, errors, space.names)
        print(f"errors figure: {args.plot}")
    return 0


def _common() -> argparse.ArgumentParser:
    """-v / -q, accepted before or after the subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_mutually_exclusive_group()
    # SUPPRESS: the subcommand does not overwrite what was given before it
    group.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log progress"
    )
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print results and errors only: no explanations, progress bars or logging",
    )
    return common


def _parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="rom",
        description="romba: reduced-order modelling toolkit",
        parents=[common],
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"romba {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, text: str, /, **names: str) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name, help=text, description=text, parents=[common], formatter_class=_Formatter
        )
        # a library error names its argument ("name: ..."): the user knows the option
        p.set_defaults(option_names=names)
        return p

    p_info = command("info", "report the available backends (numba, cupy, GPU)")
    p_info.set_defaults(func=_cmd_info)

    p_pod = command(
        "pod",
        "POD of a field read from mesh files",
        name="--field",
        paths="FILES",
        path="--output",
    )
    p_pod.add_argument("files", nargs="*", help="mesh files (any format meshio reads)")
    p_pod.add_argument("--field", default=None, help="name of the point or cell field")
    p_pod.add_argument(
        "--store",
        default=None,
        help="a snapshot store instead of FILES: streamed POD (HAPOD), block by block",
    )
    p_pod.add_argument(
        "--executor",
        default="serial",
        help="with --store: serial | processes:N | dask:N | dask:ADDRESS | mpi",
    )
    p_pod.add_argument(
        "--chunk-size", type=int, default=None, help="with --store: snapshots per block"
    )
    p_pod.add_argument(
        "--tol", type=float, default=None, help="relative projection error (Frobenius norm)"
    )
    p_pod.add_argument(
        "--rtol", type=float, default=None, help="relative singular value cut (sigma_i/sigma_1)"
    )
    p_pod.add_argument("--rank", type=int, default=None, help="maximum number of modes")
    p_pod.add_argument(
        "--method",
        default="auto",
        choices=("auto", "svd", "snapshots", "randomized"),
        help="how the decomposition is computed",
    )
    p_pod.add_argument("-o", "--output", required=True, help="model file (.npz)")
    p_pod.add_argument(
        "--modes",
        metavar="FILE",
        help="also write the first modes as point fields on the mesh (e.g. modes.vtu, ParaView)",
    )
    p_pod.add_argument(
        "--n-modes", type=int, default=10, metavar="K", help="how many modes --modes writes"
    )
    p_pod.set_defaults(func=_cmd_pod)

    p_demo = command(
        "demo",
        "run a demonstration (without NAME: list them)",
        blocks="--blocks",
        resolution="--resolution",
        path="--figure",
    )
    p_demo.add_argument("name", nargs="?", choices=tuple(DEMOS), help="the demonstration")
    p_demo.add_argument(
        "--blocks",
        type=int,
        nargs=2,
        default=(2, 2),
        metavar=("B1", "B2"),
        help="thermal-block: blocks along x and y, one conductivity parameter each",
    )
    p_demo.add_argument(
        "--resolution", type=int, default=100, help="thermal-block: mesh cells per side"
    )
    p_demo.add_argument(
        "--train",
        type=int,
        default=None,
        help="thermal-block: training parameters of the greedy (default: 64 per parameter, "
        "at least 256)",
    )
    p_demo.add_argument(
        "--tol",
        type=float,
        default=1e-10,
        help="thermal-block: greedy tolerance on the relative error bound (training set)",
    )
    p_demo.add_argument("--test", type=int, default=100, help="thermal-block: test parameters")
    p_demo.add_argument(
        "--estimator",
        default="accurate",
        choices=("accurate", "classical"),
        help="thermal-block: residual norm of the error bound; 'classical' (the Gram "
        "formula) loses accuracy below about 1e-8",
    )
    p_demo.add_argument(
        "--random-state",
        "--seed",
        dest="random_state",
        type=int,
        default=1,
        help="thermal-block: seed of the random test parameters",
    )
    p_demo.add_argument(
        "--figure",
        default=None,
        help="summary figure (PNG; thermal_block_greedy.png or lagrangian.png by default)",
    )
    p_demo.add_argument(
        "--plot-solutions",
        metavar="PNG",
        help="write full and reduced solutions side by side to this PNG",
    )
    p_demo.add_argument(
        "--plot-errors", metavar="PNG", help="write the reduced model's errors to this PNG"
    )
    p_demo.add_argument(
        "--quick", action="store_true", help="lagrangian: smaller grids and fewer cases"
    )
    p_demo.set_defaults(func=_cmd_demo)

    p_build = command("build", "run a snapshot campaign and fit a surrogate")
    p_build.add_argument("spec", help="campaign specification (TOML)")
    p_build.set_defaults(func=_cmd_build)

    p_predict = command(
        "predict",
        "predict a field with a saved surrogate",
        path="--output",
        fields="--field",
        mu="--mu",
    )
    p_predict.add_argument("model", help="saved surrogate (.npz)")
    p_predict.add_argument(
        "--mu",
        action="append",
        default=[],
        metavar="NAME=VALUE[,NAME=VALUE...]",
        help="parameter values; repeat for more (a new set starts once one names every parameter)",
    )
    p_predict.add_argument(
        "-o",
        "--output",
        required=True,
        help=".npy, a mesh format meshio writes (.vtu, .xdmf, ...), or .pvd for several sets",
    )
    p_predict.add_argument("--mesh", help="mesh file whose points carry the field")
    p_predict.add_argument(
        "--spec", help="campaign specification (TOML) whose snapshot store keeps the mesh"
    )
    p_predict.add_argument("--field", default="u", help="field name in the mesh output")
    p_predict.set_defaults(func=_cmd_predict)

    p_val = command("validate", "compare a surrogate with fresh solver runs", path="--plot")
    p_val.add_argument("model", help="saved surrogate (.npz)")
    p_val.add_argument(
        "--spec", help="campaign specification (TOML) whose solver gives the reference fields"
    )
    p_val.add_argument("--test", type=int, default=10, help="number of new parameter sets")
    p_val.add_argument(
        "--random-state",
        "--seed",
        dest="random_state",
        type=int,
        default=12345,
        help="seed of the new parameter sets",
    )
    p_val.add_argument("--plot", metavar="PNG", help="figure of the error of each parameter set")
    p_val.set_defaults(func=_cmd_validate)
    return parser


def _option_message(args: argparse.Namespace, message: str) -> str:
    """``message`` with a leading argument name replaced by the option's name."""
    names = getattr(args, "option_names", {})
    match = re.match(r"(\w+)(\[[^\]]*\])?: ", message)
    if match and match.group(1) in names:
        return names[match.group(1)] + (match.group(2) or "") + message[len(match.group(1)) :]
    return message


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``rom`` command line; returns the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name (None: those of ``sys.argv``).

    Returns
    -------
    int
        0 on success, 1 when the command failed, 2 when none was given.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    args.verbose = getattr(args, "verbose", False)
    args.quiet = getattr(args, "quiet", False)
    if args.verbose and args.quiet:
        parser.error("-v/--verbose and -q/--quiet exclude each other")
    if args.verbose:
        logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    if args.command is None:
        parser.print_help()
        return 2
    logger = logging.getLogger("rom")
    level = logger.level
    if args.quiet:
        logger.setLevel(logging.ERROR)
    try:
        return args.func(args)
    # OSError: unwritable -o; ImportError: a format's optional package (h5py for .xdmf)
    except (ValueError, TypeError, OSError, RuntimeError, ImportError) as err:
        print(f"rom {args.command}: error: {_option_message(args, str(err))}", file=sys.stderr)
        return 1
    finally:
        logger.setLevel(level)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

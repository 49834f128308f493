"""The ``rom`` command."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

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
        figure=args.figure,
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
            f"{r['effectivity_count']} tests with a true error above 1e-13",
        ),
    ]
    if "figure" in r:
        rows.append(("convergence figure", r["figure"]))
    print(f"thermal block {args.blocks[0]}x{args.blocks[1]}, {args.estimator} error bound")
    _print_table(rows)
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

    p_demo = sub.add_parser("demo", help="run a demonstration (the certified thermal block)")
    p_demo.add_argument("name", choices=("thermal-block",))
    p_demo.add_argument("--blocks", type=int, nargs=2, default=(2, 2), metavar=("B1", "B2"))
    p_demo.add_argument("--resolution", type=int, default=100, help="cells per side")
    p_demo.add_argument("--train", type=int, default=256, help="number of training parameters")
    p_demo.add_argument("--tol", type=float, default=1e-10, help="relative greedy tolerance")
    p_demo.add_argument("--test", type=int, default=100, help="number of test parameters")
    p_demo.add_argument("--estimator", default="accurate", choices=("accurate", "classical"))
    p_demo.add_argument(
        "--figure", default="thermal_block_greedy.png", help="convergence figure (PNG)"
    )
    p_demo.set_defaults(func=_cmd_demo)
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

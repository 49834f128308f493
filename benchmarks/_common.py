"""Shared pieces of the benchmarks: test matrices and a timer.

Imported by the benchmark scripts, which run as ``python benchmarks/<name>.py``
(the script's folder is then on ``sys.path``).
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def singular_kernel_snapshots(n_x: int = 100, n_mu: int = 40) -> tuple[Any, Any, Any]:
    """Snapshots of ``g(x; mu) = 1 / ||x - mu||`` (a point singularity outside the domain).

    ``x`` runs over an ``n_x`` x ``n_x`` grid of ``[0, 1]^2`` (rows of the snapshot
    matrix), ``mu`` over an ``n_mu`` x ``n_mu`` grid of ``[-1, -0.01]^2`` (columns).
    Both grids use ``np.linspace`` and ``indexing="ij"``, flattened in C order.

    Returns
    -------
    S : numpy.ndarray, shape (n_x**2, n_mu**2)
        Snapshot matrix, snapshots are columns.
    x : numpy.ndarray, shape (n_x**2, 2)
        Grid points (rows).
    mu : numpy.ndarray, shape (n_mu**2, 2)
        Parameter values (rows).
    """
    t = np.linspace(0.0, 1.0, n_x)
    x = np.stack([a.ravel() for a in np.meshgrid(t, t, indexing="ij")], axis=1)
    p = np.linspace(-1.0, -0.01, n_mu)
    mu = np.stack([a.ravel() for a in np.meshgrid(p, p, indexing="ij")], axis=1)
    dx = x[:, 0:1] - mu[:, 0][None, :]
    dy = x[:, 1:2] - mu[:, 1][None, :]
    S = 1.0 / np.sqrt(dx**2 + dy**2)
    return S, x, mu


def benchmark_parser(doc: str, quick_help: str, repeat_help: str):
    """The command line every benchmark shares: ``--quick`` and ``--repeat``."""
    import argparse

    parser = argparse.ArgumentParser(description=doc.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--repeat", type=int, default=3, help=repeat_help)
    return parser


def timed_snapshots(n_x: int, n_mu: int) -> Any:
    """Build the 1/|x - mu| snapshot matrix and print what was built, and how fast."""
    start = time.perf_counter()
    S, _, _ = singular_kernel_snapshots(n_x, n_mu)
    print(
        f"snapshots: 1/||x - mu||, {S.shape[0]} x {S.shape[1]} "
        f"(x on a {n_x}x{n_x} grid of [0,1]^2, mu on a {n_mu}x{n_mu} grid of "
        f"[-1,-0.01]^2), {S.nbytes / 1e6:.0f} MB, built in {time.perf_counter() - start:.2f} s"
    )
    return S


def best_time(func: Callable[[], Any], repeat: int = 3, warmup: int = 1) -> tuple[float, Any]:
    """Best wall-clock time of ``repeat`` calls after ``warmup`` untimed ones.

    Returns the best time in seconds and the result of the last call.
    """
    result = None
    for _ in range(warmup):
        result = func()
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def best_times(
    contenders: dict[str, Callable[[], Any]], repeat: int = 3, warmup: int = 1
) -> dict[str, tuple[float, Any]]:
    """Best wall-clock time of each contender, the timed calls taken in turns.

    Every contender is called ``warmup`` times untimed, then the contenders are
    timed round-robin, ``repeat`` rounds: a burst of load from elsewhere on the
    machine then hits all of them alike rather than one. Returns, for each name,
    the best time in seconds and the result of its last call.
    """
    results: dict[str, Any] = {}
    for name, func in contenders.items():
        for _ in range(warmup):
            results[name] = func()
    best = dict.fromkeys(contenders, np.inf)
    for _ in range(repeat):
        for name, func in contenders.items():
            start = time.perf_counter()
            results[name] = func()
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: (best[name], results[name]) for name in contenders}


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (other work on the machine skews timings)."""
    try:
        return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except (AttributeError, OSError):
        return "load average unavailable"


def _owner(path: str) -> str:
    """The package whose wheel ships a shared library (``numpy.libs`` -> numpy)."""
    folder = os.path.basename(os.path.dirname(path))
    return folder.removesuffix(".libs") if folder.endswith(".libs") else os.path.basename(path)


def _cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        out = ""
    for line in out.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown"


def machine_header(extra_versions: dict[str, str] | None = None) -> str:
    """A few lines describing the machine, the libraries and the date."""
    import scipy

    import rom

    lines = [
        f"date: {datetime.date.today().isoformat()}",
        f"machine: {_cpu_model()}, {os.cpu_count()} logical cores, "
        f"{platform.system()} {platform.release()}, {load_average()} at start",
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}, romba {rom.__version__}"
        + "".join(f", {k} {v}" for k, v in (extra_versions or {}).items()),
    ]
    try:
        from threadpoolctl import threadpool_info

        for info in threadpool_info():
            if info.get("user_api") == "blas":
                lines.append(
                    f"BLAS: {info.get('internal_api')} {info.get('version')} "
                    f"({info.get('architecture')}, {info.get('num_threads')} threads, "
                    f"{info.get('threading_layer')}), used by {_owner(info['filepath'])}"
                )
    except ImportError:
        lines.append("BLAS: (threadpoolctl not installed)")
    env = [
        f"{k}={os.environ[k]}"
        for k in (
            "OPENBLAS_CORETYPE",
            "OPENBLAS_L2_SIZE",
            "OPENBLAS_NUM_THREADS",
            "OMP_NUM_THREADS",
            "MKL_NUM_THREADS",
        )
        if k in os.environ
    ]
    lines.append("environment: " + (" ".join(env) if env else "no BLAS/OpenMP variables set"))
    return "\n".join(lines)

"""HAPOD of a snapshot store larger than a memory budget, against the exact POD and pyMOR.

Parts (each method runs in a fresh process, so that its peak RSS is its own):

(a) a SnapshotStore of ``m`` snapshots of ``n`` values (at least 4x the budget) is
    written once; ``u(x; a, b) = exp(-a x) sin(b pi x) + x^a / (1 + b)`` on a grid of
    ``[0, 1]``, parameters from a Halton sequence.
(b) the exact singular values and energy: the Gram matrix ``S^T S`` accumulated block
    pair by block pair from the store.
(c) ``IncrementalPOD(tol).fit(store)``: time, peak RSS (``resource.getrusage``) against
    the budget, modes, certified bound and the true projection error (a second pass).
(d) ``distributed_pod`` on a local dask cluster of 2 worker processes (workers read
    their own chunks): speed-up over (c), bytes of modes moved against the bytes of
    the snapshots.
(e) pyMOR's ``inc_vectorarray_hapod`` and ``dist_vectorarray_hapod`` against
    ``IncrementalPOD`` and ``distributed_pod`` on the same in-memory array (pyMOR's
    functions take a VectorArray; this part does not keep to the budget), at the same
    bound: pyMOR's ``eps`` is the l2-mean error, ``tol ||S||_F / sqrt(m)``.
(f) ``rom build`` of a campaign whose snapshots are several times its ``[reduction]
    memory``, against the same build with room: peak RSS of each command
    (``RUSAGE_CHILDREN``) above that of its imports, and their predictions.

Run: ``python benchmarks/bench_hapod.py [--quick] [--dir DIR] [--build-only]``.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SIZES = {  # n values, m snapshots, memory budget (bytes), chunk columns
    "full": (100_000, 1_500, 256 * 2**20, 32),
    "quick": (20_000, 400, 16 * 2**20, 16),  # a smoke test: below the imports' RSS
}
TOL = 1e-4
OMEGA = 0.9


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def field(n: int, a: float, b: float) -> np.ndarray:
    x = np.linspace(0.0, 1.0, n)
    return np.exp(-a * x) * np.sin(b * np.pi * x) + x**a / (1.0 + b)


def open_store(path: str):
    from rom.nonintrusive import SnapshotStore

    return SnapshotStore.open(path)


def build(path: str, n: int, m: int) -> None:
    from scipy.stats import qmc

    from rom import ParameterSpace
    from rom.nonintrusive import SnapshotStore

    space = ParameterSpace({"a": (0.5, 8.0), "b": (0.5, 6.0)})
    store = SnapshotStore(path, space, ["u"])
    if len(store) >= m:
        return
    mus = qmc.scale(qmc.Halton(2, seed=0).random(m), [0.5, 0.5], [8.0, 6.0])
    for a, b in mus:
        store.put([a, b], {"u": field(n, a, b)})


def projection_error(store, U, size) -> float:
    total = 0.0
    for S in store.chunks(size):
        R = S - U @ (U.T @ S)
        total += float(np.sum(R * R))
    return total**0.5


# ------------------------------------------------------------------ children
def child_gram(path: str, size: int) -> dict:
    store = open_store(path)
    readers = store.chunk_readers(size)
    m = sum(len(r) for r in readers)
    G = np.zeros((m, m))
    start = time.perf_counter()
    offsets = np.cumsum([0] + [len(r) for r in readers])
    for i, ri in enumerate(readers):
        A = ri()
        for j in range(i + 1):
            B = A if j == i else readers[j]()
            block = A.T @ B
            G[offsets[i] : offsets[i + 1], offsets[j] : offsets[j + 1]] = block
            G[offsets[j] : offsets[j + 1], offsets[i] : offsets[i + 1]] = block.T
            del B
        del A
    lam = np.linalg.eigvalsh(G)[::-1]
    s = np.sqrt(np.clip(lam, 0.0, None))
    return {
        "time": time.perf_counter() - start,
        "s": s[:200].tolist(),
        "energy": float(np.trace(G)),
    }


def child_incremental(path: str, size: int) -> dict:
    from rom.linalg import IncrementalPOD

    store = open_store(path)
    base = rss_mb()
    start = time.perf_counter()
    pod = IncrementalPOD(tol=TOL, omega=OMEGA, chunk_size=size).fit(store)
    elapsed = time.perf_counter() - start
    peak = rss_mb()
    err = projection_error(store, pod.basis_, size)
    return {
        "time": elapsed,
        "rss_mb": peak,
        "rss_base_mb": base,
        "rank": pod.rank_,
        "bound": pod.error_bound_,
        "energy": pod.total_energy_,
        "error": err,
        "s": pod.singular_values_.tolist(),
        "s_err": pod.singular_value_error_.tolist(),
    }


def child_distributed(path: str, size: int) -> dict:
    import distributed

    from rom.linalg import distributed_pod

    store = open_store(path)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.run(lambda: __import__("rom.linalg.hapod"))  # imports out of the timing
        start = time.perf_counter()
        pod = distributed_pod(
            store.chunk_readers(size), tol=TOL, omega=OMEGA, executor=client, arity=2
        )
        elapsed = time.perf_counter() - start
    err = projection_error(store, pod.basis_, size)
    n = pod.basis_.shape[0]
    return {
        "time": elapsed,
        "rank": pod.rank_,
        "bound": pod.error_bound_,
        "error": err,
        "moved": pod._bytes_moved,
        "snapshot_bytes": 8 * n * pod.n_samples_seen_,
        "rss_mb": rss_mb(),
    }


def child_pymor(path: str, size: int) -> dict:
    import logging

    from pymor.algorithms.hapod import dist_vectorarray_hapod, inc_vectorarray_hapod
    from pymor.core.logger import set_log_levels
    from pymor.vectorarrays.numpy import NumpyVectorSpace

    from rom.linalg import IncrementalPOD, distributed_pod

    set_log_levels({"pymor": "ERROR"})
    logging.getLogger("pymor").setLevel(logging.ERROR)
    store = open_store(path)
    S = np.concatenate(list(store.chunks(size)), axis=1)
    m = S.shape[1]
    norm = float(np.linalg.norm(S))
    eps = TOL * norm / np.sqrt(m)  # pyMOR's l2-mean tolerance for the same bound
    steps = -(-m // size)
    U = NumpyVectorSpace.from_numpy(S)  # pyMOR >= 2024: vectors are columns
    out = {}

    def err_of(B):
        R = S - B @ (B.T @ S)
        return float(np.linalg.norm(R))

    start = time.perf_counter()
    modes, svals, _ = inc_vectorarray_hapod(steps, U, eps, OMEGA)
    out["pymor_inc"] = {"time": time.perf_counter() - start, "rank": len(svals)}
    out["pymor_inc"]["error"] = err_of(modes.to_numpy())
    start = time.perf_counter()
    pod = IncrementalPOD(tol=TOL, omega=OMEGA, chunk_size=size).fit(S)
    out["romba_inc"] = {"time": time.perf_counter() - start, "rank": pod.rank_}
    out["romba_inc"]["error"] = err_of(pod.basis_)
    out["romba_inc"]["bound"] = pod.error_bound_
    start = time.perf_counter()
    modes, svals, _ = dist_vectorarray_hapod(steps, U, eps, OMEGA, arity=2)
    out["pymor_dist"] = {"time": time.perf_counter() - start, "rank": len(svals)}
    out["pymor_dist"]["error"] = err_of(modes.to_numpy())
    blocks = [S[:, k : k + size] for k in range(0, m, size)]
    start = time.perf_counter()
    pod = distributed_pod(blocks, tol=TOL, omega=OMEGA, arity=2)
    out["romba_dist"] = {"time": time.perf_counter() - start, "rank": pod.rank_}
    out["romba_dist"]["error"] = err_of(pod.basis_)
    out["romba_dist"]["bound"] = pod.error_bound_
    out["norm"] = norm
    return out


# ------------------------------------------------------------------ (f) rom build
BUILD_SIZES = {  # n values, m snapshots, memory budget (bytes) of the campaign
    "full": (50_000, 800, 64 * 2**20),
    "quick": (20_000, 200, 8 * 2**20),
}
BUILD_MODEL = """
import numpy as np

X = np.linspace(0.0, 1.0, {n})


def solve(mu):
    return np.exp(-mu["a"] * X) * np.sin(mu["b"] * np.pi * X) + X ** mu["a"] / (1.0 + mu["b"])
"""
BUILD_SPEC = """
[parameters]
a = [0.5, 8.0]
b = [0.5, 6.0]

[sampling]
method = "lhs"
n = {m}

[solver]
python = "hapod_build_model:solve"

[reduction]
tol = {tol}
memory = {memory}

[output]
model = "{model}"
"""


def child_build(path: str, size: int) -> dict:
    """``rom build`` of ``spec-<size>.toml`` (size 0: only the imports that ``rom build``
    makes: scipy.stats for the sampling, the regressors)."""
    if size == 0:
        code = "import scipy.linalg, scipy.stats, rom.cli, rom.closures, rom.nonintrusive.spec"
        command = [sys.executable, "-c", code]
    else:  # the specification written by part_build
        command = [sys.executable, "-m", "rom.cli", "build", f"spec-{size}.toml"]
    start = time.perf_counter()
    run = subprocess.run(command, capture_output=True, text=True, cwd=path)
    if run.returncode != 0:
        raise RuntimeError(f"rom build failed:\n{run.stdout}\n{run.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    return {"time": time.perf_counter() - start, "rss_mb": peak, "out": run.stdout}


def part_build(quick: bool) -> None:
    """(f): ``rom build`` of a campaign larger than its memory budget, and with room."""
    n, m, budget = BUILD_SIZES["quick" if quick else "full"]
    path = os.path.join(tempfile.gettempdir(), f"romba-hapod-build-{n}x{m}")
    os.makedirs(path, exist_ok=True)
    (Path(path) / "hapod_build_model.py").write_text(BUILD_MODEL.format(n=n))
    matrix = 8 * n * m
    for size, memory in ((budget, f'"{budget // 2**20}MiB"'), (64 * matrix, 64 * matrix)):
        text = BUILD_SPEC.format(m=m, tol=TOL, memory=memory, model=f"surrogate-{size}.npz")
        (Path(path) / f"spec-{size}.toml").write_text(text)
    base = run_child("build", path, 0)
    roomy = run_child("build", path, 64 * matrix)  # in memory (computes the store once)
    tight = run_child("build", path, budget)
    print(
        f"(f) rom build of {m} snapshots x {n} values ({matrix / 2**20:.0f} MiB, "
        f"{matrix / budget:.1f}x the budget of {budget / 2**20:.0f} MiB); peak RSS of the "
        f"command (RUSAGE_CHILDREN), its imports alone {base['rss_mb']:.0f} MiB:"
    )
    for label, run in (("memory = budget", tight), ("memory = 64x matrix", roomy)):
        plan = next(ln for ln in run["out"].splitlines() if ln.startswith("reduction:"))
        above = run["rss_mb"] - base["rss_mb"]
        print(
            f"    {label:20s} peak RSS {run['rss_mb']:6.0f} MiB ({above:.0f} MiB above the "
            f"imports, {above * 2**20 / matrix:.2f}x the matrix), {run['time']:.1f} s\n"
            f"      {plan}"
        )
    from rom import load

    a = load(Path(path) / f"surrogate-{budget}.npz")
    b = load(Path(path) / f"surrogate-{64 * matrix}.npz")
    mus = np.array([[1.3, 2.2], [6.1, 0.9], [3.3, 5.4]])
    gap = np.linalg.norm(a.predict(mus) - b.predict(mus)) / np.linalg.norm(b.predict(mus))
    above = tight["rss_mb"] - base["rss_mb"]
    print(
        f"    streamed against in memory: {a.reduction_.rank_} and {b.reduction_.rank_} modes, "
        f"predictions differ by {gap:.1e} (relative)\n"
        f"PASS: streamed build within the budget above its imports: "
        f"{above * 2**20 <= budget}"
    )


CHILDREN = {
    "gram": child_gram,
    "incremental": child_incremental,
    "distributed": child_distributed,
    "pymor": child_pymor,
    "build": child_build,
}


def run_child(kind: str, path: str, size: int) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE.parent), str(HERE)]))
    # one BLAS thread per process for every contender (dask workers inherit it): on a
    # shared 2-core machine, threaded BLAS in several processes spins and stalls
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    run = subprocess.run(
        [sys.executable, __file__, "--child", kind, path, str(size)],
        capture_output=True,
        text=True,
        env=env,
    )
    if run.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{run.stdout}\n{run.stderr}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    import argparse

    from _common import load_average, machine_header

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="a small store (seconds)")
    parser.add_argument("--dir", default=None, help="where the store is written (kept)")
    parser.add_argument("--build-only", action="store_true", help="part (f) only")
    args = parser.parse_args()
    n, m, budget, size = SIZES["quick" if args.quick else "full"]
    print(machine_header({}))
    print(f"{load_average()} at start")
    if args.build_only:
        part_build(args.quick)
        print(f"\n{load_average()} at the end")
        return
    path = args.dir or os.path.join(tempfile.gettempdir(), f"romba-hapod-{n}x{m}")
    start = time.perf_counter()
    build(path, n, m)
    store_bytes = 8 * n * m
    print(
        f"\n(a) store {path}: {m} snapshots x {n} values = {store_bytes / 2**30:.2f} GiB "
        f"float64 ({store_bytes / budget:.1f}x the budget of {budget / 2**20:.0f} MiB), "
        f"ready in {time.perf_counter() - start:.1f} s"
    )
    cache = Path(path) / "gram-reference.json"  # the exact reference, once per store
    if cache.exists():
        gram = json.loads(cache.read_text())
    else:
        gram = run_child("gram", path, max(1, budget // (3 * 8 * n)))
        cache.write_text(json.dumps(gram))
    s_exact = np.array(gram["s"])
    energy = gram["energy"]
    tails = np.concatenate([np.cumsum((s_exact**2)[::-1])[::-1][1:], [0.0]])
    r_exact = int(np.nonzero(tails <= TOL**2 * energy)[0][0]) + 1
    print(
        f"(b) exact: Gram matrix from block pairs in {gram['time']:.1f} s; POD rank for "
        f"tol {TOL:g}: {r_exact}"
    )
    inc = run_child("incremental", path, size)
    norm = energy**0.5
    k = inc["rank"]
    s_gap = s_exact[:k] - np.array(inc["s"])
    print(
        f"(c) IncrementalPOD(tol={TOL:g}, omega={OMEGA}), chunks of {size}: "
        f"{inc['time']:.1f} s, peak RSS {inc['rss_mb']:.0f} MiB (after imports "
        f"{inc['rss_base_mb']:.0f} MiB; budget {budget / 2**20:.0f} MiB), {k} modes "
        f"(exact POD: {r_exact})\n"
        f"    relative error: true {inc['error'] / norm:.3e} <= bound "
        f"{inc['bound'] / norm:.3e} <= tol {TOL:g}\n"
        f"    singular values: max |sigma - hat sigma| / sigma_1 = "
        f"{np.abs(s_gap).max() / s_exact[0]:.2e}, within the certificate: "
        f"{bool(np.all(s_gap <= np.array(inc['s_err']) + 1e-12 * s_exact[0]))}"
    )
    ok = inc["error"] <= inc["bound"] * (1 + 1e-8) and inc["bound"] <= TOL * norm * (1 + 1e-8)
    print(f"PASS: bound met and holds: {ok}; peak RSS under the budget: "
          f"{inc['rss_mb'] * 2**20 <= budget}")  # fmt: skip
    dist_size = max(size, budget // (4 * 8 * n))
    dist = run_child("distributed", path, dist_size)
    print(
        f"(d) distributed_pod on a local dask cluster (2 worker processes, arity 2, "
        f"chunks of {dist_size}): "
        f"{dist['time']:.1f} s, speed-up over (c) {inc['time'] / dist['time']:.2f}x; "
        f"{dist['rank']} modes, true {dist['error'] / norm:.3e} <= bound "
        f"{dist['bound'] / norm:.3e}\n"
        f"    moved between nodes: {dist['moved'] / 2**20:.1f} MiB of modes against "
        f"{dist['snapshot_bytes'] / 2**20:.0f} MiB of snapshots "
        f"({dist['snapshot_bytes'] / max(dist['moved'], 1):.0f}x less)"
    )
    pm = run_child("pymor", path, size)
    print("(e) against pyMOR on the same in-memory array, same bound (in one process):")
    for ours, theirs, label in (
        ("romba_inc", "pymor_inc", "incremental"),
        ("romba_dist", "pymor_dist", "distributed (serial)"),
    ):
        a, b = pm[ours], pm[theirs]
        print(
            f"    {label:22s} romba {a['time']:7.2f} s {a['rank']:4d} modes err "
            f"{a['error'] / pm['norm']:.2e} | pyMOR {b['time']:7.2f} s {b['rank']:4d} modes "
            f"err {b['error'] / pm['norm']:.2e} | speed ratio {b['time'] / a['time']:.2f}x"
        )
    part_build(args.quick)
    print(f"\n{load_average()} at the end")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        result = CHILDREN[sys.argv[2]](sys.argv[3], int(sys.argv[4]))
        print(json.dumps(result))
    else:
        main()

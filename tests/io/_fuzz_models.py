"""Run in a subprocess by test_untrusted.py: random single edits of a saved model.

``python -m tests.io._fuzz_models CLASS DIR`` saves a small fitted model of CLASS,
then for every single edit of its integer and float arrays (each array with each
value, at a random position) re-saves the archive, loads it and uses it, and prints
one JSON line per edit:
``{"array", "value", "index", "int", "outcome": "result" | "ValueError" | <other>,
"phase": "load" | "use", "message", "same"}``. A crash of the interpreter shows as
the process's return code.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

import rom

INT_VALUES = (-1, -(10**6), 10**9)
FLOAT_VALUES = (np.nan, np.inf, -1.0, 1e300)
#: every (array, value) pair is tried; ROMBA_FUZZ_EDITS caps it for a quick look
MAX_EDITS = int(os.environ.get("ROMBA_FUZZ_EDITS", "1000000"))


def _pod():
    import scipy.sparse

    rng = np.random.default_rng(0)
    S = rng.standard_normal((40, 10))
    d = rng.uniform(1.0, 2.0, 40)
    M = scipy.sparse.diags([d, 0.1 * np.ones(39), 0.1 * np.ones(39)], [0, 1, -1], format="csr")
    return rom.POD(rank=4, inner=M).fit(S), lambda m: m.transform(S), {}


def _eim():
    from rom.eim import EIM

    x = np.linspace(0, 1, 60)[:, None]
    S = np.exp(-np.linspace(1, 3, 20)[None, :] * x)
    return EIM(max_terms=6).fit(S), lambda m: m.approximate(S), {}


def _reduced_model():
    from rom.rb import ReducedBasis
    from tests.rb.contract_cases import COERCIVITY, MODEL, TEST, TRAIN

    red = ReducedBasis(MODEL, COERCIVITY, max_terms=3).fit(TRAIN).reduced_model_
    return red, lambda m: np.concatenate([np.ravel(v) for v in m.solve_and_estimate(TEST)]), {}


def _surrogate():
    from rom.nonintrusive import Surrogate

    mus = np.linspace(1.0, 2.0, 9)[:, None]
    x = np.linspace(0, 1, 50)
    S = np.exp(-mus[:, 0][None, :] * x[:, None])
    return Surrogate().fit(mus, S), lambda m: m.predict([[1.37], [1.81]]), {}


def _local_pod():
    from rom.local import LocalPOD

    x = np.linspace(0, 1, 80)[:, None]
    S = np.tanh((x - np.linspace(0.2, 0.8, 24)[None, :]) / 0.05)
    T = np.tanh((x - np.array([[0.33, 0.61]])) / 0.05)
    local = LocalPOD(3, rank=3, random_state=0, folds=None).fit(S)
    return local, lambda m: (m.assign(T), m.projection_error(T)), {}


def _eifmm():
    from rom.fmm import EIFMM, kernels

    rng = np.random.default_rng(0)
    Y = rng.random((300, 2))
    q = rng.standard_normal(300)
    fmm = EIFMM(kernels.laplace(dim=2), tol=1e-4, leaf_size=20).fit(Y)
    return fmm, lambda m: m.evaluate(q), {}


BUILD = {
    "POD": _pod,
    "EIM": _eim,
    "ReducedModel": _reduced_model,
    "Surrogate": _surrogate,
    "LocalPOD": _local_pod,
    "EIFMM": _eifmm,
}


def _flat(result):
    if isinstance(result, tuple):
        return np.concatenate([np.ravel(np.asarray(r, dtype=complex)) for r in result])
    return np.ravel(np.asarray(result, dtype=complex))


def main(name: str, directory: str) -> None:
    model, use, parts = BUILD[name]()
    path = Path(directory) / f"{name}.npz"
    rom.save(model, path)
    reference = _flat(use(rom.load(path, **parts)))
    with np.load(path, allow_pickle=False) as data:
        raw = {k: data[k] for k in data.files}
    edits = []
    for key in sorted(raw):
        arr = raw[key]
        if arr.size == 0 or arr.dtype.kind not in "iuf":
            continue
        values = INT_VALUES if arr.dtype.kind in "iu" else FLOAT_VALUES
        edits += [(key, v) for v in values]
    rng = np.random.default_rng(18)
    if len(edits) > MAX_EDITS:
        edits = [edits[i] for i in sorted(rng.choice(len(edits), MAX_EDITS, replace=False))]
    bad = Path(directory) / f"{name}-edited.npz"
    for key, value in edits:
        arr = raw[key].copy()
        index = int(rng.integers(arr.size))
        with np.errstate(over="ignore"):
            arr.flat[index] = np.array(value).astype(arr.dtype)
        with open(bad, "wb") as fh:
            np.savez(fh, **{**raw, key: arr})
        line = {"array": key, "value": repr(value), "index": index, "int": arr.dtype.kind in "iu"}
        phase = "load"
        try:
            loaded = rom.load(bad, **parts)
            phase = "use"
            result = _flat(use(loaded))
            same = result.shape == reference.shape and bool(np.allclose(result, reference))
            line.update(outcome="result", same=same)
        except Exception as err:  # every kind reported: the test decides
            line.update(outcome=type(err).__name__, phase=phase, message=str(err)[:300])
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

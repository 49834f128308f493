"""Contract cases of rom.manifold.ManifoldROM."""

import numpy as np

from rom import POD
from rom.manifold import ManifoldROM, QuadraticManifold
from tests.contract import Case
from tests.galerkin.contract_cases import FOM, NAN, NU, TIMES, U0, S  # the Burgers snapshots


def _use(e):
    Z = e.solve(U0, TIMES, NU)
    return Z, e.reconstruct(Z), e.rhs(Z[:, 2], NU)


_CALLS = [
    (lambda e: e.solve(U0[:-1], TIMES, NU), "initial: expected"),
    (lambda e: e.solve(U0, TIMES[::-1], NU), "times: expected"),
    (lambda e: e.solve(U0, TIMES, NU, max_iter=0), "max_iter"),
    (lambda e: e.solve(U0, TIMES, NU, newton_tol=-1.0), "newton_tol"),
    (lambda e: e.reconstruct(np.ones((2, 2, 2))), "Z: expected"),
    (lambda e: e.reconstruct(np.ones(e.rank_), rows=[[1]]), "rows: expected"),
    (lambda e: e.reconstruct(np.ones(e.rank_), rows=np.array([40])), "rows: expected"),
    (lambda e: e.rhs(np.ones(e.rank_ + 1), NU), "z: expected"),
    (lambda e: e.encode(np.ones(3)), "u: expected"),
]

CASES = [
    Case(
        ManifoldROM,
        {"reduction": POD(rank=4), "model": FOM, "method": "galerkin", "scheme": "adaptive"},
        fit=lambda e: e.fit(S, NU),
        use=_use,
        bad=[
            (lambda e: e.fit(NAN, NU), "states: contains NaN"),
            (lambda e: e.fit(S[:, :, None], NU), "states: expected a 2-D array"),
            (lambda e: e.set_params(scheme="rk4").fit(S, NU), "scheme"),
        ],
        parts={"model": FOM},
        rtol=1e-10,
        calls=_CALLS,
    ),
    Case(
        ManifoldROM,
        {
            "reduction": POD(rank=4),
            "model": FOM,
            "method": "lspg",
            "hyperreduction": "gappy",
            "deim_rank": 6,
            "n_samples": 10,
            "time_step": 0.01,
        },
        fit=lambda e: e.fit(S, NU),
        use=lambda e: (*_use(e), e.points_, e.weights_),
        bad=[
            (lambda e: e.fit(S, mus=[NU]), "mus: expected 9"),
            (lambda e: e.set_params(hyperreduction="qdeim").fit(S, NU), "hyperreduction"),
            (lambda e: e.set_params(deim_rank=2.5).fit(S, NU), "deim_rank"),
            (lambda e: e.fit(S, NU, rhs_snapshots=S[:-1]), "rhs_snapshots: expected 40"),
        ],
        parts={"model": FOM},
        id="ManifoldROM lspg gappy",
        calls=_CALLS,
    ),
    Case(
        ManifoldROM,
        {
            "reduction": QuadraticManifold(rank=3),
            "model": FOM,
            "method": "lspg",
            "hyperreduction": "deim",
            "deim_rank": 8,
            "scheme": "backward_euler",
        },
        fit=lambda e: e.fit(S, NU),
        use=_use,
        bad=[(lambda e: e.set_params(method="pg").fit(S, NU), "method")],
        parts={"model": FOM},
        id="ManifoldROM quadratic deim",
        calls=_CALLS,
    ),
]

"""Contract cases of rom.galerkin (and of rom.local.LocalGalerkinROM, built on it)."""

import numpy as np
import scipy.linalg

from fem_examples.burgers_1d import Burgers1D
from rom.galerkin import FullOrderModel, GalerkinROM
from rom.local import LocalGalerkinROM, LocalPOD
from tests.contract import Case

NU = 0.02
FOM = Burgers1D(40, domain=(-0.5, 1.5), scheme="upwind")
U0 = FOM.initial_condition(center=0.0, width=0.2)
TIMES = np.linspace(0.0, 0.4, 9)
S = FOM.solve(U0, TIMES, NU)
NAN = S.copy()
NAN[3, 2] = np.nan


def _closure(a, mu, t):
    return -0.1 * a


# a complex linear system u' = L u (a damped Schroedinger-like operator)
_n = 30
_D2 = np.diag(-2.0 * np.ones(_n)) + np.diag(np.ones(_n - 1), 1) + np.diag(np.ones(_n - 1), -1)
L_COMPLEX = (0.5j - 0.05) * _D2 * 10.0
COMPLEX_MODEL = FullOrderModel(lambda u, mu, t: mu * (L_COMPLEX @ u))
_x = np.linspace(0.0, 1.0, _n)
U0_COMPLEX = np.exp(-((_x - 0.5) ** 2) / 0.02) * np.exp(3j * _x)
T_COMPLEX = np.linspace(0.0, 0.2, 5)
S_COMPLEX = np.column_stack([scipy.linalg.expm(t * L_COMPLEX) @ U0_COMPLEX for t in T_COMPLEX])

LOCAL_POD = LocalPOD(2, rank=4, random_state=0).fit(S)


def _trajectory(e, u0=U0, times=TIMES, mu=NU):
    return e.solve(u0, times, mu, rtol=1e-8, atol=1e-10)


def _local_trajectory(e):
    result = e.solve(U0, TIMES, NU)
    return result.coordinates, result.clusters, e.reconstruct(result)


CASES = [
    Case(
        GalerkinROM,
        {"model": FOM, "rank": 5},
        fit=lambda e: e.fit(S, NU),
        use=lambda e: (_trajectory(e), e.project(S), e.reduced_mass_),
        bad=[
            (lambda e: e.fit(NAN, NU), "states: contains NaN"),
            (lambda e: e.fit(S[:, :, None], NU), "states: expected a 2-D array"),
            (lambda e: e.set_params(rank=0).fit(S, NU), "rank: expected an integer"),
        ],
        parts={"model": FOM},
    ),
    Case(
        GalerkinROM,
        {
            "model": FOM,
            "hyperreduction": "deim",
            "deim_rank": 8,
            "closure": _closure,
            "rank": 5,
        },
        fit=lambda e: e.fit(S, NU),
        use=lambda e: (_trajectory(e), e.points_, e.interpolation_, e.reduced_linear_),
        bad=[
            (lambda e: e.set_params(hyperreduction="gappy").fit(S, NU), "hyperreduction"),
            (lambda e: e.set_params(deim_rank=1.5).fit(S, NU), "deim_rank"),
            (lambda e: e.fit(S, mus=[NU]), "mus: expected 9"),
        ],
        parts={"model": FOM, "closure": _closure},
        id="GalerkinROM deim closure",
    ),
    Case(
        GalerkinROM,
        {"model": COMPLEX_MODEL, "rank": 4, "inner": None},
        fit=lambda e: e.fit(S_COMPLEX),
        use=lambda e: (_trajectory(e, U0_COMPLEX, T_COMPLEX, 1.0), e.basis_),
        bad=[(lambda e: e.fit(S_COMPLEX * np.nan), "states: contains NaN")],
        parts={"model": COMPLEX_MODEL},
        id="GalerkinROM complex",
    ),
    Case(
        LocalGalerkinROM,
        {"local_pod": LOCAL_POD, "model": FOM, "hyperreduction": "qdeim", "deim_rank": 6},
        fit=lambda e: e.fit(S, NU),
        use=_local_trajectory,
        bad=[
            (lambda e: e.fit(NAN, NU), "states: contains NaN"),
            (lambda e: e.fit(S[:, :4], NU), r"states: expected shape \(40, 9\)"),
            (lambda e: e.set_params(local_pod=S).fit(S, NU), "local_pod: expected a LocalPOD"),
        ],
        parts={"model": FOM},
    ),
]

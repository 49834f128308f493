"""Contract cases of rom.lagrangian."""

import numpy as np
import scipy.sparse

from fem_examples.lagrangian_1d import LagrangianModel1D, gaussian_pulse
from rom.lagrangian import EulerianGalerkin, LagrangianPOD, LagrangianROM
from tests.contract import Case

N = 80
TIMES = np.linspace(0.0, 0.5, 11)
MODEL = LagrangianModel1D(N)
W0 = gaussian_pulse(MODEL.x0, 0.0, center=0.3, width=0.06)
X, W = MODEL.solve(W0, TIMES, velocity=1.0, viscosity=1e-3)
WC = W * np.exp(1j * np.linspace(0.0, 1.0, TIMES.size))[None, :]  # complex states
M = scipy.sparse.diags(np.linspace(1.0, 2.0, N), format="csr")
NAN = W.copy()
NAN[3, 2] = np.nan
TANGLED = X.copy()
TANGLED[[4, 5], 3] = TANGLED[[5, 4], 3]

# a fixed-grid quadratic model: u' = -u * D u + nu D2 u (periodic Burgers, central)
_h = 1.0 / N
_D = (np.eye(N, k=1) - np.eye(N, k=-1) + np.eye(N, k=1 - N) - np.eye(N, k=N - 1)) / (2 * _h)
_D2 = (np.eye(N, k=1) + np.eye(N, k=-1) + np.eye(N, k=1 - N) + np.eye(N, k=N - 1)) / _h**2
_D2 -= 2 * np.eye(N) / _h**2


def burgers_rhs(U):
    return -U * (_D @ U) + 5e-3 * (_D2 @ U)


_x = np.arange(N) * _h
U_EUL = np.column_stack([0.5 + 0.2 * np.sin(2 * np.pi * (_x - 0.5 * t)) for t in TIMES])


def _rom_use(e):
    a, b = e.solve(W0, TIMES, velocity=1.0, viscosity=1e-3)
    return a, b, e.to_fixed_grid(a, b, MODEL.x0)


CASES = [
    Case(
        LagrangianPOD,
        {"rank_state": 4, "tol": 1e-6, "period": 1.0},
        fit=lambda e: e.fit(W, X),
        use=lambda e: (*e.transform(W, X), *e.inverse_transform(np.ones(4), np.ones(1))),
        bad=[
            (lambda e: e.fit(NAN, X), "W: contains NaN"),
            (lambda e: e.fit(W, X[:, :-1]), "X: expected grid snapshots"),
            (lambda e: e.fit(W, TANGLED), "X: the grid is tangled"),
            (lambda e: e.set_params(center="median").fit(W, X), "center"),
        ],
    ),
    Case(
        LagrangianPOD,
        {"rank_state": 3, "rank_grid": 2, "center": "mean", "inner": M},
        fit=lambda e: e.fit(WC, X),
        use=lambda e: (*e.transform(WC, X), e.state_basis_, e.grid_singular_values_),
        bad=[(lambda e: e.fit(WC, X + 0j), "X: expected a real")],
        id="LagrangianPOD complex with inner",
    ),
    Case(
        LagrangianROM,
        {"rank_state": 4, "rank_grid": 1, "deim_rank": 6, "period": 1.0},
        fit=lambda e: e.fit(W, X),
        use=_rom_use,
        bad=[
            (lambda e: e.fit(WC, X), "W: expected a real"),
            (lambda e: e.set_params(hyperreduction=True).fit(W, X), "hyperreduction"),
            (lambda e: e.set_params(width=4).fit(W, X), "width: expected an odd"),
        ],
    ),
    Case(
        LagrangianROM,
        {"rank_state": 3, "rank_grid": 1, "hyperreduction": None, "period": 1.0},
        fit=lambda e: e.fit(W, X),
        use=_rom_use,
        id="LagrangianROM exact projection",
    ),
    Case(
        EulerianGalerkin,
        {"rank": 4},
        fit=lambda e: e.fit(U_EUL, burgers_rhs),
        use=lambda e: (e.solve(U_EUL[:, 0], TIMES), e.quadratic_),
        bad=[
            (lambda e: e.fit(U_EUL, lambda U: U**3), "rhs: the right-hand side is not"),
            (lambda e: e.fit(U_EUL, "f"), "rhs: expected a callable"),
            (lambda e: e.fit(U_EUL[:, :, None], burgers_rhs), "S: expected a 2-D array"),
        ],
    ),
]

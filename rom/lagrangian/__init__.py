"""Lagrangian bases for convection-dominated flows (Mojgani and Balajewicz 2017).

The state is compressed on a grid that moves with the characteristics, so a
travelling front is a (nearly) fixed pattern: :class:`LagrangianPOD` compresses the
states and the grid positions apart, :class:`LagrangianROM` is the Galerkin
projection of both equations with DEIM on the grid-dependent diffusion term, and
:class:`EulerianGalerkin` is the fixed-grid POD-Galerkin reference.
:func:`second_derivative_weights` and ``RK4_STABLE`` are the compiled pieces a
full-order Lagrangian model shares with the reduced one (:mod:`rom.lagrangian.kernels`,
imported with numba on first use).
"""

from typing import Any

from rom.lagrangian.eulerian import EulerianGalerkin
from rom.lagrangian.interpolate import to_fixed_grid
from rom.lagrangian.model import LagrangianROM
from rom.lagrangian.pod import LagrangianPOD
from rom.lagrangian.stencil import (
    GridCrossingError,
    check_grid,
    fornberg_weights,
    second_derivative,
    stencils,
)

__all__ = [
    "RK4_STABLE",
    "EulerianGalerkin",
    "GridCrossingError",
    "LagrangianPOD",
    "LagrangianROM",
    "check_grid",
    "fornberg_weights",
    "second_derivative",
    "second_derivative_weights",
    "stencils",
    "to_fixed_grid",
]

_KERNELS = ("RK4_STABLE", "second_derivative_weights")


def __getattr__(name: str) -> Any:
    """The compiled kernels, imported (with numba) on first use."""
    if name in _KERNELS:
        from rom.lagrangian import kernels

        return getattr(kernels, name)
    raise AttributeError(f"module 'rom.lagrangian' has no attribute {name!r}")

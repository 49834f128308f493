"""Lagrangian bases for convection-dominated flows (Mojgani and Balajewicz 2017).

The state is compressed on a grid that moves with the characteristics, so a
travelling front is a (nearly) fixed pattern: :class:`LagrangianPOD` compresses the
states and the grid positions apart, :class:`LagrangianROM` is the Galerkin
projection of both equations with DEIM on the grid-dependent diffusion term, and
:class:`EulerianGalerkin` is the fixed-grid POD-Galerkin reference.
"""

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
    "EulerianGalerkin",
    "GridCrossingError",
    "LagrangianPOD",
    "LagrangianROM",
    "check_grid",
    "fornberg_weights",
    "second_derivative",
    "stencils",
    "to_fixed_grid",
]

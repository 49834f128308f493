"""POD-Galerkin reduced models of nonlinear, time-dependent models, with DEIM
hyper-reduction, linearly implicit and explicit time integrators, and a closure hook."""

from rom.galerkin.closure import check_closure, evaluate_closure
from rom.galerkin.integrate import IntegrationError, integrate
from rom.galerkin.model import FullOrderModel, as_full_order_model
from rom.galerkin.quadratic import identify_quadratic, quadratic_coefficients
from rom.galerkin.rom import GalerkinROM

__all__ = [
    "FullOrderModel",
    "GalerkinROM",
    "IntegrationError",
    "as_full_order_model",
    "check_closure",
    "evaluate_closure",
    "identify_quadratic",
    "integrate",
    "quadratic_coefficients",
]

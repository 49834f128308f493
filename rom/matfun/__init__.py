"""Nonintrusive approximations of parametrised matrix functions: log-determinants and
inverses, :math:`L(\\mu) \\approx \\sum_m \\lambda_m(\\mu) L(\\mu_m)`.

:math:`A(\\mu)^{-1}` and :math:`\\log\\det A(\\mu)` are limits of power series in
:math:`A(\\mu)`; with an affine :math:`A(\\mu) = \\sum_q \\theta_q(\\mu) A_q` every partial
sum is a polynomial in :math:`\\theta(\\mu)`, and an empirical interpolation of
polynomial features of the parameter gives, for every power at once, a separated form
whose terms are the exact values at ``M`` selected parameters (Casenave, Akkari,
Charles, Rey 2017). :class:`LogDet` and :class:`InverseApproximation` share the same
interpolation; :func:`exact_logdet` computes the exact values. The derivation is on
the theory page ``docs/theory/logdet.rst``.
"""

from rom.matfun.exact import exact_logdet
from rom.matfun.inverse import InverseApproximation
from rom.matfun.logdet import LogDet

__all__ = ["InverseApproximation", "LogDet", "exact_logdet"]

"""A 1-D boundary-value problem with a nonaffine coefficient, for nonintrusive tests.

``-(k(x; mu) u')' + u = 1`` on (0, 1), ``u(0) = u(1) = 0``, with a conductivity bump
``k(x; mu) = 1 + a exp(-((x - c) / w)^2)``, ``mu = (a, c)`` in [1, 10] x [0.2, 0.8].
P1 finite elements on ``n`` cells with ``k`` at the cell midpoints, lumped mass. The
matrix depends on ``mu`` only through the cell values of ``k``: it is not affine in
``mu``, and :class:`rom.eim.MatrixEIM` must recover a separated form from assembled
matrices (or from single entries, :func:`entries`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse

from rom.parameters import ParameterSpace

__all__ = ["Problem"]


class Problem:
    """The discrete problem: ``assemble(mu)``, ``entries(mu, rows, cols)``, ``rhs``.

    Examples
    --------
    >>> from fem_examples.nonaffine_1d import Problem
    >>> p = Problem(n=50)
    >>> p.assemble([2.0, 0.5]).shape
    (49, 49)
    """

    def __init__(self, n: int = 400, width: float = 0.1) -> None:
        self.n = int(n)
        self.h = 1.0 / self.n
        self.width = float(width)
        self.midpoints = (np.arange(self.n) + 0.5) * self.h
        self.space = ParameterSpace({"a": (1.0, 10.0), "c": (0.2, 0.8)})
        self.rhs = np.full(self.n - 1, self.h)

    def conductivity(self, mu) -> np.ndarray:
        a, c = np.asarray(mu, dtype=float)
        return 1.0 + a * np.exp(-(((self.midpoints - c) / self.width) ** 2))

    def assemble(self, mu) -> scipy.sparse.csr_matrix:
        k = self.conductivity(mu) / self.h
        main = k[:-1] + k[1:] + self.h
        off = -k[1:-1]
        return scipy.sparse.diags([off, main, off], [-1, 0, 1], format="csr")

    def entries(self, mu, rows, cols) -> np.ndarray:
        """``A(mu)[rows, cols]`` from a few values of ``k``, without assembling."""
        rows = np.asarray(rows)
        cols = np.asarray(cols)
        a, c = np.asarray(mu, dtype=float)

        def k(cell):
            x = (cell + 0.5) * self.h
            return (1.0 + a * np.exp(-(((x - c) / self.width) ** 2))) / self.h

        out = np.zeros(rows.shape)
        diag = rows == cols
        out[diag] = k(rows[diag]) + k(rows[diag] + 1) + self.h
        off = np.abs(rows - cols) == 1
        out[off] = -k(np.maximum(rows[off], cols[off]))
        return out

    def solve(self, mu) -> np.ndarray:
        import scipy.sparse.linalg

        return scipy.sparse.linalg.spsolve(self.assemble(mu).tocsc(), self.rhs)


class HelmholtzProblem:
    """A non-coercive, complex 1-D Helmholtz problem with a nonaffine refractive index.

    ``-u'' - k^2 n(x; c) u = 1`` on (0, 1), ``u(0) = 0``, and the impedance condition
    ``u'(1) - i k u(1) = 0``, with ``n(x; c) = 1 + 0.5 exp(-((x - c) / 0.1)^2)``;
    ``mu = (k, c)`` in [1, 5] x [0.3, 0.7]. P1 elements, lumped mass with ``n`` at the
    nodes. ``inner`` is the H1 product ``K + M``.

    Examples
    --------
    >>> from fem_examples.nonaffine_1d import HelmholtzProblem
    >>> p = HelmholtzProblem(n=40)
    >>> p.assemble([2.0, 0.5]).dtype
    dtype('complex128')
    """

    def __init__(self, n: int = 300) -> None:
        self.n = int(n)
        self.h = 1.0 / self.n
        self.nodes = np.arange(1, self.n + 1) * self.h  # unknowns at x_1 .. x_n (x_0 = 0 fixed)
        self.space = ParameterSpace({"k": (1.0, 5.0), "c": (0.3, 0.7)})
        h = self.h
        main = np.full(self.n, 2.0 / h)
        main[-1] = 1.0 / h
        off = np.full(self.n - 1, -1.0 / h)
        self.stiffness = scipy.sparse.diags([off, main, off], [-1, 0, 1], format="csr")
        weights = np.full(self.n, h)
        weights[-1] = h / 2
        self.weights = weights
        self.inner = (self.stiffness + scipy.sparse.diags(weights)).tocsr()
        self.rhs = weights.astype(complex)

    def index(self, c) -> np.ndarray:
        return 1.0 + 0.5 * np.exp(-(((self.nodes - c) / 0.1) ** 2))

    def assemble(self, mu) -> scipy.sparse.csr_matrix:
        k, c = np.asarray(mu, dtype=float)
        mass = scipy.sparse.diags(self.weights * self.index(c))
        A = self.stiffness - k**2 * mass
        A = A.astype(complex).tolil()
        A[self.n - 1, self.n - 1] -= 1j * k
        return A.tocsr()

    def solve(self, mu) -> np.ndarray:
        import scipy.sparse.linalg

        return scipy.sparse.linalg.spsolve(self.assemble(mu).tocsc(), self.rhs)

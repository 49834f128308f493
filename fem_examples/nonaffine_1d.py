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

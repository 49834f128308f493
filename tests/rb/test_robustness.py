"""A non-symmetric or indefinite inner product is refused (issue 18, item 11)."""

import numpy as np
import pytest
import scipy.sparse

from rom.affine import AffineOperator, LinearCoefficients
from rom.rb import LinearModel


def _model(inner):
    n = 8
    A = scipy.sparse.diags([-1.0, 2.5, -1.0], [-1, 0, 1], shape=(n, n), format="csr")
    return LinearModel(AffineOperator([A], LinearCoefficients.identity(1)), np.ones(n), inner)


def test_linear_model_refuses_a_non_symmetric_or_indefinite_inner():
    n = 8
    rng = np.random.default_rng(3)
    B = rng.standard_normal((n, n))
    spd = B @ B.T + n * np.eye(n)
    assert _model(spd).inner is not None
    nearly = spd + 1e-14 * rng.standard_normal((n, n))  # round-off asymmetry: accepted
    assert _model(nearly).inner is not None
    with pytest.raises(ValueError, match="inner: expected a Hermitian"):
        _model(spd + np.triu(np.ones((n, n)), 1))
    with pytest.raises(ValueError, match="inner: expected a Hermitian"):
        _model(scipy.sparse.csr_matrix(spd + np.triu(np.ones((n, n)), 1)))
    with pytest.raises(ValueError, match="inner: the matrix is not positive definite"):
        _model(-spd)

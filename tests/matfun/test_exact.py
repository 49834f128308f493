"""exact_logdet: the reference values."""

import numpy as np
import pytest
import scipy.sparse

from rom.matfun import exact_logdet


def test_exact_logdet_matches_numpy_dense_sparse_and_general():
    rng = np.random.default_rng(1)
    G = rng.standard_normal((30, 30))
    S = G @ G.T + 30 * np.eye(30)
    assert exact_logdet(S) == pytest.approx(np.linalg.slogdet(S)[1], rel=1e-13)
    assert exact_logdet(scipy.sparse.csr_matrix(S)) == pytest.approx(
        np.linalg.slogdet(S)[1], rel=1e-12
    )
    N = G + 0.1 * np.eye(30)  # general, either sign
    sign, value = exact_logdet(scipy.sparse.csc_matrix(N), spd=False, return_sign=True)
    ref_sign, ref_value = np.linalg.slogdet(N)
    assert sign == ref_sign and value == pytest.approx(ref_value, rel=1e-12)
    H = S + 1j * (G - G.T)  # Hermitian positive definite
    assert exact_logdet(scipy.sparse.csr_matrix(H)) == pytest.approx(
        np.linalg.slogdet(H)[1], rel=1e-12
    )


def test_exact_logdet_refuses_matrices_that_are_not_spd():
    indefinite = np.diag([1.0, -2.0, 3.0])
    with pytest.raises(ValueError, match="positive definite"):
        exact_logdet(indefinite)
    with pytest.raises(ValueError, match="positive definite"):
        exact_logdet(scipy.sparse.csr_matrix(indefinite))
    with pytest.raises(ValueError, match="symmetric"):
        exact_logdet(np.array([[2.0, 1.0], [0.0, 2.0]]))
    with pytest.raises(ValueError, match="square"):
        exact_logdet(np.ones((2, 3)))
    assert exact_logdet(indefinite, spd=False) == pytest.approx(np.log(6.0))

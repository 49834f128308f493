import numpy as np
import pytest

from fem_examples import thermal_block
from rom.rb import SCM, coercivity_constant


@pytest.fixture(scope="module")
def small_block():
    return thermal_block.build((2, 2), resolution=16)


def test_min_theta_is_a_lower_bound_and_exact_at_the_reference(small_block):
    model, space = small_block
    bound = thermal_block.coercivity_bound((2, 2))
    for mu in space.sample(8, random_state=0):
        exact = coercivity_constant(model.operator.assemble(mu), model.inner)
        assert bound(mu) <= exact * (1 + 1e-10)
    assert bound(np.ones(4)) == pytest.approx(1.0)
    mus = space.sample(5, random_state=1)
    assert np.allclose(bound.many(mus), [bound(m) for m in mus])


def test_scm_brackets_the_exact_constant(small_block):
    model, space = small_block
    scm = SCM(model.operator, model.inner, tol=0.2).fit(space.sample(40, random_state=2))
    assert scm.stop_reason_ == scm.greedy_result_.stop_reason
    assert scm.stop_reason_ in ("tol", "max_terms") and scm.n_terms_ == len(scm.alphas_)
    for mu in space.sample(12, random_state=3):
        exact = coercivity_constant(model.operator.assemble(mu), model.inner)
        lb, ub = scm(mu), scm.upper(mu)
        assert lb <= exact * (1 + 1e-9) + 1e-12
        assert ub >= exact * (1 - 1e-9)
        assert lb > 0


def test_coercivity_constant_sparse_path_matches_dense(small_block):
    import scipy.sparse

    model, _ = small_block
    mu = np.array([0.2, 0.7, 0.4, 1.0])
    A = model.operator.assemble(mu)
    n = A.shape[0]
    # embed into a larger block-diagonal pencil to exercise the sparse (n > 400) branch
    big_A = scipy.sparse.block_diag([A, A, 2 * A]).tocsr()
    big_X = scipy.sparse.block_diag([model.inner] * 3).tocsr()
    assert big_A.shape[0] == 3 * n > 400
    assert coercivity_constant(big_A, big_X) == pytest.approx(
        coercivity_constant(A, model.inner), rel=1e-8
    )

"""solver="auto": CG preconditioned by the inner product on coercive Hermitian models,
the sparse LU otherwise; and the batched online kernel against direct solves."""

import numpy as np
import pytest
import scipy.sparse

import rom.rb.model
from fem_examples import thermal_block
from rom.affine import AffineOperator, LinearCoefficients
from rom.linalg import column_norms
from rom.rb import InfSupEstimate, LinearModel, ReducedBasis


@pytest.fixture(scope="module")
def block():
    model, space = thermal_block.build((2, 2), resolution=24)
    return model, space, thermal_block.coercivity_bound((2, 2))


@pytest.fixture
def no_size_floor(monkeypatch):
    """The size rule off, so that small test models take the CG path."""
    monkeypatch.setattr(rom.rb.model, "AUTO_PCG_MIN_DOFS", 0)


def _laplacian(n):
    return scipy.sparse.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(n, n), format="csr") * n


def test_auto_picks_pcg_on_the_thermal_block_and_matches_the_explicit_solvers(
    block, no_size_floor
):
    model, space, coercivity = block
    auto = LinearModel(model.operator, model.rhs, inner=model.inner)  # solver="auto"
    lu = LinearModel(model.operator, model.rhs, inner=model.inner, solver="scipy")
    pcg = LinearModel(model.operator, model.rhs, inner=model.inner, solver="pcg")
    mu = space.sample(1, random_state=1)[0]
    # a model alone does not know it is coercive; a ReducedBasis with MinTheta does
    assert auto.solver_choice(mu) == "factorization"
    assert auto.solver_choice(mu, coercive=True) == "pcg"
    assert lu.solver_choice(mu, coercive=True) == "factorization"
    assert pcg.solver_choice(mu) == "pcg"
    rb = ReducedBasis(auto, coercivity, max_terms=8)
    assert rb._coercive()
    u_lu = lu.solve(mu)
    norm = column_norms(u_lu[:, None], model.inner)[0]
    for u in (auto._solve(mu, None, True), pcg.solve(mu)):
        assert column_norms((u - u_lu)[:, None], model.inner)[0] <= 1e-11 * norm
    train = space.sample(30, random_state=3)
    fits = [ReducedBasis(m, coercivity, max_terms=8).fit(train) for m in (auto, lu)]
    assert np.array_equal(*(f.greedy_result_.selected_indices for f in fits))
    assert np.allclose(*(f.greedy_result_.errors for f in fits), rtol=1e-6)


def test_auto_factorises_small_models(block):
    model, space, _ = block
    assert model.size < rom.rb.model.AUTO_PCG_MIN_DOFS
    auto = LinearModel(model.operator, model.rhs, inner=model.inner, coercive=True)
    assert auto.solver_choice(space.sample(1, random_state=0)[0]) == "factorization"


def test_auto_factorises_a_non_symmetric_model(no_size_floor):
    n = 300
    K = _laplacian(n)
    skew = scipy.sparse.diags([-0.5, 0.5], [-1, 1], shape=(n, n), format="csr")  # advection
    op = AffineOperator([K, skew], LinearCoefficients([[0.0], [1.0]], offset=[1.0, 0.0]))
    model = LinearModel(op, np.ones(n), inner=K, coercive=True)  # coercive: skew part only
    mu = [20.0]
    assert model.solver_choice(mu) == "factorization"
    A = op.assemble(mu).toarray()
    assert np.allclose(A @ model.solve(mu), 1.0, rtol=0, atol=1e-9)


def test_inf_sup_estimate_and_wrongly_declared_coercivity_use_the_factorisation(
    no_size_floor,
):
    """A Hermitian indefinite (Helmholtz-like) operator: with an inf-sup estimate the
    reduced basis does not ask for CG; declared coercive, CG fails and the LU solves."""
    n = 200
    K = _laplacian(n)
    M = scipy.sparse.identity(n, format="csr") / n
    op = AffineOperator([K, M], LinearCoefficients([[0.0], [-1.0]], offset=[1.0, 0.0]))
    mu = [2000.0]  # K - 2000 M / n: several negative eigenvalues
    plain = LinearModel(op, np.ones(n), inner=K)
    estimate = InfSupEstimate(op.assemble, inner=K)  # not fitted: only its kind matters
    assert not ReducedBasis(plain, estimate, projection="minres")._coercive()
    assert not ReducedBasis(plain, estimate)._coercive()
    wrong = LinearModel(op, np.ones(n), inner=K, coercive=True)
    assert wrong.solver_choice(mu) == "pcg"  # Hermitian, and said to be coercive
    u = wrong.solve(mu)  # CG breaks down; the factorisation takes over
    A = op.assemble(mu).toarray()
    assert np.allclose(u, np.linalg.solve(A, np.ones(n)), rtol=1e-9, atol=0)
    with pytest.raises(TypeError, match="coercive"):
        LinearModel(op, np.ones(n), coercive="yes")
    with pytest.raises(ValueError, match="solver"):
        LinearModel(op, np.ones(n), solver="automatic")


def _reduced(N, Q, shift, seed):
    """A real reduced model with random terms and a random estimator matrix."""
    from rom.rb import ReducedModel

    rng = np.random.default_rng(seed)
    terms = rng.standard_normal((Q, N, N)) * 0.3
    terms[0] += shift * np.eye(N)
    theta = LinearCoefficients(np.eye(Q)[:, :2], offset=np.r_[1.0, np.zeros(Q - 1)])
    K = 1 + Q * N
    return ReducedModel(
        operator_terms=terms,
        rhs_terms=rng.standard_normal((1, N)),
        operator_coefficients=theta,
        rhs_coefficients=LinearCoefficients(np.zeros((1, 2)), [1.0]),
        coercivity=lambda mu: 1.0,
        estimator="accurate",
        estimator_matrix=rng.standard_normal((K - 3, K)),
    )


@pytest.mark.parametrize("shift", [6.0, 0.0])  # diagonally dominant, and pivoting needed
def test_batched_online_kernel_equals_direct_solves(shift):
    red = _reduced(N=9, Q=3, shift=shift, seed=4)
    mus = np.random.default_rng(5).uniform(-1, 1, (16 * 5 + 7, 2))  # blocks and a rest
    a, bound = red.solve_and_estimate(mus)
    E = red.estimator_matrix
    for i in range(len(mus)):
        tA = red.operator_coefficients(mus[i])
        A = np.einsum("q,qrs->rs", tA, red.operator_terms)
        f = red.rhs_terms[0]
        a_ref = np.linalg.solve(A, f)
        scale = np.linalg.cond(A) * 1e-14 * np.abs(a_ref).max()
        assert np.allclose(a[i], a_ref, rtol=0, atol=scale)
        c = np.r_[1.0, -(a[i][:, None] * tA[None, :]).ravel()]
        assert np.isclose(bound[i], np.linalg.norm(E @ c), rtol=1e-10)

"""LogDet's certified bounds (exact traces at the selected parameters)."""

import numpy as np
import pytest
import scipy.sparse

from rom.affine import AffineOperator, LinearCoefficients
from rom.matfun import LogDet, exact_logdet
from tests.matfun.families import load_with


def test_logdet_bounds_bracket_the_exact_value_on_the_thermal_block(block, block_logdet):
    model, space = block
    ld = block_logdet
    assert ld.bound_ and ld.bound_note_ == "min-theta"
    test = np.vstack([space.sample(40, random_state=8), space.grid(2)])
    exact = np.array([exact_logdet(model.operator.assemble(mu)) for mu in test])
    lower, upper = ld.bounds(test)
    assert np.all(lower <= exact) and np.all(exact <= upper)
    values = ld.evaluate(test)
    bound = np.array([ld.error_bound(mu) for mu in test])
    assert np.all(np.abs(values - exact) <= bound)
    assert np.allclose(bound, np.maximum(upper - values, values - lower))
    # at a selected parameter the bracket closes on the exact value
    lo, up = ld.bounds(ld.parameters_[:5])
    assert np.allclose(lo, ld.values_[:5], rtol=1e-10) and np.allclose(up, lo, rtol=1e-10)


def test_logdet_bounds_with_an_indefinite_term():
    # A(mu) = K + I + mu D with D indefinite: only the Frobenius enclosure applies
    n = 30
    K = scipy.sparse.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1])
    D = scipy.sparse.diags(np.where(np.arange(n) % 2 == 0, 1.0, -1.0))
    op = AffineOperator([K + scipy.sparse.eye(n), D], LinearCoefficients([[0.0], [1.0]],
                        offset=[1.0, 0.0]))  # fmt: skip
    ld = LogDet(op, tol=1e-4, bound=True).fit(np.linspace(-0.5, 0.5, 400)[:, None])
    assert ld.bound_note_ == "frobenius"
    mus = np.linspace(-0.5, 0.5, 23).reshape(-1, 1)
    exact = np.array([np.linalg.slogdet(op.assemble(m).toarray())[1] for m in mus])
    lower, upper = ld.bounds(mus)
    assert np.all(lower <= exact) and np.all(exact <= upper)
    # finite where a selected parameter is close enough (sqrt(n) sigma < mean), closed at one
    assert np.mean(np.isfinite(lower)) >= 0.5
    lo, up = ld.bounds(ld.parameters_)
    assert np.allclose(lo, ld.values_, rtol=1e-10) and np.allclose(up, ld.values_, rtol=1e-10)


def test_error_bound_is_refused_where_it_cannot_be_rigorous():
    def assemble(mu):
        return np.diag([1.0 + mu[0], 2.0])

    ld = LogDet(assemble, tol=1e-8).fit(np.linspace(0.0, 1.0, 200)[:, None])
    assert not ld.bound_
    with pytest.raises(RuntimeError, match="not available"):
        ld.error_bound([0.5])
    assert ld.error_estimate([0.5]) == ld.evaluate([[0.5]], return_estimate=True)[1][0]
    with pytest.raises(ValueError, match="bound"):
        LogDet(assemble, bound=True).fit(np.linspace(0.0, 1.0, 20)[:, None])
    with pytest.raises(ValueError, match="bound"):
        LogDet(assemble, bound="always").fit(np.linspace(0.0, 1.0, 20)[:, None])


def test_logdet_refuses_an_affine_operator_that_is_not_spd():
    op = AffineOperator([np.eye(4), np.diag([1.0, -1.0, 0.5, 0.0])],
                        LinearCoefficients.identity(2))  # fmt: skip
    train = np.column_stack([np.ones(50), np.linspace(-2.0, 2.0, 50)])
    with pytest.raises(ValueError, match="positive definite"):
        LogDet(op).fit(train)


def test_logdet_save_and_load_keeps_the_bounds(tmp_path, block, block_logdet):
    _, space = block
    block_logdet.save(tmp_path / "bounded.npz")
    # the fitted state needs no matrix: loaded without its operator, it still bounds
    loaded = load_with(tmp_path / "bounded.npz", operator=None, parameter_space_=space)
    mus = space.sample(4, random_state=5)
    assert loaded.operator is None and loaded.bound_
    for a, b in zip(loaded.bounds(mus), block_logdet.bounds(mus), strict=True):
        assert np.allclose(a, b, rtol=1e-14)
    assert loaded.error_bound(mus[0]) == pytest.approx(block_logdet.error_bound(mus[0]))
    with pytest.raises(TypeError, match="operator"):
        loaded.fit(mus)

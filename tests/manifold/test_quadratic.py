"""QuadraticManifold and the quadratic monomials (rom/manifold/quadratic.py, _monomials.py)."""

import numpy as np
import pytest

import rom
from fem_examples.lagrangian_1d import gaussian_pulse
from rom.linalg import POD
from rom.manifold import (
    QuadraticManifold,
    compress_quadratic,
    expand_quadratic,
    n_quadratic,
    quadratic_monomials,
    quadratic_monomials_jacobian,
)
from rom.manifold import quadratic as quadratic_module


# ------------------------------------------------------------------ monomials
def test_monomials_order_batch_and_count():
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((4, 7))
    expected = np.array(
        [[Z[i, c] * Z[j, c] for j in range(4) for i in range(j + 1)] for c in range(7)]
    )
    np.testing.assert_array_equal(quadratic_monomials(Z), expected.T)
    np.testing.assert_array_equal(quadratic_monomials(Z[:, 2]), expected[2])
    assert n_quadratic(4) == 10 == quadratic_monomials(Z).shape[0]
    # nested: the monomials of the first 3 coordinates come first
    np.testing.assert_array_equal(quadratic_monomials(Z[:3]), quadratic_monomials(Z)[:6])


@pytest.mark.slow  # importing opinf takes seconds
def test_monomials_match_opinf_compressed_kronecker():
    opinf = pytest.importorskip("opinf", reason="opinf compares the monomial order")
    Z = np.random.default_rng(1).standard_normal((5, 4))
    np.testing.assert_allclose(quadratic_monomials(Z), opinf.operators.QuadraticOperator.ckron(Z))


def test_monomials_jacobian_matches_finite_differences_real_and_complex():
    rng = np.random.default_rng(2)
    for z in (rng.standard_normal(4), rng.standard_normal(4) + 1j * rng.standard_normal(4)):
        D = quadratic_monomials_jacobian(z)
        h = 1e-6
        for direction in (1.0, 1j):  # holomorphic: the same derivative in both directions
            if np.isrealobj(z) and direction == 1j:
                continue
            fd = np.column_stack(
                [
                    (
                        quadratic_monomials(z + h * direction * e)
                        - quadratic_monomials(z - h * direction * e)
                    )
                    / (2 * h * direction)
                    for e in np.eye(4)
                ]
            )
            np.testing.assert_allclose(D, fd, atol=1e-8)


def test_compress_and_expand_kronecker_operators():
    rng = np.random.default_rng(3)
    r = 4
    H = rng.standard_normal((3, r * r))
    z = rng.standard_normal(r)
    np.testing.assert_allclose(compress_quadratic(H) @ quadratic_monomials(z), H @ np.kron(z, z))
    Hc = rng.standard_normal((3, n_quadratic(r)))
    full = expand_quadratic(Hc)
    np.testing.assert_allclose(full @ np.kron(z, z), Hc @ quadratic_monomials(z))
    tensor = full.reshape(3, r, r)
    np.testing.assert_allclose(tensor, tensor.transpose(0, 2, 1))
    np.testing.assert_allclose(compress_quadratic(full), Hc)
    with pytest.raises(ValueError, match="H: expected r\\^2 columns"):
        compress_quadratic(np.ones((2, 5)))
    with pytest.raises(ValueError, match="Hc: expected r \\(r \\+ 1\\) / 2"):
        expand_quadratic(np.ones((2, 4)))


# ------------------------------------------------------------------ data
def _exact_manifold(n=150, r=3, k=30, dtype=float, seed=0):
    """u = V z + W h(z) with W orthogonal to V and +-z pairs (so V is the leading
    singular subspace exactly)."""
    rng = np.random.default_rng(seed)
    s = n_quadratic(r)
    Q = np.linalg.qr(
        rng.standard_normal((n, r + s))
        + (1j if dtype is complex else 0) * rng.standard_normal((n, r + s))
    )[0]
    V, Wb = Q[:, :r], Q[:, r:]
    W = Wb @ (0.01 * rng.standard_normal((s, s)))
    Z = rng.standard_normal((r, k)) * np.array([3.0, 2.0, 1.5, 1.2, 1.0][:r])[:, None]
    if dtype is complex:
        Z = Z * np.exp(1j * rng.uniform(0, 2 * np.pi, Z.shape))
    Z = np.hstack([Z, -Z])
    return V @ Z + W @ quadratic_monomials(Z)


def _pulse(n=600, k=80, width=0.04):
    y = np.linspace(0.0, 1.0, n, endpoint=False)
    return np.column_stack(
        [gaussian_pulse(y, t, center=0.2, width=width) for t in np.linspace(0.0, 0.6, k)]
    )


# ------------------------------------------------------------------ fitting
@pytest.mark.parametrize("greedy", [False, True])
def test_reproduces_an_exactly_quadratic_manifold(greedy):
    S = _exact_manifold()
    qm = QuadraticManifold(rank=3, reference="zero", greedy=greedy).fit(S)
    assert qm.regularization_ == 0.0
    assert qm.training_error_ < 1e-13
    assert qm.projection_error(S).max() < 1e-12
    np.testing.assert_allclose(qm.basis_.T @ qm.basis_, np.eye(3), atol=1e-13)
    # a new point of the same manifold
    S2 = _exact_manifold(seed=0, k=3)
    assert qm.projection_error(S2).max() < 1e-12


def test_complex_data_reproduced():
    S = _exact_manifold(dtype=complex, r=2, seed=4)
    qm = QuadraticManifold(rank=2, reference="zero").fit(S)
    assert qm.basis_.dtype.kind == "c" and qm.quadratic_.dtype.kind == "c"
    assert qm.projection_error(S).max() < 1e-12
    z = qm.transform(S[:, 0])
    np.testing.assert_allclose(qm.inverse_transform(z), S[:, 0], atol=1e-12)


def _dense_reference(S, r, lam):
    """min ||X - V Z - W h(Z)||^2 + lam^2 ||W||^2 by the dense normal equations."""
    X = S - S.mean(axis=1, keepdims=True)
    U = np.linalg.svd(X, full_matrices=False)[0][:, :r]
    Z = U.conj().T @ X
    H = quadratic_monomials(Z)
    E = X - U @ Z
    G = H @ H.conj().T + lam**2 * np.eye(H.shape[0])
    W = np.linalg.solve(G.T, (E @ H.conj().T).T).T
    return U, W, H, E


@pytest.mark.parametrize("dtype", [float, complex])
def test_w_matches_dense_least_squares(dtype):
    rng = np.random.default_rng(5)
    S = rng.standard_normal((40, 25))
    if dtype is complex:
        S = S + 1j * rng.standard_normal((40, 25))
    qm = QuadraticManifold(rank=3, regularization=0.7, greedy=False).fit(S)
    U, W, _, _ = _dense_reference(S, 3, 0.7)
    signs = np.sum(U.conj() * qm.basis_, axis=0)  # columns equal up to a unit factor
    np.testing.assert_allclose(np.abs(signs), 1.0, atol=1e-10)
    # h of the rotated coordinates: W h(Z) is independent of the unit factors
    z = rng.standard_normal(3)
    v = qm.basis_ @ z
    Z_ref = U.conj().T @ v
    np.testing.assert_allclose(
        qm.quadratic_ @ quadratic_monomials(z), W @ quadratic_monomials(Z_ref), atol=1e-10
    )


def test_auto_regularization_is_the_gcv_minimiser():
    rng = np.random.default_rng(6)
    S = _pulse(n=200, k=40) + 1e-3 * rng.standard_normal((200, 40))
    qm = QuadraticManifold(rank=4, greedy=False).fit(S)
    _, _, H, E = _dense_reference(S, 4, 0.0)
    k = S.shape[1]
    d1 = np.linalg.svd(H, compute_uv=False)[0]
    best = None
    for lam in [0.0, *(quadratic_module.GRID * d1)]:
        A = H.T @ np.linalg.solve(H @ H.T + lam**2 * np.eye(H.shape[0]), H)  # hat matrix
        misfit = np.linalg.norm(E - E @ A) ** 2
        score = k * misfit / (k - np.trace(A)) ** 2
        if best is None or score < best[0]:
            best = (score, lam)
    assert qm.regularization_ == pytest.approx(best[1], rel=1e-9)


def _squared_training_error(qm, S):
    return float(np.sum(qm.projection_error(S, relative=False) ** 2))


@pytest.mark.parametrize("case", ["random", "pulse", "noisy pulse", "exact"])
def test_greedy_never_worse_than_first_r(case):
    rng = np.random.default_rng(7)
    data = {
        "random": lambda: (
            rng.standard_normal((60, 30))
            @ np.diag(0.8 ** np.arange(30))
            @ rng.standard_normal((30, 40))
        ),
        "pulse": lambda: _pulse(n=300, k=50),
        "noisy pulse": lambda: _pulse(n=300, k=50) + 1e-2 * rng.standard_normal((300, 50)),
        "exact": lambda: _exact_manifold(r=4, seed=8),
    }[case]()
    for r in (2, 3, 5):
        first = QuadraticManifold(rank=r, greedy=False).fit(data)
        greedy = QuadraticManifold(rank=r, greedy=True, max_candidates=12).fit(data)
        assert (
            _squared_training_error(greedy, data)
            <= _squared_training_error(first, data) * (1 + 1e-9) + 1e-28
        )
        assert greedy.training_error_ == pytest.approx(
            np.sqrt(_squared_training_error(greedy, data))
            / np.linalg.norm(data - data.mean(axis=1, keepdims=True)),
            rel=1e-8,
        )


def test_pulse_much_better_than_pod_at_rank_five():
    S = _pulse()
    qm = QuadraticManifold(rank=5).fit(S)
    pod = POD(rank=5).fit(S)
    e_qm = np.linalg.norm(qm.projection_error(S, relative=False))
    e_pod = np.linalg.norm(pod.projection_error(S, relative=False))
    assert e_qm < 0.2 * e_pod


def test_tol_chooses_the_rank():
    S = _pulse(n=300, k=60)
    qm = QuadraticManifold(tol=0.05).fit(S)
    assert qm.stop_reason_ == "tol"
    assert qm.training_error_ <= 0.05
    pod = POD(tol=0.05).fit(S - S.mean(axis=1, keepdims=True))
    assert qm.rank_ <= pod.basis_.shape[1]
    capped = QuadraticManifold(tol=1e-9, rank=2).fit(S)
    assert capped.rank_ == 2 and capped.stop_reason_ == "max_terms"


def test_inner_product_equals_euclidean_of_scaled_data():
    rng = np.random.default_rng(9)
    S = _pulse(n=120, k=30)
    m = rng.uniform(0.5, 2.0, 120)
    qm_m = QuadraticManifold(rank=3, inner=np.diag(m), greedy=False, reference="zero").fit(S)
    qm_e = QuadraticManifold(rank=3, greedy=False, reference="zero").fit(np.sqrt(m)[:, None] * S)
    np.testing.assert_allclose(qm_m.basis_.T @ (m[:, None] * qm_m.basis_), np.eye(3), atol=1e-12)
    np.testing.assert_allclose(
        qm_m.projection_error(S, relative=False),
        qm_e.projection_error(np.sqrt(m)[:, None] * S, relative=False),
        rtol=1e-8,
        atol=1e-12,
    )
    np.testing.assert_allclose(qm_m.regularization_, qm_e.regularization_, rtol=1e-8)


def test_nonlinear_encoder_never_worse_and_better_off_the_data():
    S = _pulse(n=300, k=60)
    lin = QuadraticManifold(rank=4).fit(S)
    non = QuadraticManifold(rank=4, encoder="nonlinear").fit(S)
    e_lin = lin.projection_error(S, relative=False)
    e_non = non.projection_error(S, relative=False)
    assert np.all(e_non <= e_lin * (1 + 1e-12))
    assert e_non.sum() < e_lin.sum()


def test_rows_equals_slicing_and_jacobian_matches_finite_differences():
    S = _pulse(n=200, k=40)
    qm = QuadraticManifold(rank=4).fit(S)
    Z = qm.transform(S[:, :5])
    rows = np.array([3, 50, 199, 7])
    np.testing.assert_array_equal(
        qm.inverse_transform(Z, rows=rows), qm.inverse_transform(Z)[rows]
    )
    z = Z[:, 2]
    J = qm.jacobian(z)
    np.testing.assert_array_equal(qm.jacobian(z, rows=rows), J[rows])
    h = 1e-5 * np.abs(z).max()
    fd = np.column_stack(
        [
            (qm.inverse_transform(z + h * e) - qm.inverse_transform(z - h * e)) / (2 * h)
            for e in np.eye(4)
        ]
    )
    np.testing.assert_allclose(J, fd, atol=1e-7 * np.abs(J).max())


def test_save_and_load_round_trip(tmp_path):
    S = _pulse(n=100, k=30)
    qm = QuadraticManifold(rank=3, encoder="nonlinear", inner=np.eye(100)).fit(S)
    qm.save(tmp_path / "qm.npz")
    back = rom.load(tmp_path / "qm.npz")
    np.testing.assert_array_equal(back.transform(S), qm.transform(S))
    np.testing.assert_array_equal(back.selected_, qm.selected_)
    assert back.stop_reason_ == qm.stop_reason_


def test_restore_refuses_inconsistent_state():
    qm = QuadraticManifold(rank=2).fit(_pulse(n=60, k=20))
    qm.selected_ = np.array([0, 0])
    with pytest.raises(ValueError, match="selected_"):
        qm._restore()
    qm.selected_ = np.array([0, 1])
    qm.quadratic_ = qm.quadratic_[:, :2]
    with pytest.raises(ValueError, match="quadratic_"):
        qm._restore()


def test_bad_input_names_the_argument():
    S = _pulse(n=60, k=20)
    with pytest.raises(ValueError, match="rank: expected at most"):
        QuadraticManifold(rank=25).fit(S)
    with pytest.raises(ValueError, match="rank, tol"):
        QuadraticManifold().fit(S)
    bad = S.copy()
    bad[3, 4] = np.inf
    with pytest.raises(ValueError, match="S: contains NaN"):
        QuadraticManifold(rank=2).fit(bad)
    with pytest.raises(ValueError, match="reference: expected shape"):
        QuadraticManifold(rank=2, reference=np.zeros(5)).fit(S)
    with pytest.raises(ValueError, match="regularization"):
        QuadraticManifold(rank=2, regularization=-1.0).fit(S)
    with pytest.raises(ValueError, match="max_candidates"):
        QuadraticManifold(rank=4, max_candidates=2).fit(S)
    qm = QuadraticManifold(rank=2).fit(S)
    with pytest.raises(ValueError, match="S: expected 60 rows"):
        qm.transform(S[:10])
    with pytest.raises(ValueError, match="Z: expected 2 rows"):
        qm.inverse_transform(np.ones((3, 2)))
    with pytest.raises(ValueError, match="rows: expected indices"):
        qm.inverse_transform(np.ones(2), rows=np.array([60]))
    with pytest.raises(TypeError, match="rows: expected a 1-D array of integer"):
        qm.jacobian(np.ones(2), rows=np.array([0.5]))
    with pytest.raises(ValueError, match="z: expected 2 coordinates"):
        qm.jacobian(np.ones(3))

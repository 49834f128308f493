"""Nonintrusive reduced basis of the boundary element scattering model over a k sweep.

MatrixEIM / VectorEIM recover a separated form of A(k) and f(k) from assembled
matrices and single entries; ReducedBasis (minimum residual, complex) reduces it; the
reduced solutions are compared with the full boundary element solutions (assembled,
not approximated) and with the Mie series.
"""

import contextlib

import numpy as np
import pytest
import scipy.sparse

try:  # a scikit-learn dependency
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover

    def threadpool_limits(limits):
        return contextlib.nullcontext()


from fem_examples.helmholtz_bem import SphereScattering, mie_far_field
from rom.affine import AffineOperator, AffineVector
from rom.eim import MatrixEIM, VectorEIM
from rom.rb import InfSupEstimate, LinearModel, ReducedBasis

K_MIN, K_MAX = 1.0, 4.0
SWEEP = np.linspace(K_MIN, K_MAX, 15)
THETA = np.linspace(0.0, np.pi, 9)
DIRECTIONS = np.stack([np.sin(THETA), np.zeros_like(THETA), np.cos(THETA)], axis=1)


class CountingEntries:
    """``entries`` callback that records how many entries each call asked for."""

    def __init__(self, bem):
        self.bem = bem
        self.sizes = []

    def __call__(self, k, rows, cols):
        self.sizes.append(np.size(rows))
        return self.bem.entries(k, rows, cols)


@pytest.fixture(scope="module")
def setting():
    # dense LAPACK calls on a few hundred unknowns: one BLAS thread is the fastest
    with threadpool_limits(1):
        return _build()


def _build():
    bem = SphereScattering(refinement=2)  # 320 panels
    train = np.linspace(K_MIN, K_MAX, 31)[:, None]
    counter = CountingEntries(bem)
    meim = MatrixEIM(tol=1e-11).fit(bem.assemble, train, entries=counter)
    veim = VectorEIM(tol=1e-12).fit(bem.rhs, train, entries=bem.rhs_entries)
    inner = scipy.sparse.diags(bem.areas)  # L2 product of piecewise constants
    model = LinearModel(meim.to_affine(), veim.to_affine(), inner=inner)
    stability = InfSupEstimate(model.operator.assemble, inner)
    stability.fit(np.linspace(K_MIN, K_MAX, 3)[:, None])
    rb = ReducedBasis(model, stability, projection="minres", tol=1e-9)
    rb.fit(np.linspace(K_MIN, K_MAX, 60)[:, None])
    full = np.stack([bem.solve(k) for k in SWEEP], axis=1)
    return bem, meim, veim, model, rb, counter, full


def test_matrix_eim_reproduces_the_selected_matrices(setting):
    bem, meim, *_ = setting
    for k, A in zip(meim.parameters_[:, 0], meim.matrices_, strict=True):
        assert np.abs(meim.approximate([k]) - bem.assemble(k)).max() <= 1e-12 * np.abs(A).max()
    # and interpolates every k at the selected entries
    rows, cols = meim.entries_.T
    for k in (1.234, 3.21):
        approx = meim.approximate([k])[rows, cols]
        assert np.abs(approx - bem.entries(k, rows, cols)).max() < 1e-12


def test_matrix_and_vector_eim_converge_across_the_sweep(setting):
    bem, meim, veim, *_ = setting
    assert meim.n_terms_ < 30 and veim.n_terms_ < 30
    decay = meim.errors_ / meim.errors_[0]
    assert decay[-1] < 1e-11 and np.all(np.diff(meim.errors_[1:]) < 0)  # fast monotone decay
    for k in np.linspace(K_MIN + 0.05, K_MAX - 0.05, 7):
        A = bem.assemble(k)
        assert np.abs(meim.approximate([k]) - A).max() < 1e-9 * np.abs(A).max()
        f = bem.rhs(k)
        assert np.abs(veim.approximate([k]) - f).max() < 1e-10


def test_online_coefficients_use_the_selected_entries_only(setting):
    _, meim, _, model, *_ = setting
    counter = setting[5]
    counter.sizes.clear()
    beta = model.operator.theta([2.5])
    assert counter.sizes == [meim.n_terms_] and beta.shape == (meim.n_terms_,)
    assert isinstance(model.operator, AffineOperator) and isinstance(model.rhs, AffineVector)


def test_reduced_model_matches_the_full_bem_across_the_sweep(setting):
    bem, *_, rb, _, full = setting
    reduced = rb.reduced_model_
    assert reduced.size <= bem.size // 10  # far fewer unknowns than panels
    U = reduced.reconstruct(reduced.solve(SWEEP[:, None]))
    X = np.sqrt(bem.areas)[:, None]
    errors = np.linalg.norm(X * (U - full), axis=0) / np.linalg.norm(X * full, axis=0)
    assert errors.max() < 1e-6
    # the error indicator (not a certificate: the inf-sup constant is estimated) is small
    _, indicator = reduced.solve_and_estimate(SWEEP[:, None])
    assert indicator.max() < 1e-5 * np.max(np.linalg.norm(X * full, axis=0))


def test_reduced_far_field_matches_full_and_mie(setting):
    bem, *_, rb, _, full = setting
    reduced = rb.reduced_model_
    for j in (0, 7, 14):
        k = SWEEP[j]
        phi = reduced.reconstruct(reduced.solve([k]))
        far = bem.far_field(phi, k, DIRECTIONS)
        far_full = bem.far_field(full[:, j], k, DIRECTIONS)
        mie = mie_far_field(k, DIRECTIONS)
        assert np.abs(far - far_full).max() < 1e-6 * np.abs(far_full).max()
        assert np.abs(far - mie).max() < 0.04 * np.abs(mie).max()


def test_entries_mismatch_is_caught():
    bem = SphereScattering(refinement=0)

    def wrong(k, rows, cols):
        return bem.entries(k, rows, cols) * 1.001

    with pytest.raises(ValueError, match="entries: disagrees"):
        MatrixEIM(max_terms=3).fit(bem.assemble, np.linspace(1, 2, 4)[:, None], entries=wrong)

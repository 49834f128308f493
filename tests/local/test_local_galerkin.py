"""LocalGalerkinROM on a Burgers front that crosses the domain."""

import copy

import numpy as np
import pytest

from fem_examples.burgers_1d import Burgers1D
from rom import NotFittedError
from rom.galerkin import FullOrderModel, GalerkinROM
from rom.local import LocalGalerkinROM, LocalPOD, LocalTrajectory

NU = 0.01
RANK = 6
K = 4
N_DEIM = 20


def _relative(A, B):
    return np.linalg.norm(A - B) / np.linalg.norm(B)


@pytest.fixture(scope="module")
def burgers():
    """Upwind Burgers on 150 unknowns: a front travelling from x = 0 to x = 1."""
    fom = Burgers1D(150, domain=(-0.5, 1.5), scheme="upwind")
    u0 = fom.initial_condition(center=0.0, width=0.1)
    times = np.linspace(0.0, 2.0, 81)
    S = fom.solve(u0, times, NU, rtol=1e-8, atol=1e-10)
    return fom, u0, times, S


@pytest.fixture(scope="module")
def local_pod(burgers):
    _, _, _, S = burgers
    return LocalPOD(K, rank=RANK, overlap=0.2, random_state=0).fit(S)


@pytest.fixture(scope="module")
def state_switching(burgers, local_pod):
    fom, u0, times, S = burgers
    rom = LocalGalerkinROM(local_pod, fom, "deim", deim_rank=N_DEIM).fit(S, NU)
    return rom, rom.solve(u0, times, NU)


def _front_position(S, x):
    """Where each column crosses 1/2 (the fronts go from 1 down to 0)."""
    return np.array([x[np.argmin(np.abs(col - 0.5))] for col in S.T])


def test_clusters_follow_the_front(burgers, local_pod):
    fom, _, _, S = burgers
    position = _front_position(S, fom.x)
    assert position[0] < 0.05 and position[-1] > 0.95  # the front crosses [0, 1]
    # every cluster is one interval of front positions: K - 1 changes of label in time
    assert np.count_nonzero(np.diff(local_pod.labels_)) == K - 1


def test_local_rom_beats_the_global_rom_at_equal_rank(burgers, local_pod, state_switching):
    fom, u0, times, S = burgers
    rom, result = state_switching
    assert rom.ranks_.tolist() == [RANK] * K
    local_error = _relative(rom.reconstruct(result), S)
    global_rom = GalerkinROM(None, fom, "deim", deim_rank=N_DEIM, rank=RANK).fit(S, NU)
    global_error = _relative(global_rom.reconstruct(global_rom.solve(u0, times, NU)), S)
    # measured: 8.9e-02 global, 5.9e-03 local
    assert local_error < global_error / 5, (local_error, global_error)
    # the local model cannot beat the best approximation in its own bases
    best = _relative(
        np.column_stack(
            [
                local_pod.bases_[k].inverse_transform(local_pod.bases_[k].transform(S[:, [j]]))
                for j, k in enumerate(result.clusters)
            ]
        ),
        S,
    )
    assert best <= local_error


def test_state_switching_follows_the_clusters_of_the_full_model(local_pod, state_switching):
    _, result = state_switching
    assert len(result.switches) >= 1
    assert isinstance(result, LocalTrajectory)
    # the reduced state picks the cluster the full state would (up to a boundary time)
    agree = np.mean(result.clusters == local_pod.labels_)
    assert agree > 0.9, agree
    # the switches happen in the order of the front's passage, each to a new cluster
    visited = [result.clusters[0]] + [s.target for s in result.switches]
    assert len(set(visited)) == len(visited) == K
    for s in result.switches:
        assert result.clusters[s.index] == s.target
        assert result.clusters[s.index - 1] == s.source


def test_transfer_keeps_the_state_continuous(burgers, local_pod, state_switching):
    _, _, _, S = burgers
    rom, result = state_switching
    U = rom.reconstruct(result)
    for s in result.switches:
        Phi_i = local_pod.bases_[s.source].basis_
        Phi_j = local_pod.bases_[s.target].basis_
        before, after = Phi_i @ s.before, Phi_j @ s.after
        # the new coordinates are the orthogonal projection of the state on the new basis
        assert np.allclose(s.after, Phi_j.T @ before, atol=1e-12)
        # so the jump is exactly the projection error of the state on the new basis ...
        jump = np.linalg.norm(after - before)
        residual = np.linalg.norm(before - Phi_j @ (Phi_j.T @ before))
        assert jump == pytest.approx(residual, rel=1e-8, abs=1e-12)
        # ... which is small: the two bases share the state at the switch
        assert jump < 5e-2 * np.linalg.norm(before)
        # and bounded by the new basis's projection error of the full state plus the
        # error of the reduced state: |(I - P_j) u| <= |(I - P_j) s| + |u - s|
        exact = S[:, s.index]
        bound = np.linalg.norm(exact - Phi_j @ (Phi_j.T @ exact)) + np.linalg.norm(before - exact)
        assert jump <= bound * (1 + 1e-12)
        assert np.allclose(U[:, s.index], after)


def test_one_cluster_is_the_global_rom(burgers):
    fom, u0, times, S = burgers
    one = LocalPOD(1, rank=RANK, random_state=0).fit(S)
    rom = LocalGalerkinROM(one, fom, "deim", deim_rank=N_DEIM).fit(S, NU)
    result = rom.solve(u0, times, NU)
    assert result.switches == [] and np.all(result.clusters == 0)
    global_rom = GalerkinROM(None, fom, "deim", deim_rank=N_DEIM, rank=RANK).fit(S, NU)
    assert np.array_equal(np.sort(rom.roms_[0].points_), np.sort(global_rom.points_))
    U_global = global_rom.reconstruct(global_rom.solve(u0, times, NU))
    assert _relative(rom.reconstruct(result), U_global) < 1e-9


class NearestNeighbour:
    """A 1-nearest-neighbour classifier on NumPy arrays (the fit/predict protocol)."""

    def fit(self, X, labels):
        self.X, self.labels = np.asarray(X, float), np.asarray(labels)
        return self

    def predict(self, X):
        d = ((np.asarray(X, float)[:, None, :] - self.X[None, :, :]) ** 2).sum(axis=2)
        return self.labels[np.argmin(d, axis=1)]


def test_parameter_switching_with_a_classifier(burgers, local_pod):
    """ROM-net selection: a classifier of the time picks the basis."""
    fom, u0, times, S = burgers
    lp = copy.deepcopy(local_pod).fit_selector(times[:, None], NearestNeighbour())
    rom = LocalGalerkinROM(
        lp, fom, "deim", deim_rank=N_DEIM, switching="parameter", features=lambda mu, t: [t]
    ).fit(S, NU)
    result = rom.solve(u0, times, NU)
    # at the training times the classifier returns the training labels
    assert np.array_equal(result.clusters, lp.labels_)
    assert len(result.switches) == K - 1
    assert rom.select(NU, times[-1]) == lp.labels_[-1]
    assert _relative(rom.reconstruct(result), S) < 2e-2

    both = LocalGalerkinROM(
        lp, fom, "deim", deim_rank=N_DEIM, switching="both", features=lambda mu, t: [t]
    ).fit(S, NU)
    result_both = both.solve(u0, times, NU)
    assert result_both.clusters[0] == lp.labels_[0]
    assert _relative(both.reconstruct(result_both), S) < 2e-2


def test_online_solve_is_independent_of_the_full_model(burgers, local_pod):
    """With DEIM, the solve and the switches use only rows of f at the DEIM stencils."""
    fom, u0, times, S = burgers
    touched = []

    def rhs(u, mu, t):
        touched.append("rhs")
        return fom.rhs(u, mu, t)

    model = FullOrderModel(
        rhs,
        stencil=fom.stencil,
        rhs_entries=fom.rhs_entries,
        jacobian_entries=fom.jacobian_entries,
        linear_operators=fom.linear_operators,
        linear_offsets=fom.linear_offsets,
        linear_coefficients=fom.linear_coefficients,
    )
    rom = LocalGalerkinROM(local_pod, model, "deim", deim_rank=N_DEIM).fit(S, NU)
    touched.clear()
    a0 = rom.roms_[local_pod.labels_[0]].project(u0)
    result = rom.solve(a0, times[:41], NU, cluster=int(local_pod.labels_[0]))
    assert touched == []
    assert len(result.switches) >= 1
    assert _relative(rom.reconstruct(result), S[:, :41]) < 2e-2


def test_bad_input(burgers, local_pod):
    fom, u0, times, S = burgers
    with pytest.raises(ValueError, match="local_pod: expected a fitted"):
        LocalGalerkinROM(LocalPOD(2, rank=3), fom).fit()
    with pytest.raises(TypeError, match="local_pod"):
        LocalGalerkinROM(np.eye(3), fom).fit()
    with pytest.raises(ValueError, match="model"):
        LocalGalerkinROM(local_pod, Burgers1D(100)).fit()
    with pytest.raises(ValueError, match="switching"):
        LocalGalerkinROM(local_pod, fom, switching="time").fit()
    with pytest.raises(ValueError, match="fit_selector"):
        LocalGalerkinROM(local_pod, fom, switching="parameter").fit()
    with pytest.raises(ValueError, match="states"):
        LocalGalerkinROM(local_pod, fom, "deim", deim_rank=5).fit(S[:, :10], NU)
    with pytest.raises(ValueError, match="check_every"):
        LocalGalerkinROM(local_pod, fom, check_every=0).fit()
    rom = LocalGalerkinROM(local_pod, fom).fit()
    with pytest.raises(ValueError, match="initial"):
        rom.solve(np.zeros(RANK), times, NU)
    with pytest.raises(ValueError, match="cluster"):
        rom.solve(np.zeros(RANK), times, NU, cluster=K)
    with pytest.raises(ValueError, match="times"):
        rom.solve(u0, times[::-1], NU)
    with pytest.raises(TypeError, match="result"):
        rom.reconstruct(S)
    with pytest.raises(NotFittedError, match="not fitted"):
        LocalGalerkinROM(local_pod, fom).solve(u0, times, NU)


def test_a_loaded_model_switches_and_integrates_as_the_fitted_one(
    burgers, local_pod, state_switching, tmp_path
):
    import rom as rom_package

    fom, u0, times, _ = burgers
    fitted, expected = state_switching
    path = tmp_path / "local.npz"
    fitted.save(path)
    assert list(rom_package.io.read_header(path)["parts"]) == ["model"]  # named once
    with pytest.raises(ValueError, match=r"model=\.\.\."):
        rom_package.load(path)
    loaded = rom_package.load(path, model=fom)
    assert loaded.ranks_.tolist() == fitted.ranks_.tolist()
    got = loaded.solve(u0, times, NU)
    assert np.array_equal(got.clusters, expected.clusters)
    scale = np.abs(expected.coordinates).max()
    assert np.abs(got.coordinates - expected.coordinates).max() <= 1e-12 * scale
    assert [s.index for s in got.switches] == [s.index for s in expected.switches]

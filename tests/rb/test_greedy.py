import numpy as np
import pytest

from rom.rb import ExtensionError, weak_greedy


class Nearest:
    """Approximate f(mu) = sin(3 mu) by its value at the nearest selected parameter."""

    def __init__(self, fail_after=None):
        self.selected = []
        self.fail_after = fail_after

    def evaluate(self, mus):
        f = np.sin(3 * mus[:, 0])
        if not self.selected:
            return np.abs(f)
        sel = np.array(self.selected)
        nearest = sel[np.argmin(np.abs(mus[:, :1] - sel[None, :]), axis=1)]
        return np.abs(f - np.sin(3 * nearest))

    def extend(self, mu):
        if self.fail_after is not None and len(self.selected) >= self.fail_after:
            raise ExtensionError("no room left")
        self.selected.append(mu[0])


def test_stops_at_tolerance_with_a_record():
    train = np.linspace(0, 2, 101)[:, None]
    res = weak_greedy(Nearest(), train, tol=0.05, relative=False, progress=False)
    assert res.stop_reason == "tol"
    assert res.errors[-1] <= 0.05 < res.errors[-2]
    assert len(res.errors) == res.n_extensions + 1
    assert res.selected.shape == (res.n_extensions, 1)
    # the first parameter is where |sin 3 mu| is largest on the grid
    assert res.selected[0, 0] == pytest.approx(
        train[np.argmax(np.abs(np.sin(3 * train[:, 0]))), 0]
    )
    assert set(res.times) == {"evaluate", "extend", "total", "evaluations"}
    assert res.times["evaluations"] == 101 * (res.n_extensions + 1)


def test_relative_tolerance_by_default_and_max_terms():
    train = np.linspace(0, 2, 51)[:, None]
    rel = weak_greedy(Nearest(), train, tol=0.1, progress=False)
    assert rel.errors[-1] <= 0.1 * rel.errors[0] < rel.errors[-2]
    absolute = weak_greedy(Nearest(), train, tol=0.1, relative=False, progress=False)
    assert absolute.errors[-1] <= 0.1 < absolute.errors[-2]
    capped = weak_greedy(Nearest(), train, max_terms=3, progress=False)
    assert capped.stop_reason == "max_terms" and capped.n_extensions == 3


def test_extension_failure_stops_cleanly():
    with pytest.warns(RuntimeWarning, match="no room left"):
        res = weak_greedy(Nearest(fail_after=2), np.linspace(0, 2, 21)[:, None], tol=1e-9)
    assert res.stop_reason == "degenerate" and res.n_extensions == 2


def test_exhausted_when_every_error_vanishes():
    train = np.linspace(0, 1, 5)[:, None]
    res = weak_greedy(Nearest(), train, progress=False)
    assert res.stop_reason == "exhausted" and res.errors[-1] == 0


def test_bad_input():
    with pytest.raises(TypeError, match="surrogate"):
        weak_greedy(object(), np.zeros((2, 1)))
    with pytest.raises(ValueError, match="training_set"):
        weak_greedy(Nearest(), np.full((2, 1), np.nan))
    with pytest.raises(ValueError, match="tol"):
        weak_greedy(Nearest(), np.zeros((2, 1)), tol=-1)
    with pytest.raises(ValueError, match="max_terms"):
        weak_greedy(Nearest(), np.zeros((2, 1)), max_terms=-1)
    with pytest.raises(ValueError, match="saturation"):
        weak_greedy(Nearest(), np.zeros((2, 1)), saturation=0.5)
    with pytest.raises(TypeError, match="saturation"):
        weak_greedy(Nearest(), np.zeros((2, 1)), saturation="yes")

    class Bad(Nearest):
        def evaluate(self, mus):
            return np.ones(len(mus) + 1)

    with pytest.raises(ValueError, match="surrogate: evaluate"):
        weak_greedy(Bad(), np.zeros((2, 1)))


class Distance:
    """The distance to the nearest selected point: it never grows when a point is
    added, so the saturation assumption holds with constant 1."""

    def __init__(self, jump_at=None):
        self.selected = []
        self.calls = 0
        self.jump_at = jump_at  # (row, extensions): that row's estimate jumps up then

    def evaluate(self, mus):
        self.calls += len(mus)
        if not self.selected:
            est = np.linalg.norm(mus, axis=1) + 2.0  # above any distance in the square
        else:
            sel = np.array(self.selected)
            est = np.min(np.linalg.norm(mus[:, None, :] - sel[None], axis=2), axis=1)
        jumped = self.jump_at is not None and len(self.selected) >= self.jump_at[1]
        if jumped and not any((self.jump_at[0] == s).all() for s in self.selected):
            est = np.where((mus == self.jump_at[0]).all(axis=1), 10.0, est)
        return est

    def extend(self, mu):
        self.selected.append(mu)


def test_saturation_selects_as_the_full_greedy_with_fewer_evaluations():
    train = np.random.default_rng(3).random((1000, 2))
    full, lazy = Distance(), Distance()
    ref = weak_greedy(full, train, tol=0.06, relative=False, progress=False)
    res = weak_greedy(lazy, train, tol=0.06, relative=False, progress=False, saturation=1.0)
    assert res.stop_reason == ref.stop_reason == "tol"
    np.testing.assert_array_equal(res.selected_indices, ref.selected_indices)
    np.testing.assert_array_equal(res.errors, ref.errors)
    assert res.times["evaluations"] == lazy.calls
    assert lazy.calls < full.calls / 5


def test_saturation_keeps_the_stopping_test_exact():
    # a parameter whose estimate jumps after 5 extensions breaks the assumption: the
    # lazy steps skip it, the full check before stopping finds it
    train = np.random.default_rng(4).random((300, 2))
    surrogate = Distance(jump_at=(train[17], 5))
    res = weak_greedy(surrogate, train, tol=0.1, relative=False, saturation=1.0, progress=False)
    assert res.stop_reason == "tol"
    assert 17 in res.selected_indices
    assert np.max(surrogate.evaluate(train)) <= 0.1

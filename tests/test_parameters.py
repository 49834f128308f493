"""Tests of rom.parameters: ParameterSpace, its samplers, log scales and checks."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rom.parameters import SAMPLERS, ParameterSpace

RANDOM_METHODS = ("random", "lhs", "sobol")


@pytest.fixture
def space():
    return ParameterSpace({"k": (1e-2, 1e2), "f": (-1.0, 3.0), "g": (0.5, 0.75)}, log=["k"])


def assert_inside(space, mus):
    assert np.all(mus >= space.lows) and np.all(mus <= space.highs)


# ---------------------------------------------------------------------- basics
def test_names_dim_bounds_follow_insertion_order(space):
    assert space.names == ("k", "f", "g")
    assert space.dim == 3
    np.testing.assert_array_equal(space.lows, [1e-2, -1.0, 0.5])
    np.testing.assert_array_equal(space.highs, [1e2, 3.0, 0.75])
    assert space.log == ("k",)


def test_lows_highs_are_copies(space):
    space.lows[0] = 123.0
    space.highs[0] = -123.0
    assert space.lows[0] == 1e-2 and space.highs[0] == 1e2


def test_single_log_name_given_as_string():
    space = ParameterSpace({"a": (1.0, 2.0), "bb": (1.0, 2.0)}, log="bb")
    assert space.log == ("bb",)


def test_equality_and_hash():
    a = ParameterSpace({"x": (0, 1), "y": (1, 10)}, log=["y"])
    b = ParameterSpace({"x": (0.0, 1.0), "y": (1.0, 10.0)}, log=("y",))
    c = ParameterSpace({"x": (0, 1), "y": (1, 10)})
    assert a == b and hash(a) == hash(b)
    assert a != c
    assert a != "not a space"


# ---------------------------------------------------------------------- sampling
@pytest.mark.parametrize("method", SAMPLERS)
def test_sample_shape_and_bounds(space, method):
    n = 7
    mus = space.sample(n, method=method, random_state=3)
    assert mus.shape == (n, space.dim)
    assert mus.dtype == np.float64
    assert_inside(space, mus)


def test_grid_has_n_pow_dim_rows_with_both_bounds_first_varying_slowest():
    space = ParameterSpace({"a": (-1.0, 1.0), "b": (2.0, 5.0)})
    mus = space.grid(4)
    a = np.linspace(-1.0, 1.0, 4)
    b = np.linspace(2.0, 5.0, 4)
    expected = np.array([[x, y] for x in a for y in b])
    np.testing.assert_allclose(mus, expected, rtol=0, atol=1e-15)
    # both bounds are hit exactly, not approximately
    assert mus[:, 0].min() == -1.0 and mus[:, 0].max() == 1.0
    assert mus[:, 1].min() == 2.0 and mus[:, 1].max() == 5.0


def test_grid_with_one_point_per_dimension_is_the_centre():
    space = ParameterSpace({"a": (0.0, 2.0), "k": (1.0, 100.0)}, log=["k"])
    mus = space.grid(1)
    np.testing.assert_allclose(mus, [[1.0, 10.0]], rtol=1e-14)


def test_log_grid_is_geometric_and_includes_bounds():
    space = ParameterSpace({"k": (1e-2, 1e2)}, log=["k"])
    mus = space.grid(5)[:, 0]
    np.testing.assert_allclose(mus, np.geomspace(1e-2, 1e2, 5), rtol=1e-13)
    np.testing.assert_allclose(mus[1:] / mus[:-1], 10.0, rtol=1e-13)
    assert mus[0] == 1e-2 and mus[-1] == 1e2


@pytest.mark.parametrize("method", RANDOM_METHODS)
def test_log_dimension_is_uniform_in_log(method):
    space = ParameterSpace({"k": (1e-2, 1e2), "x": (0.0, 1.0)}, log=["k"])
    mus = space.sample(4096, method=method, random_state=0)
    # uniform in log10(k) on [-2, 2]: median 1 and each decade holds a quarter
    assert abs(np.log10(np.median(mus[:, 0]))) < 0.1
    counts = np.histogram(np.log10(mus[:, 0]), bins=[-2, -1, 0, 1, 2])[0] / len(mus)
    np.testing.assert_allclose(counts, 0.25, atol=0.03)
    # the linear dimension stays uniform on [0, 1]
    assert abs(np.median(mus[:, 1]) - 0.5) < 0.03


def test_lhs_puts_one_point_in_each_stratum():
    space = ParameterSpace({"a": (0.0, 10.0), "k": (1.0, 1e4)}, log=["k"])
    n = 16
    mus = space.sample(n, method="lhs", random_state=5)
    strata_a = np.floor(mus[:, 0] / 10.0 * n).astype(int)
    strata_k = np.floor(np.log10(mus[:, 1]) / 4.0 * n).astype(int)
    assert sorted(np.minimum(strata_a, n - 1)) == list(range(n))
    assert sorted(np.minimum(strata_k, n - 1)) == list(range(n))


@pytest.mark.parametrize("method", RANDOM_METHODS)
def test_seed_reproduces(space, method):
    a = space.sample(10, method=method, random_state=42)
    b = space.sample(10, method=method, random_state=42)
    c = space.sample(10, method=method, random_state=43)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_numpy_integer_seed_and_n_are_accepted(space):
    a = space.sample(np.int64(5), method="random", random_state=np.int32(1))
    b = space.sample(5, method="random", random_state=1)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("method", SAMPLERS)
def test_fixed_parameter(method):
    space = ParameterSpace({"a": (0.0, 1.0), "c": (2.5, 2.5), "k": (3.0, 3.0)}, log=["k"])
    mus = space.sample(4, method=method, random_state=1)
    np.testing.assert_array_equal(mus[:, 1], 2.5)
    np.testing.assert_array_equal(mus[:, 2], 3.0)
    assert mus.shape == (4, 3)
    # on a grid, a fixed parameter gives one value, not per_axis copies
    grid = space.grid(4)
    np.testing.assert_array_equal(grid[:, 0], np.linspace(0.0, 1.0, 4))
    np.testing.assert_array_equal(grid[:, 1:], [[2.5, 3.0]] * 4)
    np.testing.assert_array_equal(space.check({"a": 0.2, "c": 2.5, "k": 3.0}), [0.2, 2.5, 3.0])
    with pytest.raises(ValueError, match="'c'"):
        space.check([0.2, 2.6, 3.0])


def test_huge_bounds_do_not_overflow():
    # hi - lo overflows to inf here; samples must still be finite and inside
    space = ParameterSpace({"a": (-1e308, 1e308), "b": (-1.7e308, 1.7e308)})
    for method in SAMPLERS:
        mus = space.sample(3, method=method, random_state=0)
        assert np.isfinite(mus).all()
        assert_inside(space, mus)


def test_large_linear_parameter_beside_a_log_one_warns_nothing():
    space = ParameterSpace({"a": (0.0, 1e4), "k": (1.0, 10.0)}, log=["k"])
    with np.errstate(all="raise"):
        mus = space.grid(5)
    assert_inside(space, mus)


def test_from_unit_maps_corners_to_bounds(space):
    corners = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    np.testing.assert_array_equal(space.from_unit(corners), [space.lows, space.highs])
    with pytest.raises(ValueError, match="u: expected 3 columns"):
        space.from_unit([[0.5, 0.5]])


# ---------------------------------------------------------------------- check
def test_check_dict_returns_name_order(space):
    mu = space.check({"g": 0.6, "k": 3.0, "f": 0.0})
    np.testing.assert_array_equal(mu, [3.0, 0.0, 0.6])
    assert mu.dtype == np.float64


def test_check_numpy_scalars_in_dict(space):
    mu = space.check({"g": np.float32(0.625), "k": np.int64(3), "f": np.array(0.0)})
    np.testing.assert_array_equal(mu, [3.0, 0.0, 0.625])


def test_check_1d_and_2d_arrays(space):
    one = space.check([1.0, 2.0, 0.5])
    assert one.shape == (3,)
    np.testing.assert_array_equal(one, [1.0, 2.0, 0.5])
    rows = np.array([[1.0, 2.0, 0.5], [0.01, -1.0, 0.75]])
    out = space.check(rows)
    assert out.shape == (2, 3)
    np.testing.assert_array_equal(out, rows)
    ints = space.check(np.array([[1, 2, 0]]) + np.array([0, 0, 0.5]))
    assert ints.dtype == np.float64


def test_check_returns_a_copy(space):
    rows = np.array([[1.0, 2.0, 0.5]])
    space.check(rows)[0, 0] = 50.0
    assert rows[0, 0] == 1.0


def test_check_scalar_for_one_dimensional_space():
    space = ParameterSpace({"t": (0.0, 1.0)})
    np.testing.assert_array_equal(space.check(0.25), [0.25])


def test_check_accepts_bounds_with_roundoff(space):
    # a value one ulp past a bound is round-off, not an error
    space.check([np.nextafter(1e2, np.inf), 3.0, 0.75])


def test_contains_and_to_dicts(space):
    assert space.contains({"k": 1.0, "f": 0.0, "g": 0.6})
    assert not space.contains([1.0, 5.0, 0.6])
    assert not space.contains("nonsense")
    dicts = space.to_dicts([[1.0, 2.0, 0.5], [3.0, -1.0, 0.75]])
    assert dicts == [{"k": 1.0, "f": 2.0, "g": 0.5}, {"k": 3.0, "f": -1.0, "g": 0.75}]
    assert all(type(v) is float for d in dicts for v in d.values())


@pytest.mark.parametrize(
    ("mu", "match"),
    [
        ([1.0, 5.0, 0.6], r"parameter 'f' = 5\.0 is outside its bounds \(-1\.0, 3\.0\)"),
        ([1e3, 0.0, 0.6], r"parameter 'k' .* outside"),
        ([[1.0, 0.0, 0.6], [1.0, 0.0, 0.2]], r"parameter 'g' = 0\.2 is outside"),
        ({"k": 1.0, "f": -1.5, "g": 0.6}, r"parameter 'f' = -1\.5 is outside"),
    ],
)
def test_check_out_of_bounds_names_the_parameter(space, mu, match):
    with pytest.raises(ValueError, match=match):
        space.check(mu)


@pytest.mark.parametrize(
    "mu",
    [[1.0, 0.0], [1.0, 0.0, 0.6, 0.6], np.ones((2, 2)), np.ones((1, 1, 3)), 1.0],
)
def test_check_wrong_size(space, mu):
    with pytest.raises(ValueError, match=r"mu: expected 3 values .*got shape"):
        space.check(mu)


def test_check_unknown_and_missing_keys(space):
    with pytest.raises(ValueError, match=r"mu: .*unknown: \['kk'\], missing: \['k'\]"):
        space.check({"kk": 1.0, "f": 0.0, "g": 0.6})
    with pytest.raises(ValueError, match=r"mu: .*unknown: \[\], missing: \['g'\]"):
        space.check({"k": 1.0, "f": 0.0})
    with pytest.raises(ValueError, match=r"mu: .*unknown: \['z'\], missing: \[\]"):
        space.check({"k": 1.0, "f": 0.0, "g": 0.6, "z": 0.0})


@pytest.mark.parametrize(
    "mu", [[np.nan, 0.0, 0.6], [1.0, np.inf, 0.6], {"k": 1.0, "f": 0.0, "g": np.nan}]
)
def test_check_nan_and_inf(space, mu):
    with pytest.raises(ValueError, match="mu: contains NaN or inf"):
        space.check(mu)


@pytest.mark.parametrize(
    "mu",
    [
        ["a", "b", "c"],
        ["1.0", "0.0", "0.6"],  # numeric strings are still strings
        [1.0, 0.0, 0.6j],
        [[1.0, 0.0], [1.0]],  # ragged
        object(),
        None,
    ],
)
def test_check_non_numeric_array(space, mu):
    with pytest.raises(TypeError, match="mu: expected a dict or an array of 3 real numbers"):
        space.check(mu)


@pytest.mark.parametrize("value", ["0.5", None, 1j, [0.5], b"1"])
def test_check_non_numeric_dict_value_names_the_parameter(space, value):
    with pytest.raises(TypeError, match="mu: 'g' must be a real number"):
        space.check({"k": 1.0, "f": 0.0, "g": value})


# ---------------------------------------------------------------------- construction errors
def test_bad_bounds_low_above_high():
    with pytest.raises(ValueError, match=r"bounds\['a'\]: low must be <= high"):
        ParameterSpace({"a": (2.0, 1.0)})


@pytest.mark.parametrize("pair", [(0.0, np.inf), (-np.inf, 0.0), (np.nan, 1.0)])
def test_bad_bounds_non_finite(pair):
    with pytest.raises(ValueError, match=r"bounds\['a'\]: bounds must be finite"):
        ParameterSpace({"a": pair})


@pytest.mark.parametrize("pair", [(1.0,), (1.0, 2.0, 3.0), ("x", 1.0), 1.0, None])
def test_bad_bounds_not_a_pair(pair):
    with pytest.raises(TypeError, match=r"bounds\['a'\]: expected a pair of numbers"):
        ParameterSpace({"a": pair})


@pytest.mark.parametrize("bounds", [{}, [("a", (0, 1))], None, "a"])
def test_bad_bounds_not_a_non_empty_mapping(bounds):
    with pytest.raises(TypeError, match="bounds: expected a non-empty mapping"):
        ParameterSpace(bounds)


@pytest.mark.parametrize("name", ["", 1, None])
def test_bad_parameter_names(name):
    with pytest.raises(TypeError, match="bounds: parameter names must be non-empty strings"):
        ParameterSpace({name: (0.0, 1.0)})


@pytest.mark.parametrize("low", [0.0, -1.0])
def test_log_needs_positive_bounds(low):
    with pytest.raises(ValueError, match="log: parameter 'a' needs positive bounds"):
        ParameterSpace({"a": (low, 1.0)}, log=["a"])


def test_log_unknown_name():
    with pytest.raises(ValueError, match="log: 'b' is not a parameter name"):
        ParameterSpace({"a": (1.0, 2.0)}, log=["b"])


@pytest.mark.parametrize("n", [0, -3, 2.5, True, "4", None])
def test_sample_bad_n(space, n):
    with pytest.raises(ValueError, match="n: expected a positive integer"):
        space.sample(n)


@pytest.mark.parametrize("method", ["halton", "Grid", None, 3])
def test_sample_bad_method(space, method):
    with pytest.raises(ValueError, match="method: expected one of"):
        space.sample(4, method=method)


@pytest.mark.parametrize("seed", [1.5, "7", True, [1, 2]])
def test_sample_bad_seed(space, seed):
    with pytest.raises(TypeError, match="random_state: expected an integer or None"):
        space.sample(4, method="random", random_state=seed)


# ---------------------------------------------------------------------- serialisation
def test_to_dict_from_dict_round_trip_through_json(space):
    data = json.loads(json.dumps(space.to_dict()))
    back = ParameterSpace.from_dict(data)
    assert back == space
    assert back.names == space.names
    assert back.log == space.log
    np.testing.assert_array_equal(
        back.sample(5, method="lhs", random_state=2), space.sample(5, method="lhs", random_state=2)
    )


def test_from_dict_without_log():
    space = ParameterSpace.from_dict({"bounds": {"a": [0, 1]}})
    assert space.log == () and space.bounds == {"a": (0.0, 1.0)}


def test_repr_mentions_names_and_log(space):
    text = repr(space)
    assert "'k'" in text and "'f'" in text and "log=['k']" in text


# ---------------------------------------------------------------------- properties
finite = st.floats(min_value=-1e300, max_value=1e300, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=1e-300, max_value=1e300, allow_nan=False, allow_infinity=False)


@st.composite
def spaces(draw):
    dim = draw(st.integers(1, 3))
    bounds, log = {}, []
    for i in range(dim):
        is_log = draw(st.booleans())
        a, b = draw(positive if is_log else finite), draw(positive if is_log else finite)
        bounds[f"p{i}"] = (min(a, b), max(a, b))
        if is_log:
            log.append(f"p{i}")
    return ParameterSpace(bounds, log=log)


@settings(max_examples=60, deadline=None)
@given(space=spaces(), n=st.integers(1, 9), seed=st.integers(0, 2**32 - 1))
def test_samples_always_inside_bounds(space, n, seed):
    for method in SAMPLERS:
        mus = space.sample(n, method=method, random_state=seed)
        assert mus.ndim == 2 and mus.shape[1] == space.dim
        assert np.isfinite(mus).all()
        assert_inside(space, mus)
        space.check(mus)  # what the sampler draws, check() accepts


def test_sample_refuses_sizes_beyond_the_limit_before_allocating():
    """#18: sample(10**6, "grid") asked for 10**12 rows (terabytes) and died in numpy."""
    from rom.parameters import MAX_SAMPLE_VALUES

    space = ParameterSpace({"a": (0.0, 1.0), "b": (0.0, 1.0)})
    with pytest.raises(
        ValueError, match=r"per_axis: 1000000 \*\* 2 grid points .* more than the limit"
    ):
        space.grid(10**6)
    with pytest.raises(
        ValueError, match=f"n: {MAX_SAMPLE_VALUES} points of 2 parameters would be"
    ):
        space.sample(MAX_SAMPLE_VALUES, "random")
    # a fixed parameter adds no grid dimension: 10**6 x 1 values are within the limit
    fixed = ParameterSpace({"a": (0.0, 1.0), "b": (0.5, 0.5)})
    rows = fixed.grid(10**6)
    assert rows.shape == (10**6, 2) and np.all(rows[:, 1] == 0.5)
    assert np.array_equal(fixed.grid(3), [[0.0, 0.5], [0.5, 0.5], [1.0, 0.5]])


def test_sample_means_n_points_in_all_and_grid_is_per_axis():
    """sample(20, method="grid") gave 20 per axis (400 points) where the other methods give
    20 in all: the grid is its own method, sized per axis, and sample() refuses "grid"."""
    space = ParameterSpace({"a": (0.0, 1.0), "b": (0.0, 1.0)})
    with pytest.raises(ValueError, match=r"method: 'grid' .* ParameterSpace.grid\(per_axis\)"):
        space.sample(20, method="grid")
    assert "grid" not in SAMPLERS
    for method in SAMPLERS:
        assert space.sample(20, method, random_state=0).shape == (20, 2)
    assert space.grid(20).shape == (400, 2)


@pytest.mark.parametrize("bad", [0, -2, 2.0, True, "3", None])
def test_grid_refuses_a_bad_size(bad):
    space = ParameterSpace({"a": (0.0, 1.0)})
    with pytest.raises(ValueError, match="per_axis: expected a positive integer"):
        space.grid(bad)

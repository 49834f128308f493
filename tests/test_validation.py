"""rom.validation: check_indices (rows of a model or a basis) and check_real."""

import numpy as np
import pytest

from rom.validation import check_indices, check_real


def test_check_indices_returns_int64_copy_of_valid_indices():
    rows = np.array([3, 0, 4], dtype=np.int32)
    out = check_indices(rows, "rows", 5)
    assert out.dtype == np.int64 and out.tolist() == [3, 0, 4]
    assert check_indices([np.uint8(2)], "rows", 3).tolist() == [2]


@pytest.mark.parametrize(
    "value, message",
    [
        ([], "rows: expected a non-empty 1-D integer array"),
        ([[1, 2]], "rows: expected a non-empty 1-D integer array"),
        ([0.0, 1.0], "rows: expected a non-empty 1-D integer array"),
        ([0, 5], r"rows: expected indices in \[0, 5\)"),
        ([-1], r"rows: expected indices in \[0, 5\)"),
    ],
)
def test_check_indices_refuses_bad_indices_naming_the_argument(value, message):
    with pytest.raises(ValueError, match=message):
        check_indices(value, "rows", 5)


def test_check_real_accepts_python_and_numpy_reals_as_float():
    for value in (2, 2.0, np.int32(2), np.float32(2.0)):
        out = check_real(value, "speed", positive=True)
        assert type(out) is float and out == 2.0
    assert check_real(-1.5, "x") == -1.5


@pytest.mark.parametrize(
    "value, positive, error, message",
    [
        (True, False, TypeError, "speed: expected a real number"),
        ("fast", False, TypeError, "speed: expected a real number"),
        (np.nan, False, ValueError, "speed: expected a finite number"),
        (np.inf, True, ValueError, "speed: expected a finite number"),
        (0.0, True, ValueError, "speed: expected a positive number"),
        (-2, True, ValueError, "speed: expected a positive number"),
    ],
)
def test_check_real_refuses_bad_values_naming_the_argument(value, positive, error, message):
    with pytest.raises(error, match=message):
        check_real(value, "speed", positive=positive)

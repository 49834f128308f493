"""Fitted estimators shared by the tests of rom.matfun (fitted once per session)."""

import pytest

from fem_examples import thermal_block
from rom.matfun import InverseApproximation, LogDet
from tests.matfun.families import training


@pytest.fixture(scope="session")
def block():
    model, space = thermal_block.build((2, 2), resolution=10)
    return model, space


@pytest.fixture(scope="session")
def block_logdet(block):
    model, space = block
    return LogDet(model, tol=1e-3).fit(training(space, 2000))


@pytest.fixture(scope="session")
def block_inverse(block):
    model, space = block
    return (
        model,
        space,
        InverseApproximation(model, tol=0.1, max_terms=100).fit(training(space, 900)),
    )

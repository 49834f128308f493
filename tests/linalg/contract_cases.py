"""Contract cases of rom.linalg."""

import numpy as np
import scipy.sparse

from rom.linalg import POD, IncrementalPOD
from tests.contract import Case


def _snapshots(complex_=False):
    x = np.linspace(0.0, 1.0, 60)[:, None]
    mu = np.linspace(1.0, 3.0, 15)[None, :]
    S = np.exp(-mu * x) + 0.1 * np.sin(3 * mu * x)
    return S + 1j * np.cos(mu * x) * x if complex_ else S


S = _snapshots()
SC = _snapshots(True)
M = scipy.sparse.diags(np.linspace(1.0, 2.0, 60), format="csr")
NAN = S.copy()
NAN[3, 2] = np.nan

CASES = [
    Case(
        POD,
        {"tol": 1e-8},
        fit=lambda e: e.fit(S),
        use=lambda e: (e.transform(S), e.projection_error(S), e.singular_values_),
        bad=[
            (lambda e: e.fit(NAN), "S: contains NaN"),
            (lambda e: e.fit(S[:, :, None]), "S: expected a 2-D array"),
        ],
        calls=[
            (lambda e: e.transform(np.ones((3, 3, 3))), "S: expected"),
            (lambda e: e.transform(np.ones((59, 2))), "S: expected 60"),
            (lambda e: e.transform("abc"), "S: expected"),
            (lambda e: e.inverse_transform(np.ones((e.rank_ + 1, 2))), "C: expected"),
            (lambda e: e.inverse_transform([["a"]]), "C: expected"),
            (lambda e: e.projection_error(np.ones(7)), "S: expected"),
            (lambda e: e.projection_error(S, relative="yes"), "relative: expected"),
            (lambda e: e.fit_transform(np.ones((3, 3, 3))), "S: expected"),
        ],
    ),
    Case(
        POD,
        {"rank": 3, "inner": M, "method": "snapshots"},
        fit=lambda e: e.fit(SC),
        use=lambda e: (e.transform(SC), e.inverse_transform(np.ones((3, 2)))),
        id="POD complex with inner",
    ),
    Case(
        IncrementalPOD,
        {"tol": 1e-6, "chunk_size": 4},
        fit=lambda e: e.fit(S),
        use=lambda e: (e.transform(S), e.singular_values_, e.error_bound_, e.n_samples_seen_),
        bad=[
            (lambda e: e.fit(NAN), "S: contains NaN"),
            (lambda e: e.fit(S[:, :, None]), "S: expected a 2-D array"),
            (lambda e: e.fit(np.ones((60, 0))), "S: expected a non-empty"),
            (lambda e: e.set_params(omega=1.0).fit(S), "omega: expected a number in"),
        ],
        calls=[
            (lambda e: e.partial_fit(np.ones((59, 2))), "S: expected 60 rows"),
            (lambda e: e.partial_fit(NAN), "S: contains NaN"),
            (lambda e: e.partial_fit("abc"), "S: expected"),
            (lambda e: e.transform(np.ones((59, 2))), "S: expected 60"),
            (lambda e: e.inverse_transform(np.ones((e.rank_ + 1, 2))), "C: expected"),
            (lambda e: e.projection_error(S, relative="yes"), "relative: expected"),
            (lambda e: e.fit(3.0), "S: expected an array, an iterable"),
        ],
    ),
]

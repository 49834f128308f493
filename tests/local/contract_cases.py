"""Contract cases of rom.local."""

import numpy as np
import scipy.sparse
from sklearn.neighbors import KNeighborsClassifier

from rom.local import EfficiencyCriterion, KMedoids, LocalPOD
from tests.contract import Case


def _fronts(m, shift=0.0, complex_=False):
    x = np.linspace(0.0, 1.0, 80)[:, None]
    c = np.linspace(0.2, 0.8, m)[None, :] + shift
    S = np.tanh((x - c) / 0.05)
    return S * np.exp(1j * np.pi * c) if complex_ else S


S = _fronts(24)
T = _fronts(7, shift=0.013)
SC = _fronts(24, complex_=True)
TC = _fronts(7, shift=0.013, complex_=True)
M = scipy.sparse.diags(np.linspace(1.0, 2.0, 80), format="csr")
MU = np.linspace(0.2, 0.8, 24)[:, None]
NAN = S.copy()
NAN[3, 2] = np.nan
CLASSIFIER = KNeighborsClassifier(1)

_x = np.array([0.0, 0.1, 0.25, 5.0, 5.1, 5.3, 9.0, 9.2])
D = np.abs(_x[:, None] - _x[None, :])

_U = S / np.linalg.norm(S, axis=0)
G_UNIT = _U.T @ _U
MEMBERS = [np.arange(0, 12), np.arange(12, 24)]


def _use_local(e, T=T):
    return (e.assign(T), e.projection_error(T), e.transfer(np.ones(e.bases_[0].rank_), 0, 1))


CASES = [
    Case(
        KMedoids,
        {"n_clusters": 3, "random_state": 0},
        fit=lambda e: e.fit(D),
        use=lambda e: (e.predict(D[:, :3]), e.labels_, e.inertia_, e.medoid_indices_),
        bad=[
            (lambda e: e.fit(D[:, :5]), "D: expected a square"),
            (lambda e: e.fit(-D), "D: dissimilarities must be non-negative"),
            (lambda e: e.set_params(n_clusters=20).fit(D), "n_clusters: expected at most 8"),
        ],
    ),
    Case(
        LocalPOD,
        {"n_clusters": 3, "rank": 3, "overlap": 0.1, "random_state": 0},
        fit=lambda e: e.fit(S),
        use=_use_local,
        bad=[
            (lambda e: e.fit(NAN), "S: contains NaN"),
            (lambda e: e.fit(S[:, :2]), "n_clusters: expected at most 2"),
            (lambda e: e.set_params(dissimilarity="cosine").fit(S), "dissimilarity"),
        ],
    ),
    Case(
        LocalPOD,
        {
            "n_clusters": 2,
            "dissimilarity": "euclidean",
            "clustering": "kmeans",
            "tol": 1e-3,
            "relative": False,
            "inner": M,
            "random_state": 1,
        },
        fit=lambda e: e.fit(SC),
        use=lambda e: _use_local(e, TC),
        id="LocalPOD complex kmeans with inner, absolute tol",
    ),
    Case(
        LocalPOD,
        {"n_clusters": 3, "rank": 3, "random_state": 0},
        fit=lambda e: e.fit(S).fit_selector(MU, CLASSIFIER),
        use=lambda e: (e.select(MU[::5]), e.projection_error(T)),
        bad=[(lambda e: e.fit(S).fit_selector(MU[:5], CLASSIFIER), "parameters: expected 24")],
        parts={"estimator": CLASSIFIER},
        id="LocalPOD with a scikit-learn selector",
    ),
    Case(
        EfficiencyCriterion,
        {"folds": 3},
        fit=lambda e: e.fit(G_UNIT, MEMBERS, 4),
        use=lambda e: (e.gain_at(2), e.ranks_for(0.1)[1], e.gain_, e.cluster_widths_),
        bad=[
            (lambda e: e.fit(G_UNIT[:, :5], MEMBERS, 4), "G_unit: expected a square"),
            (lambda e: e.fit(G_UNIT, [np.arange(30)], 4), "members: cluster 0"),
            (lambda e: e.fit(G_UNIT, MEMBERS, -1), "max_rank"),
        ],
    ),
]

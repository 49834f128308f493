"""Contract cases of the autoencoders (the torch ones only where torch is installed)."""

import importlib.util

import numpy as np

from rom.manifold import Autoencoder
from tests.contract import Case

_x = np.linspace(0.0, 1.0, 30)[:, None]
S = np.exp(-(((_x - np.linspace(0.3, 0.7, 12)) / 0.15) ** 2))
NAN = S.copy()
NAN[3, 2] = np.nan
_U = np.linalg.svd(S, full_matrices=False)[0][:, :3]


class LinearDecoder:
    """``Z -> U Z``, with its exact tangent."""

    def __call__(self, Z):
        return _U @ Z

    def jacobian(self, z):
        return _U.copy()


def encode(S):
    return _U.T @ S


DECODER = LinearDecoder()


def _calls(rank, n):
    """Wrong arguments to each public method of a fitted reduction."""
    return [
        (lambda e: e.transform(S[:5]), f"S: expected {n} rows"),
        (lambda e: e.transform(NAN), "S: contains NaN"),
        (lambda e: e.transform("abc"), "S"),
        (lambda e: e.inverse_transform(np.zeros((rank + 1, 2))), f"Z: expected {rank} rows"),
        (lambda e: e.inverse_transform(np.zeros(rank), rows=[0, n]), "rows: expected indices"),
        (lambda e: e.inverse_transform(np.zeros(rank), rows=[0.5]), "rows: expected an array"),
        (lambda e: e.inverse_transform(np.zeros((rank, 2)) + 1j), "Z: expected a real"),
        (lambda e: e.jacobian(np.zeros(rank + 1)), "z: expected"),
        (lambda e: e.jacobian(np.zeros(rank), rows=[[1, 2]]), "rows: expected a non-empty"),
        (lambda e: e.projection_error(S, relative="yes"), "relative: expected True or False"),
        (lambda e: e.projection_error(S[:4]), f"S: expected {n} rows"),
    ]


CASES = [
    Case(
        Autoencoder,
        {"encoder": encode, "decoder": DECODER, "rank": 3},
        fit=lambda e: e.fit(S),
        use=lambda e: (
            e.transform(S),
            e.inverse_transform(e.transform(S[:, :2]), rows=np.array([0, 4])),
            e.jacobian(np.ones(3)),
            e.projection_error(S),
        ),
        bad=[
            (lambda e: e.fit(NAN), "S: contains NaN"),
            (lambda e: e.fit(S[:, 0]), "S: expected a 2-D array"),
            (lambda e: e.set_params(rank=2).fit(S), "encoder: returned 3 latent coordinates"),
            (lambda e: e.set_params(decoder=lambda Z: Z).fit(S), r"decoder: expected an output"),
            (lambda e: e.set_params(encoder=3).fit(S), "encoder: expected a callable"),
            (lambda e: e.set_params(rank=0).fit(S), "rank: expected an integer >= 1"),
        ],
        calls=_calls(3, 30),
        parts={"encoder": encode, "decoder": DECODER},
    ),
]

#: cases that need torch, which is optional
UNAVAILABLE = set()
if importlib.util.find_spec("torch") is None:
    UNAVAILABLE.update(
        f"rom.manifold.torch:{name}"
        for name in ("DenseAutoencoder", "SparseAutoencoder", "PODAutoencoder")
    )
else:
    from rom.manifold.torch import DenseAutoencoder, PODAutoencoder, SparseAutoencoder

    _common = {"epochs": 3, "batch_size": 4, "random_state": 0, "device": "cpu"}

    def _torch_bad(extra):
        return [
            (lambda e: e.fit(NAN), "S: contains NaN"),
            (lambda e: e.fit(S + 1j), "S: complex snapshots"),
            (lambda e: e.fit(S[:, :1]), "S: expected at least 2 snapshots"),
            (lambda e: e.set_params(epochs=0).fit(S), "epochs: expected an integer >= 1"),
            (lambda e: e.set_params(learning_rate=-1.0).fit(S), "learning_rate: expected"),
            (lambda e: e.set_params(activation="cos").fit(S), "activation: expected one of"),
            (lambda e: e.set_params(dtype="float16").fit(S), "dtype: expected one of"),
            (lambda e: e.set_params(device="tpu").fit(S), "device: expected one of"),
            (lambda e: e.set_params(validation_fraction=0.9).fit(S), "validation_fraction"),
            (lambda e: e.set_params(rank=99).fit(S), "rank: expected at most 30"),
            *extra,
        ]

    def _use(e):
        Z = e.transform(S[:, :3])
        return (
            Z,
            e.inverse_transform(Z, rows=np.array([1, 7, 20])),
            e.jacobian(Z[:, 0]),
            e.projection_error(S),
        )

    CASES += [
        Case(
            DenseAutoencoder,
            {"rank": 2, "hidden": (8,), **_common},
            fit=lambda e: e.fit(S, progress=False),
            use=_use,
            bad=_torch_bad([(lambda e: e.set_params(hidden=()).fit(S), "hidden: expected")]),
            calls=_calls(2, 30),
            rtol=1e-6,
        ),
        Case(
            SparseAutoencoder,
            {"rank": 2, "hidden": 10, "bandwidth": 3, "encoder_hidden": 8, **_common},
            fit=lambda e: e.fit(S, progress=False),
            use=_use,
            bad=_torch_bad(
                [(lambda e: e.set_params(bandwidth=11).fit(S), "bandwidth: expected at most")]
            ),
            calls=_calls(2, 30),
            rtol=1e-6,
        ),
        Case(
            PODAutoencoder,
            {"rank": 2, "pod_rank": 5, "hidden": (8,), **_common},
            fit=lambda e: e.fit(S, progress=False),
            use=_use,
            bad=_torch_bad(
                [(lambda e: e.set_params(pod_tol=2.0).fit(S), "pod_tol: expected a number")]
            ),
            calls=_calls(2, 30),
            rtol=1e-6,
        ),
    ]

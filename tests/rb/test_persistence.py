"""Saving reduced bases and reduced models: data where romba can store it, parts else."""

import concurrent.futures
import zipfile

import numpy as np
import pytest
import scipy.sparse

import rom
from fem_examples import diffusion_1d
from rom.affine import AffineOperator, AffineVector, ConstantCoefficients, LinearCoefficients
from rom.parameters import ParameterSpace
from rom.rb import LinearModel, MinTheta, ReducedBasis, ReducedModel
from rom.rb.reduced_basis import ReducedBasis as _RB
from rom.validation import check_parameters

N_DOFS = 39


def _model(callables: bool) -> tuple[LinearModel, MinTheta | object]:
    """A 1-D diffusion with conductivities (a/2, b) on two halves, a mass term and a
    right-hand side 1 + a sin(pi x)."""
    base, _, _ = diffusion_1d.build(n=N_DOFS + 1, segments=2)
    h = 1.0 / (N_DOFS + 1)
    terms = [*base.operator.terms, scipy.sparse.eye(N_DOFS, format="csr") * h]
    x = np.arange(1, N_DOFS + 1) * h
    rhs = [np.full(N_DOFS, h), h * np.sin(np.pi * x)]
    if callables:

        def theta(mu):
            return np.array([mu[0] / 2, mu[1], 1.0])

        def theta_f(mu):
            return np.array([1.0, mu[0]])

        coercivity = lambda mu: float(min(mu[0] / 2, mu[1]))  # noqa: E731
    else:
        theta = LinearCoefficients([[0.5, 0.0], [0.0, 1.0], [0.0, 0.0]], offset=[0, 0, 1.0])
        theta_f = LinearCoefficients([[0.0, 0.0], [1.0, 0.0]], offset=[1.0, 0.0])
        coercivity = MinTheta(theta, [2.0, 1.0], 1.0)
    model = LinearModel(
        AffineOperator(terms, theta),
        AffineVector(rhs, theta_f),
        inner=sum(base.operator.terms),
        output="compliant",
        parameter_space=ParameterSpace({"a": (0.5, 2.0), "b": (0.5, 2.0)}),
    )
    return model, coercivity


TRAIN = ParameterSpace({"a": (0.5, 2.0), "b": (0.5, 2.0)}).grid(5)
TEST = np.array([[0.7, 1.3], [1.9, 0.6], [1.0, 1.0]])


def test_reduced_model_with_python_callables_names_them_as_parts(tmp_path):
    model, coercivity = _model(callables=True)
    rb = ReducedBasis(model, coercivity, tol=1e-10).fit(TRAIN)
    red = rb.reduced_model_
    path = tmp_path / "rm.npz"
    rom.save(red, path)
    parts = rom.io.read_header(path)["parts"]
    assert set(parts) == {"operator_coefficients", "rhs_coefficients", "coercivity"}
    with pytest.raises(ValueError) as info:  # every missing part is named, with what it was
        rom.load(path)
    for name in parts:
        assert f"{name}=..." in str(info.value)
    assert "a callable" in str(info.value)
    with pytest.raises(ValueError, match=r"rhs_coefficients=\.\.\."):
        rom.load(path, operator_coefficients=model.operator.coefficients, coercivity=coercivity)
    back = rom.load(
        path,
        operator_coefficients=model.operator.coefficients,
        rhs_coefficients=model.rhs.coefficients,
        coercivity=coercivity,
    )
    for x, y in zip(back.solve_and_estimate(TEST), red.solve_and_estimate(TEST), strict=True):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(back.output(TEST)[0], red.output(TEST)[0])
    with pytest.raises(ValueError, match="outside its bounds"):  # the space is data
        back.solve([5.0, 1.0])


def test_coefficient_objects_and_min_theta_are_stored_as_data(tmp_path):
    model, coercivity = _model(callables=False)
    red = ReducedBasis(model, coercivity, tol=1e-10).fit(TRAIN).reduced_model_
    path = tmp_path / "rm.npz"
    rom.save(red, path)
    assert rom.io.read_header(path)["parts"] == {}
    back = rom.load(path)
    assert back.operator_coefficients == model.operator.coefficients
    assert isinstance(back.coercivity, MinTheta) and back.coercivity.uses(
        back.operator_coefficients
    )
    assert back._fused_arguments(2) is not None  # the loaded model keeps the fast path
    np.testing.assert_array_equal(back.estimate(TEST), red.estimate(TEST))
    const = ConstantCoefficients([1.0, 2.0])
    assert ConstantCoefficients._from_arrays(*const._to_arrays()) == const


def test_reduced_basis_stores_its_reduced_model_and_names_the_model(tmp_path):
    model, coercivity = _model(callables=False)
    rb = ReducedBasis(model, coercivity, tol=1e-6).fit(TRAIN)
    path = tmp_path / "rb.npz"
    rb.save(path)
    assert rom.io.read_header(path)["parts"] == {"model": "ReducedBasis.model: a LinearModel"}
    with zipfile.ZipFile(path) as archive:  # the full matrices are not in the file
        names = archive.namelist()
    assert not any("inner" in name or "data" in name for name in names)
    with pytest.raises(ValueError, match=r"model=\.\.\."):
        rom.load(path)
    back = rom.load(path, model=model)
    np.testing.assert_array_equal(back.basis_, rb.basis_)
    np.testing.assert_array_equal(back.greedy_result_.errors, rb.greedy_result_.errors)
    assert back.stop_reason_ == rb.stop_reason_ == "tol" and back.n_terms_ == rb.n_terms_
    np.testing.assert_array_equal(
        back.reduced_model(2).estimate(TEST), rb.reduced_model(2).estimate(TEST)
    )
    # the greedy goes on from the loaded basis as from the original one
    for est in (rb, back):
        est.set_params(tol=1e-10).extend_greedy(TRAIN)
    assert back.n_terms_ == rb.n_terms_ > rb.greedy_result_.n_extensions
    np.testing.assert_array_equal(
        back.greedy_result_.selected_indices, rb.greedy_result_.selected_indices
    )
    np.testing.assert_allclose(
        back.reduced_model_.estimate(TEST), rb.reduced_model_.estimate(TEST), rtol=1e-6
    )
    small = LinearModel(AffineOperator([np.eye(3)], lambda mu: [1.0]), np.ones(3))
    with pytest.raises(ValueError, match="model: expected a model of size 39"):
        rom.load(path, model=small)


def test_reduced_model_is_built_once_per_extension(monkeypatch):
    builds = []
    original = _RB._build_reduced_model

    def counting(self):
        builds.append(self.basis_.shape[1])
        return original(self)

    monkeypatch.setattr(_RB, "_build_reduced_model", counting)
    model, coercivity = _model(callables=False)
    rb = ReducedBasis(model, coercivity, max_terms=6).fit(TRAIN)
    assert rb.stop_reason_ == "max_terms" and rb.n_terms_ == 6
    assert builds == list(range(7))  # the empty basis, then once per extension
    first = rb.reduced_model_
    assert rb.reduced_model_ is first and rb.reduced_model_ is first  # no rebuild on access
    assert len(builds) == 7
    rb.extend(model.solve_many(TEST))  # three snapshots: one rebuild
    assert len(builds) == 8 and rb.reduced_model_ is not first
    assert first.size == 6  # the earlier reduced model is unchanged by the extension
    np.testing.assert_array_equal(first.basis, rb.basis_[:, :6])


def test_one_rule_for_parameter_rows():
    space = ParameterSpace({"a": (0.0, 3.0), "b": (0.0, 3.0)})
    for kwargs in ({}, {"parameter_space": space}):
        assert check_parameters([1.0, 2.0], **kwargs).shape == (1, 2)
        assert check_parameters([[1.0], [2.0]]).shape == (2, 1)
    model, coercivity = _model(callables=False)
    assert model.check_parameters([1.0, 1.5]).shape == (1, 2)
    assert model.check_parameter([1.0, 1.5]).shape == (2,)
    with pytest.raises(ValueError, match="mu: expected one parameter set"):
        model.check_parameter([[1.0, 1.5], [1.0, 1.0]])
    rb = ReducedBasis(model, coercivity, max_terms=3).fit(TRAIN)
    red = rb.reduced_model_
    assert red.solve([1.0, 1.5]).shape == (3,) and np.ndim(red.estimate([1.0, 1.5])) == 0
    assert red.solve(TEST).shape == (3, 3)
    free = red.set_params(parameter_space=None)  # without a space: the same rule
    assert free.solve([1.0, 1.5]).shape == (3,)
    with pytest.raises(ValueError, match="mu: expected parameter sets of 2 values"):
        free.solve([1.0, 1.5, 2.0])
    assert coercivity.many([1.0, 1.5]).shape == (1,)


def test_executor_gives_the_same_greedy():
    model, coercivity = _model(callables=False)
    plain = ReducedBasis(model, coercivity, tol=1e-9).fit(TRAIN)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        rb = ReducedBasis(model, coercivity, tol=1e-9).fit(TRAIN, executor=pool)
        errors = rb.true_errors(TEST)
    np.testing.assert_array_equal(
        rb.greedy_result_.selected_indices, plain.greedy_result_.selected_indices
    )
    np.testing.assert_allclose(rb.greedy_result_.errors, plain.greedy_result_.errors, rtol=1e-12)
    assert np.all(errors <= rb.reduced_model_.estimate(TEST))


def test_inconsistent_reduced_arrays_are_refused_before_any_kernel():
    theta = LinearCoefficients.identity(2)
    good = dict(
        operator_terms=np.stack([np.eye(3), np.eye(3)]),
        rhs_terms=np.ones((1, 3)),
        operator_coefficients=theta,
        rhs_coefficients=ConstantCoefficients([1.0]),
        coercivity=MinTheta(theta, [1.0, 1.0], 1.0),
        estimator="accurate",
        estimator_matrix=np.eye(7),
    )
    assert ReducedModel(**good).solve([1.0, 1.0]).shape == (3,)
    for change, match in (
        ({"rhs_terms": np.ones((1, 2))}, "rhs_terms: expected shape"),
        ({"estimator_matrix": np.eye(6)}, "estimator_matrix: expected shape"),
        ({"estimator": "classical", "estimator_matrix": np.eye(5)}, "estimator_matrix"),
        ({"operator_terms": np.ones((2, 3, 2))}, "operator_terms: expected shape"),
        ({"estimator": "fast"}, "estimator: expected one of"),
        ({"operator_coefficients": 3.0}, "operator_coefficients: expected a callable"),
        ({"eim_error_sizes": (0, 1)}, None),
        ({"eim_error_matrix": np.ones((2, 5)), "eim_error_sizes": (1, 1)}, "eim_error_matrix"),
    ):
        bad = ReducedModel(**{**good, **change})
        if match is None:  # sizes without an EIM matrix are harmless
            bad.solve([1.0, 1.0])
            continue
        with pytest.raises((ValueError, TypeError), match=match):
            bad.estimate([1.0, 1.0])


def test_a_loaded_min_theta_is_checked_at_once(tmp_path):
    """A NaN reference parameter in the file is refused when the file is read."""
    import json

    from rom.io.persist import _HEADER

    path = tmp_path / "bound.npz"
    rom.save(MinTheta(LinearCoefficients.identity(2), np.array([1.0, 1.0]), 1.0), path)
    with np.load(path, allow_pickle=False) as data:
        payload = {k: data[k] for k in data.files}
    name = json.loads(str(payload[_HEADER]))["settings"]["params"]["mu_ref"]["$array"]
    payload[name] = np.array([np.nan, 1.0])
    bad = tmp_path / "bad.npz"
    with open(bad, "wb") as fh:
        np.savez(fh, **payload)
    with pytest.raises(ValueError, match=r"path: .*bad\.npz.*mu_ref: contains NaN"):
        rom.load(bad)

"""The estimator contract, checked for every public estimator of romba.

Like scikit-learn's ``check_estimator``: the constructor stores its arguments and
nothing else; ``get_params`` / ``set_params`` / ``repr`` come from its signature;
``fit`` returns ``self``; use before ``fit`` raises ``rom.NotFittedError``; bad data
gives an error naming the argument; a fitted estimator saves and loads (parts
re-attached by name) and then computes the same results; only the documented
vocabulary is used. The cases live in ``tests/<package>/contract_cases.py``.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import numpy as np
import pytest
import scipy.sparse

import rom
from rom._base import Estimator
from rom.io.registry import CLASSES, alias_of, class_of

# ------------------------------------------------------------------ discovery
SUBPACKAGES = sorted(
    m.name
    for m in pkgutil.iter_modules(rom.__path__, "rom.")
    if m.ispkg and m.name not in ("rom.demo",)
)


def public_classes() -> dict[str, type]:
    found = {}
    for name in ["rom", *SUBPACKAGES]:
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr)
            if inspect.isclass(obj) and obj.__module__.startswith("rom."):
                found[f"{obj.__module__}:{obj.__qualname__}"] = obj
    return found


def public_estimators() -> dict[str, type]:
    """Public classes that are fitted (``fit``) or are the saved result of a fit."""
    return {
        k: c
        for k, c in public_classes().items()
        if issubclass(c, Estimator)
        or callable(getattr(c, "fit", None))
        or callable(getattr(c, "save", None))
    }


#: estimators whose cases need an optional dependency that is not installed: a
#: contract_cases.py lists them as "module:qualname" in UNAVAILABLE
UNAVAILABLE: set[str] = set()


def all_cases():
    cases = []
    for module in sorted(pkgutil.iter_modules(["tests"], "tests.")):
        if not module.ispkg:
            continue
        try:
            cases_module = importlib.import_module(f"{module.name}.contract_cases")
        except ModuleNotFoundError as err:
            if err.name != f"{module.name}.contract_cases":
                raise
            continue
        cases.extend(cases_module.CASES)
        UNAVAILABLE.update(getattr(cases_module, "UNAVAILABLE", ()))
    return cases


CASES = all_cases()
FITTED = [c for c in CASES if c.make is None]
case_params = pytest.mark.parametrize("case", FITTED, ids=[c.id for c in FITTED])
any_case = pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])


def fitted(case):
    """A fitted estimator of the case."""
    if case.make is not None:
        return case.make()
    est = case.cls(**case.params)
    case.fit(est)
    return est


#: names that the vocabulary replaced (conventions page), never to come back
RETIRED = {
    "max_basis": "max_terms",
    "max_extensions": "max_terms",
    "n_max": "max_terms",
    "n_deim": "deim_rank",
    "hyper_reduction": "hyperreduction",
    "seed": "random_state",
    "space": "parameter_space",
    "samples": "training_set",
}
STOP_REASONS = {"tol", "max_terms", "exhausted", "degenerate"}


# ------------------------------------------------------------------ completeness
def test_every_public_estimator_has_a_contract_case():
    covered = {f"{c.cls.__module__}:{c.cls.__qualname__}" for c in CASES}
    missing = sorted(set(public_estimators()) - covered - UNAVAILABLE)
    assert not missing, f"public estimators without a case in tests/*/contract_cases.py: {missing}"


def test_every_public_estimator_derives_from_the_base():
    loose = sorted(k for k, c in public_estimators().items() if not issubclass(c, Estimator))
    assert not loose, f"estimators outside rom._base.Estimator: {loose}"


def test_every_estimator_has_one_alias_that_names_it():
    for key, cls in public_estimators().items():
        alias = alias_of(cls)
        assert alias is not None, f"{key} has no alias in rom.io.registry"
        assert class_of(alias) is cls
    assert len(set(CLASSES.values())) == len(CLASSES)
    for alias in CLASSES:
        assert hasattr(class_of(alias), "_from_arrays"), alias


# ------------------------------------------------------------------ the checks
@case_params
def test_constructor_only_stores_its_arguments(case):
    est = case.cls(**case.params)
    assert isinstance(est, Estimator)
    names = case.cls._param_names()
    assert set(vars(est)) == set(names), f"__init__ set {sorted(set(vars(est)) - set(names))}"
    for key, value in case.params.items():
        assert getattr(est, key) is value, f"{key} was not stored as given"


@any_case
def test_get_params_set_params_and_repr(case):
    est = case.cls(**case.params) if case.make is None else case.make()
    params = est.get_params(deep=False)
    assert list(params) == case.cls._param_names()
    clone = case.cls(**params)
    assert repr(clone) == repr(est)
    assert repr(est).startswith(f"{case.cls.__name__}(")
    for key, value in params.items():
        assert clone.get_params(deep=False)[key] is value
    first = case.cls._param_names()[0]
    assert est.set_params(**{first: params[first]}) is est
    with pytest.raises(ValueError, match="not_a_parameter: not a parameter"):
        est.set_params(not_a_parameter=1)


@case_params
def test_use_before_fit_raises_not_fitted(case):
    with pytest.raises(rom.NotFittedError, match="not fitted"):
        case.use(case.cls(**case.params))


@case_params
def test_fit_returns_self_and_learns_underscored_attributes(case):
    est = case.cls(**case.params)
    assert case.fit(est) is est
    added = set(vars(est)) - set(case.cls._param_names())
    assert added, "fit learned nothing"
    assert all(k.endswith("_") or k.startswith("_") for k in added), sorted(added)
    assert all(getattr(est, k) is v for k, v in case.params.items()), "fit changed a parameter"


@case_params
def test_bad_data_names_the_argument(case):
    for call, match in case.bad:
        with pytest.raises((ValueError, TypeError), match=match):
            call(case.cls(**case.params))


@any_case
def test_public_methods_name_the_bad_argument(case):
    """Wrong-type and wrong-shape arguments to the methods of a fitted estimator."""
    est = fitted(case)
    for call, match in case.calls:
        with pytest.raises((ValueError, TypeError), match=match):
            call(est)


#: arguments no public method can use: a string, a 3-D array, an arbitrary object
UNUSABLE = {"a string": "abc", "a 3-D array": np.ones((3, 3, 3)), "an object": object()}
#: methods that are not part of the check: fitting and saving have their own tests
NOT_PROBED = {"fit", "fit_transform", "partial_fit", "get_params", "set_params", "save"}


def _public_methods(est):
    """The public methods that romba defines on ``est`` (user callables held as
    attributes are the user's, not romba's), with their required positional
    parameters."""
    for name, meth in inspect.getmembers(est, predicate=inspect.isroutine):
        if name.startswith("_") or name.startswith("from_") or name in NOT_PROBED:
            continue
        if not any(name in vars(klass) for klass in type(est).__mro__):
            continue  # an attribute of the instance
        if not getattr(meth, "__module__", "").startswith("rom"):
            continue
        params = [
            p
            for p in inspect.signature(meth).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        required = [p for p in params if p.default is p.empty]
        if required:
            yield name, meth, [p.name for p in params], len(required)


@any_case
def test_every_public_method_rejects_unusable_arguments(case):
    """Every public method of every fitted estimator, given an argument it cannot use
    in each required position: a ValueError or TypeError naming the argument, or an
    error about the estimator's state (RuntimeError, NotFittedError) — never a raw
    NumPy or Python error, never a silent result (a predicate may answer False)."""
    est = fitted(case)
    for name, meth, names, n_required in _public_methods(est):
        for label, bad in UNUSABLE.items():
            try:
                result = meth(*[bad] * n_required)
            except (ValueError, TypeError) as err:
                assert any(n in str(err) for n in [*names, name]), (
                    f"{name}({label}): the message does not name the argument: {err}"
                )
            except RuntimeError:  # the estimator's state (NotFittedError is a ValueError)
                pass
            else:
                assert result is False, f"{name}({label}) returned {type(result).__name__}"


def _same(a, b, rtol):
    if isinstance(a, tuple | list):
        assert isinstance(b, tuple | list) and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y, rtol)
        return
    if scipy.sparse.issparse(a):
        a, b = a.toarray(), b.toarray()
    if isinstance(a, str | type(None)):
        assert a == b
        return
    a, b = np.asarray(rom.backend.to_numpy(a)), np.asarray(rom.backend.to_numpy(b))
    assert a.shape == b.shape and a.dtype == b.dtype
    scale = max(float(np.max(np.abs(a), initial=0.0)), 1e-300)
    np.testing.assert_allclose(b, a, rtol=0, atol=rtol * scale)


@any_case
def test_save_and_load_give_the_same_results(case, tmp_path):
    est = fitted(case)
    path = tmp_path / "model.npz"
    est.save(path)
    back = rom.load(path, **case.parts)
    assert type(back) is type(est)
    assert repr(back) == repr(est)
    _same(case.use(est), case.use(back), case.rtol)
    if case.parts:
        with pytest.raises(ValueError, match=r"give them to rom.load by name"):
            rom.load(path)


@any_case
def test_vocabulary(case):
    for name in case.cls._param_names():
        assert name not in RETIRED, f"{name}: the vocabulary says {RETIRED[name]}"
    est = fitted(case)
    if "max_terms" in case.cls._param_names():
        assert isinstance(est.n_terms_, int)
        assert est.stop_reason_ in STOP_REASONS
    if hasattr(est, "stop_reason_"):
        assert est.stop_reason_ in STOP_REASONS

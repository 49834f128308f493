"""The estimator base every romba model shares: parameters, repr, fitted state, saving.

The contract (checked for every public estimator by ``tests/test_contract.py``):

- ``__init__`` stores its arguments as given, under their own names, and does nothing
  else; the work happens in ``fit`` (or a method named on the class's page), which
  returns ``self``;
- learned state lives in attributes ending with ``_``; using an estimator before it is
  fitted raises :class:`NotFittedError`;
- :meth:`Estimator.get_params` / :meth:`Estimator.set_params` and the ``repr`` come
  from the ``__init__`` signature;
- :meth:`Estimator.save` writes the parameters and every fitted attribute with
  :func:`rom.save`; what cannot be stored without code is named in the file and given
  back to :func:`rom.load` by name.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import numpy as np

from rom.validation import NotFittedError

__all__ = ["Estimator"]


class Estimator:
    """Base class of romba's estimators.

    Subclasses declare their parameters in ``__init__`` (keyword arguments stored
    under their own names) and their learned state in attributes ending with ``_``.
    Everything else (parameters, ``repr``, the fitted check, saving) comes from here.

    Class attributes a subclass may set:

    - ``_fit_method``: the name of the method that fits (``"fit"``), for messages;
    - ``_fitted_marker``: the fitted attribute whose presence means "fitted" (by
      default any public attribute ending with ``_``).
    """

    _fit_method: ClassVar[str] = "fit"
    _fitted_marker: ClassVar[str | None] = None

    # ------------------------------------------------------------------ parameters
    @classmethod
    def _param_names(cls) -> list[str]:
        """The names of the ``__init__`` parameters, in order."""
        init = cls.__init__
        if init is object.__init__:
            return []
        names = []
        for p in inspect.signature(init).parameters.values():
            if p.name == "self":
                continue
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise TypeError(
                    f"{cls.__name__}: estimators take named parameters only (no *args/**kwargs)"
                )
            names.append(p.name)
        return names

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's parameters as stored.

        Parameters
        ----------
        deep : bool
            Also return the parameters of parameters that are estimators themselves,
            as ``"<name>__<parameter>"`` (scikit-learn's convention).

        Returns
        -------
        dict

        Examples
        --------
        >>> import rom
        >>> rom.POD(rank=3).get_params()["rank"]
        3
        """
        params = {}
        for name in self._param_names():
            value = getattr(self, name)
            params[name] = value
            if deep and isinstance(value, Estimator):
                for key, sub in value.get_params(deep=True).items():
                    params[f"{name}__{key}"] = sub
        return params

    def set_params(self, **params: Any) -> Estimator:
        """Set constructor parameters (``"<name>__<parameter>"`` for nested ones).

        Returns
        -------
        self

        Raises
        ------
        ValueError
            A name that is not a parameter of this estimator.

        Examples
        --------
        >>> import rom
        >>> rom.POD(rank=3).set_params(rank=5).rank
        5
        """
        valid = self._param_names()
        nested: dict[str, dict[str, Any]] = {}
        for key, value in params.items():
            name, _, sub = key.partition("__")
            if name not in valid:
                raise ValueError(
                    f"{key}: not a parameter of {type(self).__name__} (parameters: {valid})"
                )
            if sub:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
        for name, sub_params in nested.items():
            target = getattr(self, name)
            if not isinstance(target, Estimator):
                raise ValueError(f"{name}: {type(target).__name__} has no parameters to set")
            target.set_params(**sub_params)
        return self

    def __repr__(self) -> str:
        signature = inspect.signature(type(self).__init__)
        shown = []
        for name in self._param_names():
            value = getattr(self, name, None)
            default = signature.parameters[name].default
            if default is not inspect.Parameter.empty and _same(value, default):
                continue
            shown.append(f"{name}={_short_repr(value)}")
        return f"{type(self).__name__}({', '.join(shown)})"

    # ------------------------------------------------------------------ fitted state
    def _fitted_names(self) -> list[str]:
        """The learned attributes: public names ending with ``_``."""
        return [k for k in vars(self) if k.endswith("_") and not k.startswith("_")]

    def _is_fitted(self) -> bool:
        if self._fitted_marker is not None:
            return self._fitted_marker in vars(self)
        return bool(self._fitted_names())

    def _check_fitted(self) -> None:
        """Raise :class:`NotFittedError` unless the estimator has been fitted."""
        if not self._is_fitted():
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet: "
                f"call {self._fit_method}(...) before using it"
            )

    # ------------------------------------------------------------------ persistence
    def save(self, path: Any) -> None:
        """Save to ``path``: ``.npz`` arrays and a JSON header (see :func:`rom.save`).

        Parameters
        ----------
        path : str or path-like
        """
        from rom.io.persist import save

        save(self, path)

    def _to_arrays(self) -> tuple[dict, dict]:
        """The state to save: ``(settings, arrays)`` (see :mod:`rom.io.persist`)."""
        from rom.io.persist import encode_state

        self._check_fitted()
        return encode_state(self, self.get_params(deep=False), self._fitted_state())

    def _fitted_state(self) -> dict[str, Any]:
        """The fitted attributes to save (all of them by default)."""
        return {name: getattr(self, name) for name in self._fitted_names()}

    @classmethod
    def _from_arrays(cls, settings: dict, arrays: dict) -> Estimator:
        from rom.io.persist import decode_state

        params, fitted = decode_state(cls, settings, arrays)
        obj = cls(**params)
        for name, value in fitted.items():
            setattr(obj, name, value)
        obj._restore()
        return obj

    def _restore(self) -> None:
        """Rebuild private state from the loaded public state (and check it)."""


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return False
    try:
        return bool(a == b) and type(a) is type(b)
    except Exception:
        return False


def _short_repr(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"<array {value.shape} {value.dtype}>"
    if hasattr(value, "nnz") and hasattr(value, "shape"):
        return f"<sparse {value.shape}>"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."

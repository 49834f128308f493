"""The estimator contract's cases: how to build, fit, use and break each estimator.

Each test package lists its estimators in ``contract_cases.py`` as ``CASES``, a list
of :class:`Case`; ``tests/test_contract.py`` runs the same checks on every one of
them and fails when a public estimator of romba has no case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Case:
    """One estimator configuration, with small data.

    Attributes
    ----------
    cls : type
        The estimator class.
    params : dict
        Constructor arguments (passed as given: the estimator must store them as is).
    fit : callable
        ``fit(est)`` fits ``est`` on the case's data and returns what ``fit`` returned.
    use : callable
        ``use(est)`` returns what the fitted estimator computes (an array, or a tuple
        of arrays and numbers): compared before and after saving, and used to check
        that an unfitted estimator raises ``NotFittedError``.
    bad : list of (callable, str)
        Calls that must raise ``ValueError`` or ``TypeError`` whose message matches the
        regular expression (which names the argument): NaN or inf in the data, a wrong
        shape.
    parts : dict
        What ``rom.load`` needs back by name (user callables, full-order models).
    id : str
        Shown in the test names.
    rtol : float
        Tolerance of the save / load comparison, relative to the largest entry.
    calls : list of (callable, str)
        Calls on a *fitted* estimator (the one of ``fit``, or of ``make``) with
        wrong-type or wrong-shape arguments for its public methods: each must raise
        ``ValueError`` or ``TypeError`` whose message matches the regular expression
        (which names the argument), never a raw NumPy or Python error.
    make : callable, optional
        For objects built by another estimator rather than fitted by their own
        ``fit`` (a reduced model built by a reduced basis greedy): ``make()`` returns
        one, and only the checks of parameters, saving and vocabulary apply (``params``
        and ``fit`` are then unused).
    """

    cls: type
    params: dict = field(default_factory=dict)
    fit: Callable[[Any], Any] | None = None
    use: Callable[[Any], Any] = lambda est: None
    bad: list[tuple[Callable[[Any], Any], str]] = field(default_factory=list)
    parts: dict = field(default_factory=dict)
    id: str = ""
    rtol: float = 1e-12
    make: Callable[[], Any] | None = None
    calls: list[tuple[Callable[[Any], Any], str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.id = self.id or self.cls.__name__

"""The one progress bar of romba: tqdm on a terminal, nothing elsewhere."""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["progress_bar"]


class _Silent:
    """Stands in for a bar when progress is off: every call does nothing."""

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix(self, *args: Any, **kwargs: Any) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> _Silent:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


def progress_bar(progress: bool | None, total: int | None, desc: str, unit: str = "it") -> Any:
    """A tqdm bar, or a silent stand-in with the same ``update``/``set_postfix``/``close``.

    Parameters
    ----------
    progress : bool or None
        True shows the bar, False hides it, None shows it when standard error is a
        terminal (the library default: nothing in logs or notebooks run as tests).
    total : int or None
        The expected number of steps (None when unknown, e.g. a greedy with a
        tolerance only).
    desc, unit : str
        The bar's label and step unit.

    Examples
    --------
    >>> from rom._progress import progress_bar
    >>> with progress_bar(False, 3, "demo") as bar:
    ...     for _ in range(3):
    ...         bar.update(1)
    """
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return _Silent()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, leave=False)

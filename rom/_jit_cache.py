"""Where numba caches romba's compiled kernels: a user cache directory, never the package.

numba's default puts a cached kernel beside its source, in the package's
``__pycache__``. For an installed romba that is ``site-packages/rom/...``: files pip
does not know about, which it leaves behind on uninstall, and the leftover ``rom/``
folder then shadows a later (editable) install as an empty namespace package. So the
``_numba.py`` modules call :func:`register` before they compile anything, and the
kernels of files inside the ``rom`` package are cached under

- ``$NUMBA_CACHE_DIR`` when the user set it (numba's own rule, unchanged);
- otherwise ``$ROMBA_CACHE_DIR/numba``, or ``$XDG_CACHE_HOME/romba/numba``, or
  ``~/.cache/romba/numba``.

Other packages' kernels are left to numba's usual locators. Where no cache
directory can be written, numba falls back to its usual locators, and finally to no
cache at all.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir", "register"]

_PACKAGE = Path(__file__).resolve().parent
_registered = False


def cache_dir() -> Path:
    """The directory under which romba's compiled kernels are cached."""
    root = os.environ.get("ROMBA_CACHE_DIR")
    if root:
        return Path(root) / "numba"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "romba" / "numba"


def register() -> None:
    """Put romba's cache locator in numba's list, once (before any kernel compiles)."""
    global _registered
    if _registered:
        return
    from numba.core import caching

    # public names since numba 0.61, underscored before
    user_provided = (
        getattr(caching, "UserProvidedCacheLocator", None) or caching._UserProvidedCacheLocator
    )
    impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl

    class RombaCacheLocator(user_provided):
        """Caches the kernels of romba's own files in :func:`cache_dir`."""

        def __init__(self, py_func, py_file):
            super().__init__(py_func, py_file)
            # one folder per source folder (its name and a hash of its path, as numba's)
            self._cache_path = str(cache_dir() / self.get_suitable_cache_subpath(py_file))

        @classmethod
        def from_function(cls, py_func, py_file):
            try:
                Path(py_file).resolve().relative_to(_PACKAGE)
            except ValueError:  # not a romba file
                return None
            # numba's own setting wins
            if caching.config.CACHE_DIR:
                return None
            return super(user_provided, cls).from_function(py_func, py_file)

    locators = impl._locator_classes
    # after numba's user-provided directory, before the in-tree __pycache__
    locators.insert(1 if locators and locators[0] is user_provided else 0, RombaCacheLocator)
    _registered = True

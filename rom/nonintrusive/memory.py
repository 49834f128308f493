"""Memory sizes: read them (``"4GB"``), find the machine's, write them for people."""

from __future__ import annotations

import os
import re
from typing import Any

__all__ = ["format_bytes", "parse_memory", "physical_memory"]


#: the units of :func:`parse_memory` (lower case): decimal and binary prefixes
_MEMORY_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_MEMORY = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-z]*)\s*")


def parse_memory(value: Any, name: str = "memory") -> int:
    """A memory size in bytes, from ``"4GB"``, ``"512MB"``, ``"1.5GiB"``, ``"2 GB"`` or an int.

    Decimal units are powers of 1000 (``kB``, ``MB``, ``GB``, ``TB``), binary ones
    powers of 1024 (``KiB``, ``MiB``, ``GiB``, ``TiB``); units are not case-sensitive,
    a space may separate them from the number, and ``B`` or no unit means bytes (a
    whole number then). A Python ``int`` is a number of bytes. The size is rounded
    down to whole bytes and must be positive.

    Parameters
    ----------
    value : str or int
        The size.
    name : str
        The argument's name in error messages.

    Returns
    -------
    int
        The size in bytes.

    Raises
    ------
    ValueError
        ``value`` is not such a size, or it is zero or negative.

    Examples
    --------
    >>> from rom.nonintrusive.memory import parse_memory
    >>> parse_memory("4GB"), parse_memory("1.5GiB"), parse_memory("2 gb"), parse_memory(512)
    (4000000000, 1610612736, 2000000000, 512)
    """
    expected = (
        'a positive memory size such as "4GB", "512MB", "1.5GiB" (GB = 1e9 bytes, '
        "GiB = 2**30) or a whole number of bytes"
    )
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    elif isinstance(value, str) and (match := _MEMORY.fullmatch(value)):
        number, unit = match.groups()
        unit = unit.lower()
        fractional = any(c in number for c in ".eE")
        if unit not in _MEMORY_UNITS or (fractional and _MEMORY_UNITS[unit] == 1):
            raise ValueError(f"{name}: expected {expected}, got {value!r}")
        factor = _MEMORY_UNITS[unit]
        scaled = float(number) * factor
        if fractional and not scaled < 2**63:  # inf, or more than any machine holds
            raise ValueError(f"{name}: expected {expected}, got {value!r}")
        size = int(scaled) if fractional else int(number) * factor
    else:
        raise ValueError(f"{name}: expected {expected}, got {value!r}")
    if size < 1:
        raise ValueError(f"{name}: expected {expected}, got {value!r} ({size} bytes)")
    return size


def physical_memory() -> int | None:
    """The machine's physical memory in bytes (None where it cannot be found).

    From ``os.sysconf`` (page size times number of pages, POSIX), else from psutil
    when it is installed.

    Returns
    -------
    int or None

    Examples
    --------
    >>> from rom.nonintrusive.memory import physical_memory
    >>> total = physical_memory()
    >>> total is None or total > 2**20
    True
    """
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        total = -1
    if total > 0:
        return int(total)
    try:
        import psutil
    except ImportError:
        return None
    return int(psutil.virtual_memory().total)


def format_bytes(size: float) -> str:
    """A size in bytes with a decimal unit: ``"512 B"``, ``"15.4 kB"``, ``"6.4 GB"``.

    Parameters
    ----------
    size : float
        Bytes.

    Returns
    -------
    str

    Examples
    --------
    >>> from rom.nonintrusive.memory import format_bytes
    >>> format_bytes(512), format_bytes(15360), format_bytes(6.4e9)
    ('512 B', '15.4 kB', '6.4 GB')
    """
    for unit, factor in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{int(size)} B"

import os

import pytest

from rom.nonintrusive.memory import format_bytes, parse_memory, physical_memory


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("4GB", 4 * 10**9),
        ("512MB", 512 * 10**6),
        ("1.5GiB", 3 * 2**29),
        ("2 GB", 2 * 10**9),
        (" 3 kib ", 3 * 2**10),
        ("1e3kB", 10**6),
        ("100B", 100),
        ("4096", 4096),
        (4096, 4096),
    ],
)
def test_parse_memory_reads_decimal_and_binary_units(text, size):
    assert parse_memory(text) == size


@pytest.mark.parametrize(
    "value",
    ["0GB", 0, -5, "-1GB", "4 parsecs", "1.5", "GB", "", "1e999GB", 4e9, True, None, [4]],
)
def test_parse_memory_refuses_what_is_not_a_positive_size(value):
    with pytest.raises(ValueError, match=r"^memory: expected a positive memory size"):
        parse_memory(value)


def test_physical_memory_is_pages_times_page_size():
    assert physical_memory() == os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def test_physical_memory_falls_back_on_psutil(monkeypatch):
    psutil = pytest.importorskip("psutil", reason="the fallback reads psutil")

    def unavailable(name):
        raise ValueError(name)

    monkeypatch.setattr(os, "sysconf", unavailable)
    assert physical_memory() == psutil.virtual_memory().total


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 B"), (999, "999 B"), (1000, "1.0 kB"), (15360, "15.4 kB"), (6.4e9, "6.4 GB")],
)
def test_format_bytes_uses_decimal_units(size, text):
    assert format_bytes(size) == text

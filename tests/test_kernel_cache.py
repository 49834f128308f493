"""numba caches romba's kernels in a user cache directory, never inside the package.

Regression: cached kernels written into ``site-packages/rom/**/__pycache__`` survived
``pip uninstall`` and turned the leftover folder into a namespace package that
shadowed the next (editable) install.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import rom

PROBE = """
import json, sys
import numpy as np
import fem_examples.lagrangian_1d as examples
import rom.rb._numba as kernels
from rom.eim import EIM
EIM(max_terms=2, backend="numba").fit(np.random.default_rng(0).standard_normal((30, 6)))
paths = sorted({getattr(m, n)._cache._cache_path for m in (kernels, examples) for n in dir(m)
                if hasattr(getattr(m, n), "_cache")})
print(json.dumps(paths))
"""


def _run(env_updates: dict, tmp_path: Path) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "ROMBA_CACHE_DIR")}
    env.update(env_updates)
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_kernels_are_cached_under_the_user_cache_directory(tmp_path):
    top = Path(rom.__file__).resolve().parents[1]

    def cached_in_packages():
        return {p for name in ("rom", "fem_examples") for p in (top / name).rglob("*.nb[ic]")}

    before = cached_in_packages()
    paths = _run({"XDG_CACHE_HOME": str(tmp_path / "xdg")}, tmp_path)
    assert any("lagrangian_1d" not in p for p in paths) and len(paths) >= 2
    assert all(p.startswith(str(tmp_path / "xdg" / "romba" / "numba")) for p in paths)
    # the EIM's kernels compiled and were written there, and nothing new in the package
    assert list((tmp_path / "xdg" / "romba" / "numba").rglob("*.nbi"))
    assert cached_in_packages() <= before


def test_romba_and_numba_cache_variables_are_honoured(tmp_path):
    paths = _run({"ROMBA_CACHE_DIR": str(tmp_path / "r")}, tmp_path)
    assert all(p.startswith(str(tmp_path / "r" / "numba")) for p in paths)
    paths = _run({"NUMBA_CACHE_DIR": str(tmp_path / "n"), "ROMBA_CACHE_DIR": "x"}, tmp_path)
    assert all(p.startswith(str(tmp_path / "n")) for p in paths)

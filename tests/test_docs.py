"""The documentation: the Sphinx site builds without warnings, its first example runs."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path):
    build_main = pytest.importorskip("sphinx.cmd.build").build_main
    pytest.importorskip("numpydoc")
    pytest.importorskip("myst_parser")
    out = tmp_path / "html"
    log = io.StringIO()
    args = ["-W", "--keep-going", "-E", "-q", "-b", "html", "-d", str(tmp_path / "doctrees")]
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        status = build_main([*args, str(DOCS), str(out)])
    assert status == 0, f"sphinx-build -W failed:\n{log.getvalue()}"
    assert (out / "index.html").is_file()


def _python_blocks(page: Path) -> list[str]:
    """The ``.. code-block:: python`` blocks of a reStructuredText page, dedented."""
    blocks = []
    pattern = re.compile(r"^\.\. code-block:: python\n\n((?:(?:   .*)?\n)+)", re.MULTILINE)
    for match in pattern.finditer(page.read_text()):
        lines = [line[3:] for line in match.group(1).splitlines()]
        blocks.append("\n".join(lines).strip() + "\n")
    return blocks


def test_getting_started_example_runs(tmp_path, monkeypatch):
    blocks = _python_blocks(DOCS / "getting-started.rst")
    assert blocks, "no python example found in getting-started.rst"
    monkeypatch.chdir(tmp_path)  # the example saves pod.npz in the working directory
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(blocks[0], "getting-started.rst", "exec"), namespace)
    pod = namespace["pod"]
    assert pod.rank_ == 29
    assert (tmp_path / "pod.npz").is_file()
    assert namespace["pod"].projection_error(namespace["S_test"]).max() < 1e-6

"""Notebook 06 leaves nothing behind in the temporary directory."""

import json
from pathlib import Path

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "06_external_solver.ipynb"


def test_the_working_directory_is_removed_at_the_end():
    """It left a /tmp/rom-notebook-* directory behind on every run (mkdtemp, no cleanup)."""
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    assert not any("mkdtemp" in source for source in code)
    assert any("tempfile.TemporaryDirectory(" in source for source in code[:2])
    # the last code cell removes it, and checks (the suite runs the notebook)
    assert "workdir.cleanup()" in code[-1] and "assert not work.exists()" in code[-1]

"""The documentation: the Sphinx site builds without warnings (numpydoc validation on),
every notebook and guide page is in it, and every example of the guide runs."""

from __future__ import annotations

import contextlib
import inspect
import io
import re
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
NOTEBOOKS = DOCS.parent / "notebooks"
GUIDE_PAGES = sorted(
    p for p in (DOCS / "guide").glob("*.rst") if p.stem not in ("index", "notebooks")
)


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path):
    build_main = pytest.importorskip("sphinx.cmd.build").build_main
    pytest.importorskip("numpydoc")
    pytest.importorskip("myst_nb")
    out = tmp_path / "html"
    log = io.StringIO()
    args = ["-W", "--keep-going", "-E", "-q", "-b", "html", "-d", str(tmp_path / "doctrees")]
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        status = build_main([*args, str(DOCS), str(out)])
    assert status == 0, f"sphinx-build -W failed:\n{log.getvalue()}"
    assert "Validation warnings" not in log.getvalue()
    assert (out / "index.html").is_file()
    # every notebook is a page of the site, with its code (the suite builds them without
    # running them: nbmake runs them already; ROMBA_DOCS_EXECUTE=1 runs them here too)
    notebooks = sorted(NOTEBOOKS.glob("*.ipynb"))
    assert notebooks
    for notebook in notebooks:
        page = out / "notebooks" / f"{notebook.stem}.html"
        assert page.is_file(), f"{notebook.name} is not in the documentation"
        assert "cell_input" in page.read_text(), f"{page.name} shows no code cell"
    for guide in GUIDE_PAGES:
        assert (out / "guide" / f"{guide.stem}.html").is_file()
    # the campaign reference table lists every key of the schema the reader validates
    from rom.nonintrusive.spec import SCHEMA

    html = (out / "guide" / "surrogate.html").read_text()
    for section, (_, keys) in SCHEMA.items():
        assert f"[{section}]" in html
        for key in keys:
            assert (
                f'<span class="pre">{key.replace("<", "&lt;").replace(">", "&gt;")}</span>' in html
            )


def test_validation_checks_are_on():
    """The build fails on a documented parameter that does not exist or a missing one."""
    conf = (DOCS / "conf.py").read_text()
    match = re.search(r"^numpydoc_validation_checks = (\{.*\})$", conf, re.MULTILINE)
    assert match, "numpydoc_validation_checks is not set in docs/conf.py"
    assert {"PR01", "PR02"} <= eval(match.group(1))
    assert '"myst_nb"' in conf and '"myst_parser"' not in conf  # myst_nb includes the parser


_BLOCK = re.compile(
    r"^\.\. code-block:: (\w+)\n((?:   :\w+:.*\n)*)\n((?:(?:   .*)?\n)+)", re.MULTILINE
)


def _blocks(page: Path) -> list[tuple[str, str | None, str]]:
    """The ``.. code-block::`` blocks of a page: (language, file name, code), dedented.

    A block with a ``:caption:`` that is a file name (``model.py``, ``campaign.toml``)
    is a file of the example: it is written to disk, not run.
    """
    blocks = []
    for match in _BLOCK.finditer(page.read_text()):
        options = dict(re.findall(r"^   :(\w+):\s*(.*)$", match.group(2), re.MULTILINE))
        caption = options.get("caption", "").strip()
        name = caption if re.fullmatch(r"[\w.-]+\.\w+", caption) else None
        code = "\n".join(line[3:] for line in match.group(3).splitlines()).strip() + "\n"
        blocks.append((match.group(1), name, code))
    return blocks


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


def _run_page(page: Path, tmp_path: Path, monkeypatch) -> dict:
    """Run a guide page: files are written, python blocks run in order, in ``tmp_path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    blocks = _blocks(page)
    assert any(lang == "python" and name is None for lang, name, _ in blocks)
    namespace: dict = {"__name__": f"guide_{page.stem}"}
    modules = set(sys.modules)
    try:
        for lang, name, code in blocks:
            if name is not None:
                (tmp_path / name).write_text(code)
            elif lang == "python":
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(code, str(page), "exec"), namespace)
    finally:
        plt.close("all")
        for module in set(sys.modules) - modules:  # the page's own modules (heat_model, ...)
            if getattr(sys.modules[module], "__file__", "") and str(tmp_path) in str(
                sys.modules[module].__file__
            ):
                del sys.modules[module]
    return namespace


@pytest.mark.slow
@pytest.mark.parametrize("page", GUIDE_PAGES, ids=lambda p: p.stem)
def test_guide_page_runs(page, tmp_path, monkeypatch):
    if page.stem == "scaling":
        pytest.importorskip("distributed", reason="the page runs a dask client")
    if page.stem == "surrogate":
        pytest.importorskip("ipywidgets", reason="the page runs the parameter explorer")
    namespace = _run_page(page, tmp_path, monkeypatch)
    if page.stem == "surrogate":
        assert (tmp_path / "surrogate.npz").is_file() and (tmp_path / "errors.png").is_file()
    if page.stem == "reduced_basis":
        assert namespace["rb"].stop_reason_ == "tol"
        assert (namespace["true"] <= namespace["bounds"] * (1 + 1e-8)).all()


def test_guide_blocks_are_all_run_or_written():
    """A block the runner would skip (another language without a file name) is shell text."""
    for page in GUIDE_PAGES:
        for lang, name, _ in _blocks(page):
            assert name is not None or lang in ("python", "bash", "text"), (page.name, lang)


def test_campaign_schema_defaults_are_the_code_defaults(tmp_path):
    """The reference table is generated from SCHEMA; its defaults are those of the code."""
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        from campaign_reference import table_lines
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    from rom.nonintrusive import RBFRegressor
    from rom.nonintrusive.solvers import CommandSolver
    from rom.nonintrusive.spec import SCHEMA, Spec

    table = "\n".join(table_lines(SCHEMA))
    for _, keys in SCHEMA.values():
        for key in keys:
            assert f"``{key}``" in table
    spec = Spec({"parameters": {"k": [1.0, 2.0]}, "solver": {"python": "m:f"}}, tmp_path)
    sampling, output = SCHEMA["sampling"][1], SCHEMA["output"][1]
    assert sampling["n"].default == str(spec.n)
    assert sampling["method"].default == f'"{spec.method}"'
    assert sampling["random_state"].default == str(spec.random_state)
    assert SCHEMA["store"][1]["path"].default == f'"{spec.store_path.name}"'
    assert output["model"].default == f'"{spec.model_path.name}"'
    assert SCHEMA["executor"][1]["kind"].default == f'"{spec.executor_kind}"'
    assert float(SCHEMA["solver"][1]["timeout"].default) == CommandSolver.DEFAULT_TIMEOUT
    defaults = inspect.signature(RBFRegressor).parameters
    for key, documented in SCHEMA["regressor"][1].items():
        assert documented.default == repr(defaults[key].default).replace("'", '"')
    with pytest.raises(ValueError, match="unknown keys"):
        Spec(
            {"parameters": {"k": [1.0, 2.0]}, "solver": {"python": "m:f"}, "store": {"x": 1}},
            tmp_path,
        )

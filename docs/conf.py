"""Sphinx configuration of the romba documentation.

Build with ``sphinx-build -W -b html docs docs/_build/html`` (warnings are errors).
No extension here needs the network: there is no intersphinx on purpose.
"""

import os
import shutil
import sys
from pathlib import Path

import rom

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

project = "romba"
author = "The romba developers"
copyright = "The romba developers"
version = rom.__version__
release = rom.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",  # includes the MyST parser: never add myst_parser beside it
    "campaign_reference",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**/.ipynb_checkpoints"]
templates_path: list[str] = []

# autodoc: members in source order, type hints in the signature only
autodoc_member_order = "bysource"
autodoc_typehints = "signature"

# numpydoc: no autosummary tables of class members (they would need stub pages)
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False
# A documented parameter that the signature does not have (PR02), a parameter that
# the docstring leaves out (PR01) or lists twice (PR03), and a "Parameters" entry
# without a type (PR04) fail the build.
numpydoc_validation_checks = {"PR01", "PR02", "PR03", "PR04"}
# Private helpers and the members that Python or the estimator base class provide
# are not part of the documented interface.
numpydoc_validation_exclude = {
    r"\._[a-z]",
    r"\.__[a-z]+__$",
}

# MyST (Markdown pages such as benchmarks.md): "$...$" math and pipe tables
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3

# The notebooks of notebooks/ are pages of the site through docs/notebooks, a symbolic
# link to ../notebooks made here (not committed; where links are not available, a copy
# refreshed at every build). They run from their own directory, as in the test suite.
# The suite already runs every notebook once (nbmake), so the build renders them as
# they are, without outputs, unless ROMBA_DOCS_EXECUTE=1 (the docs target): then every
# cell runs at build time (cached under _build/.jupyter_cache), and an error fails it.
_NOTEBOOKS = DOCS.parent / "notebooks"
_NOTEBOOK_PAGES = DOCS / "notebooks"
if not _NOTEBOOK_PAGES.exists() and not _NOTEBOOK_PAGES.is_symlink():
    try:
        _NOTEBOOK_PAGES.symlink_to(Path("..") / "notebooks", target_is_directory=True)
    except OSError:
        _NOTEBOOK_PAGES.mkdir()
if not _NOTEBOOK_PAGES.is_symlink():
    for _old in _NOTEBOOK_PAGES.glob("*.ipynb"):
        if not (_NOTEBOOKS / _old.name).is_file():
            _old.unlink()
    for _nb in sorted(_NOTEBOOKS.glob("*.ipynb")):
        _copy = _NOTEBOOK_PAGES / _nb.name
        if not _copy.is_file() or _copy.read_bytes() != _nb.read_bytes():
            shutil.copyfile(_nb, _copy)
nb_execution_mode = "cache" if os.environ.get("ROMBA_DOCS_EXECUTE") == "1" else "off"
nb_execution_cache_path = str(DOCS / "_build" / ".jupyter_cache")
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_merge_streams = True

math_number_all = False
math_eqref_format = "({number})"

html_theme = "alabaster"
html_title = f"romba {release}"
html_static_path: list[str] = []
html_theme_options = {
    "description": "reduced-order modelling on plain NumPy arrays",
    "fixed_sidebar": True,
}
pygments_style = "sphinx"

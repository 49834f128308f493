"""Sphinx configuration of the romba documentation.

Build with ``sphinx-build -W -b html docs docs/_build/html`` (warnings are errors).
No extension here needs the network: there is no intersphinx on purpose.
"""

import rom

project = "romba"
author = "The romba developers"
copyright = "The romba developers"
version = rom.__version__
release = rom.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
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

# MyST (Markdown pages such as benchmarks.md): "$...$" math and pipe tables
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3

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

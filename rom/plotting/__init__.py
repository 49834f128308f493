"""Matplotlib figures for the notebooks, the docs and the command line.

Curves (greedy convergence, singular values), fields on meshes (1-D lines, 2-D
triangulations with quads split, surfaces in 3-D), galleries of snapshots, modes and
errors, the error over a parameter sample, and an interactive parameter explorer for
notebooks (:func:`explore`, which needs ipywidgets: ``pip install romba[widgets]``).

matplotlib is imported when a function is called, never at ``import rom``. Every
function takes ``ax=`` (where to draw) and returns what it drew.
"""

from rom.plotting.curves import plot_convergence, plot_singular_values
from rom.plotting.explorer import Explorer, evaluate_field, explore
from rom.plotting.fields import PlotMesh, as_mesh, plot_field, update_field
from rom.plotting.galleries import plot_errors, plot_gallery, plot_modes, plot_snapshots
from rom.plotting.parameters import plot_parameter_errors

__all__ = [
    "Explorer",
    "PlotMesh",
    "as_mesh",
    "evaluate_field",
    "explore",
    "plot_convergence",
    "plot_errors",
    "plot_field",
    "plot_gallery",
    "plot_modes",
    "plot_parameter_errors",
    "plot_singular_values",
    "plot_snapshots",
    "update_field",
]

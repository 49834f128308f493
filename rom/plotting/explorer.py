"""An interactive parameter explorer for notebooks (ipywidgets, the ``widgets`` extra)."""

from __future__ import annotations

from typing import Any

import numpy as np

from rom.plotting.fields import as_mesh, plot_field, update_field

__all__ = ["Explorer", "evaluate_field", "explore"]


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def evaluate_field(model: Any, mu: Any) -> np.ndarray:
    """The full field of a model at one parameter set.

    Parameters
    ----------
    model : object
        Anything with ``predict(rows) -> columns`` (:class:`rom.nonintrusive.Surrogate`),
        with ``solve(mu)`` and ``reconstruct(a)`` (:class:`rom.rb.ReducedModel`), or
        a callable ``model(mu) -> field``.
    mu : array (n_params,)
        The parameter set.

    Returns
    -------
    ndarray, shape (n,)
        The field.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.plotting import evaluate_field
    >>> evaluate_field(lambda mu: mu[0] * np.ones(3), np.array([2.0])).tolist()
    [2.0, 2.0, 2.0]
    """
    mu = np.asarray(mu, dtype=float)
    if hasattr(model, "predict"):
        out = np.asarray(model.predict(mu[None, :]))
    elif hasattr(model, "solve") and hasattr(model, "reconstruct"):
        out = np.asarray(model.reconstruct(model.solve(mu)))
    elif callable(model):
        out = np.asarray(model(mu))
    else:
        raise TypeError(
            "model: expected an object with predict(), with solve() and reconstruct(), or a "
            f"callable, got {type(model).__name__}"
        )
    if out.ndim == 2 and 1 in out.shape:
        out = out.ravel()
    if out.ndim != 1:
        raise ValueError(f"model: expected one field per parameter set, got shape {out.shape}")
    return out


class Explorer:
    """Sliders, one per parameter, that redraw a model's field when they move.

    Made by :func:`explore`; shown by a notebook as its widget.

    Parameters
    ----------
    model : object
        See :func:`evaluate_field`.
    parameter_space : ParameterSpace
        Gives the sliders' names, bounds and log scales.
    sliders : dict of str to ipywidgets slider
        The sliders, by parameter name.
    artist : matplotlib artist
        The field's artist (see :func:`plot_field`).
    widget : ipywidgets.Widget
        The box of sliders and the figure output.
    rescale : bool
        Whether the colour scale follows each new field.
    """

    def __init__(
        self,
        model: Any,
        parameter_space: Any,
        sliders: dict,
        artist: Any,
        widget: Any,
        rescale: bool,
    ) -> None:
        self.model = model
        self.parameter_space = parameter_space
        self.sliders = sliders
        self.artist = artist
        self.widget = widget
        self.rescale = rescale
        self._output = None

    @property
    def parameters(self) -> np.ndarray:
        """The parameter set of the sliders, in the order of the space's names."""
        return np.array([float(self.sliders[n].value) for n in self.parameter_space.names])

    def update(self, change: Any = None) -> np.ndarray:
        """Evaluate the model at the sliders' values and redraw the field.

        Parameters
        ----------
        change : dict, optional
            The ipywidgets change notification (unused: the values are read from the
            sliders).

        Returns
        -------
        ndarray
            The field drawn.
        """
        field = evaluate_field(self.model, self.parameters)
        update_field(self.artist, field, rescale=self.rescale)
        self.artist.axes.set_title(
            ", ".join(
                f"{n} = {v:.4g}"
                for n, v in zip(self.parameter_space.names, self.parameters, strict=True)
            )
        )
        self._show()
        return field

    def _show(self) -> None:
        """Draw the figure into the widget's output area (in a notebook kernel only)."""
        if self._output is None or not _in_kernel():
            return
        from IPython.display import display

        with self._output:
            self._output.clear_output(wait=True)
            display(self.artist.axes.figure)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def explore(
    model: Any,
    parameter_space: Any,
    mesh: Any = None,
    *,
    ax: Any = None,
    steps: int = 100,
    rescale: bool = False,
    continuous_update: bool = False,
    **kwargs: Any,
) -> Explorer:
    """Explore a model's fields live in a notebook: one slider per parameter.

    Each slider runs over its parameter's bounds (on a log scale where the space has
    one); moving it evaluates the model (``predict``, or ``solve`` then
    ``reconstruct``) and redraws the field.

    Parameters
    ----------
    model : object
        A :class:`rom.nonintrusive.Surrogate`, a :class:`rom.rb.ReducedModel` with its
        basis, or any object or callable that :func:`evaluate_field` accepts.
    parameter_space : ParameterSpace
        The sliders' names, bounds and scales; they start at the centre of the box
        (the geometric centre on log scales).
    mesh : meshio.Mesh, scikit-fem mesh, (points, cells) or points, optional
        The mesh of the field (default: the field's indices as 1-D points).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.
    steps : int
        Number of slider steps over each parameter's range.
    rescale : bool
        Whether the colour scale follows each new field (default: it stays that of the
        first field, so that colours compare across parameters).
    continuous_update : bool
        Whether to redraw while a slider is dragged, or only when it is released.
    **kwargs
        Passed to :func:`plot_field` (``cmap``, ``vmin``, ``vmax``, ...).

    Returns
    -------
    Explorer
        Displays as the widget; ``explorer.sliders[name].value = x`` moves a slider
        from code.

    Raises
    ------
    ImportError
        When ipywidgets is not installed (``pip install romba[widgets]``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np, rom
    >>> from rom.plotting import explore
    >>> x = np.linspace(0.0, 1.0, 50)
    >>> space = rom.ParameterSpace({"k": (1.0, 10.0)})
    >>> explorer = explore(lambda mu: np.sin(mu[0] * x), space, x)
    >>> explorer.sliders["k"].value = 2.0
    >>> bool(np.allclose(explorer.artist.get_ydata(), np.sin(2.0 * x)))
    True
    """
    from rom.backend import import_optional

    widgets = import_optional("ipywidgets", "widgets")
    if not hasattr(parameter_space, "names") or not hasattr(parameter_space, "bounds"):
        raise TypeError(
            f"parameter_space: expected a rom.ParameterSpace, got {type(parameter_space).__name__}"
        )
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
        raise ValueError(f"steps: expected an integer >= 2, got {steps!r}")
    log = set(parameter_space.log)
    start = {}
    for name in parameter_space.names:
        lo, hi = (float(b) for b in parameter_space.bounds[name])
        start[name] = float(np.sqrt(lo * hi)) if name in log else 0.5 * (lo + hi)
    mu0 = np.array([start[n] for n in parameter_space.names])
    field = evaluate_field(model, mu0)
    if mesh is None:
        mesh = np.arange(len(field), dtype=float)
    artist = plot_field(as_mesh(mesh), field, ax, **kwargs)
    sliders = {}
    for name in parameter_space.names:
        lo, hi = (float(b) for b in parameter_space.bounds[name])
        common = dict(description=name, continuous_update=continuous_update, readout_format=".4g")
        if name in log:
            a, b = np.log10(lo), np.log10(hi)
            sliders[name] = widgets.FloatLogSlider(
                value=start[name], base=10.0, min=a, max=b, step=(b - a) / steps, **common
            )
        else:
            sliders[name] = widgets.FloatSlider(
                value=start[name], min=lo, max=hi, step=(hi - lo) / steps, **common
            )
    output = widgets.Output()
    box = widgets.VBox([*sliders.values(), output])
    explorer = Explorer(model, parameter_space, sliders, artist, box, rescale)
    for slider in sliders.values():
        slider.observe(explorer.update, names="value")
    explorer._output = output
    if ax is None and _in_kernel():
        import matplotlib.pyplot as plt

        plt.close(artist.axes.figure)  # shown in the widget's output, not once more below it
    explorer._show()
    return explorer

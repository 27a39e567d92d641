"""What the lab (experiments.py) and the practice page (practice.py) share: the tasks they train on,
the tables and figures they write, and two facts about relu units. Neither imports the other; both
import this.
"""

import base64
import html
import io

import numpy as np

import datasets
import mlp

# --- the tasks ---------------------------------------------------------------------------------------

MAKERS = {  # name -> (make, noise); the noise levels keep each task learnable but not trivial
    "xor": (datasets.make_xor, 0.2),
    "moons": (datasets.make_moons, 0.2),
    "circles": (datasets.make_circles, 0.1),
}


def make_task(name, n_train=400, n_test=1000):
    """Train and test sets of the task `name`, drawn independently from the same distribution
    (seeds 0 and 1)."""
    make, noise = MAKERS[name]
    return make(n_train, seed=0, noise=noise), make(n_test, seed=1, noise=noise)


TASKS = {name: make_task(name) for name in MAKERS}  # name -> (train, test)


# --- tables ------------------------------------------------------------------------------------------

def markdown_table(header, rows):
    """A Markdown table; floats in rows should already be formatted as strings."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


def pct(x):
    return f"{100 * x:.1f} %"


# --- figures -----------------------------------------------------------------------------------------

def pyplot():
    """matplotlib, imported only when figures are drawn, set up to write the same bytes every run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 110, "font.size": 10, "axes.titlesize": 11,
                         "axes.grid": True, "grid.alpha": 0.3, "legend.fontsize": 9, "svg.hashsalt": "mlp"})
    return plt


def rendered(fig):
    """The figure drawn on its Agg canvas, at its own size: an RGB image (PIL)."""
    from PIL import Image  # matplotlib's own dependency

    fig.canvas.draw()
    return Image.frombuffer("RGBA", fig.canvas.get_width_height(), fig.canvas.buffer_rgba()).convert("RGB")


def page_figure(figsize, title):
    """A figure in the lab's style, with its title, that draws into memory (Agg: canvas.draw(),
    buffer_rgba()). Not pyplot's: nothing keeps it once its owner lets go (a page draws many)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    pyplot()  # the lab's style
    fig = Figure(figsize=figsize, dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    fig.suptitle(title)
    return fig


def png(fig):
    """The figure as PNG bytes, drawn once (savefig would draw it twice): for a page that shows it,
    several times a second, so compressed fast rather than small."""
    buffer = io.BytesIO()
    rendered(fig).save(buffer, "png", compress_level=1)
    return buffer.getvalue()


class Frames:
    """Frames (PNG bytes, alt text, message or None), each made when it is asked for: the page draws
    each as it comes (docs/assets/live/live_runner.py), and Jupyter, shown the whole, the last, with
    its alt text and message."""

    def __init__(self, frames):
        self.frames = frames  # a generator

    def __iter__(self):
        return self

    def __next__(self):
        return next(self.frames)

    def close(self):
        self.frames.close()

    def _repr_html_(self):
        *_, (image, alt, message) = self
        source = f"data:image/png;base64,{base64.b64encode(image).decode()}"
        said = f"<p>{html.escape(message)}</p>" if message else ""
        return f'<img src="{source}" alt="{html.escape(alt)}">{said}'


def save(fig, figdir, name):
    """Save without the metadata that changes between machines or versions, then close."""
    fig.savefig(f"{figdir}/{name}", metadata={"Software": None})
    fig.clf()
    pyplot().close(fig)


SLIDES = "slides"  # visualizations/slides/: every panel of a multi-panel figure, alone
# 8 x 4.5 inches at 200 dpi: 1600 x 900 px, a 16:9 slide; 11 pt type is then 30 px tall.
SLIDE_STYLE = {"figure.figsize": (8, 4.5), "savefig.dpi": 200, "font.size": 11, "axes.titlesize": 12,
               "legend.fontsize": 10}


def legend_outside(fig, ax, where="below", **kwargs):
    """ax's legend under its axes (where="below", in up to 3 columns) or beside them ("right"),
    never over the data."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        if where == "below":
            kwargs = {"ncol": min(3, len(handles)), **kwargs}
        loc = "outside right upper" if where == "right" else "outside lower center"
        fig.legend(handles, labels, loc=loc, **kwargs)


def slide(figdir, name, draw, legend="below", **kwargs):
    """One panel alone for a slide, written to visualizations/slides/NAME at 1600 x 900 px: draw(ax)
    is the function that draws the same panel in its multi-panel figure. legend: "below", "right"
    (legend_outside, with kwargs such as ncol) or None. (A legend on the right would crowd a long
    title: the title is centred over the axes, and the layout does not see it overlap.)"""
    plt = pyplot()
    with plt.rc_context(SLIDE_STYLE):
        fig, ax = plt.subplots(layout="constrained")
        draw(ax)
        if legend:
            legend_outside(fig, ax, legend, **kwargs)
        save(fig, figdir, f"{SLIDES}/{name}")


# --- relu units --------------------------------------------------------------------------------------

def dead_units(params, X):
    """For each hidden layer, a 0/1 mask of its relu units that are never active (z <= 0) on any row of
    X: they get no gradient."""
    _, cache = mlp.forward(params, X, "relu")
    return [~(cache[f"z{l}"] > 0).any(axis=0) for l in range(1, len(params) // 2)]  # hidden layers only


def dead_fraction(params, X):
    """Fraction of hidden relu units that are dead on X (dead_units), all hidden layers together."""
    return float(np.concatenate(dead_units(params, X)).mean())


def negative_bias_init(sizes, seed, bias=-1.0):
    """He weights, hidden biases at `bias`: each relu unit starts with z = x w - 1, off for most inputs."""
    params = mlp.init_params(sizes, "relu", seed)
    for l in range(1, len(sizes) - 1):
        params[f"b{l}"][:] = bias
    return params

"""What the lab (experiments.py) and the practice page (practice.py) share: the tasks they train on,
the tables and figures they write, and two facts about relu units. Neither imports the other; both
import this.
"""

import numpy as np

import datasets
import mlp

# --- the tasks ---------------------------------------------------------------------------------------

def split(make, n_train=400, n_test=1000, **kwargs):
    """Train and test sets drawn independently from the same distribution (seeds 0 and 1)."""
    return make(n_train, seed=0, **kwargs), make(n_test, seed=1, **kwargs)


TASKS = {  # name -> (train, test); the noise levels keep each task learnable but not trivial
    "xor": split(datasets.make_xor, noise=0.2),
    "moons": split(datasets.make_moons, noise=0.2),
    "circles": split(datasets.make_circles, noise=0.1),
}


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


def save(fig, figdir, name):
    """Save without the metadata that changes between machines or versions, then close."""
    fig.savefig(f"{figdir}/{name}", metadata={"Software": None})
    fig.clf()
    pyplot().close(fig)


# --- relu units --------------------------------------------------------------------------------------

def dead_fraction(params, X):
    """Fraction of hidden relu units that are never active (z <= 0) on any row of X: they get no gradient."""
    _, cache = mlp.forward(params, X, "relu")
    dead = [~(cache[f"z{l}"] > 0).any(axis=0) for l in range(1, len(params) // 2)]  # hidden layers only
    return float(np.concatenate(dead).mean())


def negative_bias_init(sizes, seed, bias=-1.0):
    """He weights, hidden biases at `bias`: each relu unit starts with z = x w - 1, off for most inputs."""
    params = mlp.init_params(sizes, "relu", seed)
    for l in range(1, len(sizes) - 1):
        params[f"b{l}"][:] = bias
    return params

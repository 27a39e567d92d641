"""The lab: the experiments, their figures and the command line.

mlp.py is the lesson; this file only uses it. `python experiments.py` (or
`python mlp.py`, which hands over to it) runs every experiment, draws every
figure into visualizations/ and writes every generated table into
experiments_log.md, between its marker comments. Seeds are fixed, so two
runs write the same bytes.
"""

import argparse
import os
import pathlib
import re
import shutil
import sys
import time

import numpy as np

import datasets
import diagnosis
import mlp
import practice
from common import (
    SLIDES,
    TASKS,
    Frames,
    dead_units,
    legend_outside,
    make_task,
    markdown_table,
    negative_bias_init,
    page_figure,
    pct,
    png,
    pyplot,
    rendered,
    save,
    slide,
)
from zoo import BUGS, bug_zoo, gradcheck_problem, planted_mistakes

# ----------------------------------------------------------------------------------------------------
# Experiments. Each returns (tables, headline): tables maps a section name of experiments_log.md to the
# Markdown table generated for it; headline is the one number the progress line prints. Each draws
# its figures into `figdir`. Seeds are fixed, so every run writes the same bytes.
# ----------------------------------------------------------------------------------------------------

def grad_rms(params, X, y, activation, kind="dW"):
    """For each layer l, the root-mean-square of the entries of dL/dW_l (kind "dW"): the typical gradient
    of one weight, which compares layers of different shapes fairly (a norm would grow with the layer's
    size); kind "dz": of the error dz_l that backward sends down (per example, n dL/dz_l)."""
    _, grads = mlp.loss_and_grads(params, X, y, activation)
    return [float(np.sqrt(np.mean(grads[f"{kind}{l}"] ** 2))) for l in range(1, len(params) // 2 + 1)]


def activation_rms(params, X, activation):
    """The root-mean-square of each hidden layer's activations a_1 .. a_{D-1} on X (D layers)."""
    _, cache = mlp.forward(params, X, activation)
    return [float(np.sqrt(np.mean(cache[f"a{l}"] ** 2))) for l in range(1, len(params) // 2)]


def per_layer_factor(depths, ratios):
    """exp of the slope of a least-squares line through log(ratio) against depth: the factor by which
    each added layer multiplies the ratio. (A ratio^(1/depth) would fold the output layer's own end
    effect, the same at every depth, into the factor.)"""
    return float(np.exp(np.polyfit(depths, np.log(ratios), 1)[0]))


def moons_bayes_accuracy(X, y, noise):
    """Accuracy of the best possible classifier on (X, y) from make_moons: the one that knows the true
    class densities (each a Gaussian blur, std noise, of its half circle). No network can beat it."""
    t = np.linspace(0, np.pi, 2001)
    curves = [np.column_stack([np.cos(t), np.sin(t)]), np.column_stack([1 - np.cos(t), 0.5 - np.sin(t)])]
    sq_dist = [((X[:, None, :] - c[None]) ** 2).sum(axis=2) for c in curves]  # (n, 2001) each
    with np.errstate(under="ignore"):  # far points have density 0 to within float64; that is fine
        density = [np.exp(-d / (2 * noise**2)).mean(axis=1) for d in sq_dist]
    return float(np.mean((density[1] > density[0]) == y.ravel()))


# --- figures ---------------------------------------------------------------------------------------

# Told apart with any colour vision (test_a11y simulates protanopia, deuteranopia, tritanopia).
ACTIVATION_COLORS = {"sigmoid": "tab:blue", "tanh": "tab:brown", "relu": "tab:orange"}


PROBABILITY = "$\\hat y = P(y = 1 \\mid x)$"  # the colour scale of plot_field


def with_colorbar(draw):
    """draw(ax), then the colour scale of the field it returns beside the axes: for a slide."""
    def draw_both(ax):
        ax.figure.colorbar(draw(ax), ax=ax, label=PROBABILITY)
    return draw_both


def plot_field(ax, params, activation, train_set, test_set=None, title=""):
    """The probability field y_hat(x) as a filled contour, the 0.5 boundary as a line, and the points."""
    field = draw_field(ax, params, activation, plot_points(ax, train_set, test_set))[0]
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$")
    ax.grid(False)
    return field


def draw_field(ax, params, activation, extent):
    """y_hat(x) on a 150 x 150 grid over extent = (x0, x1, y0, y1), under anything else on ax: a
    filled contour in tenths, and the 0.5 boundary as a black line where there is one."""
    x0, x1, y0, y1 = extent
    gx, gy = np.meshgrid(np.linspace(x0, x1, 150), np.linspace(y0, y1, 150))
    p = mlp.predict_proba(params, np.column_stack([gx.ravel(), gy.ravel()]), activation).reshape(gx.shape)
    drawn = [ax.contourf(gx, gy, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6, zorder=0)]
    if p.min() < 0.5 < p.max():  # else every point is one class: no boundary (matplotlib would warn)
        drawn.append(ax.contour(gx, gy, p, levels=[0.5], colors="k", linewidths=1.2))
    return drawn


def plot_points(ax, train_set, test_set=None):
    """The training points (dots with an edge) and the held-out ones (crosses), coloured by class,
    with a margin of 0.4 around them all: that extent, (x0, x1, y0, y1)."""
    X, y = train_set
    everything = X if test_set is None else np.vstack([X, test_set[0]])
    (x0, y0), (x1, y1) = everything.min(axis=0) - 0.4, everything.max(axis=0) + 0.4
    if test_set is not None:
        Xt, yt = test_set
        ax.scatter(Xt[:, 0], Xt[:, 1], c=yt.ravel(), cmap="RdBu_r", vmin=0, vmax=1, s=9, marker="x",
                   linewidths=0.8, alpha=0.9, label="test")
    ax.scatter(X[:, 0], X[:, 1], c=y.ravel(), cmap="RdBu_r", vmin=0, vmax=1, s=14, edgecolors="k",
               linewidths=0.4, label="train")
    ax.set(xlim=(x0, x1), ylim=(y0, y1))
    return x0, x1, y0, y1


# --- 1. a task no line can solve -------------------------------------------------------------------

SNAPSHOTS, SNAPSHOTS_QUICK = [0, 10, 30, 100, 300, 1000], [0, 3, 6, 10, 20, 30]  # epochs drawn

def experiment_nonlinear(figdir, quick=False):
    """[2, 16, 1] with train's defaults on two moons and XOR: loss curves, decision boundaries."""
    plt = pyplot()
    epochs = 30 if quick else 1000
    runs, rows = {}, []
    for task in ("moons", "xor"):
        train_set, test_set = TASKS[task]
        for act in ("sigmoid", "relu"):
            params, hist = mlp.train(*train_set, [2, 16, 1], act, epochs=epochs,
                                 X_val=test_set[0], y_val=test_set[1])
            runs[task, act] = params, hist
            reached = [e + 1 for e, acc in enumerate(hist["val_acc"]) if acc >= 0.95]
            rows.append([task, act, f"{hist['loss'][0]:.3f} → {hist['loss'][1]:.3f}",  # L0 -> L1
                         f"{hist['loss'][-1]:.3f}", f"{hist['val_loss'][-1]:.3f}",
                         pct(hist["val_acc"][-1]), reached[0] if reached else "never"])
    moons_test = TASKS["moons"][1]
    bayes = moons_bayes_accuracy(*moons_test, noise=0.2)
    line = {task: mlp.train(*TASKS[task][0], [2, 1], epochs=epochs)[1]["loss"][-1]
            for task in ("moons", "xor")}

    def draw_loss(task):
        def draw(ax):
            e = np.arange(1, epochs + 1)
            for act in ("sigmoid", "relu"):
                hist = runs[task, act][1]
                ax.plot(e, hist["loss"], color=ACTIVATION_COLORS[act], label=f"{act}: training")
                ax.plot(e, hist["val_loss"], color=ACTIVATION_COLORS[act], ls="--", label=f"{act}: held-out")
            ax.axhline(np.log(2), color="gray", lw=0.8, ls=":", label="ln 2 (a coin flip)")
            ax.axhline(line[task], color="k", lw=0.8, ls="-.", label="best straight line (logistic regr.)")
            ax.set(title=f"{task}: network [2, 16, 1], full-batch gradient descent, lr 4",
                   xlabel="epoch (one gradient step each)", ylabel="mean binary cross-entropy (nats)",
                   yscale="log")
        return draw

    panels = {f"loss_curve_{task}.png": draw_loss(task) for task in ("moons", "xor")}
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.9), layout="constrained")
    for ax, draw in zip(axes, panels.values(), strict=True):
        draw(ax)
    legend_outside(fig, axes[0])
    fig.suptitle("Training and held-out loss: relu descends at once, sigmoid first sits on a plateau")
    save(fig, figdir, "loss_curve.png")
    for name, draw in panels.items():
        slide(figdir, name, draw)

    def draw_field(task):
        def draw(ax):
            params, hist = runs[task, "relu"]
            return plot_field(ax, params, "relu", *TASKS[task],
                              title=f"{task}, relu [2, 16, 1]: held-out accuracy {pct(hist['val_acc'][-1])}")
        return draw

    def draw_snapshot(params, epoch):
        def draw(ax):
            field = plot_field(ax, params, "relu", TASKS["moons"][0],
                               title=f"moons, relu [2, 16, 1], after {epoch} epochs")
            ax.set(xlabel="", ylabel="", xticks=[], yticks=[], aspect="equal")
            return field
        return draw

    fields = {f"decision_boundary_{task}.png": draw_field(task) for task in ("moons", "xor")}
    snapshots = SNAPSHOTS_QUICK if quick else SNAPSHOTS
    forming, params = {}, mlp.init_params([2, 16, 1], "relu")
    for j, epoch in enumerate(snapshots):
        if epoch:
            params, _ = mlp.train(*TASKS["moons"][0], [2, 16, 1], "relu", epochs=epoch - snapshots[j - 1],
                                  params=params)
        forming[f"decision_boundary_forming_{j + 1}.png"] = draw_snapshot(params, epoch)
    fig = plt.figure(figsize=(12, 8.6), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[2.2, 1])
    axes = top.subplots(1, 2)
    for ax, draw in zip(axes, fields.values(), strict=True):
        field = draw(ax)
    legend_outside(top, axes[0])
    top.colorbar(field, ax=axes, label=PROBABILITY, shrink=0.8)
    top.suptitle("The learned probability field: blue class 0, red class 1, black line $\\hat y = 0.5$")
    for ax, draw in zip(bottom.subplots(1, len(snapshots)), forming.values(), strict=True):
        draw(ax)
        ax.set_title(ax.get_title().split(", ")[-1])  # "after N epochs": the row's title says the rest
    bottom.suptitle("How the moons boundary forms during training (relu [2, 16, 1], lr 4)")
    save(fig, figdir, "decision_boundary.png")
    for name, draw in {**fields, **forming}.items():
        slide(figdir, name, with_colorbar(draw))

    table = markdown_table(["task", "hidden activation", "the first step: training loss before → after",
                            "training loss", "held-out loss", "held-out accuracy",
                            "first epoch at >= 95 % held-out"], rows)
    table += (f"\n\nBest possible held-out accuracy on the moons test set (the Bayes classifier, which knows "
              f"the true class densities): {pct(bayes)}.")
    acc = runs["moons", "relu"][1]["val_acc"][-1]
    return {"nonlinear": table}, f"moons held-out accuracy {pct(acc)} (Bayes limit {pct(bayes)})"


# --- 2. the gradient check ---------------------------------------------------------------------------

CHECK_SIZES = ([2, 1], [2, 5, 1], [2, 5, 4, 1], [2, 4, 3, 5, 1])  # 1 to 4 layers


def max_rel_error(report):
    return max(r["rel_error"] for r in report.values())


def eps_sweep(params, X, y, activation, dtype, eps_values):
    """Max relative error of the centred difference at each eps, over the parameters' gradients, with
    the loss computed in `dtype`, against the float64 analytical gradient: truncation error falls as
    eps^2, round-off grows as 1/eps. (gradient_check itself always differences the loss in float64.)"""
    _, exact = mlp.loss_and_grads(params, X, y, activation)
    low = {k: v.astype(dtype) for k, v in params.items()}
    X, y = X.astype(dtype), y.astype(dtype)
    return [max(float(mlp.relative_error(exact["d" + key], mlp.numerical_gradient(
                lambda t: mlp.compute_loss(low, X, y, activation), low[key], dtype(eps))).max())
                for key in low)
            for eps in eps_values]


def plant_kink(params, X, distance):
    """A copy of X whose first example is moved along the first relu unit's weights until that unit's
    pre-activation z lies `distance` from its kink at 0 (the other examples are untouched)."""
    w = params["W1"][:, 0]  # (d,): z1[0, 0] = X[0] @ w + b1[0, 0]
    z = X[0] @ w + params["b1"][0, 0]
    moved = X.copy()
    moved[0] += (distance - z) * w / (w @ w)  # now z1[0, 0] = distance
    return moved


def worst_by_kind(report, params):
    """cs231n's max relative error over the parameters' gradients (dW, db), and over the per-example
    intermediates (dz, da): (parameters, intermediates)."""
    kinds = [[r["rel_error"] for key, r in report.items() if (key[1:] in params) == is_param]
             for is_param in (True, False)]
    return max(kinds[0]), max(kinds[1])


def kink_sweep(distances, n=8, eps=1e-5):
    """Move one relu unit's pre-activation z to within `distance` of its kink at 0 for one example; the
    check's max relative error at each distance, over the parameters and over the intermediates. Within
    eps, the centred difference straddles the kink and measures a slope that neither side has."""
    params, X, y = gradcheck_problem([2, 5, 4, 1], "relu", n=n)
    reports = (mlp.gradient_check(params, plant_kink(params, X, d), y, "relu", eps) for d in distances)
    return np.array([worst_by_kind(report, params) for report in reports])  # (distances, 2)


KINK_NS, KINK_DISTANCE = (8, 40, 200, 1000), 3e-6  # batch sizes; a planted kink within eps = 1e-5


def kink_runs(n, seeds):
    """For each seed, a relu [2, 5, 4, 1] problem of n examples checked with a kink planted
    KINK_DISTANCE from one input and without: [(planted: params, intermediates, largest |a - g| of a
    parameter), (none: params, intermediates, crossed)], crossed: whether some hidden z of the unplanted
    problem reads not correct: a kink crossed by chance, as nothing else is wrong there."""
    runs = []
    for seed in seeds:
        params, X, y = gradcheck_problem([2, 5, 4, 1], "relu", n=n, seed=seed)
        report = mlp.gradient_check(params, plant_kink(params, X, KINK_DISTANCE), y, "relu")
        gap = max(np.abs(r["analytic"] - r["numeric"]).max() for k, r in report.items() if k[1:] in params)
        clean = mlp.gradient_check(params, X, y, "relu")
        runs.append([*worst_by_kind(report, params), gap, *worst_by_kind(clean, params),
                     any(r["verdict"] != "correct" for r in clean.values())])
    return np.array(runs)  # (seeds, 6)


def kink_table(quick=False):
    """cs231n's relative error against the batch size n, for parameters and per-example intermediates,
    with a kink planted within eps of one input and without: median (smallest to largest) of 10 seeds."""
    seeds, rows, medians = range(2 if quick else 10), [], {}
    for n in KINK_NS[::3] if quick else KINK_NS:
        runs = kink_runs(n, seeds)
        medians[n] = np.median(runs, axis=0)
        rows.append([n] + [f"{np.median(c):.1e} ({c.min():.0e} to {c.max():.0e})" for c in runs[:, :5].T]
                    + [f"{int(runs[:, 5].sum())} of {len(seeds)}"])
    table = markdown_table(["n", f"kink {KINK_DISTANCE:g} from an input: parameters (dW, db)",
                            "intermediates (dz, da)", "largest abs. difference in a parameter",
                            "no planted kink: parameters", "intermediates",
                            "no planted kink, yet not all correct"], rows)
    ns, m = list(medians), np.array(list(medians.values()))

    def power(column):  # the slope of log(median) against log(n): the median goes as n^power
        return f"{np.polyfit(np.log(ns), np.log(m[:, column]), 1)[0]:.2f}"

    return table + (f"\n\nMedian (smallest to largest) over {len(seeds)} networks [2, 5, 4, 1] with "
                    f"random nonzero biases, eps = 1e-5, of cs231n's relative error, worst over each kind "
                    f"of tensor. Fitted against n (the slope of the log of the median against log n), with "
                    f"a planted kink the parameters' error goes as n^{power(0)} and their largest absolute "
                    f"difference as n^{power(2)}, while the intermediates' stays at {m[-1, 1]:.1e}; "
                    f"without one, the parameters' error goes as n^{power(3)}.")


def draw_thresholds(ax, x_right):
    """cs231n's verdict thresholds as labelled horizontal lines, labels ending at x_right."""
    for level, text in [(1e-7, "1e-7: correct below"), (1e-2, "1e-2: wrong above")]:
        ax.axhline(level, color="gray", ls="--", lw=0.8)
        ax.text(x_right, level * 1.4, text, ha="right", fontsize=8, color="dimgray")


DEEP_SIZES = [2] + [8] * 19 + [1]  # 20 layers of sigmoid units: gradients vanish towards the input


def deep_check_table():
    """cs231n's relative error against the round-off-aware error on a correct, deep sigmoid network,
    for the weight gradients of a few layers and over every tensor (params and intermediates)."""
    X, y = datasets.make_moons(8, seed=0)
    params = mlp.init_params(DEEP_SIZES, "sigmoid", seed=0)
    report = mlp.gradient_check(params, X, y, "sigmoid")
    rows, unseen = [], [key for key, r in report.items() if diagnosis.unseen(r)]
    for l in (20, 15, 10, 5, 2, 1):
        r = report[f"dW{l}"]
        rows.append([f"dW{l}", f"{np.abs(r['analytic']).max():.1e}",
                     f"{np.abs(r['analytic'] - r['numeric']).max():.1e}", f"{r['rel_error']:.1e}",
                     mlp.verdict(r["rel_error"]), f"{r['error']:.1e}",
                     r["verdict"] + (", unseen: all below the noise" if f"dW{l}" in unseen else "")])
    rel, err = max(r["rel_error"] for r in report.values()), max(r["error"] for r in report.values())
    rows.append([f"all {len(report)} tensors (worst)", "", "", f"{rel:.1e}", mlp.verdict(rel), f"{err:.1e}",
                 ", ".join(sorted({r["verdict"] for r in report.values()}))
                 + f"; {len(unseen)} of them unseen"])
    noise = report["dW1"]["noise"]  # the same for every parameter tensor
    table = markdown_table(["tensor", "largest gradient entry", "largest abs. difference",
                            "cs231n rel. error", "its reading", "error (round-off aware)", "verdict"], rows)
    return table + (f"\n\nThe check's round-off noise for the weights, 10 u S / eps with S the size of the "
                    f"losses, is {noise:.1e} here (eps = 1e-5): the error subtracts it from |a - g| before "
                    "dividing by |a| + |g|. An entry whose gradient is below it cannot be resolved by any "
                    "float64 centred difference, so for such entries the verdict only says that backward's "
                    "value is as small as the check can see; anything larger is judged relative to its own "
                    "size, however small.")


VERDICT_DTYPES = {  # column of the verdict table -> (X's dtype, the parameters' dtype)
    "float64": (np.float64, np.float64),
    "float32 X, float64 params": (np.float32, np.float64),  # NumPy promotes: the maths runs in float64
    "all float32": (np.float32, np.float32),
}


def verdict_counts(sizes, activation, dtypes, n=6, seed=0):
    """(correct tensors, tensors, wrong plants, plants float64 can tell) for the lesson's backward on
    one network, checked as is and with each mistake of zoo.planted_mistakes in every tensor at once. A
    plant is tellable when its change is over 100 times the check's noise and over 1 % of the tensor's
    largest entry."""
    params, X, y = gradcheck_problem(sizes, activation, n, seed)
    params = {k: v.astype(dtypes[1]) for k, v in params.items()}
    X = X.astype(dtypes[0])
    report = mlp.gradient_check(params, X, y, activation)
    correct = sum(r["verdict"] == "correct" for r in report.values())
    plants = {}  # mistake -> {key: planted tensor}
    for key, r in report.items():
        for mistake, wrong in planted_mistakes(r["analytic"], n).items():
            change = np.abs(wrong - r["analytic"]).max()
            if change > 100 * r["noise"] and change > 0.01 * np.abs(r["numeric"]).max():
                plants.setdefault(mistake, {})[key] = wrong
    caught = told = 0
    for analytic in plants.values():
        checked = mlp.gradient_check(params, X, y, activation, analytic=analytic)
        caught += sum(checked[key]["verdict"] == "wrong" for key in analytic)
        told += len(analytic)
    return np.array([correct, len(report), caught, told])


ACTIVATION_NAMES = list(mlp.ACTIVATIONS)  # sigmoid, relu, tanh: taken in turn by depth


def experiment_verdicts(figdir, quick=False):
    """The gradient check's verdicts by depth and dtype: the lesson's backward on two networks of each
    depth from 1 to 10 layers (one sigmoid output, a 3-class softmax; the activations in turn), and
    seven planted mistakes."""
    rows, total = [], 0
    for depth in (1, 2, 5, 10) if quick else range(1, 11):
        row = [depth]
        for dtypes in VERDICT_DTYPES.values():
            counts = sum(verdict_counts([2] + [4] * (depth - 1) + [K], ACTIVATION_NAMES[(depth + K) % 3],
                                        dtypes, seed=depth) for K in (1, 3))
            row.append(f"{counts[0]}/{counts[1]} correct; {counts[2]}/{counts[3]} wrong")
            total += counts
        rows.append(row)
    table = markdown_table(["layers"] + [f"{name}: the lesson's backward; planted mistakes"
                                         for name in VERDICT_DTYPES], rows)
    table += (f"\n\nIn all: {total[0]} of {total[1]} tensors of a correct backward read correct, and "
              f"{total[2]} of the {total[3]} planted mistakes that float64 can tell from round-off read "
              "wrong. Two networks [2, 4, ..., 4, K] per depth, K = 1 and 3, the hidden activation taken in "
              "turn (sigmoid, relu, tanh), six examples each.")
    return {"verdicts": table}, f"{total[0]}/{total[1]} correct, {total[2]}/{total[3]} mistakes wrong"


def experiment_gradient_check(figdir, quick=False):
    """Analytical vs numerical gradients for many networks; eps; float32; kinks; the bug zoo."""
    plt = pyplot()
    rows, worst = [], (0.0,)
    for sizes in CHECK_SIZES:
        for n in (1, 8):
            reports = {act: mlp.gradient_check(*gradcheck_problem(sizes, act, n), act)
                       for act in mlp.ACTIVATIONS}
            rows.append([str(sizes), n] + [f"{max_rel_error(r):.1e}" for r in reports.values()])
            for act, report in reports.items():
                for key, r in report.items():
                    i = np.argmax(mlp.relative_error(r["analytic"], r["numeric"]))
                    a, num = r["analytic"].flat[i], r["numeric"].flat[i]
                    worst = max(worst, (r["rel_error"], f"{act} {sizes}, n={n}, {key}", a, abs(a - num)))
    table = markdown_table(["network", "n"] + [f"{act}: max rel. error" for act in mlp.ACTIVATIONS], rows)
    table += (f"\n\nThe largest error, {worst[0]:.1e} ({worst[1]}), is at an entry whose gradient is only "
              f"{worst[2]:.1e}; the absolute difference there is {worst[3]:.1e}.")

    zoo = bug_zoo()
    zoo_rows = [[bug or "none: the real backward", act, BUGS[bug][1] if bug else "",
                 f"{err:.1e}" if np.isfinite(err) else "(wrong shape)",
                 f"{rel:.1e}" if np.isfinite(rel) else "(wrong shape)", where, by, verdict,
                 (said or "").replace("|", "\\|")] for bug, act, err, where, by, verdict, said, rel in zoo]
    zoo_table = markdown_table(["planted mistake", "hidden activation", "what the code does",
                                "max error", "cs231n's max rel. error", "first wrong step", "caught by",
                                "verdict", "the check's diagnosis of that step"], zoo_rows)

    reports = {act: mlp.gradient_check(*gradcheck_problem([2, 5, 4, 1], act), act) for act in mlp.ACTIVATIONS}

    def draw_scatter(ax):
        for act, report in reports.items():
            a = np.concatenate([r["analytic"].ravel() for r in report.values()])
            num = np.concatenate([r["numeric"].ravel() for r in report.values()])
            ax.scatter(a, num, s=16, color=ACTIVATION_COLORS[act], label=f"{act} ({a.size} entries)",
                       alpha=0.7)
        lim = max(abs(r["analytic"]).max() for rep in reports.values() for r in rep.values()) * 1.2
        ax.plot([-lim, lim], [-lim, lim], color="k", lw=0.8, label="numerical = analytical")
        ax.set(xlabel="analytical gradient (backward)",
               ylabel="numerical gradient (centred difference, eps 1e-5)",
               title="Every gradient entry of three [2, 5, 4, 1] networks lies on the diagonal")
        ax.set_xscale("symlog", linthresh=1e-4)
        ax.set_yscale("symlog", linthresh=1e-4)

    def draw_per_tensor(ax):
        keys = list(reports["relu"])
        for i, (act, report) in enumerate(reports.items()):
            ax.plot(np.arange(len(keys)) + (i - 1) * 0.15, [report[k]["rel_error"] for k in keys], "o",
                    ms=8, color=ACTIVATION_COLORS[act], label=act)
        draw_thresholds(ax, len(keys) - 0.5)
        ax.set(yscale="log", ylim=(1e-13, 1), xticks=range(len(keys)), xticklabels=keys,
               xlabel="gradient tensor (parameters and intermediates), in backward's order",
               ylabel="max relative error |a − g| / (|a| + |g|)",
               title="Relative error per tensor, with cs231n's thresholds")

    eps_values = np.logspace(-1, -12, 12 if quick else 23)
    params, X, y = gradcheck_problem([2, 5, 4, 1], "tanh")
    eps_errors = {dtype: eps_sweep(params, X, y, "tanh", dtype, eps_values)
                  for dtype in (np.float64, np.float32)}

    def draw_eps(ax):
        for (dtype, errs), color in zip(eps_errors.items(), ["tab:blue", "tab:red"], strict=True):
            best = int(np.argmin(errs))
            ax.plot(eps_values, errs, "o-", color=color, ms=4, label=f"loss in {np.dtype(dtype).name}")
            name = np.dtype(dtype).name
            ax.plot(eps_values[best], errs[best], "*", color=color, ms=16, mec="k",
                    label=f"{name} best: eps = {eps_values[best]:.0e}, error {errs[best]:.0e}")
        ax.set(xscale="log", yscale="log", xlabel="eps (step of the centred difference)",
               ylabel="max relative error", ylim=(1e-12, 3),
               title="Choosing eps: round-off error (left) against truncation error (right)")

    distances = np.logspace(-10, -1, 10 if quick else 19)
    kink_errors = {n: kink_sweep(distances, n) for n in (KINK_NS[0], KINK_NS[-1])}  # (distances, 2) each
    kink_lines = [(KINK_NS[0], 1, "intermediates dz, da", "s-", "tab:red"),
                  (KINK_NS[0], 0, "parameters dW, db", "o-", ACTIVATION_COLORS["relu"]),
                  (KINK_NS[-1], 0, "parameters dW, db", "^-", "tab:purple")]

    def draw_kink(ax):
        for n, column, kind, style, color in kink_lines:
            ax.plot(distances, kink_errors[n][:, column], style, color=color, ms=4, label=f"n = {n}: {kind}")
        ax.axvline(1e-5, color="k", ls="--", lw=0.8, label="eps = 1e-5")
        draw_thresholds(ax, 1e-6)  # the labels on the left, where no line is
        ax.set(xscale="log", yscale="log", xlabel="distance of one relu input z from the kink at 0",
               ylabel="max relative error (cs231n)",
               title="A kink within eps of one input, seen per example and in a mean")

    panels = {"gradient_check_scatter.png": draw_scatter, "gradient_check_per_tensor.png": draw_per_tensor,
              "gradient_check_eps.png": draw_eps, "gradient_check_kink.png": draw_kink}
    fig, axes = plt.subplots(2, 2, figsize=(12, 9), layout="constrained")
    corners = ["upper left", "upper left", "lower left", "center left"]  # each panel's empty corner (looked)
    for ax, draw, corner in zip(axes.flat, panels.values(), corners, strict=True):
        draw(ax)
        ax.legend(loc=corner)
    fig.suptitle("Gradient check: backward against centred finite differences of the same loss")
    save(fig, figdir, "gradient_check.png")
    for name, draw in panels.items():
        slide(figdir, name, draw, ncol=2)  # the eps legend's long entries: two columns fit
    tables = {"gradient_check": table, "bug_zoo": zoo_table, "deep_check": deep_check_table(),
              "kinks": kink_table(quick)}
    return tables, f"worst max relative error {worst[0]:.1e}"


# --- 3. depth: logistic regression against one and two hidden layers ----------------------------------

DEPTHS = {"1 layer (logistic regression)": [2, 1], "2 layers": [2, 16, 1], "3 layers": [2, 16, 16, 1]}
DEPTH_SLUGS = {name: name.split(" (")[0].replace(" ", "_") for name in DEPTHS}  # in the slides' names


def at_default_lr(epochs, seed):
    """The 3-layer relu network on XOR at train's default step: its held-out accuracy, or, where train
    raises because the run diverged, what it said."""
    try:
        params, _ = mlp.train(*TASKS["xor"][0], DEPTHS["3 layers"], "relu", epochs=epochs, seed=seed)
    except mlp.Diverged as err:  # train's message: "... in epoch e with lr=4.0: why: advice"
        return f"diverged in epoch {err.epoch} ({str(err).split(': ')[1]})"
    return pct(mlp.accuracy(params, *TASKS["xor"][1], "relu"))


def experiment_depth(figdir, quick=False):
    """Held-out accuracy of 1, 2 and 3 layer relu networks on XOR, moons and circles, over 5 seeds.

    lr 1, not train's default 4: the 3-layer network diverges or dies at 4, and every depth gets the
    same step.
    """
    plt = pyplot()
    seeds = range(1 if quick else 5)
    epochs = 30 if quick else 1000
    acc, models, line = {}, {}, {}
    for task, (train_set, test_set) in TASKS.items():
        for name, sizes in DEPTHS.items():
            for seed in seeds:
                params, _ = mlp.train(*train_set, sizes, "relu", lr=1.0, epochs=epochs, seed=seed)
                acc[task, name, seed] = mlp.accuracy(params, *test_set, "relu")
                models.setdefault((task, name), params)  # seed 0's, to draw
                if len(sizes) == 2:  # logistic regression: how far apart do the seeds end?
                    line[task, seed] = params, mlp.predict(params, test_set[0], "relu")
    summary = {(task, name): np.array([acc[task, name, s] for s in seeds])
               for task in TASKS for name in DEPTHS}
    rows = [[task] + [f"{pct(a.mean())} ± {100 * a.std():.1f} (min {pct(a.min())})"
                      for a in (summary[task, name] for name in DEPTHS)] for task in TASKS]
    table = markdown_table(["task (held-out accuracy, mean ± std over seeds)"] + list(DEPTHS), rows)
    table += ("\n\nThe same 3-layer networks on XOR at train's default lr 4, seeds "
              + ", ".join(map(str, seeds)) + ": " + "; ".join(at_default_lr(epochs, seed) for seed in seeds)
              + ".")
    apart = max(np.abs(line[task, s][0][k] - line[task, 0][0][k]).max() for task in TASKS for s in seeds
                for k in ("W1", "b1"))
    moved = max(int((line[task, s][1] != line[task, 0][1]).sum()) for task in TASKS for s in seeds)
    table += (f"\n\nLogistic regression after {epochs} epochs, each seed against seed 0: the parameters "
              f"differ by at most {apart:.1e} (largest entry, over the three tasks), and the held-out "
              f"predictions in {f'at most {moved}' if moved else 'none'} of the {len(TASKS['xor'][1][1])} "
              "points.")

    def draw_accuracy(task):
        def draw(ax):
            colors = ["tab:gray", "tab:purple", "tab:brown"]
            for i, (name, color) in enumerate(zip(DEPTHS, colors, strict=True)):
                a = summary[task, name]
                ax.bar(i, a.mean(), yerr=a.std(), color=color, alpha=0.8, capsize=4)
                ax.plot(np.full(a.size, i), a, "k.", ms=5)
            ax.set(ylim=(0.4, 1.02), xticks=range(len(DEPTHS)),
                   xticklabels=["1 layer", "2 layers", "3 layers"], ylabel="held-out accuracy",
                   title=f"{task}: held-out accuracy by depth, {len(seeds)} seeds (dots)")
            ax.axhline(0.5, color="gray", lw=0.8, ls=":")
        return draw

    def draw_field(task, name):
        def draw(ax):
            return plot_field(ax, models[task, name], "relu", *TASKS[task],
                              title=f"{task}, {name}, seed 0: {pct(acc[task, name, 0])}")
        return draw

    fields = {f"depth_boundary_{task}_{DEPTH_SLUGS[name]}.png": draw_field(task, name)
              for task in TASKS for name in DEPTHS}
    accuracy = {f"depth_accuracy_{task}.png": draw_accuracy(task) for task in TASKS}
    fig, axes = plt.subplots(len(TASKS), 1 + len(DEPTHS), figsize=(14, 10), layout="constrained",
                             gridspec_kw={"width_ratios": [1.1] + [1] * len(DEPTHS)})
    drawn = iter(fields.values())
    for row, draw in zip(axes, accuracy.values(), strict=True):
        draw(row[0])
        for ax in row[1:]:
            next(drawn)(ax)
    fig.suptitle("Depth: a single layer can only draw a straight line; one hidden layer bends it")
    save(fig, figdir, "depth_comparison.png")
    for name, draw in accuracy.items():
        slide(figdir, name, draw)
    for name, draw in fields.items():
        slide(figdir, name, with_colorbar(draw))
    xor = summary["xor", "1 layer (logistic regression)"].mean(), summary["xor", "2 layers"].mean()
    return {"depth": table}, f"XOR held-out accuracy: 1 layer {pct(xor[0])}, 2 layers {pct(xor[1])}"


# --- 4. vanishing gradients ------------------------------------------------------------------------------

HIDDEN_LAYERS = (2, 4, 6, 8)  # deep networks of width 32
VANISHING_ROWS = {  # row of the table -> (hidden activation, init); None: the default for it
    "sigmoid (Xavier)": ("sigmoid", None), "relu (He)": ("relu", None), "tanh (Xavier)": ("tanh", None),
    "relu (std 1)": ("relu", "normal"),  # He's std is sqrt(2 / 32) = 0.25: 4 times smaller
}


def experiment_vanishing(figdir, quick=False):
    """The typical gradient of a weight in each layer at initialisation (geometric mean over seeds),
    for deep networks, and in the first and last layer over early training; a std-1 relu row."""
    plt = pyplot()
    X, y = TASKS["moons"][0]
    seeds = range(1 if quick else 5)

    def mean_rms(act, init, k, kind="dW"):  # geometric mean over seeds of each layer's RMS
        logs = [np.log(grad_rms(mlp.init_params([2] + [32] * k + [1], act, s, init), X, y, act, kind))
                for s in seeds]
        return np.exp(np.mean(logs, axis=0))

    rms = {(row, k): mean_rms(*VANISHING_ROWS[row], k) for row in VANISHING_ROWS for k in HIDDEN_LAYERS}
    rms.update({(act, k): rms[row, k] for row, (act, init) in VANISHING_ROWS.items() if init is None
                for k in HIDDEN_LAYERS})  # the default rows by activation alone, for the figure
    ratio = {row: [rms[row, k][0] / rms[row, k][-1] for k in HIDDEN_LAYERS] for row in VANISHING_ROWS}
    rows = [[row] + [f"{r:.1e}" for r in ratio[row]] + [f"{per_layer_factor(HIDDEN_LAYERS, ratio[row]):.2f}"]
            for row in VANISHING_ROWS]
    table = markdown_table(["hidden activation (init)"]
                           + [f"{k} hidden layers: layer 1 / layer {k + 1}" for k in HIDDEN_LAYERS]
                           + ["fitted factor per added hidden layer"], rows)
    deepest = HIDDEN_LAYERS[-1]
    dz = {row: [mean_rms(*VANISHING_ROWS[row], k, "dz") for k in HIDDEN_LAYERS]
          for row in ("relu (He)", "relu (std 1)")}
    dz_ratio = {row: [d[0] / d[-1] for d in dz[row]] for row in dz}
    he, std1 = rms["relu (He)", deepest], rms["relu (std 1)", deepest]
    nets = [mlp.init_params([2] + [32] * deepest + [1], "relu", s, "normal") for s in seeds]
    up = np.exp(np.mean([np.log(activation_rms(p, X, "relu")) for p in nets], axis=0))  # a_1 .. a_8
    table += ("\n\nThe last column: exp of the slope of a least-squares line through the log of the ratio "
              "against the number of hidden layers, the factor by which one more hidden layer multiplies "
              "the ratio. With std 1, every gradient is large rather than the first small: with "
              f"{deepest} hidden layers the RMS of dL/dW_l is {min(std1):.1e} to {max(std1):.1e} in every "
              f"layer, against {min(he):.1e} to {max(he):.1e} with He. The error sent down, dz_l, grows "
              f"on its way down (dz_1 / dz_{deepest + 1}: {dz_ratio['relu (std 1)'][-1]:.1e}), by a "
              f"fitted factor of {per_layer_factor(HIDDEN_LAYERS, dz_ratio['relu (std 1)']):.2f} per added "
              f"hidden layer (He: {per_layer_factor(HIDDEN_LAYERS, dz_ratio['relu (He)']):.2f}), and the "
              f"activations grow on their way up, from an RMS of {up[0]:.1e} in layer 1 to {up[-1]:.1e} in "
              f"layer {deepest}, a factor of {(up[-1] / up[0]) ** (1 / (deepest - 1)):.2f} per layer, so "
              "their product dW_l = a_{l-1}^T dz_l / n is about the same size in every layer.")

    epochs = 10 if quick else 100
    sizes = [2] + [32] * deepest + [1]
    during = {}
    for act in mlp.ACTIVATIONS:
        params, during[act] = mlp.init_params(sizes, act), []
        for _ in range(epochs + 1):
            during[act].append(grad_rms(params, X, y, act))
            params, _ = mlp.train(X, y, sizes, act, lr=0.1, epochs=1, params=params)

    ylabel = "RMS of the entries of $\\partial L / \\partial W_l$"

    def draw_depths(act):
        def draw(ax):
            for k, color in zip(HIDDEN_LAYERS, ["#9ecae1", "#4292c6", "#2171b5", "#08306b"], strict=True):
                ax.plot(range(1, k + 2), rms[act, k], "o-", color=color, ms=4, label=f"{k} hidden layers")
            if act == "sigmoid":
                last, layers = rms[act, deepest][-1], range(1, deepest + 2)
                ax.plot(layers, [last * 0.25 ** (deepest + 1 - l) for l in layers],
                        "k:", label="slope $\\times 1/4$ per layer ($\\max \\sigma'$)")
            ax.set(yscale="log", xlabel="layer $l$ (1 = next to the input)", ylabel=ylabel + " at init",
                   title=f"{act} ({'He' if act == 'relu' else 'Xavier'} init), mean of {len(seeds)} seeds",
                   ylim=(1e-9, 10))
        return draw

    def draw_training(ax):
        for act in mlp.ACTIVATIONS:
            g = np.array(during[act])  # (epochs + 1, number of layers)
            ax.plot(g[:, 0], color=ACTIVATION_COLORS[act], label=f"{act}: layer 1")
            ax.plot(g[:, -1], color=ACTIVATION_COLORS[act], ls="--", label=f"{act}: layer {deepest + 1}")
        ax.set(yscale="log", xlabel="epoch (full-batch gradient descent, lr 0.1)", ylabel=ylabel,
               title=f"Layers 1 and {deepest + 1} while training ({deepest} hidden layers)",
               ylim=(1e-9, 10))

    panels = {f"vanishing_{act}.png": draw_depths(act) for act in mlp.ACTIVATIONS}
    panels["vanishing_training.png"] = draw_training
    fig, axes = plt.subplots(1, 4, figsize=(17, 4.8), layout="constrained")
    for ax, draw in zip(axes, panels.values(), strict=True):
        draw(ax)
        ax.legend(fontsize=8, loc="lower right", ncol=3 if draw is draw_training else 1)
    fig.suptitle("Vanishing gradients: with sigmoid the gradient shrinks layer by layer on its way back")
    save(fig, figdir, "vanishing_gradients.png")
    for name, draw in panels.items():
        slide(figdir, name, draw)
    return {"vanishing": table}, (f"{deepest} hidden layers, layer 1 / layer {deepest + 1} gradient at init: "
                                  f"sigmoid {rows[0][-2]}, relu {rows[1][-2]}")


# --- 5. initialisation and dead neurons --------------------------------------------------------------

INITS = ["he", "xavier", "normal", "small", "zeros", "he, bias -1"]
DEAD_LRS = (0.5, 2.0, 4.0, 8.0)  # He init; 0.5 is the initialisation table's


def dead_run(init, seed, lr, epochs, X, y, Xt, yt, sizes=(2, 32, 32, 1)):
    """One relu network trained from `init`: (dead masks before, dead masks after, final loss, held-out
    accuracy), or None where train stopped the run as diverged."""
    sizes = list(sizes)
    params = (negative_bias_init(sizes, seed) if init == "he, bias -1"
              else mlp.init_params(sizes, "relu", seed, init))
    before = dead_units(params, X)
    try:
        params, hist = mlp.train(X, y, sizes, "relu", lr=lr, epochs=epochs, params=params)
    except mlp.Diverged:
        return None
    return before, dead_units(params, X), hist["loss"][-1], mlp.accuracy(params, Xt, yt)


def moved(runs):
    """Units that came back (dead before, alive after) and that died (the reverse), per hidden layer,
    summed over the runs: (came back (layers,), died (layers,))."""
    back = sum(np.array([(b & ~a).sum() for b, a in zip(*run[:2], strict=True)]) for run in runs)
    died = sum(np.array([(~b & a).sum() for b, a in zip(*run[:2], strict=True)]) for run in runs)
    return back, died


def spread(values):
    """mean ± std of fractions, as percentages."""
    return f"{pct(np.mean(values))} ± {100 * np.std(values):.1f}"


def experiment_init(figdir, quick=False):
    """Dead relu units at init and after training for each init, over seeds, and against the learning
    rate; which units come back, by layer; zero init's symmetry (sigmoid net)."""
    plt = pyplot()
    (X, y), (Xt, yt) = TASKS["moons"]
    seeds, epochs = range(1 if quick else 10), (30 if quick else 400)
    runs = {(init, seed): dead_run(init, seed, 0.5, epochs, X, y, Xt, yt)
            for init in INITS for seed in (seeds if init != "zeros" else [0])}  # zeros: no randomness
    stats = {key: (np.concatenate(r[0]).mean(), np.concatenate(r[1]).mean(), r[2], r[3])
             for key, r in runs.items()}
    by_init = {init: [stats[k] for k in stats if k[0] == init] for init in INITS}
    mean = {init: np.mean(v, axis=0) for init, v in by_init.items()}
    rows = []
    for init, v in by_init.items():
        back, died = moved([r for k, r in runs.items() if k[0] == init])
        rows.append([init, spread([s[0] for s in v]), spread([s[1] for s in v]), f"{back[0]}, {back[1]}",
                     f"{died[0]}, {died[1]}", f"{mean[init][2]:.3f}", spread([s[3] for s in v])])
    table = markdown_table([f"init ([2, 32, 32, 1], relu, lr 0.5, {len(seeds)} seeds)",
                            "dead units at init", f"dead after {epochs} epochs",
                            "came back: layer 1, layer 2", "died: layer 1, layer 2", "final training loss",
                            "held-out accuracy"], rows)
    back, died = moved(list(runs.values()))
    table += ("\n\nMean ± standard deviation over the seeds (zeros: one run, it draws nothing), of the 64 "
              f"hidden units. Units counted over all "
              f"{len(runs)} runs: {back[0]} of layer 1 and {back[1]} of layer 2 came back to life; "
              f"{died[0]} of layer 1 and {died[1]} of layer 2 died.")

    lr_runs = {(lr, seed): runs["he", seed] if lr == 0.5 else dead_run("he", seed, lr, epochs, X, y, Xt, yt)
               for lr in DEAD_LRS for seed in seeds}
    lr_rows = []
    for lr in DEAD_LRS:
        done = [r for (rate, _), r in lr_runs.items() if rate == lr and r is not None]
        if not done:
            lr_rows.append([lr, f"{len(seeds)} of {len(seeds)}", "", "", "", ""])
            continue
        back, died = moved(done)
        lr_rows.append([lr, f"{len(seeds) - len(done)} of {len(seeds)}",
                        spread([np.concatenate(r[1]).mean() for r in done]),
                        f"{died[0] / len(done):.1f} of 32", f"{back[1] / len(done):.1f}",
                        f"{spread([r[3] for r in done])} (min {pct(min(r[3] for r in done))})"])
    lr_table = markdown_table([f"learning rate (He init, {epochs} epochs)", "runs diverged",
                               "dead after training (runs that finished)", "layer 1 units that died, per run",
                               "layer 2 units that came back, per run", "held-out accuracy"], lr_rows)

    sym = {}
    keep = (y[:, 0] == 0) | (np.arange(len(y)) % 4 == 1)  # class 0 and half of class 1; on balanced classes
    #                                  a zero-init sigmoid network does not move at all (mean(y_hat - y) = 0)
    for init in ("xavier", "zeros"):
        params, _ = mlp.train(X[keep], y[keep], [2, 16, 1], "sigmoid", epochs=30 if quick else 1000,
                              init=init)
        distinct = np.unique(params["W1"].round(12), axis=1).shape[1]  # hidden units with different weights
        sym[init] = params, distinct, mlp.accuracy(params, Xt, yt, "sigmoid")
    sym_table = markdown_table(["init ([2, 16, 1], sigmoid, 2:1 classes)", "distinct hidden units",
                                "held-out accuracy"], [[k, v[1], pct(v[2])] for k, v in sym.items()])

    x = np.arange(len(INITS))

    def draw_dead(ax):
        for shift, column, color, label in [(-0.2, 0, "tab:gray", "at initialisation"),
                                             (0.2, 1, "tab:red", f"after {epochs} epochs")]:
            ax.bar(x + shift, [100 * mean[i][column] for i in INITS], 0.4, color=color, label=label)
            for i, init in enumerate(INITS):
                ax.plot(np.full(len(by_init[init]), i + shift), [100 * v[column] for v in by_init[init]],
                        "k.", ms=3)
        ax.set(xticks=x, xticklabels=INITS, ylabel="dead relu units (%): never active on the training set",
               title=f"Dead units by init (lr 0.5); bars: mean of {len(seeds)} seeds, dots: seeds",
               ylim=(0, 105))

    def draw_accuracy(ax):
        for i, init in enumerate(INITS):
            accs = [v[3] for v in by_init[init]]
            ax.bar(i, np.mean(accs), color="tab:blue", alpha=0.8)
            ax.plot(np.full(len(accs), i), accs, "k.", ms=6)
        ax.axhline(0.5, color="gray", lw=0.8, ls=":")
        ax.set(xticks=x, xticklabels=INITS, ylim=(0.4, 1.0), ylabel="held-out accuracy",
               title=f"How well each init trains ({epochs} epochs, lr 0.5); dots: seeds")

    def draw_symmetry(ax):
        for init, marker, color in [("xavier", "o", "tab:green"), ("zeros", "*", "tab:red")]:
            W1 = sym[init][0]["W1"]
            ax.scatter(W1[0], W1[1], marker=marker, s=60 if marker == "o" else 250, color=color,
                       edgecolors="k", label=f"{init} init: {sym[init][1]} distinct of 16 units")
        ax.set(xlabel="weight from $x_1$", ylabel="weight from $x_2$",
               title="Symmetry: each hidden unit's weights after training\n"
                     "(sigmoid [2, 16, 1], moons with 2:1 classes)")

    def draw_lr(ax):
        lrs = np.arange(len(DEAD_LRS))
        for layer, (shift, color) in enumerate([(-0.2, "tab:orange"), (0.2, "tab:brown")]):
            dead = [[100 * r[1][layer].mean() for (rate, _), r in lr_runs.items() if rate == lr and r]
                    for lr in DEAD_LRS]
            ax.bar(lrs + shift, [np.mean(d) if d else 0 for d in dead], 0.4, color=color,
                   label=f"layer {layer + 1}")
            for i, d in enumerate(dead):
                ax.plot(np.full(len(d), i + shift), d, "k.", ms=3)
        for i, row in enumerate(lr_rows):
            ax.text(i, 103, f"{row[1].replace(' of ', '/')} diverged", ha="center", va="top",
                    fontsize="small")
        ax.set(xticks=lrs, xticklabels=[f"lr {lr:g}" for lr in DEAD_LRS], ylim=(0, 105),
               ylabel="dead relu units (%) after training",
               title=f"Dead units by learning rate (He init, {epochs} epochs)")

    panels = {"init_dead_units.png": draw_dead, "init_dead_lr.png": draw_lr,
              "init_accuracy.png": draw_accuracy, "init_symmetry.png": draw_symmetry}
    fig, axes = plt.subplots(2, 2, figsize=(14, 10.5), layout="constrained")
    for ax, draw in zip(axes.flat, panels.values(), strict=True):
        draw(ax)
    axes[0, 0].legend(loc="upper left")
    axes[0, 1].legend(loc="center left")
    legend_outside(fig, axes[1, 1])
    fig.suptitle("Dead units and initialisation: a large step kills units, a negative bias switches "
                 "them off; zero weights leave the units identical")
    save(fig, figdir, "dead_neurons.png")
    for name, draw in panels.items():
        slide(figdir, name, draw)
    he, neg = mean["he"][1], mean["he, bias -1"][1]
    return ({"init": table, "dead_lr": lr_table, "symmetry": sym_table},
            f"dead after training: He {pct(he)}, bias -1 {pct(neg)}")


# --- 6. ten classes: real handwritten digits ----------------------------------------------------

DIGIT_NETS = {  # row of the table -> (layer sizes, inputs standardised?)
    "softmax regression [64, 10]": ([64, 10], True),
    "one hidden layer [64, 32, 10]": ([64, 32, 10], True),
    "one hidden layer, raw pixels in [0, 1]": ([64, 32, 10], False),
}


def standardise(train_X, test_X):
    """Each pixel centred and scaled by the training set's mean and std (pixels that never vary in
    the training set are only centred): plain SGD then takes one step size for every weight."""
    mean, std = train_X.mean(axis=0), train_X.std(axis=0)
    std = np.where(std > 1e-3, std, 1.0)
    return (train_X - mean) / std, (test_X - mean) / std


def experiment_digits(figdir, quick=False):
    """Softmax regression against one hidden layer on the 1,797 UCI digits: a fixed, stratified split
    (1,198 train, 599 held out), mini-batch SGD (batch 32, lr 0.5, relu), several seeds."""
    plt = pyplot()
    (X, y), (Xt, yt) = datasets.split_digits(seed=0)
    Xs, Xts = standardise(X, Xt)
    seeds, epochs = range(1 if quick else 5), 3 if quick else 60
    runs = {(name, seed): mlp.train(Xs if std else X, y, sizes, "relu", lr=0.5, epochs=epochs, batch_size=32,
                                    seed=seed, X_val=Xts if std else Xt, y_val=yt)
            for name, (sizes, std) in DIGIT_NETS.items() for seed in seeds}
    rows = []
    for name in DIGIT_NETS:
        acc = np.array([runs[name, s][1]["val_acc"][-1] for s in seeds])
        train_loss = np.mean([runs[name, s][1]["loss"][-1] for s in seeds])
        val_loss = np.mean([runs[name, s][1]["val_loss"][-1] for s in seeds])
        errors = np.mean([(1 - a) * len(yt) for a in acc])
        spread = f"{pct(acc.mean())} ± {100 * acc.std():.1f} ({pct(acc.min())} to {pct(acc.max())})"
        rows.append([name, spread,
                     f"{errors:.1f} of {len(yt)}", f"{train_loss:.4f}", f"{val_loss:.3f}"])
    table = markdown_table([f"network (relu, {epochs} epochs, {len(seeds)} seeds)",
                            "held-out accuracy, mean ± std (min to max)", "held-out errors (mean)",
                            "final training loss", "final held-out loss"], rows)
    table += (f"\n\nThe split: {len(y)} training and {len(yt)} held-out images, stratified by class "
              f"(datasets.split_digits, seed 0); the loss at initialisation is ln 10 = {np.log(10):.3f}.")

    hidden = "one hidden layer [64, 32, 10]"
    params = runs[hidden, 0][0]
    predicted = mlp.predict(params, Xts, "relu")[:, 0]
    truth = yt[:, 0]
    confusion = np.zeros((10, 10), dtype=int)
    np.add.at(confusion, (truth, predicted), 1)
    wrong = np.flatnonzero(predicted != truth)

    def draw_loss(ax):
        for (name, color) in zip(list(DIGIT_NETS)[:2], ["tab:gray", "tab:purple"], strict=True):
            hist = runs[name, 0][1]
            e = np.arange(1, epochs + 1)
            ax.plot(e, hist["loss"], color=color, label=f"{name}: training")
            ax.plot(e, hist["val_loss"], color=color, ls="--", label=f"{name}: held-out")
        ax.axhline(np.log(10), color="gray", lw=0.8, ls=":", label="ln 10 (a uniform guess)")
        ax.set(yscale="log", xlabel="epoch (38 mini-batches of 32)", ylabel="mean cross-entropy (nats)",
               title="Loss of the digits networks, seed 0")

    def draw_confusion(ax):
        ax.imshow(confusion, cmap="Blues")
        for i in range(10):
            for j in range(10):
                if confusion[i, j]:
                    ax.text(j, i, confusion[i, j], ha="center", va="center", fontsize="small",
                            color="white" if confusion[i, j] > confusion.max() / 2 else "black")
        ax.set(xticks=range(10), yticks=range(10), xlabel="predicted digit", ylabel="true digit",
               title=f"Confusion, [64, 32, 10] seed 0: {len(wrong)} of {len(yt)} wrong")
        ax.grid(False)

    def draw_misclassified(ax, rows=4, cols=6, step=12):  # each 8 x 8 image, then 4 pixels for its label
        shown = wrong[:rows * cols]
        mosaic = np.full((rows * step, cols * step), np.nan)  # nan: no image, the background shows
        for k, i in enumerate(shown):
            r, c = divmod(k, cols)
            mosaic[r * step:r * step + 8, c * step:c * step + 8] = Xt[i].reshape(8, 8)
            ax.text(c * step + 3.5, r * step + 8, f"{truth[i]} as {predicted[i]}", ha="center", va="top",
                    fontsize="small")
        ax.imshow(mosaic, cmap="gray_r", vmin=0, vmax=1)
        ax.set_axis_off()
        ax.set_title(f"Misclassified held-out digits (true as predicted), {len(shown)} of {len(wrong)}")

    panels = {"digits_loss.png": draw_loss, "digits_confusion.png": draw_confusion,
              "digits_misclassified.png": draw_misclassified}
    fig, axes = plt.subplots(1, 3, figsize=(16, 5.4), layout="constrained", width_ratios=[1.2, 1, 1.1])
    for ax, draw in zip(axes, panels.values(), strict=True):
        draw(ax)
    legend_outside(fig, axes[0], ncol=2)
    fig.suptitle("Ten classes: softmax output and cross-entropy on 1,797 real 8 x 8 handwritten digits")
    save(fig, figdir, "digits.png")
    for name, draw in panels.items():
        slide(figdir, name, draw, ncol=2)
    means = [np.mean([runs[name, s][1]["val_acc"][-1] for s in seeds]) for name in list(DIGIT_NETS)[:2]]
    return {"digits": table}, (f"held-out accuracy: softmax regression {pct(means[0])}, "
                               f"hidden layer {pct(means[1])}")


# --- 8. the step size: the loss's curvature, the step at which training diverges, batch noise -----------

STEP_NET = [2, 16, 1]  # section 1's network, on the moons


def flat(grads, params):
    """The gradients of params as one vector, in params' order."""
    return np.concatenate([grads["d" + key].ravel() for key in params])


def hessian_vector(params, X, y, activation, v, h=1e-6):
    """H v, H the Hessian of the loss: (grad L(theta + h v) - grad L(theta - h v)) / (2 h), two calls of
    the lesson's backward; error O(h^2) where the loss is smooth. (A relu kink crossed by theta +- h v adds
    a jump of order 1/(n h): h 1e-6 makes that rare; 1e-4 was not, on a trained relu network.)"""
    shaped, start = {}, 0
    for key, p in params.items():
        shaped[key], start = v[start:start + p.size].reshape(p.shape), start + p.size
    g = [flat(mlp.loss_and_grads({k: p + s * h * shaped[k] for k, p in params.items()}, X, y, activation)[1],
              params) for s in (1, -1)]
    return (g[0] - g[1]) / (2 * h)


def top_eigenvalue(params, X, y, activation, shift=0.0, iters=200, seed=0):
    """The largest eigenvalue of the loss's Hessian, by power iteration on v -> H v - shift v from a
    seeded random v, until the Rayleigh quotient changes by less than 1e-6 of itself. Power iteration
    finds the eigenvalue largest in size; if that one is negative, H - (it) I has the largest eigenvalue
    of H, less it, as its largest in size."""
    v = np.random.default_rng(seed).standard_normal(sum(p.size for p in params.values()))
    v /= np.linalg.norm(v)
    lam = 0.0
    for _ in range(iters):
        w = hessian_vector(params, X, y, activation, v) - shift * v
        lam, last = float(v @ w), lam
        v = w / np.linalg.norm(w)
        if abs(lam - last) <= 1e-6 * abs(lam):
            break
    if lam < 0 and shift == 0.0:  # the eigenvalue largest in size is negative: shift it to 0
        return top_eigenvalue(params, X, y, activation, shift=lam, iters=iters, seed=seed)
    return lam + shift  # an eigenvalue of H - shift I, plus shift: one of H


def sharpness_along(activation, lr, epochs, at, X, y):
    """lambda_max at each epoch of `at` (0: at initialisation) of one full-batch run of train."""
    params, history, lams = mlp.init_params(STEP_NET, activation), None, []
    for e0, e1 in zip([0, *at], at, strict=False):  # (0, at[0]), (at[0], at[1]), ...
        if e1 > e0:
            params, history = mlp.train(X, y, STEP_NET, activation, lr=lr, epochs=e1 - e0, params=params,
                                        history=history)
        lams.append(top_eigenvalue(params, X, y, activation))
    return lams


def lr_outcome(activation, lr, epochs, X, y):
    """(the first step's change of the loss, the final loss, or the epoch in which train stopped the run
    as diverged)."""
    try:
        _, hist = mlp.train(X, y, STEP_NET, activation, lr=lr, epochs=epochs)
    except mlp.Diverged as err:
        first = err.history["loss"][1] - err.history["loss"][0] if len(err.history["loss"]) > 1 else np.inf
        return first, None, err.epoch
    return hist["loss"][1] - hist["loss"][0], hist["loss"][-1], None


def batch_noise(params, X, y, activation, sizes, epochs=5, seed=0):
    """For each batch size B: the mean squared distance ||g_B - g||^2 of a batch's gradient from the
    full one, over the batches of `epochs` epochs shuffled as train shuffles them; and the per-example
    variance s2 = mean_i ||g_i - g||^2, exact, from which sampling theory predicts s2 / B (n - B) / (n - 1).
    Returns (s2, {B: measured})."""
    n = len(X)
    full = flat(mlp.loss_and_grads(params, X, y, activation)[1], params)
    each = [flat(mlp.loss_and_grads(params, X[i:i + 1], y[i:i + 1], activation)[1], params) for i in range(n)]
    s2 = float(np.mean([(g - full) @ (g - full) for g in each]))
    measured = {}
    for B in sizes:
        dist = []
        for epoch in range(1, epochs + 1):
            order = np.random.default_rng((seed, epoch)).permutation(n)  # as train_epoch shuffles
            for start in range(0, n - B + 1, B):  # whole batches only: a short last one has its own B
                batch = order[start:start + B]
                g = flat(mlp.loss_and_grads(params, X[batch], y[batch], activation)[1], params) - full
                dist.append(g @ g)
        measured[B] = float(np.mean(dist))
    return s2, measured, float(full @ full)


LR_GRID = 2 ** np.arange(0, 8.01, 0.5)  # 1 to 256, a factor sqrt(2) apart
SHARP_LRS, BATCHES = (1.0, 2.0, 4.0), (1, 4, 16, 64, 400)


def experiment_step_size(figdir, quick=False):
    """lambda_max of the moons network's Hessian at initialisation and along training, beside the step at
    which training diverges; the noise of a mini-batch gradient against the batch size."""
    plt = pyplot()
    X, y = TASKS["moons"][0]
    acts = ("sigmoid", "relu")
    grid, epochs = (LR_GRID[::4], 30) if quick else (LR_GRID, 300)
    at = frame_epochs(30 if quick else 1000, 6 if quick else 16)
    sharp = {(act, lr): sharpness_along(act, lr, at[-1], at, X, y) for act in acts for lr in SHARP_LRS}
    outcome = {(act, lr): lr_outcome(act, lr, epochs, X, y) for act in acts for lr in grid}
    rows, limits = [], {}
    for act in acts:
        lam0 = sharp[act, SHARP_LRS[0]][0]
        raised = [lr for lr in grid if outcome[act, lr][0] > 0]
        learnt = [lr for lr in grid if outcome[act, lr][1] is not None and outcome[act, lr][1] < np.log(2)]
        stopped = [lr for lr in grid if outcome[act, lr][2] is not None]
        along = [lam for e, lam in zip(at, sharp[act, 4.0], strict=True) if e >= 10]
        limits[act] = 2 / lam0, min(stopped, default=None)
        rows.append([act, f"{lam0:.2f}", f"{2 / lam0:.2f}", f"{min(along):.2f} to {max(along):.2f}",
                     f"{min(raised):.3g}" if raised else "never", f"{max(learnt):.3g}" if learnt else "none",
                     f"{min(stopped):.3g}" if stopped else f"none up to {grid[-1]:.3g}"])
    table = markdown_table(["hidden activation ([2, 16, 1], moons)", "λ_max at init", "2 / λ_max",
                            "λ_max at lr 4, epochs 10 to 1000", "first step raises the loss from lr",
                            f"largest lr whose loss ends below ln 2 ({epochs} epochs)",
                            "smallest lr that train stops as diverged"], rows)
    table += ("\n\nλ_max: the largest eigenvalue of the Hessian of the mean loss, by power iteration on "
              "Hessian-vector products, each a difference of two gradients of backward (step 1e-6). The "
              f"steps tried: 1 to {grid[-1]:.0f}, a factor {grid[1] / grid[0]:.3g} apart, from the same "
              "initialisation (seed 0). Along training at lr 1, 2 and 4, λ_max "
              "settles at: " + "; ".join(f"{act} " + ", ".join(
                  f"{sharp[act, lr][-1]:.2f} (2 / lr = {2 / lr:.2f})" for lr in SHARP_LRS)
                  for act in acts) + ". The smallest step that train stops is " + ", ".join(
                  f"{limits[act][1] / limits[act][0]:.0f} times 2 / λ_max at init ({act})" for act in acts
                  if limits[act][1]) + ".")

    params = mlp.init_params(STEP_NET, "relu")
    s2, measured, signal = batch_noise(params, X, y, "relu", BATCHES[:3] if quick else BATCHES,
                                       epochs=1 if quick else 5)
    n = len(X)
    noise_rows = [[B, -(-n // B), f"{m:.2e}" if m > 1e-20 * signal else "0 (to round-off)",
                   f"{s2 / B * (n - B) / (n - 1):.2e}", f"{m / signal:.2f}"] for B, m in measured.items()]
    noise_table = markdown_table(["batch size B", "steps per epoch", "mean ‖g_B − g‖², measured",
                                  "s² / B · (n − B) / (n − 1), predicted",
                                  "noise / signal: ‖g_B − g‖² / ‖g‖²"], noise_rows)
    noise_table += (f"\n\nThe relu network [2, 16, 1] at initialisation on the n = {n} moons: g is the full "
                    f"gradient, ‖g‖² = {signal:.2e}; g_B the gradient of one batch, over every whole batch "
                    f"of {5 if not quick else 1} shuffled epochs; s² = mean_i ‖g_i − g‖² = {s2:.2e}, the "
                    "variance of one example's gradient.")

    def draw_sharpness(act):
        def draw(ax):
            # blue, orange, black and a marker each: told apart without colour vision too
            for lr, color, marker in zip(SHARP_LRS, ["tab:blue", "tab:orange", "0.15"], "os^", strict=True):
                ax.plot(at, sharp[act, lr], f"{marker}-", ms=4, color=color,
                        label=f"lr {lr:g}: $\\lambda_{{max}}$")
                ax.axhline(2 / lr, color=color, ls="--", lw=1, label=f"2 / lr = {2 / lr:g}")
            ax.set(xscale="symlog", xlim=(0, at[-1]), yscale="log", xlabel="epoch (0: initialisation)",
                   ylabel="$\\lambda_{max}$, the largest eigenvalue of the Hessian",
                   yticks=[0.2, 0.3, 0.5, 1, 2], yticklabels=["0.2", "0.3", "0.5", "1", "2"],
                   title=f"{act} [2, 16, 1]: the sharpness along training, against 2 / lr")
            ax.minorticks_off()
        return draw

    def draw_outcome(ax):
        for act in acts:
            color = ACTIVATION_COLORS[act]
            ok = [lr for lr in grid if outcome[act, lr][1] is not None]
            ax.plot(ok, [outcome[act, lr][1] for lr in ok], "o-", color=color,
                    label=f"{act}: loss after {epochs}")
            bad = [lr for lr in grid if outcome[act, lr][1] is None]
            ax.plot(bad, [4 if act == "sigmoid" else 3] * len(bad), "x", ms=9, mew=2, color=color,
                    label=f"{act}: stopped, diverged")
            ax.axvline(limits[act][0], color=color, ls=":", label=f"{act}: 2 / $\\lambda_{{max}}$ at init")
        ax.axhline(np.log(2), color="gray", lw=0.8, ls=":", label="ln 2")
        ax.set(xscale="log", yscale="log", xlabel="learning rate (full-batch gradient descent)",
               ylabel=f"training loss after {epochs} epochs",
               title="Where training diverges: far above 2 / $\\lambda_{max}$")

    panels = {f"curvature_{act}.png": draw_sharpness(act) for act in acts}
    panels["curvature_lr.png"] = draw_outcome
    fig, axes = plt.subplots(1, 3, figsize=(17, 5.2), layout="constrained")
    corners = ["upper right", "upper left", "lower right"]  # each panel's empty corner (looked)
    for ax, draw, corner in zip(axes, panels.values(), corners, strict=True):
        draw(ax)
        ax.legend(fontsize=8, loc=corner)
    fig.suptitle("The step size against the curvature: gradient descent on a quadratic is stable for "
                 "lr < 2 / $\\lambda_{max}$; on the network, the curvature moves")
    save(fig, figdir, "curvature.png")
    for name, draw in panels.items():
        slide(figdir, name, draw)
    return ({"curvature": table, "batch_noise": noise_table},
            "2 / lambda_max at init: " + ", ".join(f"{act} {limits[act][0]:.2f}" for act in acts)
            + "; stopped from lr " + ", ".join(f"{act} {limits[act][1]:.3g}" for act in acts))


# --- 7. the moving picture: the moons boundary and the loss, epoch by epoch ----------------------------

ANIMATION = "training_moons.gif"  # and its still, for print: training_moons.png (the last frame)


def frame_epochs(epochs, n=60):
    """The epochs drawn: 0, then about n from 1 to `epochs`, evenly spaced on a log scale (so the
    fast early change gets as many frames as the slow end; rounding merges the first few)."""
    return sorted({0, *np.geomspace(1, epochs, n).round().astype(int).tolist()})


def training_pieces(train_set, test_set, sizes, activation, lr, seed, at):
    """(epoch, params, history) at each epoch of `at` (ascending; 0 is the start), from calls of
    train, one piece from each epoch of `at` to the next, each going on from the params and history
    the last returned: one run of train (its start from `seed`), bit for bit, seen between its
    pieces. A run that diverges raises train's Diverged, which keeps the last params that passed."""
    (X, y), (Xt, yt) = train_set, test_set
    params, done = mlp.init_params(sizes, activation, seed), 0  # train's own start
    history = {"loss": [], "val_loss": [], "val_acc": []}  # none yet: the same keys as train's
    for epoch in at:
        if epoch > done:
            params, history = mlp.train(X, y, sizes, activation, lr, epoch - done, seed=seed,
                                        params=params, history=history if done else None,
                                        X_val=Xt, y_val=yt)
            done = epoch
        yield epoch, params, history


def training_frames(epochs):
    """[(epoch, params, history)] at each of frame_epochs(epochs): one run of train's defaults on the
    moons (seed 0), seen between its pieces."""
    return list(training_pieces(*TASKS["moons"], [2, 16, 1], "relu", 4.0, 0, frame_epochs(epochs)))


def loss_range(history):
    """The loss axes' range (log scale): the losses so far with a margin, ln 2 if there are none."""
    losses = history["loss"] + history["val_loss"] or [np.log(2)]
    return min(losses) / 1.5, max(losses) * 1.5


def loss_panel(ax, epochs, lr, activation):
    """The loss axes of the animation, drawn once (log axes, so the frames line up):
    (training line, held-out line), empty, for a frame_drawer to fill."""
    color = ACTIVATION_COLORS[activation]
    lines = (ax.plot([], [], color=color, label="training")[0],
             ax.plot([], [], color=color, ls="--", label="held-out")[0])
    ax.axhline(np.log(2), color="gray", lw=0.8, ls=":", label="ln 2 (a coin flip)")
    ax.set(xscale="log", yscale="log", xlim=(1, max(epochs, 2)),  # two different ends, even for 1 epoch
           xlabel=f"epoch (one full-batch gradient step each, lr {lr:g})",
           ylabel="mean binary cross-entropy", title="the loss so far")
    ax.legend(loc="lower left")
    return lines


def frame_drawer(title, epochs, train_set, test_set=None, activation="relu", lr=4.0):
    """The animation's figure, 800 x 360 px, and draw(epoch, params, history), which draws a frame on
    it: the probability field after `epoch` epochs over the points, and the losses up to it in the
    loss panel. The points and the axes are drawn once; a frame replaces only the field, the title
    and the lines' data (page_figure: a page draws many)."""
    fig = page_figure((8, 3.6), title)
    left, right = fig.subplots(1, 2, width_ratios=[1.15, 1])
    lines = loss_panel(right, epochs, lr, activation)
    extent = plot_points(left, train_set, test_set)
    left.set(xticks=[], yticks=[], aspect="equal")
    field = []  # the artists of the field drawn last

    def draw(epoch, params, history):
        for artist in field:
            artist.remove()
        field[:] = draw_field(left, params, activation, extent)
        acc = f", held-out accuracy {pct(history['val_acc'][-1])}" if epoch else ": untrained"
        left.set_title(f"epoch {epoch}{acc}")
        e = np.arange(1, epoch + 1)
        lines[0].set_data(e, history["loss"] if epoch else [])
        lines[1].set_data(e, history["val_loss"] if epoch else [])

    return fig, draw


def experiment_animation(figdir, quick=False):
    """An animated GIF of the boundary and the loss forming, from a loop of train: each call goes on
    from the params and history the last returned, so the frames are one run of train's defaults
    (the run of section 1), seen at frame_epochs. The last frame also as a PNG."""
    from PIL import Image  # matplotlib's own dependency: nothing new to install

    plt = pyplot()
    epochs = 30 if quick else 1000
    frames = training_frames(epochs)
    history = frames[-1][2]
    fig, draw = frame_drawer("A relu [2, 16, 1] network learning two moons by gradient descent", epochs,
                             TASKS["moons"][0])
    fig.axes[1].set_ylim(loss_range(history))  # the whole run's: fixed, so the frames line up
    draw(epochs, *frames[-1][1:])  # the longest labels: lay out once,
    fig.canvas.draw()
    fig.set_layout_engine("none")  # then keep those positions for every frame (and save the time)
    images = []
    for epoch, params, hist in frames:
        draw(epoch, params, hist)
        images.append(rendered(fig).quantize(64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE))
    with plt.rc_context({"savefig.dpi": 200}):  # the still, for print: the last frame, 1600 x 720 px
        save(fig, figdir, ANIMATION.replace(".gif", ".png"))
    durations = [150] * (len(images) - 1) + [2500]  # ms: hold the last frame
    images[0].save(f"{figdir}/{ANIMATION}", save_all=True, append_images=images[1:], duration=durations,
                   loop=0, optimize=False)
    return {}, f"{len(images)} frames, held-out accuracy {pct(history['val_acc'][-1])} at the end"


# --- the computational graph of the derivation, for the backpropagation page -------------------------

GRAPH = "computational_graph.png"


def experiment_graph(figdir, quick=False):
    """The two-layer network as a graph: each operation a box, each value on its wire (black), and under
    each wire its gradient (red), tagged with the step that computes it. Drawn, not computed."""
    plt = pyplot()
    fig = plt.figure(figsize=(12, 3.5))
    ax = fig.add_axes((0, 0, 1, 1), xlim=(0, 12), ylim=(0, 3.5))
    ax.axis("off")
    red, y0, top = "tab:red", 1.95, 3.05  # the wires' height; where the inputs' arrows start
    box = {"boxstyle": "round,pad=0.3", "fc": "#eef1fb", "ec": "#3949ab", "lw": 1.2}
    ops = [(2.3, r"$a_0 W_1 + b_1$"), (4.65, r"$f$"), (7.0, r"$a_1 W_2 + b_2$"), (9.7, r"mean of $\ell_i$")]
    renderer = fig.canvas.get_renderer()
    edges = [0.2]  # the x of each box's left and right edge, in order, from the left margin
    for x, label in ops:
        text = ax.text(x, y0, label, ha="center", va="center", fontsize=15, bbox=box)
        (left, _), (right, _) = ax.transData.inverted().transform(text.get_window_extent(renderer))
        edges += [left - 0.12, right + 0.12]  # the box's pad, 0.3 x 15 pt, and a gap
    edges.append(11.8)
    wires = [(r"$X = a_0$", None, 0),  # (the value on the wire, its gradient, the row of that label)
             (r"$z_1$", r"(5) $\mathrm{d}z_1 = \mathrm{d}a_1 \odot f'(z_1)$", 1),
             (r"$a_1$", r"(4) $\mathrm{d}a_1 = \mathrm{d}z_2\, W_2^{\mathsf{T}}$", 0),
             (r"$z_2$", r"(1) $\mathrm{d}z_2 = \hat y - y$", 1), (r"$L$", r"$1$", 0)]
    for (value, grad, row), x0, x1 in zip(wires, edges[::2], edges[1::2], strict=True):
        ax.annotate("", (x1, y0), (x0, y0), arrowprops={"arrowstyle": "-|>", "lw": 1.6, "color": "k"})
        ax.text((x0 + x1) / 2, y0 + 0.12, value, ha="center", va="bottom", fontsize=15)
        if grad:
            ax.annotate("", (x0, y0 - 0.3), (x1, y0 - 0.3),
                        arrowprops={"arrowstyle": "-|>", "lw": 1.6, "color": red})
            ax.text((x0 + x1) / 2, y0 - 0.45 - 0.5 * row, grad, ha="center", va="top", fontsize=13.5,
                    color=red)
    inputs = [(1.95, "W_1", r"(6) $\mathrm{d}W_1 = X^{\mathsf{T}} \mathrm{d}z_1 / n$", "right"),
              (2.65, "b_1", r"(7) $\mathrm{d}b_1 = \mathbf{1}^{\mathsf{T}} \mathrm{d}z_1 / n$", "left"),
              (6.65, "W_2", r"(2) $\mathrm{d}W_2 = a_1^{\mathsf{T}} \mathrm{d}z_2 / n$", "right"),
              (7.35, "b_2", r"(3) $\mathrm{d}b_2 = \mathbf{1}^{\mathsf{T}} \mathrm{d}z_2 / n$", "left"),
              (9.7, "y", None, None)]
    for x, name, grad, side in inputs:
        ax.annotate("", (x, y0 + 0.3), (x, top), arrowprops={"arrowstyle": "-|>", "lw": 1.3, "color": "k"})
        ax.text(x, top + 0.05, f"${name}$", ha="center", va="bottom", fontsize=15)
        if grad:  # beside its arrow, the gradient that flows back up it
            ax.annotate("", (x + (0.1 if side == "left" else -0.1), top - 0.05),
                        (x + (0.1 if side == "left" else -0.1), y0 + 0.35),
                        arrowprops={"arrowstyle": "-|>", "lw": 1.3, "color": red})
            ax.text(x + (0.2 if side == "left" else -0.2), 2.75, grad, ha=side, va="center", fontsize=13.5,
                    color=red)
    ax.text(6.0, 0.12, "black: the forward pass, left to right.   red: the backward pass, right to left;\n"
            "each gradient is the one arriving from the right times the local derivative of the box",
            ha="center", va="bottom", fontsize=12.5, color="0.2", linespacing=1.5)
    save(fig, figdir, GRAPH)
    return {}, "drawn"


# --- the same frames in the page: a playground that trains while the reader watches ------------------

DATA_NAMES = {"moons": "two moons", "xor": "XOR", "circles": "two circles"}  # as the titles say them


def frame_alt(data, sizes, activation, lr, epochs, n, epoch, history):
    """What a frame of the playground shows, in words (its image's alt text): the data, the network,
    the epoch, the losses and the held-out accuracy."""
    if epoch:
        state = (f"after {epoch} of {epochs} epochs: training loss {history['loss'][-1]:.3f}, held-out "
                 f"loss {history['val_loss'][-1]:.3f}, held-out accuracy {pct(history['val_acc'][-1])}")
    else:
        state = f"untrained, before the first of {epochs} epochs"
    return (f"A {activation} {sizes} network learning {DATA_NAMES[data]} at lr {lr:g}, {state}. Left: "
            f"its probability field, blue for class 0 and red for class 1, the 0.5 boundary in black, over "
            f"{n} training points (dots) and {n} held-out points (crosses). Right: the training and "
            f"held-out loss so far, on log axes.")


def playground(data="moons", hidden=16, activation="relu", lr=4.0, epochs=300, seed=0, n=200, frames=40):
    """Train [2, hidden, 1] on n points of `data` (moons, xor or circles; n more held out) with
    train, in pieces, and make a frame after each piece: (PNG bytes, alt text, None), the
    animation's picture at about `frames` epochs spaced as frame_epochs spaces them. A run that
    diverges ends with the frame of the params train gave back (the last whose loss passed), and
    train's message instead of None. Frames: each is made when it is asked for."""
    return Frames(playground_frames(data, hidden, activation, lr, epochs, seed, n, frames))


def playground_frames(data, hidden, activation, lr, epochs, seed, n, frames):
    if data not in DATA_NAMES:
        raise ValueError(f"playground: data must be one of {sorted(DATA_NAMES)}, got {data!r}")
    for name, value in (("epochs", epochs), ("frames", frames)):
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
            raise ValueError(f"playground: {name} must be an integer >= 1, got {value!r}")
    train_set, test_set = make_task(data, n, n)
    sizes = [2, hidden, 1]
    fig, draw = frame_drawer(f"A {activation} {sizes} network learning {DATA_NAMES[data]} by gradient "
                             "descent", epochs, train_set, test_set, activation, lr)

    def frame(epoch, params, history, message=None):
        draw(epoch, params, history)
        fig.axes[1].set_ylim(loss_range(history))
        image = png(fig)
        fig.set_layout_engine("none")  # laid out at the first frame: keep it (and the time)
        return image, frame_alt(data, sizes, activation, lr, epochs, n, epoch, history), message

    pieces = training_pieces(train_set, test_set, sizes, activation, lr, seed, frame_epochs(epochs, frames))
    try:
        for epoch, params, history in pieces:
            yield frame(epoch, params, history)
    except mlp.Diverged as err:
        yield frame(len(err.history["loss"]), err.params, err.history, str(err))


# --- your backward, trained: the backprop page's step (5), edited by the reader, trained beside the lesson's

def with_backward(backward, pieces):
    """The pieces of a training_pieces generator, each trained with `backward` in place of
    mlp.backward, the function that train takes its gradients from (through gd_step and
    loss_and_grads): train, whole, with its divergence rule, runs on another backward. mlp.backward
    is the lesson's again between two pieces, and whatever a piece raises."""
    while True:
        lesson, mlp.backward = mlp.backward, backward
        try:
            piece = next(pieces, None)
        finally:
            mlp.backward = lesson
        if piece is None:
            return
        yield piece


WHOSE = {"lesson": "the lesson's backward", "yours": "your backward_two_layer"}  # the two runs, named
WHOSE_LINES = {"lesson": ("k", "-", "the lesson's"), "yours": ("tab:red", "--", "yours")}  # their losses


def both_drawer(title, epochs, train_set, test_set, activation):
    """The figure of trained_with, 800 x 330 px: the probability field of each run over the points
    (the lesson's, then yours), and both training losses so far; and draw(states), which draws a
    frame from {"lesson": (epoch, params, history), "yours": ...}. Laid out like frame_drawer's."""
    fig = page_figure((8, 3.3), title)
    *fields, losses = fig.subplots(1, 3, width_ratios=[1, 1, 1.15])
    extents = [plot_points(ax, train_set, test_set) for ax in fields]
    lines = {}
    for ax, whose in zip(fields, WHOSE, strict=True):
        ax.set(xticks=[], yticks=[], aspect="equal")
        color, style, label = WHOSE_LINES[whose]
        lines[whose] = losses.plot([], [], color=color, ls=style, label=label)[0]
    losses.axhline(np.log(2), color="gray", lw=0.8, ls=":", label="ln 2")
    losses.set(xscale="log", yscale="log", xlim=(1, max(epochs, 2)), xlabel="epoch",
               ylabel="training loss", title="the loss so far")
    losses.legend(loc="lower left")
    drawn = {whose: [] for whose in WHOSE}

    def draw(states):
        for ax, extent, (whose, state) in zip(fields, extents, states.items(), strict=True):
            epoch, params, history = state
            for artist in drawn[whose]:
                artist.remove()
            drawn[whose] = draw_field(ax, params, activation, extent)
            acc = f"{pct(history['val_acc'][-1])} held out" if epoch else "untrained"
            ax.set_title(f"{WHOSE[whose]}\nepoch {epoch}: {acc}", fontsize=9)
            lines[whose].set_data(np.arange(1, epoch + 1), history["loss"] if epoch else [])
        losses.set_ylim(loss_range({"loss": sum((h["loss"] for _, _, h in states.values()), []),
                                    "val_loss": []}))

    return fig, draw


def both_alt(data, sizes, activation, lr, epochs, states, diverged):
    """What a frame of trained_with shows, in words; its first sentence says where each run is."""
    def where(whose):
        epoch, _, history = states[whose]
        stop = f"diverged, shown at epoch {epoch}, the last whose loss passed, " if whose in diverged else ""
        return (f"{stop}at training loss {history['loss'][-1]:.3f} and held-out accuracy "
                f"{pct(history['val_acc'][-1])}")
    epoch = max(epoch for epoch, _, _ in states.values())
    if epoch:
        when = (f"After {epoch} of {epochs} epochs from the same start, the lesson's backward is "
                f"{where('lesson')}, yours {where('yours')}")
    else:
        when = f"Before the first of {epochs} epochs, the same start for both"
    return (f"{when}. Two {activation} {sizes} networks learning {DATA_NAMES[data]} at lr "
            f"{lr:g}. Left: the lesson's probability field, middle: yours, each blue for class 0 and red "
            f"for class 1 with the 0.5 boundary in black, over the training points (dots) and held-out "
            f"points (crosses). Right: both training losses so far, the lesson's solid, yours dashed, "
            f"on log axes.")


def trained_with(backward, data="moons", hidden=16, activation="tanh", lr=1.5, epochs=300, seed=0,
                 n=200, frames=30):
    """Train [2, hidden, 1] twice from the same start (train's, from `seed`) on n points of `data`:
    with the lesson's backward, and with `backward`, a function called as backward_two_layer is (the
    reader's own, say: with_backward). Frames after each piece of both, as playground makes them:
    (PNG bytes, alt text, None), the two fields side by side and both losses. A run that diverges
    stops at the params train gave back, and the last frame carries train's message. tanh units:
    with relu, the check's slip in step (5), f_grad(a1, sigmoid(a1)), changes nothing (relu_grad
    looks at a1 > 0, which is z1 > 0), and sigmoid units are still on their plateau at the end."""
    return Frames(both_frames(backward, data, hidden, activation, lr, epochs, seed, n, frames))


def both_frames(backward, data, hidden, activation, lr, epochs, seed, n, frames):
    train_set, test_set = make_task(data, n, n)
    sizes, at = [2, hidden, 1], frame_epochs(epochs, frames)
    fig, draw = both_drawer(f"The same {activation} {sizes} network, trained with two backward passes",
                            epochs, train_set, test_set, activation)
    runs = {"lesson": training_pieces(train_set, test_set, sizes, activation, lr, seed, at),
            "yours": with_backward(backward, training_pieces(train_set, test_set, sizes, activation, lr,
                                                             seed, at))}
    states, diverged = {}, {}
    for _ in at:
        if diverged.keys() == runs.keys():
            break  # neither goes on
        for whose, pieces in runs.items():
            if whose not in diverged:
                try:
                    states[whose] = next(pieces)
                except mlp.Diverged as err:
                    states[whose] = len(err.history["loss"]), err.params, err.history
                    diverged[whose] = f"{WHOSE[whose]}: {err}"
        draw(states)
        image = png(fig)
        fig.set_layout_engine("none")  # laid out at the first frame: keep it (and the time)
        alt = both_alt(data, sizes, activation, lr, epochs, states, diverged)
        yield image, alt, None
    if diverged:  # the last frame again, with train's message
        yield image, alt, "; ".join(diverged.values())


# ----------------------------------------------------------------------------------------------------
# Writing the tables into experiments_log.md. Each generated table sits between two marker comments,
#   <!-- --8<-- [start:NAME] -->  ...  <!-- --8<-- [end:NAME] -->
# (the same markers let the docs quote a section). Everything outside the markers is the author's and
# is kept as it is; a missing, repeated or unknown marker is an error, never a silent rewrite.
# ----------------------------------------------------------------------------------------------------

def fill_markers(text, tables):
    """text with the lines between each NAME's start and end markers replaced by tables[NAME]."""
    found = re.findall(r"<!-- --8<-- \[(start|end):([\w-]+)\] -->", text)
    unknown = sorted({name for _, name in found} - set(tables))
    if unknown:
        raise ValueError(f"experiments_log.md has markers for {unknown}, which no experiment generates")
    for name, table in tables.items():
        start, end = f"<!-- --8<-- [start:{name}] -->", f"<!-- --8<-- [end:{name}] -->"
        if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
            raise ValueError(f"experiments_log.md needs exactly one '{start}' followed by one '{end}'")
        head, rest = text.split(start)
        _, tail = rest.split(end)
        text = f"{head}{start}\n{table}\n{end}{tail}"
    return text


def write_tables(path, tables):
    """Fill the markers of the log at `path`, through a temporary file, so a crash never truncates it."""
    path = pathlib.Path(path)
    text = fill_markers(path.read_text(encoding="utf-8"), tables)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# ----------------------------------------------------------------------------------------------------
# Command line: python mlp.py [--out DIR]
# ----------------------------------------------------------------------------------------------------

def slides(*names):
    """The single panels an experiment writes into visualizations/slides/ (common.slide)."""
    return [f"{SLIDES}/{name}.png" for name in names]


# name -> (function, the figures it writes); the longest first, so that two processes finish together
EXPERIMENTS = {
    "ten digits": (experiment_digits, ["digits.png"] + slides("digits_loss", "digits_confusion",
                                                              "digits_misclassified")),
    "training animation": (experiment_animation, [ANIMATION, ANIMATION.replace(".gif", ".png")]),
    "depth comparison": (experiment_depth, ["depth_comparison.png"] + slides(
        *[f"depth_accuracy_{task}" for task in TASKS],
        *[f"depth_boundary_{task}_{DEPTH_SLUGS[name]}" for task in TASKS for name in DEPTHS])),
    "initialisation": (experiment_init, ["dead_neurons.png"] + slides("init_dead_units", "init_dead_lr",
                                                                      "init_accuracy", "init_symmetry")),
    "practice": (practice.experiment, ["practice_mse.png"] + slides(
        "practice_mse_loss", "practice_mse_output", "practice_mse_step_1")),
    "gradient check": (experiment_gradient_check, ["gradient_check.png"] + slides(
        "gradient_check_scatter", "gradient_check_per_tensor", "gradient_check_eps", "gradient_check_kink")),
    "check verdicts": (experiment_verdicts, []),
    "non-linear task": (experiment_nonlinear, ["loss_curve.png", "decision_boundary.png"] + slides(
        "loss_curve_moons", "loss_curve_xor", "decision_boundary_moons", "decision_boundary_xor",
        *[f"decision_boundary_forming_{j + 1}" for j in range(len(SNAPSHOTS))])),
    "step size": (experiment_step_size, ["curvature.png"] + slides("curvature_sigmoid", "curvature_relu",
                                                                   "curvature_lr")),
    "vanishing gradients": (experiment_vanishing, ["vanishing_gradients.png"] + slides(
        *[f"vanishing_{act}" for act in mlp.ACTIVATIONS], "vanishing_training")),
    "computational graph": (experiment_graph, [GRAPH]),
}
HERE = pathlib.Path(__file__).resolve().parent


def run_experiment(name, figdir, quick):
    """One experiment, timed: (tables, its progress line)."""
    start = time.perf_counter()
    tables, headline = EXPERIMENTS[name][0](figdir, quick)
    return tables, f"{name:<20} {headline}  ({time.perf_counter() - start:.1f} s)"


def run_all(out=HERE, quick=False, log=print):
    """Run every experiment; figures into out/visualizations/, tables into out/experiments_log.md (which
    is first copied from this folder's if out has none). quick: fewer epochs and seeds, for the tests.
    The experiments are independent, so two processes share them (this machine has two cores); each is
    seeded, so the files are the same whichever process runs it."""
    out = pathlib.Path(out)
    figdir = out / "visualizations"
    (figdir / SLIDES).mkdir(parents=True, exist_ok=True)
    if not (out / "experiments_log.md").exists():
        shutil.copyfile(HERE / "experiments_log.md", out / "experiments_log.md")
    start, tables = time.perf_counter(), {}
    # One BLAS thread per worker: two workers on two cores, and matrices this small gain nothing from
    # more. (Spawned workers read the variable when they import NumPy; this process is not affected.)
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    # Imported here, not at the top: they need _multiprocessing, which the page's Python (Pyodide)
    # lacks, and the page imports this file for its figures (playground).
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        jobs = [pool.submit(run_experiment, name, figdir, quick) for name in EXPERIMENTS]
        for i, job in enumerate(jobs, 1):
            new, line = job.result()
            tables.update(new)
            log(f"[{i}/{len(jobs)}] {line}")
    write_tables(out / "experiments_log.md", tables)
    figures = sum(len(f) for _, f in EXPERIMENTS.values())
    log(f"done in {time.perf_counter() - start:.1f} s: {figures} figures in {figdir}, "
        f"{len(tables)} tables in {out / 'experiments_log.md'}")


# The tables print round-off (relative errors of 1e-8), and round-off depends on the CPU kernels that
# OpenBLAS and NumPy choose at run time: an Intel and an AMD machine with AVX-512 differ in the last
# bits. So the command line runs on the AVX2 kernels, which every x86-64 machine since 2013 has, and
# every such machine writes the same bytes. They are chosen when numpy loads, hence the re-run.
SAME_KERNELS = {"OPENBLAS_CORETYPE": "Haswell", "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"}


def on_same_kernels():
    """Run this command again with SAME_KERNELS set, on a Linux x86-64 machine with AVX2 where they are
    not set yet; elsewhere (ARM, Windows, macOS) go on as it is: the bytes may then differ."""
    cpu = pathlib.Path("/proc/cpuinfo")
    if (all(os.environ.get(k) == v for k, v in SAME_KERNELS.items()) or not cpu.exists()
            or " avx2" not in cpu.read_text()):
        return
    os.execve(sys.executable, sys.orig_argv, {**os.environ, **SAME_KERNELS})


def main(argv=None):
    if argv is None:
        on_same_kernels()
    parser = argparse.ArgumentParser(
        description="Run every experiment of this MLP from scratch: writes the figures to "
                    "OUT/visualizations/ and the results tables into OUT/experiments_log.md.")
    parser.add_argument("--out", default=HERE, type=pathlib.Path,
                        help="folder to write into (default: the folder of mlp.py, i.e. the committed files)")
    parser.add_argument("--quick", action="store_true", help="fewer epochs and seeds: a fast smoke run")
    args = parser.parse_args(argv)  # an unknown option exits with status 2 and a usage message
    run_all(args.out, args.quick)


if __name__ == "__main__":
    main()

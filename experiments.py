"""The lab: the experiments, their figures and the command line.

mlp.py is the lesson; this file only uses it. `python experiments.py` (or
`python mlp.py`, which hands over to it) runs every experiment, draws every
figure into visualizations/ and writes every generated table into
experiments_log.md, between its marker comments. Seeds are fixed, so two
runs write the same bytes.
"""

import argparse
import multiprocessing
import os
import pathlib
import re
import shutil
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

import datasets
import mlp
import practice
from common import (
    SLIDES,
    TASKS,
    dead_fraction,
    legend_outside,
    markdown_table,
    negative_bias_init,
    pct,
    pyplot,
    save,
    slide,
)
from zoo import BUGS, bug_zoo, gradcheck_problem, planted_mistakes

# ----------------------------------------------------------------------------------------------------
# Experiments. Each returns (tables, headline): tables maps a section name of experiments_log.md to the
# Markdown table generated for it; headline is the one number the progress line prints. Each draws
# its figures into `figdir`. Seeds are fixed, so every run writes the same bytes.
# ----------------------------------------------------------------------------------------------------

def grad_rms(params, X, y, activation):
    """For each layer l, the root-mean-square of the entries of dL/dW_l: the typical gradient of one
    weight, which compares layers of different shapes fairly (a norm would grow with the layer's size)."""
    _, grads = mlp.loss_and_grads(params, X, y, activation)
    return [float(np.sqrt(np.mean(grads[f"dW{l}"] ** 2))) for l in range(1, len(params) // 2 + 1)]


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
    X, y = train_set
    everything = X if test_set is None else np.vstack([X, test_set[0]])
    (x0, y0), (x1, y1) = everything.min(axis=0) - 0.4, everything.max(axis=0) + 0.4
    gx, gy = np.meshgrid(np.linspace(x0, x1, 150), np.linspace(y0, y1, 150))
    p = mlp.predict_proba(params, np.column_stack([gx.ravel(), gy.ravel()]), activation).reshape(gx.shape)
    field = ax.contourf(gx, gy, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6)
    ax.contour(gx, gy, p, levels=[0.5], colors="k", linewidths=1.2)
    if test_set is not None:
        Xt, yt = test_set
        ax.scatter(Xt[:, 0], Xt[:, 1], c=yt.ravel(), cmap="RdBu_r", vmin=0, vmax=1, s=9, marker="x",
                   linewidths=0.8, alpha=0.9, label="test")
    ax.scatter(X[:, 0], X[:, 1], c=y.ravel(), cmap="RdBu_r", vmin=0, vmax=1, s=14, edgecolors="k",
               linewidths=0.4, label="train")
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$", xlim=(x0, x1), ylim=(y0, y1))
    ax.grid(False)
    return field


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
            rows.append([task, act, f"{hist['loss'][-1]:.3f}", f"{hist['val_loss'][-1]:.3f}",
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

    table = markdown_table(["task", "hidden activation", "training loss", "held-out loss",
                            "held-out accuracy", "first epoch at >= 95 % held-out"], rows)
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


def kink_sweep(distances, eps=1e-5):
    """Move one relu unit's pre-activation z to within `distance` of its kink at 0 for one example; the
    max relative error of the check for each distance. Within eps, the centred difference straddles the
    kink and measures a slope that neither side has."""
    params, X, y = gradcheck_problem([2, 5, 4, 1], "relu")
    z1 = X @ params["W1"] + params["b1"]  # (n, 5)
    errors = []
    for distance in distances:
        kinked = {k: v.copy() for k, v in params.items()}
        kinked["b1"][0, 0] -= z1[0, 0] - distance  # now z1[0, 0] = distance
        errors.append(max_rel_error(mlp.gradient_check(kinked, X, y, "relu", eps)))
    return errors


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
    rows = []
    for l in (20, 15, 10, 5, 2, 1):
        r = report[f"dW{l}"]
        rows.append([f"dW{l}", f"{np.abs(r['analytic']).max():.1e}",
                     f"{np.abs(r['analytic'] - r['numeric']).max():.1e}", f"{r['rel_error']:.1e}",
                     mlp.verdict(r["rel_error"]), f"{r['error']:.1e}", r["verdict"]])
    rel, err = max(r["rel_error"] for r in report.values()), max(r["error"] for r in report.values())
    rows.append([f"all {len(report)} tensors (worst)", "", "", f"{rel:.1e}", mlp.verdict(rel), f"{err:.1e}",
                 ", ".join(sorted({r["verdict"] for r in report.values()}))])
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
                 f"{err:.1e}" if np.isfinite(err) else "(wrong shape)", where, by, verdict,
                 (said or "").replace("|", "\\|")] for bug, act, err, where, by, verdict, said in zoo]
    zoo_table = markdown_table(["planted mistake", "hidden activation", "what the code does",
                                "max error", "first wrong step", "caught by", "verdict",
                                "the check's diagnosis of that step"], zoo_rows)

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
    kink_errors = kink_sweep(distances)

    def draw_kink(ax):
        ax.plot(distances, kink_errors, "o-", color=ACTIVATION_COLORS["relu"], label="max relative error")
        ax.axvline(1e-5, color="k", ls="--", lw=0.8, label="eps = 1e-5")
        draw_thresholds(ax, 1e-1)
        ax.set(xscale="log", yscale="log", xlabel="distance of one relu input z from the kink at 0",
               ylabel="max relative error", title="A relu kink within eps of an input breaks the check")

    panels = {"gradient_check_scatter.png": draw_scatter, "gradient_check_per_tensor.png": draw_per_tensor,
              "gradient_check_eps.png": draw_eps, "gradient_check_kink.png": draw_kink}
    fig, axes = plt.subplots(2, 2, figsize=(12, 9), layout="constrained")
    corners = ["upper left", "upper left", "lower left", "center right"]  # each panel's empty corner (looked)
    for ax, draw, corner in zip(axes.flat, panels.values(), corners, strict=True):
        draw(ax)
        ax.legend(loc=corner)
    fig.suptitle("Gradient check: backward against centred finite differences of the same loss")
    save(fig, figdir, "gradient_check.png")
    for name, draw in panels.items():
        slide(figdir, name, draw, ncol=2)  # the eps legend's long entries: two columns fit
    tables = {"gradient_check": table, "bug_zoo": zoo_table, "deep_check": deep_check_table()}
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
    acc, models = {}, {}
    for task, (train_set, test_set) in TASKS.items():
        for name, sizes in DEPTHS.items():
            for seed in seeds:
                params, _ = mlp.train(*train_set, sizes, "relu", lr=1.0, epochs=epochs, seed=seed)
                acc[task, name, seed] = mlp.accuracy(params, *test_set, "relu")
                models.setdefault((task, name), params)  # seed 0's, to draw
    summary = {(task, name): np.array([acc[task, name, s] for s in seeds])
               for task in TASKS for name in DEPTHS}
    rows = [[task] + [f"{pct(a.mean())} ± {100 * a.std():.1f} (min {pct(a.min())})"
                      for a in (summary[task, name] for name in DEPTHS)] for task in TASKS]
    table = markdown_table(["task (held-out accuracy, mean ± std over seeds)"] + list(DEPTHS), rows)
    table += ("\n\nThe same 3-layer networks on XOR at train's default lr 4, seeds "
              + ", ".join(map(str, seeds)) + ": " + "; ".join(at_default_lr(epochs, seed) for seed in seeds)
              + ".")

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


def experiment_vanishing(figdir, quick=False):
    """The typical gradient of a weight in each layer at initialisation (geometric mean over seeds),
    for deep networks, and in the first and last layer over early training."""
    plt = pyplot()
    X, y = TASKS["moons"][0]
    seeds = range(1 if quick else 5)

    def mean_rms(act, k):  # geometric mean over seeds of each layer's RMS gradient
        logs = [np.log(grad_rms(mlp.init_params([2] + [32] * k + [1], act, s), X, y, act)) for s in seeds]
        return np.exp(np.mean(logs, axis=0))

    rms = {(act, k): mean_rms(act, k) for act in mlp.ACTIVATIONS for k in HIDDEN_LAYERS}
    rows = [[act] + [f"{rms[act, k][0] / rms[act, k][-1]:.1e}" for k in HIDDEN_LAYERS]
            for act in mlp.ACTIVATIONS]
    table = markdown_table(["hidden activation (default init)"]
                           + [f"{k} hidden layers: layer 1 / layer {k + 1}" for k in HIDDEN_LAYERS], rows)
    deepest = HIDDEN_LAYERS[-1]
    factor = {act: (rms[act, deepest][-1] / rms[act, deepest][0]) ** (1 / deepest) for act in mlp.ACTIVATIONS}
    table += ("\n\nWith 8 hidden layers, the gradient shrinks on its way down by a factor of "
              + ", ".join(f"{factor[act]:.1f} ({act})" for act in mlp.ACTIVATIONS)
              + " per layer, on average.")

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
                                  f"sigmoid {rows[0][-1]}, relu {rows[1][-1]}")


# --- 5. initialisation and dead neurons --------------------------------------------------------------

INITS = ["he", "xavier", "normal", "small", "zeros", "he, bias -1"]


def experiment_init(figdir, quick=False):
    """Dead relu units at init and after training for each init; zero init's symmetry (sigmoid net)."""
    plt = pyplot()
    (X, y), (Xt, yt) = TASKS["moons"]
    sizes, seeds, epochs = [2, 32, 32, 1], range(1 if quick else 3), (30 if quick else 1000)
    stats = {}
    for init in INITS:
        for seed in seeds:
            params = (negative_bias_init(sizes, seed) if init == "he, bias -1"
                      else mlp.init_params(sizes, "relu", seed, init))
            dead_before = dead_fraction(params, X)
            params, hist = mlp.train(X, y, sizes, "relu", lr=0.5, epochs=epochs, params=params)
            stats[init, seed] = (dead_before, dead_fraction(params, X), hist["loss"][-1],
                                 mlp.accuracy(params, Xt, yt))
    mean = {init: np.mean([stats[init, s] for s in seeds], axis=0) for init in INITS}
    rows = [[init, pct(m[0]), pct(m[1]), f"{m[2]:.3f}", pct(m[3])] for init, m in mean.items()]
    table = markdown_table(["init ([2, 32, 32, 1], relu)", "dead units at init", "dead after training",
                            "final training loss", "held-out accuracy"], rows)

    sym = {}
    keep = (y[:, 0] == 0) | (np.arange(len(y)) % 4 == 1)  # class 0 and half of class 1; on balanced classes
    #                                  a zero-init sigmoid network does not move at all (mean(y_hat - y) = 0)
    for init in ("xavier", "zeros"):
        params, _ = mlp.train(X[keep], y[keep], [2, 16, 1], "sigmoid", epochs=epochs, init=init)
        distinct = np.unique(params["W1"].round(12), axis=1).shape[1]  # hidden units with different weights
        sym[init] = params, distinct, mlp.accuracy(params, Xt, yt, "sigmoid")
    sym_table = markdown_table(["init ([2, 16, 1], sigmoid, 2:1 classes)", "distinct hidden units",
                                "held-out accuracy"], [[k, v[1], pct(v[2])] for k, v in sym.items()])

    x = np.arange(len(INITS))

    def draw_dead(ax):
        ax.bar(x - 0.2, [100 * mean[i][0] for i in INITS], 0.4, color="tab:gray", label="at initialisation")
        ax.bar(x + 0.2, [100 * mean[i][1] for i in INITS], 0.4, color="tab:red", label="after training")
        ax.set(xticks=x, xticklabels=INITS, ylabel="dead relu units (%): never active on the training set",
               title=f"Dead units, [2, 32, 32, 1] on moons, mean of {len(seeds)} seeds", ylim=(0, 105))

    def draw_accuracy(ax):
        for i, init in enumerate(INITS):
            accs = [stats[init, s][3] for s in seeds]
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

    panels = {"init_dead_units.png": draw_dead, "init_accuracy.png": draw_accuracy,
              "init_symmetry.png": draw_symmetry}
    fig, axes = plt.subplots(1, 3, figsize=(16, 5.2), layout="constrained")
    for ax, draw in zip(axes, panels.values(), strict=True):
        draw(ax)
    axes[0].legend(loc="upper left")
    legend_outside(fig, axes[2])
    fig.suptitle("Initialisation: too small, zero or biased off, units die or stay identical")
    save(fig, figdir, "dead_neurons.png")
    for name, draw in panels.items():
        slide(figdir, name, draw)
    he, neg = mean["he"][1], mean["he, bias -1"][1]
    return {"init": table, "symmetry": sym_table}, f"dead after training: He {pct(he)}, bias -1 {pct(neg)}"


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


# --- 7. the moving picture: the moons boundary and the loss, epoch by epoch ----------------------------

ANIMATION = "training_moons.gif"  # and its still, for print: training_moons.png (the last frame)


def frame_epochs(epochs, n=60):
    """The epochs drawn: 0, then about n from 1 to `epochs`, evenly spaced on a log scale (so the
    fast early change gets as many frames as the slow end; rounding merges the first few)."""
    return sorted({0, *np.geomspace(1, epochs, n).round().astype(int).tolist()})


def training_frames(epochs):
    """[(epoch, params, history)] at each of frame_epochs(epochs), from a loop of train, one epoch a
    call, each call going on from the params and history the last returned: one run of train's
    defaults on the moons (seed 0), bit for bit, seen between its epochs."""
    (X, y), (Xt, yt) = TASKS["moons"]
    wanted = frame_epochs(epochs)
    params, history = mlp.init_params([2, 16, 1], "relu"), None  # train's own start, seed 0
    frames = [(0, params, {"loss": [], "val_loss": [], "val_acc": []})]
    for epoch in range(1, epochs + 1):
        params, history = mlp.train(X, y, [2, 16, 1], "relu", epochs=1, params=params, history=history,
                                    X_val=Xt, y_val=yt)
        if epoch in wanted:
            frames.append((epoch, params, history))
    return frames


def loss_panel(ax, epochs, loss_range):
    """The loss axes of the animation, drawn once (log axes, fixed ranges, so the frames line up):
    (training line, held-out line), empty, for draw_frame to fill."""
    color = ACTIVATION_COLORS["relu"]
    lines = (ax.plot([], [], color=color, label="training")[0],
             ax.plot([], [], color=color, ls="--", label="held-out")[0])
    ax.axhline(np.log(2), color="gray", lw=0.8, ls=":", label="ln 2 (a coin flip)")
    ax.set(xscale="log", yscale="log", xlim=(1, epochs), ylim=loss_range,
           xlabel="epoch (one full-batch gradient step each, lr 4)",
           ylabel="mean binary cross-entropy", title="the loss so far")
    ax.legend(loc="lower left")
    return lines


def draw_frame(left, lines, params, history, epoch):
    """One frame: the probability field after `epoch` epochs on `left` (cleared first), and the losses
    up to it in the loss panel's two lines (only their data change: the axes are drawn once)."""
    left.clear()
    acc = f", held-out accuracy {pct(history['val_acc'][-1])}" if epoch else ": untrained"
    plot_field(left, params, "relu", TASKS["moons"][0], title=f"epoch {epoch}{acc}")
    left.set(xlabel="", ylabel="", xticks=[], yticks=[], aspect="equal")
    e = np.arange(1, epoch + 1)
    lines[0].set_data(e, history["loss"] if epoch else [])
    lines[1].set_data(e, history["val_loss"] if epoch else [])


def experiment_animation(figdir, quick=False):
    """An animated GIF of the boundary and the loss forming, from an epoch-by-epoch loop of train:
    each call goes on from the params and history the last returned, so the frames are one run of
    train's defaults (the run of section 1), seen at frame_epochs. The last frame also as a PNG."""
    from PIL import Image  # matplotlib's own dependency: nothing new to install

    plt = pyplot()
    epochs = 30 if quick else 1000
    frames = training_frames(epochs)
    history = frames[-1][2]
    losses = history["loss"] + history["val_loss"]
    loss_range = (min(losses) / 1.5, max(losses) * 1.5)
    fig = plt.figure(figsize=(8, 3.6), dpi=100, layout="constrained")
    axes = fig.subplots(1, 2, width_ratios=[1.15, 1])
    fig.suptitle("A relu [2, 16, 1] network learning two moons by gradient descent")
    lines = loss_panel(axes[1], epochs, loss_range)
    draw_frame(axes[0], lines, *frames[-1][1:], epochs)  # the longest labels: lay out once,
    fig.canvas.draw()
    fig.set_layout_engine("none")  # then keep those positions for every frame (and save the time)
    images = []
    for epoch, params, hist in frames:
        draw_frame(axes[0], lines, params, hist, epoch)
        fig.canvas.draw()
        rgb = Image.frombuffer("RGBA", fig.canvas.get_width_height(), fig.canvas.buffer_rgba()).convert("RGB")
        images.append(rgb.quantize(64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE))
    with plt.rc_context({"savefig.dpi": 200}):  # the still, for print: the last frame, 1600 x 720 px
        save(fig, figdir, ANIMATION.replace(".gif", ".png"))
    durations = [150] * (len(images) - 1) + [2500]  # ms: hold the last frame
    images[0].save(f"{figdir}/{ANIMATION}", save_all=True, append_images=images[1:], duration=durations,
                   loop=0, optimize=False)
    return {}, f"{len(images)} frames, held-out accuracy {pct(history['val_acc'][-1])} at the end"


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
    "initialisation": (experiment_init, ["dead_neurons.png"] + slides("init_dead_units", "init_accuracy",
                                                                      "init_symmetry")),
    "practice": (practice.experiment, ["practice_mse.png"] + slides(
        "practice_mse_loss", "practice_mse_output", "practice_mse_step_1")),
    "gradient check": (experiment_gradient_check, ["gradient_check.png"] + slides(
        "gradient_check_scatter", "gradient_check_per_tensor", "gradient_check_eps", "gradient_check_kink")),
    "check verdicts": (experiment_verdicts, []),
    "non-linear task": (experiment_nonlinear, ["loss_curve.png", "decision_boundary.png"] + slides(
        "loss_curve_moons", "loss_curve_xor", "decision_boundary_moons", "decision_boundary_xor",
        *[f"decision_boundary_forming_{j + 1}" for j in range(len(SNAPSHOTS))])),
    "vanishing gradients": (experiment_vanishing, ["vanishing_gradients.png"] + slides(
        *[f"vanishing_{act}" for act in mlp.ACTIVATIONS], "vanishing_training")),
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


def main(argv=None):
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

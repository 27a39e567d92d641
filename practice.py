"""Practice: the computations behind the exercises of docs/practice.md.

The lab (experiments.py) runs `experiment` with the others: it writes each exercise's tables into
experiments_log.md (the sections named practice-...) and its figure into visualizations/, so every
number a solution states is generated. The page quotes the named regions of this file; the tests
(test_practice.py) run them and check what the page claims.

Three kinds of exercise:
- find the bug: each mistake of the bug zoo (zoo.BUGS) as a diff against mlp.py, and the
  gradient check's answer; and two bugs in a gradient check itself (CHECK_BUGS);
- derive it: a formula, checked against the centred differences of the loss;
- predict, then run: a number, and the run that gives it.

And a command line, for learners and teachers (NumPy only, as the rest):
    python practice.py starter DIR   writes the starter (backward_two_layer, its seven steps to
                                     write) and one file per bug of the zoo into DIR
    python practice.py check FILE    grades FILE's backward_two_layer (or backward): exit status 0
                                     only when every step is correct on every network
    python practice.py check PATH... --csv FILE, and gradescope OUT.zip: a class at once (grade.py,
                                     where grading lives: the learner's file runs in a child process)
"""

import argparse
import ast
import difflib
import inspect
import math
import pathlib
import re
import sys
import tempfile
import textwrap

import numpy as np

import common
import datasets
import diagnosis
import grade
import mlp
import zoo

# ----------------------------------------------------------------------------------------------------
# Planting changes in the lesson's own source: the diffs the page shows and the code that runs them
# ----------------------------------------------------------------------------------------------------

MLP_SOURCE = pathlib.Path(inspect.getsourcefile(mlp))


def _edited_lines(name, edits):
    """(first line number, the function's lines, its lines with `edits` made) for mlp.<name>.

    edits: {a piece of exactly one line of the function: its replacement, or None to delete it}."""
    lines, first = inspect.getsourcelines(inspect.unwrap(getattr(mlp, name)))
    new = list(lines)
    for old, replacement in edits.items():
        where = [i for i, line in enumerate(lines) if old in line]
        if len(where) != 1:
            raise ValueError(f"{old!r} is in {len(where)} lines of mlp.{name}, not exactly one")
        i = where[0]
        new[i] = None if replacement is None else zoo.replace(lines[i], old, replacement)
    return first, lines, [line for line in new if line is not None]


def planted(changes, **extra):
    """The functions of mlp.py named in `changes` ({name: edits}), recompiled from the lesson's source
    with the edits made, in one namespace (a copy of mlp's, plus `extra`): they call each other, and
    mlp's other functions as they are. Returns the namespace."""
    namespace = dict(vars(mlp), **extra)
    for name, edits in changes.items():
        _, _, new = _edited_lines(name, edits)
        source = textwrap.dedent("".join(new))
        exec(compile(source, f"<mlp.{name}, edited>", "exec"), namespace)
    return namespace


def diff(changes, label="with the bug"):
    """The changes as a unified diff of mlp.py, with its real line numbers, in a Markdown diff block."""
    text = MLP_SOURCE.read_text(encoding="utf-8").splitlines(keepends=True)
    after = list(text)
    for name, edits in sorted(changes.items(), key=lambda item: -_edited_lines(item[0], item[1])[0]):
        first, lines, new = _edited_lines(name, edits)  # the later function first: numbers stay valid
        after[first - 1:first - 1 + len(lines)] = new
    body = "".join(difflib.unified_diff(text, after, "mlp.py", f"mlp.py, {label}", n=1)).rstrip("\n")
    return f'```diff linenums="0"\n{body}\n```'


def slug(name):
    """A bug's name as a marker name: "missing 1/n" -> "missing-1-n"."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def steps_of_backward_two_layer():
    """{"dz2": 1, "dW2": 2, ...}: the tensor each tagged line of backward_two_layer assigns."""
    return {m["name"]: int(m["step"])  # STEP_LINE: the starter's parser of the same tags
            for m in map(STEP_LINE.match, zoo.lesson_source().splitlines()) if m}


def report_table(report, steps, diagnosed=True):
    """gradient_check's report as a Markdown table, a column per tensor in its step order, and the
    first tensor that is not correct, with its diagnosis if diagnosed (not for a broken check: the
    diagnosis reads backward against the numerical gradient, which is then what is wrong)."""
    header = ["tensor"] + [f"`{key}` ({steps[key]})" for key in report]
    rows = [["error"] + [f"{r['error']:.1e}" for r in report.values()],
            ["verdict"] + [r["verdict"] for r in report.values()]]
    first = diagnosis.first_wrong(report)
    said = report[first].get("diagnosis") if first and diagnosed else None
    return common.markdown_table(header, rows) + (
        "\n\nEvery tensor is correct." if first is None else
        f"\n\nThe first tensor that is not correct: `{first}`, step ({steps[first]})."
        + (f" The check's diagnosis: \"{said}\"." if said else ""))


# ----------------------------------------------------------------------------------------------------
# Find the bug: the zoo's mistakes in backward, and two in the gradient check itself
# ----------------------------------------------------------------------------------------------------

# --8<-- [start:bug_check]
def bug_check(bug, seed=0):
    """gradient_check's report on backward_two_layer with the zoo's `bug`
    planted: what you see if that is your backward."""
    activation = zoo.BUGS[bug][0]
    params, X, y = zoo.gradcheck_problem(
        zoo.ZOO_SIZES, activation, seed=seed)  # a small network
    _, cache = mlp.forward(params, X, activation)
    backward = zoo.buggy_backward(bug)  # compiled from mlp.py
    mine = backward(params, cache, y, activation)
    return mlp.gradient_check(params, X, y, activation, analytic=mine)
# --8<-- [end:bug_check]


def bug_tables(bug):
    """{practice-diff-SLUG: the bug as a diff, practice-check-SLUG: what the check says}."""
    _, description, lines = zoo.BUGS[bug]
    try:
        check = report_table(bug_check(bug), steps_of_backward_two_layer())
    except ValueError as err:  # the shape rule at gradient_check's door
        key, want, got = zoo.shape_error(err)
        check = (common.markdown_table(["caught by", "compared"], [["the shape rule", "nothing"]])
                 + f"\n\n`gradient_check`'s door raises:\n\n```text linenums='0'\nValueError: {err}\n```"
                 f"\n\nThe grader's diagnosis: \"{zoo.shape_sentence(key, got, want)}\".")
    return {f"practice-diff-{slug(bug)}": diff({"backward_two_layer": lines}),
            f"practice-check-{slug(bug)}": f"{check}\n\nThis is the zoo's *{bug}*: {description}."}


# --8<-- [start:check_bugs]
CHECK_BUGS = {  # name -> (what is wrong, {function of mlp.py: {line: new}})
    "perturbs a copy": ("the loss never sees the perturbed array", {
        "gradient_check": {"theta[name], eps)": "theta[name].copy(), eps)"}}),
    "never restores": ("each entry is left at t - eps", {
        "numerical_gradient": {
            "t[s] = t_s  # restore before the next": None}}),
}  # None: the line is deleted


def check_bug_check(bug, seed=0):
    """gradient_check with CHECK_BUGS[bug] planted, on the lesson's own,
    correct, backward: a check must pass a backward you trust."""
    changes = {"gradient_check": {}, **CHECK_BUGS[bug][1]}  # all recompiled
    buggy_check = planted(changes)["gradient_check"]
    params, X, y = zoo.gradcheck_problem(
        zoo.ZOO_SIZES, "sigmoid", seed=seed)
    return buggy_check(params, X, y, "sigmoid")
# --8<-- [end:check_bugs]


def check_bug_tables(bug):
    description, changes = CHECK_BUGS[bug]
    check = report_table(check_bug_check(bug), steps_of_backward_two_layer(), diagnosed=False)
    return {f"practice-diff-{slug(bug)}": diff(changes),
            f"practice-planted-{slug(bug)}": planted_listing(changes),
            f"practice-check-{slug(bug)}": f"{check}\n\nThe check's bug, *{bug}*: {description}."}


def planted_listing(changes):
    """The functions of mlp.py that `changes` edits, as they read with the change made: the exercise,
    without the diff that would give it away (numbered on from each function's first line)."""
    blocks = []
    for name, edits in changes.items():
        first, _, new = _edited_lines(name, edits)
        blocks.append(f'```python linenums="{first}" title="mlp.py: {name}, with a planted bug"\n'
                      + "".join(new).rstrip("\n") + "\n```")
    return "\n\n".join(blocks)


# ----------------------------------------------------------------------------------------------------
# Derive it: each formula against centred differences of the loss it differentiates
# ----------------------------------------------------------------------------------------------------

# --8<-- [start:check_loss]
def check_loss(loss, params, grads, eps=1e-5):
    """grads["dW1"], grads["db1"], ... against centred differences of
    loss(params), any loss: {"dW1": (max relative error, verdict), ...}."""
    theta = {k: v.copy() for k, v in params.items()}  # perturbed in place
    report = {}
    for key, a in grads.items():
        if key[1:] in theta:  # dW_l and db_l; dz and da are not checked here
            g = mlp.numerical_gradient(lambda t: loss(theta), theta[key[1:]],
                                       eps)
            err = float(mlp.relative_error(a, g).max())
            report[key] = err, mlp.verdict(err)
    return report
# --8<-- [end:check_loss]


def worst(report):
    """(max error, its verdict) over a check_loss report or the entries of a gradient_check report."""
    errors = [r["error"] if isinstance(r, dict) else r[0] for r in report.values()]
    return max(errors), mlp.verdict(max(errors))


# --8<-- [start:derive_tanh]
def derive_tanh(seed=0):
    """tanh'(z1) in step (5), dz1 = da1 tanh'(z1): dz1 checked alone."""
    params, X, y = zoo.gradcheck_problem([2, 3, 1], "tanh", seed=seed)
    _, cache = mlp.forward(params, X, "tanh")
    da1 = mlp.backward(params, cache, y, "tanh")["da1"]  # checked: correct
    z1 = cache["z1"]
    candidates = {"1 - tanh(z)^2": 1 - np.tanh(z1) ** 2, "1 - z^2": 1 - z1**2}
    return {formula: mlp.gradient_check(params, X, y, "tanh",
                                        analytic={"dz1": da1 * slope})
            for formula, slope in candidates.items()}
# --8<-- [end:derive_tanh]


# --8<-- [start:derive_bias]
def derive_bias(seed=0):
    """db1 and db2 from backward's dz1 and dz2, three ways, checked."""
    params, X, y = zoo.gradcheck_problem([2, 3, 1], "tanh", seed=seed)
    _, cache = mlp.forward(params, X, "tanh")
    g, n = mlp.backward(params, cache, y, "tanh"), len(X)
    dz = {1: g["dz1"], 2: g["dz2"]}  # per example, (n, h) and (n, 1)
    ones = np.ones((n, 1))  # a column of ones: an input that is always 1
    candidates = {
        "sum over rows / n": {f"db{l}": dz[l].sum(axis=0, keepdims=True) / n
                              for l in dz},
        "1^T dz / n": {f"db{l}": ones.T @ dz[l] / n for l in dz},
        "sum over rows": {f"db{l}": dz[l].sum(axis=0, keepdims=True)
                          for l in dz},
    }
    return {formula: mlp.gradient_check(params, X, y, "tanh", analytic=db)
            for formula, db in candidates.items()}
# --8<-- [end:derive_bias]


# --8<-- [start:derive_softmax]
def derive_softmax(seed=0):
    """Step (1) of a softmax output over K = 3 classes: dz2 checked alone."""
    params, X, y = zoo.gradcheck_problem([2, 4, 3], "tanh", seed=seed)
    y_hat, _ = mlp.forward(params, X, "tanh")  # (n, 3); y: labels 0, 1, 2
    Y = np.eye(3)[y.ravel()]  # the one-hot rows (n, 3) of the labels
    candidates = {"y_hat - Y": y_hat - Y, "Y (y_hat - 1)": Y * (y_hat - 1)}
    return {formula: mlp.gradient_check(params, X, y, "tanh",
                                        analytic={"dz2": dz2})
            for formula, dz2 in candidates.items()}
# --8<-- [end:derive_softmax]


# --8<-- [start:mse]
def mse(params, X, y, activation="relu"):
    """L = (1/n) sum_i (y_hat_i - y_i)^2 / 2 for one sigmoid output."""
    y_hat, _ = mlp.forward(params, X, activation)
    return np.mean((y_hat - y) ** 2) / 2


def mse_step_1(y_hat, y):
    """Step (1) for the MSE: (y_hat - y) sigma'(z), and nothing cancels."""
    return (y_hat - y) * y_hat * (1 - y_hat)


MSE_STEP_1 = {"backward": {  # the one line that changes, in the diff above
    'cache[f"a{n_layers}"] - y}': 'mse_step_1(cache[f"a{n_layers}"], y)}'}}
mse_backward = planted(MSE_STEP_1, mse_step_1=mse_step_1)["backward"]


def derive_mse(seed=0):
    """mse_backward, and backward (the cross-entropy's), against the MSE."""
    params, X, y = zoo.gradcheck_problem([2, 3, 1], "tanh", seed=seed)
    _, cache = mlp.forward(params, X, "tanh")

    def loss(p):  # the MSE as a function of the parameters alone
        return mse(p, X, y, "tanh")

    return {formula: check_loss(loss, params, b(params, cache, y, "tanh"))
            for formula, b in {"(y_hat - y) y_hat (1 - y_hat)": mse_backward,
                               "y_hat - y": mlp.backward}.items()}
# --8<-- [end:mse]


# --8<-- [start:derive_l2]
def l2_loss(params, X, y, activation, lam):
    """The cross-entropy + (lam / 2) sum_l ||W_l||^2 (no penalty on b)."""
    penalty = sum(np.sum(params[k] ** 2) for k in params if k[0] == "W")
    return mlp.compute_loss(params, X, y, activation) + lam / 2 * penalty


def derive_l2(seed=0, lam=0.1):
    """dW_l + c W_l for two factors c, against the penalised loss."""
    params, X, y = zoo.gradcheck_problem([2, 3, 1], "tanh", seed=seed)
    _, grads = mlp.loss_and_grads(params, X, y, "tanh")

    def loss(p):
        return l2_loss(p, X, y, "tanh", lam)

    def penalised(c):  # dW_l + c W_l; db_l unchanged
        return {k: g + c * params[k[1:]] if k[1] == "W" else g
                for k, g in grads.items() if k[1:] in params}

    return {"lam W": check_loss(loss, params, penalised(lam)),
            "lam W / 2": check_loss(loss, params, penalised(lam / 2))}
# --8<-- [end:derive_l2]


DERIVATIONS = {  # marker name -> (the function, what the right formula is checked against)
    "practice-derive-tanh": (derive_tanh, "`gradient_check`, `analytic={\"dz1\": ...}`"),
    "practice-derive-bias": (derive_bias, "`gradient_check`, `analytic={\"db1\": ..., \"db2\": ...}`"),
    "practice-derive-softmax": (derive_softmax, "`gradient_check`, `analytic={\"dz2\": ...}`"),
    "practice-derive-mse": (derive_mse, "`check_loss` with the MSE"),
    "practice-derive-l2": (derive_l2, "`check_loss` with the penalised loss"),
}


def derivation_table(function, against):
    rows = []
    for formula, report in function().items():
        err, verdict = worst(report)
        rows.append([f"`{formula}`", ", ".join(f"`{k}`" for k in report), f"{err:.1e}", verdict])
    return (common.markdown_table(["formula", "tensors checked", "max error", "verdict"], rows)
            + f"\n\nChecked against {against}.")


# --- why the MSE learns slowly from a confident mistake ----------------------------------------------

# --8<-- [start:neuron]
NEURON_STARTS = {"mildly wrong": (0.6, 0.9),  # (w, b), as in Nielsen's book
                 "confidently wrong": (2.0, 2.0)}


def train_neuron(backward, start, lr=0.15, epochs=300):
    """One sigmoid unit, y_hat = sigma(w x + b), taught by gradient descent
    with `backward` that x = 1 has the label 0: y_hat before each step."""
    X, y = np.ones((1, 1)), np.zeros((1, 1))
    w, b = start
    params = {"W1": np.full((1, 1), w), "b1": np.full((1, 1), b)}  # [1, 1]
    beliefs = []
    for _ in range(epochs):
        y_hat, cache = mlp.forward(params, X, "sigmoid")
        beliefs.append(float(y_hat[0, 0]))
        grads = backward(params, cache, y, "sigmoid")
        for key in params:
            params[key] -= lr * grads["d" + key]
    return np.array(beliefs)
# --8<-- [end:neuron]


NEURON_LOSSES = {"cross-entropy": (mlp.backward, lambda p: -np.log1p(-p)),  # y = 0: l = -log(1 - y_hat)
                 "MSE": (mse_backward, lambda p: p**2 / 2)}


def experiment_neuron(figdir, epochs=300):
    """The unit's belief and loss over the epochs, for both losses and both starts: table and figure."""
    plt = common.pyplot()
    runs = {(loss, start): train_neuron(NEURON_LOSSES[loss][0], NEURON_STARTS[start], epochs=epochs)
            for loss in NEURON_LOSSES for start in NEURON_STARTS}
    rows = []
    for (loss, start), beliefs in runs.items():
        fixed = np.flatnonzero(beliefs < 0.5)
        rows.append([loss, start, f"{beliefs[0]:.3f}", fixed[0] if fixed.size else f"not in {epochs}",
                     f"{beliefs[-1]:.3f}"])
    table = common.markdown_table(["loss", "start", "y_hat at the start (the label is 0)",
                                        "gradient steps until y_hat < 0.5", f"y_hat after {epochs} steps"],
                                       rows)

    colors = {"cross-entropy": "tab:blue", "MSE": "tab:red"}

    def draw_runs(ax, curve):  # curve(loss, beliefs): what to plot of each run
        for (loss, start), beliefs in runs.items():
            ax.plot(curve(loss, beliefs), color=colors[loss],
                    ls="-" if start == "confidently wrong" else "--", label=f"{loss}, {start}")

    def draw_loss(ax):
        draw_runs(ax, lambda loss, beliefs: NEURON_LOSSES[loss][1](beliefs))
        ax.set(yscale="log", xlabel="gradient step", ylabel="loss of the example (each its own loss)",
               title="Loss curves: the MSE sits on a plateau when it is most wrong")

    def draw_output(ax):
        draw_runs(ax, lambda loss, beliefs: beliefs)
        ax.set(xlabel="gradient step", ylabel="$\\hat y$ (the label is 0)", ylim=(0, 1),
               title="The unit's output: how long the mistake lasts")

    def draw_step_1(ax):
        p = np.linspace(0.001, 0.999, 500)
        ax.plot(p, p - 0, color=colors["cross-entropy"], label="cross-entropy: $\\hat y - y$")
        ax.plot(p, mse_step_1(p, 0), color=colors["MSE"], label="MSE: $(\\hat y - y)\\,\\sigma'(z)$")
        for start, (w, b) in NEURON_STARTS.items():  # where each run begins
            p0 = float(mlp.sigmoid(w + b))
            ax.plot([p0, p0], [p0, mse_step_1(p0, 0)], "o", color="k", ms=5,
                    mfc="k" if start == "confidently wrong" else "w")
            ax.annotate(start, (p0, p0), textcoords="offset points", xytext=(-8, 4), ha="right",
                        fontsize="small")
        ax.set(xlabel="$\\hat y$ (the label is 0, so $\\hat y$ near 1 is a confident mistake)",
               ylabel="step (1): $dz$", title="Step (1): the push on the logit")

    panels = {"practice_mse_loss.png": draw_loss, "practice_mse_output.png": draw_output,
              "practice_mse_step_1.png": draw_step_1}
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.3), layout="constrained")
    corners = ["upper right", "center right", "upper left"]
    for ax, draw, corner in zip(axes, panels.values(), corners, strict=True):
        draw(ax)
        ax.legend(loc=corner)  # a fixed place, seen empty: "best" costs a second to find
    fig.suptitle("One sigmoid unit taught that x = 1 is class 0, by gradient descent with lr 0.15")
    common.save(fig, figdir, "practice_mse.png")
    for name, draw in panels.items():
        common.slide(figdir, name, draw)
    return table


# ----------------------------------------------------------------------------------------------------
# Predict, then run
# ----------------------------------------------------------------------------------------------------

# --8<-- [start:initial_loss]
def initial_loss():
    """[(task, sizes, L before any training at init="small", ln K)]."""
    tasks = {"moons": (common.TASKS["moons"][0], [2, 16, 1]),
             "xor": (common.TASKS["xor"][0], [2, 16, 1]),
             "digits": (datasets.load_digits(), [64, 32, 10])}
    rows = []
    for task, ((X, y), sizes) in tasks.items():
        params = mlp.init_params(sizes, init="small")  # std 0.01
        K = max(sizes[-1], 2)  # one sigmoid unit: two classes
        rows.append((task, sizes, mlp.compute_loss(params, X, y), np.log(K)))
    return rows
# --8<-- [end:initial_loss]


# --8<-- [start:zero_init]
def zero_init(epochs=300):
    """[(classes, activation, distinct hidden units, max |W1|, training
    loss, held-out accuracy)] for [2, 16, 1] from init="zeros", moons."""
    (X, y), (Xt, yt) = common.TASKS["moons"]
    two_to_one = (y[:, 0] == 0) | (np.arange(len(y)) % 4 == 1)  # half of 1s
    rows = []
    for classes, keep in (("balanced", slice(None)), ("2:1", two_to_one)):
        for activation in ("relu", "tanh", "sigmoid"):
            params, history = mlp.train(X[keep], y[keep], [2, 16, 1],
                                        activation, epochs=epochs,
                                        init="zeros")
            W1 = params["W1"]  # (2, 16): a column per hidden unit
            distinct = np.unique(W1.round(12), axis=1).shape[1]
            rows.append((classes, activation, distinct, np.abs(W1).max(),
                         history["loss"][-1],
                         mlp.accuracy(params, Xt, yt, activation)))
    return rows
# --8<-- [end:zero_init]


# --8<-- [start:xor_two_units]
def xor_two_units(seeds=range(10)):
    """[(seed, y_hat at the corners, final loss, the corners where both
    units are off)] for relu [2, 2, 1], train's defaults, XOR's 4 points."""
    X, y = datasets.make_xor(4, noise=0.0)  # the truth table: labels 0 1 1 0
    rows = []
    for seed in seeds:
        params, history = mlp.train(X, y, [2, 2, 1], seed=seed)
        y_hat, cache = mlp.forward(params, X)
        off = np.flatnonzero((cache["z1"] <= 0).all(axis=1))  # no unit on
        rows.append((seed, y_hat[:, 0], history["loss"][-1], off))
    return rows
# --8<-- [end:xor_two_units]


def entropy(p):
    """H(p) in nats: the cross-entropy of predicting p for examples of which a share p is class 1."""
    return -(p * math.log(p) + (1 - p) * math.log(1 - p))


# --8<-- [start:big_steps]
BIG_STEPS = [([2, 16, 1], 4.0), ([2, 16, 1], 8.0), ([2, 16, 1], 16.0),
             ([2, 16, 1], 32.0), ([2, 32, 32, 1], 8.0)]  # (sizes, lr)


def big_steps():
    """[(sizes, lr, the losses or the FloatingPointError, held-out accuracy,
    dead units)]: relu networks on the moons, train's defaults but lr."""
    (X, y), (Xt, yt) = common.TASKS["moons"]
    rows = []
    for sizes, lr in BIG_STEPS:
        try:
            params, history = mlp.train(X, y, sizes, lr=lr)
        except FloatingPointError as err:  # train's verdict: it diverged
            rows.append((sizes, lr, err, None, None))
            continue
        rows.append((sizes, lr, history["loss"], mlp.accuracy(params, Xt, yt),
                     common.dead_fraction(params, X)))
    return rows
# --8<-- [end:big_steps]


# --8<-- [start:dead_units]
def dead_units(bias=-1.0, seeds=range(10)):
    """Mean and std over seeds of the fraction of each hidden layer of relu
    [2, 32, 32, 1] that no moons training point switches on, at init: He
    weights, every hidden bias `bias`."""
    X, _ = common.TASKS["moons"][0]
    dead = []
    for seed in seeds:
        params = common.negative_bias_init([2, 32, 32, 1], seed, bias)
        _, cache = mlp.forward(params, X)
        dead.append([np.mean((cache[f"z{l}"] <= 0).all(axis=0))  # off always
                     for l in (1, 2)])
    return np.mean(dead, axis=0), np.std(dead, axis=0)
# --8<-- [end:dead_units]


def predict_tables(quick=False):
    """The tables of the predict-then-run exercises."""
    pct = common.pct
    rows = [[task, sizes, f"{L:.4f}", f"{lnK:.4f}", f"{L - lnK:+.1e}"]
            for task, sizes, L, lnK in initial_loss()]
    tables = {"practice-initial-loss": common.markdown_table(
        ["task", "network", "loss at init", "ln K (K classes)", "difference"], rows)}

    rows = [[c, act, d, f"{w:.2g}", f"{L:.3f}", pct(acc)]
            for c, act, d, w, L, acc in zero_init(100 if quick else 300)]
    tables["practice-zero-init"] = common.markdown_table(
        ["classes", "hidden activation", "distinct hidden units (of 16)", "max abs(W1)", "training loss",
         "held-out accuracy"], rows)

    xor = xor_two_units(range(3) if quick else range(10))
    solved = sum(bool(np.all((y_hat >= 0.5) == [0, 1, 1, 0])) for _, y_hat, _, _ in xor)
    corner = ["(-1, -1)", "(-1, 1)", "(1, -1)", "(1, 1)"]
    rows = [[seed, " ".join(f"{p:.2f}" for p in y_hat), f"{L:.3f}",
             ", ".join(corner[i] for i in off) or "none"] for seed, y_hat, L, off in xor]
    tables["practice-xor"] = common.markdown_table(
        ["seed", "y_hat at the corners (labels 0 1 1 0)", "final loss", "corners where both units are off"],
        rows) + (
        f"\n\n{solved} of {len(xor)} seeds classify all four corners. The losses of the stuck runs: "
        f"(1/2) ln 2 = {math.log(2) / 2:.3f} (two corners of opposite labels share the output 1/2), "
        f"(3/4) H(1/3) = {0.75 * entropy(1 / 3):.3f} (three corners share 1/3), "
        f"ln 2 = {math.log(2):.3f} (all four share 1/2).")

    rows = []
    for sizes, lr, losses, acc, dead in big_steps():
        if isinstance(losses, FloatingPointError):
            rows.append([sizes, lr, f"raises FloatingPointError: {losses}", "", "", ""])
        else:
            L = np.array(losses)
            rows.append([sizes, lr, f"returns; the largest loss: {L.max():.3g}, in epoch {L.argmax() + 1}",
                         f"{L[-1]:.3f}", pct(acc), pct(dead)])
    tables["practice-lr"] = common.markdown_table(
        ["network (relu)", "lr", "train", "final training loss", "held-out accuracy", "dead hidden units"],
        rows)

    rows = []
    for bias in (0.0, -1.0):
        mean, std = dead_units(bias, range(3) if quick else range(10))
        rows.append([f"{bias:g}"] + [f"{pct(m)} ± {100 * s:.1f}" for m, s in zip(mean, std, strict=True)])
    tables["practice-dead"] = common.markdown_table(
        ["hidden biases", "dead in hidden layer 1 (mean ± std over seeds)", "dead in hidden layer 2"], rows)
    return tables


# ----------------------------------------------------------------------------------------------------
# The experiment the lab runs (experiments.EXPERIMENTS["practice"])
# ----------------------------------------------------------------------------------------------------

def experiment(figdir, quick=False):
    """Every practice table (tables of experiments_log.md's practice-... sections) and the figure."""
    tables = {}
    for bug in zoo.BUGS:
        tables.update(bug_tables(bug))
    for bug in CHECK_BUGS:
        tables.update(check_bug_tables(bug))
    for name, (function, against) in DERIVATIONS.items():
        tables[name] = derivation_table(function, against)
    tables["practice-diff-mse"] = diff(MSE_STEP_1, "with the MSE's step (1)")
    tables["practice-mse"] = experiment_neuron(figdir, 100 if quick else 300)
    tables["practice-starter"] = f"```python linenums=\"0\"\n{starter_source()}```"
    tables.update(grader_examples())
    tables.update(predict_tables(quick))
    exercises = len(zoo.BUGS) + len(CHECK_BUGS) + len(DERIVATIONS) + 5
    return tables, f"{exercises} exercises, {len(tables)} tables"


# ----------------------------------------------------------------------------------------------------
# Files to hand out: python practice.py starter DIR. Made from mlp.py's and zoo.py's own source.
# ----------------------------------------------------------------------------------------------------

STEP_LINE = re.compile(  # a tagged line of backward_two_layer: "    dz2 = y_hat - y  # (1) ...  (n, K)"
    r"^(?P<indent>\s*)(?P<name>\w+) = (?P<code>.*?)\s+# \((?P<step>\d)\)\s*(?P<comment>.*)$")
HOW_TO_CHECK = """\
Check it from the project's folder (where mlp.py is), with the path to this file:

    python practice.py check {name}

The grader runs it on small networks (sigmoid, tanh and relu hidden units; one output and K = 3
classes) and prints, for each, every step's verdict and the first wrong step with what the check
makes of it. It exits 0 once every step is correct on every network."""
ARGUMENTS = """\
What the function gets (the lesson's names; shapes for the network [d, h, K], n examples):
    params      {"W1": (d, h), "b1": (1, h), "W2": (h, K), "b2": (1, K)}
    cache       forward's: {"a0": X (n, d), "z1": (n, h), "a1": (n, h), "z2": (n, K),
                "a2": y_hat (n, K)}
    y           the targets (n, K): the 0/1 column if K = 1; for K >= 2 classes, the
                one-hot rows (as mlp.backward_two_layer gets them from its door)
    activation  "sigmoid", "tanh" or "relu": f of the hidden layer; ACTIVATIONS[activation]
                is (f, f_grad), and f_grad(z, a) is f'(z), given z and a = f(z)
What it returns: {"dz2", "dW2", "db2", "da1", "dz1", "dW1", "db1"}. dW and db have the
shapes of W and b; dz and da have one row per example (n dL/dz, as in mlp.py's symbol
table), so the 1/n is applied in dW and db."""


def imports_for(source):
    """The import line for the names of mlp.py that the code uses without defining them."""
    tree = ast.parse(source)
    assigned = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    names = sorted((used - assigned) & {k for k in vars(mlp) if not k.startswith("_")})
    return f"from mlp import {', '.join(names)}\n" if names else ""


def starter_source():
    """The lesson's backward_two_layer with each of its seven steps a TODO that raises."""
    lines = []
    for line in zoo.lesson_source().splitlines():
        m = STEP_LINE.match(line)
        if not m:
            lines.append(line)
            continue
        what, shape = re.fullmatch(r"(.*?)\s*(\(\w+, \w+\))", m["comment"]).groups()  # "... (n, K)"
        lines += [f"{m['indent']}# ({m['step']}) {m['name']} {shape}" + (f": {what}" if what else ""),
                  f'{m["indent"]}raise NotImplementedError("step ({m["step"]}): {m["name"]} = ...")']
    return "\n".join(lines) + "\n"


def handout(title, body, source):
    """A file to hand out: its docstring (title, body), the imports its code needs, the code."""
    return f'"""{title}\n\n{body}\n"""\n\n{imports_for(source)}\n\n{source}'


def starter_file():
    """backward_two_layer.py, the starter: the lesson's function with its seven steps to write."""
    return handout(
        "Backpropagation by hand: write the seven steps of backward_two_layer.",
        "Replace each `raise NotImplementedError(...)` with one line of NumPy: the step its comment\n"
        "names, as derived on the site's Backpropagation page. Written by `python practice.py\n"
        "starter` from mlp.py, the lesson, whose backward_two_layer is the solution.\n\n"
        f"{ARGUMENTS}\n\n{HOW_TO_CHECK.format(name='path/to/backward_two_layer.py')}",
        starter_source())


def starter_files():
    """{file name: text}: the starter, backward_two_layer.py, and one file per bug of the zoo."""
    files = {"backward_two_layer.py": starter_file()}
    for i, bug in enumerate(zoo.BUGS, 1):
        name = f"bug_{i:02}.py"
        files[name] = handout(
            f"Find the bug: Bug {i} of the site's Practice page.",
            "This backward_two_layer has one mistake in it, a mistake that learners make. Find it,\n"
            "fix it (one line or a few), and check the fix.\n\n"
            f"{ARGUMENTS}\n\n{HOW_TO_CHECK.format(name=f'path/to/{name}')}",
            zoo.buggy_source(bug))
    return files


def solved_starter(edits=None):
    """The starter with each TODO replaced by the lesson's line for its step, with `edits` ({piece of a
    line: its replacement}) made: a learner's finished file, for the examples of the page."""
    lesson = {m["step"]: f"{m['indent']}{m['name']} = {m['code']}"
              for m in map(STEP_LINE.match, zoo.lesson_source().splitlines()) if m}
    text = starter_file()
    for step, line in lesson.items():
        todo = re.search(rf'^ *raise NotImplementedError\("step \({step}\): .*$', text, re.M)[0]
        for old, new in (edits or {}).items():
            line = line.replace(old, new)
        text = text.replace(todo, line)
    return text


MEAN_IN_DZ = {  # cs231n's and makemore's convention: the 1/n in dz2, so dW and db go without it
    "y_hat - y": "(y_hat - y) / n", "a1.T @ dz2 / n": "a1.T @ dz2", "X.T @ dz1 / n": "X.T @ dz1",
    "keepdims=True) / n": "keepdims=True)"}


def grader_examples():
    """The grader's output, as the pages show it, from one class graded at once (on the networks of
    seed 0, so that the same bytes come out each run): the files `python practice.py starter exercises`
    writes, a finished file and one in the mean-in-dz convention. The practice page shows the starter
    as written and the mean-in-dz file, each as `check` prints it alone; the teaching page, the class
    graded into a gradebook."""
    tables = {}
    with tempfile.TemporaryDirectory() as folder:
        exercises = pathlib.Path(folder, "exercises")
        write_starter(exercises)
        (exercises / "finished.py").write_text(solved_starter(), encoding="utf-8")
        (exercises / "mean_in_dz.py").write_text(solved_starter(MEAN_IN_DZ), encoding="utf-8")
        grades = grade.grade_all(grade.python_files([exercises]), seed=0)
        grade.write_gradebook(pathlib.Path(folder, "gradebook.csv"), grades)
        printed = "\n".join(grade.batch_lines(grades)).replace(f"{folder}/", "")
        book = pathlib.Path(folder, "gradebook.csv").read_text(encoding="utf-8").replace(f"{folder}/", "")
        for graded in grades:
            name = pathlib.Path(graded.file).name
            if name in ("backward_two_layer.py", "mean_in_dz.py"):
                tables[f"practice-grader-{name[:-3].replace('_', '-')}"] = (
                    f"```text linenums=\"0\"\n$ python practice.py check exercises/{name}\n"
                    f"{graded.text.replace(f'{folder}/', '')}\n$ echo $?\n{0 if graded.passed else 1}\n```")
    tables["gradebook"] = (
        f"```text linenums=\"0\"\n$ python practice.py check exercises --csv gradebook.csv\n{printed}\n"
        f"$ cat gradebook.csv\n{book.rstrip()}\n```")
    return tables


def write_starter(folder):
    """Write starter_files() into folder (made if need be); the paths written."""
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in starter_files().items():
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Exercises to hand out, and a grader for them (grade.py). `starter DIR` writes the "
                    "starter (backward_two_layer, its seven steps to write) and the find-the-bug files; "
                    "`check FILE` grades FILE's backward_two_layer (or backward) and exits 0 only when every "
                    "step is correct on every network; `check PATH... --csv FILE` grades a class; "
                    "`gradescope OUT.zip` writes an autograder for Gradescope.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("starter", help="write the files to hand out").add_argument("folder", metavar="DIR")
    grade.add_commands(commands)
    args = parser.parse_args(argv)
    if args.command == "starter":
        for path in write_starter(args.folder):
            print(path)
        return 0
    return grade.run(args)


if __name__ == "__main__":
    sys.exit(main())

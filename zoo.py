"""The bug zoo: backward_two_layer with one planted mistake, each one that learners make.

Each bug is a replacement of lines in the lesson's own source, so the zoo shows it as a diff against the
code that runs, and hands it out as a file to fix (python practice.py starter DIR). gradient_check (or the
shape rule at its door) must catch every one. The lab (experiments.py), the practice page (practice.py)
and its grader (python practice.py check FILE) all import this module. NumPy only: the site's live pages
import it in the browser too.
"""

import inspect
import re
import textwrap

import numpy as np

import diagnosis
import mlp

# --8<-- [start:bug_zoo]
BUGS = {  # name -> (hidden activation, what is wrong, {line of backward_two_layer: its buggy version})
    "sigma'(a) for sigma'(z)": ("sigmoid", "the derivative taken at a, not at z", {
        "dz1 = da1 * f_grad(z1, a1)": "dz1 = da1 * f_grad(a1, sigmoid(a1))"}),
    "missing 1/n": ("sigmoid", "db without the 1/n, while dW keeps it", {
        "db2 = dz2.sum(axis=0, keepdims=True) / n": "db2 = dz2.sum(axis=0, keepdims=True)",
        "db1 = dz1.sum(axis=0, keepdims=True) / n": "db1 = dz1.sum(axis=0, keepdims=True)"}),
    "swapped transpose": ("sigmoid", "dW1 = dz1^T X is dW1^T: NumPy lets it through for a square W1", {
        "dW1 = X.T @ dz1 / n": "dW1 = dz1.T @ X / n"}),
    "dropped bias gradient": ("sigmoid", "db = 0: the bias is forgotten", {
        "db2 = dz2.sum(axis=0, keepdims=True) / n": "db2 = 0 * dz2.sum(axis=0, keepdims=True)",
        "db1 = dz1.sum(axis=0, keepdims=True) / n": "db1 = 0 * dz1.sum(axis=0, keepdims=True)"}),
    "relu mask from da": ("relu", "the ReLU mask taken from the gradient, not from z", {
        "dz1 = da1 * f_grad(z1, a1)": "dz1 = da1 * (da1 > 0)"}),
    "sum vs mean": ("sigmoid", "no 1/n anywhere: the gradient of the summed loss, while L is the mean", {
        "dW2 = a1.T @ dz2 / n": "dW2 = a1.T @ dz2",
        "db2 = dz2.sum(axis=0, keepdims=True) / n": "db2 = dz2.sum(axis=0, keepdims=True)",
        "dW1 = X.T @ dz1 / n": "dW1 = X.T @ dz1",
        "db1 = dz1.sum(axis=0, keepdims=True) / n": "db1 = dz1.sum(axis=0, keepdims=True)"}),
    "bias summed over units": ("sigmoid", "db1 summed along axis=1, over units, not over examples", {
        "db1 = dz1.sum(axis=0, keepdims=True) / n": "db1 = dz1.sum(axis=1, keepdims=True) / n"}),
    "skipped activation": ("tanh", "step (5) forgets f'(z1): the gradient skips the hidden layer", {
        "dz1 = da1 * f_grad(z1, a1)": "dz1 = da1"}),
    "sigma' kept in step (1)": ("sigmoid", "dz2 times sigma'(z2): the chain rule through y_hat, "
                                "without the cancellation", {
        "dz2 = y_hat - y": "dz2 = (y_hat - y) * y_hat * (1 - y_hat)"}),
    "1/n carried down": ("sigmoid", "da1 divided by n: the 1/n of step (2) taken into the error sent "
                         "down", {
        'da1 = dz2 @ params["W2"].T': 'da1 = dz2 @ params["W2"].T / n'}),
}


def lesson_source():
    """backward_two_layer's source, dedented, from its def line: without the @checked door."""
    source = textwrap.dedent(inspect.getsource(inspect.unwrap(mlp.backward_two_layer)))
    return source[source.index("def "):]


def buggy_source(bug):
    """The source of backward_two_layer with the lines of BUGS[bug] replaced, without the @checked line
    (no door, as a learner's own code): it runs where mlp's names are defined."""
    lines = lesson_source().splitlines(keepends=True)
    for old, new in BUGS[bug][2].items():
        where = [i for i, line in enumerate(lines) if old in line]
        if len(where) != 1:
            raise ValueError(f"bug {bug!r}: {old!r} is not exactly one line of backward_two_layer")
        lines[where[0]] = replace(lines[where[0]], old, new)
    return "".join(lines)


def replace(line, old, new):
    """line with old replaced by new, its end-of-line comment kept in its column where it fits."""
    code, hash_, comment = line.partition("  # ")
    if old not in code or not hash_:
        return line.replace(old, new)
    edited = code.rstrip().replace(old, new)
    return edited.ljust(len(code)) + hash_ + comment


def buggy_backward(bug):
    """backward_two_layer with the bug planted: a new function, compiled from the lesson's own source (so
    its comments stay those of mlp.py), in a copy of mlp's namespace."""
    namespace = dict(vars(mlp))
    exec(compile(buggy_source(bug), f"<backward_two_layer with bug {bug!r}>", "exec"), namespace)
    return namespace["backward_two_layer"]
# --8<-- [end:bug_zoo]


ZOO_SIZES = [3, 3, 1]  # a square W1 (3, 3), so that the swapped transpose runs at all


def gradcheck_problem(sizes=(2, 3, 3, 1), activation="sigmoid", n=8, seed=0):
    """A small network with random (nonzero) biases and inputs: (params, X, y) to gradient-check on.

    Nonzero biases keep relu units off their kink: with zero biases, an example that switches off every
    unit of a layer gives the next layer z = 0 exactly, where relu has no derivative. K = sizes[-1] > 1
    gives integer class labels 0 .. K - 1.
    """
    params = mlp.init_params(list(sizes), activation, seed)
    rng = np.random.default_rng(seed + 1)  # not seed: init_params drew W1 from that stream
    for key in params:
        if key.startswith("b"):
            params[key] = 0.5 * rng.standard_normal(params[key].shape)
    X = rng.standard_normal((n, sizes[0]))
    K = sizes[-1]
    y = (rng.random((n, 1)) < 0.5).astype(np.float64) if K == 1 else rng.integers(0, K, (n, 1))
    return params, X, y


def shape_sentence(key, got, want):
    """The diagnosis of a gradient of the wrong shape: what the grader prints, and the zoo's table."""
    return (f"{key} has the shape {got}, but {key[1:]} has the shape {want}: a gradient has the shape of "
            "what it is the gradient of")


def shape_error(err):
    """(key, the shape it must have, the shape it has) from the ValueError of gradient_check's door."""
    return re.search(r"analytic\['(\w+)'\]'s shape must be (\(.*?\)), got (\(.*?\))", str(err)).groups()


def bug_zoo(seed=0):
    """[(bug, activation, max error, the first tensor (in step order) not correct, what caught it, its
    verdict, its diagnosis, cs231n's max relative error)]: "none", "correct" and None where every tensor
    is correct.

    The first two rows are the real backward (bug None), on a sigmoid and on a relu network. A bug whose
    gradients have the wrong shape is stopped by gradient_check's door before any comparison.
    """
    rows = []
    for bug, activation in [(None, "sigmoid"), (None, "relu")] + [(b, v[0]) for b, v in BUGS.items()]:
        params, X, y = gradcheck_problem(ZOO_SIZES, activation, seed=seed)
        _, cache = mlp.forward(params, X, activation)
        f = mlp.backward_two_layer if bug is None else buggy_backward(bug)
        analytic = f(params, cache, y, activation)
        try:
            report = mlp.gradient_check(params, X, y, activation, analytic=analytic)
        except ValueError as err:
            key, want, got = shape_error(err)
            said = shape_sentence(key, got, want)
            rows.append((bug, activation, np.inf, key, "the shape rule", "wrong", said, np.inf))
            continue
        first = diagnosis.first_wrong(report)  # in step order
        worst = max(report, key=lambda k: report[k]["error"])
        verdict, said = (report[first]["verdict"], report[first].get("diagnosis")) if first else (
            "correct", None)
        rows.append((bug, activation, report[worst]["error"], first or "none", "gradient_check", verdict,
                     said, max(r["rel_error"] for r in report.values())))
    return rows


def planted_mistakes(a, n):
    """The seven mistakes the verdict table and the tests plant in a gradient a, by name: x2, the sign,
    zeroed, x n, / n, its largest entry x 1.5, and (for a square a) the transpose."""
    one = a.copy()
    one[np.unravel_index(np.abs(a).argmax(), a.shape)] *= 1.5
    planted = {"x2": 2 * a, "sign": -a, "zeroed": 0 * a, "x n": n * a, "/ n": a / n, "one entry x1.5": one}
    if a.shape[0] == a.shape[1]:
        planted["transposed"] = a.T.copy()
    return planted

"""Tests of checks.py, the door: bad input to any public function is a ValueError
that names the function and the argument, says what was expected and shows what
it got; valid but unusual input works; the checks run once, at the outermost call.

Each class of bad input has one table and one test class below, whose docstring
names the bug it catches. Every case changes ONE argument of a valid call
(VALID), so the error can only come from that argument. The meta-tests at the end
make sure every public function has cases, and that wrong types never escape as
a TypeError, KeyError or IndexError (or as one of NumPy's own ValueErrors).
"""

import inspect
import re

import numpy as np
import pytest

import checks
import datasets
import mlp

X4, Y4 = datasets.make_xor(4, 0.0)  # the truth table: X (4, 2), y (4, 1)
P = mlp.init_params([2, 3, 1], "relu", seed=0)  # W1 (2, 3), b1, W2 (3, 1), b2
P3 = mlp.init_params([2, 3, 3, 1], "relu", seed=0)  # three layers
PK = mlp.init_params([2, 3, 3], "relu", seed=0)  # a softmax over K = 3 classes
YK = np.array([0, 1, 2, 1])  # labels for PK
_, CACHE = mlp.forward(P, X4)
_, CACHE3 = mlp.forward(P3, X4)
ZD, Z = CACHE["z2"], CACHE["z1"]  # (4, 1) logits, (4, 3)
GRADS = mlp.backward(P, CACHE, Y4)


def fresh(params):
    return {key: v.copy() for key, v in params.items()}


def with_entry(array, value, key=None):
    """A copy of array (or of array[key], in a copy of a dict) with one entry set."""
    if key is not None:
        return {**array, key: with_entry(array[key], value)}
    bad = np.array(array, dtype=float)
    bad.flat[-1] = value
    return bad


NET = {"params": P, "X": X4, "activation": "relu"}
VALID = {  # every public function -> the keyword arguments of a valid call
    **{f: lambda: {"z": Z} for f in
       ("sigmoid", "relu", "tanh", "softplus", "softmax", "logsumexp")},
    "init_params": lambda: {"sizes": [2, 3, 1], "activation": "relu", "seed": 0,
                            "init": "he"},
    "forward": lambda: NET, "predict_proba": lambda: NET, "predict": lambda: NET,
    "cross_entropy": lambda: {"zD": ZD, "y": Y4},
    **{f: lambda: {"params": P, "cache": CACHE, "y": Y4, "activation": "relu"}
       for f in ("backward_two_layer", "backward")},
    **{f: lambda: {**NET, "y": Y4} for f in ("loss_and_grads", "compute_loss",
                                              "accuracy")},
    "relative_error": lambda: {"a": Z, "b": Z + 1, "tiny": 1e-8},
    "gradient_check": lambda: {**NET, "y": Y4, "eps": 1e-5, "analytic": GRADS},
    "gd_step": lambda: {**NET, "params": fresh(P), "y": Y4, "lr": 0.1},
    "train": lambda: {"X": X4, "y": Y4, "sizes": [2, 3, 1], "activation": "relu",
                      "lr": 0.1, "epochs": 2, "batch_size": 2, "seed": 0,
                      "init": "he", "params": None, "X_val": X4, "y_val": Y4,
                      "history": None},
    **{f: lambda: {"n": 8, "noise": 0.1, "seed": 0} for f in ("make_xor", "make_moons")},
    "make_circles": lambda: {"n": 8, "noise": 0.1, "seed": 0, "factor": 0.5},
    "split_digits": lambda: {"seed": 0},
}
MAKERS = [name for name, f in vars(datasets).items() if hasattr(f, "__wrapped__")]
PUBLIC = [name for name in mlp.__all__ if name != "Diverged"] + MAKERS  # functions
FUNCTIONS = {name: getattr(mlp, name, None) or getattr(datasets, name) for name in PUBLIC}


def call(name, **changes):
    return FUNCTIONS[name](**{**VALID[name](), **changes})


def takes(*args):
    """The public functions whose valid call has one of these arguments."""
    return [(name, arg) for name in PUBLIC for arg in args if arg in VALID[name]()]


def ids(table):
    """Test ids for a table of (function, changes, message): "forward-X"."""
    return [f"{name}-{'-'.join(changes)}" for name, changes, _ in table]


def rejects(name, changes, message):
    """call(name, **changes) is the door's ValueError: "name: " + message."""
    with pytest.raises(ValueError, match=f"(?s)^{name}: {message}"):
        call(name, **changes)


# ------------------------------------------------------------------------------
# Non-finite values, wherever arrays come in: X, y, params, zD, cache, analytic...
# ------------------------------------------------------------------------------

NON_FINITE = {  # argument -> (its value with one entry replaced, the name shown)
    "z": lambda v: (with_entry(Z, v), "z"),
    "X": lambda v: (with_entry(X4, v), "X"),
    "y": lambda v: (with_entry(Y4, v), "y"),
    "zD": lambda v: (with_entry(ZD, v), "zD"),
    "a": lambda v: (with_entry(Z, v), "a"),
    "b": lambda v: (with_entry(Z, v), "b"),
    "X_val": lambda v: (with_entry(X4, v), "X_val"),
    "y_val": lambda v: (with_entry(Y4, v), "y_val"),
    "params": lambda v: (with_entry(P, v, "W2"), r"params\['W2'\]"),
    "cache": lambda v: (with_entry(CACHE, v, "a1"), r"cache\['a1'\]"),
    "analytic": lambda v: (with_entry(GRADS, v, "dW1"), r"analytic\['dW1'\]"),
}


class TestNonFinite:
    """A NaN or inf anywhere in the input, parameters included: without the door,
    forward and predict return NaN or plausible classes, train(params=...) returns
    NaN parameters and an all-NaN history, and gradient_check compares NaNs."""

    @pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
    @pytest.mark.parametrize(("name", "arg"), takes(*NON_FINITE))
    def test_rejected(self, name, arg, value):
        bad, shown = NON_FINITE[arg](value)
        rejects(name, {arg: bad}, rf"{shown} must be finite, got 1 of \d+ entries "
                                  "NaN or inf")


# ------------------------------------------------------------------------------
# Not an array of real numbers: strings, objects, complex, ragged lists, empty
# ------------------------------------------------------------------------------

NOT_NUMBERS = {  # kind -> (make it from a valid array, what the message says)
    "strings": (lambda a: a.astype(str), r"an array of real numbers, got dtype <U"),
    "objects": (lambda a: a.astype(object), r"an array of real numbers, got dtype object"),
    "complex": (lambda a: a + 1j, r"an array of real numbers, got dtype complex128"),
    "ragged": (lambda a: [[1.0, 2.0], [3.0]], r"a rectangular array of numbers, "
               "got a ragged list"),
    "empty": (lambda a: a[:0], r"non-empty, got shape \(0, \d\)"),
}
ENTRY = {"params": "W1", "cache": "a1", "analytic": "dW1"}  # for dicts: one entry


class TestNotNumbers:
    """Strings (from a CSV read as text), objects, complex numbers, ragged lists and
    empty arrays: without the door, a UFuncTypeError or broadcasting error from deep
    inside NumPy, a complex "loss", or an empty result with no word."""

    @pytest.mark.parametrize("kind", list(NOT_NUMBERS))
    @pytest.mark.parametrize(("name", "arg"), takes(*NON_FINITE))
    def test_rejected(self, name, arg, kind):
        make, message = NOT_NUMBERS[kind]
        value = P if arg == "params" else VALID[name]()[arg]  # train's is None
        if arg in ENTRY:
            key = ENTRY[arg]
            bad, shown = {**value, key: make(value[key])}, rf"{arg}\['{key}'\]"
        else:
            bad, shown = make(np.asarray(value)), arg
        rejects(name, {arg: bad}, rf"{shown} must be {message}")


# ------------------------------------------------------------------------------
# Wrong shapes
# ------------------------------------------------------------------------------

WRONG_SHAPES = [  # (function, the changed argument, the message after "function: ")
    ("forward", {"X": X4[0]}, r"X must be 2-D, one row per example \(one example x: "
     r"x.reshape\(1, -1\)\), got shape \(2,\)"),
    ("train", {"X": X4[None]}, r"X must be 2-D, .*got shape \(1, 4, 2\)"),
    ("predict", {"X": np.ones((4, 3))}, r"X's number of columns must be the network's "
     "input width 2, got 3"),
    ("cross_entropy", {"zD": ZD.ravel()}, r"zD must be 2-D, got shape \(4,\)"),
    ("softmax", {"z": Z[0]}, r"z must be 2-D, got shape \(3,\)"),
    ("logsumexp", {"z": 1.0}, r"z must be 2-D, got shape \(\)"),
    ("relative_error", {"b": Z.T}, r"b must be of a's shape \(4, 3\), got \(3, 4\)"),
    ("loss_and_grads", {"y": np.zeros((4, 2))}, r"y must be of shape \(n,\) or \(n, "
     r"1\), got shape \(4, 2\)"),
    ("accuracy", {"y": Y4[None]}, r"y must be of shape \(n,\) or \(n, 1\), got shape "
     r"\(1, 4, 1\)"),
    ("backward", {"cache": {**CACHE, "a1": np.ones((4, 4))}},
     r"cache\['a1'\]'s shape must be \(4, 3\), got \(4, 4\)"),
    ("backward", {"cache": {**CACHE, "a0": X4[:3]}},
     r"cache\['a1'\]'s shape must be \(3, 3\), got \(4, 3\)"),
    ("gradient_check", {"analytic": {**GRADS, "dW1": GRADS["dW1"].T}},
     r"analytic\['dW1'\]'s shape must be \(2, 3\), got \(3, 2\)"),
    ("gradient_check", {"analytic": {"dz1": np.ones((3, 3))}},
     r"analytic\['dz1'\]'s shape must be \(4, 3\), got \(3, 3\)"),
]


class TestWrongShapes:
    """An array with the wrong number of dimensions, rows or columns: without the
    door, y (n, 2) or a 1-D X broadcasts into an (n, n) matrix and a wrong loss,
    or fails in a matmul far from the cause."""

    @pytest.mark.parametrize(("name", "changes", "message"), WRONG_SHAPES,
                             ids=ids(WRONG_SHAPES))
    def test_rejected(self, name, changes, message):
        rejects(name, changes, message)


# ------------------------------------------------------------------------------
# Labels
# ------------------------------------------------------------------------------

BINARY = r"y must be the labels 0 or 1, got "
CLASSES = r"y must be integer class labels 0 .. 2, got "
ONE_HOT = r"y must be class labels of shape \(n,\) or \(n, 1\), not one-hot rows " \
          r"\(for those, pass y.argmax\(axis=1\)\), got shape \(4, 3\)"
K3 = {"params": PK}  # the same calls on the K = 3 network
BAD_LABELS = [
    ("cross_entropy", {"y": [0, 1, 3, 0]}, BINARY + r"\[3.0\]"),
    ("loss_and_grads", {"y": [0, 1, -1, 0]}, BINARY + r"\[-1.0\]"),
    ("backward", {"y": [0, 0.5, 1, 0]}, BINARY + r"\[0.5\]"),
    ("accuracy", {"y": [0, 2, 2, 1]}, BINARY + r"\[2.0\]"),
    ("train", {"y": Y4 * 255}, BINARY + r"\[255.0\]"),
    ("compute_loss", {**K3, "y": [0, 1, 3, 2]}, CLASSES + r"\[3.0\]"),
    ("train", {"sizes": [2, 3, 3], "y": [0, 1.5, 2, 1]}, CLASSES + r"\[1.5\]"),
    ("gradient_check", {**K3, "analytic": None, "y": [-1, 0, 9, 1]},
     CLASSES + r"\[-1.0, 9.0\]"),
    ("loss_and_grads", {**K3, "y": np.eye(3)[YK]}, ONE_HOT),
    ("train", {"sizes": [2, 3, 3], "y": np.eye(3)[YK], "X_val": None, "y_val": None},
     ONE_HOT),
    ("cross_entropy", {"zD": np.ones((4, 3)), "y": np.eye(3)[YK]}, ONE_HOT),
    ("train", {"y": Y4[:3]}, r"y's number of rows must be 4, one per row of X, got 3"),
    ("cross_entropy", {"y": Y4[:3]}, r"y's number of rows must be 4, one per row of "
     "zD, got 3"),
    ("backward", {"y": np.zeros(5)}, r"y's number of rows must be 4, one per row of "
     r"cache\['a0'\], got 5"),
    ("accuracy", {"y": 1.0}, r"y must be of shape \(n,\) or \(n, 1\), got shape \(\)"),
]


class TestLabels:
    """Labels that are not 0/1 for one sigmoid unit (a 2 or 255 gives a negative
    "cross-entropy"), outside 0 .. K-1 or not integers for K classes, one-hot rows
    (rejected, with the fix in the message), or one label too few."""

    @pytest.mark.parametrize(("name", "changes", "message"), BAD_LABELS,
                             ids=ids(BAD_LABELS))
    def test_rejected(self, name, changes, message):
        rejects(name, changes, message)


# ------------------------------------------------------------------------------
# The network: sizes, params and what must match them
# ------------------------------------------------------------------------------

SIZES = r"sizes must be a list of two or more layer widths, input to output, e.g. " \
        r"\[2, 16, 1\], got "
WIDTHS = r"sizes must be positive integer widths, got "
KEYS = r"params' keys must be \['W1', 'b1', 'W2', 'b2'\], got "
BAD_NETWORKS = [
    ("init_params", {"sizes": [2]}, SIZES + r"\[2\]"),
    ("init_params", {"sizes": []}, SIZES + r"\[\]"),
    ("train", {"sizes": "2,16,1"}, SIZES + r"'2,16,1'"),
    ("init_params", {"sizes": 3}, SIZES + r"3"),
    ("init_params", {"sizes": np.array([[2, 3]])}, SIZES + r"array\(\[\[2, 3\]\]\)"),
    ("init_params", {"sizes": [2, 0, 1]}, WIDTHS + r"\[2, 0, 1\]"),
    ("train", {"sizes": [2, -4, 1]}, WIDTHS + r"\[2, -4, 1\]"),
    ("init_params", {"sizes": [2, 2.5, 1]}, WIDTHS + r"\[2, 2.5, 1\]"),
    ("init_params", {"sizes": np.array([2.0, 4.0, 1.0])}, WIDTHS + r"array"),
    ("init_params", {"sizes": [2, True, 1]}, WIDTHS + r"\[2, True, 1\]"),
    ("train", {"sizes": [2, np.True_, 1]}, WIDTHS + r"\[2, np.True_, 1\]"),
    ("init_params", {"sizes": [[2], [3, 4]]}, WIDTHS + r"\[\[2\], \[3, 4\]\]"),
    ("forward", {"params": list(P.values())}, r"params must be a dict \{'W1': W1, "
     r"'b1': b1, ...\}, got list"),
    ("predict", {"params": {}}, r"params' keys must be \['W1', 'b1'\], got \[\]"),
    ("loss_and_grads", {"params": {k: P[k] for k in ("W1", "b1", "W2")}},
     KEYS + r"\['W1', 'W2', 'b1'\]"),
    ("compute_loss", {"params": {**P, "W3": np.ones((1, 1))}},
     r"params' keys must be \['W1', 'b1', 'W2', 'b2', 'W3', 'b3'\]"),
    ("gd_step", {"params": {"W1": P["W1"], "b1": P["b1"], "W2": P["W2"], "bias2": 0}},
     KEYS + r"\['W1', 'W2', 'b1', 'bias2'\]"),
    ("forward", {"params": {**P, "W1": P["W1"].T}},
     r"params\['b1'\]'s shape must be \(1, 2\), got \(1, 3\)"),
    ("forward", {"params": {**P, "W2": np.ones((4, 1))}},
     r"params\['W2'\]'s shape must be \(3, d_2\), after W1, got \(4, 1\)"),
    ("predict_proba", {"params": {**P, "b1": np.zeros(3)}},
     r"params\['b1'\] must be 2-D, got shape \(3,\)"),
    ("train", {"params": P, "sizes": [2, 4, 1]},
     r"params' layer widths must be sizes, \[2, 4, 1\], got \[2, 3, 1\]"),
    ("train", {"sizes": [3, 8, 1]}, r"X's number of columns must be the network's "
     "input width 3, got 2"),
    ("backward", {"cache": CACHE3}, r"cache must be forward's cache for this 2-layer "
     r"network, with the keys \['a0', 'a1', 'a2', 'z1', 'z2'\], got \['a0', 'a1', "
     r"'a2', 'a3', 'z1', 'z2', 'z3'\]"),
    ("backward", {"cache": None}, r"cache must be forward's cache .*, got NoneType"),
    ("backward_two_layer", {"params": P3, "cache": CACHE3},
     r"params must be a two-layer network, got 3 layers"),
    ("gradient_check", {"analytic": {"dW9": 1}}, r"analytic must be a non-empty dict "
     r"of gradients with keys among \['dW1', 'dW2', 'da1', 'db1', 'db2', 'dz1', "
     r"'dz2'\], got \{'dW9': 1\}"),
    ("gradient_check", {"analytic": {}}, r"analytic must be a non-empty dict .*got \{\}"),
    ("gd_step", {"params": {**P, "W1": P["W1"].astype(int)}}, r"params\['W1'\] must "
     "be a writeable, C-ordered float64 \\(or float32\\) array, which gd_step updates "
     "in place, got ndarray of int64, C-ordered True, writeable True"),
    ("gd_step", {"params": {**P, "W1": np.asfortranarray(P["W1"])}},
     r"params\['W1'\] must be .*, got ndarray of float64, C-ordered False"),
    ("gd_step", {"params": {**P, "b1": np.broadcast_to(P["b1"], (1, 3))}},
     r"params\['b1'\] must be .*, writeable False"),
]


class TestNetwork:
    """sizes that are not two or more positive integer widths (a bool is not a
    width), params with missing or extra keys or shapes that do not chain, params
    that disagree with sizes or X, a cache of another network (was KeyError 'a3'),
    analytic gradients of the wrong names or shapes, and params gd_step could not
    update in place (it would update the door's copy and leave yours unchanged)."""

    @pytest.mark.parametrize(("name", "changes", "message"), BAD_NETWORKS,
                             ids=ids(BAD_NETWORKS))
    def test_rejected(self, name, changes, message):
        rejects(name, changes, message)


# ------------------------------------------------------------------------------
# Scalars: lr, epochs, batch_size, seed, eps, tiny, and the datasets' n, noise, factor
# ------------------------------------------------------------------------------

POSITIVE = "a positive finite number"
BAD_SCALARS = {  # argument -> (what it must be, bad values)
    "lr": (POSITIVE, [-1, 0, np.nan, np.inf, True, "0.1", None, 10**400]),
    "eps": (POSITIVE, [0, -1e-5, np.nan, np.inf, "1e-5", None]),
    "tiny": (POSITIVE, [0, -1e-8, np.nan, "1e-8"]),
    "epochs": ("an integer >= 1", [0, -3, 2.5, True, "10", None, np.float64(3)]),
    "batch_size": ("an integer >= 1", [0, -8, 2.5, True, "8"]),
    "seed": ("an integer >= 0", ["abc", 1.5, -1, True, None]),
    "n": ("an integer >= 1", [0, -1, 2.5, "100", True]),
    "noise": ("a finite number >= 0", [-0.1, np.nan, np.inf, "0.2", None]),
    "factor": ("a number in \\(0, 1\\)", [0, 1, 1.5, -0.5, np.nan]),
}


class TestScalars:
    """Numbers of the wrong kind or range: a negative, zero or NaN lr or eps (NaN
    and a RuntimeWarning from eps=0), a seed "abc" or 1.5 (numpy's TypeError from
    SeedSequence), make_moons(0) (empty arrays), make_xor(2.5) (an IndexError), a
    negative noise, or True where a count is meant (True == 1 to Python)."""

    @pytest.mark.parametrize(("name", "arg", "value"), [
        (name, arg, value) for name, arg in takes(*BAD_SCALARS)
        for value in BAD_SCALARS[arg][1]])
    def test_rejected(self, name, arg, value):
        expected = BAD_SCALARS[arg][0]
        rejects(name, {arg: value}, rf"{arg} must be {expected}, got "
                                    rf"{re.escape(repr(value))}$")


NUMBERS = {  # argument -> (a float value, an int value or None): exact in float16
    "lr": (0.5, 1), "eps": (0.5, 1), "tiny": (0.5, 1), "noise": (0.5, 1),
    "factor": (0.5, None), "epochs": (None, 2), "batch_size": (None, 2),
    "seed": (None, 3), "n": (None, 8),
}
FLOATS = [np.float16, np.float32, np.float64]
INTS = [np.int8, np.int16, np.int32, np.int64]


class TestNumpyScalars:
    """Every numeric argument takes NumPy's scalar types without a warning (pytest
    runs -W error) and gives the bits of the same Python number: np.float32(0.5)
    once warned "overflow encountered in cast" when the door compared it with
    float64's largest value. Real numbers take every float and int type; counts
    (epochs, batch_size, seed, n) every int type (a float count is refused, above)."""

    @pytest.mark.parametrize(("name", "arg", "kind"), [
        (name, arg, kind) for name, arg in takes(*NUMBERS)
        for kind in FLOATS + INTS if NUMBERS[arg][kind in INTS] is not None])
    def test_same_as_the_python_number(self, name, arg, kind):
        value = NUMBERS[arg][kind in INTS]
        assert same(call(name, **{arg: kind(value)}), call(name, **{arg: value}))

    def test_every_numeric_argument_is_covered(self):
        """A new numeric argument needs a row in NUMBERS (a rule in checks
        that calls real or count)."""
        assert set(NUMBERS) == set(BAD_SCALARS)


# ------------------------------------------------------------------------------
# The validation set, and the choices
# ------------------------------------------------------------------------------

BAD_VALIDATION = [
    ({"X_val": None}, r"X_val must be given too \(validation needs X_val and y_val\), "
     "got None"),
    ({"y_val": None}, r"y_val must be given too \(validation needs X_val and y_val\), "
     "got None"),
    ({"y_val": Y4[:3]}, r"y_val's number of rows must be 4, one per row of X_val, "
     "got 3"),
    ({"X_val": np.ones((4, 3))}, r"X_val's number of columns must be the network's "
     "input width 2, got 3"),
    ({"y_val": Y4 + 2}, r"y_val must be the labels 0 or 1, got \[2.0, 3.0\]"),
    ({"sizes": [2, 3, 3], "y": YK, "y_val": np.eye(3)[YK]},
     r"y_val must be .*, not one-hot rows \(for those, pass y_val.argmax\(axis=1\)\)"),
]
BAD_CHOICES = {  # argument -> (the options, bad values)
    "activation": ("['relu', 'sigmoid', 'tanh']", ["softmax", "ReLU", "", None, 3]),
    "init": ("['he', 'normal', 'small', 'xavier', 'zeros']", ["kaiming", "", 0]),
}


class TestValidationAndChoices:
    """y_val without X_val (silently ignored before), X_val without y_val (it said
    "dtype object" instead of "y_val is missing"), a validation set that does not
    fit the network, and an activation or init that does not exist ("ReLU" must
    not fall back to a default)."""

    @pytest.mark.parametrize(("changes", "message"), BAD_VALIDATION)
    def test_validation_rejected(self, changes, message):
        rejects("train", changes, message)

    @pytest.mark.parametrize(("name", "arg", "value"), [
        (name, arg, value) for name, arg in takes(*BAD_CHOICES)
        for value in BAD_CHOICES[arg][1]])
    def test_choice_rejected(self, name, arg, value):
        options = re.escape(BAD_CHOICES[arg][0])
        rejects(name, {arg: value}, rf"{arg} must be one of {options}, got "
                                    rf"{re.escape(repr(value))}$")


# ------------------------------------------------------------------------------
# The history train goes on from
# ------------------------------------------------------------------------------

H = {"loss": [0.7, 0.6], "val_loss": [0.7, 0.65], "val_acc": [0.5, 0.75]}
ON = {"params": P, "history": H}  # train going on from two epochs, with X_val
LISTS = r"history must be a dict of lists with the keys "
BAD_HISTORIES = [
    ({"history": H}, r"history must be None when params is None \(to go on with a "
     r"run, pass the params and history it returned\), got dict"),
    ({**ON, "history": [0.7]}, LISTS + r"\['loss', 'val_loss', 'val_acc'\] "
     r"\(the val_ lists exactly when X_val is given\), got list"),
    ({**ON, "history": {"loss": [0.7]}}, LISTS + r".*got \['loss'\]"),
    ({**ON, "X_val": None, "y_val": None}, LISTS + r"\['loss'\] .*, got "
     r"\['loss', 'val_acc', 'val_loss'\]"),
    ({**ON, "history": {**H, "loss": [0.7, np.nan]}},
     r"history\['loss'\] must be a list of finite numbers, got \[0.7, nan\]"),
    ({**ON, "history": {**H, "val_acc": [0.5, np.inf]}},
     r"history\['val_acc'\] must be a list of finite numbers, got \[0.5, inf\]"),
    ({**ON, "history": {**H, "loss": ["0.7", "0.6"]}},
     r"history\['loss'\] must be a list of finite numbers, got \['0.7', '0.6'\]"),
    ({**ON, "history": {**H, "loss": [[0.7], [0.6]]}},
     r"history\['loss'\] must be a list of finite numbers"),
    ({**ON, "history": {**H, "loss": [[0.7], [0.6, 0.5]]}},
     r"history\['loss'\] must be a list of finite numbers, got \[\[0.7\], \[0.6, 0.5\]\]"),
    ({**ON, "history": {**H, "loss": 0.7}},
     r"history\['loss'\] must be a list of finite numbers, got 0.7"),
    ({**ON, "history": {**H, "loss": [0.7]}}, r"history's lists must be of one "
     r"length, an entry per epoch, got \{'loss': 1, 'val_loss': 2, 'val_acc': 2\}"),
]


class TestHistory:
    """history is what an earlier call returned, with its params: without the rule,
    a history without params would restart the run but number its epochs from
    the history, a missing "val_loss" list would be a KeyError in the loop, and a
    NaN in it would become the divergence rule's first loss (no run ever stops)."""

    @pytest.mark.parametrize(("changes", "message"), BAD_HISTORIES)
    def test_rejected(self, changes, message):
        rejects("train", changes, message)

    def test_accepted_as_lists_of_floats(self):
        """Tuples, ints and NumPy floats are numbers too, an empty history is a
        new run, and train returns lists of Python floats, extended."""
        odd = {"loss": (1, np.float32(0.5)), "val_loss": [0.7, 0.6], "val_acc": [0, 1]}
        _, history = call("train", params=P, history=odd, epochs=1)
        assert [len(v) for v in history.values()] == [3, 3, 3]
        assert history["loss"][:2] == [1.0, 0.5] and history["val_acc"][:2] == [0.0, 1.0]
        assert all(type(v) is float for values in history.values() for v in values)
        empty = {"loss": [], "val_loss": [], "val_acc": []}
        assert same(call("train", params=P, history=empty), call("train", params=P))


# ------------------------------------------------------------------------------
# Valid but unusual input keeps working, with the same results
# ------------------------------------------------------------------------------

def same(a, b):
    """a and b are equal to the bit: arrays, numbers, and tuples/dicts of them."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, tuple | list):
        return len(a) == len(b) and all(map(same, a, b))
    return np.array_equal(a, b) and np.asarray(a).dtype == np.asarray(b).dtype


def results(X, y, sizes=(2, 3, 1), **train):
    """Everything a learner computes from (X, y): y_hat, the loss and gradients,
    the predictions, the accuracy and a short training run."""
    return (mlp.predict_proba(P, X), mlp.loss_and_grads(P, X, y),
            mlp.predict(P, X), mlp.accuracy(P, X, y),
            mlp.train(X, y, sizes, epochs=3, **train))


BASE = results(X4, Y4, [2, 3, 1])
STRIDED = np.zeros((8, 4))
STRIDED[::2, ::2] = X4
UNUSUAL = {  # name -> (X, y, sizes): each must give BASE exactly
    "sizes as a tuple": (X4, Y4, (2, 3, 1)),
    "sizes as a NumPy array": (X4, Y4, np.array([2, 3, 1])),
    "sizes of np.int64": (X4, Y4, [np.int64(2), np.int64(3), np.int64(1)]),
    "X as a list": (X4.tolist(), Y4, [2, 3, 1]),
    "X of ints": (X4.astype(int), Y4, [2, 3, 1]),
    "X of float16": (X4.astype(np.float16), Y4, [2, 3, 1]),
    "X Fortran-ordered": (np.asfortranarray(X4), Y4, [2, 3, 1]),
    "X strided": (STRIDED[::2, ::2], Y4, [2, 3, 1]),
    "y as bools": (X4, Y4.astype(bool), [2, 3, 1]),
    "y of shape (n,)": (X4, Y4.ravel(), [2, 3, 1]),
    "y as a list of ints": (X4, Y4.ravel().astype(int).tolist(), [2, 3, 1]),
}


class TestUnusualInput:
    """Valid input in an unusual form is converted, not rejected, and gives the
    same bits as the plain float64, C-ordered call: a door that rejected tuples or
    arrays as sizes, or changed results for Fortran-ordered X, would fail here."""

    @pytest.mark.parametrize("case", list(UNUSUAL))
    def test_same_results(self, case):
        assert same(results(*UNUSUAL[case]), BASE)

    def test_bool_X_is_0_and_1(self):
        assert same(results(X4 > 0, Y4), results((X4 > 0).astype(float), Y4))

    def test_batch_size_above_n_is_one_full_batch(self):
        assert same(results(X4, Y4, batch_size=100), BASE)

    def test_k_class_labels_as_floats_lists_or_columns(self):
        base = mlp.loss_and_grads(PK, X4, YK)
        for y in (YK.astype(float), YK.tolist(), YK[:, None]):
            assert same(mlp.loss_and_grads(PK, X4, y), base)

    def test_a_single_example(self):
        """One example is one row, X (1, d): every function takes it. (A batch of
        one may round differently from a row of a batch of four, hence rtol.)"""
        x, y = X4[3:], Y4[3:]
        loss, grads = mlp.loss_and_grads(P, x, y)
        assert mlp.predict(P, x).shape == (1, 1)
        np.testing.assert_allclose(mlp.predict_proba(P, x),
                                   mlp.predict_proba(P, X4)[3:], rtol=1e-14)
        params, history = mlp.train(x, y.ravel(), [2, 3, 1], epochs=3, batch_size=1)
        assert len(history["loss"]) == 3 and params["W1"].shape == (2, 3)
        report = mlp.gradient_check(P3, x, y, "tanh")
        assert all(r["verdict"] == "correct" for r in report.values())

    def test_float32_stays_float32(self):
        """The float32 gradient-check figure needs float32 maths: X and params in
        float32 give float32 results (a door that cast to float64 would not)."""
        p32 = {key: v.astype(np.float32) for key, v in P.items()}
        assert mlp.predict_proba(p32, X4.astype(np.float32)).dtype == np.float32
        assert mlp.compute_loss(p32, X4.astype(np.float32), Y4).dtype == np.float32

    def test_validation_set_of_another_size(self):
        _, history = mlp.train(X4, Y4, [2, 3, 1], epochs=2, X_val=X4[:3], y_val=Y4[:3])
        assert len(history["val_acc"]) == 2


# ------------------------------------------------------------------------------
# The door opens once: checks at the outermost call only
# ------------------------------------------------------------------------------

NAN_X = with_entry(X4, np.nan)


class TestOnce:
    """The checks run once per public call, not once per step (train -> gd_step ->
    forward would check X thousands of times), and the door is open again after
    any call, even one that raised."""

    def test_train_checks_once_not_per_step(self, monkeypatch):
        calls = []
        check = checks.Arguments.check
        monkeypatch.setattr(checks.Arguments, "check",
                            lambda self: calls.append(self.where) or check(self))
        mlp.train(X4, Y4, [2, 3, 1], epochs=5, batch_size=1, X_val=X4, y_val=Y4)
        assert calls == ["train"]  # not 1 + 20 gd_steps + 5 accuracies + ...
        mlp.forward(P, X4)
        assert calls == ["train", "forward"]

    def test_nested_calls_are_unchecked_and_the_door_reopens(self):
        @checks.checked
        def outer(X):  # a checked function that calls another one inside
            y_hat, _ = mlp.forward(P, NAN_X)  # nested: goes through unchecked
            assert np.isnan(y_hat).any()
            raise RuntimeError("raised inside the door")

        with pytest.raises(RuntimeError, match="inside the door"):
            outer(X4)
        with pytest.raises(ValueError, match=r"^forward: X must be finite"):
            mlp.forward(P, NAN_X)  # top level again: checked

    def test_a_new_argument_needs_a_rule(self):
        """A public function with an argument the door has no rule for fails at
        import, not silently unchecked at the first call."""
        with pytest.raises(TypeError, match=r"@checked step: no rule for \['momentum'\]"):
            @checks.checked
            def step(params, X, y, activation, lr, momentum):
                return None

    def test_every_public_function_is_behind_the_door(self):
        assert all(hasattr(f, "__wrapped__") for f in FUNCTIONS.values())


# ------------------------------------------------------------------------------
# Meta-tests: every public function has door cases; wrong types never escape
# ------------------------------------------------------------------------------

def covered():
    """The public functions with at least one bad-input case in the tables above."""
    names = {name for name, _ in takes(*NON_FINITE, *BAD_SCALARS, *BAD_CHOICES)}
    return names | {name for name, _, _ in WRONG_SHAPES + BAD_LABELS + BAD_NETWORKS}


WRONG_TYPES = ["abc", object(), 1j, [[1.0, 2.0], [3.0]], {"W1": 1}, np.nan]


def test_every_public_function_has_bad_input_cases():
    """A new public function (in mlp.__all__ or a dataset maker) without a valid
    call, with a valid call that misses an argument, or with no bad-input case,
    fails here."""
    assert set(VALID) == set(PUBLIC)
    for name in PUBLIC:
        assert set(VALID[name]()) == set(inspect.signature(FUNCTIONS[name]).parameters)
    assert covered() == set(PUBLIC)


@pytest.mark.parametrize("name", PUBLIC)
def test_valid_calls_run(name):
    """The tables' valid calls are valid: otherwise a case could pass because of
    another argument than the one it changes."""
    call(name)


@pytest.mark.parametrize(("name", "arg"), [
    (name, arg) for name in PUBLIC for arg in VALID[name]()])
def test_wrong_types_are_named_value_errors(name, arg):
    """Each of a few wrong types, in each argument of each public function, is the
    door's ValueError naming that argument: never a TypeError, KeyError or
    IndexError, nor a NumPy ValueError that names nothing."""
    for value in WRONG_TYPES:
        with pytest.raises(ValueError, match=rf"(?s)^{name}: {arg}(?!\w).* must be "
                                             r".+, got "):
            call(name, **{arg: value})

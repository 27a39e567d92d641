"""Tests of checks.py, the door: every bad input gets a ValueError that names it."""

import contextlib
import functools
import html
import http.server
import math
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import numpy as np
import pytest

import mlp


# ----------------------------------------------------------------------------------------------------
# Bad input: ValueError with a message that names the problem. Good input: y (n,) equals y (n, 1).
# ----------------------------------------------------------------------------------------------------

X4, Y4 = mlp.make_xor(4, 0.0)
P = mlp.init_params([2, 3, 1], "relu", seed=0)


def with_entry(array, value):
    bad = np.array(array, dtype=float)
    bad.flat[1] = value
    return bad


def params_with(**changes):
    """P with some entries replaced (None: removed)."""
    new = {**P, **changes}
    return {k: v for k, v in new.items() if v is not None}


X_CALLERS = {  # every public entry point that takes X, called with otherwise valid arguments
    "forward": lambda X: mlp.forward(P, X),
    "loss_and_grads": lambda X: mlp.loss_and_grads(P, X, np.zeros(len(X))),
    "predict": lambda X: mlp.predict(P, X),
    "train": lambda X: mlp.train(X, np.zeros(len(X)), [2, 3, 1], epochs=1),
}
BAD_X = {
    "1-D": (X4[:, 0], r"X must be 2-D"),
    "3-D": (X4[None], r"X must be 2-D"),
    "no rows": (np.empty((0, 2)), r"X is empty"),
    "no columns": (np.empty((4, 0)), r"X is empty"),
    "strings": (np.array([["1", "0"]] * 4), r"X must be numeric"),
    "complex": (X4 + 1j, r"X must be numeric \(real numbers\), got dtype complex128"),
    "NaN": (with_entry(X4, np.nan), r"X contains NaN or inf"),
    "-inf": (with_entry(X4, -np.inf), r"X contains NaN or inf"),
}


@pytest.mark.parametrize("case", list(BAD_X))
@pytest.mark.parametrize("caller", list(X_CALLERS))
def test_bad_X_rejected(caller, case):
    """A NaN or a string in X must stop the program at the door, not surface as a NaN loss 1000 epochs
    later or as a NumPy broadcasting error deep in the backward pass."""
    X, message = BAD_X[case]
    with pytest.raises(ValueError, match=message):
        X_CALLERS[caller](X)


Y_CALLERS = {
    "loss_and_grads": lambda y: mlp.loss_and_grads(P, X4, y),
    "accuracy": lambda y: mlp.accuracy(P, X4, y),
    "train": lambda y: mlp.train(X4, y, [2, 3, 1], epochs=1),
}
BAD_Y = {
    "NaN": (with_entry(Y4, np.nan), r"y contains NaN or inf"),
    "inf": (with_entry(Y4, np.inf), r"y contains NaN or inf"),
    "label 2": (with_entry(Y4, 2), r"y must contain only the labels 0 and 1"),
    "label -1": (with_entry(Y4, -1), r"y must contain only the labels 0 and 1"),
    "label 0.5": (with_entry(Y4, 0.5), r"y must contain only the labels 0 and 1"),
    "strings": (np.array(["0", "1", "1", "0"]), r"y must be numeric"),
    "3 labels for 4 rows": (Y4[:3], r"X has 4 rows but y has 3"),
    "two columns": (np.zeros((4, 2)), r"y must have shape \(n,\) or \(n, 1\)"),
}


@pytest.mark.parametrize("case", list(BAD_Y))
@pytest.mark.parametrize("caller", list(Y_CALLERS))
def test_bad_y_rejected(caller, case):
    """Labels must be 0/1, one per row: a label 2 gives a negative "cross-entropy", and 3 labels for 4
    rows would otherwise broadcast into nonsense (or fail far from the cause)."""
    y, message = BAD_Y[case]
    with pytest.raises(ValueError, match=message):
        Y_CALLERS[caller](y)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"X_val": with_entry(X4, np.nan), "y_val": Y4}, r"X_val contains NaN or inf"),
    ({"X_val": X4, "y_val": Y4[:3]}, r"X_val has 4 rows but y_val has 3"),
    ({"X_val": X4, "y_val": with_entry(Y4, 3)}, r"y_val must contain only the labels 0 and 1"),
])
def test_bad_validation_set_rejected(kwargs, message):
    """The validation set is checked like the training set, and the message names X_val / y_val."""
    with pytest.raises(ValueError, match=message):
        mlp.train(X4, Y4, [2, 3, 1], epochs=1, **kwargs)


BAD_SIZES = {
    "one width": ([2], r"sizes must list at least two layer widths"),
    "no widths": ([], r"sizes must list at least two layer widths"),
    "a string": ("2,16,1", r"sizes must list at least two layer widths"),
    "zero width": ([2, 0, 1], r"every width in sizes must be a positive integer"),
    "negative width": ([2, -4, 1], r"every width in sizes must be a positive integer"),
    "fractional width": ([2, 2.5, 1], r"every width in sizes must be a positive integer"),
    "a boolean width": ([2, True, 1], r"every width in sizes must be a positive integer"),
    "two outputs": ([2, 8, 2], r"the output width sizes\[-1\] must be 1"),
}


@pytest.mark.parametrize("case", list(BAD_SIZES))
@pytest.mark.parametrize("caller", ["init_params", "train"])
def test_bad_sizes_rejected(caller, case):
    """Layer widths: at least input and output, all positive integers, one sigmoid output unit."""
    sizes, message = BAD_SIZES[case]
    with pytest.raises(ValueError, match=message):
        mlp.init_params(sizes) if caller == "init_params" else mlp.train(X4, Y4, sizes, epochs=1)


def test_sizes_must_match_the_features_and_params():
    """sizes[0] is the number of input features; with params given, sizes must describe them."""
    with pytest.raises(ValueError, match=r"sizes\[0\] = 3 must equal the number of features .*2"):
        mlp.train(X4, Y4, [3, 8, 1], epochs=1)
    with pytest.raises(ValueError, match=r"params have layer widths \[2, 3, 1\], but sizes is \[2, 4, 1\]"):
        mlp.train(X4, Y4, [2, 4, 1], epochs=1, params=P)


CHOICE_CALLERS = {
    "init_params": lambda act, init: mlp.init_params([2, 3, 1], act, init=init),
    "train": lambda act, init: mlp.train(X4, Y4, [2, 3, 1], act, epochs=1, init=init),
    "forward": lambda act, init: mlp.forward(P, X4, act),
    "loss_and_grads": lambda act, init: mlp.loss_and_grads(P, X4, Y4, act),
    "predict": lambda act, init: mlp.predict(P, X4, act),
}


@pytest.mark.parametrize("activation", ["softmax", "ReLU", None])
@pytest.mark.parametrize("caller", list(CHOICE_CALLERS))
def test_unknown_activation_rejected(caller, activation):
    """A typo such as "ReLU" must not fall back to a default: the message names the bad value."""
    with pytest.raises(ValueError, match=rf"unknown activation {re.escape(repr(activation))}"):
        CHOICE_CALLERS[caller](activation, None)


@pytest.mark.parametrize("caller", ["init_params", "train"])
def test_unknown_init_rejected(caller):
    """An init name that does not exist (here PyTorch's name for He) must not fall back to a default."""
    with pytest.raises(ValueError, match=r"unknown init 'kaiming'; expected one of"):
        CHOICE_CALLERS[caller]("relu", "kaiming")


BAD_SETTINGS = [  # (name, value): each must be rejected with "<name> must be ..., got <value>"
    ("lr", 0), ("lr", -1), ("lr", float("nan")), ("lr", float("inf")), ("lr", "0.1"), ("lr", True),
    ("epochs", 0), ("epochs", -3), ("epochs", 2.5), ("epochs", True),
    ("batch_size", 0), ("batch_size", -8), ("batch_size", True),
]


@pytest.mark.parametrize(("name", "value"), BAD_SETTINGS, ids=[f"{n}={v!r}" for n, v in BAD_SETTINGS])
def test_bad_training_settings_rejected(name, value):
    """lr = nan would train to NaN silently, lr = 0 or epochs = 0 would "train" without moving, and
    "0.1" (a string from a config file) would fail deep inside with a TypeError: reject all at once.
    True is an int to Python (True == 1), but epochs=True is a mistake, not one epoch."""
    expected = "a positive finite number" if name == "lr" else "an integer >= 1"
    with pytest.raises(ValueError, match=rf"{name} must be {expected}, got {re.escape(repr(value))}"):
        mlp.train(X4, Y4, [2, 3, 1], **{"epochs": 1, name: value})


PARAM_CALLERS = {
    "forward": lambda p, X: mlp.forward(p, X),
    "loss_and_grads": lambda p, X: mlp.loss_and_grads(p, X, np.zeros(len(X))),
    "predict": lambda p, X: mlp.predict(p, X),
    "train": lambda p, X: mlp.train(X, np.zeros(len(X)), [X.shape[1], 3, 1], epochs=1, params=p),
}
KEYS = r"params must have the keys \['W1', 'b1', 'W2', 'b2'\]"
BAD_PARAMS = {  # P is [2, 3, 1]: W1 (2, 3), b1 (1, 3), W2 (3, 1), b2 (1, 1)
    "missing W1": (params_with(W1=None), X4, KEYS + r"; missing \['W1'\]"),
    "missing b2": (params_with(b2=None), X4, KEYS + r"; missing \['b2'\]"),
    "extra key": ({**P, "W3": np.zeros((1, 1))}, X4, r"missing \['b3'\], unexpected \[\]"),
    "misnamed key": (params_with(b2=None, bias2=P["b2"]), X4, r"missing \['b2'\], unexpected \['bias2'\]"),
    "W1 transposed": (params_with(W1=P["W1"].T), X4,
                      r"params\['W1'\] must have shape \(2, n_1\), got \(3, 2\)"),
    "b1 1-D": (params_with(b1=np.zeros(3)), X4,
               r"params\['b1'\] must have shape \(1, 3\), matching W1, got \(3,\)"),
    "W2 too many rows": (params_with(W2=np.zeros((4, 1))), X4, r"params\['W2'\] must have shape \(3, n_2\)"),
    "two outputs": (params_with(W2=np.zeros((3, 2)), b2=np.zeros((1, 2))), X4,
                    r"the output layer W2 must have 1 column"),
    "not a dict": ([P["W1"], P["b1"], P["W2"], P["b2"]], X4, r"params must be a dict"),
    "X has 3 columns, W1 2 rows": (P, np.ones((4, 3)),
                                   r"params\['W1'\] must have shape \(3, n_1\), got \(2, 3\) "
                                   r"\(the number of columns of X\)"),
}


@pytest.mark.parametrize("case", list(BAD_PARAMS))
@pytest.mark.parametrize("caller", list(PARAM_CALLERS))
def test_bad_params_rejected(caller, case):
    """Parameters loaded from elsewhere are checked against each other and against X before any
    arithmetic: a transposed W1 would otherwise run whenever it happens to be square."""
    params, X, message = BAD_PARAMS[case]
    with pytest.raises(ValueError, match=message):
        PARAM_CALLERS[caller](params, X)


def test_y_as_1d_array_is_the_same_as_a_column():
    """y of shape (n,) is reshaped to (n, 1): every result is bit-identical. Without the reshape,
    y_hat (n, 1) - y (n,) broadcasts to an (n, n) matrix and the loss and gradients are silently wrong."""
    params, X, y = mlp.gradcheck_problem([2, 5, 1], "tanh", n=8, seed=0)
    loss_col, grads_col = mlp.loss_and_grads(params, X, y, "tanh")
    loss_row, grads_row = mlp.loss_and_grads(params, X, y.ravel(), "tanh")
    assert loss_row == loss_col and all(np.array_equal(grads_row[k], grads_col[k]) for k in grads_col)
    assert mlp.compute_loss(params, X, y.ravel(), "tanh") == mlp.compute_loss(params, X, y, "tanh")
    assert mlp.accuracy(params, X, y.ravel(), "tanh") == mlp.accuracy(params, X, y, "tanh")
    assert same_run(mlp.train(XOR_X, XOR_Y.ravel(), [2, 8, 1], "relu", epochs=30), train_xor())


def test_integer_and_boolean_inputs_are_numbers():
    """Integer X and boolean y are valid numbers, converted to float64: same results as floats."""
    X_int, y_bool = X4.astype(int), Y4.astype(bool)
    assert mlp.compute_loss(P, X_int, y_bool) == mlp.compute_loss(P, X4, Y4)
    assert np.array_equal(mlp.predict(P, X_int), mlp.predict(P, X4))


def test_bce_loss_and_backward_reject_a_label_vector_against_a_column():
    """bce_loss and backward are public too: y of shape (n,) against z (n, 1) would broadcast to an
    (n, n) matrix and give a wrong loss (or a matmul error far from the cause) instead of a clear error."""
    params, X, y = mlp.gradcheck_problem([2, 5, 1], "tanh", n=8, seed=0)
    _, cache = mlp.forward(params, X, "tanh")
    with pytest.raises(ValueError, match=r"y has shape \(8,\) but the output has \(8, 1\)"):
        mlp.bce_loss(cache["z2"], y.ravel())
    with pytest.raises(ValueError, match=r"y has shape \(8,\) but the output has \(8, 1\)"):
        mlp.backward(params, cache, y.ravel(), "tanh")



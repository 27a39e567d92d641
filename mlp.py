"""A multi-layer perceptron from first principles: NumPy only, backpropagation by hand, gradients checked.

Read this file top to bottom. Its first part is the network, in the order the maths needs it:
activations -> parameters -> forward pass -> loss -> backward pass -> gradient check -> training.
The second part makes the datasets, runs the experiments and draws the figures; the last part is the
command line. `python mlp.py` reproduces every figure in visualizations/ and every table in
experiments_log.md. The priorities, in order: correct, readable, easy to change; fast only where it
costs the reader nothing.

Notation (rows are examples, so a layer is z = a @ W + b, exactly as in the derivation):

    n            number of examples in a batch         d, h, ...  layer widths
    X            inputs                        (n, d)   a0 = X
    W1, b1       first layer's weights, bias   (d, h), (1, h)
    z1 = X W1 + b1                             (n, h)   pre-activations ("logits" of layer 1)
    a1 = f(z1)                                 (n, h)   f is sigmoid, relu or tanh
    W2, b2       output layer                  (h, 1), (1, 1)
    z2 = a1 W2 + b2                            (n, 1)   the output logit
    y_hat = sigmoid(z2)                        (n, 1)   predicted probability that y = 1
    y            labels, 0.0 or 1.0            (n, 1)
    L            mean binary cross-entropy     scalar
    dW2, db2, dW1, db1                                  dL/dW2, ...: the gradients of L, shaped like W2, ...
    dz2, da1, dz1                                       per example: row i of dz2 is dl_i/dz2_i, where
                                                        L = mean_i l_i; so dz2 = n dL/dz2, as in the spec's
                                                        steps, and the 1/n is applied in dW and db

A deeper network repeats the hidden layer: W_l, b_l, z_l, a_l for l = 1, 2, ..., and its last layer,
number n_layers in the code and L as a subscript (z_L, W_L), is the output. The keys of the parameter
dict are "W1", "b1", ..., "WL", "bL". Each function starts by checking its inputs; the checks are the
last section of part one, and a first reading can skip them.
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

__all__ = [
    "sigmoid", "relu", "tanh", "softplus",
    "init_params", "forward", "bce_loss", "backward", "loss_and_grads",
    "compute_loss", "relative_error", "gradient_check", "gd_step", "train",
    "predict_proba", "predict", "accuracy",
    "make_xor", "make_moons", "make_circles",
]


# ----------------------------------------------------------------------------------------------------
# Activations, each with its derivative. Every derivative takes (z, a) with a = f(z) already computed,
# because the cheapest form differs: sigmoid' and tanh' are read off the stored activation a,
# relu' off the sign of z.
# ----------------------------------------------------------------------------------------------------

# --8<-- [start:activations]
def sigmoid(z):
    """sigma(z) = 1 / (1 + e^-z), for any finite z without overflow or warnings."""
    # e^-z overflows for z < -709. Both branches below only take e^-|z|, which lies in (0, 1]:
    #   z >= 0:  1 / (1 + e^-z)          z < 0:  e^z / (1 + e^z)   (same value, multiplied by e^z / e^z)
    # e^-|z| underflows (to tiny subnormals for |z| > 708, to 0 for |z| > 745): 0 or 1 is then the
    # correctly rounded answer, so underflow is allowed here and nowhere else.
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_grad(z, a):
    return a * (1 - a)  # sigma'(z) = sigma(z) (1 - sigma(z)) = a (1 - a): evaluated at z, via a = sigma(z)


def relu(z):
    return np.maximum(z, 0)  # z where z > 0, else 0: no saturation for positive z


def relu_grad(z, a):
    return z > 0  # relu'(z) = 1 if z > 0 else 0 (at z = 0 we pick 0); a boolean mask, used as 1.0 / 0.0


def tanh(z):
    return np.tanh(z)  # tanh(z) = (e^z - e^-z) / (e^z + e^-z), in (-1, 1); NumPy's is stable


def tanh_grad(z, a):
    return 1 - a**2  # tanh'(z) = 1 - tanh(z)^2 = 1 - a^2


def softplus(z):
    """softplus(z) = log(1 + e^z), for any finite z without overflow or warnings."""
    # log(1 + e^z) = max(z, 0) + log(1 + e^-|z|): the exponent is never positive, so e^... cannot overflow,
    # and log1p keeps full precision when e^-|z| is tiny.
    with np.errstate(under="ignore"):
        return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


ACTIVATIONS = {  # name -> (f, f'); the hidden layers use one of these, the output layer always sigmoid
    "sigmoid": (sigmoid, sigmoid_grad),
    "relu": (relu, relu_grad),
    "tanh": (tanh, tanh_grad),
}
# --8<-- [end:activations]


# ----------------------------------------------------------------------------------------------------
# Parameters
# ----------------------------------------------------------------------------------------------------

# --8<-- [start:init_params]
INIT_STD = {  # name -> standard deviation of W_l, given the layer's fan-in and fan-out
    "he": lambda n_in, n_out: np.sqrt(2 / n_in),  # keeps Var(z) steady through ReLU layers (He et al. 2015)
    "xavier": lambda n_in, n_out: np.sqrt(2 / (n_in + n_out)),  # balances forward and backward (Glorot 2010)
    "normal": lambda n_in, n_out: 1.0,  # He's size for 2 inputs, too large for wide layers
    "small": lambda n_in, n_out: 0.01,  # tiny signals: the initial loss is ln 2, gradients vanish with depth
    "zeros": lambda n_in, n_out: 0.0,  # every unit of a layer identical forever: the symmetry problem
}


def init_params(sizes, activation="relu", seed=0, init=None):
    """Random weights, zero biases: {"W1": (sizes[0], sizes[1]), "b1": (1, sizes[1]), ..., "WL", "bL"}.

    sizes: layer widths from input to output, e.g. [2, 16, 1]; the last must be 1 (one sigmoid output).
    [2, 1] is logistic regression. init: a key of INIT_STD; by default "he" for relu, "xavier" otherwise.
    The same seed gives bit-identical parameters.
    """
    check_sizes(sizes)
    check_choice("activation", activation, ACTIVATIONS)
    init = check_choice("init", init or ("he" if activation == "relu" else "xavier"), INIT_STD)
    rng = np.random.default_rng(seed)
    params = {}
    for l in range(1, len(sizes)):
        n_in, n_out = sizes[l - 1], sizes[l]
        params[f"W{l}"] = rng.standard_normal((n_in, n_out)) * INIT_STD[init](n_in, n_out)  # (n_in, n_out)
        params[f"b{l}"] = np.zeros((1, n_out))  # (1, n_out); zero is fine once W breaks the symmetry
    return params
# --8<-- [end:init_params]


# ----------------------------------------------------------------------------------------------------
# Forward pass
# ----------------------------------------------------------------------------------------------------

# --8<-- [start:forward]
def forward(params, X, activation="relu"):
    """z_l = a_{l-1} W_l + b_l and a_l = f(z_l) from a_0 = X up; y_hat = sigmoid(z_L). (y_hat, cache).

    cache holds every "z1".."zL" and "a0".."aL" (a0 is X, aL is y_hat): backward needs them all.
    """
    X = check_X(X)
    n_layers = check_params(params, X.shape[1])  # (checks the keys and shapes, counts the layers)
    f, _ = ACTIVATIONS[check_choice("activation", activation, ACTIVATIONS)]
    cache = {"a0": X}  # (n, d)
    for l in range(1, n_layers + 1):
        z = cache[f"a{l - 1}"] @ params[f"W{l}"] + params[f"b{l}"]  # (n, n_l); b adds to every row
        cache[f"z{l}"] = z
        cache[f"a{l}"] = sigmoid(z) if l == n_layers else f(z)  # the output unit is always a sigmoid
    return cache[f"a{n_layers}"], cache  # y_hat (n, 1)
# --8<-- [end:forward]


# ----------------------------------------------------------------------------------------------------
# Loss: mean binary cross-entropy, computed from the output logit z_L rather than from y_hat
# ----------------------------------------------------------------------------------------------------

# --8<-- [start:bce_loss]
def bce_loss(zL, y):
    """L = -(1/n) sum_i [y_i log(y_hat_i) + (1 - y_i) log(1 - y_hat_i)] with y_hat = sigmoid(zL).

    Written with log(sigma(z)) = -softplus(-z) and log(1 - sigma(z)) = -softplus(z), which hold exactly.
    Why not log(y_hat) directly: sigma(z) rounds to exactly 1.0 once e^-z < 2^-53, i.e. for z > 36.7, and
    then log(1 - y_hat) = log(0) = -inf. Clipping y_hat to [1e-15, 1 - 1e-15] hides that, but caps every
    such loss at about 34.5 and zeroes its gradient. From the logit, the loss stays finite and exact:
    about |z| for a confident mistake.
    """
    check_same_shape(y, zL)
    losses = y * softplus(-zL) + (1 - y) * softplus(zL)  # (n, 1): -log of the probability given to y
    # The mean, ~ ln 2 = 0.693 while every zL ~ 0 (a small init); each term is divided by n before
    # the sum, so that losses near the largest float (1e308) cannot add up to inf.
    return np.sum(losses / len(losses))
# --8<-- [end:bce_loss]


# ----------------------------------------------------------------------------------------------------
# Backward pass: the seven steps of the derivation, (1) .. (7), for every layer from the output down
# ----------------------------------------------------------------------------------------------------

# --8<-- [start:backward]
def backward(params, cache, y, activation="relu"):
    """Gradients of the mean BCE with respect to every parameter, from forward's cache.

    Returns {"W1": dW1, "b1": db1, ...}, each the same shape as its parameter. The loop runs
    l = n_layers, ..., 1; for the two-layer network that is l = 2, then l = 1, and the comments name the
    quantities of that case. Steps (6) and (7) are steps (2) and (3) again, at a0 = X.
    """
    _, f_grad = ACTIVATIONS[check_choice("activation", activation, ACTIVATIONS)]
    n_layers = len(params) // 2  # a W and a b per layer
    y_hat = cache[f"a{n_layers}"]
    check_same_shape(y, y_hat)
    n = y_hat.shape[0]
    grads = {}
    dz = y_hat - y  # (1) dz2 = y_hat - y = dl/dy_hat * sigma'(z2), per example        (n, 1)
    for l in range(n_layers, 0, -1):  # the two-layer network: l = 2, then l = 1
        a_prev = cache[f"a{l - 1}"]  # a1, then a0 = X                               (n, n_{l-1})
        grads[f"W{l}"] = a_prev.T @ dz / n  # (2) dW2 = a1^T dz2 / n, (6) dW1 = X^T dz1 / n
        grads[f"b{l}"] = dz.sum(axis=0, keepdims=True) / n  # (3) db2 = sum dz2 / n, (7) db1
        if l > 1:  # below layer 1 is the input X, which has no parameters to learn
            da = dz @ params[f"W{l}"].T  # (4) da1 = dz2 W2^T                        (n, n_{l-1})
            dz = da * f_grad(cache[f"z{l - 1}"], a_prev)  # (5) dz1 = da1 * f'(z1)   (n, n_{l-1})
    return grads
# --8<-- [end:backward]


# --8<-- [start:loss_and_grads]
def loss_and_grads(params, X, y, activation="relu"):
    """(L, grads): one forward pass, the loss from its logit, one backward pass. y: (n, 1) or (n,)."""
    X, y = check_Xy(X, y)
    _, cache = forward(params, X, activation)
    zL = cache[f"z{len(params) // 2}"]  # the output logit                                (n, 1)
    return bce_loss(zL, y), backward(params, cache, y, activation)


def compute_loss(params, X, y, activation="relu"):
    """L alone: the forward pass and the loss, for monitoring (no gradients)."""
    X, y = check_Xy(X, y)
    _, cache = forward(params, X, activation)
    zL = cache[f"z{len(params) // 2}"]  # the output logit                                (n, 1)
    return bce_loss(zL, y)
# --8<-- [end:loss_and_grads]


# ----------------------------------------------------------------------------------------------------
# Gradient check: compare backward with centred finite differences of the loss (cs231n's conventions)
# ----------------------------------------------------------------------------------------------------

# --8<-- [start:gradient_check]
def relative_error(a, b, tiny=1e-8):
    """|a - b| / max(|a| + |b|, tiny), elementwise. tiny keeps 0 / 0 at 0 where both gradients vanish."""
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), tiny)


def gradient_check(params, X, y, activation="relu", eps=1e-5, analytic=None):
    """For every parameter: its analytical gradient, its numerical gradient and their max relative error.

    Numerical: dL/dtheta ~ (L(theta + eps) - L(theta - eps)) / (2 eps), one entry at a time; the error of
    this centred difference is O(eps^2), against O(eps) for a one-sided one. cs231n's rule of thumb for
    float64: rel <= 1e-7 correct; up to 1e-2 uncomfortable (up to 1e-4 it may be a relu kink); above, wrong.
    A kink straddled by theta +- eps gives an error of order 1 (kink_sweep shows it).
    analytic: gradients to check instead of backward's (the bug zoo passes its own). The check runs in
    the dtype of params and X: float64 as init_params makes them (float32 only to show why not, eps_sweep).
    Returns {"W1": {"analytic": (d, h), "numeric": (d, h), "rel_error": float}, ...}.
    """
    X, y = check_Xy(X, y)
    if analytic is None:
        _, analytic = loss_and_grads(params, X, y, activation)
    theta = {k: v.copy() for k, v in params.items()}  # perturbed in place, one entry at a time

    def loss_at(key, i, value):  # L with one entry of theta set to value; the same loss_and_grads
        theta[key].flat[i] = value  # as everywhere else (its gradients are not used here)
        return loss_and_grads(theta, X, y, activation)[0]

    report = {}
    for key, p in params.items():
        numeric = np.zeros_like(p)
        for i, p_i in enumerate(p.flat):
            numeric.flat[i] = (loss_at(key, i, p_i + eps) - loss_at(key, i, p_i - eps)) / (2 * eps)
            theta[key].flat[i] = p_i  # restore before moving on
        rel = relative_error(analytic[key], numeric)  # (same shape as p)
        report[key] = {"analytic": analytic[key], "numeric": numeric, "rel_error": float(rel.max())}
    return report
# --8<-- [end:gradient_check]


# ----------------------------------------------------------------------------------------------------
# Training: gradient descent, full-batch or on shuffled mini-batches
# ----------------------------------------------------------------------------------------------------

# --8<-- [start:train]
def gd_step(params, X, y, activation, lr):
    """One step of gradient descent on the batch (X, y), in place: theta <- theta - lr dL/dtheta.

    Returns the loss L, computed on the way (before the step)."""
    loss, grads = loss_and_grads(params, X, y, activation)
    for key in params:
        params[key] -= lr * grads[key]
    return loss


def train_epoch(params, X, y, activation, lr, batch_size, rng):
    """One pass over (X, y) in batches of batch_size, shuffled if that is less than n: the mean loss."""
    n = X.shape[0]
    order = rng.permutation(n) if batch_size < n else np.arange(n)
    loss_sum = 0.0
    for start in range(0, n, batch_size):
        batch = order[start:start + batch_size]  # row indices                               (batch_size,)
        loss_sum += gd_step(params, X[batch], y[batch], activation, lr) * len(batch)
    return loss_sum / n  # the mean over the epoch's examples, each measured just before its step


def train(X, y, sizes, activation="relu", lr=4.0, epochs=1000, batch_size=None, seed=0, init=None,
          params=None, X_val=None, y_val=None):
    """Train a network of the given layer sizes; returns (params, history).

    Full-batch gradient descent by default (one step per epoch); with batch_size, mini-batch SGD on a
    fresh shuffle each epoch (seeded). y may be (n,) or (n, 1). params: start from these (copied) instead
    of init_params(sizes, activation, seed, init).
    The defaults fit [2, 16, 1] with any activation in a fraction of a second: XOR to 100 %, two moons
    (noise 0.2) to about 97 % held-out accuracy. A step of 4 is large, but full-batch descent on this small
    network takes it, and sigmoid units need it to leave their early plateau.
    history["loss"][e]: the mean training loss during epoch e + 1, each batch's measured just before its
    step (full batch: the loss at the start of the epoch, so history["loss"][0] is the initial loss).
    With X_val, y_val: also history["val_loss"][e] and history["val_acc"][e], measured after the epoch.
    Raises FloatingPointError, naming the epoch, if the loss or an update overflows (lr too large).
    """
    X, y = check_Xy(X, y)
    check_positive("lr", lr)
    check_count("epochs", epochs)
    n = X.shape[0]
    batch_size = n if batch_size is None else min(check_count("batch_size", batch_size), n)
    if params is None:
        params = init_params(sizes, activation, seed, init)
    check_sizes(sizes, X.shape[1], params)
    params = {key: np.array(v, dtype=np.float64) for key, v in params.items()}  # a copy, updated in place
    history = {"loss": []}
    if X_val is not None:
        X_val, y_val = check_Xy(X_val, y_val, "X_val", "y_val")
        history.update(val_loss=[], val_acc=[])
    rng = np.random.default_rng(seed)
    try:
        with np.errstate(over="raise", invalid="raise"):  # a diverging run stops here, never returns NaNs
            for epoch in range(1, epochs + 1):  # noqa: B007 (the error below names the epoch)
                history["loss"].append(train_epoch(params, X, y, activation, lr, batch_size, rng))
                if X_val is not None:
                    history["val_loss"].append(compute_loss(params, X_val, y_val, activation))
                    history["val_acc"].append(accuracy(params, X_val, y_val, activation))
            compute_loss(params, X, y, activation)  # the last step must not have diverged either
    except FloatingPointError as err:
        raise FloatingPointError(f"training diverged in epoch {epoch} ({err}) with lr={lr}: "
                                 "try a smaller learning rate") from None
    return params, history


# --8<-- [end:train]


# --8<-- [start:predict]
def predict_proba(params, X, activation="relu"):
    """y_hat = P(y = 1 | x) for every row of X: (n, 1)."""
    return forward(params, X, activation)[0]


def predict(params, X, activation="relu"):
    """Class 1.0 where y_hat >= 0.5 (that is, z_L >= 0), else 0.0: (n, 1)."""
    return (predict_proba(params, X, activation) >= 0.5).astype(np.float64)


def accuracy(params, X, y, activation="relu"):
    """Fraction of rows of X whose predicted class equals the label."""
    X, y = check_Xy(X, y)
    return float(np.mean(predict(params, X, activation) == y))
# --8<-- [end:predict]


# ----------------------------------------------------------------------------------------------------
# Input checks. Bad input raises ValueError naming the argument and what was expected; nothing is
# silently repaired except y of shape (n,), which becomes (n, 1).
# ----------------------------------------------------------------------------------------------------

def check_X(X, name="X"):
    """X as a finite float array (n, d) with n, d >= 1; integers and booleans become float64."""
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be numeric (real numbers), got dtype {X.dtype}")
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D, (n_examples, n_features), got shape {X.shape}")
    if X.size == 0:
        raise ValueError(f"{name} is empty (shape {X.shape}): need at least one example and one feature")
    if not np.isfinite(X).all():
        raise ValueError(f"{name} contains NaN or inf; every entry must be a finite number")
    return X if X.dtype.kind == "f" else X.astype(np.float64)  # float32 stays float32: see gradient_check


def check_Xy(X, y, x_name="X", y_name="y"):
    """(X, y) checked, with y as a column (n, 1) of 0.0 / 1.0 labels; y of shape (n,) is reshaped."""
    X = check_X(X, x_name)
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise ValueError(f"{y_name} must be numeric 0/1 labels, got dtype {y.dtype}")
    if y.ndim == 1:
        y = y.reshape(-1, 1)
    if y.ndim != 2 or y.shape[1] != 1:
        raise ValueError(f"{y_name} must have shape (n,) or (n, 1), got {y.shape}")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"{x_name} has {X.shape[0]} rows but {y_name} has {y.shape[0]}: "
                         "one label per example")
    if not np.isfinite(y).all():
        raise ValueError(f"{y_name} contains NaN or inf; labels must be 0 or 1")
    if not ((y == 0) | (y == 1)).all():
        raise ValueError(f"{y_name} must contain only the labels 0 and 1, got {np.unique(y)[:5]}")
    return X, y.astype(X.dtype)


def check_same_shape(y, y_hat):
    """y against the network's output: (n,) against (n, 1) would broadcast to (n, n) without a word."""
    if np.shape(y) != np.shape(y_hat):
        raise ValueError(f"y has shape {np.shape(y)} but the output has {np.shape(y_hat)}; they must match "
                         "(a vector of n labels is y.reshape(-1, 1))")


def check_sizes(sizes, n_features=None, params=None):
    """sizes: at least two positive integer widths, the last 1; sizes[0] = n_features; params' shapes."""
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
        raise ValueError("sizes must list at least two layer widths, input to output, e.g. [2, 16, 1]; "
                         f"got {sizes!r}")
    if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s > 0 for s in sizes):
        raise ValueError(f"every width in sizes must be a positive integer, got {list(sizes)}")
    if sizes[-1] != 1:
        raise ValueError(f"the output width sizes[-1] must be 1 (one sigmoid unit), got {sizes[-1]}")
    if n_features is not None and sizes[0] != n_features:
        raise ValueError(f"sizes[0] = {sizes[0]} must equal the number of features (columns of X), "
                         f"{n_features}")
    if params is not None and layer_sizes(params, n_features) != list(sizes):
        raise ValueError(f"params have layer widths {layer_sizes(params, n_features)}, "
                         f"but sizes is {list(sizes)}")


def layer_sizes(params, n_features):
    """The widths [d, n_1, ..., n_L] of a parameter dict, after checking its keys and shapes."""
    if not isinstance(params, dict) or len(params) < 2:
        raise ValueError("params must be a dict {'W1': ..., 'b1': ..., ..., 'WL': ..., 'bL': ...}")
    n_layers = (len(params) + 1) // 2  # a W and a b per layer; an odd count means one is missing
    expected = [f"{p}{l}" for l in range(1, n_layers + 1) for p in "Wb"]
    missing, unexpected = [k for k in expected if k not in params], sorted(set(params) - set(expected))
    if missing or unexpected:
        raise ValueError(f"params must have the keys {expected}; missing {missing}, unexpected {unexpected}")
    sizes = [n_features]
    for l in range(1, n_layers + 1):
        W, b = np.shape(params[f"W{l}"]), np.shape(params[f"b{l}"])
        if len(W) != 2 or W[0] != sizes[-1]:
            raise ValueError(f"params['W{l}'] must have shape ({sizes[-1]}, n_{l}), got {W}"
                             + (" (the number of columns of X)" if l == 1 else ""))
        if b != (1, W[1]):
            raise ValueError(f"params['b{l}'] must have shape (1, {W[1]}), matching W{l}, got {b}")
        sizes.append(W[1])
    if sizes[-1] != 1:
        raise ValueError(f"the output layer W{n_layers} must have 1 column (one sigmoid unit), "
                         f"got {sizes[-1]}")
    return sizes


def check_params(params, n_features):
    """The number of layers, after checking params' keys and shapes against n_features inputs."""
    return len(layer_sizes(params, n_features)) - 1


def check_choice(name, value, options):
    if not (isinstance(value, str) and value in options):
        raise ValueError(f"unknown {name} {value!r}; expected one of {sorted(options)}")
    return value


def check_positive(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not 0 < value < np.inf:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return value


def check_count(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return value


# ====================================================================================================
# Part two: datasets, experiments and figures. Everything below uses only the functions above.
# ====================================================================================================

# ----------------------------------------------------------------------------------------------------
# Datasets: two features, labels 0.0 / 1.0, seeded and deterministic, NumPy only
# ----------------------------------------------------------------------------------------------------

# --8<-- [start:datasets]
def make_xor(n=200, noise=0.2, seed=0):
    """Points around the corners (+-1, +-1); label 1 where the signs differ. n=4, noise=0: the truth table.

    No line separates the classes: XOR is the classic task that needs a hidden layer.
    """
    rng = np.random.default_rng(seed)
    corners = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]], dtype=np.float64)
    X = corners[np.arange(n) % 4] + noise * rng.standard_normal((n, 2))  # (n, 2); corners taken in turn
    y = (np.arange(n) % 4 % 3 != 0).astype(np.float64)  # corners 1 and 2 have signs that differ
    return X, y.reshape(-1, 1)


def make_moons(n=200, noise=0.2, seed=0):
    """Two interleaving half circles (as in scikit-learn): the upper one label 0, the lower one label 1."""
    rng = np.random.default_rng(seed)
    t = np.pi * rng.random(n)  # angle along the half circle
    y = np.arange(n) % 2  # alternate labels: classes of n // 2 and n - n // 2
    X = np.where(y[:, None] == 0,
                 np.column_stack([np.cos(t), np.sin(t)]),  # upper moon, centre (0, 0)
                 np.column_stack([1 - np.cos(t), 0.5 - np.sin(t)]))  # lower moon, centre (1, 0.5)
    return X + noise * rng.standard_normal((n, 2)), y.astype(np.float64).reshape(-1, 1)


def make_circles(n=200, noise=0.1, seed=0, factor=0.5):
    """A ring of radius 1 (label 0) around a ring of radius factor (label 1)."""
    rng = np.random.default_rng(seed)
    t = 2 * np.pi * rng.random(n)
    y = np.arange(n) % 2
    radius = np.where(y == 0, 1.0, factor)
    X = radius[:, None] * np.column_stack([np.cos(t), np.sin(t)])  # (n, 2)
    return X + noise * rng.standard_normal((n, 2)), y.astype(np.float64).reshape(-1, 1)
# --8<-- [end:datasets]


# ----------------------------------------------------------------------------------------------------
# The bug zoo: backward with one planted mistake, each one that learners make. gradient_check must
# flag every one (max relative error > 1e-2) and pass the correct backward.
# ----------------------------------------------------------------------------------------------------

# --8<-- [start:bug_zoo]
BUGS = {  # name -> (hidden activation of the network it is planted in, what is wrong)
    "sigma'(a) for sigma'(z)": ("sigmoid", "sigmoid(a) * (1 - sigmoid(a)): the derivative taken at a, not z"),
    "missing 1/n": ("sigmoid", "db = sum(dz) without the 1/n, while dW keeps it"),
    "swapped transpose": ("sigmoid", "dW = dz^T a_prev, which is dW^T: NumPy lets it through for square W"),
    "dropped bias gradient": ("sigmoid", "db = 0: the bias is forgotten in the backward pass"),
    "relu mask from da": ("relu", "dz = da * (da > 0): the ReLU mask taken from the gradient, not from z"),
    "sum vs mean": ("sigmoid", "no 1/n anywhere: the gradient of the summed loss, while L is the mean"),
}


def buggy_backward(params, cache, y, activation, bug):
    """backward, with the planted mistake `bug` (a key of BUGS) in the lines it concerns."""
    _, f_grad = ACTIVATIONS[activation]
    n_layers = len(params) // 2
    n = len(y)
    scale = 1 if bug == "sum vs mean" else n
    grads = {}
    dz = cache[f"a{n_layers}"] - y  # (1)
    for l in range(n_layers, 0, -1):
        a_prev = cache[f"a{l - 1}"]
        square = a_prev.shape[1] == dz.shape[1]
        dW = dz.T @ a_prev if bug == "swapped transpose" and square else a_prev.T @ dz  # (2)
        grads[f"W{l}"] = dW / scale
        db = dz.sum(axis=0, keepdims=True) / (1 if bug == "missing 1/n" else scale)  # (3)
        grads[f"b{l}"] = 0 * db if bug == "dropped bias gradient" else db
        if l > 1:
            da = dz @ params[f"W{l}"].T  # (4)
            local = {"sigma'(a) for sigma'(z)": sigmoid(a_prev) * (1 - sigmoid(a_prev)),
                     "relu mask from da": da > 0}.get(bug, f_grad(cache[f"z{l - 1}"], a_prev))
            dz = da * local  # (5)
    return grads
# --8<-- [end:bug_zoo]


def gradcheck_problem(sizes=(2, 3, 3, 1), activation="sigmoid", n=8, seed=0):
    """A small network with random (nonzero) biases and inputs: (params, X, y) to gradient-check on.

    Nonzero biases keep relu units off their kink: with zero biases, an example that switches off every
    unit of a layer gives the next layer z = 0 exactly, where relu has no derivative.
    """
    params = init_params(list(sizes), activation, seed)
    rng = np.random.default_rng(seed + 1)  # not seed: init_params drew W1 from that stream
    for key in params:
        if key.startswith("b"):
            params[key] = 0.5 * rng.standard_normal(params[key].shape)
    X = rng.standard_normal((n, sizes[0]))
    y = (rng.random((n, 1)) < 0.5).astype(np.float64)
    return params, X, y


def bug_zoo(seed=0):
    """[(bug, activation, max relative error over all parameters, the tensor where it is largest)].

    The first two rows are the real backward (bug None), on a sigmoid and on a relu network.
    """
    rows = []
    for bug, activation in [(None, "sigmoid"), (None, "relu")] + [(b, act) for b, (act, _) in BUGS.items()]:
        params, X, y = gradcheck_problem(activation=activation, seed=seed)
        _, cache = forward(params, X, activation)
        analytic = (backward(params, cache, y, activation) if bug is None
                    else buggy_backward(params, cache, y, activation, bug))
        report = gradient_check(params, X, y, activation, analytic=analytic)
        worst = max(report, key=lambda k: report[k]["rel_error"])
        rows.append((bug, activation, report[worst]["rel_error"], worst))
    return rows


# ----------------------------------------------------------------------------------------------------
# Experiments. Each returns (tables, headline): tables maps a section name of experiments_log.md to the
# Markdown table generated for it; headline is the one number the progress line prints. Each draws
# its figures into `figdir`. Seeds are fixed, so every run writes the same bytes.
# ----------------------------------------------------------------------------------------------------

def split(make, n_train=400, n_test=1000, **kwargs):
    """Train and test sets drawn independently from the same distribution (seeds 0 and 1)."""
    return make(n_train, seed=0, **kwargs), make(n_test, seed=1, **kwargs)


TASKS = {  # name -> (train, test); the noise levels keep each task learnable but not trivial
    "xor": split(make_xor, noise=0.2),
    "moons": split(make_moons, noise=0.2),
    "circles": split(make_circles, noise=0.1),
}


def markdown_table(header, rows):
    """A Markdown table; floats in rows should already be formatted as strings."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


def pct(x):
    return f"{100 * x:.1f} %"


def grad_rms(params, X, y, activation):
    """For each layer l, the root-mean-square of the entries of dL/dW_l: the typical gradient of one
    weight, which compares layers of different shapes fairly (a norm would grow with the layer's size)."""
    _, grads = loss_and_grads(params, X, y, activation)
    return [float(np.sqrt(np.mean(grads[f"W{l}"] ** 2))) for l in range(1, len(params) // 2 + 1)]


def dead_fraction(params, X):
    """Fraction of hidden relu units that are never active (z <= 0) on any row of X: they get no gradient."""
    _, cache = forward(params, X, "relu")
    dead = [~(cache[f"z{l}"] > 0).any(axis=0) for l in range(1, len(params) // 2)]  # hidden layers only
    return float(np.concatenate(dead).mean())


def verdict(rel):
    """cs231n's reading of a float64 relative error (1e-7 to 1e-4 may also be a relu kink)."""
    return "correct" if rel <= 1e-7 else "uncomfortable" if rel <= 1e-2 else "wrong"


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


ACTIVATION_COLORS = {"sigmoid": "tab:blue", "tanh": "tab:green", "relu": "tab:orange"}


def plot_field(ax, params, activation, train_set, test_set=None, title=""):
    """The probability field y_hat(x) as a filled contour, the 0.5 boundary as a line, and the points."""
    X, y = train_set
    everything = X if test_set is None else np.vstack([X, test_set[0]])
    (x0, y0), (x1, y1) = everything.min(axis=0) - 0.4, everything.max(axis=0) + 0.4
    gx, gy = np.meshgrid(np.linspace(x0, x1, 150), np.linspace(y0, y1, 150))
    p = predict_proba(params, np.column_stack([gx.ravel(), gy.ravel()]), activation).reshape(gx.shape)
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

def experiment_nonlinear(figdir, quick=False):
    """[2, 16, 1] with train's defaults on two moons and XOR: loss curves, decision boundaries."""
    plt = pyplot()
    epochs = 100 if quick else 1000
    runs, rows = {}, []
    for task in ("moons", "xor"):
        train_set, test_set = TASKS[task]
        for act in ("sigmoid", "relu"):
            params, hist = train(*train_set, [2, 16, 1], act, epochs=epochs,
                                 X_val=test_set[0], y_val=test_set[1])
            runs[task, act] = params, hist
            reached = [e + 1 for e, acc in enumerate(hist["val_acc"]) if acc >= 0.95]
            rows.append([task, act, f"{hist['loss'][-1]:.3f}", f"{hist['val_loss'][-1]:.3f}",
                         pct(hist["val_acc"][-1]), reached[0] if reached else "never"])
    moons_test = TASKS["moons"][1]
    bayes = moons_bayes_accuracy(*moons_test, noise=0.2)
    line = {task: train(*TASKS[task][0], [2, 1], epochs=epochs)[1]["loss"][-1] for task in ("moons", "xor")}

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4), layout="constrained")
    for ax, task in zip(axes, ("moons", "xor"), strict=True):
        for act in ("sigmoid", "relu"):
            hist = runs[task, act][1]
            e = np.arange(1, epochs + 1)
            ax.plot(e, hist["loss"], color=ACTIVATION_COLORS[act], label=f"{act}: training")
            ax.plot(e, hist["val_loss"], color=ACTIVATION_COLORS[act], ls="--", label=f"{act}: held-out")
        ax.axhline(np.log(2), color="gray", lw=0.8, ls=":", label="ln 2 (a coin flip)")
        ax.axhline(line[task], color="k", lw=0.8, ls="-.", label="best straight line (logistic regr.)")
        ax.set(title=f"{task}: network [2, 16, 1], full-batch gradient descent, lr 4",
               xlabel="epoch (one gradient step each)", ylabel="mean binary cross-entropy (nats)",
               yscale="log")
        ax.legend(ncol=2)
    fig.suptitle("Training and held-out loss: relu descends at once, sigmoid first sits on a plateau")
    save(fig, figdir, "loss_curve.png")

    snapshots = [0, 10, 30, 100, 300, 1000] if not quick else [0, 10, 100]
    fig = plt.figure(figsize=(12, 8.3), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[2.2, 1])
    axes = top.subplots(1, 2)
    for ax, task in zip(axes, ("moons", "xor"), strict=True):
        params, hist = runs[task, "relu"]
        field = plot_field(ax, params, "relu", *TASKS[task],
                           title=f"{task}, relu [2, 16, 1]: held-out accuracy {pct(hist['val_acc'][-1])}")
        ax.legend(loc="lower left", fontsize=8)
    top.colorbar(field, ax=axes, label="$\\hat y = P(y = 1 \\mid x)$", shrink=0.8)
    top.suptitle("The learned probability field: blue class 0, red class 1, black line $\\hat y = 0.5$")
    params = init_params([2, 16, 1], "relu")
    for ax, (j, epoch) in zip(bottom.subplots(1, len(snapshots)), enumerate(snapshots), strict=True):
        if epoch:
            params, _ = train(*TASKS["moons"][0], [2, 16, 1], "relu", epochs=epoch - snapshots[j - 1],
                              params=params)
        plot_field(ax, params, "relu", TASKS["moons"][0], title=f"after {epoch} epochs")
        ax.set(xlabel="", ylabel="", xticks=[], yticks=[], aspect="equal")
    bottom.suptitle("How the moons boundary forms during training (relu [2, 16, 1], lr 4)")
    save(fig, figdir, "decision_boundary.png")

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
    """Max relative error of the centred difference at each eps, the loss computed in `dtype`, against
    the float64 analytical gradient: truncation error falls as eps^2, round-off grows as 1/eps."""
    _, exact = loss_and_grads(params, X, y, activation)
    low = {k: v.astype(dtype) for k, v in params.items()}
    return [max_rel_error(gradient_check(low, X.astype(dtype), y.astype(dtype), activation, eps, exact))
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
        errors.append(max_rel_error(gradient_check(kinked, X, y, "relu", eps)))
    return errors


def draw_thresholds(ax, x_right):
    """cs231n's verdict thresholds as labelled horizontal lines, labels ending at x_right."""
    for level, text in [(1e-7, "1e-7: correct below"), (1e-2, "1e-2: wrong above")]:
        ax.axhline(level, color="gray", ls="--", lw=0.8)
        ax.text(x_right, level * 1.4, text, ha="right", fontsize=8, color="dimgray")


def experiment_gradient_check(figdir, quick=False):
    """Analytical vs numerical gradients for many networks; eps; float32; kinks; the bug zoo."""
    plt = pyplot()
    rows, worst = [], (0.0,)
    for sizes in CHECK_SIZES:
        for n in (1, 8):
            reports = {act: gradient_check(*gradcheck_problem(sizes, act, n), act) for act in ACTIVATIONS}
            rows.append([str(sizes), n] + [f"{max_rel_error(r):.1e}" for r in reports.values()])
            for act, report in reports.items():
                for key, r in report.items():
                    i = np.argmax(relative_error(r["analytic"], r["numeric"]))
                    a, num = r["analytic"].flat[i], r["numeric"].flat[i]
                    worst = max(worst, (r["rel_error"], f"{act} {sizes}, n={n}, {key}", a, abs(a - num)))
    table = markdown_table(["network", "n"] + [f"{act}: max rel. error" for act in ACTIVATIONS], rows)
    table += (f"\n\nThe largest error, {worst[0]:.1e} ({worst[1]}), is at an entry whose gradient is only "
              f"{worst[2]:.1e}; the absolute difference there is {worst[3]:.1e}.")

    zoo = bug_zoo()
    zoo_rows = [[bug or "none: the real backward", act, BUGS[bug][1] if bug else "", f"{rel:.1e}", where,
                 verdict(rel)] for bug, act, rel, where in zoo]
    zoo_table = markdown_table(["planted mistake", "hidden activation", "what the code does",
                                "max rel. error", "worst tensor", "verdict"], zoo_rows)

    fig, axes = plt.subplots(2, 2, figsize=(12, 9), layout="constrained")
    ax = axes[0, 0]
    reports = {act: gradient_check(*gradcheck_problem([2, 5, 4, 1], act), act) for act in ACTIVATIONS}
    for act, report in reports.items():
        a = np.concatenate([r["analytic"].ravel() for r in report.values()])
        num = np.concatenate([r["numeric"].ravel() for r in report.values()])
        ax.scatter(a, num, s=16, color=ACTIVATION_COLORS[act], label=f"{act} ({a.size} entries)", alpha=0.7)
    lim = max(abs(r["analytic"]).max() for rep in reports.values() for r in rep.values()) * 1.2
    ax.plot([-lim, lim], [-lim, lim], color="k", lw=0.8, label="numerical = analytical")
    ax.set(xscale="symlog", yscale="symlog", xlabel="analytical gradient (backward)",
           ylabel="numerical gradient (centred difference, eps 1e-5)",
           title="Every parameter of three [2, 5, 4, 1] networks lies on the diagonal")
    ax.set_xscale("symlog", linthresh=1e-4)
    ax.set_yscale("symlog", linthresh=1e-4)
    ax.legend()

    ax = axes[0, 1]
    keys = list(reports["relu"])
    for i, (act, report) in enumerate(reports.items()):
        ax.plot(np.arange(len(keys)) + (i - 1) * 0.15, [report[k]["rel_error"] for k in keys], "o", ms=8,
                color=ACTIVATION_COLORS[act], label=act)
    draw_thresholds(ax, len(keys) - 0.5)
    ax.set(yscale="log", ylim=(1e-13, 1), xticks=range(len(keys)), xticklabels=keys,
           xlabel="parameter tensor", ylabel="max relative error |a − g| / (|a| + |g|)",
           title="Relative error per tensor, with cs231n's thresholds")
    ax.legend(loc="upper left")

    ax = axes[1, 0]
    eps_values = np.logspace(-1, -12, 12 if quick else 23)
    params, X, y = gradcheck_problem([2, 5, 4, 1], "tanh")
    for dtype, color in [(np.float64, "tab:blue"), (np.float32, "tab:red")]:
        errs = eps_sweep(params, X, y, "tanh", dtype, eps_values)
        best = int(np.argmin(errs))
        ax.plot(eps_values, errs, "o-", color=color, ms=4, label=f"loss in {np.dtype(dtype).name}")
        ax.plot(eps_values[best], errs[best], "*", color=color, ms=16, mec="k",
                label=f"{np.dtype(dtype).name} best: eps = {eps_values[best]:.0e}, error {errs[best]:.0e}")
    ax.set(xscale="log", yscale="log", xlabel="eps (step of the centred difference)",
           ylabel="max relative error",
           title="Choosing eps: round-off error (left) against truncation error (right)")
    ax.legend()

    ax = axes[1, 1]
    distances = np.logspace(-10, -1, 10 if quick else 19)
    ax.plot(distances, kink_sweep(distances), "o-", color=ACTIVATION_COLORS["relu"])
    ax.axvline(1e-5, color="k", ls="--", lw=0.8, label="eps = 1e-5")
    draw_thresholds(ax, 1e-1)
    ax.set(xscale="log", yscale="log", xlabel="distance of one relu input z from the kink at 0",
           ylabel="max relative error", title="A relu kink within eps of an input breaks the check")
    ax.legend()
    fig.suptitle("Gradient check: backward against centred finite differences of the same loss")
    save(fig, figdir, "gradient_check.png")
    return {"gradient_check": table, "bug_zoo": zoo_table}, f"worst max relative error {worst[0]:.1e}"


# --- 3. depth: logistic regression against one and two hidden layers ----------------------------------

DEPTHS = {"1 layer (logistic regression)": [2, 1], "2 layers": [2, 16, 1], "3 layers": [2, 16, 16, 1]}


def experiment_depth(figdir, quick=False):
    """Held-out accuracy of 1, 2 and 3 layer relu networks on XOR, moons and circles, over 5 seeds.

    lr 1, not train's default 4: the 3-layer network diverges or dies at 4, and every depth gets the
    same step.
    """
    plt = pyplot()
    seeds = range(2 if quick else 5)
    epochs = 100 if quick else 1000
    acc, models = {}, {}
    for task, (train_set, test_set) in TASKS.items():
        for name, sizes in DEPTHS.items():
            for seed in seeds:
                params, _ = train(*train_set, sizes, "relu", lr=1.0, epochs=epochs, seed=seed)
                acc[task, name, seed] = accuracy(params, *test_set, "relu")
                models.setdefault((task, name), params)  # seed 0's, to draw
    summary = {(task, name): np.array([acc[task, name, s] for s in seeds])
               for task in TASKS for name in DEPTHS}
    rows = [[task] + [f"{pct(a.mean())} ± {100 * a.std():.1f} (min {pct(a.min())})"
                      for a in (summary[task, name] for name in DEPTHS)] for task in TASKS]
    table = markdown_table(["task (held-out accuracy, mean ± std over seeds)"] + list(DEPTHS), rows)
    at_default = [accuracy(train(*TASKS["xor"][0], DEPTHS["3 layers"], "relu", epochs=epochs, seed=seed)[0],
                           *TASKS["xor"][1], "relu") for seed in seeds]
    table += ("\n\nThe same 3-layer networks on XOR at train's default lr 4: held-out accuracy "
              + ", ".join(pct(a) for a in at_default) + " for seeds " + ", ".join(map(str, seeds)) + ".")

    fig, axes = plt.subplots(len(TASKS), 1 + len(DEPTHS), figsize=(14, 10), layout="constrained",
                             gridspec_kw={"width_ratios": [1.1] + [1] * len(DEPTHS)})
    colors = ["tab:gray", "tab:purple", "tab:brown"]
    for row, task in zip(axes, TASKS, strict=True):
        ax = row[0]
        for i, name in enumerate(DEPTHS):
            a = summary[task, name]
            ax.bar(i, a.mean(), yerr=a.std(), color=colors[i], alpha=0.8, capsize=4)
            ax.plot(np.full(a.size, i), a, "k.", ms=5)
        ax.set(ylim=(0.4, 1.02), xticks=range(len(DEPTHS)), xticklabels=["1 layer", "2 layers", "3 layers"],
               ylabel="held-out accuracy", title=f"{task}: {len(seeds)} seeds (dots), mean ± std")
        ax.axhline(0.5, color="gray", lw=0.8, ls=":")
        for ax, name in zip(row[1:], DEPTHS, strict=True):
            plot_field(ax, models[task, name], "relu", *TASKS[task],
                       title=f"{task}, {name}, seed 0: {pct(acc[task, name, 0])}")
    fig.suptitle("Depth: a single layer can only draw a straight line; one hidden layer bends it")
    save(fig, figdir, "depth_comparison.png")
    xor = summary["xor", "1 layer (logistic regression)"].mean(), summary["xor", "2 layers"].mean()
    return {"depth": table}, f"XOR held-out accuracy: 1 layer {pct(xor[0])}, 2 layers {pct(xor[1])}"


# --- 4. vanishing gradients ------------------------------------------------------------------------------

HIDDEN_LAYERS = (2, 4, 6, 8)  # deep networks of width 32


def experiment_vanishing(figdir, quick=False):
    """The typical gradient of a weight in each layer at initialisation (geometric mean over seeds),
    for deep networks, and in the first and last layer over early training."""
    plt = pyplot()
    X, y = TASKS["moons"][0]
    seeds = range(2 if quick else 5)

    def mean_rms(act, k):  # geometric mean over seeds of each layer's RMS gradient
        logs = [np.log(grad_rms(init_params([2] + [32] * k + [1], act, s), X, y, act)) for s in seeds]
        return np.exp(np.mean(logs, axis=0))

    rms = {(act, k): mean_rms(act, k) for act in ACTIVATIONS for k in HIDDEN_LAYERS}
    rows = [[act] + [f"{rms[act, k][0] / rms[act, k][-1]:.1e}" for k in HIDDEN_LAYERS] for act in ACTIVATIONS]
    table = markdown_table(["hidden activation (default init)"]
                           + [f"{k} hidden layers: layer 1 / layer {k + 1}" for k in HIDDEN_LAYERS], rows)
    deepest = HIDDEN_LAYERS[-1]
    factor = {act: (rms[act, deepest][-1] / rms[act, deepest][0]) ** (1 / deepest) for act in ACTIVATIONS}
    table += ("\n\nWith 8 hidden layers, the gradient shrinks on its way down by a factor of "
              + ", ".join(f"{factor[act]:.1f} ({act})" for act in ACTIVATIONS) + " per layer, on average.")

    epochs = 20 if quick else 100
    sizes = [2] + [32] * deepest + [1]
    during = {}
    for act in ACTIVATIONS:
        params, during[act] = init_params(sizes, act), []
        for _ in range(epochs + 1):
            during[act].append(grad_rms(params, X, y, act))
            params, _ = train(X, y, sizes, act, lr=0.1, epochs=1, params=params)

    ylabel = "RMS of the entries of $\\partial L / \\partial W_l$"
    fig, axes = plt.subplots(1, 4, figsize=(17, 4.8), layout="constrained")
    for ax, act in zip(axes[:3], ACTIVATIONS, strict=True):
        for k, color in zip(HIDDEN_LAYERS, ["#9ecae1", "#4292c6", "#2171b5", "#08306b"], strict=True):
            ax.plot(range(1, k + 2), rms[act, k], "o-", color=color, ms=4, label=f"{k} hidden layers")
        if act == "sigmoid":
            last = rms[act, deepest][-1]
            ax.plot(range(1, deepest + 2), [last * 0.25 ** (deepest + 1 - l) for l in range(1, deepest + 2)],
                    "k:", label="slope $\\times 1/4$ per layer ($\\max \\sigma'$)")
        ax.set(yscale="log", xlabel="layer $l$ (1 = next to the input)", ylabel=ylabel + " at init",
               title=f"{act} ({'He' if act == 'relu' else 'Xavier'} init), mean of {len(seeds)} seeds",
               ylim=(1e-9, 10))
        ax.legend(fontsize=8, loc="lower right")
    ax = axes[3]
    for act in ACTIVATIONS:
        g = np.array(during[act])  # (epochs + 1, number of layers)
        ax.plot(g[:, 0], color=ACTIVATION_COLORS[act], label=f"{act}: layer 1")
        ax.plot(g[:, -1], color=ACTIVATION_COLORS[act], ls="--", label=f"{act}: layer {deepest + 1}")
    ax.set(yscale="log", xlabel="epoch (full-batch gradient descent, lr 0.1)", ylabel=ylabel,
           title=f"Layers 1 and {deepest + 1} while training", ylim=(1e-9, 10))
    ax.legend(fontsize=8, ncol=3, loc="lower right", title=f"{deepest} hidden layers of 32 units")
    fig.suptitle("Vanishing gradients: with sigmoid the gradient shrinks layer by layer on its way back")
    save(fig, figdir, "vanishing_gradients.png")
    return {"vanishing": table}, (f"{deepest} hidden layers, layer 1 / layer {deepest + 1} gradient at init: "
                                  f"sigmoid {rows[0][-1]}, relu {rows[1][-1]}")


# --- 5. initialisation and dead neurons --------------------------------------------------------------

def negative_bias_init(sizes, seed, bias=-1.0):
    """He weights, hidden biases at `bias`: each relu unit starts with z = x w - 1, off for most inputs."""
    params = init_params(sizes, "relu", seed)
    for l in range(1, len(sizes) - 1):
        params[f"b{l}"][:] = bias
    return params


INITS = ["he", "xavier", "normal", "small", "zeros", "he, bias -1"]


def experiment_init(figdir, quick=False):
    """Dead relu units at init and after training for each init; zero init's symmetry (sigmoid net)."""
    plt = pyplot()
    (X, y), (Xt, yt) = TASKS["moons"]
    sizes, seeds, epochs = [2, 32, 32, 1], range(2 if quick else 3), (100 if quick else 1000)
    stats = {}
    for init in INITS:
        for seed in seeds:
            params = (negative_bias_init(sizes, seed) if init == "he, bias -1"
                      else init_params(sizes, "relu", seed, init))
            dead_before = dead_fraction(params, X)
            params, hist = train(X, y, sizes, "relu", lr=0.5, epochs=epochs, params=params)
            stats[init, seed] = (dead_before, dead_fraction(params, X), hist["loss"][-1],
                                 accuracy(params, Xt, yt))
    mean = {init: np.mean([stats[init, s] for s in seeds], axis=0) for init in INITS}
    rows = [[init, pct(m[0]), pct(m[1]), f"{m[2]:.3f}", pct(m[3])] for init, m in mean.items()]
    table = markdown_table(["init ([2, 32, 32, 1], relu)", "dead units at init", "dead after training",
                            "final training loss", "held-out accuracy"], rows)

    sym = {}
    keep = (y[:, 0] == 0) | (np.arange(len(y)) % 4 == 1)  # class 0 and half of class 1; on balanced classes
    #                                  a zero-init sigmoid network does not move at all (mean(y_hat - y) = 0)
    for init in ("xavier", "zeros"):
        params, _ = train(X[keep], y[keep], [2, 16, 1], "sigmoid", epochs=epochs, init=init)
        distinct = np.unique(params["W1"].round(12), axis=1).shape[1]  # hidden units with different weights
        sym[init] = params, distinct, accuracy(params, Xt, yt, "sigmoid")
    sym_table = markdown_table(["init ([2, 16, 1], sigmoid, 2:1 classes)", "distinct hidden units",
                                "held-out accuracy"], [[k, v[1], pct(v[2])] for k, v in sym.items()])

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8), layout="constrained")
    x = np.arange(len(INITS))
    ax = axes[0]
    ax.bar(x - 0.2, [100 * mean[i][0] for i in INITS], 0.4, color="tab:gray", label="at initialisation")
    ax.bar(x + 0.2, [100 * mean[i][1] for i in INITS], 0.4, color="tab:red", label="after training")
    ax.set(xticks=x, xticklabels=INITS, ylabel="dead relu units (%): never active on the training set",
           title=f"Dead units, [2, 32, 32, 1] on moons, mean of {len(seeds)} seeds", ylim=(0, 105))
    ax.legend()
    ax = axes[1]
    for i, init in enumerate(INITS):
        accs = [stats[init, s][3] for s in seeds]
        ax.bar(i, np.mean(accs), color="tab:blue", alpha=0.8)
        ax.plot(np.full(len(accs), i), accs, "k.", ms=6)
    ax.axhline(0.5, color="gray", lw=0.8, ls=":")
    ax.set(xticks=x, xticklabels=INITS, ylim=(0.4, 1.0), ylabel="held-out accuracy",
           title=f"How well each init trains ({epochs} epochs, lr 0.5); dots: seeds")
    ax = axes[2]
    for init, marker, color in [("xavier", "o", "tab:green"), ("zeros", "*", "tab:red")]:
        W1 = sym[init][0]["W1"]
        ax.scatter(W1[0], W1[1], marker=marker, s=60 if marker == "o" else 250, color=color, edgecolors="k",
                   label=f"{init} init: {sym[init][1]} distinct of 16 units")
    ax.set(xlabel="weight from $x_1$", ylabel="weight from $x_2$",
           title="Symmetry: each hidden unit's weights after training\n"
                 "(sigmoid [2, 16, 1], moons with 2:1 classes)")
    ax.legend()
    fig.suptitle("Initialisation: too small, zero or biased off, units die or stay identical")
    save(fig, figdir, "dead_neurons.png")
    he, neg = mean["he"][1], mean["he, bias -1"][1]
    return {"init": table, "symmetry": sym_table}, f"dead after training: He {pct(he)}, bias -1 {pct(neg)}"


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

# name -> (function, the figures it writes); the longest first, so that two processes finish together
EXPERIMENTS = {
    "depth comparison": (experiment_depth, ["depth_comparison.png"]),
    "initialisation": (experiment_init, ["dead_neurons.png"]),
    "non-linear task": (experiment_nonlinear, ["loss_curve.png", "decision_boundary.png"]),
    "gradient check": (experiment_gradient_check, ["gradient_check.png"]),
    "vanishing gradients": (experiment_vanishing, ["vanishing_gradients.png"]),
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
    figdir.mkdir(parents=True, exist_ok=True)
    if not (out / "experiments_log.md").exists():
        shutil.copyfile(HERE / "experiments_log.md", out / "experiments_log.md")
    start, tables = time.perf_counter(), {}
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

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
    dz2, dW2, da1, ...                                  always dL/dz2, dL/dW2, dL/da1, ... (same shape as z2, W2, a1)

A deeper network repeats the hidden layer: W_l, b_l, z_l, a_l for l = 1 .. L, and the output is layer L.
The keys of the parameter dict are "W1", "b1", ..., "WL", "bL".
"""

import argparse
import sys

import numpy as np

__all__ = [
    "sigmoid", "relu", "tanh", "softplus",
    "init_params", "forward", "bce_loss", "backward", "loss_and_grads",
    "compute_loss", "relative_error", "gradient_check", "gd_step", "train", "predict_proba", "predict", "accuracy",
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
    # e^-|z| underflows to 0 for |z| > 745, and then 0 or 1 is the correctly rounded answer.
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_grad(z, a):
    return a * (1 - a)  # sigma'(z) = sigma(z) (1 - sigma(z)) = a (1 - a): evaluated at z, via a = sigma(z)


def relu(z):
    return np.maximum(z, 0)  # relu(z) = max(z, 0)


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
    "normal": lambda n_in, n_out: 1.0,  # too large: saturates sigmoid/tanh, explodes deep ReLU nets
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
    """y_hat = sigmoid(z_L), z_l = a_{l-1} W_l + b_l, a_l = f(z_l), a_0 = X. Returns (y_hat, cache).

    cache holds every "z1".."zL" and "a0".."aL" (a0 is X, aL is y_hat): backward needs them all.
    """
    X = check_X(X)
    L = check_params(params, X.shape[1])
    f, _ = ACTIVATIONS[check_choice("activation", activation, ACTIVATIONS)]
    cache = {"a0": X}  # (n, d)
    for l in range(1, L + 1):
        z = cache[f"a{l - 1}"] @ params[f"W{l}"] + params[f"b{l}"]  # (n, n_l); b broadcasts over rows
        cache[f"z{l}"] = z
        cache[f"a{l}"] = sigmoid(z) if l == L else f(z)  # the output unit is always a sigmoid
    return cache[f"a{L}"], cache  # y_hat (n, 1)
# --8<-- [end:forward]


# ----------------------------------------------------------------------------------------------------
# Loss: mean binary cross-entropy, computed from the output logit z_L rather than from y_hat
# ----------------------------------------------------------------------------------------------------

# --8<-- [start:bce_loss]
def bce_loss(zL, y):
    """L = -(1/n) sum_i [y_i log(y_hat_i) + (1 - y_i) log(1 - y_hat_i)] with y_hat = sigmoid(zL).

    Written with log(sigma(z)) = -softplus(-z) and log(1 - sigma(z)) = -softplus(z), which hold exactly.
    Why not log(y_hat) directly: sigma(z) rounds to exactly 1.0 for z > 37, so log(1 - y_hat) is log(0)
    = -inf; clipping y_hat to [1e-15, 1 - 1e-15] hides that but caps every such loss at about 34.5 and
    zeroes its gradient. From the logit, the loss stays finite and exact: about |z| for a confident mistake.
    """
    return np.mean(y * softplus(-zL) + (1 - y) * softplus(zL))  # scalar; about ln 2 = 0.693 when zL ~ 0
# --8<-- [end:bce_loss]


# ----------------------------------------------------------------------------------------------------
# Backward pass: the seven steps of the derivation, (1) .. (7), for every layer from the output down
# ----------------------------------------------------------------------------------------------------

# --8<-- [start:backward]
def backward(params, cache, y, activation="relu"):
    """Gradients of the mean BCE with respect to every parameter, from forward's cache.

    Returns {"W1": dW1, "b1": db1, ...}, each the same shape as its parameter. The loop runs
    l = L, ..., 1; for the two-layer network that is l = 2, then l = 1, and the comments name the
    quantities of that case. Steps (6) and (7) are steps (2) and (3) again, at a0 = X.
    """
    _, f_grad = ACTIVATIONS[activation]
    L = len(params) // 2
    y_hat = cache[f"a{L}"]
    n = y_hat.shape[0]
    grads = {}
    dz = y_hat - y  # (1) dz2 = y_hat - y: dL/dy_hat * sigma'(z2), simplified    (n, 1)
    for l in range(L, 0, -1):
        a_prev = cache[f"a{l - 1}"]  # a1, then a0 = X                    (n, n_{l-1})
        grads[f"W{l}"] = a_prev.T @ dz / n  # (2) dW2 = a1^T dz2 / n, and (6) dW1 = X^T dz1 / n    (n_{l-1}, n_l)
        grads[f"b{l}"] = dz.sum(axis=0, keepdims=True) / n  # (3) db2 = sum dz2 / n, and (7) db1   (1, n_l)
        if l > 1:  # below layer 1 is the input X, which has no parameters to learn
            da = dz @ params[f"W{l}"].T  # (4) da1 = dz2 W2^T                          (n, n_{l-1})
            dz = da * f_grad(cache[f"z{l - 1}"], a_prev)  # (5) dz1 = da1 * f'(z1), elementwise   (n, n_{l-1})
    return grads
# --8<-- [end:backward]


# --8<-- [start:loss_and_grads]
def loss_and_grads(params, X, y, activation="relu"):
    """(L, grads): one forward pass, the loss from its logit, one backward pass."""
    X, y = check_Xy(X, y)
    _, cache = forward(params, X, activation)
    L = len(params) // 2
    return bce_loss(cache[f"z{L}"], y), backward(params, cache, y, activation)


def compute_loss(params, X, y, activation="relu"):
    """L alone: the forward pass and the loss, for monitoring (no gradients)."""
    X, y = check_Xy(X, y)
    _, cache = forward(params, X, activation)
    return bce_loss(cache[f"z{len(params) // 2}"], y)
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
    this centred difference is O(eps^2), against O(eps) for a one-sided one. Verdicts (cs231n), for
    float64: rel <= 1e-7 correct; up to 1e-4 suspicious unless a relu kink lies within eps; > 1e-2 wrong.
    analytic: gradients to check instead of backward's (the bug zoo passes its own).
    Returns {"W1": {"analytic": (d, h), "numeric": (d, h), "rel_error": float}, ...}.
    """
    X, y = check_Xy(X, y)
    if analytic is None:
        _, analytic = loss_and_grads(params, X, y, activation)
    theta = {k: v.copy() for k, v in params.items()}  # perturbed in place, one entry at a time

    def loss_at(key, i, value):
        theta[key].flat[i] = value
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
    """One step of gradient descent on the batch (X, y), in place: theta <- theta - lr dL/dtheta. Returns L."""
    loss, grads = loss_and_grads(params, X, y, activation)
    for key in params:
        params[key] -= lr * grads[key]
    return loss


def train(X, y, sizes, activation="relu", lr=4.0, epochs=1000, batch_size=None, seed=0, init=None,
          params=None, X_val=None, y_val=None):
    """Train a network of the given layer sizes; returns (params, history).

    Full-batch gradient descent by default (one step per epoch); with batch_size, mini-batch SGD on a
    fresh shuffle each epoch (seeded). The defaults fit [2, 16, 1] with any activation: XOR to 100 %, two
    moons (noise 0.2) to about 96.5 % held-out accuracy, 0.2 s; a step of 4.0 is large, but full-batch
    descent on this small network takes it, and sigmoid units need it to leave their early plateau. params: start from these (copied) instead of init_params(sizes,
    activation, seed, init). history["loss"][e] is the training loss after epoch e + 1; with X_val, y_val
    also history["val_loss"] and history["val_acc"]. y may be (n,) or (n, 1).
    Raises FloatingPointError, naming the epoch, if the loss or an update overflows (lr too large).
    """
    X, y = check_Xy(X, y)
    check_positive("lr", lr)
    check_count("epochs", epochs)
    n = X.shape[0]
    batch_size = n if batch_size is None else min(check_count("batch_size", batch_size), n)
    if params is None:
        params = init_params(sizes, activation, seed, init)
    else:
        params = {key: np.array(v, dtype=np.float64) for key, v in params.items()}  # a copy, never the caller's
    check_sizes(sizes, X.shape[1], params)
    history = {"loss": []}
    if X_val is not None:
        X_val, y_val = check_Xy(X_val, y_val, "X_val", "y_val")
        history.update(val_loss=[], val_acc=[])
    rng = np.random.default_rng(seed)
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n) if batch_size < n else np.arange(n)  # a fresh shuffle for mini-batches
        try:
            with np.errstate(over="raise", invalid="raise"):  # a diverging run stops here, not with NaNs
                for start in range(0, n, batch_size):
                    batch = order[start:start + batch_size]  # row indices        (batch_size,)
                    gd_step(params, X[batch], y[batch], activation, lr)
        except FloatingPointError as err:
            raise FloatingPointError(f"training diverged in epoch {epoch} ({err}) with lr={lr}: "
                                     "try a smaller learning rate") from None
        record(history, params, X, y, activation, X_val, y_val)
    return params, history


def record(history, params, X, y, activation, X_val, y_val):
    """Append the loss on (X, y), and on (X_val, y_val) with its accuracy if given, to history."""
    history["loss"].append(compute_loss(params, X, y, activation))
    if X_val is not None:
        history["val_loss"].append(compute_loss(params, X_val, y_val, activation))
        history["val_acc"].append(accuracy(params, X_val, y_val, activation))
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
        raise ValueError(f"{name} must be numeric, got dtype {X.dtype}")
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D, (n_examples, n_features), got shape {X.shape}")
    if X.size == 0:
        raise ValueError(f"{name} is empty (shape {X.shape}): need at least one example and one feature")
    if not np.isfinite(X).all():
        raise ValueError(f"{name} contains NaN or inf; every entry must be a finite number")
    return X if X.dtype.kind == "f" else X.astype(np.float64)  # float32 stays float32 (see gradient_check)


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
        raise ValueError(f"{x_name} has {X.shape[0]} rows but {y_name} has {y.shape[0]}: one label per example")
    if not np.isfinite(y).all():
        raise ValueError(f"{y_name} contains NaN or inf; labels must be 0 or 1")
    if not ((y == 0) | (y == 1)).all():
        raise ValueError(f"{y_name} must contain only the labels 0 and 1, got {np.unique(y)[:5]}")
    return X, y.astype(X.dtype)


def check_sizes(sizes, n_features=None, params=None):
    """sizes: at least two positive integer widths, the last 1; sizes[0] = n_features; params' shapes."""
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
        raise ValueError(f"sizes must list at least two layer widths, input to output, e.g. [2, 16, 1]; got {sizes!r}")
    if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s > 0 for s in sizes):
        raise ValueError(f"every width in sizes must be a positive integer, got {list(sizes)}")
    if sizes[-1] != 1:
        raise ValueError(f"the output width sizes[-1] must be 1 (one sigmoid unit), got {sizes[-1]}")
    if n_features is not None and sizes[0] != n_features:
        raise ValueError(f"sizes[0] = {sizes[0]} must equal the number of features (columns of X), {n_features}")
    if params is not None and layer_sizes(params, n_features) != list(sizes):
        raise ValueError(f"params have layer widths {layer_sizes(params, n_features)}, but sizes is {list(sizes)}")


def layer_sizes(params, n_features):
    """The widths [d, n_1, ..., n_L] of a parameter dict, after checking its keys and shapes."""
    if not isinstance(params, dict) or len(params) < 2:
        raise ValueError("params must be a dict {'W1': ..., 'b1': ..., ..., 'WL': ..., 'bL': ...}")
    L = len(params) // 2
    expected = [f"{p}{l}" for l in range(1, L + 1) for p in "Wb"]
    missing = [k for k in expected if k not in params]
    if missing or len(params) != 2 * L:
        raise ValueError(f"params must have keys {expected}, a W and a b per layer; missing {missing}, "
                         f"got {sorted(params)}")
    sizes = [n_features]
    for l in range(1, L + 1):
        W, b = np.shape(params[f"W{l}"]), np.shape(params[f"b{l}"])
        if len(W) != 2 or W[0] != sizes[-1]:
            raise ValueError(f"params['W{l}'] must have shape ({sizes[-1]}, n_{l}), got {W}"
                             + (" (the number of columns of X)" if l == 1 else ""))
        if b != (1, W[1]):
            raise ValueError(f"params['b{l}'] must have shape (1, {W[1]}), matching W{l}, got {b}")
        sizes.append(W[1])
    if sizes[-1] != 1:
        raise ValueError(f"the output layer W{L} must have 1 column (one sigmoid unit), got {sizes[-1]}")
    return sizes


def check_params(params, n_features):
    """The number of layers L, after checking params' keys and shapes against n_features inputs."""
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
    "sigma'(a) for sigma'(z)": ("sigmoid", "sigmoid(a) * (1 - sigmoid(a)): the derivative taken at a, not at z"),
    "missing 1/n": ("sigmoid", "db = sum(dz): the bias gradient of the summed loss, the rest of the mean"),
    "swapped transpose": ("sigmoid", "dW = dz^T a_prev, which is dW^T: NumPy lets it through for square W"),
    "dropped bias gradient": ("sigmoid", "db = 0: the bias is forgotten in the backward pass"),
    "relu mask from da": ("relu", "dz = da * (da > 0): the ReLU mask taken from the gradient, not from z"),
    "sum vs mean": ("sigmoid", "no 1/n anywhere: the gradient of the summed loss, while L is the mean"),
}


def buggy_backward(params, cache, y, activation, bug):
    """backward, with the planted mistake `bug` (a key of BUGS) in the lines it concerns."""
    _, f_grad = ACTIVATIONS[activation]
    L = len(params) // 2
    n = len(y)
    scale = 1 if bug == "sum vs mean" else n
    grads = {}
    dz = cache[f"a{L}"] - y  # (1)
    for l in range(L, 0, -1):
        a_prev = cache[f"a{l - 1}"]
        square = a_prev.shape[1] == dz.shape[1]
        grads[f"W{l}"] = (dz.T @ a_prev if bug == "swapped transpose" and square else a_prev.T @ dz) / scale  # (2)
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
    rng = np.random.default_rng(seed)
    params = init_params(list(sizes), activation, seed)
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

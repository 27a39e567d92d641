"""Tests of mlp.py, the lesson: activations, parameters, forward, loss, backward, gradient check, training.

Read these tests as a second explanation of the code. Every test says, in its docstring or a comment,
which mistake it would catch. Expected values never come from the function under test: they come from
formulas written out again here (docs/problem.md's gradient table, a forward pass in plain NumPy), from values
known by hand (sigmoid(0) = 1/2, softplus(0) = ln 2, a loss of ln K at a small init), or from invariants
(sigmoid(-z) = 1 - sigmoid(z), softmax rows that sum to 1).

Tolerances are chosen from the arithmetic, not from the results: float64 carries about 16 significant
digits (machine epsilon u = 2.2e-16), so two ways of computing the same formula agree to ~1e-15 relative;
a centred finite difference with step eps = 1e-5 agrees with the true derivative to ~1e-7 relative
(cs231n's threshold for "correct"); a planted mistake gives an error of order 1.

Bad input (the door, checks.py) is tested in test_checks.py; the lab, the datasets and the command line
in test_lab.py. Run: python -m pytest -q test_mlp.py (a few seconds).
"""

import ast
import builtins
import contextlib
import functools
import math
import pickle
import symtable
import warnings
from pathlib import Path

import numpy as np
import pytest

import datasets
import mlp
from diagnosis import first_wrong, report_lines
from zoo import gradcheck_problem, planted_mistakes

ACTS = ["sigmoid", "tanh", "relu"]
LN2 = math.log(2)
U = np.finfo(float).eps  # 2.2e-16, the spacing of float64 just above 1


# ----------------------------------------------------------------------------------------------------
# Reference implementations, written independently of mlp.py in the most naive way that is still
# accurate for the inputs they are used on.
# ----------------------------------------------------------------------------------------------------

def ref_sigmoid(z):
    # The textbook form. Clipping z to +-700 keeps e^-z finite and changes the result by less than
    # e^-700 = 1e-304, far below anything these tests resolve.
    return 1 / (1 + np.exp(-np.clip(z, -700, 700)))


def ref_softmax(z):
    # e^z / sum e^z with every row shifted by its max first, which is exact algebra (the e^-max
    # cancels) and keeps e^(z - max) <= 1. An entry far below the max underflows to 0: the right answer.
    with np.errstate(under="ignore"):
        e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


REF_ACTIVATIONS = {  # name -> (f, f'), each derivative written from z alone, not from a = f(z) as mlp.py does
    "sigmoid": (ref_sigmoid, lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
    "tanh": (np.tanh, lambda z: 1 / np.cosh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),  # slope 0 at the kink (a choice)
}


def targets(labels, K):
    """What the loss compares y_hat with: the 0/1 column for one sigmoid unit (K = 1), one-hot rows
    (n, K) for a softmax. Written here from the labels, not taken from checks.py."""
    labels = np.asarray(labels).reshape(-1)
    return labels.astype(float).reshape(-1, 1) if K == 1 else np.eye(K)[labels.astype(int)]


def ref_forward(params, X, activation):
    """(zs, activations) with zs[l] = z_l for l = 1..D and activations[l] = a_l for l = 0..D (D layers); the
    output is sigmoid(z_D) for one output unit, softmax(z_D) for K >= 2."""
    f, _ = REF_ACTIVATIONS[activation]
    D = len(params) // 2
    zs, acts = [None], [X]
    for l in range(1, D + 1):
        zs.append(acts[-1] @ params[f"W{l}"] + params[f"b{l}"])
        out = ref_sigmoid if zs[-1].shape[1] == 1 else ref_softmax
        acts.append(out(zs[-1]) if l == D else f(zs[-1]))
    return zs, acts


STEPS = ["dz2", "dW2", "db2", "da1", "dz1", "dW1", "db1"]  # the derivation's steps (1) .. (7), in order


def ref_backward_two_layer(params, X, y, activation, fault=None):
    """docs/problem.md's summary table for z1 = X W1 + b1, a1 = f(z1), z2 = a1 W2 + b2, y_hat = output(z2),
    with Y the targets (0/1 column or one-hot rows), and the per-example intermediates:

        dz2 = y_hat - Y            dW2 = a1^T dz2 / n      db2 = mean(dz2)
        da1 = dz2 W2^T             dz1 = da1 ⊙ f'(z1)      dW1 = X^T dz1 / n     db1 = mean(dz1)

    fault: the name of one step whose result is multiplied by 1.5, and used so by the steps after it: a
    planted mistake at a known step, to see where the intermediate check says the error starts.
    """
    _, f_prime = REF_ACTIVATIONS[activation]
    (_, z1, _), (_, a1, y_hat) = ref_forward(params, X, activation)
    n, Y, g = X.shape[0], targets(y, y_hat.shape[1]), {}

    def step(name, value):
        g[name] = 1.5 * value if name == fault else value
        return g[name]

    dz2 = step("dz2", y_hat - Y)
    step("dW2", a1.T @ dz2 / n)
    step("db2", np.mean(dz2, axis=0, keepdims=True))
    da1 = step("da1", dz2 @ params["W2"].T)
    dz1 = step("dz1", da1 * f_prime(z1))
    step("dW1", X.T @ dz1 / n)
    step("db1", np.mean(dz1, axis=0, keepdims=True))
    return g


def gradient_names(n_layers):
    """backward's keys for a D-layer network, in step order: dz_D, dW_D, db_D, da_{D-1}, dz_{D-1}, ..."""
    names = []
    for l in range(n_layers, 0, -1):
        names += ([f"dz{l}"] if l == n_layers else []) + [f"dW{l}", f"db{l}"]
        names += [f"da{l - 1}", f"dz{l - 1}"] if l > 1 else []
    return names


# ----------------------------------------------------------------------------------------------------
# Activations, softplus, softmax and logsumexp: known values, identities, and extreme inputs
# ----------------------------------------------------------------------------------------------------

EXTREMES = np.array([-1e308, -1e6, -1e3, -745.0, -40.0, -1.0, 0.0, 1.0, 40.0, 745.0, 1e3, 1e6, 1e308])


def test_sigmoid_and_softplus_known_values():
    """sigma(0) = 1/2 and softplus(0) = ln 2 exactly (to the last bit or two): catches a wrong sign or
    a missing 1 in 1 / (1 + e^-z) or log(1 + e^z)."""
    assert mlp.sigmoid(np.array(0.0)) == 0.5
    assert mlp.softplus(np.array(0.0)) == pytest.approx(LN2, rel=1e-15)
    assert mlp.softplus(np.array(1.0)) == pytest.approx(math.log(1 + math.e), rel=1e-15)


def test_sigmoid_and_softplus_survive_extreme_inputs():
    """+-1e3, +-1e6, +-1e308: e^1000 overflows float64, so a naive 1 / (1 + np.exp(-z)) or
    np.log(1 + np.exp(z)) would warn and return inf or nan; with np.errstate(all="raise") any overflow,
    invalid operation or unhandled underflow becomes an error here."""
    with np.errstate(all="raise"):
        s, sp = mlp.sigmoid(EXTREMES), mlp.softplus(EXTREMES)
    assert np.isfinite(s).all() and np.isfinite(sp).all()
    assert ((0 <= s) & (s <= 1)).all()  # a probability
    assert (sp >= np.maximum(EXTREMES, 0)).all()  # log(1 + e^z) > log(e^z) = z and > log(1) = 0
    # Beyond |z| = 745, e^-|z| is below the smallest float64, so 0, 1 and max(z, 0) are correctly rounded.
    big = np.abs(EXTREMES) >= 1e3
    assert np.array_equal(s[big], (EXTREMES[big] > 0).astype(float))
    assert np.array_equal(sp[big], np.maximum(EXTREMES[big], 0))


def test_sigmoid_is_symmetric_and_absolutely_accurate():
    """sigma(-z) = 1 - sigma(z), and sigma(z) is within 2 u = 4.4e-16 of the true value for every z.

    The precision is ABSOLUTE, by design (mlp.sigmoid's comment): sigma is computed as
    0.5 * (1 + tanh(z / 2)), which cannot overflow, and 1 + tanh(z / 2) rounds to a multiple of about
    1e-16. So where sigma(z) < 1e-16 (z < -37) it may return 0 instead of, say, 4e-18 at z = -40; a test
    of relative accuracy there would test a promise the code does not make. What it does promise is
    checked instead: 2 u absolute everywhere (which is still relative 4 u = 8.9e-16 where sigma >= 1/2),
    and the loss, which is what needs the tail, never uses it: it is computed from the logit through
    softplus, and keeps full relative precision at z = +-40 (below, and test_softplus_identity_and_tails).

    Catches a sigmoid computed in float32 (errors ~1e-8), tanh(z) for tanh(z / 2), a wrong sign, and a
    formula whose two halves do not meet (sigma(-z) + sigma(z) != 1).
    """
    z = np.concatenate([np.linspace(-60, 60, 12001), [-40.0, -30.0, -5.0, -1e-3, 1e-3, 5.0, 30.0, 40.0]])
    with np.errstate(all="raise"):
        s, s_neg = mlp.sigmoid(z), mlp.sigmoid(-z)
    exact = np.array([1 / (1 + math.exp(-v)) for v in z])  # math.exp: correctly rounded to ~1 ulp
    np.testing.assert_allclose(s, exact, rtol=0, atol=2 * U)
    np.testing.assert_allclose(s[z >= 0], exact[z >= 0], rtol=1e-15)
    np.testing.assert_allclose(s + s_neg, 1.0, rtol=0, atol=2 * U)
    # Where sigma's tail would matter, the loss: -log sigma(-40) = softplus(40) = 40 + log1p(e^-40).
    tail = mlp.cross_entropy(np.array([[-40.0], [40.0]]), np.array([1, 0]))
    assert tail == pytest.approx(40 + math.log1p(math.exp(-40)), rel=1e-15)


def test_softplus_identity_and_tails():
    """softplus(z) - softplus(-z) = z, and softplus(-40) = log(1 + e^-40) ~ e^-40 to full precision.

    A naive np.log(1 + np.exp(-40)) returns log(1.0) = 0: the e^-40 is lost when added to 1 (log1p keeps it).
    """
    z = np.array([-40.0, -5.0, -1.0, 0.5, 3.0, 40.0])
    with np.errstate(all="raise"):
        np.testing.assert_allclose(mlp.softplus(z) - mlp.softplus(-z), z, rtol=1e-14)
        tail = mlp.softplus(np.array([-40.0, -100.0]))
    np.testing.assert_allclose(tail, [math.exp(-40.0), math.exp(-100.0)], rtol=1e-15)  # log1p(x) = x - x^2/2


@pytest.mark.parametrize("K", [2, 3, 10])
def test_softmax_and_logsumexp_equal_their_definitions(K):
    """For moderate logits, softmax(z) = e^z / sum_k e^z_k and logsumexp(z) = log sum_k e^z_k, both
    computed here without any shift. The shift by the row's max (e^(z - m)) changes the rounding only:
    z - m is rounded to ~1e-15 (|z| < 8), which e^ turns into a relative error ~1e-15; 1e-14 leaves
    room and still catches a sum over the wrong axis, a missing shift back (+ m) in logsumexp, or a
    softmax normalised by the max instead of the sum, each an error of order 1."""
    z = np.random.default_rng(K).normal(0, 2, (50, K))
    e = np.exp(z)
    with np.errstate(all="raise"):
        np.testing.assert_allclose(mlp.softmax(z), e / e.sum(axis=1, keepdims=True), rtol=1e-14)
        np.testing.assert_allclose(mlp.logsumexp(z), np.log(e.sum(axis=1, keepdims=True)), rtol=1e-14)
        assert mlp.logsumexp(np.zeros((1, K)))[0, 0] == pytest.approx(math.log(K), rel=1e-15)
        assert mlp.softmax(np.zeros((1, K))).tolist() == [[1 / K] * K]  # e^0 / K, correctly rounded


def test_softmax_rows_sum_to_one_and_survive_extreme_logits():
    """Every row of softmax is a probability distribution (entries in [0, 1], summing to 1 within a few
    u) for any finite logits: +-1e3, +-1e6 and +-1e308, where e^z overflows and z - max(z) can itself
    overflow to -inf. Under np.errstate(all="raise"), any overflow, nan or unhandled underflow is an
    error. logsumexp of such rows is finite and equals the max to the last bit (the other terms are
    below e^-1000 relative), and logsumexp of two equal huge logits is the logit + ln 2 = the logit."""
    rows = np.array([[1e3, -1e3, 0.0], [1e6, 1e6 - 1, -1e6], [-1e308, 1e308, 0.0], [1e308, 1e308, -1e308],
                     [-1e6, -1e6, -1e6], [-745.0, 0.0, 745.0]])
    with np.errstate(all="raise"):
        p, lse = mlp.softmax(rows), mlp.logsumexp(rows)
        random = mlp.softmax(np.random.default_rng(0).normal(0, 30, (200, 10)))
    for probs in (p, random):
        assert ((0 <= probs) & (probs <= 1)).all()
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=0, atol=probs.shape[1] * U)
    assert p[0].tolist() == [1.0, 0.0, 0.0] and p[4].tolist() == [1 / 3] * 3
    np.testing.assert_allclose(p[1], [1 / (1 + math.exp(-1)), 1 / (1 + math.e), 0.0], rtol=1e-15)
    assert lse[[0, 2, 3, 5], 0].tolist() == [1e3, 1e308, 1e308, 745.0]


def test_two_class_softmax_of_logits_is_the_sigmoid_of_their_difference():
    """e^z1 / (e^z0 + e^z1) = 1 / (1 + e^-(z1 - z0)) = sigma(z1 - z0): a 2-class softmax is one sigmoid
    unit on the logit difference (the network-level version is in the training section). Both sides are
    within a few u absolute (sigma's precision is absolute), so 4 u; a softmax over the wrong axis, or
    a sigmoid of z1 + z0, is off by order 1."""
    z = np.random.default_rng(3).normal(0, 5, (100, 2))
    np.testing.assert_allclose(mlp.softmax(z)[:, 1], mlp.sigmoid(z[:, 1] - z[:, 0]), rtol=0, atol=4 * U)


# ----------------------------------------------------------------------------------------------------
# Parameters: shapes, dtype, the initialisation scales, seeds, the symmetry problem
# ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sizes", [[2, 1], [2, 16, 1], [3, 5, 4, 1], [2, 4, 3, 5, 1], [64, 10], [2, 5, 3]],
                         ids=str)
def test_init_params_shapes_and_dtype(sizes):
    """W_l is (sizes[l-1], sizes[l]) and b_l is (1, sizes[l]), float64, biases zero: catches a transposed
    W (which X @ W would reject only when the widths differ) and float32 creeping in."""
    params = mlp.init_params(sizes, "relu", seed=0)
    D = len(sizes) - 1
    assert list(params) == [f"{p}{l}" for l in range(1, D + 1) for p in "Wb"]
    for l in range(1, D + 1):
        W, b = params[f"W{l}"], params[f"b{l}"]
        assert W.shape == (sizes[l - 1], sizes[l]) and b.shape == (1, sizes[l])
        assert W.dtype == np.float64 and b.dtype == np.float64
        assert not b.any()


INIT_STDS = {  # init -> expected std of W for fan-in n_in and fan-out n_out, from the papers
    "he": lambda n_in, n_out: math.sqrt(2 / n_in),  # He et al. 2015: Var(W) = 2 / fan_in
    "xavier": lambda n_in, n_out: math.sqrt(2 / (n_in + n_out)),  # Glorot & Bengio 2010
    "normal": lambda n_in, n_out: 1.0,
    "small": lambda n_in, n_out: 0.01,
}


@pytest.mark.parametrize("init", list(INIT_STDS))
def test_init_std_on_a_large_layer(init):
    """The sample std of a 1000 x 500 and a 500 x 300 weight matrix matches the formula for each.

    With N = 500,000 (150,000) independent normal draws, the sample std has relative standard error 1/sqrt(2N)
    = 0.1 % and the mean has standard error std/sqrt(N); 5 standard errors (0.5 %) can only fail by
    chance with probability < 1e-6, yet He (0.0447) and Xavier (0.0365) here differ by 20 %, so
    swapping fan_in for fan_in + fan_out, or a variance for a std, is caught.
    """
    n_in, n_out = 1000, 500
    params = mlp.init_params([n_in, n_out, 300, 1], "relu", seed=0, init=init)
    for W, (fan_in, fan_out) in [(params["W1"], (n_in, n_out)), (params["W2"], (n_out, 300))]:
        expected, N = INIT_STDS[init](fan_in, fan_out), W.size  # each layer its own fan-in and fan-out
        assert abs(W.std() / expected - 1) < 5 / math.sqrt(2 * N)
        assert abs(W.mean()) < 5 * expected / math.sqrt(N)


DEFAULT_INITS = [("relu", "he"), ("sigmoid", "xavier"), ("tanh", "xavier")]


@pytest.mark.parametrize(("activation", "default"), DEFAULT_INITS, ids=[a for a, _ in DEFAULT_INITS])
def test_init_default_depends_on_activation(activation, default):
    """init=None picks He for relu and Xavier otherwise (catches the defaults being swapped)."""
    implicit = mlp.init_params([3, 7, 1], activation, seed=5)
    explicit = mlp.init_params([3, 7, 1], activation, seed=5, init=default)
    assert all(np.array_equal(implicit[k], explicit[k]) for k in explicit)


def test_init_seed_reproducible_and_zeros_init_is_zero():
    """Same seed: bit-identical (catches use of the global np.random state); another seed: different;
    init="zeros": every weight exactly 0."""
    a, b, c = (mlp.init_params([2, 8, 4, 1], "tanh", seed=s) for s in (7, 7, 8))
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["W1"], c["W1"])
    zeros = mlp.init_params([2, 8, 4, 1], "sigmoid", seed=7, init="zeros")
    assert not any(v.any() for v in zeros.values())


def test_zeros_init_sigmoid_units_stay_identical_the_symmetry_problem():
    """With all weights 0, every hidden unit computes the same thing and receives the same gradient, so
    gradient descent moves them in lockstep: 8 units are as good as 1. Random init breaks the tie.

    The data must be imbalanced: with zero weights and balanced classes, dL/dW2 = a1^T (y_hat - y) / n
    = 0.5 * mean(0.5 - y) = 0 exactly, nothing moves at all, and "identical" would be trivially true.
    Identical "up to 1e-12 relative", not bitwise: BLAS may sum different columns in different orders.
    """
    X, y = datasets.make_moons(300, 0.2, seed=0)
    keep = (y[:, 0] == 1) | (np.arange(300) % 4 == 0)  # 150 of class 1, 75 of class 0
    X, y = X[keep], y[keep]

    def spread(params):  # how far the hidden units are from identical, relative to the weights' size
        W1, b1, W2 = params["W1"], params["b1"], params["W2"]
        return max(np.ptp(W1, axis=1).max(), np.ptp(b1), np.ptp(W2)) / np.abs(W1).max()

    zeros, _ = mlp.train(X, y, [2, 8, 1], "sigmoid", epochs=200, init="zeros")
    xavier, _ = mlp.train(X, y, [2, 8, 1], "sigmoid", epochs=200, init="xavier")
    assert np.abs(zeros["W1"]).max() > 0.1  # precondition: the hidden weights did move away from 0
    assert spread(zeros) <= 1e-12  # ... but all 8 units moved together
    assert spread(xavier) > 0.1  # while random units stay different (the measure can fail)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_zeros_init_tanh_and_relu_never_move(activation):
    """Worse than symmetric: with zero weights every hidden activation is tanh(0) = relu(0) = 0, so every
    dW = a^T dz / n is 0, and da = dz W^T is 0 as well: the hidden layer never changes, whatever the
    derivative at 0; only the output bias learns (the class balance)."""
    X, y = datasets.make_moons(100, 0.2, seed=0)
    y = y[:, 0] * (np.arange(100) % 3 == 0)  # keep a third of the 1s: imbalanced, so the output bias moves
    params, _ = mlp.train(X, y, [2, 8, 1], activation, epochs=20, init="zeros")
    assert not params["W1"].any() and not params["b1"].any() and not params["W2"].any()
    assert params["b2"][0, 0] < 0  # it did learn something: the (now rarer) class 1 is less likely


def test_relu_derivative_at_its_kink_is_zero():
    """relu has no derivative at 0; mlp.py picks 0 (a unit exactly at its kink counts as off), as its
    comment and the dead-unit count say. A mask built with z >= 0 would pick 1."""
    assert not mlp.relu_grad(np.zeros((1, 3)), np.zeros((1, 3))).any()
    assert mlp.relu_grad(np.array([[1e-300, -1e-300]]), None).tolist() == [[True, False]]


# ----------------------------------------------------------------------------------------------------
# Forward pass and its cache; the loss
# ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("sizes", [[2, 1], [2, 5, 1], [2, 4, 3, 5, 1], [2, 3], [2, 5, 4, 3]], ids=str)
def test_forward_cache_against_reference(sizes, activation):
    """cache has a0 = X and every z_l, a_l with shape (n, sizes[l]); values equal a plain NumPy forward
    pass. Catches a missing bias, the output layer using the hidden activation instead of sigmoid (or
    softmax for K >= 2 outputs), an off-by-one in the layer loop, and a cache entry overwritten by the
    next layer."""
    params, X, _ = gradcheck_problem(sizes, activation, n=6, seed=1)
    y_hat, cache = mlp.forward(params, X, activation)
    D, K = len(sizes) - 1, sizes[-1]
    assert set(cache) == {f"a{l}" for l in range(D + 1)} | {f"z{l}" for l in range(1, D + 1)}
    assert np.array_equal(cache["a0"], X)
    zs, acts = ref_forward(params, X, activation)
    for l in range(1, D + 1):
        assert cache[f"z{l}"].shape == cache[f"a{l}"].shape == (6, sizes[l])
        np.testing.assert_allclose(cache[f"z{l}"], zs[l], rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(cache[f"a{l}"], acts[l], rtol=1e-13, atol=1e-15)
    assert y_hat.shape == (6, K) and np.array_equal(y_hat, cache[f"a{D}"])
    if K > 1:
        np.testing.assert_allclose(y_hat.sum(axis=1), 1.0, rtol=0, atol=K * U)  # a distribution per row


@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("sizes", [[2, 16, 1], [2, 16, 16, 1], [2, 16, 3], [2, 16, 16, 10]], ids=str)
def test_initial_loss_is_ln_K_with_small_init(sizes, activation):
    """With weights ~ 0.01 the output logits are ~1e-3, so y_hat ~ 1/K for every class of every example
    and the loss is -log(1/K) = ln K: ln 2 = 0.693 for one sigmoid unit (two classes), ln 3, ln 10 for
    a softmax. A different starting loss means a wrong loss formula (log base, sign, sum instead of mean,
    a softmax over the wrong axis) or an init that is not small."""
    K = sizes[-1]
    X, _ = datasets.make_xor(200, 0.2)
    labels = np.arange(200) % max(K, 2)
    params = mlp.init_params(sizes, activation, seed=0, init="small")
    assert abs(mlp.compute_loss(params, X, labels, activation) - math.log(max(K, 2))) < 1e-3


@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("sizes", [[2, 1], [2, 5, 1], [2, 5, 4, 1], [2, 3], [2, 5, 10]], ids=str)
def test_loss_equals_the_textbook_cross_entropy(sizes, activation):
    """On moderate logits, L equals the textbook formula on the reference forward pass:
    -mean(y log y_hat + (1 - y) log(1 - y_hat)) for one sigmoid unit (the BCE of docs/problem.md:
    the same numbers as the binary network always had), -mean(sum_k Y_k log y_hat_k) for a softmax.
    The loss is computed from the logits, the textbook from y_hat: both are accurate to ~1e-15
    relative here. Catches a swapped y and 1 - y, a sum for the mean, a logsumexp taken over the
    examples, a missing log."""
    params, X, y = gradcheck_problem(sizes, activation, n=8, seed=4)
    _, acts = ref_forward(params, X, activation)
    y_hat, Y = acts[-1], targets(y, sizes[-1])
    if sizes[-1] == 1:
        textbook = -np.mean(Y * np.log(y_hat) + (1 - Y) * np.log(1 - y_hat))
    else:
        textbook = -np.mean(np.sum(Y * np.log(y_hat), axis=1))
    assert mlp.compute_loss(params, X, y, activation) == pytest.approx(textbook, rel=1e-13)
    assert mlp.loss_and_grads(params, X, y, activation)[0] == mlp.compute_loss(params, X, y, activation)


# ----------------------------------------------------------------------------------------------------
# The backward pass: against docs/problem.md; the seven lines against the loop; the fused output gradient
# ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("K", [1, 3])
def test_backward_equals_the_specs_gradient_table(K):
    """backward on [2, 5, K] sigmoid equals docs/problem.md's summary table, written out independently (in
    ref_backward_two_layer), parameter gradients and per-example intermediates dz2, da1, dz1 alike, and
    returns them in the derivation's step order. For K = 3 the table is the same with Y one-hot: that
    step (1) stays y_hat - Y is the point of the softmax with cross-entropy.

    Same formulas, different order of operations, so they agree to ~1e-15; 1e-12 leaves room and still
    catches every real mistake (a missing 1/n, a transpose, s'(a) for s'(z)), which change digits early.
    """
    params, X, y = gradcheck_problem([2, 5, K], "sigmoid", n=8, seed=0)
    _, cache = mlp.forward(params, X, "sigmoid")
    grads = mlp.backward(params, cache, y, "sigmoid")
    expected = ref_backward_two_layer(params, X, y, "sigmoid")
    assert list(grads) == STEPS
    for key in expected:
        assert grads[key].shape == expected[key].shape
        np.testing.assert_allclose(grads[key], expected[key], rtol=1e-12, atol=1e-15, err_msg=key)
    for key in params:  # a gradient has the shape of its parameter
        assert grads["d" + key].shape == params[key].shape


@pytest.mark.parametrize("K", [1, 3])
@pytest.mark.parametrize("activation", ACTS)
def test_backward_two_layer_equals_the_loop(activation, K):
    """The seven lines (backward_two_layer) and the loop for any depth (backward) are the same steps:
    on two-layer networks they return the same keys in the same (step) order, and the same bits, since
    they do the same operations in the same order. Catches the two drifting apart: a fix made in one and
    not the other, a different convention for dz (per example or not), a step the loop skips at l = 1."""
    params, X, y = gradcheck_problem([3, 5, K], activation, n=7, seed=2)  # 1/7 rounds: n = 8 would not
    _, cache = mlp.forward(params, X, activation)
    seven = mlp.backward_two_layer(params, cache, y, activation)
    loop = mlp.backward(params, cache, y, activation)
    assert list(seven) == list(loop) == STEPS
    for key in STEPS:
        assert np.array_equal(seven[key], loop[key]), key


def test_staged_output_gradient_equals_fused_y_hat_minus_y():
    """The chain rule at the output, in two stages, equals the fused form backward uses (step (1)).

    Stage 1, the mean BCE: dL/dy_hat_i = -(1/n) [y_i / y_hat_i - (1 - y_i) / (1 - y_hat_i)]
                                       = (y_hat_i - y_i) / (y_hat_i (1 - y_hat_i)) / n
    Stage 2, the sigmoid:  dy_hat_i/dz_i = sigma'(z_i) = y_hat_i (1 - y_hat_i)
    Product: dL/dz_i = (y_hat_i - y_i) / n. backward keeps dz = y_hat - y per example and applies the
    1/n in dW and db; mixing the two conventions (1/n twice or never) is the "sum vs mean" bug.
    """
    params, X, y = gradcheck_problem([2, 5, 1], "sigmoid", n=8, seed=0)
    n = X.shape[0]
    (_, _, z2), (_, _, y_hat) = ref_forward(params, X, "sigmoid")
    dL_dyhat = -(y / y_hat - (1 - y) / (1 - y_hat)) / n
    staged = dL_dyhat * REF_ACTIVATIONS["sigmoid"][1](z2)
    np.testing.assert_allclose(staged, (y_hat - y) / n, rtol=1e-12)
    _, cache = mlp.forward(params, X, "sigmoid")
    grads = mlp.backward(params, cache, y, "sigmoid")  # step (1), per example, and steps (2), (3):
    np.testing.assert_allclose(n * staged, grads["dz2"], rtol=1e-12)
    np.testing.assert_allclose(grads["dW2"], cache["a1"].T @ staged, rtol=1e-12)
    np.testing.assert_allclose(grads["db2"], staged.sum(axis=0, keepdims=True), rtol=1e-12)


def test_staged_softmax_gradient_equals_fused_y_hat_minus_Y():
    """The same for a softmax over K = 4 classes, where stage 2 is a Jacobian, not a number:

    Stage 1, the mean cross-entropy: dL/dy_hat_ik = -(1/n) Y_ik / y_hat_ik
    Stage 2, the softmax: dy_hat_ij/dz_ik = y_hat_ij (delta_jk - y_hat_ik)    (a K x K matrix per example)
    Product: dL/dz_ik = (1/n) sum_j -Y_ij / y_hat_ij * y_hat_ij (delta_jk - y_hat_ik) = (y_hat_ik - Y_ik) / n,
    since each row of Y sums to 1. So step (1) is y_hat - Y, as for one sigmoid unit, and nothing after
    it changes. Catches a step (1) that keeps the binary form, or an extra factor y_hat (1 - y_hat).
    """
    params, X, y = gradcheck_problem([3, 5, 4], "tanh", n=8, seed=5)
    n = X.shape[0]
    _, acts = ref_forward(params, X, "tanh")
    y_hat, Y = acts[-1], targets(y, 4)
    dL_dyhat = -Y / y_hat / n  # (n, K)
    jacobian = y_hat[:, :, None] * (np.eye(4)[None] - y_hat[:, None, :])  # [i, j, k] = dy_hat_ij / dz_ik
    staged = np.einsum("ij,ijk->ik", dL_dyhat, jacobian)
    np.testing.assert_allclose(staged, (y_hat - Y) / n, rtol=1e-12, atol=1e-16)
    _, cache = mlp.forward(params, X, "tanh")
    dz2 = mlp.backward(params, cache, y, "tanh")["dz2"]
    np.testing.assert_allclose(dz2, n * staged, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("K", [1, 3])
def test_cross_entropy_derivative_numerically_is_y_hat_minus_y_over_n(K):
    """Differentiate mlp.cross_entropy itself by centred differences in each logit: (y_hat - Y) / n with
    y_hat = sigma(z) (K = 1) or softmax(z) (K = 3). Catches a loss that is not the mean cross-entropy of
    those probabilities (a sign, a swapped y and 1 - y, a sum, a log-softmax over the wrong axis)."""
    rng = np.random.default_rng(0)
    z, labels = rng.normal(0, 2, (6, K)), {1: [0, 1, 1, 0, 1, 0], 3: [0, 1, 2, 2, 1, 0]}[K]
    eps, numeric = 1e-5, np.zeros_like(z)
    for i in range(z.size):
        up, down = z.copy(), z.copy()
        up.flat[i], down.flat[i] = z.flat[i] + eps, z.flat[i] - eps
        numeric.flat[i] = (mlp.cross_entropy(up, labels) - mlp.cross_entropy(down, labels)) / (2 * eps)
    y_hat = ref_sigmoid(z) if K == 1 else ref_softmax(z)
    assert mlp.relative_error((y_hat - targets(labels, K)) / 6, numeric).max() <= 1e-7


# ----------------------------------------------------------------------------------------------------
# Copy-paste works: forward, backward and the loss run alone, cut out of mlp.py, with only NumPy
# ----------------------------------------------------------------------------------------------------

CUT = ["forward", "backward", "backward_two_layer", "cross_entropy"]


def cut_out(names):
    """The source of a module holding `names` and every top-level definition of mlp.py they reach, as a
    learner would copy them: whole lines, in mlp.py's order, without the @checked lines, after one
    `import numpy as np`. Found with ast: a definition is reached if its name is loaded in the body (or
    the default arguments) of one already taken."""
    source = Path(mlp.__file__).read_text(encoding="utf-8")
    lines, defined = source.splitlines(), {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef):
            defined[node.name] = node
        elif isinstance(node, ast.Assign):
            defined.update((t.id, node) for t in node.targets if isinstance(t, ast.Name))
    taken, todo = {}, list(names)
    while todo:
        node = defined[todo.pop()]
        if isinstance(node, ast.FunctionDef):
            assert [ast.unparse(d) for d in node.decorator_list] in ([], ["checked"]), node.name
            reach = [*node.body, node.args]  # not the decorators: the cut-out leaves those behind
        else:
            reach = [node.value]
        if node.lineno not in taken:
            taken[node.lineno] = node
            todo += [n.id for part in reach for n in ast.walk(part)
                     if isinstance(n, ast.Name) and n.id in defined]
    # For a def, lineno is the def line itself (its decorators have their own): whole lines from there.
    parts = ["\n".join(lines[node.lineno - 1:node.end_lineno]) for _, node in sorted(taken.items())]
    return "\n\n".join(["import numpy as np", *parts]) + "\n"


def free_names(source):
    """Every global name the functions of `source` use (at any depth of nesting)."""
    names, tables = set(), [symtable.symtable(source, "cut-out", "exec")]
    while tables:
        table = tables.pop()
        tables += table.get_children()
        if table.get_type() != "module":
            names |= {s.get_name() for s in table.get_symbols() if s.is_global()}
    return names


@functools.cache
def cut_out_module():
    """CUT, cut out of mlp.py and run as a module of its own: {name: object}."""
    source = cut_out(CUT)
    imports = [ast.unparse(n) for n in ast.walk(ast.parse(source))
               if isinstance(n, ast.Import | ast.ImportFrom)]
    assert imports == ["import numpy as np"], imports  # nothing from checks.py, nothing else
    body = ast.parse(source).body
    top = {n.name for n in body if isinstance(n, ast.FunctionDef)}
    top |= {t.id for n in body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    missing = {name for name in free_names(source) - top - {"np"} if not hasattr(builtins, name)}
    assert not missing, f"the cut-out uses names it does not define: {missing}"
    namespace = {"__name__": "cut_out"}
    exec(compile(source, "<forward, backward, cross_entropy cut out of mlp.py>", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("sizes", [[3, 5, 1], [3, 5, 4, 1], [3, 5, 3], [3, 4, 5, 10]], ids=str)
def test_cut_out_forward_backward_and_loss_run_alone(sizes, activation):
    """forward, backward, backward_two_layer and cross_entropy, cut out of mlp.py with everything they
    reach (by ast, so no hand-kept list) into a blank module that imports only NumPy, give the same
    y_hat, cache, loss and gradients as mlp, to the bit, on 2- and 3-layer networks with one sigmoid
    output and with softmax outputs. They are given targets (the 0/1 column, one-hot rows) as the
    maths takes them; mlp's versions get labels and convert them at the door.

    Catches maths that depends on the door (a shape or an activation lookup that only checks.py
    provides, as before the lesson / lab split), a helper the functions need that is not a plain
    top-level definition, and a door that changes the numbers it hands over.
    """
    cut = cut_out_module()
    K = sizes[-1]
    params, X, y = gradcheck_problem(sizes, activation, n=6, seed=3)
    Y = targets(y, K)
    y_hat, cache = cut["forward"](params, X, activation)
    expected_y_hat, expected_cache = mlp.forward(params, X, activation)
    assert np.array_equal(y_hat, expected_y_hat) and list(cache) == list(expected_cache)
    assert all(np.array_equal(cache[k], expected_cache[k]) for k in cache)
    zD = cache[f"z{len(sizes) - 1}"]
    assert cut["cross_entropy"](zD, Y) == mlp.cross_entropy(zD, y)
    backwards = {"backward": mlp.backward}
    if len(sizes) == 3:
        backwards["backward_two_layer"] = mlp.backward_two_layer
    for name, ours in backwards.items():
        grads, expected = cut[name](params, cache, Y, activation), ours(params, cache, y, activation)
        assert list(grads) == list(expected) == gradient_names(len(sizes) - 1)
        assert all(np.array_equal(grads[k], expected[k]) for k in grads), name


def test_cut_out_is_about_100_lines():
    """Issue 8: forward, backward and the loss, with everything they reach, fit in at most about 100
    lines, counted as code a learner pastes: every line of the cut-out except blank ones (docstrings
    and comments count). Catches the lesson's core growing back into a file that cannot be copied
    whole, as the 124 lines with five input checks did before."""
    source = cut_out(["forward", "backward", "cross_entropy"])
    assert "checked" not in source and "import numpy as np\n" in source
    assert len([line for line in source.splitlines() if line.strip()]) <= 100


# ----------------------------------------------------------------------------------------------------
# Gradient check: relative_error, backward against finite differences on 1..4-layer networks
# ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b", "expected"), [
    (1.0, 1.0, 0.0),
    (1.0, 3.0, 0.5),  # |1 - 3| / (1 + 3)
    (-1.0, 1.0, 1.0),  # opposite signs: the worst possible, 2 / 2
    (2e-3, 2.002e-3, 0.002e-3 / 4.002e-3),
    (0.0, 0.0, 0.0),  # both gradients vanish: 0 / max(0, 1e-8), not 0 / 0 = nan
    (1e-10, 0.0, 1e-2),  # below the 1e-8 floor the denominator is 1e-8: 1e-10 / 1e-8
])
def test_relative_error_follows_cs231n(a, b, expected):
    """relative_error = |a - b| / max(|a| + |b|, 1e-8), cs231n's definition, on hand-computed values.
    Catches dividing by |a| alone (asymmetric), by max(|a|, |b|), or no floor (nan at 0 / 0)."""
    with np.errstate(all="raise"):
        assert mlp.relative_error(np.array(a), np.array(b)) == pytest.approx(expected, rel=1e-12)
        assert mlp.relative_error(np.array(b), np.array(a)) == pytest.approx(expected, rel=1e-12)


# The problem every configuration below is checked on. gradcheck_problem draws random weights, random
# nonzero biases, random inputs and labels; seed 32 was picked (from seeds 0..199) as one whose problems
# are all well-conditioned, which the test asserts as preconditions rather than trusting the seed:
#   * relu: every hidden pre-activation is at least KINK_MARGIN from the kink at 0. A centred difference
#     with eps = 1e-5 that straddles a kink measures the average of two slopes, which neither side has,
#     and the check fails although backward is right. 1e-3 is 100 x eps, and the weights are O(1), so a
#     perturbation of eps moves no z by more than ~1e-4: no unit switches on or off.
#   * every gradient tensor has some nonzero entry: with one example (n = 1) a relu layer is often
#     entirely off, every gradient below it is exactly 0, and "0 == 0" would check nothing.
#   * no nonzero gradient entry is smaller than MIN_GRAD: see the round-off test further down. Many other
#     seeds give a deep sigmoid network W1 entries of ~1e-7 (vanishing gradients), whose cs231n relative
#     error is ~1e-5 from float64 round-off alone, backward being right.
GRADCHECK_SEED = 32
KINK_MARGIN = 1e-3
MIN_GRAD = 5e-5  # round-off in the numeric gradient is ~1e-11 absolute: 1e-11 / (2 * 5e-5) = 1e-7 relative
CHECK_SIZES = [[2, 1], [2, 5, 1], [2, 5, 4, 1], [2, 4, 3, 5, 1]]  # 1, 2, 3 and 4 layers


def assert_well_conditioned(params, X, y, activation):
    """The preconditions above that do not depend on the seed's luck: no relu kink within reach of eps,
    and no gradient tensor that is all zero (which would check nothing)."""
    _, cache = mlp.forward(params, X, activation)
    if activation == "relu":
        for l in range(1, len(params) // 2):
            assert np.abs(cache[f"z{l}"]).min() > KINK_MARGIN, f"z{l} within {KINK_MARGIN} of the relu kink"
    _, grads = mlp.loss_and_grads(params, X, y, activation)
    for key, g in grads.items():
        assert g.any(), f"{key} is all zero: its check would be vacuous"
    return grads


@pytest.mark.parametrize("n", [1, 8], ids=lambda n: f"n={n}")
@pytest.mark.parametrize("sizes", CHECK_SIZES, ids=str)
@pytest.mark.parametrize("activation", ACTS)
def test_backward_matches_numerical_gradient(activation, sizes, n):
    """Max relative error <= 1e-7 (cs231n: "correct") for every gradient tensor of sigmoid, tanh and relu
    networks of 1 to 4 layers, for one example and for a batch: the parameters' dW_l, db_l and the
    intermediates dz_l, da_l, all in backward's step order. Catches any mistake in backward that the
    bug zoo shows, on any depth: a loop that runs one layer short, the wrong cached a or z, a derivative
    of the wrong activation."""
    params, X, y = gradcheck_problem(sizes, activation, n, GRADCHECK_SEED)
    grads = assert_well_conditioned(params, X, y, activation)
    entries = np.abs(np.concatenate([g.ravel() for g in grads.values()]))
    assert entries[entries > 0].min() >= MIN_GRAD, "a tiny gradient entry: relative error is round-off"

    report = mlp.gradient_check(params, X, y, activation)
    assert list(report) == list(grads) == gradient_names(len(sizes) - 1)
    for key, r in report.items():
        assert r["rel_error"] <= 1e-7, f"{key}: max relative error {r['rel_error']:.1e}"
        assert r["error"] <= 1e-7 and r["verdict"] == "correct", key


@pytest.mark.parametrize("sizes", [[4, 3], [4, 5, 3], [4, 5, 4, 3], [4, 10], [4, 5, 10], [4, 5, 4, 10]],
                         ids=str)
@pytest.mark.parametrize("activation", ACTS)
def test_k_class_backward_matches_numerical_gradient(activation, sizes):
    """Softmax networks of 1 to 3 layers over K = 3 and 10 classes, every hidden activation: every
    gradient tensor (parameters and intermediates) reads "correct", with the round-off-aware error
    <= 1e-7, and cs231n's elementwise relative error <= 1e-7 on every entry large enough for float64 to
    resolve it. That is MIN_GRAD for a loss of ln 2, as above; round-off grows with L (ln 10 = 2.3 for
    ten classes), so MIN_GRAD L / ln 2, and n times that for a per-example intermediate, whose numerical
    twin is n times a finite difference. This floor is 30 times below the one gradient_check's "error"
    uses, so it also catches an "error" that forgives too much. And it catches a step (1) that is not
    y_hat - Y for a softmax, a softmax over the wrong axis inside the loss, one-hot targets built wrong."""
    params, X, y = gradcheck_problem(sizes, activation, n=8, seed=0)
    assert_well_conditioned(params, X, y, activation)
    report = mlp.gradient_check(params, X, y, activation)
    assert list(report) == gradient_names(len(sizes) - 1)
    loss = mlp.compute_loss(params, X, y, activation)
    for key, r in report.items():
        assert r["error"] <= 1e-7 and r["verdict"] == "correct", f"{key}: error {r['error']:.1e}"
        floor = MIN_GRAD * loss / LN2 * (1 if key[1] in "Wb" else len(X))
        resolved = np.abs(r["analytic"]) >= floor
        assert mlp.relative_error(r["analytic"][resolved], r["numeric"][resolved]).max(initial=0) <= 1e-7, key


def test_deep_sigmoid_tiny_gradients_fail_1e7_only_by_round_off():
    """Why a correct backward can "fail" cs231n's 1e-7 threshold: the numerical gradient
    (L(theta + eps) - L(theta - eps)) / (2 eps) subtracts two losses of ~0.7 that each carry round-off
    of a few u * L ~ 1e-16, and dividing by 2 eps = 2e-5 leaves an absolute error of ~1e-11 in every
    numerical entry. Through three hidden sigmoid layers the gradient of W1 shrinks by sigma' <= 1/4 per
    layer (vanishing gradients): here one entry is 5.5e-7, and an absolute error of a few 1e-12 on it is
    a relative error of a few 1e-6, above 1e-7 although backward is right.

    So this test asserts the absolute error instead, against the round-off bound 10 u L / eps (1.6e-10)
    (n times that for a per-example intermediate): every entry of every tensor is within it. A real bug
    is off by about the size of the gradient. And gradient_check's own "error", which measures exactly
    this, reads correct.
    """
    eps = 1e-5
    params, X, y = gradcheck_problem([2, 4, 3, 5, 1], "sigmoid", n=8, seed=16)
    report = mlp.gradient_check(params, X, y, "sigmoid", eps=eps)
    assert report["dW1"]["rel_error"] > 1e-7  # precondition: this is the ill-conditioned case
    assert np.abs(report["dW1"]["analytic"]).min() < 1e-6  # ... because some W1 entries are tiny
    round_off = 10 * U * mlp.compute_loss(params, X, y, "sigmoid") / eps
    for key, r in report.items():
        bound = round_off * (1 if key[1] in "Wb" else len(X))
        assert np.abs(r["analytic"] - r["numeric"]).max() < bound, key
        assert r["error"] <= 1e-7 and r["verdict"] == "correct", key


def test_gradient_check_reads_correct_on_a_deep_sigmoid_network():
    """Issue 11: on a correct 20-layer sigmoid network ([2] + [4] * 19 + [1], narrow to keep the check
    fast, 8 moons points) vanishing gradients make cs231n's relative error large (> 1e-4: it would send
    a learner looking for a bug that is not there), but the round-off-aware error is <= 1e-7 and every
    one of the 79 tensors reads "correct". The measure still sees a real mistake in the same network: a
    gradient of the last layer 0.1 % off reads "uncomfortable" or worse. Catches a verdict taken from
    cs231n's measure, and a round-off allowance so wide that it forgives everything."""
    X, y = datasets.make_moons(8, 0.2, seed=0)
    params = mlp.init_params([2] + [4] * 19 + [1], "sigmoid", seed=0)
    report = mlp.gradient_check(params, X, y, "sigmoid")
    assert list(report) == gradient_names(20)
    assert max(r["rel_error"] for r in report.values()) > 1e-4  # precondition: cs231n's measure cries wolf
    assert max(r["error"] for r in report.values()) <= 1e-7
    assert {r["verdict"] for r in report.values()} == {"correct"}
    off = {"dW20": 1.001 * report["dW20"]["analytic"]}
    assert mlp.gradient_check(params, X, y, "sigmoid", analytic=off)["dW20"]["verdict"] != "correct"


def test_gradient_check_leaves_params_untouched():
    """gradient_check perturbs a copy, one entry at a time, and must restore each: a check that forgets
    to restore (or perturbs the caller's arrays) corrupts the network it is checking. The caller's
    arrays are made read-only, so even a perturb-and-restore of them (which leaves the same bits behind)
    raises."""
    params, X, y = gradcheck_problem([2, 5, 4, 1], "tanh", n=4, seed=2)
    before = {k: v.copy() for k, v in params.items()}
    for v in params.values():
        v.setflags(write=False)
    report = mlp.gradient_check(params, X, y, "tanh")
    assert all(np.array_equal(params[k], before[k]) for k in before)
    assert all(r["numeric"].shape == r["analytic"].shape for r in report.values())
    assert all(report["d" + k]["numeric"].shape == params[k].shape for k in params)


def test_gradient_check_reports_the_worst_entry():
    """rel_error is the max over a tensor's entries: one wrong entry of ten must show. A mean (or a
    norm of the whole tensor) would dilute it below the threshold."""
    params, X, y = gradcheck_problem([2, 5, 4, 1], "tanh", n=8, seed=GRADCHECK_SEED)
    _, grads = mlp.loss_and_grads(params, X, y, "tanh")
    grads["dW1"] = grads["dW1"].copy()
    grads["dW1"].flat[0] *= 1.1  # 10 % off: relative error 0.1 / 2.1 = 0.048 on that entry
    report = mlp.gradient_check(params, X, y, "tanh", analytic=grads)
    assert report["dW1"]["rel_error"] > 0.04 and report["dW1"]["error"] > 0.04


DOWNSTREAM = {  # a wrong step, and every step computed from it (the steps it makes wrong too)
    "dz2": set(STEPS), "dW2": {"dW2"}, "db2": {"db2"}, "da1": {"da1", "dz1", "dW1", "db1"},
    "dz1": {"dz1", "dW1", "db1"}, "dW1": {"dW1"}, "db1": {"db1"}, None: set(),
}


@pytest.mark.parametrize("K", [1, 3])
@pytest.mark.parametrize("fault", list(DOWNSTREAM), ids=str)
def test_intermediate_check_shows_the_first_wrong_step(fault, K):
    """A learner's own backward (here the reference one) with one step 50 % off, passed as analytic=:
    the check confirms the intermediates dz2, da1, dz1 as well as the parameter gradients, so every step
    before the fault reads "correct", the faulty step and the steps computed from it read "wrong", and
    the first non-correct key, in step order, is the faulty step. With no fault, all seven read correct
    (so the check's numerical dz2 is n dL/dz2 = y_hat - Y, per example, as docs/problem.md's step (1) says).
    Catches an intermediate compared at the wrong scale (dL/dz without the n), against the wrong cached
    tensor, or perturbed in a way that does not reach the loss."""
    params, X, y = gradcheck_problem([3, 4, K], "tanh", n=8, seed=0)
    analytic = ref_backward_two_layer(params, X, y, "tanh", fault)
    report = mlp.gradient_check(params, X, y, "tanh", analytic=analytic)
    assert list(report) == STEPS
    wrong = [key for key in STEPS if report[key]["verdict"] != "correct"]
    assert set(wrong) == DOWNSTREAM[fault] and wrong[:1] == ([fault] if fault else [])
    assert all(report[key]["verdict"] == "wrong" for key in wrong)
    assert list(mlp.gradient_check(params, X, y, "tanh")) == STEPS  # without analytic=: backward's order


# ----------------------------------------------------------------------------------------------------
# Issue 14: verdicts that are right at any depth and dtype, diagnoses, linear cost
# ----------------------------------------------------------------------------------------------------

DTYPES = {  # name -> how the inputs reach gradient_check: (X's dtype, the parameters' dtype)
    "float64": (np.float64, np.float64),
    "float32 X": (np.float32, np.float64),  # NumPy promotes: the maths runs in float64
    "float32": (np.float32, np.float32),  # everything, backward too, in float32
}


def in_dtype(params, X, dtype):
    """(params, X) cast as DTYPES[dtype] says."""
    x_type, p_type = DTYPES[dtype]
    return {k: v.astype(p_type) for k, v in params.items()}, X.astype(x_type)


def deep_problem(depth, activation, K, n, seed):
    """gradcheck_problem on [2] + [4] * (depth - 1) + [K]: narrow, so that a 10-layer check takes a
    few milliseconds; nonzero biases; K = 1 or a softmax."""
    return gradcheck_problem([2] + [4] * (depth - 1) + [K], activation, n, seed)


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("activation", ACTS)
def test_correct_backward_reads_correct_at_every_depth_and_dtype(activation, dtype):
    """Issue 14: the lesson's own backward reads "correct" on every tensor, for depths 1 to 10, K = 1
    and a 3-class softmax, n = 1 and n = 6, in float64, with float32 X beside float64 parameters, and
    all in float32 (where backward's own round-off is 1e9 times float64's). 6,000-odd tensors; about
    half of deep sigmoid networks' verdicts were wrong before. Catches a noise floor that is too
    small (a verdict that cries wolf at depth or in float32), one taken from the wrong dtype, or an
    intermediate compared at the wrong scale."""
    not_correct = []
    for depth in range(1, 11):
        for K, n in [(1, 1), (3, 6), (1, 6), (3, 1)][depth % 2::2]:  # two of the four, in turn
            params, X, y = deep_problem(depth, activation, K, n, seed=depth)
            params, X = in_dtype(params, X, dtype)
            report = mlp.gradient_check(params, X, y, activation)
            assert list(report) == gradient_names(depth)
            not_correct += [(depth, K, n, key, r["error"]) for key, r in report.items()
                            if r["verdict"] != "correct" or r["diagnosis"] is not None]
    assert not_correct == []


def test_issue_example_doubled_dW1_on_a_deep_sigmoid_network_reads_wrong():
    """The issue's case: a correct 6-layer sigmoid network ([2] + [8] * 6 + [1], 8 moons points), where
    every tensor reads correct, and dW1 doubled, which read "uncomfortable" (error 0.008) although
    |a - g| was 80,000 times the noise. It must read wrong, with the factor named. Catches a verdict
    that divides a deep network's small gradients by a round-off-sized floor."""
    X, y = datasets.make_moons(8, 0.2, seed=0)
    params = mlp.init_params([2] + [8] * 6 + [1], "sigmoid", seed=0)
    report = mlp.gradient_check(params, X, y, "sigmoid")
    assert {r["verdict"] for r in report.values()} == {"correct"}
    doubled = mlp.gradient_check(params, X, y, "sigmoid", analytic={"dW1": 2 * report["dW1"]["analytic"]})
    assert np.abs(report["dW1"]["analytic"]).max() > 1000 * report["dW1"]["noise"]  # float64 can tell
    assert doubled["dW1"]["verdict"] == "wrong"
    assert doubled["dW1"]["diagnosis"].startswith("every entry is 2 times the numerical gradient")


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("activation", ACTS)
def test_every_mistake_float64_can_tell_reads_wrong(activation, dtype):
    """Issue 14: each of seven planted mistakes (x2, sign, zeroed, x n, / n, one entry x1.5,
    transposed), in every tensor of networks of depth 1 to 10 (K = 1 and a 3-class softmax), reads
    "wrong", never "uncomfortable", wherever float64 can tell it from round-off: the change is over
    100 times the check's noise and over 1 % of the tensor's largest entry. Every tensor of a network
    is planted at once (the verdicts are per tensor), one call per mistake. Asserts that most plants
    are tellable (over 3/4), so the test is not vacuous. Catches a measure that forgives small gradients, or a
    noise taken from float32 when the maths ran in float64."""
    n, planted, told, missed = 6, 0, 0, []
    for depth, K in [(1, 3), (2, 1), (6, 3), (10, 1)]:
        params, X, y = deep_problem(depth, activation, K, n, seed=depth + K)
        params, X = in_dtype(params, X, dtype)
        base = mlp.gradient_check(params, X, y, activation)
        by_mistake = {}
        for key, r in base.items():
            for mistake, wrong in planted_mistakes(r["analytic"], n).items():
                planted += 1
                change = np.abs(wrong - r["analytic"]).max()
                if change > 100 * r["noise"] and change > 0.01 * np.abs(r["numeric"]).max():
                    by_mistake.setdefault(mistake, {})[key] = wrong
        for mistake, analytic in by_mistake.items():
            report = mlp.gradient_check(params, X, y, activation, analytic=analytic)
            told += len(analytic)
            missed += [(depth, K, mistake, key, report[key]["verdict"]) for key in analytic
                       if report[key]["verdict"] != "wrong" or not report[key]["diagnosis"]]
    assert told > 0.75 * planted and missed == []


def test_noise_follows_the_dtype_the_maths_runs_in():
    """Issue 14: with float32 X beside float64 parameters the maths runs in float64, and the noise is
    float64's: the same as with float64 X (before, it was float32's, 5e8 times larger, and a zeroed db1
    read correct). All in float32, backward's own round-off is float32's and the noise grows; a
    sign-flipped dW2 still reads wrong. Catches a floor taken from X.dtype."""
    params, X, y = gradcheck_problem([2, 5, 4, 1], "tanh", n=8, seed=GRADCHECK_SEED)
    exact = mlp.gradient_check(params, X, y, "tanh")
    mixed = mlp.gradient_check(params, X.astype(np.float32), y, "tanh")
    low = mlp.gradient_check(*in_dtype(params, X, "float32"), y, "tanh")
    for key in exact:
        assert mixed[key]["noise"] == pytest.approx(exact[key]["noise"], rel=1e-6), key
        assert low[key]["noise"] > 100 * exact[key]["noise"], key
    zeroed = mlp.gradient_check(params, X.astype(np.float32), y, "tanh",
                                analytic={"db1": 0 * mixed["db1"]["analytic"]})
    assert zeroed["db1"]["verdict"] == "wrong"
    flipped = mlp.gradient_check(*in_dtype(params, X, "float32"), y, "tanh",
                                 analytic={"dW2": -low["dW2"]["analytic"]})
    assert flipped["dW2"]["verdict"] == "wrong"
    assert low["dW2"]["analytic"].dtype == np.float32 and low["dW2"]["numeric"].dtype == np.float64


def planted_report(sizes, activation, plant, n=8, seed=3):
    """gradient_check of the lesson's own gradients with plant(grads, params, X, cache) applied."""
    params, X, y = gradcheck_problem(sizes, activation, n, seed)
    _, cache = mlp.forward(params, X, activation)
    grads = {k: v.copy() for k, v in mlp.loss_and_grads(params, X, y, activation)[1].items()}
    plant(grads, params, X, cache)
    return mlp.gradient_check(params, X, y, activation, analytic=grads)


def set_key(key, f):
    """A plant that replaces grads[key] by f(grads[key], ...)."""
    def plant(grads, params, X, cache):
        grads[key] = f(grads[key], grads, params, X, cache)
    return plant


def scale_entry(index, factor):
    def f(g, *_):
        g[index] *= factor
        return g
    return f


SIGMA_PRIME_OF_A = set_key(  # the zoo's first bug: sigma'(a1) for sigma'(z1)
    "dz1", lambda g, grads, p, X, c: grads["da1"] * mlp.sigmoid_grad(c["a1"], mlp.sigmoid(c["a1"])))
MEAN_IN_DZ = {"dz2", "da1", "dz1"}  # cs231n's convention: these are dL/d., n times smaller

PATTERNS = [  # (network, activation, plant, the key whose diagnosis is read, the words it must hold)
    ([2, 3, 1], "tanh", set_key("dW1", lambda g, *_: 2 * g), "dW1",
     ["every entry is 2 times the numerical gradient", "step (6)"]),
    ([2, 3, 3], "relu", set_key("db2", lambda g, *_: -g), "db2", ["-1 times", "sign is flipped", "step (3)"]),
    ([2, 3, 1], "tanh", set_key("dW2", lambda g, *_: 8 * g), "dW2",
     ["n = 8 times", "1/n of the mean is missing"]),
    ([2, 3, 1], "tanh", set_key("dW1", lambda g, *_: 3 * g), "dW1", ["3 times", "factor of 3"]),
    ([2, 3, 1], "tanh", set_key("da1", lambda g, *_: g / 8), "da1", ["1/n = 1/8 of", "step (4)"]),
    ([2, 3, 1], "tanh", set_key("db1", lambda g, *_: 0 * g), "db1", ["every entry is 0", "step (7)"]),
    ([3, 3, 1], "tanh", set_key("dW1", lambda g, *_: g.T.copy()), "dW1", ["transpose", "step (6)"]),
    ([2, 3, 1], "sigmoid", set_key("dW1", scale_entry((1, 2), 1.5)), "dW1", ["one entry is off: [1, 2]"]),
    ([2, 3, 1], "sigmoid", set_key("dz1", scale_entry(3, 1.5)), "dz1", ["row 3 alone is off (example 3)"]),
    ([2, 3, 3], "sigmoid", set_key("dW2", scale_entry((slice(None), 1), 1.5)), "dW2",
     ["column 1 alone is off (unit 1)"]),
    ([2, 3, 1], "sigmoid", SIGMA_PRIME_OF_A, "dz1", ["slope is taken at a1 = f(z1), not at z1", "step (5)"]),
    ([2, 3, 1], "tanh", set_key("dz1", lambda g, grads, *_: grads["da1"].copy()), "dz1",
     ["f'(z1) is missing", "step (5)"]),
    ([2, 3, 1], "relu", set_key("dz1", lambda g, grads, *_: grads["da1"] * (grads["da1"] > 0)), "dz1",
     ["relu mask is taken from da1 > 0"]),
    ([2, 3, 1], "tanh", set_key("dz1", lambda g, grads, p, X, c: grads["da1"] * mlp.sigmoid_grad(
        c["z1"], mlp.sigmoid(c["z1"]))), "dz1", ["the slope is sigmoid's, not tanh's"]),
    ([2, 3, 1], "sigmoid", set_key("dz2", lambda g, grads, p, X, c: g * c["a2"] * (1 - c["a2"])), "dz2",
     ["y_hat (1 - y_hat) times", "step (1)"]),
    ([2, 3, 1], "tanh", lambda grads, *_: [grads.__setitem__(k, grads[k] / 8) for k in MEAN_IN_DZ], "dz2",
     ["1/n = 1/8 of", "mean-in-dz convention", "right in that convention"]),
    ([2, 3, 1], "tanh", set_key("dW1", lambda g, *_: g + 1e-3 * np.arange(g.size).reshape(g.shape)), "dW1",
     ["no simple pattern", "the largest gap |a - g| is"]),
]


@pytest.mark.parametrize(("sizes", "activation", "plant", "key", "words"), PATTERNS,
                         ids=[" ".join(p[4][:1]) for p in PATTERNS])
def test_each_diagnosis_pattern_is_named(sizes, activation, plant, key, words):
    """Issue 14, the check explains: each pattern planted in the lesson's own gradients, and the
    sentence it gets names it (a constant factor and which one, zeros, the transpose, one entry, row
    or column, the slope at the wrong point / skipped / from da / of another activation, the output
    slope kept, the mean-in-dz convention, else the size). The tensor reads wrong and is the first
    wrong step. Catches a pattern that no longer fits its own mistake, or patterns tried in an order
    where an earlier, vaguer one wins."""
    report = planted_report(sizes, activation, plant)
    assert report[key]["verdict"] == "wrong" and first_wrong(report) == key
    for word in words:
        assert word in report[key]["diagnosis"], report[key]["diagnosis"]


def test_diagnosis_says_where_an_error_is_inherited_and_is_none_when_correct():
    """A wrong step (5) makes dW1 and db1 wrong too; their diagnosis says that step (6) and (7) are
    right for the learner's dz1, so the learner looks up, not at them. A correct tensor has diagnosis
    None. Catches a diagnosis that sends the learner to every wrong tensor instead of the first."""
    def plant(grads, params, X, cache):  # sigma'(a1) at step (5), and steps (6), (7) done right from it
        SIGMA_PRIME_OF_A(grads, params, X, cache)
        grads["dW1"], grads["db1"] = X.T @ grads["dz1"] / len(X), grads["dz1"].mean(axis=0, keepdims=True)

    report = planted_report([2, 3, 1], "sigmoid", plant)
    assert [k for k, r in report.items() if r["diagnosis"] is None] == ["dz2", "dW2", "db2", "da1"]
    for key, step in [("dW1", 6), ("db1", 7)]:
        assert report[key]["diagnosis"].startswith(
            f"step ({step}) is right for your dz1, which is not correct")


@pytest.mark.parametrize(("distance", "reads"), [(1e-6, "wrong"), (1e-3, "correct")])
def test_relu_kink_within_eps_reads_wrong_and_is_named(distance, reads):
    """The documented kink behaviour, both sides: a relu input moved to 1e-6 of its kink (within
    eps = 1e-5) makes the centred difference straddle two slopes, the tensors it reaches read wrong,
    and the diagnosis names the kink and the input; at 1e-3 (100 eps) every tensor reads correct
    with no note. Catches a kink hidden as "one entry off" with no hint, and a note that cries wolf."""
    params, X, y = gradcheck_problem([2, 5, 4, 1], "relu", n=8, seed=GRADCHECK_SEED)
    z1 = X @ params["W1"] + params["b1"]
    params["b1"][0, 0] -= z1[0, 0] - distance  # now z1[0, 0] = distance
    report = mlp.gradient_check(params, X, y, "relu")
    verdicts = {r["verdict"] for r in report.values()}
    if reads == "correct":
        assert verdicts == {"correct"}
    else:
        assert "wrong" in verdicts
        for r in report.values():
            assert r["diagnosis"] is None or "relu input z1[0, 0] = 1.0e-06 is within eps" in r["diagnosis"]


@pytest.mark.parametrize("n", [8, 64])
def test_intermediates_cost_a_number_of_losses_independent_of_n(monkeypatch, n):
    """Issue 14, linear cost: each intermediate column moves in every row at once, so the check of
    z_l and a_l computes 2 x (their columns) row-wise losses, whatever n (before, 2 x n x columns
    full-batch losses: quadratic in n). Counted, not timed. Catches a return to entry-by-entry
    perturbation of the intermediates."""
    calls = []
    real = mlp.losses_from
    monkeypatch.setattr(mlp, "losses_from", lambda *args: calls.append(1) or real(*args))
    params, X, y = gradcheck_problem([2, 5, 4, 1], "tanh", n=n, seed=0)
    mlp.gradient_check(params, X, y, "tanh")
    assert len(calls) == 2 * (1 + 4 + 4 + 5 + 5)  # dz3 (n, 1), da2, dz2 (n, 4), da1, dz1 (n, 5)


def test_report_lines_mark_the_first_wrong_step_and_show_its_diagnosis():
    """diagnosis.report_lines, what the grader and the live page print: one line per tensor in step
    order, the first wrong one marked, and each wrong tensor's diagnosis on the line below it.
    Catches a printout that hides the diagnosis or marks the wrong tensor."""
    report = planted_report([2, 3, 1], "sigmoid", SIGMA_PRIME_OF_A)
    lines = report_lines(report)
    keys = [line.split()[0] for line in lines if not line.startswith("      ")]
    assert keys == STEPS
    marked = [line for line in lines if "<- the first wrong step" in line]
    assert len(marked) == 1 and marked[0].split()[:2] == ["dz1", "wrong"]
    below = lines[lines.index(marked[0]) + 1:lines.index(marked[0]) + 3]  # wrapped to 79 columns
    assert " ".join(line.strip() for line in below) == report["dz1"]["diagnosis"]
    assert max(map(len, lines)) <= 79


def test_report_lines_say_when_a_correct_tensor_is_all_below_the_noise():
    """On a deep sigmoid network ([2] + [4] * 19 + [1]) the lowest layers' gradients vanish below the
    check's noise: they read correct, and the printout says the check could not see them, so "correct"
    is not read as confirmed; the top layer's line has no such note. Catches a printout that hides it."""
    X, y = datasets.make_moons(8, 0.2, seed=0)
    params = mlp.init_params([2] + [4] * 19 + [1], "sigmoid", seed=0)
    report = mlp.gradient_check(params, X, y, "sigmoid")
    lines = {line.split()[0]: line for line in report_lines(report)}
    assert {r["verdict"] for r in report.values()} == {"correct"}
    assert lines["dW1"].endswith("(all below the noise: unseen)")
    assert np.abs(report["dW1"]["numeric"]).max() <= report["dW1"]["noise"]
    assert "unseen" not in lines["dW20"] and np.abs(report["dW20"]["numeric"]).max() > report["dW20"]["noise"]


def test_truncation_with_large_inputs_reads_close_and_shrinks_with_eps():
    """Inputs in the hundreds make the centred difference's truncation error (eps^2/6 L''') visible on
    a correct backward: dW1 reads "uncomfortable", and the diagnosis says "close, with no pattern" and
    points at eps, rather than naming a pattern (a factor of 1, a column) that is not there. Both sides:
    with eps = 1e-7 the same network reads correct throughout. Catches a diagnosis that invents a cause
    for truncation, and a check that no smaller eps could satisfy."""
    params, X, y = gradcheck_problem([2, 8, 8, 1], "tanh", n=10, seed=0)
    report = mlp.gradient_check(params, 300 * X, y, "tanh")
    off = {k: r for k, r in report.items() if r["verdict"] != "correct"}
    assert off and {r["verdict"] for r in off.values()} == {"uncomfortable"}
    for r in off.values():
        assert r["diagnosis"].startswith("close, with no pattern") and "smaller eps" in r["diagnosis"]
    finer = mlp.gradient_check(params, 300 * X, y, "tanh", eps=1e-7)
    assert {r["verdict"] for r in finer.values()} == {"correct"}


# ----------------------------------------------------------------------------------------------------
# Extreme but valid logits: the loss from the logit stays finite and exact; nothing warns
# ----------------------------------------------------------------------------------------------------

X_AXES = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])  # four inputs on the axes
HIDDEN = {"W1": np.array([[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 0.0, -1.0]]), "b1": np.zeros((1, 4))}
OUTPUT_W = {  # K -> output weights (4, K) to put behind HIDDEN (or, their first two rows, behind X_AXES)
    1: np.array([[1.0], [1.0], [-1.0], [-1.0]]),  # logits about +L, +L, -L, -L on X_AXES
    3: np.array([[1.0, -1.0, 0.5], [0.5, 0.0, -1.0], [-1.0, 1.0, -0.5], [-0.5, 0.0, 1.0]]),  # 0, 0, 1, 2 win
}
LABELINGS = {  # K -> name -> labels for X_AXES, against the class each logit row favours
    1: {"all right": [1, 1, 0, 0], "one wrong": [0, 1, 0, 0], "all wrong": [0, 0, 1, 1]},
    3: {"all right": [0, 0, 1, 2], "one wrong": [1, 0, 1, 2], "all wrong": [2, 1, 0, 0]},
}


def extreme_net(kind, logit, K):
    """(params, activation) with output logits of order +-logit on X_AXES: a moderate hidden layer and a
    huge W2 (z2 = a1 W2 is large), or for "[2, K]" (logistic or softmax regression) a huge W1."""
    if kind == "[2, K]":
        return {"W1": logit * OUTPUT_W[K][:2], "b1": np.zeros((1, K))}, "relu"
    return {**HIDDEN, "W2": logit * OUTPUT_W[K], "b2": np.zeros((1, K))}, kind.split()[-1]


@pytest.mark.parametrize("labels", list(LABELINGS[1]))
@pytest.mark.parametrize("logit", [1e3, 1e6])
@pytest.mark.parametrize("kind", ["[2, K]", "[2, 4, K] relu", "[2, 4, K] tanh", "[2, 4, K] sigmoid"])
@pytest.mark.parametrize("K", [1, 3])
def test_huge_logits_give_exact_finite_loss_and_gradients(K, kind, logit, labels):
    """Logits of +-1e3 and +-1e6, for one sigmoid unit and for a softmax over 3 classes. sigmoid rounds
    to exactly 0 or 1, so a loss written as log(y_hat) would be log(0) = -inf (or, clipped, a cap of
    ~34.5 and a zero gradient); e^z overflows, so a naive softmax is inf / inf = nan. The loss from the
    logits is exact. Write one unit's logit z as the pair of logits (0, z) (sigma(z) is their 2-class
    softmax); then example i costs logsumexp(z_i) - z_iy, which lies between max(z_i) - z_iy and that
    plus (K - 1) e^-gap_i, where gap_i is how far the largest logit stands above the next: a confident
    right answer costs ~0 and a confident mistake costs its shortfall (|z_i| for one unit). n = 4 is a
    power of 2, so the mean taken before or after dividing by n is the same bits: the lower bound is
    exact. np.errstate(all="raise") turns any overflow, nan or unhandled underflow into an error.
    Gradients are finite and equal docs/problem.md's table; predictions are the largest logit's class."""
    params, activation = extreme_net(kind, logit, K)
    y = np.array(LABELINGS[K][labels])
    zs, acts = ref_forward(params, X_AXES, activation)
    pair = np.column_stack([np.zeros(4), zs[-1][:, 0]]) if K == 1 else zs[-1]
    top = np.sort(pair, axis=1)
    gap = top[:, -1] - top[:, -2]
    assert gap.min() >= 0.2 * logit  # precondition: every logit really is huge, and no two tie
    with np.errstate(all="raise"):
        loss, grads = mlp.loss_and_grads(params, X_AXES, y, activation)
        predicted = mlp.predict(params, X_AXES, activation)
    margin_loss = pair.max(axis=1) - pair[np.arange(4), y]  # 0 for a right answer, the shortfall if wrong
    slack = (pair.shape[1] - 1) * max(math.exp(-g) for g in gap)  # math.exp underflows quietly to 0.0
    assert np.mean(margin_loss) <= loss <= np.mean(margin_loss) * (1 + 1e-15) + slack
    assert predicted.ravel().tolist() == pair.argmax(axis=1).tolist()
    assert all(np.isfinite(g).all() for g in grads.values())
    if len(params) == 4:
        expected = ref_backward_two_layer(params, X_AXES, y, activation)
    else:  # logistic (softmax) regression: dz1 = y_hat - Y, dW1 = X^T dz1 / n, db1 = mean(dz1)
        dz1 = acts[1] - targets(y, K)
        expected = {"dz1": dz1, "dW1": X_AXES.T @ dz1 / 4, "db1": np.mean(dz1, axis=0, keepdims=True)}
    assert list(grads) == list(expected)
    # The hidden gradients sum terms of size up to |W2| = logit that can cancel to 0: agreement to
    # 1e-12 of that scale is all float64 can promise for entries that are (nearly) zero.
    for key in expected:
        np.testing.assert_allclose(grads[key], expected[key], rtol=1e-12, atol=1e-12 * logit, err_msg=key)


def test_cross_entropy_finite_for_largest_finite_logits():
    """STYLE.md: "a BCE that neither overflows nor warns for any finite input". Two confident mistakes at
    z = 1e308 have mean loss 1e308, a finite number, but np.mean would first sum them to 2e308 = inf.
    The same for a softmax: logits (1e308, 0) for examples of class 1 cost logsumexp - 0 = 1e308 each."""
    with np.errstate(all="raise"):
        assert mlp.cross_entropy(np.array([[1e308], [1e308]]), np.zeros((2, 1))) == 1e308
        assert mlp.cross_entropy(np.array([[1e308, 0.0], [1e308, 0.0]]), np.array([1, 1])) == 1e308


# ----------------------------------------------------------------------------------------------------
# Training with the defaults: XOR and two moons are learned; logistic regression cannot learn XOR
# ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("data", ["noisy 200", "truth table"])
@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_train_defaults_solve_xor(activation, data):
    """[2, 16, 1] with train's defaults (lr 4, 1000 full-batch epochs) classifies XOR perfectly. Catches
    a step in the wrong direction, a learning rate too small for sigmoid's early plateau, and a hidden
    layer that is not actually used."""
    X, y = datasets.make_xor(200, 0.2) if data == "noisy 200" else datasets.make_xor(4, 0.0)
    params, history = mlp.train(X, y, [2, 16, 1], activation)
    assert mlp.accuracy(params, X, y, activation) == 1.0
    assert history["loss"][-1] < 0.05 < LN2 - 0.1 < history["loss"][0]  # it got there by descending


@pytest.mark.parametrize("data", ["noisy 200", "truth table"])
def test_logistic_regression_cannot_solve_xor(data):
    """[2, 1] draws one straight line, and no line puts XOR's four corners on the right sides: at most
    three of four. If this reaches more than 75 %, the "network" is secretly nonlinear (or the data
    is not XOR)."""
    X, y = datasets.make_xor(200, 0.2) if data == "noisy 200" else datasets.make_xor(4, 0.0)
    params, _ = mlp.train(X, y, [2, 1], "relu")
    assert mlp.accuracy(params, X, y, "relu") <= 0.75


MOONS_NOISE = 0.2


@functools.cache
def moons_model(activation):
    """[2, 16, 1] trained with the defaults on make_moons(400, 0.2, seed=0); trained once per activation."""
    X, y = datasets.make_moons(400, MOONS_NOISE, seed=0)
    return mlp.train(X, y, [2, 16, 1], activation)[0]


@functools.cache
def moons_test_set():
    return datasets.make_moons(2000, MOONS_NOISE, seed=1)


@functools.cache
def moons_bayes_accuracy():
    """Accuracy on the test set of the best possible classifier, the one that knows how the data is made.

    A point of class c is a uniform point of its half circle plus Gaussian noise (std 0.2), so its class
    density is p(x | c) = mean over t in [0, pi] of N(x; curve_c(t), 0.2^2 I) (a fine grid of t stands in
    for the integral; the Gaussian's normalising constant is the same for both classes and cancels).
    The classes are equally likely, so the Bayes rule picks the class of larger density. Noise makes the
    moons overlap: even this rule errs on ~3 % of points, so no network can be expected to reach 100 %.
    """
    X, y = moons_test_set()
    t = np.linspace(0, np.pi, 1001)  # spacing 0.003, far below the noise's 0.2: the mean is a fine integral
    curves = {0: (np.cos(t), np.sin(t)), 1: (1 - np.cos(t), 0.5 - np.sin(t))}
    density = {c: np.exp(-((X[:, :1] - cx) ** 2 + (X[:, 1:] - cy) ** 2) / (2 * MOONS_NOISE**2)).mean(axis=1)
               for c, (cx, cy) in curves.items()}
    return float(np.mean((density[1] > density[0]) == (y[:, 0] == 1)))


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_train_defaults_on_moons_near_bayes_limit(activation):
    """Held-out accuracy within 1.5 percentage points of the Bayes-optimal accuracy on the same 2000 test
    points. Measuring against the Bayes limit, not against 100 %, separates "the model is poor" from
    "the test points are hard": the limit itself varies by ~0.4 points from one test set to another."""
    bayes = moons_bayes_accuracy()
    assert 0.95 < bayes < 0.99  # precondition: the reference is sane (about 97 % at noise 0.2)
    accuracy = mlp.accuracy(moons_model(activation), *moons_test_set(), activation)
    assert accuracy <= bayes + 0.01  # above the limit by more than noise would mean the test is wrong
    assert accuracy >= bayes - 0.015


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_train_defaults_on_moons_reach_96_percent(activation):
    """An absolute bar: >= 96 % held-out accuracy on two moons with noise 0.2, measured on 20,000 fresh
    points so that the measurement's own standard error (0.13 points) is small against the margin.
    (On 2000 points it is 0.4 points, as large as the margin: relu scores 95.95 % on the test set above.)
    The issue asked for 97 %; the Bayes limit at this noise is about 97.2 %, so 97 % cannot be a bar for
    a network trained on 400 points. A network that learned only a straight line scores about 88 %."""
    X, y = datasets.make_moons(20000, MOONS_NOISE, seed=2)
    assert mlp.accuracy(moons_model(activation), X, y, activation) >= 0.96


# ----------------------------------------------------------------------------------------------------
# K classes: training, prediction and the 2-class softmax as a sigmoid, on real networks
# ----------------------------------------------------------------------------------------------------

def three_blobs(n, seed):
    """Three round clusters (std 0.35) around the corners of a triangle on the unit circle, labels
    0, 1, 2 in turn: a 3-class task a softmax can learn; the Bayes limit is about 98 %."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 3
    angle = 2 * np.pi * labels / 3
    return np.column_stack([np.cos(angle), np.sin(angle)]) + 0.35 * rng.standard_normal((n, 2)), labels


@pytest.mark.parametrize("batch_size", [None, 32], ids=["full batch", "mini-batch 32"])
@pytest.mark.parametrize("activation", ACTS)
def test_train_predict_and_accuracy_over_k_classes(activation, batch_size):
    """[2, 16, 3] learns three blobs, full batch and on mini-batches: held-out accuracy >= 95 % (a
    network that confused two of the classes would score <= 67 %), the loss falls from about ln 3.
    predict gives (n, 1) integer classes 0..2, the argmax of predict_proba's (n, 3) rows, which sum to
    1; accuracy is the fraction of predict equal to the labels (computed here); labels of shape (n,) and
    (n, 1) are the same run. Catches predict thresholding at 0.5 as for one unit, accuracy comparing
    one-hot rows entry by entry, and a mini-batch loop that mixes up the rows of one-hot targets."""
    X, labels = three_blobs(300, seed=0)
    X_test, labels_test = three_blobs(1000, seed=1)
    kwargs = {"epochs": 100 if batch_size is None else 20, "batch_size": batch_size, "lr": 1.0}
    params, history = mlp.train(X, labels, [2, 16, 3], activation, **kwargs)
    column, _ = mlp.train(X, labels.reshape(-1, 1), [2, 16, 3], activation, **kwargs)
    assert all(np.array_equal(params[k], column[k]) for k in params)
    predicted, proba = mlp.predict(params, X_test, activation), mlp.predict_proba(params, X_test, activation)
    assert predicted.shape == (1000, 1) and predicted.dtype.kind == "i"
    assert set(predicted.ravel()) == {0, 1, 2}
    assert proba.shape == (1000, 3) and np.allclose(proba.sum(axis=1), 1.0, rtol=0, atol=3 * U)
    assert np.array_equal(predicted.ravel(), proba.argmax(axis=1))
    accuracy = mlp.accuracy(params, X_test, labels_test, activation)
    assert accuracy == np.mean(predicted.ravel() == labels_test) >= 0.95
    assert history["loss"][-1] < 0.2 < math.log(3) - 0.5
    if batch_size is None:
        assert history["loss"][0] == pytest.approx(mlp.compute_loss(mlp.init_params([2, 16, 3], activation),
                                                                     X, labels, activation), rel=1e-14)


def test_minibatch_k_class_training_deterministic_and_different_from_full_batch():
    """As for one output unit: the same seed reshuffles identically, mini-batches really take several
    steps per epoch (a different result from one full-batch step), and batch_size >= n is full batch."""
    X, labels = three_blobs(90, seed=0)

    def run(**kwargs):
        return mlp.train(X, labels, [2, 6, 3], "tanh", epochs=5, seed=1, **kwargs)

    assert same_run(run(batch_size=16), run(batch_size=16))
    assert not same_run(run(batch_size=16), run())
    assert same_run(run(), run(batch_size=90))


def test_two_class_softmax_network_is_the_sigmoid_network_of_the_logit_difference():
    """On a real network, a [2, 8, 2] softmax net trained on the moons (integer labels):

    * its probability of class 1 is sigmoid(z_1 - z_0), the sigmoid of its two logits' difference;
    * the [2, 8, 1] net with the same hidden layer and W2' = W2[:, 1] - W2[:, 0], b2' = b2[:, 1] -
      b2[:, 0] gives the same probabilities, loss and predictions (its labels the 0/1 column);
    * and the gradients map as the chain rule says (z' = z_1 - z_0): the hidden layer's dW1, db1, dz1,
      da1 are the same; dW2[:, 1] = dW2' = -dW2[:, 0], likewise db2 and dz2.

    Probabilities agree to a few u (sigma's precision is absolute); each gradient sums n = 400 terms of
    such differences times O(1) activations and weights, divided by n: 1e-13 absolute leaves room, and a
    softmax gradient with any real mistake differs by order 1e-2 or more.
    """
    X, y = datasets.make_moons(400, 0.2, seed=0)
    labels = y[:, 0].astype(int)
    two, _ = mlp.train(X, labels, [2, 8, 2], "tanh", epochs=300)
    one = {**two, "W2": two["W2"][:, 1:] - two["W2"][:, :1], "b2": two["b2"][:, 1:] - two["b2"][:, :1]}
    _, cache = mlp.forward(two, X, "tanh")
    z = cache["z2"]
    assert np.abs(z[:, 1] - z[:, 0]).max() > 5  # precondition: trained, not y_hat ~ 1/2 everywhere
    p_two, p_one = mlp.predict_proba(two, X, "tanh"), mlp.predict_proba(one, X, "tanh")
    assert p_two.shape == (400, 2) and p_one.shape == (400, 1)
    atol = 8 * U
    np.testing.assert_allclose(p_two[:, 1], mlp.sigmoid(z[:, 1] - z[:, 0]), rtol=0, atol=atol)
    np.testing.assert_allclose(p_two[:, 1:], p_one, rtol=0, atol=atol)
    loss_two, g_two = mlp.loss_and_grads(two, X, labels, "tanh")
    loss_one, g_one = mlp.loss_and_grads(one, X, y, "tanh")
    assert loss_one == pytest.approx(loss_two, rel=1e-13)
    assert np.array_equal(mlp.predict(two, X, "tanh").ravel(), mlp.predict(one, X, "tanh").ravel())
    assert mlp.accuracy(two, X, labels, "tanh") == mlp.accuracy(one, X, y, "tanh") > 0.9
    for key in ["dW1", "db1", "dz1", "da1"]:
        np.testing.assert_allclose(g_two[key], g_one[key], rtol=0, atol=1e-13, err_msg=key)
    for key in ["dW2", "db2", "dz2"]:
        np.testing.assert_allclose(g_two[key][:, 1:], g_one[key], rtol=0, atol=1e-13, err_msg=key)
        np.testing.assert_allclose(g_two[key][:, :1], -g_one[key], rtol=0, atol=1e-13, err_msg=key)


# ----------------------------------------------------------------------------------------------------
# Training: one step, determinism, mini-batches, history, the caller's params
# ----------------------------------------------------------------------------------------------------

def test_gd_step_decreases_loss_by_lr_times_squared_gradient():
    """First-order Taylor: a step theta - lr g changes the loss by -lr |g|^2 + O(lr^2). With lr = 1e-3
    the O(lr^2) part is ~1e-3 of the change, so 1 % catches a step along +g (loss rises), a step of the
    wrong size (lr applied twice, or to some tensors only) and a step on a stale gradient. (The
    intermediates dz, da are not parameters: only the dW, db enter |g|^2.)"""
    params, X, y = gradcheck_problem([2, 5, 4, 1], "tanh", n=8, seed=0)
    loss0, grads = mlp.loss_and_grads(params, X, y, "tanh")
    squared_norm = sum(float((grads["d" + k] ** 2).sum()) for k in params)
    returned = mlp.gd_step(params, X, y, "tanh", lr=1e-3)
    drop = loss0 - mlp.compute_loss(params, X, y, "tanh")
    assert returned == loss0  # the loss before the step, as documented
    assert drop == pytest.approx(1e-3 * squared_norm, rel=1e-2)


XOR_X, XOR_Y = datasets.make_xor(200, 0.2)


def train_xor(**kwargs):
    return mlp.train(XOR_X, XOR_Y, [2, 8, 1], "relu", **{"epochs": 30, **kwargs})


def same_run(a, b):
    """Two (params, history) results are bit-identical."""
    (pa, ha), (pb, hb) = a, b
    return all(np.array_equal(pa[k], pb[k]) for k in pa) and np.array_equal(ha["loss"], hb["loss"])


def test_train_same_seed_is_bit_identical_and_other_seed_differs():
    """Reproducible runs: same seed, same bits (catches the global np.random state or time-based seeds);
    another seed starts elsewhere and ends elsewhere (catches a seed that is ignored)."""
    assert same_run(train_xor(seed=3), train_xor(seed=3))
    assert not same_run(train_xor(seed=3), train_xor(seed=4))


def test_minibatch_training_deterministic_and_different_from_full_batch():
    """batch_size=16: the same seed reshuffles identically, a different seed shuffles differently, and the
    result differs from full-batch training (it really takes 13 steps per epoch). batch_size >= n is
    full-batch descent exactly."""
    full = train_xor(seed=3)
    mini = train_xor(seed=3, batch_size=16)
    assert same_run(mini, train_xor(seed=3, batch_size=16))
    assert not same_run(mini, full)
    assert not same_run(mini, train_xor(seed=5, batch_size=16, params=mlp.init_params([2, 8, 1], "relu", 3)))
    assert same_run(full, train_xor(seed=3, batch_size=200))
    assert same_run(full, train_xor(seed=3, batch_size=10**6))


def test_minibatches_are_subsets_of_the_data():
    """Two examples with the same input x and opposite labels: from zero weights (y_hat = 1/2) their
    full-batch gradient is mean(y_hat - y) x = ((0.5 - 1) + (0.5 - 0)) / 2 x = 0 exactly: it never moves.
    With batch_size=1 each step sees one example, whose gradient is not zero: the weights move. Catches a
    "mini-batch" loop that steps on the whole data set each time (which the tests above cannot tell)."""
    X, y = np.array([[1.0, -2.0], [1.0, -2.0]]), np.array([1.0, 0.0])
    full, _ = mlp.train(X, y, [2, 1], lr=0.5, epochs=3, init="zeros")
    mini, _ = mlp.train(X, y, [2, 1], lr=0.5, epochs=3, init="zeros", batch_size=1)
    assert not any(v.any() for v in full.values())
    assert all(v.all() for v in mini.values())


def test_train_history_matches_documented_meaning():
    """history["loss"][e] (full batch) is the loss at the start of epoch e + 1, so entry 0 is the initial
    loss and entry e is the loss of the params after e epochs; val_loss and val_acc are measured after the
    epoch. Catches an off-by-one between the curve and the parameters it describes."""
    X_val, y_val = datasets.make_xor(40, 0.2, seed=9)
    params3, history = train_xor(epochs=3, seed=2, X_val=X_val, y_val=y_val)
    for e in range(3):
        after_e = train_xor(epochs=e, seed=2)[0] if e else mlp.init_params([2, 8, 1], "relu", 2)
        assert history["loss"][e] == pytest.approx(mlp.compute_loss(after_e, XOR_X, XOR_Y, "relu"), rel=1e-14)
    assert len(history["loss"]) == len(history["val_loss"]) == len(history["val_acc"]) == 3
    assert history["val_loss"][-1] == mlp.compute_loss(params3, X_val, y_val, "relu")
    assert history["val_acc"][-1] == mlp.accuracy(params3, X_val, y_val, "relu")


def test_minibatch_epochs_partition_the_data(monkeypatch):
    """With batch_size 4 and n = 10, each epoch takes the batches 4, 4, 2 (the short last batch is not
    dropped), covers every row exactly once, reshuffles between epochs (the same order every epoch is a
    classic slip), and records the mean loss weighted by batch size."""
    n = 10
    X = np.column_stack([np.arange(n) / n, np.zeros(n)])  # the first column tells which row it is
    y = np.arange(n) % 2
    seen, real_step = [], mlp.gd_step

    def spy(params, Xb, yb, activation, lr):
        loss = real_step(params, Xb, yb, activation, lr)
        seen.append((np.rint(Xb[:, 0] * n).astype(int), loss))
        return loss

    monkeypatch.setattr(mlp, "gd_step", spy)
    _, history = mlp.train(X, y, [2, 3, 1], epochs=2, batch_size=4, lr=0.1)
    epochs = [seen[:3], seen[3:]]
    assert len(seen) == 6
    for e, batches in enumerate(epochs):
        assert [len(rows) for rows, _ in batches] == [4, 4, 2]
        assert sorted(np.concatenate([rows for rows, _ in batches])) == list(range(n))
        assert history["loss"][e] == pytest.approx(sum(len(r) * loss for r, loss in batches) / n, rel=1e-14)
    assert not np.array_equal(*(np.concatenate([rows for rows, _ in b]) for b in epochs))


def test_validation_accuracy_is_measured_on_the_validation_set():
    """With the training set's labels flipped as validation data, validation accuracy must be exactly
    1 - training accuracy: measuring it on the training data by mistake would give them equal."""
    X, y = datasets.make_xor(200, 0.2)
    _, history = mlp.train(X, y, [2, 8, 1], "relu", epochs=3, seed=2, X_val=X, y_val=1 - y)
    params, _ = mlp.train(X, y, [2, 8, 1], "relu", epochs=3, seed=2)
    assert history["val_acc"][-1] == pytest.approx(1 - mlp.accuracy(params, X, y, "relu"), abs=1e-15)


@pytest.mark.parametrize("K", [1, 3, 10])
def test_all_zero_parameters_predict_one_half_or_one_over_K(K):
    """All-zero parameters give logits 0: y_hat = 0.5 exactly for one sigmoid unit, where predict is
    y_hat >= 0.5 (z >= 0), class 1, as documented; 1/K for each of K softmax classes (e^0 / K)."""
    X4, _ = datasets.make_xor(4, 0.0)
    zero = {k: np.zeros_like(v) for k, v in mlp.init_params([2, 3, K], "relu", seed=0).items()}
    assert (mlp.predict_proba(zero, X4) == (0.5 if K == 1 else 1 / K)).all()
    if K == 1:
        assert (mlp.predict(zero, X4) == 1.0).all()


def test_train_copies_the_callers_params():
    """train(params=...) starts from a copy: the caller's arrays are untouched (a function that trains
    them in place would silently change the caller's "initial" network), and starting from
    init_params(sizes, activation, seed) is the same run as not passing params."""
    start = mlp.init_params([2, 8, 1], "relu", seed=3)
    saved = {k: v.copy() for k, v in start.items()}
    result = train_xor(seed=3, params=start)
    assert all(np.array_equal(start[k], saved[k]) for k in saved)
    assert same_run(result, train_xor(seed=3))


# ----------------------------------------------------------------------------------------------------
# Training in pieces: params and history go on as one run
# ----------------------------------------------------------------------------------------------------

X_VAL, Y_VAL = datasets.make_xor(40, 0.2, seed=9)


def in_pieces(pieces, **kwargs):
    """train_xor called once per number of epochs in pieces, each call going on from the last."""
    params = history = None
    for epochs in pieces:
        params, history = train_xor(epochs=epochs, params=params, history=history, **kwargs)
    return params, history


def same_history(a, b):
    """Two histories have the same lists, with the same numbers to the bit."""
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("validation", [False, True], ids=["no validation", "validation"])
@pytest.mark.parametrize("batch_size", [None, 16], ids=["full batch", "mini-batch 16"])
def test_training_in_pieces_equals_one_run(batch_size, validation):
    """Twelve calls of epochs=1, and calls of 3 + 4 + 5 epochs, each given the params and history the
    last returned, give the bits of one call of epochs=12: params and every history list. Catches a
    call that reshuffles from the same stream each time (the same batch order in every epoch), epoch
    numbers that restart at 1, a history that is replaced instead of extended, and val lists that are
    dropped or restarted."""
    kwargs = {"seed": 3, "batch_size": batch_size, "lr": 0.5}
    if validation:
        kwargs.update(X_val=X_VAL, y_val=Y_VAL)
    one_params, one_history = train_xor(epochs=12, **kwargs)
    assert len(one_history["loss"]) == 12 and len(one_history) == (3 if validation else 1)
    for pieces in ([1] * 12, [3, 4, 5]):
        params, history = in_pieces(pieces, **kwargs)
        assert all(np.array_equal(params[k], one_params[k]) for k in params), pieces
        assert same_history(history, one_history), pieces


def test_pieces_differ_from_restarting():
    """The premise of the test above: going on is not restarting. Two calls of 6 mini-batch epochs,
    the second from the first's params but without its history, shuffle epochs 7 to 12 as epochs 1
    to 6 (a new run): a different result from going on."""
    params, history = train_xor(epochs=6, seed=3, batch_size=16)
    restarted, _ = train_xor(epochs=6, seed=3, batch_size=16, params=params)
    went_on, _ = train_xor(epochs=6, seed=3, batch_size=16, params=params, history=history)
    assert not all(np.array_equal(restarted[k], went_on[k]) for k in params)


def test_going_on_does_not_change_the_callers_history():
    """train returns a new history, extended; the caller's lists are untouched (a loop that keeps
    the old history to compare would otherwise see it grow)."""
    params, history = train_xor(epochs=2)
    saved = {k: list(v) for k, v in history.items()}
    _, longer = train_xor(epochs=3, params=params, history=history)
    assert history == saved and longer["loss"][:2] == saved["loss"] and len(longer["loss"]) == 5


# ----------------------------------------------------------------------------------------------------
# The divergence rule, first side: normal training is never stopped
# ----------------------------------------------------------------------------------------------------

DATA_200 = {"moons": datasets.make_moons(200, 0.2, seed=0), "xor": datasets.make_xor(200, 0.2, seed=0),
            "circles": datasets.make_circles(200, 0.1, seed=0)}


def labels_for(y, K):
    """The task's 0/1 labels for K = 1 and 2; for K = 3 the classes 0, 1, 2 in turn."""
    return y if K < 3 else np.arange(len(y)) % 3


@pytest.mark.parametrize("K", [1, 2, 3])
@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("task", list(DATA_200))
def test_short_runs_at_the_defaults_return(task, activation, K):
    """1 to 4 epochs at train's defaults, every activation, output width and task: a large step's
    early overshoot is not divergence (sigmoid's loss on the moons goes from 0.904 to 2.18 in its first
    step, and 1000 epochs reach 0.32). The old rule ("ends above twice its start") refused 30 of
    these 108 runs; a rule that judged the rise from the start more strictly would too."""
    X, y = DATA_200[task]
    for epochs in range(1, 5):
        params, history = mlp.train(X, labels_for(y, K), [2, 16, K], activation, epochs=epochs)
        assert len(history["loss"]) == epochs and all(np.isfinite(v).all() for v in params.values())


def test_the_early_overshoot_is_real():
    """The premise of the test above: the sigmoid network's loss after one epoch at the defaults is
    more than twice its start (so the test above does test a rise)."""
    X, y = DATA_200["moons"]
    params, history = mlp.train(X, y, [2, 16, 1], "sigmoid", epochs=1)
    assert mlp.compute_loss(params, X, y, "sigmoid") > 2 * history["loss"][0]


def longest_above(losses, level):
    """The longest stretch of consecutive losses above level."""
    longest = current = 0
    for loss in losses:
        current = current + 1 if loss > level else 0
        longest = max(longest, current)
    return longest


def test_the_largest_normal_rise_measured_returns():
    """The largest and longest rise measured in a run that trains well: the K = 2 softmax tanh network
    on the circles climbs to about 17 M (M = max(first loss, ln 2)) in epoch 14, stays above 10 M for
    7 epochs and above 2 M for 72, and ends near 0.006. A rule that stopped at 10 M, or at 10 M for 5
    epochs, or at 2 M for 50, would stop it: 100 M, 10 M for 20 and 2 M for 150 leave it a margin."""
    X, y = DATA_200["circles"]
    params, history = mlp.train(X, y, [2, 16, 2], "tanh")
    M = max(history["loss"][0], LN2)
    assert max(history["loss"]) > 10 * M
    assert 5 <= longest_above(history["loss"], 10 * M) < 20
    assert 50 <= longest_above(history["loss"], 2 * M) < 150
    assert history["loss"][-1] < 0.01


def test_epoch_by_epoch_loop_with_mini_batches_returns():
    """The issue's loop: tanh, mini-batches of 8, lr 0.5, 400 moons, one epoch per call. The old rule
    stopped it at call 34 on a rise from 0.104 to 0.272 that one long run takes in its stride."""
    X, y = datasets.make_moons(400, 0.2, seed=0)
    params = history = None
    for _ in range(40):
        params, history = mlp.train(X, y, [2, 16, 1], "tanh", lr=0.5, epochs=1, batch_size=8,
                                    params=params, history=history)
    assert len(history["loss"]) == 40 and history["loss"][-1] < 0.15


def test_continuing_a_trained_network_with_mini_batches_returns():
    """The issue's continuation: a relu network trained at the defaults, then 300 epochs of
    mini-batches of 32 at lr 1 (a new run from its params). SGD's wobble around a low loss is not
    divergence: the old rule stopped this one at its end."""
    X, y = datasets.make_moons(400, 0.2, seed=0)
    trained, _ = mlp.train(X, y, [2, 16, 1], "relu")
    params, history = mlp.train(X, y, [2, 16, 1], "relu", lr=1.0, epochs=300, batch_size=32,
                                params=trained)
    assert len(history["loss"]) == 300 and mlp.compute_loss(params, X, y) < 0.1


def test_a_low_first_loss_is_measured_against_ln_K():
    """A trained relu network (loss 0.145) given a step of 16: its loss jumps to 40.9, 282 times its
    first loss, and comes back to 0.5. The floor ln K (the loss of knowing nothing) keeps the limit
    at 100 ln 2 = 69: without it a trained network could not take a large step at all."""
    X, y = DATA_200["moons"]
    trained, _ = mlp.train(X, y, [2, 16, 1], "relu")
    params, history = mlp.train(X, y, [2, 16, 1], "relu", lr=16.0, epochs=30, params=trained)
    assert 100 * history["loss"][0] < max(history["loss"]) < 100 * LN2


# ----------------------------------------------------------------------------------------------------
# The divergence rule, second side: true divergence stops the run, and nothing is lost
# ----------------------------------------------------------------------------------------------------

MOONS_400 = datasets.make_moons(400, 0.2, seed=0)


def test_sigmoid_at_lr_1000_is_stopped_with_what_it_reached():
    """Sigmoid [2, 16, 1] at lr 1e3 on the moons: the loss goes from 0.902 to 620 in epoch 2 and then
    jumps between about 2 and 150 for ever, never overflowing. train must stop it (Diverged, which
    is a FloatingPointError, so old callers still catch it), saying the epoch, the lr, the loss that
    crossed the limit (the evidence) and what to do, and give back the last params whose loss passed:
    620 is the loss of the params after epoch 1's step, so the starting params and no epoch."""
    X, y = MOONS_400
    with pytest.raises(mlp.Diverged, match=r"^training diverged in epoch 2 with lr=1000.0: the loss "
                       r"went from 0.902 to 620, over 100 max\(first loss, ln K\) = 90.2: try a "
                       r"smaller learning rate$") as stopped:
        mlp.train(X, y, [2, 16, 1], "sigmoid", lr=1e3)
    err = stopped.value
    assert isinstance(err, FloatingPointError) and err.epoch == 2
    assert same_run((err.params, err.history), (mlp.init_params([2, 16, 1], "sigmoid", seed=0), {"loss": []}))


@pytest.mark.parametrize("batch_size", [None, 32], ids=["full batch", "mini-batch 32"])
def test_a_stopped_run_goes_on_from_what_it_gave_back(batch_size):
    """What Diverged gives back is a place to go on from: sigmoid on 200 moons at lr 1e3 is stopped;
    train(params=err.params, history=err.history) at lr 0.5 then trains on without raising, as one
    run (its history begins with err.history), to a fit. Catches .params that are the ones the limit
    was crossed with (loss 250 here; the run at lr 0.5 raises again at once) and a .history that
    includes epochs those params did not go through (it would judge them again)."""
    X, y = DATA_200["moons"]
    with pytest.raises(mlp.Diverged) as stopped:
        mlp.train(X, y, [2, 16, 1], "sigmoid", lr=1e3, batch_size=batch_size)
    err = stopped.value
    params, history = mlp.train(X, y, [2, 16, 1], "sigmoid", lr=0.5, epochs=300, batch_size=batch_size,
                                params=err.params, history=err.history)
    assert history["loss"][:len(err.history["loss"])] == err.history["loss"]
    assert len(history["loss"]) == len(err.history["loss"]) + 300
    assert mlp.compute_loss(params, X, y, "sigmoid") < 0.4 < mlp.compute_loss(err.params, X, y, "sigmoid")


DIGITS = datasets.load_digits()


def test_a_loss_that_stays_high_is_stopped_and_goes_on_at_a_smaller_lr():
    """The ten digits, [64, 32, 10] tanh at the default lr 4: the loss goes 2.32, 2.48, 3.56, 8.47, ...
    and stays between 25.7 and 78.9 for ever (1000 epochs), at chance accuracy, never reaching
    100 M = 232. The rule's second clause must stop it: above 10 M = 23.2 for the 20 epochs 8 to 27.
    It gives back the params at the start of epoch 3, the last whose loss (3.56) was at most 2 M,
    with epochs 1 and 2; from there, lr 0.5 trains on (30 epochs: over 90 % of the training digits
    right). A loop of one-epoch calls is judged over the whole run too: it stops in the same epoch
    (catches a count that restarts with each call), though it can give back no more than the last
    call's start."""
    X, y = DIGITS
    with pytest.raises(mlp.Diverged, match=r"in epoch 27 with lr=4.0: the loss went from 2.32 to [0-9.]+, "
                       r"over 10 max\(first loss, ln K\) = 23.2 for 20 epochs: try") as stopped:
        mlp.train(X, y, [64, 32, 10], "tanh", epochs=100)
    err = stopped.value
    assert len(err.history["loss"]) == 2 and mlp.compute_loss(err.params, X, y, "tanh") < 2 * 2.33
    params, history = mlp.train(X, y, [64, 32, 10], "tanh", lr=0.5, epochs=30, params=err.params,
                                history=err.history)
    assert history["loss"][:2] == err.history["loss"] and mlp.accuracy(params, X, y, "tanh") > 0.9
    params = history = None
    with pytest.raises(mlp.Diverged, match="in epoch 27 .* for 20 epochs") as stopped:
        for _ in range(27):
            params, history = mlp.train(X, y, [64, 32, 10], "tanh", epochs=1, params=params, history=history)
    assert len(stopped.value.history["loss"]) == 26


def test_a_loss_stuck_at_ln_K_is_left_to_the_accuracy_to_tell():
    """The training page's "what the loss alone cannot tell": the ten digits, [64, 32, 10] relu at the
    defaults, spike to 42.6 in epoch 6 (under 100 M = 232) and fall to ln 10, the loss of knowing
    nothing, at chance accuracy. The rule lets such a run return (a loss at ln K is also a plateau
    before learning): catches a rule that stops a run for sitting at ln K, and the page's numbers
    going stale."""
    X, y = DIGITS
    params, history = mlp.train(X, y, [64, 32, 10], "relu", epochs=100)
    peak = int(np.argmax(history["loss"]))
    assert (peak + 1, round(history["loss"][peak], 1)) == (6, 42.6)
    assert history["loss"][-1] == pytest.approx(np.log(10), abs=1e-3)
    assert mlp.accuracy(params, X, y, "relu") < 0.15


def test_a_loss_that_stays_above_twice_its_scale_is_stopped():
    """Sigmoid on 200 moons at lr 100: after a peak of 64.3 (under 100 M = 90.4) the loss cycles
    through about 2, 5 and 10 for ever, at 75 % accuracy. It never stays above 10 M for 20 epochs, but
    stays above 2 M = 1.81 from epoch 46 on: the third clause stops it in epoch 195, giving back the
    params at the start of epoch 45, the last whose loss was at most 2 M, and the 44 epochs before."""
    X, y = DATA_200["moons"]
    with pytest.raises(mlp.Diverged, match=r"in epoch 195 .*over 2 max\(first loss, ln K\) = 1.81 for 150 "
                       r"epochs") as stopped:
        mlp.train(X, y, [2, 16, 1], "sigmoid", lr=100)
    assert len(stopped.value.history["loss"]) == 44


@pytest.mark.parametrize("batch_size", [None, 32], ids=["full batch", "mini-batch 32"])
@pytest.mark.parametrize("activation", ACTS)
def test_lr_1000_is_stopped_for_every_activation(activation, batch_size):
    """lr 1e3, every activation, full batch and mini-batches: stopped within three epochs. With
    mini-batches the first epoch's mean loss is already 169 to 1e46 (a step between batches), so the
    first epoch is judged against the loss of the starting params, not against itself."""
    with pytest.raises(mlp.Diverged) as stopped:
        mlp.train(*MOONS_400, [2, 16, 1], activation, lr=1e3, batch_size=batch_size)
    err = stopped.value
    assert err.epoch <= 3 and len(err.history["loss"]) < err.epoch
    assert all(np.isfinite(v).all() for v in err.params.values())


@pytest.mark.parametrize("activation", ACTS)
def test_lr_1e300_in_the_last_epoch_is_stopped(activation):
    """lr = 1e300: one step makes the weights ~1e300. For relu the next forward pass overflows
    (NaN); for sigmoid and tanh the weights and loss stay finite (6e299). With epochs=1 there is no
    next epoch, so train must judge the loss after its last step too, else it returns a model that
    predicts NaN or nonsense. What it gives back, for every activation: the last params whose loss
    passed, the start of epoch 1 (the initial params, and no epoch in the history, val lists
    included), not the finite but useless ~1e299 params of sigmoid and tanh."""
    X, y = datasets.make_moons(200, 0.2, seed=0)
    with pytest.raises(mlp.Diverged, match=r"in epoch 1 with lr=1e\+300: .*smaller learning rate"
                       ) as stopped:
        mlp.train(X, y, [2, 16, 1], activation, lr=1e300, epochs=1, X_val=X, y_val=y)
    err = stopped.value
    params = mlp.init_params([2, 16, 1], activation, seed=0)
    assert err.epoch == 1 and err.history == {"loss": [], "val_loss": [], "val_acc": []}
    assert all(np.array_equal(err.params[k], params[k]) for k in params)
    assert all(np.isfinite(v).all() for v in err.params.values())


def test_an_epoch_that_overflows_is_undone():
    """relu at lr 1e300 for many epochs: epoch 1's step gives finite params (~1e299, checked here
    by one gd_step), whose loss, measured in epoch 2, is not finite. train must give back the last
    params whose loss passed, the initial ones, and no epoch: not the NaN params epoch 2 left, nor
    the ~1e299 params whose loss is not finite."""
    X, y = datasets.make_moons(200, 0.2, seed=0)
    with pytest.raises(mlp.Diverged, match="epoch 2 .*a loss or a parameter is not finite") as stopped:
        mlp.train(X, y, [2, 16, 1], "relu", lr=1e300)
    err = stopped.value
    params = mlp.init_params([2, 16, 1], "relu", seed=0)
    assert same_run((err.params, err.history), (params, {"loss": []}))
    with np.errstate(over="ignore", invalid="ignore"):  # lr * dW overflows for some entries
        mlp.gd_step(params, X, y, "relu", 1e300)
    assert all(np.isfinite(v).all() for v in params.values()) and np.abs(params["W2"]).max() > 1e290


def test_the_rule_sees_the_whole_run():
    """Going on from a history, the limit is 100 x the run's first loss, not this call's start: tanh
    at lr 1e3, one epoch per call. Call 1 ends at 50.6 (under 100 x 0.701); call 2 ends at 355, and is
    stopped. A limit from each call's own start (50.6, so 5060) would climb with the loss and never
    stop it. (Each call also judges the loss after its last step, so the pieces stop in epoch 2, one
    epoch before one long run, which sees that same 355 as epoch 3's loss.)"""
    X, y = MOONS_400
    params, history = mlp.train(X, y, [2, 16, 1], "tanh", lr=1e3, epochs=1)
    with pytest.raises(mlp.Diverged, match=r"epoch 2 .*from 0.701 to 355") as stopped:
        mlp.train(X, y, [2, 16, 1], "tanh", lr=1e3, epochs=1, params=params, history=history)
    assert stopped.value.history["loss"][:1] == history["loss"] and stopped.value.epoch == 2
    with pytest.raises(mlp.Diverged, match=r"epoch 3 .*from 0.701 to 355"):
        mlp.train(X, y, [2, 16, 1], "tanh", lr=1e3)


def test_divergence_is_found_by_looking_not_by_flags(monkeypatch):
    """WebAssembly (the live pages) has no floating-point flags: np.errstate can neither raise nor
    warn there. With np.errstate made a no-op and warnings off, as there, lr 1e300 must still stop
    with Diverged and finite params: catches a guard that waits for np.errstate(over="raise")."""
    X, y = datasets.make_moons(200, 0.2, seed=0)
    monkeypatch.setattr(np, "errstate", lambda **flags: contextlib.nullcontext())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(mlp.Diverged) as stopped:
            mlp.train(X, y, [2, 16, 1], "relu", lr=1e300, epochs=3)
    assert all(np.isfinite(v).all() for v in stopped.value.params.values())


def test_a_stopped_run_survives_a_process_pool():
    """The lab runs its experiments in a process pool, which pickles what a worker returns or raises:
    a Diverged must come back with its message, epoch, lr, params and history (an exception whose
    __init__ takes more than the message cannot be unpickled by default)."""
    X, y = MOONS_400
    with pytest.raises(mlp.Diverged) as stopped:
        mlp.train(X, y, [2, 16, 1], "sigmoid", lr=1e3)
    err = stopped.value
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is mlp.Diverged and str(back) == str(err)
    assert (back.epoch, back.lr, back.history) == (err.epoch, err.lr, err.history)
    assert same_run((back.params, back.history), (err.params, err.history))


def test_huge_learning_rate_leaves_the_callers_params_intact():
    """lr = 1e6 on a relu network, from the caller's params: stopped in epoch 2 with advice, and the
    caller's arrays are unchanged (train works on a copy, even when it stops)."""
    X, y = datasets.make_moons(200, 0.2, seed=0)
    start = mlp.init_params([2, 16, 1], "relu", seed=0)
    saved = {k: v.copy() for k, v in start.items()}
    with pytest.raises(mlp.Diverged, match=r"diverged in epoch 2 .*lr=1000000\.0.*smaller learning rate"):
        mlp.train(X, y, [2, 16, 1], "relu", lr=1e6, epochs=200, params=start)
    assert all(np.array_equal(start[k], saved[k]) for k in saved)

"""Tests of the door's fast path (checks.py): it must decide exactly as the full checks do.

A public call is one step of a learner's loop, so the door takes a fast path for the common case (plain
float arrays, 0/1 labels, a plain call) and falls back to the full check for anything else. Each test
runs the same input both ways, with Arguments.fast on and off, and compares what comes out: the same
arguments handed to the maths (same bits, dtype, shape and C order) or the same ValueError, word for
word. A fast path that let a bad input through, rejected a good one, converted differently or changed a
message fails here. The inputs: every bad-input case of test_checks.py, its valid calls and unusual
inputs, and cases made to sit on each edge of the fast path (overflowing squares, read-only, big-endian,
subclassed, non-contiguous, y of shape (1, n), ...). Also here: the binder gives what inspect's
signature.bind gives, or its TypeError; and glibc's memory setting is made on glibc and nowhere else.
"""

import inspect
import subprocess
import sys

import numpy as np
import pytest

import checks
import mlp
import test_checks as tc


def outcome(name, fast, changes):
    """What the door hands to the maths for call(name, **changes), with the fast path on or off:
    {argument: value}, or the ValueError's message."""
    f = tc.FUNCTIONS[name]
    bound = inspect.signature(f).bind(**{**tc.VALID[name](), **changes})
    bound.apply_defaults()
    saved, checks.Arguments.fast = checks.Arguments.fast, fast
    try:
        return checks.Arguments(f.__wrapped__, bound.arguments).check()
    except ValueError as err:
        return str(err)
    finally:
        checks.Arguments.fast = saved


def identical(a, b):
    """a and b are the same to the bit, with the same dtype, shape and C order (arrays inside dicts,
    lists and tuples included)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(identical(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        return (isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape
                and a.flags.c_contiguous == b.flags.c_contiguous
                and a.tobytes() == b.tobytes())
    if isinstance(a, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(map(identical, a, b))
    return type(a) is type(b) and (a == b or a is b)


def bad_cases():
    """Every bad-input case of test_checks.py, as (function, changes)."""
    cases = []
    for arg, make in tc.NON_FINITE.items():
        cases += [(name, {a: make(v)[0]}) for name, a in tc.takes(arg) for v in (np.nan, np.inf)]
    for name, arg in tc.takes(*tc.NON_FINITE):
        for make, _ in tc.NOT_NUMBERS.values():
            value = tc.P if arg == "params" else tc.VALID[name]()[arg]
            if arg in tc.ENTRY:
                bad = {**value, tc.ENTRY[arg]: make(value[tc.ENTRY[arg]])}
            else:
                bad = make(np.asarray(value))
            cases.append((name, {arg: bad}))
    cases += [(name, changes) for name, changes, _ in tc.WRONG_SHAPES + tc.BAD_LABELS + tc.BAD_NETWORKS]
    cases += [(name, {arg: v}) for name, arg in tc.takes(*tc.BAD_SCALARS) for v in tc.BAD_SCALARS[arg][1]]
    cases += [(name, {arg: v}) for name, arg in tc.takes(*tc.BAD_CHOICES) for v in tc.BAD_CHOICES[arg][1]]
    cases += [("train", changes) for changes, _ in tc.BAD_VALIDATION + tc.BAD_HISTORIES]
    cases += [(name, {arg: v}) for name in tc.PUBLIC for arg in tc.VALID[name]() for v in tc.WRONG_TYPES]
    return cases


X, Y, P = tc.X4, tc.Y4, tc.P
BIG = X * 1e200  # finite, but its sum of squares overflows: the full check must decide
EDGES = [  # (function, changes): each sits on one edge of the fast path, valid or not
    ("forward", {"X": BIG}), ("forward", {"X": tc.with_entry(X, 1e155)}),
    ("forward", {"X": tc.with_entry(BIG, np.inf)}), ("forward", {"X": tc.with_entry(BIG, np.nan)}),
    ("forward", {"params": {k: v * 1e200 for k, v in P.items()}}),
    ("forward", {"X": X.astype(np.float32)}), ("forward", {"X": X.astype(">f8")}),
    ("forward", {"X": np.asfortranarray(X)}), ("forward", {"X": tc.STRIDED[::2, ::2]}),
    ("forward", {"X": X.view(type("Sub", (np.ndarray,), {}))}),
    ("forward", {"X": np.broadcast_to(X[:1], (4, 2))}), ("forward", {"X": X[:0]}),
    ("forward", {"X": X[None]}), ("forward", {"X": X[:, :1]}),
    ("forward", {"params": {"b2": P["b2"], "W2": P["W2"], "b1": P["b1"], "W1": P["W1"]}}),
    ("forward", {"params": {**P, "W1": P["W1"].astype(np.float32)}}),
    ("forward", {"params": {**P, "b1": P["b1"].ravel()}}), ("forward", {"params": {**P, "W3": P["W2"]}}),
    ("forward", {"params": {**P, "W2": P["W2"][:2]}}), ("forward", {"params": {"W1": P["W1"]}}),
    ("forward", {"params": {**P, "W1": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]}}),
    ("gd_step", {"params": {**tc.fresh(P), "W2": np.broadcast_to(P["W2"], (3, 1))}}),
    ("train", {"params": P, "sizes": [2, 3, 1]}), ("train", {"params": P, "sizes": [2, 4, 1]}),
    ("backward_two_layer", {"params": tc.P3, "cache": tc.CACHE3}),
    ("loss_and_grads", {"y": Y.ravel()}), ("loss_and_grads", {"y": -0.0 * Y}),
    ("loss_and_grads", {"y": Y.T}), ("loss_and_grads", {"y": Y[:, :, None]}),
    ("loss_and_grads", {"y": np.zeros((1, 1))}), ("loss_and_grads", {"y": np.zeros((4, 1, 1))}),
    ("loss_and_grads", {"y": np.repeat(Y, 2, axis=0)[::2]}), ("loss_and_grads", {"y": Y.astype(np.float32)}),
    ("loss_and_grads", {"y": Y.astype(bool)}), ("loss_and_grads", {"y": Y + 0.5}),
    ("loss_and_grads", {"y": 2 * Y}), ("loss_and_grads", {"y": tc.with_entry(Y, np.nan)}),
    ("loss_and_grads", {"y": tc.with_entry(Y, -np.inf)}), ("loss_and_grads", {"y": tc.with_entry(Y, 1e300)}),
    ("loss_and_grads", {"X": X.astype(np.float32), "y": Y}),
    ("loss_and_grads", {"params": tc.PK, "y": tc.YK}), ("loss_and_grads", {"params": tc.PK, "y": Y}),
    ("cross_entropy", {"y": Y.ravel()}), ("cross_entropy", {"zD": tc.ZD.astype(np.float32)}),
]
VALID_CASES = [(name, {}) for name in tc.PUBLIC] + [("train", tc.ON)] + [
    (name, {"X": X_u, "y": y_u}) for X_u, y_u, _ in tc.UNUSUAL.values()
    for name in ("loss_and_grads", "accuracy", "train")]


@pytest.mark.parametrize(("name", "changes"), bad_cases() + EDGES + VALID_CASES)
def test_fast_and_full_paths_agree(name, changes):
    """The same arguments (to the bit, dtype, shape and C order) or the same message, both ways."""
    fast, full = outcome(name, True, changes), outcome(name, False, changes)
    assert identical(fast, full), (fast, full)


def test_the_fast_path_is_taken():
    """The cases above prove nothing if the fast path never ran: the common call must take it, and so
    hand the caller's own arrays to the maths (the full path would too, but only after converting)."""
    calls = []
    array = checks.Arguments.array
    checks.Arguments.array = lambda self, *args, **kwargs: calls.append(args[1]) or array(self, *args,
                                                                                        **kwargs)
    try:
        args = outcome("loss_and_grads", True, {})
    finally:
        checks.Arguments.array = array
    assert calls == []  # params, X and y each took their own fast path, not the full conversion
    assert args["X"] is X and all(args["params"][k] is P[k] for k in P)


def test_huge_finite_values_pass_quietly():
    """A sum of squares that overflows is the fast path's doubt, not an error: the full check accepts
    the input, with no warning and no FloatingPointError even under np.errstate(all="raise")."""
    with np.errstate(all="raise"):
        y_hat, _ = mlp.forward(P, BIG, "tanh")
    assert np.isfinite(y_hat).all()


def plain_call(a, b, c=3, d=None):
    return None


BIND_CALLS = [  # (args, kwargs): plain ones, and each way a call can be wrong
    ((1, 2), {}), ((1, 2, 4), {}), ((1, 2, 4, 5), {}), ((1,), {"b": 2}), ((), {"b": 2, "a": 1, "d": 0}),
    ((1, 2), {"d": None}), ((1,), {}), ((), {}), ((1, 2, 3, 4, 5), {}), ((1, 2), {"e": 1}),
    ((1, 2), {"a": 1}), ((1,), {"a": 1, "b": 2}), ((1,), {"c": 1}), ((), {"a": 1, "c": 1, "e": 2}),
]


@pytest.mark.parametrize(("args", "kwargs"), BIND_CALLS)
def test_binder_is_signature_bind(args, kwargs):
    """checks.binder(signature)(args, kwargs) gives signature.bind + apply_defaults' {name: value}, or
    its very TypeError (a missing, unknown or doubled argument)."""
    signature = inspect.signature(plain_call)

    def expected():
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return dict(bound.arguments)

    results = []
    for run in (lambda: dict(checks.binder(signature)(args, kwargs)), expected):
        try:
            results.append(run())
        except TypeError as err:
            results.append(str(err))
    assert results[0] == results[1]


def test_positional_and_keyword_calls_give_the_same_bits():
    """The binder maps positions to names: loss_and_grads called positionally, by keywords, or with
    the default activation left out gives the same loss and gradients."""
    calls = [mlp.loss_and_grads(P, X, Y, "relu"), mlp.loss_and_grads(P, X, Y),
             mlp.loss_and_grads(y=Y, X=X, params=P), mlp.loss_and_grads(P, X, activation="relu", y=Y)]
    assert all(tc.same(c, calls[0]) for c in calls[1:])


def test_glibc_keeps_freed_memory_only_where_it_can():
    """checks.py asks glibc's mallopt to keep freed memory (see keep_freed_memory): on this Linux glibc
    it succeeds; on any other platform (Pyodide reports "emscripten") it does nothing and says so.
    (A mallopt that failed on some glibc would be reported False too, and fail the first assert.)"""
    expected = sys.platform.startswith("linux") and "glibc" in (checks.os.confstr("CS_GNU_LIBC_VERSION")
                                                              or "")
    assert checks.KEPT is expected
    code = ("import sys; sys.platform = 'emscripten'; import checks; "
            "assert checks.KEPT is False")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tc.__file__.rsplit("/", 1)[0])

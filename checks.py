"""The door: every argument of a public function is checked once, on the way in.

mlp.py holds only the maths. Each of its public functions (and each dataset
maker) carries `@checked`, which, at the outermost call,

1. binds the call's arguments to the function's parameters;
2. checks each argument by its name, with the rule for that name below
   (`X` is always an input matrix, `y` always labels, `lr` always a step);
3. hands the function clean values: X as a float array, y as targets
   (the 0/1 column for one sigmoid unit, one-hot rows for K classes),
   sizes as a list of ints, parameters as float arrays;
4. runs it with the door open: the calls it makes inside (train -> gd_step
   -> forward) go straight through, unchecked: their arguments were checked.

Bad input raises ValueError naming the function, the argument, what was
expected and what it got. Delete the `@checked` lines from mlp.py and the
maths runs exactly as before, on input you trust: X (n, d) floats, and y
as targets, the (n, 1) column of 0/1 labels or (n, K) one-hot rows. A y of
shape (n,) would broadcast against y_hat (n, 1) to (n, n) without a word.

A learner's own loop pays the door on every step, so the common case is
cheap: arrays that need no conversion (`plain`), 0/1 labels and a plain
call take a fast path of a few NumPy calls; anything else falls back to
the full check and its message (test_door.py runs every bad input both
ways). And because every process that runs mlp.py imports this module, it
also asks glibc to keep freed memory for reuse (`keep_freed_memory`).
"""

import functools
import inspect
import math
import os
import sys
import threading

import numpy as np


def keep_freed_memory(mmap_threshold=32 << 20, trim_threshold=64 << 20):
    """Ask glibc to keep freed memory for reuse: True if it could.

    Not a check, but every process that runs mlp.py imports this module. By
    default glibc hands a freed block back to the system once 128 kB of it
    lie free at the top of its heap. A step at n = 2000 frees (n, h) arrays
    of 256 kB, so the next step asks for them again, and the kernel gives
    and zeroes each 4 kB page anew: 230 to 340 page faults a step, two
    thirds of its time (python bench.py counts the faults). Blocks below
    mmap_threshold now come from the heap, and up to trim_threshold of free
    heap is kept: 32 and 64 MB, glibc's own largest dynamic choice. The
    same bits result; only where memory comes from changes. Elsewhere
    (macOS, Windows, musl, Pyodide in the browser) nothing happens: their
    allocators differ.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        if not (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc"):
            return False
        import ctypes  # only here: glibc's mallopt, from this very process

        mallopt = ctypes.CDLL(None).mallopt
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h
        return bool(mallopt(M_MMAP_THRESHOLD, mmap_threshold)
                    and mallopt(M_TRIM_THRESHOLD, trim_threshold))
    except (ImportError, OSError, ValueError, AttributeError):
        return False


KEPT = keep_freed_memory()  # once, when mlp.py (or any user) imports this


class _Door(threading.local):
    inside = False  # a checked call is running (in this thread)


_door = _Door()
FLOAT64_MAX = float(np.finfo(np.float64).max)  # a Python float: 10**400 > it
FLOATS = (np.dtype(np.float64), np.dtype(np.float32))  # kept as they are


def checked(f):
    """Wrap f so that its arguments are checked once, at the outermost call."""
    signature = inspect.signature(f)
    unknown = set(signature.parameters) - set(Arguments.ORDER)
    if unknown:  # at import time: a new argument name needs a rule first
        raise TypeError(f"@checked {f.__name__}: no rule for {sorted(unknown)}")
    rules = tuple((name, getattr(Arguments, "check_" + name))  # check_X for X
                  for name in Arguments.ORDER if name in signature.parameters)
    bind = binder(signature)

    @functools.wraps(f)
    def door(*args, **kwargs):
        if _door.inside:  # called by a checked function
            return f(*args, **kwargs)
        arguments = Arguments(f, bind(args, kwargs), rules).check()
        _door.inside = True
        try:
            return f(**arguments)
        finally:
            _door.inside = False  # closed again, even after an exception

    return door


def binder(signature):
    """bind(args, kwargs) -> {name: value} for every parameter, defaults
    included: what signature.bind + apply_defaults give, or their TypeError.

    Those two cost 5 us a call; a learner's loop of loss_and_grads calls pays
    them each step. So the names and defaults are read once, here, and a call
    that maps plainly (no name twice, none unknown or missing) is bound by
    them; any other call goes through signature.bind, for its exact error.
    """
    parameters = signature.parameters.values()
    names = tuple(signature.parameters)
    known = frozenset(names)
    defaults = {p.name: p.default for p in parameters
                if p.default is not p.empty}
    simple = all(p.kind is p.POSITIONAL_OR_KEYWORD for p in parameters)

    def bind(args, kwargs):
        if Arguments.fast and simple and len(args) <= len(names) and (
                not kwargs or kwargs.keys() <= known
                and kwargs.keys().isdisjoint(names[:len(args)])):
            arguments = dict(zip(names, args, strict=False))
            arguments.update(kwargs)
            if len(arguments) < len(names):  # the defaults of the rest
                arguments = {**defaults, **arguments}
            if len(arguments) == len(names):  # else one is missing
                return arguments
        bound = signature.bind(*args, **kwargs)  # TypeError, as for any call
        bound.apply_defaults()
        return bound.arguments

    return bind


ndarray, vdot, isfinite = np.ndarray, np.vdot, math.isfinite  # looked up once


def plain(a, ndim=None, finite=True):
    """True if a is already what Arguments.array makes of it, and so passes
    it unchanged: a C-ordered float64 (or float32) ndarray of ndim dimensions
    (any if None), non-empty and finite. False: the full check decides.

    The door's fast path, cheap because a public call is one step of a
    learner's loop: finiteness in one NumPy call, the sum of squares, which
    is NaN if an entry is NaN and inf if one is +-inf (or if it overflows:
    then the full check looks at each entry; vdot raises no overflow warning).
    """
    return (type(a) is ndarray and a.dtype in FLOATS and a.size > 0
            and (ndim is None or a.ndim == ndim) and a.flags.c_contiguous
            and (not finite or isfinite(vdot(a, a))))


@functools.lru_cache(maxsize=64)
def param_keys(n_layers):
    """(("W1", "b1"), ("W2", "b2"), ...) for n_layers, and the set of keys."""
    pairs = tuple((f"W{l}", f"b{l}") for l in range(1, n_layers + 1))
    return pairs, frozenset(key for pair in pairs for key in pair)


def is_integer(value):
    """An int, but not a bool: True is 1 to Python, but epochs=True is not."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


class Arguments:
    """One call's arguments, checked in an order where each rule can use what
    the earlier ones learnt: the network's widths, then n, then the labels."""

    ORDER = ("activation", "init", "sizes", "params", "X", "cache", "zD", "z",
             "y", "X_val", "y_val", "history", "analytic", "a", "b", "tiny",
             "lr", "epochs", "batch_size", "seed", "eps", "n", "noise", "factor")
    OPTIONAL = ("init", "batch_size", "analytic", "history")  # None: the default

    fast = True  # False: every argument takes the full path (for the tests)

    def __init__(self, f, arguments, rules=None):
        self.where, self.args = f.__name__, dict(arguments)
        self.rules = rules or [(name, getattr(Arguments, "check_" + name))
                               for name in self.ORDER if name in self.args]
        self.options = f.__globals__  # ACTIVATIONS, INIT_STD of f's module
        self.widths = None  # [d, n_1, ..., K] once sizes or params are known
        self.n = self.n_from = None  # examples, and the array that set n
        self.dtype = None  # the first array's (X, zD, cache): the targets' too

    def check(self):
        args = self.args
        for name, rule in self.rules:  # in ORDER, as far as f takes them
            if name in args and (args[name] is not None
                                 or name not in self.OPTIONAL):
                args[name] = rule(self, args[name], name)
        return args

    def fail(self, name, expected, got):
        raise ValueError(f"{self.where}: {name} must be {expected}, got {got}")

    # --- choices and numbers ---------------------------------------------

    def choice(self, value, name, options):
        if not (isinstance(value, str) and value in options):
            self.fail(name, f"one of {sorted(options)}", repr(value))
        return value

    def check_activation(self, value, name):
        return self.choice(value, name, self.options["ACTIVATIONS"])

    def check_init(self, value, name):  # None: he for relu, else xavier
        return self.choice(value, name, self.options["INIT_STD"])

    def real(self, value, name, expected, ok):
        """A real number (not a bool or a string), finite in float64 (so not
        NaN, inf or an int such as 10**400), for which ok holds: returned as
        a Python int or float (np.float32(x) <= 1.8e308 would cast 1.8e308 to
        float32, an overflow that warns)."""
        v = (int(value) if is_integer(value) else float(value)
             if isinstance(value, (float, np.floating)) else None)
        if not (v is not None and abs(v) <= FLOAT64_MAX and ok(v)):
            self.fail(name, expected, repr(value))
        return v

    def count(self, value, name, low=1):
        if not (is_integer(value) and value >= low):
            self.fail(name, f"an integer >= {low}", repr(value))
        return int(value)

    def check_lr(self, value, name):
        return self.real(value, name, "a positive finite number", lambda v: v > 0)

    check_eps = check_tiny = check_lr

    def check_noise(self, value, name):
        return self.real(value, name, "a finite number >= 0", lambda v: v >= 0)

    def check_factor(self, value, name):
        return self.real(value, name, "a number in (0, 1)", lambda v: 0 < v < 1)

    def check_epochs(self, value, name):  # a batch_size above n: one batch
        return self.count(value, name)

    check_batch_size = check_n = check_epochs

    def check_seed(self, value, name):  # what np.random.default_rng takes
        return self.count(value, name, low=0)

    # --- arrays ----------------------------------------------------------

    def array(self, value, name, ndim=2, what="2-D"):
        """A finite, non-empty real array of ndim dimensions (any if None),
        C-ordered; float32 stays float32 (see experiments.eps_sweep), the
        rest (int, bool, float16, ...) becomes float64."""
        if self.fast and plain(value, ndim):
            return value  # what the full check below returns: value itself
        try:
            a = np.asarray(value)
        except ValueError:  # nested lists of different lengths
            self.fail(name, "a rectangular array of numbers", "a ragged list")
        if a.dtype.kind not in "biuf":  # bool, int, unsigned int, float
            self.fail(name, "an array of real numbers", f"dtype {a.dtype}")
        if ndim is not None and a.ndim != ndim:
            self.fail(name, what, f"shape {a.shape}")
        if a.size == 0:
            self.fail(name, "non-empty", f"shape {a.shape}")
        if a.dtype not in (np.float32, np.float64):
            a = a.astype(np.float64)
        if not np.isfinite(a).all():
            bad = np.count_nonzero(~np.isfinite(a))
            self.fail(name, "finite", f"{bad} of {a.size} entries NaN or inf")
        return a if a.flags.c_contiguous else a.copy(order="C")  # same bits

    def rows(self, a, name):
        """a has n rows, as the first array set (and its dtype, the targets')."""
        if self.n is None:
            self.n, self.n_from, self.dtype = len(a), name, a.dtype
        elif len(a) != self.n:
            self.fail(f"{name}'s number of rows",
                      f"{self.n}, one per row of {self.n_from}", len(a))
        return a

    def check_X(self, value, name):
        if self.fast and plain(value, 2) and (
                self.widths is None or value.shape[1] == self.widths[0]):
            return self.rows(value, name)  # the common case, as below
        X = self.array(value, name, what="2-D, one row per example "
                       "(one example x: x.reshape(1, -1))")
        if self.widths is not None and X.shape[1] != self.widths[0]:
            self.fail(f"{name}'s number of columns",
                      f"the network's input width {self.widths[0]}",
                      X.shape[1])
        return self.rows(X, name)

    def check_z(self, value, name):  # elementwise, or row by row (n, K)
        rowwise = self.where in ("softmax", "logsumexp")
        return self.array(value, name, 2 if rowwise else None)

    def check_zD(self, value, name):
        zD = self.rows(self.array(value, name), name)
        self.widths = [None, zD.shape[1]]  # K: what y must fit
        return zD

    check_a = check_z  # relative_error(a, b): any shape, b as a

    def check_b(self, value, name):
        b = self.array(value, name, None)
        if b.shape != self.args["a"].shape:
            self.fail("b", f"of a's shape {self.args['a'].shape}", b.shape)
        return b

    # --- the network -----------------------------------------------------

    def check_sizes(self, value, name):
        listed = isinstance(value, (list, tuple)) or (
            isinstance(value, np.ndarray) and value.ndim == 1)
        if not listed or len(value) < 2:
            self.fail("sizes", "a list of two or more layer widths, input "
                      "to output, e.g. [2, 16, 1]", repr(value))
        if not all(is_integer(s) and s >= 1 for s in value):
            self.fail("sizes", "positive integer widths", repr(value))
        self.widths = [int(s) for s in value]
        return self.widths

    def check_params(self, value, name):
        if value is None and self.where == "train":  # start from init_params
            return None
        if self.fast and type(value) is dict:
            params = self.plain_params(value)
            if params is not None:
                return params
        if not isinstance(value, dict):
            self.fail("params", "a dict {'W1': W1, 'b1': b1, ...}",
                      type(value).__name__)
        n_layers = max(1, (len(value) + 1) // 2)
        keys = [f"{p}{l}" for l in range(1, n_layers + 1) for p in "Wb"]
        if set(value) != set(keys):
            self.fail("params' keys", keys, sorted(value, key=str))
        params = {key: self.array(value[key], f"params['{key}']") for key in keys}
        widths = [params["W1"].shape[0]]  # d, then each layer's width
        for l in range(1, n_layers + 1):
            W, b = params[f"W{l}"], params[f"b{l}"]
            if W.shape[0] != widths[-1]:
                self.fail(f"params['W{l}']'s shape",
                          f"({widths[-1]}, d_{l}), after W{l - 1}", W.shape)
            if b.shape != (1, W.shape[1]):
                self.fail(f"params['b{l}']'s shape", (1, W.shape[1]), b.shape)
            widths.append(W.shape[1])
        if self.widths is not None and widths != self.widths:
            self.fail("params' layer widths", f"sizes, {self.widths}", widths)
        if self.where == "backward_two_layer" and n_layers != 2:
            self.fail("params", "a two-layer network", f"{n_layers} layers")
        for key in keys if self.where == "gd_step" else ():  # in place, so
            v, a = value[key], np.asarray(value[key])  # the door must not copy
            if params[key] is not v or not a.flags.writeable:
                self.fail(f"params['{key}']", "a writeable, C-ordered float64 (or "
                          "float32) array, which gd_step updates in place",
                          f"{type(v).__name__} of {a.dtype}, C-ordered "
                          f"{a.flags.c_contiguous}, writeable {a.flags.writeable}")
        self.widths = widths
        return params

    def plain_params(self, value):
        """check_params' result when every rule holds at a glance (each W, b
        plain, the widths chained and as known): a new dict of the same
        arrays, in key order. Else None, and the full check follows."""
        pairs, keys = param_keys(len(value) // 2)
        if not pairs or value.keys() != keys:
            return None
        params, widths = {}, [None]  # d, then each layer's width
        for w, b in pairs:
            W, B = params[w], params[b] = value[w], value[b]
            if not (plain(W, 2, finite=False) and plain(B, 2, finite=False)
                    and B.shape == (1, W.shape[1])
                    and widths[-1] in (None, W.shape[0])):
                return None
            widths[-1:] = W.shape  # [..., d_{l-1}, d_l]
        arrays = params.values()  # finite: all the sums of squares, in C
        if not all(map(isfinite, map(vdot, arrays, arrays))):
            return None
        if self.where == "gd_step" and not all(
                a.flags.writeable for a in arrays):
            return None
        if (self.widths is not None and widths != self.widths) or (
                self.where == "backward_two_layer" and len(pairs) != 2):
            return None
        self.widths = widths
        return params

    def check_cache(self, value, name):
        n_layers = len(self.widths) - 1
        keys = [f"a{l}" for l in range(n_layers + 1)] + [
            f"z{l}" for l in range(1, n_layers + 1)]
        if not isinstance(value, dict) or set(value) != set(keys):
            self.fail("cache", f"forward's cache for this {n_layers}-layer "
                      f"network, with the keys {sorted(keys)}",
                      sorted(value, key=str) if isinstance(value, dict)
                      else type(value).__name__)
        cache = {key: self.array(value[key], f"cache['{key}']") for key in keys}
        self.rows(cache["a0"], "cache['a0']")
        for key in keys:
            shape = (self.n, self.widths[int(key[1:])])
            if cache[key].shape != shape:
                self.fail(f"cache['{key}']'s shape", shape, cache[key].shape)
        return cache

    def check_analytic(self, value, name):  # what backward would return
        n_layers = len(self.widths) - 1
        shapes = {"d" + key: W.shape for key, W in self.args["params"].items()}
        for l in range(1, n_layers + 1):  # dz_l and da_l: (n, d_l); no da_D
            shapes[f"dz{l}"] = (self.n, self.widths[l])
            if l < n_layers:
                shapes[f"da{l}"] = (self.n, self.widths[l])
        if not (isinstance(value, dict) and value and set(value) <= set(shapes)):
            self.fail("analytic", "a non-empty dict of gradients with keys "
                      f"among {sorted(shapes)}", repr(value)[:80])
        grads = {key: self.array(g, f"analytic['{key}']") for key, g in value.items()}
        for key, g in grads.items():
            if g.shape != shapes[key]:
                self.fail(f"analytic['{key}']'s shape", shapes[key], g.shape)
        return grads

    # --- labels ----------------------------------------------------------

    def check_y(self, value, name):
        """Labels (n,) or (n, 1) -> targets (n, K): 0/1 for one sigmoid unit,
        classes 0 .. K-1 (made one-hot) for a softmax over K >= 2."""
        K = self.widths[-1]
        if (self.fast and K == 1 and type(value) is ndarray
                and value.dtype is self.dtype and value.size == self.n
                and 0 < value.ndim <= 2 and value.shape[0] == self.n
                and value.flags.c_contiguous
                and np.count_nonzero(value) == np.count_nonzero(value == 1)):
            return value.reshape(-1, 1)  # each non-zero label is 1: (n, 1)
        y = self.array(value, name, None)
        if y.ndim == 2 and y.shape[1] == K > 1:
            self.fail(name, "class labels of shape (n,) or (n, 1), not one-"
                      f"hot rows (for those, pass {name}.argmax(axis=1))",
                      f"shape {y.shape}")
        if y.ndim not in (1, 2) or y.ndim == 2 and y.shape[1] != 1:
            self.fail(name, "of shape (n,) or (n, 1)", f"shape {y.shape}")
        y = self.rows(y.reshape(-1, 1), name)
        bad = (y != np.round(y)) | (y < 0) | (y > max(K - 1, 1))  # 0/1 if K = 1
        if bad.any():
            self.fail(name, "the labels 0 or 1" if K == 1 else
                      f"integer class labels 0 .. {K - 1}",
                      f"{np.unique(y[bad])[:5].tolist()}")
        if K == 1:
            return y.astype(self.dtype)
        return (y == np.arange(K)).astype(self.dtype)  # one-hot rows (n, K)

    def check_X_val(self, value, name):
        """X_val and y_val, given together, with n rows of their own."""
        y_val = self.args["y_val"]
        if (value is None) != (y_val is None):
            missing = "X_val" if value is None else "y_val"
            self.fail(missing, "given too (validation needs X_val and y_val)",
                      "None")
        if value is None:
            return None
        n, n_from, self.n = self.n, self.n_from, None
        X_val = self.check_X(value, "X_val")
        self.args["y_val"] = self.check_y(y_val, "y_val")
        self.n, self.n_from = n, n_from
        return X_val

    def check_y_val(self, value, name):  # checked with X_val, above
        return value

    def check_history(self, value, name):
        """What train returned with params: lists of finite numbers, one per
        epoch, "loss", and "val_loss", "val_acc" exactly when X_val is given."""
        if self.args["params"] is None:
            self.fail(name, "None when params is None (to go on with a run, "
                      "pass the params and history it returned)",
                      type(value).__name__)
        keys = ["loss"] + (["val_loss", "val_acc"]
                           if self.args["X_val"] is not None else [])
        if not (isinstance(value, dict) and sorted(value) == sorted(keys)):
            self.fail(name, f"a dict of lists with the keys {keys} (the val_ "
                      "lists exactly when X_val is given)",
                      sorted(value, key=str) if isinstance(value, dict)
                      else type(value).__name__)
        lists = {}
        for key in keys:
            try:
                a = lists[key] = np.asarray(value[key])
            except ValueError:  # a ragged list
                a = np.asarray(None)
            if a.ndim != 1 or a.dtype.kind not in "iuf" or not np.isfinite(a).all():
                self.fail(f"{name}['{key}']", "a list of finite numbers",
                          repr(value[key])[:80])
        if len({len(a) for a in lists.values()}) > 1:
            self.fail(f"{name}'s lists", "of one length, an entry per epoch",
                      {key: len(a) for key, a in lists.items()})
        return {key: a.astype(np.float64).tolist() for key, a in lists.items()}

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
   -> loss_and_grads -> forward) go straight through, unchecked, since
   their arguments were checked when they came in.

Bad input raises ValueError naming the function, the argument, what was
expected and what it got. Delete the `@checked` lines from mlp.py and the
maths runs exactly as before, on input you trust.
"""

import functools
import inspect
import threading

import numpy as np

_door = threading.local()  # _door.inside: a checked call is running


def checked(f):
    """Wrap f so that its arguments are checked once, at the outermost call."""
    signature = inspect.signature(f)

    @functools.wraps(f)
    def door(*args, **kwargs):
        if getattr(_door, "inside", False):
            return f(*args, **kwargs)
        bound = signature.bind(*args, **kwargs)  # TypeError, as for any call
        bound.apply_defaults()
        arguments = Arguments(f, bound.arguments).check()
        _door.inside = True
        try:
            return f(**arguments)
        finally:
            _door.inside = False

    return door


class Arguments:
    """One call's arguments, checked in an order where each rule can use what
    the earlier ones learnt: the network's widths, then n, then the labels."""

    ORDER = ("activation", "init", "sizes", "params", "X", "cache", "zL", "z",
             "y", "X_val", "y_val", "analytic", "a", "b", "tiny", "lr",
             "epochs", "batch_size", "seed", "eps", "n", "noise", "factor")

    def __init__(self, f, arguments):
        self.f, self.args, self.where = f, dict(arguments), f.__name__
        self.options = f.__globals__  # ACTIVATIONS, INIT_STD of f's module
        self.widths = None  # [d, n_1, ..., K] once sizes or params are known
        self.n = None  # number of examples, once X, cache or zL is known
        self.dtype = np.float64  # of the first input array (X, cache, zL)
        unknown = set(self.args) - set(self.ORDER)
        assert not unknown, f"{self.where}: no rule for {unknown}"

    def check(self):
        for name in self.ORDER:
            if name in self.args:
                self.args[name] = getattr(self, "check_" + name)(
                    self.args[name])
        return self.args

    def fail(self, name, expected, got):
        raise ValueError(f"{self.where}: {name} must be {expected}, got {got}")

    # --- choices and numbers ---------------------------------------------

    def choice(self, name, value, options):
        if not (isinstance(value, str) and value in options):
            self.fail(name, f"one of {sorted(options)}", repr(value))
        return value

    def check_activation(self, value):
        return self.choice("activation", value, self.options["ACTIVATIONS"])

    def check_init(self, value):
        if value is None:
            return None
        return self.choice("init", value, self.options["INIT_STD"])

    def real(self, name, value, expected, low=-np.inf, strict=False):
        ok = (isinstance(value, (int, float, np.integer, np.floating))
              and not isinstance(value, (bool, np.bool_))
              and np.isfinite(value)
              and (value > low if strict else value >= low))
        if not ok:
            self.fail(name, expected, repr(value))
        return value

    def positive(self, name, value):
        return self.real(name, value, "a positive finite number", 0, True)

    def count(self, name, value, low=1):
        if (not isinstance(value, (int, np.integer))
                or isinstance(value, (bool, np.bool_)) or value < low):
            self.fail(name, f"an integer >= {low}", repr(value))
        return int(value)

    def check_lr(self, value):
        return self.positive("lr", value)

    def check_eps(self, value):
        return self.positive("eps", value)

    def check_tiny(self, value):
        return self.positive("tiny", value)

    def check_epochs(self, value):
        return self.count("epochs", value)

    def check_batch_size(self, value):  # above n means one full batch
        return None if value is None else self.count("batch_size", value)

    def check_seed(self, value):  # what np.random.default_rng takes
        return self.count("seed", value, low=0)

    def check_n(self, value):
        return self.count("n", value)

    def check_noise(self, value):
        return self.real("noise", value, "a finite number >= 0", 0)

    def check_factor(self, value):
        if not 0 < self.real("factor", value, "in (0, 1)", 0, True) < 1:
            self.fail("factor", "in (0, 1)", repr(value))
        return value

    # --- arrays ----------------------------------------------------------

    def array(self, name, value, ndim=2):
        """A finite real array of ndim dimensions (any if None), not empty;
        float32 stays float32 (see experiments.eps_sweep), the rest float64."""
        try:
            a = np.asarray(value)
        except ValueError as err:  # ragged nested lists
            self.fail(name, "a rectangular array of numbers", f"{err}")
        if a.dtype.kind not in "biuf":
            self.fail(name, "real numbers", f"dtype {a.dtype}")
        if ndim is not None and a.ndim != ndim:
            self.fail(name, f"{ndim}-D", f"shape {a.shape}")
        if a.size == 0:
            self.fail(name, "non-empty", f"shape {a.shape}")
        if not np.isfinite(a).all():
            self.fail(name, "finite (no NaN or inf)",
                      f"{np.count_nonzero(~np.isfinite(a))} such entries")
        return a if a.dtype in (np.float32, np.float64) else a.astype(float)

    def rows(self, name, a):
        """a has n rows, where n is what the earlier arguments set."""
        if self.n is None:
            self.n = len(a)
        elif len(a) != self.n:
            self.fail(f"{name}'s number of rows", f"{self.n}, one per example",
                      len(a))
        return a

    def check_X(self, value, name="X"):
        X = self.array(name, value)
        if self.widths is not None and X.shape[1] != self.widths[0]:
            self.fail(f"{name}'s number of columns",
                      f"the network's input width {self.widths[0]}",
                      X.shape[1])
        if name == "X":
            self.dtype = X.dtype
        return self.rows(name, X)

    def check_z(self, value):
        return self.array("z", value, None if self.where in (
            "sigmoid", "relu", "tanh", "softplus") else 2)

    def check_zL(self, value):
        zL = self.rows("zL", self.array("zL", value))
        self.widths, self.dtype = [None, zL.shape[1]], zL.dtype
        return zL

    def check_a(self, value):
        return self.array("a", value, None)

    def check_b(self, value):
        b = self.array("b", value, None)
        if b.shape != self.args["a"].shape:
            self.fail("b", f"the shape of a, {self.args['a'].shape}", b.shape)
        return b

    # --- the network -----------------------------------------------------

    def check_sizes(self, value):
        sizes = np.asarray(value) if isinstance(value, (list, tuple,
                                                        np.ndarray)) else None
        if sizes is None or sizes.ndim != 1 or len(sizes) < 2:
            self.fail("sizes", "a list of two or more layer widths, input "
                      "to output, e.g. [2, 16, 1]", repr(value))
        if (sizes.dtype.kind not in "iu" or (sizes < 1).any()
                or any(isinstance(s, bool) for s in value)):
            self.fail("sizes", "positive integer widths", repr(value))
        self.widths = [int(s) for s in sizes]
        return self.widths

    def check_params(self, value):
        if value is None and "sizes" in self.args:  # train: start afresh
            return None
        if not isinstance(value, dict) or len(value) < 2:
            self.fail("params", "a dict {'W1': ..., 'b1': ..., ...}",
                      type(value).__name__)
        n_layers = (len(value) + 1) // 2
        keys = [f"{p}{l}" for l in range(1, n_layers + 1) for p in "Wb"]
        if sorted(value) != sorted(keys):
            self.fail("params' keys", keys, sorted(value))
        params, widths = {}, [None]
        for l in range(1, n_layers + 1):
            W = params[f"W{l}"] = self.array(f"params['W{l}']", value[f"W{l}"])
            b = params[f"b{l}"] = self.array(f"params['b{l}']", value[f"b{l}"])
            if l > 1 and W.shape[0] != widths[-1]:
                self.fail(f"params['W{l}']'s shape", f"({widths[-1]}, n_{l})",
                          W.shape)
            if b.shape != (1, W.shape[1]):
                self.fail(f"params['b{l}']'s shape", f"(1, {W.shape[1]})",
                          b.shape)
            widths[0] = widths[0] or W.shape[0]
            widths.append(W.shape[1])
        if self.widths is not None and widths != self.widths:
            self.fail("params' layer widths", f"sizes, {self.widths}", widths)
        if self.where == "backward_two_layer" and n_layers != 2:
            self.fail("params", "a two-layer network", f"{n_layers} layers")
        self.widths = widths
        return params

    def check_cache(self, value):
        n_layers = len(self.widths) - 1
        keys = [f"a{l}" for l in range(n_layers + 1)] + [
            f"z{l}" for l in range(1, n_layers + 1)]
        if not isinstance(value, dict) or sorted(value) != sorted(keys):
            got = sorted(value) if isinstance(value, dict) else type(value)
            self.fail("cache", f"forward's cache for this {n_layers}-layer "
                      f"network, with the keys {keys}", got)
        cache = {key: self.array(f"cache['{key}']", value[key])
                 for key in keys}
        self.rows("cache['a0']", cache["a0"])
        self.dtype = cache["a0"].dtype
        for key in keys:
            width = self.widths[int(key[1:])]
            if cache[key].shape != (self.n, width):
                self.fail(f"cache['{key}']'s shape", f"({self.n}, {width})",
                          cache[key].shape)
        return cache

    def check_analytic(self, value):
        if value is None:
            return None
        shapes = {}
        for l in range(1, len(self.widths)):
            shapes.update({f"dW{l}": (self.widths[l - 1], self.widths[l]),
                           f"db{l}": (1, self.widths[l]),
                           f"dz{l}": (self.n, self.widths[l])})
            if l > 1:
                shapes[f"da{l - 1}"] = (self.n, self.widths[l - 1])
        if not isinstance(value, dict) or not set(value) <= set(shapes):
            self.fail("analytic", f"a dict of gradients with keys among "
                      f"{sorted(shapes)}", repr(value)[:80])
        grads = {key: self.array(f"analytic['{key}']", g)
                 for key, g in value.items()}
        for key, g in grads.items():
            if g.shape != shapes[key]:
                self.fail(f"analytic['{key}']'s shape", shapes[key], g.shape)
        return grads

    # --- labels ----------------------------------------------------------

    def check_y(self, value, name="y"):
        """Labels (n,) or (n, 1) -> targets (n, K): 0/1 for one sigmoid unit,
        classes 0 .. K-1 (made one-hot) for a softmax over K >= 2."""
        K = self.widths[-1]
        y = self.array(name, value, None)
        if y.ndim == 2 and y.shape[1] == K > 1:
            self.fail(name, "class labels of shape (n,) or (n, 1), not one-"
                      f"hot rows (for those, pass {name}.argmax(axis=1))",
                      f"shape {y.shape}")
        if y.ndim not in (1, 2) or y.ndim == 2 and y.shape[1] != 1:
            self.fail(name, "of shape (n,) or (n, 1)", f"shape {y.shape}")
        y = self.rows(name, y.reshape(-1, 1))
        bad = ~np.isin(y, range(max(K, 2)))  # 0 or 1 for one sigmoid unit
        if bad.any():
            self.fail(name, "the labels 0 or 1" if K == 1 else
                      f"integer class labels 0 .. {K - 1}",
                      f"{np.unique(y[bad])[:5].tolist()}")
        if K == 1:
            return y.astype(self.dtype)
        return (y == np.arange(K)).astype(self.dtype)  # one-hot rows (n, K)

    def check_X_val(self, value):
        if (value is None) != (self.args.get("y_val") is None):
            missing = "X_val" if value is None else "y_val"
            self.fail(missing, "given too (validation needs X_val and y_val)",
                      "None")
        if value is None:
            return None
        n, self.n = self.n, None  # X_val has a number of rows of its own
        X_val = self.check_X(value, "X_val")
        self.y_val_rows, self.n = self.n, n
        return X_val

    def check_y_val(self, value):
        if value is None:
            return None
        n, self.n = self.n, self.y_val_rows
        y_val = self.check_y(value, "y_val")
        self.n = n
        return y_val

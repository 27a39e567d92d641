"""Speed of one gradient-descent step of mlp.py: against the textbook step, and against this machine's floor.

Run: python bench.py   (about 25 s on a quiet machine; nothing is written to disk)

Part 1, side by side. The reference is the textbook step written the way tutorials do (`textbook_step`
below): a naive 1 / (1 + np.exp(-z)) sigmoid, no input checks, the loss from a clipped y_hat, and the
same forward, backward and update maths as mlp.py. Both run on [2, 16, 1] (sigmoid and relu hidden
units) at n = 200 and n = 2000, full batch, float64. The textbook is written flat, for two layers,
the fastest way tutorials write it; mlp.py's step is the general one (any depth, a named cache).

How mlp.py's step is timed, fairly. Its checks run once per public call, at the outermost level
(checks.py's door); inside `train` the steps run unchecked. So the step is timed as train runs it:
    mlp.train per epoch = (wall time of mlp.train(..., epochs=E) - 2 x wall time of mlp.compute_loss) / E
train computes the loss once before the first epoch and once after the last: those two are
subtracted, timed as two public compute_loss calls. What is left of train's fixed cost (its own door
and the copy of the parameters, less the two compute_loss doors subtracted with them) is below 1 us
an epoch at the E used here. Every epoch, train still records the loss and passes each nested call
through the open door: those stay in, since train pays them. The
textbook runs the same E epochs in a plain Python loop. A third column times E public mlp.gd_step
calls in a loop, each of which pays the door once: the difference is the door's cost.

Each repetition times the three one after the other, in alternating
order, from the same starting parameters; the table shows medians over the repetitions, and ratio =
median of the per-repetition ratios mlp / textbook (so a neighbour's burst slows both sides alike).

Part 2, what mlp.py has that the textbook lacks, measured on the spot: an error or warning for large
finite logits (under np.errstate(all="raise")), the loss of a confident mistake, and bad inputs; and
the one place where the textbook's sigmoid is the more precise (where sigma(z) < 1e-16).

Part 3, the floor. For each network (relu hidden layers, sigmoid output, float64, full batch of n
random examples) it compares mlp's step as train runs it (median per epoch, as above) with a floor
measured in the same run:

    floor = max(compute floor, memory floor)
    compute floor = matmul FLOPs of the step / FLOP rate of a large float64 matmul on this machine
    memory floor  = bytes the step must move / copy bandwidth of a large array on this machine

FLOPs (counted exactly, matmuls only; the element-wise work is a few FLOPs per byte moved and is
covered by the memory floor). Layer l maps n_{l-1} -> n_l, with a_0 = X of shape (n, n_0):
    forward   z_l = a_{l-1} @ W_l             2 n n_{l-1} n_l
    backward  dW_l = a_{l-1}.T @ dz_l         2 n n_{l-1} n_l
              da_{l-1} = dz_l @ W_l.T         2 n n_{l-1} n_l   (not for l = 1: X needs no gradient)

Bytes (8 per float64 element). The textbook algorithm that mlp.py implements materialises these
arrays; each is counted once for every direction it must cross, and nothing more:
    X (n, n_0) and y (n, n_L)                  read once
    z_l, a_l (n, n_l), l = 1..L                written in the forward, read once (by the next layer,
                                               the loss or the backward)
    dz_l (n, n_l), l = 1..L                    written once, read once (by dW_l, db_l, da_{l-1})
    da_l (n, n_l), l = 1..L-1                  written once, read once (by dz_l = da_l * f'(z_l))
    every W_l, b_l                             read once, written once (the update)
    every gradient dW_l, db_l                  written once
Why it is a lower bound for this algorithm: the real code moves more -- it reads a_{l-1} twice (forward
matmul and dW_l), W_l twice, z_l twice (activation and f'), makes temporaries (the broadcast bias add,
the relu mask, lr * grad), and a matmul reads its operands more than once. None of that is counted.
The memory floor also assumes DRAM speed: it is a true floor only when the arrays do not fit in the
caches (the 2-256-256-1 case, whose (n, 256) arrays are 41 MB each). For the two small cases
everything stays in cache and the step is dominated by the fixed cost of each NumPy call
(microseconds), which no floor here models: their ratio measures overhead, not bandwidth.

Machine rates, measured at the start and again before part 3, ten-odd seconds apart (the best of
several runs in each, and the better of the two, so that the floor is as low as possible):
    copy bandwidth  np.copyto(dst, src) on 200 MB float64 arrays, counting 2 x 200 MB (read + write)
    FLOP rate       2048 x 2048 @ 2048 x 2048 float64 matmul (OpenBLAS, all cores), 2 * 2048^3 FLOPs
The step's matmuls use all cores through OpenBLAS too; its element-wise NumPy operations use one core,
as does np.copyto. The header names the OpenBLAS kernel in use and the two variables that can force
another one (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE): a forced older kernel lowers the matmul rate, and
so both the floor and the measured step.

Not in either floor: the fixed cost of each NumPy call, and the kernel's cost of handing out fresh
zeroed pages when a new array is allocated (glibc gives large freed blocks back to the OS). The
`faults` columns count those pages (minor page faults) in one step. The last row, marked *, times
the largest case again after mallopt has told glibc to keep freed memory for reuse (as the
environment variables MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_ would): the difference
between the two rows is what the fresh pages cost.

The column `others` is the CPU time other processes used while a case was timed, in CPUs. This
machine has 2 cores: any other busy process stalls the two-thread OpenBLAS matmuls, so a run with
others above ~0.1 measures the neighbours, not mlp.py, and the script says so at the end.
"""

import ctypes
import gc
import glob
import math
import os
import resource
import statistics
import time

import numpy as np

import mlp

SIDE_BY_SIDE = [  # (hidden activation, n) on [2, 16, 1]
    ("sigmoid", 200), ("sigmoid", 2000), ("relu", 200), ("relu", 2000),
]
SIDE_SIZES = [2, 16, 1]
SIDE_BUDGET_S = 1.6  # seconds per side-by-side case

CASES = [  # (layer sizes, batch size n): small, medium, large
    ([2, 16, 1], 200),
    ([2, 64, 64, 1], 2000),
    ([2, 256, 256, 1], 20000),
]
ACTIVATION = "relu"
LR = 0.01  # small, so that thousands of steps on random labels stay finite; it does not affect the time
FLOOR_BUDGET_S = 1.5  # seconds per floor case
MIN_REPEATS = 5
BLOCK_S = 0.02  # each timed block (E epochs) lasts about this long, E >= 1


# --- The reference: the textbook step, as tutorials write it --------------------------------------

def textbook_sigmoid(z):
    return 1 / (1 + np.exp(-z))  # overflows in exp(-z) for z < -709


def textbook_loss(y_hat, y):
    y_hat = np.clip(y_hat, 1e-15, 1 - 1e-15)  # so that log never sees 0
    return -np.mean(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))


def textbook_step(params, X, y, activation, lr):
    """One gradient step on [d, h, 1]: forward, loss, the seven backward steps, update. Returns L."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    n = len(X)
    z1 = X @ W1 + b1
    a1 = textbook_sigmoid(z1) if activation == "sigmoid" else np.maximum(z1, 0)
    z2 = a1 @ W2 + b2
    y_hat = textbook_sigmoid(z2)
    loss = textbook_loss(y_hat, y)
    dz2 = y_hat - y
    dW2 = a1.T @ dz2 / n
    db2 = np.sum(dz2, axis=0, keepdims=True) / n
    da1 = dz2 @ W2.T
    dz1 = da1 * (a1 * (1 - a1) if activation == "sigmoid" else (z1 > 0))
    dW1 = X.T @ dz1 / n
    db1 = np.sum(dz1, axis=0, keepdims=True) / n
    W1 -= lr * dW1
    b1 -= lr * db1
    W2 -= lr * dW2
    b2 -= lr * db2
    return loss


def textbook_train(params, X, y, activation, lr, epochs):
    for _ in range(epochs):
        textbook_step(params, X, y, activation, lr)


# --- Timing ----------------------------------------------------------------------------------------

def problem(sizes, n, activation, seed=0):
    """X (n, d) standard normal, y (n, 1) random 0.0/1.0 labels, mlp's initial parameters."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, sizes[0]))
    y = (rng.random((n, 1)) < 0.5).astype(np.float64)
    return X, y, mlp.init_params(sizes, activation, seed=seed)


def copy_of(params):
    return {key: value.copy() for key, value in params.items()}


def timed(fn):
    """Seconds of one call of fn()."""
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


class Timings:
    """Named lists of per-repetition timings, and their medians."""

    def __init__(self):
        self.runs = {}

    def add(self, name, seconds):
        self.runs.setdefault(name, []).append(seconds)

    def median(self, name):
        return statistics.median(self.runs[name])


def epochs_for(seconds_per_epoch):
    """Epochs per timed block: a block of about BLOCK_S, at least 1 epoch."""
    return max(1, round(BLOCK_S / seconds_per_epoch))


def mlp_epoch_seconds(X, y, sizes, activation, params, epochs):
    """Wall time of mlp.train(epochs) minus its two extra losses (start and end), per epoch."""
    train = timed(lambda: mlp.train(X, y, sizes, activation, lr=LR, epochs=epochs, params=params))
    loss = timed(lambda: mlp.compute_loss(params, X, y, activation))
    return (train - 2 * loss) / epochs


def public_steps(params, X, y, activation, epochs):
    """E public mlp.gd_step calls in a loop, as a learner's own training loop would make them."""
    for _ in range(epochs):
        mlp.gd_step(params, X, y, activation, LR)


def repeat(budget_s, run):
    """Call run(rep) for rep = 0, 1, ... until budget_s has passed (at least MIN_REPEATS times).

    Returns (repetitions, CPUs used by other processes meanwhile). As timeit does, no garbage
    collector pauses inside the timed blocks.
    """
    deadline, rep = time.perf_counter() + budget_s, 0
    gc.disable()
    try:
        with OtherLoad() as others:
            while rep < MIN_REPEATS or time.perf_counter() < deadline:
                run(rep)
                rep += 1
    finally:
        gc.enable()
    return rep, others.cpus


def side_by_side(activation, n):
    """({name: median seconds} for textbook, mlp, gd_step, and the median ratio mlp / textbook,
    epochs per block, repetitions, CPUs used by others, max |parameter difference| after one step)."""
    X, y, params = problem(SIDE_SIZES, n, activation)
    theirs, mine = copy_of(params), copy_of(params)
    textbook_step(theirs, X, y, activation, LR)
    mlp.gd_step(mine, X, y, activation, LR)
    same = max(float(np.abs(theirs[key] - mine[key]).max()) for key in params)  # the same maths?
    textbook_train(copy_of(params), X, y, activation, LR, 20)  # warm-up: caches, OpenBLAS threads
    mlp.train(X, y, SIDE_SIZES, activation, lr=LR, epochs=20, params=params)
    epochs = epochs_for(timed(lambda: textbook_train(copy_of(params), X, y, activation, LR, 20)) / 20)
    t = Timings()

    def run(rep):
        theirs, mine = copy_of(params), copy_of(params)
        runs = [
            ("textbook", lambda: timed(lambda: textbook_train(theirs, X, y, activation, LR, epochs))
             / epochs),
            ("mlp", lambda: mlp_epoch_seconds(X, y, SIDE_SIZES, activation, params, epochs)),
            ("gd_step", lambda: timed(lambda: public_steps(mine, X, y, activation, epochs)) / epochs),
        ]
        for name, seconds in runs[::-1] if rep % 2 else runs:  # alternate the order
            t.add(name, seconds())
        t.add("ratio", t.runs["mlp"][-1] / t.runs["textbook"][-1])

    repeats, others = repeat(SIDE_BUDGET_S, run)
    return {name: t.median(name) for name in t.runs}, epochs, repeats, others, same


def floor_case(sizes, n):
    """(median seconds per epoch of mlp.train, epochs per block, repetitions, CPUs used by others)."""
    X, y, params = problem(sizes, n, ACTIVATION)
    mlp.train(X, y, sizes, ACTIVATION, lr=LR, epochs=2, params=params)  # warm-up: page faults, threads
    epochs = epochs_for(timed(lambda: mlp.train(X, y, sizes, ACTIVATION, lr=LR, epochs=3,
                                                params=params)) / 3)  # over-estimate: fine
    times = []
    repeats, others = repeat(FLOOR_BUDGET_S, lambda rep: times.append(
        mlp_epoch_seconds(X, y, sizes, ACTIVATION, params, epochs)))
    return statistics.median(times), epochs, repeats, others


# --- The floor: this machine's rates ---------------------------------------------------------------

def step_flops(sizes, n):
    """Matmul FLOPs of one step: forward + dW for every layer, + da_{l-1} for l >= 2."""
    flops = 0
    for l in range(1, len(sizes)):
        per_matmul = 2 * n * sizes[l - 1] * sizes[l]
        flops += per_matmul * (2 if l == 1 else 3)
    return flops


def step_bytes(sizes, n, itemsize=8):
    """Minimal bytes one step moves (see the module docstring for what is counted and why)."""
    L = len(sizes) - 1
    n_params = sum(sizes[l - 1] * sizes[l] + sizes[l] for l in range(1, L + 1))  # all W_l and b_l
    elements = n * sizes[0] + n * sizes[L]  # X and y, read once
    for l in range(1, L + 1):
        elements += 2 * n * sizes[l]  # z_l: written, read
        elements += 2 * n * sizes[l]  # a_l: written, read
        elements += 2 * n * sizes[l]  # dz_l: written, read
        if l < L:
            elements += 2 * n * sizes[l]  # da_l: written, read (the output layer has dz_L directly)
    elements += 2 * n_params  # parameters: read, written by the update
    elements += n_params  # gradients: written
    return elements * itemsize


def best_time(fn, repeats):
    """Shortest of `repeats` calls of fn() (after one untimed call), in seconds."""
    fn()
    return min(timed(fn) for _ in range(repeats))


def copy_bandwidth(nbytes=200_000_000, repeats=10):
    """Bytes per second of np.copyto on large float64 arrays, counting the read and the write."""
    src = np.full(nbytes // 8, 1.0)
    dst = np.empty_like(src)
    t = best_time(lambda: np.copyto(dst, src), repeats)
    return 2 * src.nbytes / t


def matmul_rate(size=2048, repeats=5):
    """FLOP per second of a large square float64 matmul (2 size^3 FLOPs)."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((size, size))
    B = rng.standard_normal((size, size))
    C = np.empty((size, size))
    t = best_time(lambda: np.matmul(A, B, out=C), repeats)
    return 2 * size**3 / t


def openblas_kernel():
    """The kernel OpenBLAS chose (or was told to use), from the library NumPy loaded; '?' if unknown."""
    for path in glob.glob(os.path.join(os.path.dirname(np.__file__) + ".libs", "*openblas*")):
        try:
            lib = ctypes.CDLL(path)  # the library NumPy already loaded: the same handle
        except OSError:
            continue
        for symbol in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename",
                       "openblas_get_corename64_", "openblas_get_corename"):
            if hasattr(lib, symbol):
                getter = getattr(lib, symbol)
                getter.restype = ctypes.c_char_p
                return getter().decode()
    return "?"


class OtherLoad:
    """CPU time used by other processes while the block runs, in CPUs (0.0 = quiet, 2.0 = both cores).

    All CPUs' busy time (from /proc/stat) minus this process's own user + system time, per second of
    wall time. Linux only; elsewhere the value is nan.
    """

    @staticmethod
    def _busy_and_own():
        with open("/proc/stat") as f:
            ticks = [int(x) for x in f.readline().split()[1:]]  # user nice system idle iowait irq softirq ...
        busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # all CPUs' busy seconds
        own = resource.getrusage(resource.RUSAGE_SELF)
        return busy, own.ru_utime + own.ru_stime

    def __enter__(self):
        self.cpus = math.nan
        try:
            self._start = self._busy_and_own()
        except OSError:
            self._start = None
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        if self._start is not None:
            busy, own = self._busy_and_own()
            other = (busy - self._start[0]) - (own - self._start[1])
            self.cpus = max(other, 0.0) / (time.perf_counter() - self._t0)


# --- What the textbook step lacks, measured ---------------------------------------------------------

def outcome(fn, *args):
    """What fn(*args) does: the loss it returns, or the first words of the error it raises."""
    try:
        value = fn(*args)
    except Exception as err:  # noqa: BLE001 (reported, not handled)
        return f"{type(err).__name__}: {str(err)[:70]}"
    return value if isinstance(value, str) else f"no error, L = {value:.4g}"


def huge_logits(activation):
    """A [2, 16, 1] problem whose output logits z2 (and, for sigmoid units, z1) are about +-1e3."""
    X, y, params = problem(SIDE_SIZES, 8, activation)
    if activation == "sigmoid":
        params["W1"] *= 1e3 / np.abs(X @ params["W1"]).mean()
    a1 = mlp.forward(params, X, activation)[1]["a1"]
    z2 = a1 @ params["W2"]
    params["W2"] *= 1e3 / z2.std()
    params["b2"] -= 1e3 * z2.mean() / z2.std()  # centred: z2 of both signs
    return X, y, params


def textbook_outcome(params, X, y, activation, lr):
    """The textbook step on these inputs: its loss (and NaN weights, if any), or its error."""
    def run():
        theirs = copy_of(params)
        loss = textbook_step(theirs, X, y, activation, lr)
        nan = sum(int(np.isnan(v).sum()) for v in theirs.values())
        return f"no error, L = {loss:.4g}" + (f", and {nan} NaN weights" if nan else "")
    return outcome(run)


def properties():
    """(what, textbook, mlp.py) rows, each measured by running both on the same input."""
    rows = []
    for activation in ("sigmoid", "relu"):
        X, y, params = huge_logits(activation)
        z = mlp.forward(params, X, activation)[1]
        what = (f"a {activation} step on logits z2 in [{z['z2'].min():.0f}, {z['z2'].max():.0f}]"
                + (f", z1 in [{z['z1'].min():.0f}, {z['z1'].max():.0f}]" if activation == "sigmoid" else "")
                + ', under np.errstate(all="raise")')
        with np.errstate(all="raise"):
            rows.append((what, textbook_outcome(params, X, y, activation, LR),
                         outcome(mlp.gd_step, copy_of(params), X, y, activation, LR)))
    logits = (40.0, 1e3, 1e6)
    rows.append(("the loss of one confident mistake, y = 0, at z = " + " / ".join(f"{z:g}" for z in logits),
                 " / ".join(f"{textbook_loss(textbook_sigmoid(np.array([[z]])), np.zeros((1, 1))):.4g}"
                            for z in logits) + " (-log(1e-15), the clip)",
                 " / ".join(f"{mlp.cross_entropy(np.array([[z]]), [0]):.4g}" for z in logits)
                 + " (softplus(z), about z)"))
    rows.append(("sigma(-40) = 4.248e-18 (where the textbook is more precise)",
                 f"{textbook_sigmoid(-40.0):.4g}: relative precision",
                 f"{mlp.sigmoid(np.array([-40.0]))[0]:.4g}: absolute precision ~1e-16 (the loss uses z, "
                 "not sigma)"))
    X, y, params = problem(SIDE_SIZES, 200, "relu")
    flat = y.ravel()
    y_hat = textbook_sigmoid(mlp.forward(params, X, "relu")[1]["z2"])
    rows.append(("a step with y of shape (n,), not (n, 1)",
                 f"its loss {textbook_loss(y_hat, flat):.4f} (right: {textbook_loss(y_hat, y):.4f}) "
                 "is the mean of an (n, n) broadcast; then "
                 + textbook_outcome(params, X, flat, "relu", LR),
                 outcome(mlp.gd_step, copy_of(params), X, flat, "relu", LR)
                 + " (the door makes (n,) labels the (n, 1) column)"))
    bad = {  # what -> (X, y, lr)
        "a step with labels -1 / +1": (X, 2 * y - 1, LR),
        "a step with one NaN row in X": (np.where(np.arange(len(X))[:, None] == 7, np.nan, X), y, LR),
        "a step with X of 3 columns": (np.hstack([X, X[:, :1]]), y, LR),
        "a step with lr = -4 (gradient ascent)": (X, y, -4.0),
    }
    for what, (X_bad, y_bad, lr) in bad.items():
        with np.errstate(all="ignore"):
            rows.append((what, textbook_outcome(params, X_bad, y_bad, "relu", lr),
                         outcome(mlp.gd_step, copy_of(params), X_bad, y_bad, "relu", lr)))
    return rows


# --- Printing ---------------------------------------------------------------------------------------

def fmt_time(seconds):
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def fmt_count(x):
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= scale:
            return f"{x / scale:.2f} {unit}"
    return f"{x:.0f} "


def table(header, rows):
    """Print rows of strings under a header of (name, width) pairs; negative width = left-aligned."""
    line = "".join(f"{name:<{-w}}" if w < 0 else f"{name:>{w}}" for name, w in header)
    print(line)
    print("-" * len(line))
    for row in rows:
        print("".join(f"{v:<{-w}}" if w < 0 else f"{v:>{w}}" for v, (_, w) in zip(row, header, strict=True)))


def machine_rates():
    """(copy bandwidth, matmul rate, CPUs used by others meanwhile)."""
    with OtherLoad() as others:
        bandwidth, flop_rate = copy_bandwidth(), matmul_rate()
    return bandwidth, flop_rate, others.cpus


def minor_faults(fn):
    """Minor page faults during fn(): fresh pages the kernel had to hand out (and zero)."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    fn()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def step_faults(step, sizes, n, activation):
    """Minor page faults of the third of three steps (the first two warm the allocator up)."""
    X, y, params = problem(sizes, n, activation)
    for _ in range(2):
        step(params, X, y, activation, LR)
    return minor_faults(lambda: step(params, X, y, activation, LR))


def keep_freed_memory():
    """Ask glibc to keep freed blocks for reuse instead of returning them to the kernel: True if it
    could (glibc's mallopt; elsewhere False). What MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_
    in the environment do, from here on in this process."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # from glibc's malloc.h
        return bool(libc.mallopt(M_MMAP_THRESHOLD, 1 << 30) and libc.mallopt(M_TRIM_THRESHOLD, 1 << 30))
    except (OSError, AttributeError):
        return False


def main():
    coretype = {k: os.environ.get(k, "unset") for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    print(f"numpy {np.__version__}, {os.cpu_count()} CPUs, float64, full batch; OpenBLAS kernel "
          f"{openblas_kernel()} (" + ", ".join(f"{k}={v}" for k, v in coretype.items()) + ")")
    first_rates = machine_rates()  # and again before part 3: the floor uses the better of the two
    busiest = first_rates[2]

    print(f"\n1. One step on {SIDE_SIZES}: mlp.py against the textbook step "
          "(naive sigmoid, no checks, loss from a clipped y_hat)")
    header = [("hidden", -9), ("n", 5), ("textbook", 11), ("mlp.train", 11), ("ratio", 7),
              ("mlp.gd_step", 13), ("door", 10), ("faults", 9), ("E", 5), ("reps", 6),
              ("others", 8)]
    rows, same = [], 0.0
    for activation, n in SIDE_BY_SIDE:
        t, epochs, repeats, others, difference = side_by_side(activation, n)
        busiest, same = max(busiest, others), max(same, difference)
        faults = [step_faults(step, SIDE_SIZES, n, activation) for step in (textbook_step, mlp.gd_step)]
        rows.append((activation, n, fmt_time(t["textbook"]), fmt_time(t["mlp"]), f"{t['ratio']:.2f}",
                     fmt_time(t["gd_step"]), fmt_time(t["gd_step"] - t["mlp"]), "/".join(map(str, faults)),
                     epochs, repeats, f"{others:.2f}"))
    table(header, rows)
    print(f"""\
textbook     its plain loop of E steps, / E
mlp.train    (mlp.train(..., epochs=E) - its 2 extra losses) / E: the step as train runs it
ratio        median of the per-repetition ratios mlp.train / textbook (below 1: mlp.py is faster)
mlp.gd_step  a loop of E public calls, / E: each call pays the door once
door         mlp.gd_step - mlp.train: the checks, paid once per public call
faults       minor page faults in one step, textbook / mlp.py: fresh pages that the kernel zeroes
             because glibc returned the last step's freed temporaries (at n = 2000 they are 256 kB)
Times are medians over `reps` repetitions. The same maths: after one step from the same start, the
two steps' parameters differ by at most {same:.1e}.""")

    print("\n2. What mlp.py has that the textbook step lacks (both run here, on the same input)")
    for what, textbook, mine in properties():
        print(f"{what}\n    textbook: {textbook}\n    mlp.py:   {mine}")

    second_rates = machine_rates()
    bandwidth, flop_rate = (max(first[i], second[i]) for i in (0, 1)
                            for first, second in [(first_rates, second_rates)])
    busiest = max(busiest, second_rates[2])
    print(f"\n3. The step against this machine's floor ({ACTIVATION} hidden layers, sigmoid output)")
    print(f"copy bandwidth (np.copyto, 200 MB, read + write): {bandwidth / 1e9:7.1f} GB/s")
    print(f"matmul rate (2048 x 2048 @ 2048 x 2048):          {flop_rate / 1e9:7.1f} GFLOP/s")
    print("(the better of two measurements, at the start and now; other processes' load meanwhile: "
          f"{first_rates[2]:.2f} and {second_rates[2]:.2f} CPUs)")
    header = [("network", -13), ("n", 6), ("FLOPs", 14), ("bytes", 11), ("compute floor", 15),
              ("memory floor", 14), ("floor", 11), ("measured", 11), ("ratio", 7), ("faults", 8),
              ("E", 5), ("reps", 6), ("others", 8)]
    rows = []

    def row(name, sizes, n):
        flops, nbytes = step_flops(sizes, n), step_bytes(sizes, n)
        compute_floor, memory_floor = flops / flop_rate, nbytes / bandwidth
        floor = max(compute_floor, memory_floor)
        measured, epochs, repeats, others = floor_case(sizes, n)
        faults = step_faults(mlp.gd_step, sizes, n, ACTIVATION)
        rows.append((name, n, fmt_count(flops) + "FLOP", fmt_count(nbytes) + "B",
                     fmt_time(compute_floor), fmt_time(memory_floor), fmt_time(floor),
                     fmt_time(measured), f"{measured / floor:.1f}", faults, epochs, repeats, f"{others:.2f}"))
        return others

    for sizes, n in CASES:
        busiest = max(busiest, row("-".join(map(str, sizes)), sizes, n))
    kept = keep_freed_memory()
    if kept:  # the largest case again, without the kernel's fresh zeroed pages
        sizes, n = CASES[-1]
        busiest = max(busiest, row("-".join(map(str, sizes)) + "*", sizes, n))
    table(header, rows)
    print("floor = max(compute floor, memory floor); measured = mlp.train per epoch, as in part 1 (median "
          "over `reps`\nblocks of E epochs); ratio = measured / floor; faults = minor page faults in one "
          "step;\nothers = CPUs used by other processes while timing (of 2).")
    if kept:
        print("* the same, after mallopt told glibc to keep freed memory (M_MMAP_THRESHOLD = "
              "M_TRIM_THRESHOLD = 1 GiB):\n  the difference is what the kernel's fresh zeroed pages "
              "cost the step.")
    if busiest > 0.1:
        print(f"WARNING: other processes used up to {busiest:.2f} CPUs during the run: the times are not "
              "trustworthy; run again on a quiet machine.")


if __name__ == "__main__":
    main()

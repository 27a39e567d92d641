"""Speed of one gradient-descent step of mlp.py: against the textbooks, and against this machine's floor.

Run: python bench.py   (about a minute on a quiet machine; nothing is written to disk)

Part 1, side by side: one full-batch step on [2, 16, 1] (sigmoid or relu hidden units, one sigmoid
output), two moons (datasets.make_moons(n, seed=0)) at n = 200 and n = 2000, float64, every contender
started from mlp.init_params' parameters. The contenders:

    book            the nnfs book's way (Neural Networks from Scratch in Python, chapter 16): layer and
                    activation objects whose forward and backward keep their inputs, outputs and
                    gradients as attributes, so one step's arrays stay alive until the next replaces
                    them; its sigmoid 1 / (1 + np.exp(-z)), its clipped binary cross-entropy and the
                    backward through it, its Optimizer_SGD
    loss_and_grads  a learner's own loop of public calls: mlp.loss_and_grads(params, X, y, activation),
                    through the door (checks.py), then params[key] -= lr * grads["d" + key]
    gd_step         a loop of public mlp.gd_step calls, each through the door
    train           mlp.train per epoch: its checks run once, at its door, and its steps run inside
    textbook        the flat step tutorials write (`textbook_step` below): a naive sigmoid, no checks,
                    the loss from a clipped y_hat, the same forward, backward and update as mlp.py

Each is checked to take the same step: from the same start, one step of each gives parameters within
1e-14 of loss_and_grads' (the table prints the largest difference). train runs E + 1 epochs and 1 epoch,
and (E + 1 epochs - 1 epoch) / E leaves out what it pays once (its door, the copy of params, the loss
before the first epoch and after the last) and keeps what it pays each epoch. The others run E steps.

Timing. A repetition times each contender once, on a block of E steps of about 5 ms, in alternating
order, from the same start. Part 1 reads this process's CPU time (time.process_time): these steps run
on one thread (the matrices are too small for OpenBLAS to split), so on a quiet machine it is the wall
time, and on a busy one it leaves out the time other processes held the core. Each time shown is the
fastest block over the repetitions, the least disturbed; each ratio to the book is the median of the
per-repetition ratios (a neighbour's burst slows both sides of a ratio alike). The door's cost: the
public mlp.loss_and_grads against the same call of the function inside it (its __wrapped__), same
input, with the door held open as train holds it; 120 interleaved blocks of 10 calls each, and the
difference of the two fastest blocks.

Part 2, what mlp.py has that the textbook lacks, measured on the spot: an error or warning for large
finite logits (under np.errstate(all="raise")), the loss of a confident mistake, and bad inputs; and
the one place where the textbook's sigmoid is the more precise (where sigma(z) < 1e-16).

Part 3, the floor. For each network (relu hidden layers, sigmoid output, float64, full batch of n
random examples) it compares mlp's step as train runs it (median per epoch of (E + 1 epochs - 1 epoch)
/ E, in wall time: these matmuls are large enough to use both cores) with a floor measured in the
same run:

    floor = max(compute floor, memory floor)
    compute floor = matmul FLOPs of the step / FLOP rate of a large float64 matmul on this machine
    memory floor  = bytes the step must move / copy bandwidth of a large array on this machine

FLOPs (counted exactly, matmuls only; the element-wise work is a few FLOPs per byte moved and is
covered by the memory floor). Layer l of D maps d_{l-1} -> d_l units, with a_0 = X of shape (n, d_0):
    forward   z_l = a_{l-1} @ W_l             2 n d_{l-1} d_l
    backward  dW_l = a_{l-1}.T @ dz_l         2 n d_{l-1} d_l
              da_{l-1} = dz_l @ W_l.T         2 n d_{l-1} d_l   (not for l = 1: X needs no gradient)

Bytes (8 per float64 element). The textbook algorithm that mlp.py implements materialises these
arrays; each is counted once for every direction it must cross, and nothing more:
    X (n, d_0) and y (n, d_D)                  read once
    z_l, a_l (n, d_l), l = 1..D                written in the forward, read once (by the next layer,
                                               the loss or the backward)
    dz_l (n, d_l), l = 1..D                    written once, read once (by dW_l, db_l, da_{l-1})
    da_l (n, d_l), l = 1..D-1                  written once, read once (by dz_l = da_l * f'(z_l))
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
zeroed pages when a new array is allocated. By default glibc gives large freed blocks back to the
system and the next step faults them in again; checks.py (keep_freed_memory) asks glibc to keep blocks
up to 32 MB for reuse, so the steps of parts 1 and 3 fault in no fresh pages, except where arrays are
larger: the (n, 256) arrays of 41 MB in the largest case. The `faults` columns count those pages
(minor page faults) in one step. The last row, marked *, times the largest case again after mallopt
has told glibc to keep even blocks of up to 1 GiB: the difference between the two rows is what the
fresh pages cost.

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

import checks
import datasets
import mlp

SIDE_BY_SIDE = [  # (hidden activation, n) on [2, 16, 1]
    ("sigmoid", 200), ("sigmoid", 2000), ("relu", 200), ("relu", 2000),
]
SIDE_SIZES = [2, 16, 1]
SIDE_BUDGET_S = 2.5  # seconds per side-by-side case
SAME_STEP = 1e-14  # every contender's first step must match loss_and_grads' to this
SIDE_BLOCK_S = 0.005  # short blocks: more chances of one that no other process disturbed
SIDE_CLOCK = time.process_time  # this process's CPU time: the steps here run on one thread

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


# --- The nnfs book's way: layer objects that keep their arrays between steps ---------------------
# Neural Networks from Scratch in Python (Kinsley and Kukiela), chapter 16, binary logistic
# regression: each layer and activation is an object whose forward and backward store their inputs,
# outputs and gradients as attributes, so the arrays of one step stay alive until the next step
# replaces them. Written here in the book's style and names; its optimizer is plain SGD (the book's
# Optimizer_SGD without decay or momentum); its regularisation terms (zero) and the accuracy it prints
# each epoch are left out, as they are not part of the step.

class Layer_Dense:
    def __init__(self, weights, biases):  # mlp's initial W, b (updated in place)
        self.weights, self.biases = weights, biases

    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.dot(inputs, self.weights) + self.biases

    def backward(self, dvalues):
        self.dweights = np.dot(self.inputs.T, dvalues)
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)
        self.dinputs = np.dot(dvalues, self.weights.T)


class Activation_ReLU:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.maximum(0, inputs)

    def backward(self, dvalues):
        self.dinputs = dvalues.copy()
        self.dinputs[self.inputs <= 0] = 0


class Activation_Sigmoid:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = 1 / (1 + np.exp(-inputs))

    def backward(self, dvalues):
        self.dinputs = dvalues * (1 - self.output) * self.output


class Loss_BinaryCrossentropy:
    def calculate(self, output, y):
        return np.mean(self.forward(output, y))

    def forward(self, y_pred, y_true):
        y_pred_clipped = np.clip(y_pred, 1e-7, 1 - 1e-7)
        sample_losses = -(y_true * np.log(y_pred_clipped) + (1 - y_true) * np.log(1 - y_pred_clipped))
        return np.mean(sample_losses, axis=-1)

    def backward(self, dvalues, y_true):
        samples, outputs = len(dvalues), len(dvalues[0])
        clipped_dvalues = np.clip(dvalues, 1e-7, 1 - 1e-7)
        self.dinputs = -(y_true / clipped_dvalues - (1 - y_true) / (1 - clipped_dvalues)) / outputs
        self.dinputs = self.dinputs / samples


class Optimizer_SGD:
    def __init__(self, learning_rate):
        self.learning_rate = learning_rate

    def update_params(self, layer):
        layer.weights += -self.learning_rate * layer.dweights
        layer.biases += -self.learning_rate * layer.dbiases


def book_train(params, X, y, activation, lr, epochs):
    """The book's training loop on [d, h, 1], epochs full-batch steps; params updated in place."""
    dense1 = Layer_Dense(params["W1"], params["b1"])
    activation1 = Activation_Sigmoid() if activation == "sigmoid" else Activation_ReLU()
    dense2 = Layer_Dense(params["W2"], params["b2"])
    activation2 = Activation_Sigmoid()
    loss_function, optimizer = Loss_BinaryCrossentropy(), Optimizer_SGD(lr)
    for _ in range(epochs):
        dense1.forward(X)
        activation1.forward(dense1.output)
        dense2.forward(activation1.output)
        activation2.forward(dense2.output)
        loss_function.calculate(activation2.output, y)
        loss_function.backward(activation2.output, y)
        activation2.backward(loss_function.dinputs)
        dense2.backward(activation2.dinputs)
        activation1.backward(dense2.dinputs)
        dense1.backward(activation1.dinputs)
        optimizer.update_params(dense1)
        optimizer.update_params(dense2)


# --- mlp.py's public calls, as a learner's own loop makes them -----------------------------------

def public_loss_and_grads(params, X, y, activation, lr, epochs):
    """E steps of the loop the README shows: loss_and_grads (through the door), then the update."""
    for _ in range(epochs):
        _, grads = mlp.loss_and_grads(params, X, y, activation)
        for key in params:
            params[key] -= lr * grads["d" + key]


def public_gd_step(params, X, y, activation, lr, epochs):
    """E public mlp.gd_step calls (each through the door)."""
    for _ in range(epochs):
        mlp.gd_step(params, X, y, activation, lr)


def train_epochs(params, X, y, activation, lr, epochs):
    """mlp.train for E epochs from params: (the parameters it returns, its wall time)."""
    t0 = time.perf_counter()
    trained, _ = mlp.train(X, y, SIDE_SIZES, activation, lr=lr, epochs=epochs, params=params)
    return trained, time.perf_counter() - t0


CONTENDERS = {  # name -> E steps in place on params; train's own entry is timed differently
    "book": ("nnfs book, ch. 16 (layer objects)", book_train),
    "loss_and_grads": ("mlp.loss_and_grads + update", public_loss_and_grads),
    "gd_step": ("mlp.gd_step, public calls", public_gd_step),
    "train": ("mlp.train, per epoch", None),
    "textbook": ("textbook step (one function)", textbook_train),
}


# --- Timing ----------------------------------------------------------------------------------------

def problem(sizes, n, activation, seed=0):
    """X (n, d) standard normal, y (n, 1) random 0.0/1.0 labels, mlp's initial parameters."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, sizes[0]))
    y = (rng.random((n, 1)) < 0.5).astype(np.float64)
    return X, y, mlp.init_params(sizes, activation, seed=seed)


def copy_of(params):
    return {key: value.copy() for key, value in params.items()}


def timed(fn, clock=time.perf_counter):
    """Seconds of one call of fn(), by clock."""
    t0 = clock()
    fn()
    return clock() - t0


class Timings:
    """Named lists of per-repetition timings, and their medians."""

    def __init__(self):
        self.runs = {}

    def add(self, name, seconds):
        self.runs.setdefault(name, []).append(seconds)

    def median(self, name):
        return statistics.median(self.runs[name])


def epochs_for(seconds_per_epoch, block_s=BLOCK_S):
    """Epochs per timed block: a block of about block_s, at least 1 epoch."""
    return max(1, round(block_s / seconds_per_epoch))


def mlp_epoch_seconds(X, y, sizes, activation, params, epochs):
    """mlp.train per epoch: (wall time of epochs + 1 epochs - wall time of 1 epoch) / epochs. The
    difference leaves out train's fixed cost (its door, the copy of params, the losses it computes
    before the first epoch and after the last) and keeps what each epoch pays."""
    one = timed(lambda: mlp.train(X, y, sizes, activation, lr=LR, epochs=1, params=params))
    more = timed(lambda: mlp.train(X, y, sizes, activation, lr=LR, epochs=epochs + 1, params=params))
    return (more - one) / epochs


def door_seconds(params, X, y, activation, calls=10, repeats=120):
    """(the door's cost per public call, the call's cost without it), in seconds.

    mlp.loss_and_grads(...) against the same call, same input, of the function inside
    (mlp.loss_and_grads.__wrapped__) with the door held open, as train holds it for its own calls.
    Blocks of `calls` calls of each, interleaved; each side's fastest block (the one least disturbed
    by other processes), and the difference."""
    inside, y_column = mlp.loss_and_grads.__wrapped__, y.reshape(-1, 1)

    def public():
        for _ in range(calls):
            mlp.loss_and_grads(params, X, y, activation)

    def bare():
        checks._door.inside = True  # nested calls go straight through, as inside train
        try:
            for _ in range(calls):
                inside(params, X, y_column, activation)
        finally:
            checks._door.inside = False

    public(), bare()  # warm-up
    with_door, without = [], []
    gc.disable()
    try:
        for rep in range(repeats):
            for times, run in [(with_door, public), (without, bare)][::1 if rep % 2 else -1]:
                times.append(timed(run, SIDE_CLOCK) / calls)
    finally:
        gc.enable()
    return min(with_door) - min(without), min(without)


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


def moons(n, activation):
    """Two moons, X (n, 2) and y (n, 1) of 0.0/1.0, and mlp's initial parameters for [2, 16, 1]."""
    X, y = datasets.make_moons(n, seed=0)
    return X, y, mlp.init_params(SIDE_SIZES, activation, seed=0)


def first_steps(params, X, y, activation):
    """{contender: the parameters after one step from params}."""
    after = {}
    for name, (_, run) in CONTENDERS.items():
        if run is None:
            after[name] = train_epochs(params, X, y, activation, LR, 1)[0]
        else:
            after[name] = copy_of(params)
            run(after[name], X, y, activation, LR, 1)
    return after


def side_by_side(activation, n):
    """({contender: seconds per step, fastest block}, {contender: median ratio to the book},
    (door seconds per call, seconds of the call without it), epochs per block, repetitions, CPUs
    used by others, {contender: max |parameter difference| from loss_and_grads' after one step})."""
    X, y, params = moons(n, activation)
    after = first_steps(params, X, y, activation)
    same = {name: max(float(np.abs(after[name][key] - after["loss_and_grads"][key]).max())
                      for key in params) for name in after}
    for _, run in CONTENDERS.values():  # warm-up: caches, OpenBLAS threads, the allocator
        if run is not None:
            run(copy_of(params), X, y, activation, LR, 20)
    mlp.train(X, y, SIDE_SIZES, activation, lr=LR, epochs=20, params=params)
    book = min(timed(lambda: book_train(copy_of(params), X, y, activation, LR, 20), SIDE_CLOCK)
               for _ in range(5)) / 20
    epochs = epochs_for(book, SIDE_BLOCK_S)
    t = Timings()

    def run(rep):
        def one(run):
            start = copy_of(params)
            return timed(lambda: run(start, X, y, activation, LR, epochs), SIDE_CLOCK) / epochs

        def train():  # E + 1 epochs and 1 epoch, kept apart: each has its own fastest block
            t.add("train 1", timed(lambda: train_epochs(params, X, y, activation, LR, 1), SIDE_CLOCK))
            t.add("train E+1", timed(lambda: train_epochs(params, X, y, activation, LR, epochs + 1),
                                     SIDE_CLOCK))
            return (t.runs["train E+1"][-1] - t.runs["train 1"][-1]) / epochs

        runs = [(name, (lambda run=run: one(run)) if run is not None else train)
                for name, (_, run) in CONTENDERS.items()]
        for name, seconds in runs[::-1] if rep % 2 else runs:  # alternate the order
            t.add(name, seconds())
        for name in CONTENDERS:
            t.add(name + "/book", t.runs[name][-1] / t.runs["book"][-1])

    repeats, others = repeat(SIDE_BUDGET_S, run)
    fastest = {name: min(t.runs[name]) for name in CONTENDERS}
    fastest["train"] = (min(t.runs["train E+1"]) - min(t.runs["train 1"])) / epochs
    door = door_seconds(params, X, y, activation)
    return (fastest, {name: t.median(name + "/book") for name in CONTENDERS}, door, epochs, repeats,
            others, same)


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
    D = len(sizes) - 1  # layers
    n_params = sum(sizes[l - 1] * sizes[l] + sizes[l] for l in range(1, D + 1))  # all W_l and b_l
    elements = n * sizes[0] + n * sizes[D]  # X and y, read once
    for l in range(1, D + 1):
        elements += 2 * n * sizes[l]  # z_l: written, read
        elements += 2 * n * sizes[l]  # a_l: written, read
        elements += 2 * n * sizes[l]  # dz_l: written, read
        if l < D:
            elements += 2 * n * sizes[l]  # da_l: written, read (the output layer has dz_D directly)
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


def fmt_us(seconds):
    return f"{seconds * 1e6:.1f} us" if seconds < 1e-4 else f"{seconds * 1e6:.0f} us"


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


def contender_faults(activation, n, epochs=10):
    """Minor page faults per step of each contender, after two warm-up steps (train: per epoch, as
    the difference of epochs + 1 and 1 epochs)."""
    X, y, params = moons(n, activation)
    faults = []
    for _, run in CONTENDERS.values():
        if run is None:
            def train(e):
                return mlp.train(X, y, SIDE_SIZES, activation, lr=LR, epochs=e, params=params)
            train(2)
            faults.append(round((minor_faults(lambda: train(epochs + 1)) - minor_faults(lambda: train(1)))
                                / epochs))
        else:
            mine = copy_of(params)
            run(mine, X, y, activation, LR, 2)
            faults.append(minor_faults(lambda run=run, mine=mine: run(mine, X, y, activation, LR, 1)))
    return faults


def main():
    coretype = {k: os.environ.get(k, "unset") for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    print(f"numpy {np.__version__}, {os.cpu_count()} CPUs, float64, full batch; OpenBLAS kernel "
          f"{openblas_kernel()} (" + ", ".join(f"{k}={v}" for k, v in coretype.items()) + ")")
    first_rates = machine_rates()  # and again before part 3: the floor uses the better of the two
    busiest = first_rates[2]

    print(f"\n1. One full-batch step on {SIDE_SIZES}, two moons, float64, lr = {LR}: each way of taking it")
    cases = [(activation, n, side_by_side(activation, n)) for activation, n in SIDE_BY_SIDE]
    header = [("us per step (x the book's)", -36)] + [(f"{a} n={n}", 17) for a, n, _ in cases]
    rows = [[label] + [f"{fmt_us(t[name])} ({ratio[name]:.2f}x)" for _, _, (t, ratio, *_) in cases]
            for name, (label, _) in CONTENDERS.items()]
    rows.append(["door per public call (% of the call)"] + [
        f"{fmt_us(door)} ({100 * door / bare:.0f} %)" for _, _, (_, _, (door, bare), *_) in cases])
    faults = [contender_faults(activation, n) for activation, n, _ in cases]
    rows += [[f"page faults per step, {name}"] + [str(f[i]) for f in faults]
             for i, name in enumerate(CONTENDERS)]
    rows.append(["epochs per block E, repetitions"] + [f"{e}, {r}" for _, _, (_, _, _, e, r, *_) in cases])
    rows.append(["CPUs used by other processes"] + [f"{o:.2f}" for _, _, (*_, o, _) in cases])
    same = max(max(d.values()) for _, _, (*_, d) in cases)
    rows.append(["max |parameter difference|, 1 step"] + [
        f"{max(d.values()):.1e}" for _, _, (*_, d) in cases])
    busiest = max([busiest] + [o for _, _, (*_, o, _) in cases])
    table(header, rows)
    print(f"""\
book            the nnfs book's loop of E steps (layer objects keep their arrays), / E
loss_and_grads  E public calls mlp.loss_and_grads(params, X, y, activation), each followed by the
                update params[key] -= lr * grads["d" + key]: a learner's own loop, door included, / E
gd_step         E public calls mlp.gd_step(...), / E
train           (mlp.train(..., epochs=E + 1) - mlp.train(..., epochs=1)) / E: the step as train runs it
                (each of the two: its fastest block)
textbook        the flat textbook step above, E times, / E
(Nx)            median over the repetitions of the per-repetition ratio to the book (below 1: faster)
door            mlp.loss_and_grads against mlp.loss_and_grads.__wrapped__ inside the open door, on the
                same input, fastest of 120 interleaved blocks each: what the checks cost one public
                call; %: of the call without them
page faults     minor page faults in one step (fresh pages the kernel hands out and zeroes)
Times are the fastest block of E steps (the least disturbed by other processes); each repetition
runs the contenders in alternating order from the same start. Same step: from the same start, one
step of each contender gives parameters
within {same:.1e} of loss_and_grads' {"(bound " + format(SAME_STEP, ".0e") + ")" if same <= SAME_STEP
                                      else "-- ABOVE THE BOUND " + format(SAME_STEP, ".0e") + "!"}.""")

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
    kept = checks.keep_freed_memory(1 << 30, 1 << 30)
    if kept:  # the largest case again, without the kernel's fresh zeroed pages
        sizes, n = CASES[-1]
        busiest = max(busiest, row("-".join(map(str, sizes)) + "*", sizes, n))
    table(header, rows)
    print("floor = max(compute floor, memory floor); measured = mlp.train per epoch, as in part 1 (median "
          "over `reps`\nblocks of E epochs); ratio = measured / floor; faults = minor page faults in one "
          "step;\nothers = CPUs used by other processes while timing (of 2).")
    if kept:
        print("* the same, after mallopt told glibc to keep even larger blocks (M_MMAP_THRESHOLD = "
              "M_TRIM_THRESHOLD = 1 GiB,\n  where checks.py asks for 32 and 64 MB): the difference is "
              "what the kernel's fresh zeroed pages cost\n  the step whose (n, 256) arrays of 41 MB are "
              "above checks.py's threshold.")
    if busiest > 0.1:
        print(f"WARNING: other processes used up to {busiest:.2f} CPUs during the run: the times are not "
              "trustworthy; run again on a quiet machine.")


if __name__ == "__main__":
    main()

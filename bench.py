"""Speed of one gradient-descent step of mlp.py, against this machine's floor for that step.

Run: python bench.py   (about 15 s on a quiet machine; nothing is written to disk)

For each network (relu hidden layers, sigmoid output, float64, full batch of n random examples) it
times mlp.gd_step -- forward, backward and the in-place update -- and prints the median of many steps
after a warm-up. It compares that time with a floor measured in the same run:

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
the relu mask, lr * grad, the sigmoid's branches), and a matmul reads its operands more than once.
None of that is counted. The memory floor also assumes DRAM speed: it is a true floor only when the
arrays do not fit in the caches (the 2-256-256-1 case, whose (n, 256) arrays are 41 MB each). For the
two small cases everything stays in cache and the step is dominated by the fixed cost of each NumPy
call (microseconds), which no floor here models: their ratio measures overhead, not bandwidth.

Machine rates, measured once at the start (best of several runs, so the floor is as low as possible):
    copy bandwidth  np.copyto(dst, src) on 200 MB float64 arrays, counting 2 x 200 MB (read + write)
    FLOP rate       2048 x 2048 @ 2048 x 2048 float64 matmul (OpenBLAS, all cores), 2 * 2048^3 FLOPs
The step's matmuls use all cores through OpenBLAS too; its element-wise NumPy operations use one core,
as does np.copyto.

Not in either floor: the fixed cost of each NumPy call, and the kernel's cost of handing out fresh
zeroed pages when a new array is allocated (glibc gives large freed blocks back to the OS).

The column `others` is the CPU time other processes used while a case was timed, in CPUs. This
machine has 2 cores: any other busy process stalls the two-thread OpenBLAS matmuls, so a run with
others above ~0.1 measures the neighbours, not mlp.py, and the script says so at the end.
"""

import gc
import math
import os
import resource
import statistics
import time

import numpy as np

import mlp

CASES = [  # (layer sizes, batch size n): small, medium, large
    ([2, 16, 1], 200),
    ([2, 64, 64, 1], 2000),
    ([2, 256, 256, 1], 20000),
]
ACTIVATION = "relu"
LR = 0.01  # small, so that thousands of steps on random labels stay finite; it does not affect the time
WARMUP_STEPS = 3
MIN_REPEATS = 10
BUDGET_S = 3.0  # seconds of timed steps per case: tens of thousands of small steps, ~16 large ones


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
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


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


def time_step(sizes, n, seed=0):
    """(median seconds of one mlp.gd_step, number of timed steps, CPUs used by others meanwhile)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, sizes[0]))  # (n, n_0)
    y = (rng.random((n, 1)) < 0.5).astype(np.float64)  # (n, 1) random 0.0/1.0 labels
    params = mlp.init_params(sizes, ACTIVATION, seed=seed)
    for _ in range(WARMUP_STEPS):  # first-touch page faults, OpenBLAS thread start-up, caches
        mlp.gd_step(params, X, y, ACTIVATION, LR)
    t0 = time.perf_counter()
    for _ in range(WARMUP_STEPS):  # a second round, timed, to choose the number of timed steps
        mlp.gd_step(params, X, y, ACTIVATION, LR)
    per_step = (time.perf_counter() - t0) / WARMUP_STEPS
    repeats = max(MIN_REPEATS, math.ceil(BUDGET_S / per_step))
    times = []
    gc.disable()  # as timeit does: no collector pauses inside a timed step
    try:
        with OtherLoad() as others:
            for _ in range(repeats):
                t0 = time.perf_counter()
                mlp.gd_step(params, X, y, ACTIVATION, LR)
                times.append(time.perf_counter() - t0)
    finally:
        gc.enable()
    return statistics.median(times), repeats, others.cpus


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


def main():
    print(f"numpy {np.__version__}, {os.cpu_count()} CPUs, float64, {ACTIVATION} hidden layers, "
          "sigmoid output, full batch")
    with OtherLoad() as others:
        bandwidth = copy_bandwidth()
        flop_rate = matmul_rate()
    print(f"copy bandwidth (np.copyto, 200 MB, read + write): {bandwidth / 1e9:7.1f} GB/s")
    print(f"matmul rate (2048 x 2048 @ 2048 x 2048):          {flop_rate / 1e9:7.1f} GFLOP/s")
    print(f"other processes' load while measuring these:      {others.cpus:7.2f} CPUs")
    print()
    header = (f"{'network':<13}{'n':>6}{'FLOPs':>14}{'bytes':>11}{'compute floor':>15}{'memory floor':>14}"
              f"{'floor':>11}{'measured':>11}{'ratio':>7}{'steps':>8}{'others':>8}")
    print(header)
    print("-" * len(header))
    busiest = others.cpus
    for sizes, n in CASES:
        flops, nbytes = step_flops(sizes, n), step_bytes(sizes, n)
        compute_floor, memory_floor = flops / flop_rate, nbytes / bandwidth
        floor = max(compute_floor, memory_floor)
        measured, repeats, others_cpus = time_step(sizes, n)
        busiest = max(busiest, others_cpus)
        network = "-".join(map(str, sizes))
        print(f"{network:<13}{n:>6}{fmt_count(flops) + 'FLOP':>14}{fmt_count(nbytes) + 'B':>11}"
              f"{fmt_time(compute_floor):>15}{fmt_time(memory_floor):>14}{fmt_time(floor):>11}"
              f"{fmt_time(measured):>11}{measured / floor:>7.1f}{repeats:>8}{others_cpus:>8.2f}")
    print()
    print("floor = max(compute floor, memory floor); ratio = measured / floor; measured = median of `steps`;")
    print("others = CPUs used by other processes while timing (this machine has 2).")
    if busiest > 0.1:
        print(f"WARNING: other processes used up to {busiest:.2f} CPUs during the run: the times are not "
              "trustworthy; run again on a quiet machine.")


if __name__ == "__main__":
    main()

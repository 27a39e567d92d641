"""The data: three two-dimensional toy tasks and real handwritten digits.

Every maker is seeded and deterministic and returns (X, y): X (n, d) of
floats, y (n, 1) of labels (0.0 / 1.0 for the binary tasks, integers 0 .. 9
for the digits). NumPy only; nothing is downloaded.
"""

import gzip
import hashlib
import pathlib

import numpy as np

from checks import checked

DIGITS = pathlib.Path(__file__).resolve().parent / "data" / "digits.csv.gz"
DIGITS_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"


# --8<-- [start:datasets]
@checked
def make_xor(n=200, noise=0.2, seed=0):
    """Points around the corners (+-1, +-1); label 1 where the signs differ.

    n=4, noise=0: the truth table. No line separates the classes: XOR is
    the classic task that needs a hidden layer.
    """
    rng = np.random.default_rng(seed)
    corners = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]], dtype=np.float64)
    X = corners[np.arange(n) % 4]  # the corners in turn
    X = X + noise * rng.standard_normal((n, 2))  # (n, 2)
    y = (np.arange(n) % 4 % 3 != 0).astype(np.float64)  # corners 1, 2 differ
    return X, y.reshape(-1, 1)


@checked
def make_moons(n=200, noise=0.2, seed=0):
    """Two interleaving half circles (as in scikit-learn): upper 0, lower 1."""
    rng = np.random.default_rng(seed)
    t = np.pi * rng.random(n)  # angle along the half circle
    y = np.arange(n) % 2  # alternate labels: classes of n // 2 and n - n // 2
    X = np.where(y[:, None] == 0,
                 np.column_stack([np.cos(t), np.sin(t)]),  # centre (0, 0)
                 np.column_stack([1 - np.cos(t), 0.5 - np.sin(t)]))  # (1, .5)
    X = X + noise * rng.standard_normal((n, 2))
    return X, y.astype(np.float64).reshape(-1, 1)


@checked
def make_circles(n=200, noise=0.1, seed=0, factor=0.5):
    """A ring of radius 1 (label 0) around a ring of radius factor (label 1)."""
    rng = np.random.default_rng(seed)
    t = 2 * np.pi * rng.random(n)
    y = np.arange(n) % 2
    radius = np.where(y == 0, 1.0, factor)
    X = radius[:, None] * np.column_stack([np.cos(t), np.sin(t)])  # (n, 2)
    X = X + noise * rng.standard_normal((n, 2))
    return X, y.astype(np.float64).reshape(-1, 1)


def load_digits():
    """The 1,797 UCI handwritten digits (data/README.md): X, y.

    X (1797, 64): the 8 x 8 pixel counts 0..16, row by row, divided by 16
    into [0, 1]; y (1797, 1): the digit, an integer 0..9. The file's sha256
    is checked first.
    """
    raw = DIGITS.read_bytes()
    if hashlib.sha256(raw).hexdigest() != DIGITS_SHA256:
        raise ValueError(f"{DIGITS}: not the vendored file (sha256 differs)")
    table = np.loadtxt(gzip.decompress(raw).decode("ascii").splitlines(),
                       delimiter=",", dtype=np.int64)  # (1797, 65)
    return table[:, :64] / 16.0, table[:, 64:]
# --8<-- [end:datasets]


@checked
def split_digits(seed=0):
    """A seeded split of the digits, stratified by class, a third held out:
    ((X_train, y_train), (X_test, y_test)), 1,198 and 599 images."""
    X, y = load_digits()
    n_test = len(y) // 3
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), dtype=bool)
    for k in range(10):  # the same share of every class in the test set
        rows = np.flatnonzero(y[:, 0] == k)
        test[rng.permutation(rows)[:round(n_test * len(rows) / len(y))]] = True
    return (X[~test], y[~test]), (X[test], y[test])

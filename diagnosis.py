"""The gradient check explains: what the numbers of a wrong gradient show.

mlp.gradient_check gives every tensor a verdict. For each one that is not
correct, `diagnose` tries the patterns that learners' mistakes leave, in
this order, and writes the first that fits every entry (to within the
check's round-off noise) as one line, report[key]["diagnosis"]:

1. inherited: the step is right for your own tensor above it, which is
   wrong (so the first wrong step is further up);
2. zeros where the numerical gradient has none;
3. a constant factor: -1, 2, n, 1/n (for dz and da, the mean-in-dz
   convention of cs231n and makemore) or any other;
4. the transpose;
5. the activation's slope taken at the wrong point (f'(a) for f'(z)),
   skipped, taken from the gradient (a relu mask from da), of another
   activation, or the output's slope kept in step (1);
6. one entry, one row or one column off;
7. otherwise, the size of the error.

A relu input within eps of its kink is named too: there the centred
difference straddles the kink, and backward may be right. The numbers come
first, the likely cause after; nothing is guessed beyond what they show.
NumPy only, and nothing of the project's, so that mlp.py can import it.
"""

import textwrap

import numpy as np

FIT = 1e-6  # a pattern fits where |a - h| <= noise + FIT (|a| + |h|)
CLOSE = 1e-3  # gaps all below this share of their entries: "close"


def diagnose(report, exact, params, cache, y, activation, eps):
    """report with "diagnosis" set for every entry: None where correct.

    exact: the lesson's backward in float64; params, cache: the float64
    network and forward's cache that the check differentiated; activation:
    (its name, mlp.ACTIVATIONS: name -> (f, f'))."""
    case = Case(report, exact, params, cache, y, activation, eps)
    for key, r in report.items():
        r["diagnosis"] = (None if r["verdict"] == "correct" else
                          case.explain(key, r["analytic"], r["numeric"],
                                       r["noise"]))
    return report


def first_wrong(report):
    """The first key, in step order, whose verdict is not "correct"."""
    return next((k for k, r in report.items() if r["verdict"] != "correct"),
                None)


def report_lines(report):
    """One line per tensor in step order, makemore's cmp() style; under a
    tensor that is not correct, its diagnosis."""
    first, lines = first_wrong(report), []
    for key, r in report.items():
        line = f"{key:>4}  {r['verdict']:<13}  error {r['error']:.1e}"
        if key == first:
            line += "   <- the first wrong step"
        elif r["verdict"] == "correct" and unseen(r):
            line += "   (all below the noise: unseen)"
        lines.append(line)
        if r["diagnosis"]:  # wrapped to 79 columns, under its tensor
            lines += textwrap.wrap(r["diagnosis"], 79, initial_indent=" " * 6,
                                   subsequent_indent=" " * 6)
    return lines


def step_of(key, n_layers):
    """The derivation's step number of a gradient of a network of D =
    n_layers layers: (1) dz_D; (2), (3) dW_l, db_l, which are (6), (7) at
    l = 1; (4) da_l; (5) dz_l below the output."""
    kind, l = key[1], int(key[2:])
    if kind == "z" and l == n_layers:
        return 1
    return {"W": 6 if l == 1 else 2, "b": 7 if l == 1 else 3, "a": 4, "z": 5}[kind]


def unseen(r):
    """Every entry of a and g within the noise: "correct" says nothing."""
    largest = max(np.abs(r["analytic"]).max(), np.abs(r["numeric"]).max())
    return largest <= r["noise"]


def fits(a, h, noise):
    """a equals h entry by entry, to within round-off."""
    return a.shape == h.shape and bool(
        np.all(np.abs(a - h) <= noise + FIT * (np.abs(a) + np.abs(h))))


def close(c, value):
    return abs(c - value) <= 1e-6 * abs(value)


def named_factors(n):
    """[(factor, its words)]: the constant factors that have a name, n,
    1/n, -1 and 1/2 (none of them 1, where n = 1)."""
    return [(value, words) for value, words in [
        (n, f"n = {n} times"), (1 / n, f"1/n = 1/{n} of"), (-1, "-1 times"),
        (0.5, "1/2 of")] if value != 1]


def times(c, n):
    """A constant factor in words: "2 times", "1/n = 1/8 of", ..."""
    return next((words for value, words in named_factors(n)
                 if close(c, value)), f"{c:.4g} times")


class Case:
    """One checked network: what the patterns need to know about it."""

    def __init__(self, report, exact, params, cache, y, activation, eps):
        self.report, self.exact, self.params = report, exact, params
        self.cache, self.y = cache, y
        self.activation, self.activations = activation
        self.n, self.n_layers = len(y), len(params) // 2
        self.kinks = self.near_kinks(eps) if self.activation == "relu" else ""

    def step(self, key):
        return step_of(key, self.n_layers)

    def tensor(self, key):
        """Your tensor if the report has it, else the lesson's."""
        r = self.report.get(key)
        return self.exact[key] if r is None else r["analytic"]

    def wrong(self, key):
        return key in self.report and self.report[key]["verdict"] != "correct"

    def upstream(self, key):
        """(the tensor this step is computed from, the step's value from
        it): dW_l, db_l from dz_l; da_l from dz_l+1; dz_l from da_l."""
        kind, l = key[1], int(key[2:])
        if kind in "Wb":
            up = f"dz{l}"
            dz = self.tensor(up)
            return up, (self.cache[f"a{l - 1}"].T @ dz / self.n if kind == "W"
                        else dz.sum(axis=0, keepdims=True) / self.n)
        if kind == "a":
            up = f"dz{l + 1}"
            return up, self.tensor(up) @ self.params[f"W{l + 1}"].T
        if l == self.n_layers:
            return None, None
        up = f"da{l}"
        f_grad = self.activations[self.activation][1]
        return up, self.tensor(up) * f_grad(self.cache[f"z{l}"],
                                            self.cache[f"a{l}"])

    def explain(self, key, a, g, noise):
        for pattern in (self.near, self.inherited, self.zeros, self.factor,
                        self.transpose, self.slope, self.located):
            sentence = pattern(key, a, g, noise)
            if sentence:
                return sentence + self.kinks
        return self.size(key, a, g, noise) + self.kinks

    # --- the patterns, in order: each returns a sentence or None -------

    def near(self, key, a, g, noise):
        """Every gap within CLOSE of its entry's size, past round-off: too
        close for a slip in the code, typical of the centred difference's
        truncation error, which a smaller eps shrinks."""
        rel = self.report[key]["error"]  # the largest such share
        if rel > CLOSE:
            return None
        return (f"close, with no pattern: the largest gap is {rel:.1e} of its "
                "entry's size, small for a slip in the code. The centred "
                "difference's own truncation error (eps^2/6 times the loss's "
                "third derivative) grows with eps and with large inputs (a nudge "
                "of eps to W1 moves z by eps |x|): check again with a smaller "
                "eps; a real mistake does not shrink")

    def inherited(self, key, a, g, noise):
        up, h = self.upstream(key)
        if up and self.wrong(up) and fits(a, h, noise):
            return (f"step ({self.step(key)}) is right for your {up}, which "
                    f"is not correct: the error comes from {up}, further up")
        return None

    def zeros(self, key, a, g, noise):
        missing = (a == 0) & (np.abs(g) > noise)
        if not missing.any() or not fits(a[~missing], g[~missing], noise):
            return None
        where = ("every entry is 0" if missing.all() else
                 f"{missing.sum()} of {a.size} entries are 0")
        return (f"{where} where the numerical gradient is not (up to "
                f"{np.abs(g[missing]).max():.1e}): a term is dropped at step "
                f"({self.step(key)})")

    def factor(self, key, a, g, noise):
        resolved = np.abs(g) > 10 * noise
        if not resolved.any():
            return None
        c = float(np.median(a[resolved] / g[resolved]))
        n, step = self.n, self.step(key)
        # A named factor that fits every entry is the one: the median of
        # ratios of tiny (deep, vanishing) entries misses 1/n by round-off.
        c = next((v for v, _ in named_factors(n) if fits(a, v * g, noise)), c)
        if c == 0 or close(c, 1) or not fits(a, c * g, noise):
            return None
        said = f"every entry is {times(c, n)} the numerical gradient: "
        if key[1] in "Wb" and n > 1 and close(c, n):
            return said + ("the 1/n of the mean is missing (the gradient of "
                           f"the summed loss) at step ({step})")
        if key[1] in "za" and n > 1 and close(c, 1 / n) and step == 1:
            return said + (f"this is dL/{key} itself, the mean-in-dz "
                           f"convention of cs231n and makemore ({key} = "
                           f"(y_hat - y) / n). The lesson's {key} is per "
                           f"example, n dL/{key}, with the 1/n in steps (2) "
                           "and (3): if your dW and db read correct, your "
                           "backward is right in that convention")
        if key[1] in "za" and n > 1 and close(c, 1 / n):
            return said + (f"a 1/n crept in at step ({step}); the lesson's "
                           f"{key} is per example, n dL/{key}, and its 1/n "
                           "belongs in steps (2) and (3) alone")
        if close(c, -1):
            return said + f"the sign is flipped at step ({step})"
        return said + f"a factor of {c:.4g} crept in at step ({step})"

    def transpose(self, key, a, g, noise):
        if a.shape[0] == a.shape[1] > 1 and fits(a, g.T, noise):
            return ("it is the transpose of the numerical gradient: the "
                    f"product at step ({self.step(key)}) is taken in the "
                    "wrong order (dz.T @ a for a.T @ dz)")
        return None

    def slope(self, key, a, g, noise):
        kind, l = key[1], int(key[2:])
        if kind != "z":
            return None
        if l == self.n_layers:  # step (1): the output's slope kept
            y_hat = self.cache[f"a{l}"]
            if fits(a, g * y_hat * (1 - y_hat), noise):
                return ("every entry is y_hat (1 - y_hat) times the numerical "
                        "gradient: the output's slope (sigma'(z) = y_hat (1 - "
                        "y_hat)) is multiplied in at step (1), where with "
                        "cross-entropy it cancels (dz = y_hat - y)")
            return None
        da, z, act = self.tensor(f"da{l}"), self.cache[f"z{l}"], self.activation
        f, f_grad = self.activations[act]
        a_l = self.cache[f"a{l}"]  # f(z_l)
        candidates = [
            (da * f_grad(a_l, f(a_l)),
             f"the slope is taken at a{l} = f(z{l}), not at z{l}: "
             f"f'(a{l}) for f'(z{l}) at step (5)"),
            (da, f"f'(z{l}) is missing: dz{l} equals da{l}, step (5) skips "
                 "the activation"),
            (da * (da > 0), f"the relu mask is taken from da{l} > 0, not from "
                            f"z{l} > 0, at step (5)")]
        for other, (f_o, grad_o) in self.activations.items():
            if other != act:
                candidates.append((da * grad_o(z, f_o(z)),
                                   f"the slope is {other}'s, not {act}'s, at "
                                   "step (5)"))
        right = self.upstream(key)[1]  # the step done right, from your da
        for h, sentence in candidates:  # (for relu, f'(a) is f'(z): right)
            if fits(a, h, noise) and not fits(h, right, noise):
                return sentence
        return None

    def located(self, key, a, g, noise):
        off = np.abs(a - g) > noise + 1e-7 * (np.abs(a) + np.abs(g))
        rows, cols = np.flatnonzero(off.any(axis=1)), np.flatnonzero(
            off.any(axis=0))
        if off.sum() == 1:
            i, j = rows[0], cols[0]
            return (f"one entry is off: [{i}, {j}] is {a[i, j]:.4g}, the "
                    f"numerical gradient {g[i, j]:.4g}; every other entry is "
                    "right")
        what = "example" if key[1] in "za" else "row"
        if len(rows) == 1 and a.shape[0] > 1:
            return (f"row {rows[0]} alone is off ({what} {rows[0]}): "
                    f"{off.sum()} of its {a.shape[1]} entries; every other row "
                    "is right")
        if len(cols) == 1 and a.shape[1] > 1:
            return (f"column {cols[0]} alone is off (unit {cols[0]}): "
                    f"{off.sum()} of its {a.shape[0]} entries; every other "
                    "column is right")
        return None

    def size(self, key, a, g, noise):
        gap = np.abs(a - g)
        i = np.unravel_index(gap.argmax(), gap.shape)
        rel = gap[i] / max(abs(a[i]) + abs(g[i]), 1e-300)
        zero = "" if np.abs(g).max() else "; every numerical entry is 0"
        return (f"no simple pattern: the largest gap |a - g| is {gap[i]:.1e} at "
                f"{list(map(int, i))} (a = {a[i]:.4g}, g = {g[i]:.4g}, relative "
                f"error {rel:.2g}), {gap[i] / noise:.2g} times the round-off "
                f"noise{zero}")

    def near_kinks(self, eps):
        """A note if some hidden relu input lies within eps of 0."""
        for l in range(1, self.n_layers):
            z = np.abs(self.cache[f"z{l}"])
            if (z < eps).any():
                i = np.unravel_index(z.argmin(), z.shape)
                return (f" (note: relu input z{l}{list(map(int, i))} = "
                        f"{self.cache[f'z{l}'][i]:.1e} is within eps = {eps:g} "
                        "of the kink at 0, where the centred difference "
                        "straddles two slopes: backward may be right there)")
        return ""

"""Tests of the lab (experiments.py), the datasets (datasets.py) and the command line (python mlp.py).

As in test_mlp.py, every test says which mistake it would catch, and expected values come from outside
the code under test: the bug zoo's own line replacements, hand-known data (XOR's truth table, the first
handwritten digit), the data file's published sha256, and the committed files.
"""

import hashlib
import io
import os
import pathlib
import re
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest

import datasets
import experiments
import mlp
import zoo
from test_mlp import KINK_MARGIN, MOONS_NOISE, STEPS, moons_bayes_accuracy, moons_test_set

HERE = experiments.HERE


# ----------------------------------------------------------------------------------------------------
# The bug zoo: every planted mistake is caught, at the step it corrupts; the real backward passes
# ----------------------------------------------------------------------------------------------------

def corrupted_step(bug):
    """The first step, in the derivation's order, whose line the bug replaces: the name its line assigns
    ("dz1 = da1 * (da1 > 0)" corrupts dz1). Taken from BUGS' replacements, not from gradient_check."""
    assigned = {old.split(" = ")[0] for old in zoo.BUGS[bug][2]}
    return next(step for step in STEPS if step in assigned)


def zoo_problem(bug):
    """The bug zoo's problem for this bug's activation: (params, X, y, activation, cache)."""
    activation = zoo.BUGS[bug][0] if bug else "sigmoid"
    params, X, y = zoo.gradcheck_problem(zoo.ZOO_SIZES, activation, seed=0)
    return params, X, y, activation, mlp.forward(params, X, activation)[1]


BUG_IDS = {"ids": lambda b: re.sub(r"\W+", "_", b).strip("_")}


@pytest.mark.parametrize("bug", list(zoo.BUGS), **BUG_IDS)
def test_gradient_check_catches_planted_bug_at_the_step_it_corrupts(bug):
    """On the same problem, the real backward passes (every tensor "correct", cs231n's max relative error
    <= 1e-7) and the buggy one is flagged "wrong" (error > 1e-2) by the round-off-aware error as well as
    by cs231n's, and the intermediate check points at the step the bug corrupts: the first non-correct
    key in step order is the first line the bug replaces ("relu mask from da" -> dz1). A bug whose
    gradient has the wrong shape is stopped at gradient_check's door instead, by a ValueError naming
    that key. First make sure the bug is really planted: a buggy_backward that equals backward (say, a
    replacement that falls through to the correct code) would make this test meaningless."""
    params, X, y, activation, cache = zoo_problem(bug)
    if activation == "relu":
        assert np.abs(cache["z1"]).min() > KINK_MARGIN  # no kink within eps
    real = mlp.backward_two_layer(params, cache, y, activation)
    entries = np.abs(np.concatenate([g.ravel() for g in real.values()]))
    assert entries[entries > 0].min() > 1e-5  # no vanishing entry whose round-off could reach 1e-7
    buggy = zoo.buggy_backward(bug)(params, cache, y, activation)
    step = corrupted_step(bug)
    wrong_shape = np.shape(buggy[step]) != real[step].shape
    assert wrong_shape or not np.allclose(buggy[step], real[step], rtol=1e-6, atol=0), "the bug is not there"

    real_report = mlp.gradient_check(params, X, y, activation, analytic=real)
    assert {r["verdict"] for r in real_report.values()} == {"correct"}
    assert max(r["rel_error"] for r in real_report.values()) <= 1e-7
    if wrong_shape:
        with pytest.raises(ValueError, match=rf"analytic\['{step}'\]'s shape"):
            mlp.gradient_check(params, X, y, activation, analytic=buggy)
        return
    report = mlp.gradient_check(params, X, y, activation, analytic=buggy)
    assert list(report) == STEPS
    assert max(r["error"] for r in report.values()) > 1e-2
    assert max(r["rel_error"] for r in report.values()) > 1e-2
    first = next(key for key in STEPS if report[key]["verdict"] != "correct")
    assert first == step and report[first]["verdict"] == "wrong"


def test_bug_zoo_table():
    """bug_zoo() (the table in the docs) lists the real backward twice, passing everywhere ("none"
    wrong), then every bug of BUGS with its activation, caught: by gradient_check with an error > 1e-2
    at the step it corrupts, or, exactly for the bugs whose gradient has the wrong shape (found here by
    running them), by the shape rule at the door, with an infinite error. Catches a row that names the
    worst tensor instead of the first wrong step, a bug counted caught that was not, and a caught bug
    whose row carries no diagnosis sentence (or a real backward that carries one). The last field,
    cs231n's relative error (the table's column beside the round-off-aware one), is at most 1e-7 for the
    real backward and above 1e-2 for a caught bug."""
    rows = zoo.bug_zoo()
    assert all(len(row) == 8 for row in rows)
    assert [(bug, act) for bug, act, *_ in rows] == (
        [(None, "sigmoid"), (None, "relu")] + [(b, v[0]) for b, v in zoo.BUGS.items()])
    for bug, _, err, where, by, verdict, diagnosis, rel in rows:
        assert (rel <= 1e-7) == (bug is None), (bug, rel)
        assert bug is None or rel > 1e-2, (bug, rel)
        if bug is None:
            assert err <= 1e-7
            assert (where, by, verdict, diagnosis) == ("none", "gradient_check", "correct", None)
            continue
        assert verdict == "wrong" and isinstance(diagnosis, str) and diagnosis, (bug, verdict, diagnosis)
        params, _, y, activation, cache = zoo_problem(bug)
        buggy = zoo.buggy_backward(bug)(params, cache, y, activation)
        real = mlp.backward(params, cache, y, activation)
        shapes_wrong = any(np.shape(buggy[k]) != g.shape for k, g in real.items())
        assert where == corrupted_step(bug), bug
        if shapes_wrong:
            assert (err, by) == (np.inf, "the shape rule"), bug
        else:
            assert by == "gradient_check" and err > 1e-2, (bug, err)
    assert any(row[4] == "the shape rule" for row in rows)  # precondition: both kinds of catch are tested


def test_buggy_backward_refuses_a_line_that_is_not_in_the_lesson(monkeypatch):
    """A bug whose line to replace is not, exactly once, a line of backward_two_layer (the lesson was
    edited, or a typo) is an error, not a "buggy" backward that is the correct one and passes."""
    typo = {"dz1 = da1 * f_grad(z1,a1)": "dz1 = da1"}  # no space after the comma
    monkeypatch.setitem(zoo.BUGS, "typo", ("sigmoid", "a typo", typo))
    with pytest.raises(ValueError, match=r"not exactly one line of backward_two_layer"):
        zoo.buggy_backward("typo")


@pytest.mark.parametrize("bug", list(zoo.BUGS), **BUG_IDS)
def test_buggy_source_is_the_lesson_with_the_planted_lines(bug):
    """buggy_source (what the live page and the bug files show): the lesson's function from its def line,
    without the @checked door, every planted line in it and none of the lines it replaces; run where
    mlp's names are, it computes what buggy_backward computes."""
    source = zoo.buggy_source(bug)
    assert source.startswith("def backward_two_layer(params, cache, y, activation")
    assert "@checked" not in source
    statements = [line.split("  #")[0].strip() for line in source.splitlines()]
    for old, new in zoo.BUGS[bug][2].items():
        assert new in statements and old not in statements, (old, new)
    namespace = dict(vars(mlp))
    exec(source, namespace)
    params, _, y, activation, cache = zoo_problem(bug)
    ours = namespace["backward_two_layer"](params, cache, y, activation)
    theirs = zoo.buggy_backward(bug)(params, cache, y, activation)
    assert all(np.array_equal(ours[k], theirs[k]) for k in theirs)


def test_gradcheck_problem_draws_nonzero_biases_and_class_labels():
    """The problems the checks run on: biases nonzero (zero biases put relu units of an all-off example
    exactly on the kink), seeded (the same problem every run), labels 0/1 for one output unit and
    integers 0..K-1 for K classes."""
    params, X, y = zoo.gradcheck_problem([2, 5, 4, 1], "relu", n=8, seed=3)
    again = zoo.gradcheck_problem([2, 5, 4, 1], "relu", n=8, seed=3)
    assert all(params[k].all() for k in params if k.startswith("b"))
    drawn, redrawn = [*params.values(), X, y], [*again[0].values(), *again[1:]]
    assert all(np.array_equal(a, b) for a, b in zip(drawn, redrawn, strict=True))
    assert X.shape == (8, 2) and y.shape == (8, 1) and set(y.ravel()) <= {0.0, 1.0}
    _, _, labels = zoo.gradcheck_problem([2, 5, 4], "relu", n=40, seed=3)
    assert labels.dtype.kind == "i" and set(labels.ravel()) == {0, 1, 2, 3}


# ----------------------------------------------------------------------------------------------------
# Datasets: the generators produce what their docstrings say (the Bayes test relies on it); the digits
# ----------------------------------------------------------------------------------------------------

def test_make_xor_truth_table():
    """make_xor(4, 0): the four corners with XOR labels: 1 exactly where the two signs differ."""
    X, y = datasets.make_xor(4, 0.0)
    assert np.array_equal(X, [[-1, -1], [-1, 1], [1, -1], [1, 1]])
    assert np.array_equal(y, [[0], [1], [1], [0]])


def test_make_moons_points_lie_on_their_half_circles():
    """Without noise, label-0 points lie on (cos t, sin t) and label-1 points on (1 - cos t, 0.5 - sin t),
    t in [0, pi]: the curves that the Bayes classifier in the moons test assumes."""
    X, y = datasets.make_moons(200, 0.0, seed=3)
    upper, lower = X[y[:, 0] == 0], X[y[:, 0] == 1]
    assert len(upper) == len(lower) == 100
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, rtol=1e-14)
    np.testing.assert_allclose(np.hypot(1 - lower[:, 0], 0.5 - lower[:, 1]), 1.0, rtol=1e-14)
    assert (upper[:, 1] >= 0).all() and (lower[:, 1] <= 0.5).all()


# The sha256 published with the data in ../shared/data/README.md, typed here: the test is that the file
# in the project is that file. (datasets.DIGITS_SHA256 is the code's copy; it must agree too.)
DIGITS_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"


def test_digits_file_is_the_published_one():
    """data/digits.csv.gz is byte for byte the file whose sha256 the data's README publishes (57,523
    bytes), the loader checks against the same hash, and data/README.md gives the attribution the CC BY
    4.0 licence asks for. Catches a re-compressed, truncated or edited data file, and a loader hash
    updated to match one."""
    raw = (HERE / "data" / "digits.csv.gz").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == DIGITS_SHA256 and len(raw) == 57_523
    assert datasets.DIGITS_SHA256 == DIGITS_SHA256 and datasets.DIGITS == HERE / "data" / "digits.csv.gz"
    readme = (HERE / "data" / "README.md").read_text(encoding="utf-8")
    assert DIGITS_SHA256 in readme and "CC BY 4.0" in readme and "Alpaydin" in readme and "UCI" in readme


def test_load_digits_shape_range_and_labels():
    """X (1797, 64) of float64 in [0, 1], each a pixel count 0..16 divided by 16 (both ends occur);
    y (1797, 1) of integers 0..9, every class 174 to 183 times, as the data's README says. The first
    image is a 0 whose top row is 0 0 5 13 9 1 0 0 (as scikit-learn's load_digits().images[0]).
    Catches a header or label column read as pixels, pixels not scaled (or scaled by 255), labels as
    floats or one-hot, and rows dropped or shuffled."""
    X, y = datasets.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert X.min() == 0.0 and X.max() == 1.0 and np.array_equal(X * 16, np.round(X * 16))
    assert y.shape == (1797, 1) and y.dtype.kind == "i"
    counts = np.bincount(y.ravel(), minlength=10)
    assert len(counts) == 10 and counts.sum() == 1797 and 174 <= counts.min() and counts.max() <= 183
    assert y[0, 0] == 0 and (X[0, :8] * 16).tolist() == [0, 0, 5, 13, 9, 1, 0, 0]


def test_load_digits_refuses_a_changed_file(tmp_path, monkeypatch):
    """One byte changed in the data file: load_digits raises a ValueError saying the sha256 differs,
    rather than training on whatever the file now holds."""
    raw = bytearray(datasets.DIGITS.read_bytes())
    raw[len(raw) // 2] ^= 1
    changed = tmp_path / "digits.csv.gz"
    changed.write_bytes(bytes(raw))
    monkeypatch.setattr(datasets, "DIGITS", changed)
    with pytest.raises(ValueError, match="sha256"):
        datasets.load_digits()


def rows(X, y):
    """The examples as a sorted list of (pixels..., label) rows: the data as a multiset."""
    table = np.column_stack([X, y])
    return table[np.lexsort(table.T[::-1])]


def test_split_digits_is_a_seeded_stratified_partition():
    """split_digits: 1,198 training and 599 test images that together are exactly the 1,797 (as a
    multiset: nothing lost, nothing in both), each class's test share within one image of a third, the
    same split for the same seed and another for another seed. Catches a test set drawn with
    replacement or overlapping training, an unstratified split, and an unseeded shuffle."""
    (X_train, y_train), (X_test, y_test) = datasets.split_digits(seed=0)
    assert (len(y_train), len(y_test)) == (1198, 599)
    X, y = datasets.load_digits()
    assert np.array_equal(rows(np.vstack([X_train, X_test]), np.vstack([y_train, y_test])), rows(X, y))
    per_class, test_per_class = np.bincount(y.ravel()), np.bincount(y_test.ravel(), minlength=10)
    assert (np.abs(test_per_class - per_class * 599 / 1797) <= 1).all()
    again, other = datasets.split_digits(seed=0)[1], datasets.split_digits(seed=1)[1]
    assert np.array_equal(again[0], X_test) and np.array_equal(again[1], y_test)
    assert not np.array_equal(rows(*other), rows(X_test, y_test))


def test_softmax_regression_learns_the_digits():
    """End to end on real data: [64, 10] (softmax regression), mini-batch SGD, 10 epochs on the seeded
    training split, reaches >= 90 % on the held-out images (guessing gives 10 %; the data's README
    reports about 97 % for a well-trained linear model). Catches K-class training, labels or loader
    wired wrong on real data, where the toy tasks may not show it."""
    (X_train, y_train), (X_test, y_test) = datasets.split_digits(seed=0)
    params, history = mlp.train(X_train, y_train, [64, 10], "relu", lr=0.5, epochs=10, batch_size=32)
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert mlp.accuracy(params, X_test, y_test) >= 0.9


# ----------------------------------------------------------------------------------------------------
# The results-table writer: the generated tables change, the author's prose never does
# ----------------------------------------------------------------------------------------------------

LOG = HERE / "experiments_log.md"
MARKER = re.compile(r"<!-- --8<-- \[(start|end):([\w-]+)\] -->")
GENERATED = re.compile(r"<!-- --8<-- \[start:([\w-]+)\] -->\n(.*?)<!-- --8<-- \[end:\1\] -->", re.S)


def prose(text):
    """The text outside the generated sections: what the author wrote."""
    return GENERATED.sub(lambda m: f"[{m.group(1)}]", text)


def sections(text):
    """{name: generated table} for every generated section of text."""
    return {name: table.rstrip("\n") for name, table in GENERATED.findall(text)}


LOG_TEXT = "# Log\n\nIntro prose.\n\n" \
    "<!-- --8<-- [start:a] -->\nold a\n<!-- --8<-- [end:a] -->\n\nMiddle prose.\n\n" \
    "<!-- --8<-- [start:b] -->\n<!-- --8<-- [end:b] -->\nClosing prose.\n"


def test_fill_markers_replaces_only_between_markers_and_is_idempotent():
    """The tables change, the prose does not: a rewrite that touched a line outside the markers (or
    appended instead of replacing) would change the prose or grow the file on every run."""
    tables = {"a": "| x |\n|---|\n| 1 |", "b": "| y |\n|---|\n| 2 |"}
    once = experiments.fill_markers(LOG_TEXT, tables)
    assert prose(once) == prose(LOG_TEXT)
    assert sections(once) == tables
    assert experiments.fill_markers(once, tables) == once
    assert "old a" not in once
    small = "a\n<!-- --8<-- [start:t] -->\nold\n<!-- --8<-- [end:t] -->\nb\n"  # and to the byte:
    assert experiments.fill_markers(small, {"t": "| x |"}) == (
        "a\n<!-- --8<-- [start:t] -->\n| x |\n<!-- --8<-- [end:t] -->\nb\n")


@pytest.mark.parametrize("broken, message", [
    (LOG_TEXT.replace("<!-- --8<-- [end:a] -->\n", ""), r"exactly one .*start:a"),
    (LOG_TEXT.replace("Middle prose.", "<!-- --8<-- [start:a] -->"), r"exactly one .*start:a"),
    (LOG_TEXT.replace("[start:b]", "[tmp:b]").replace("[end:b]", "[start:b]").replace("[tmp:b]", "[end:b]"),
     r"exactly one .*start:b.* followed by"),
    (LOG_TEXT + "<!-- --8<-- [start:c] -->\n<!-- --8<-- [end:c] -->\n", r"markers for \['c'\]"),
], ids=["missing end", "repeated start", "end before start", "unknown section"])
def test_fill_markers_refuses_a_broken_file(broken, message):
    """A mangled marker is an error that names it, not a silently rewritten (or half-rewritten) log."""
    with pytest.raises(ValueError, match=message):
        experiments.fill_markers(broken, {"a": "A", "b": "B"})


def test_write_tables_never_leaves_a_truncated_log(tmp_path, monkeypatch):
    """The log is written to a temporary file and renamed over the old one: if the rename never happens
    (a crash, a full disk), the old log is still there, whole. Writing in place would truncate it first."""
    log = tmp_path / "experiments_log.md"
    log.write_text(LOG_TEXT)

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(experiments.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        experiments.write_tables(log, {"a": "A", "b": "B"})
    assert log.read_text() == LOG_TEXT
    monkeypatch.undo()
    experiments.write_tables(log, {"a": "A", "b": "B"})
    assert sections(log.read_text()) == {"a": "A", "b": "B"}


# ----------------------------------------------------------------------------------------------------
# The command: python mlp.py writes every figure and table, the same bytes every time, and keeps the
# author's prose in experiments_log.md
# ----------------------------------------------------------------------------------------------------

class QuickRuns:
    """`python mlp.py --quick --out folder/runN` for N = 1, 2: the command itself, run twice, one run
    after the other (as far apart in time as the original runs in one process were), in a thread in
    the background. Each writes a progress line per experiment and a summary to folder/runN.out, and
    its errors to folder/runN.err. PYTHONWARNINGS=error makes a warning in the command or in the worker
    processes it starts an error, as -W error does in the tests. conftest.py starts the runs before the
    first test, so that the other tests run meanwhile."""

    def __init__(self, folder):
        self.outs = [folder / f"run{i}" for i in (1, 2)]
        self.process, self.status, self.stopped, self.lock = None, {}, False, threading.Lock()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        for out in self.outs:
            with self.lock:
                if self.stopped:
                    return
                with open(out.with_suffix(".out"), "w") as stdout, open(out.with_suffix(".err"), "w") as err:
                    self.process = subprocess.Popen(
                        [sys.executable, str(HERE / "mlp.py"), "--quick", "--out", str(out)], cwd=out.parent,
                        stdout=stdout, stderr=err, env={**os.environ, "PYTHONWARNINGS": "error"},
                        start_new_session=True)  # its own process group: stop() ends its workers too
            self.status[out] = self.process.wait()

    def result(self):
        """Wait for both runs; ([folder of run 1, of run 2], their progress lines), after checking that
        each command exited with status 0."""
        self.thread.join(timeout=600)
        lines = []
        for out in self.outs:
            assert self.status.get(out) == 0, (f"python mlp.py --quick --out {out} exited with status "
                                               f"{self.status.get(out)}:\n{out.with_suffix('.err').read_text()}")
            lines += out.with_suffix(".out").read_text().splitlines()
        return self.outs, lines

    def stop(self):
        """End a run that is still going (the session stopped before a test read them), workers too."""
        with self.lock:
            self.stopped = True
            if self.process is not None and self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.thread.join()


@pytest.fixture(scope="module")
def two_quick_runs(quick_runs):
    """python mlp.py --quick, twice, each into a fresh folder (started by conftest.py, which runs the
    tests that use them last)."""
    return quick_runs.result()


def test_a_run_writes_every_figure_and_table(two_quick_runs):
    """Every figure named in EXPERIMENTS is a PNG file, and they are exactly the committed figures in
    visualizations/ (none forgotten, none left over from an experiment that is gone); every section
    of the log is filled, the prose is the committed log's, and there is one progress line per
    experiment plus a summary."""
    (out, _), lines = two_quick_runs
    figures = [name for _, names in experiments.EXPERIMENTS.values() for name in names]
    assert sorted(figures) == sorted(files_under(HERE / "visualizations"))
    for name in figures:
        magic = b"GIF89a" if name.endswith(".gif") else b"\x89PNG\r\n\x1a\n"
        assert (out / "visualizations" / name).read_bytes()[:len(magic)] == magic, name
    assert sorted(files_under(out / "visualizations")) == sorted(figures)
    text = (out / "experiments_log.md").read_text()
    tables = sections(text)
    assert set(tables) == {name for _, name in MARKER.findall(LOG.read_text())}
    assert all(table.startswith(("| ", "```diff", "```python", "```text")) for table in tables.values())
    assert prose(text) == prose(LOG.read_text())
    n = len(experiments.EXPERIMENTS)
    assert len(lines) == 2 * (n + 1) and lines[n].startswith("done in")
    # The tables say what the experiments found, even in a quick run: a ratio computed upside down or
    # from the wrong layers would not show deep sigmoid nets vanishing and relu nets not.
    ratios = {row.split(" | ")[0].strip("| "): float(row.rstrip(" |").split(" | ")[-2])
              for row in tables["vanishing"].splitlines()[2:6]}
    assert ratios["sigmoid (Xavier)"] < 1e-3 < 1e-1 < ratios["relu (He)"] and ratios["tanh (Xavier)"] > 1e-1


def files_under(folder):
    """Every file under folder, subfolders included, as a path relative to it ("slides/x.png")."""
    return [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()]


def figure_size(path):
    """(width, height) in pixels of a PNG or GIF, read from its header."""
    data = path.read_bytes()[:32]
    if data.startswith(b"GIF"):
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_every_multi_panel_figure_also_comes_as_slides(two_quick_runs):
    """Each experiment that draws a multi-panel figure also writes its panels alone into
    visualizations/slides/, each 1600 x 900 px (16:9). Catches a panel that lost its slide (a draw
    function no longer passed to common.slide), a slide written at the figure's size or dpi, and
    slides written somewhere the site and .ci/run do not look."""
    (out, _), _ = two_quick_runs
    slides = sorted(files_under(out / "visualizations" / experiments.SLIDES))
    per_figure = {"loss_curve": 2, "decision_boundary": 8, "gradient_check": 4, "depth": 12, "vanishing": 4,
                  "init": 4, "digits": 3, "practice_mse": 3, "curvature": 3}  # depth: 3 accuracies, 3 x 3
    for prefix, count in per_figure.items():
        assert sum(name.startswith(prefix) for name in slides) == count, prefix
    assert len(slides) == sum(per_figure.values()), slides
    for name in slides:
        assert figure_size(out / "visualizations" / experiments.SLIDES / name) == (1600, 900), name


def test_the_animation_is_a_small_animated_gif_of_every_frame(two_quick_runs):
    """training_moons.gif is an animated GIF with one frame per epoch of frame_epochs (the quick run's
    30 epochs), under 2 MB, looping, and its still is a PNG. Catches a GIF saved as one frame (no
    save_all), frames dropped or repeated, and a size that would not belong on a home page."""
    from PIL import Image

    (out, _), _ = two_quick_runs
    path = out / "visualizations" / experiments.ANIMATION
    assert path.stat().st_size < 2_000_000
    with Image.open(path) as gif:
        assert gif.is_animated and gif.n_frames == len(experiments.frame_epochs(30))
        assert gif.info.get("loop") == 0
    still = path.with_suffix(".png").read_bytes()
    assert still[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_committed_animation_fits_a_home_page():
    """The committed (full-run) GIF: animated, one frame per frame_epochs(1000) (about 50) and at most
    2 MB. Catches a run that grew the frames or the palette until the home page got heavy."""
    from PIL import Image

    path = HERE / "visualizations" / experiments.ANIMATION
    assert path.stat().st_size <= 2_000_000
    with Image.open(path) as gif:
        assert gif.is_animated and gif.n_frames == len(experiments.frame_epochs(1000))
    assert 40 <= len(experiments.frame_epochs(1000)) <= 60


def test_the_animation_frames_are_one_run_of_train():
    """Each frame of the animation is what the lesson computes: the params and history of the frame
    at epoch e are, bit for bit, those of one call of train for e epochs (train's defaults on the
    moons). Catches a loop that restarts the run at each call (params without history), reseeds or
    reshuffles it, or draws frames at other epochs than frame_epochs says."""
    frames = experiments.training_frames(12)
    assert [e for e, _, _ in frames] == experiments.frame_epochs(12)
    (X, y), (Xt, yt) = experiments.TASKS["moons"]
    for epoch, params, history in frames[1::4]:
        once, whole = mlp.train(X, y, [2, 16, 1], "relu", epochs=epoch, X_val=Xt, y_val=yt)
        assert history == whole, epoch
        assert all(np.array_equal(params[k], once[k]) for k in once), epoch


def test_frame_epochs_start_at_zero_and_end_at_the_last():
    """frame_epochs: 0 (the untrained network), every epoch of the first few, the last epoch last.
    Catches a GIF that never shows the start or the end, or skips the fast early change."""
    for epochs in (30, 1000):
        e = experiments.frame_epochs(epochs)
        assert e[:4] == [0, 1, 2, 3] and e[-1] == epochs


FRAME_STATE = re.compile(r"after (\d+) of (\d+) epochs: training loss ([\d.]+), held-out loss ([\d.]+), "
                         r"held-out accuracy ([\d.]+) %")  # as experiments.frame_alt says it


def image_format(png):
    """(format, (width, height)) of an image file's bytes."""
    from PIL import Image  # matplotlib's own dependency

    with Image.open(io.BytesIO(png)) as image:
        return image.format, image.size


def test_playground_frames_change_and_the_loss_falls():
    """The page's playground: every frame is an 800 x 360 PNG unlike the others; its alt text names
    the data, the network, the epoch, the losses and the held-out accuracy, and these are the numbers
    of one call of train for all the epochs (trained in pieces, the run is one run), whose loss falls
    to a third and whose held-out accuracy reaches 90 %; a normal run has no message. Catches frames
    that do not change (a field drawn once), pieces that restart the run, alt text that describes
    another frame, and a message that cries wolf. Runs in Pyodide too (test_live.py)."""
    (X, y), (Xt, yt) = experiments.make_task("moons", 100, 100)
    _, whole = mlp.train(X, y, [2, 16, 1], "relu", epochs=60, X_val=Xt, y_val=yt)
    frames = list(experiments.playground("moons", epochs=60, n=100, frames=8))
    assert [message for *_, message in frames] == [None] * len(frames)
    images = [png for png, _, _ in frames]
    assert [image_format(png) for png in images] == [("PNG", (800, 360))] * len(images)
    assert len(set(images)) == len(images)  # each unlike every other
    assert "untrained" in frames[0][1]
    drawn = []
    for _, alt, _ in frames[1:]:
        assert alt.startswith("A relu [2, 16, 1] network learning two moons at lr 4, after ")
        epoch, *said = FRAME_STATE.search(alt).groups()
        e = int(epoch) - 1
        assert said == ["60", f"{whole['loss'][e]:.3f}", f"{whole['val_loss'][e]:.3f}",
                        f"{100 * whole['val_acc'][e]:.1f}"], alt
        drawn.append(int(epoch))
    assert drawn == experiments.frame_epochs(60, 8)[1:]
    assert whole["loss"][-1] < whole["loss"][0] / 3 and whole["val_acc"][-1] >= 0.9


def test_playground_diverging_run_ends_with_the_message_and_the_last_good_frame():
    """A step far too large (lr 50 for relu [2, 16, 1] on the moons diverges in its first epochs): the
    frames before are ordinary (no message), and the last carries train's message and shows the params
    train gave back, the last whose loss passed: here the start of the one-epoch piece that diverged,
    so the same picture and text as the frame before it. Catches a run that ends in an exception with
    no frame, a last frame of the diverged params, and a message lost. Runs in Pyodide too."""
    frames = list(experiments.playground("moons", lr=50.0, epochs=60, n=100, frames=8))
    *before, (png, alt, message) = frames
    assert before and [m for *_, m in before] == [None] * len(before)
    assert message.startswith("training diverged in epoch ") and "try a smaller learning rate" in message
    assert (png, alt) == before[-1][:2]


def test_playground_draws_each_task_and_refuses_what_it_cannot_draw():
    """Each task the page offers (moons, xor, circles) gives a first frame whose alt text names it;
    data it does not know, and epochs or frames below 1, are refused by name (the door's promise: a
    ValueError that says what was expected)."""
    for data, name in experiments.DATA_NAMES.items():
        png, alt, message = next(experiments.playground(data, epochs=1, n=20, frames=1))
        assert image_format(png)[0] == "PNG" and f"learning {name} at lr 4, untrained" in alt
    with pytest.raises(ValueError, match=r"playground: data must be one of \['circles', 'moons', "
                                         r"'xor'\], got 'spirals'"):
        next(experiments.playground("spirals"))
    for name in ("epochs", "frames"):
        with pytest.raises(ValueError, match=f"playground: {name} must be an integer >= 1, got 0"):
            next(experiments.playground(**{name: 0}))


# Where each run of experiments.trained_with is, as the first sentence of a frame's alt text says it.
BOTH_STATE = re.compile(r"After (\d+) of (\d+) epochs from the same start, the lesson's backward is at "
                        r"training loss ([\d.]+) and held-out accuracy ([\d.]+) %, yours (diverged, shown at "
                        r"epoch \d+, the last whose loss passed, )?at training loss ([\d.]+) and held-out "
                        r"accuracy ([\d.]+) %\.")
SLIP = "sigma'(a) for sigma'(z)"  # the check's slip on the backprop page: f_grad(a1, sigmoid(a1))


def both_states(frames):
    """[(epoch, lesson's loss, lesson's accuracy, diverged, your loss, your accuracy)] of each frame
    after the first."""
    found = [BOTH_STATE.match(alt) for _, alt, _ in frames[1:]]
    assert all(found), [alt[:200] for (_, alt, _), f in zip(frames[1:], found, strict=True) if not f]
    return [(int(f[1]), float(f[3]), float(f[4]), bool(f[5]), float(f[6]), float(f[7])) for f in found]


def test_trained_with_the_lessons_backward_learns_the_moons_and_the_slip_does_not():
    """The backprop page's block: the lesson's own backward_two_layer, trained beside the lesson's
    backward, is the same run (the same numbers in every frame), the one train gives (tanh [2, 16, 1],
    lr 1.5, 300 epochs on 200 moons points), and it learns the moons: 95 % held out. With the check's
    slip in step (5) it does not: its loss stays 1.5 times the lesson's, its accuracy 5 points lower,
    while the lesson's run beside it is untouched; and with ReLU units the slip changes nothing (a1 > 0
    where z1 > 0), as the page says. mlp.backward is the lesson's afterwards. Catches a comparison that
    trains both runs with one backward, a frame that names the wrong run's numbers, and a with_backward
    that leaves the reader's function in place."""
    (X, y), (Xt, yt) = experiments.make_task("moons", 200, 200)
    _, whole = mlp.train(X, y, [2, 16, 1], "tanh", 1.5, 300, X_val=Xt, y_val=yt)
    lesson = mlp.backward
    same = both_states(list(experiments.trained_with(mlp.backward_two_layer, frames=4)))
    assert all((l_loss, l_acc) == (y_loss, y_acc) for _, l_loss, l_acc, _, y_loss, y_acc in same), same
    epochs, loss, acc, *_ = same[-1]
    assert (epochs, loss, acc) == (300, round(whole["loss"][-1], 3), round(100 * whole["val_acc"][-1], 1))
    assert acc >= 95 and loss < whole["loss"][0] / 3
    frames = list(experiments.trained_with(zoo.buggy_backward(SLIP), frames=4))
    slipped = both_states(frames)
    assert [state[:3] for state in slipped] == [state[:3] for state in same]  # the lesson's, untouched
    _, loss, acc, diverged, your_loss, your_acc = slipped[-1]
    assert not diverged and your_loss > 1.5 * loss and your_acc < acc - 5, slipped[-1]
    assert [message for *_, message in frames] == [None] * len(frames) and mlp.backward is lesson
    relu = both_states(list(experiments.trained_with(zoo.buggy_backward(SLIP), activation="relu", lr=4.0,
                                                     epochs=30, frames=3)))
    assert all((l_loss, l_acc) == (y_loss, y_acc) for _, l_loss, l_acc, _, y_loss, y_acc in relu), relu


def test_trained_with_a_diverging_backward_ends_with_the_message_and_mlp_backward_back():
    """A backward that makes train diverge (the zoo's "sum vs mean": every gradient n times too large)
    stops its run at the params train gave back, while the lesson's goes on; the last frame repeats the
    picture with train's message, naming whose run it was. A backward that raises leaves mlp.backward
    the lesson's (with_backward's `finally`): the page's Python must not keep a broken train."""
    frames = list(experiments.trained_with(zoo.buggy_backward("sum vs mean"), epochs=30, frames=4))
    *before, (png, alt, message) = frames
    assert [m for *_, m in before] == [None] * len(before) and (png, alt) == before[-1][:2]
    assert message.startswith("your backward_two_layer: training diverged in epoch ")
    epoch, *_, diverged, _, _ = both_states(frames)[-1]
    assert diverged and epoch == 30

    def broken(params, cache, y, activation="relu"):
        raise ZeroDivisionError("the reader's mistake")

    lesson = mlp.backward
    with pytest.raises(ZeroDivisionError, match="the reader's mistake"):
        list(experiments.trained_with(broken, epochs=3, frames=2))
    assert mlp.backward is lesson


def test_the_teacher_page_names_every_figure():
    """docs/teaching.md says which figure shows what: every figure and slide the lab writes is linked
    there, at its path under visualizations/. Catches a new figure or slide nobody described, and a
    renamed one (the site's strict build then also fails on the stale link)."""
    page = (HERE / "docs" / "teaching.md").read_text(encoding="utf-8")
    figures = [name for _, names in experiments.EXPERIMENTS.values() for name in names]
    assert [name for name in figures if f"(visualizations/{name})" not in page] == []


def test_bayes_accuracy_of_the_experiments_matches_the_tests_own():
    """The Bayes limit printed under the non-linear task table is computed by
    experiments.moons_bayes_accuracy; test_mlp.py computes it independently. They must agree (to the
    grid's resolution): a comparison written the wrong way round would report the worst classifier,
    about 3 %."""
    X, y = moons_test_set()
    ours = experiments.moons_bayes_accuracy(X, y, MOONS_NOISE)
    assert ours == pytest.approx(moons_bayes_accuracy(), abs=2e-3)


def test_two_runs_write_the_same_bytes(two_quick_runs):
    """Fixed seeds and no timestamps or version strings in the PNGs: a second run changes nothing, so a
    diff of the committed files shows only real changes. An unseeded generator, a dict iterated in
    an order that varies, or matplotlib's default "Software" metadata would each break this."""
    (first, second), _ = two_quick_runs
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for f in files:
        assert (first / f).read_bytes() == (second / f).read_bytes(), f
    png = (first / "visualizations" / "loss_curve.png").read_bytes()
    assert b"Software" not in png and b"atplotlib" not in png


RESULT = re.compile(r"\d+\.\d %|\d\.\de[-+]\d\d")  # how the tables write accuracies and errors


@pytest.mark.parametrize("document", ["experiments_log.md", "learning_journal.md"])
def test_results_quoted_in_prose_are_in_the_generated_tables(document):
    """Numbers are generated, never typed: every accuracy or error quoted in the prose of the log or of
    the journal must stand in a generated table of the committed log. A number left behind when the
    experiments changed (a stale "97.4 %") fails here."""
    generated = " ".join(sections(LOG.read_text()).values())
    quoted = RESULT.findall(prose((HERE / document).read_text()))
    assert quoted, "precondition: the prose quotes some results"
    assert [q for q in quoted if q not in generated] == []


def test_command_line_rejects_unknown_options():
    """python mlp.py hands over to the lab's command line: an unknown option is a usage error (exit
    status 2, saying what is wrong), not a silent full run."""
    result = subprocess.run([sys.executable, str(HERE / "mlp.py"), "--outt", "x"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "unrecognized arguments: --outt" in result.stderr


def test_the_command_line_runs_on_the_same_kernels_everywhere():
    """Would catch the lab writing bytes that depend on the machine's CPU: the committed tables print
    round-off, and OpenBLAS's and NumPy's AVX-512 kernels round differently on Intel and AMD. The
    command line re-runs itself on the AVX2 kernels before numpy loads; numpy must then report its
    AVX-512 dispatch (X86_V4) off, and a second call must not re-run again (it would loop)."""
    probe = ("import experiments, os, sys; experiments.on_same_kernels(); experiments.on_same_kernels(); "
             "from numpy._core._multiarray_umath import __cpu_features__ as f; "
             "print(os.environ.get('OPENBLAS_CORETYPE'), f['X86_V4'])")
    env = {k: v for k, v in os.environ.items() if k not in experiments.SAME_KERNELS}
    out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=HERE, capture_output=True,
                         text=True, check=True).stdout.split()
    has_avx2 = " avx2" in pathlib.Path("/proc/cpuinfo").read_text()
    assert has_avx2, "CI's machines are x86-64 with AVX2: the committed bytes are those of its kernels"
    assert out == ["Haswell", "False"], out


# ----------------------------------------------------------------------------------------------------
# Issue 24: the evidence behind the site's claims. Each experiment's mechanism is tested on a small case
# with a known answer, and each claim of the prose is tested against the committed tables.
# ----------------------------------------------------------------------------------------------------

def table_rows(name):
    """The rows of the committed log's generated table `name`: {first cell: [cells]}."""
    lines = sections(LOG.read_text())[name].split("\n\n")[0].splitlines()[2:]
    split = ([c.strip() for c in line.strip("|").split(" | ")] for line in lines)
    return {cells[0]: cells[1:] for cells in split}


def below_table(name):
    """The sentences the lab writes under the committed table `name`."""
    return sections(LOG.read_text())[name].split("\n\n", 1)[1]


def journal():
    return (HERE / "learning_journal.md").read_text(encoding="utf-8")


def test_per_layer_factor_is_the_slope_not_the_end_effect():
    """per_layer_factor returns q for ratios c q^depth whatever c is (the output layer's end effect), and
    its reciprocal for a ratio that grows. Catches a factor taken as ratio^(1/depth) (which would give
    c^(1/depth) q), a slope read as a factor, or a fit against the wrong variable."""
    depths = experiments.HIDDEN_LAYERS
    for c, q in [(0.2, 0.19), (5.0, 1.04), (1.0, 3.8)]:
        assert experiments.per_layer_factor(depths, [c * q**k for k in depths]) == pytest.approx(q, rel=1e-12)
    assert experiments.per_layer_factor(depths, [0.2] * 4) == pytest.approx(1.0)


def test_the_vanishing_table_and_what_the_journal_says_of_it():
    """Committed table: sigmoid's fitted factor is a little below 1/4 (the page: "a little smaller than
    1/4"), relu's and tanh's near 1; the std-1 relu row's error sent down grows about 4-fold a layer
    (sqrt(32 / 2) = 4), as do its activations, and its weight gradients are orders of magnitude above
    He's. The factors the journal quotes are the table's. Catches prose left behind by a changed table."""
    rows = table_rows("vanishing")
    factor = {row: float(cells[-1]) for row, cells in rows.items()}
    assert 0.1 < factor["sigmoid (Xavier)"] < 0.25
    assert 0.85 < factor["relu (He)"] < 1.15 and 0.85 < factor["tanh (Xavier)"] < 1.15
    text = below_table("vanishing")
    pattern = r"fitted factor of (\d+\.\d+)|a factor of (\d+\.\d+) per layer"
    grow = [float(x) for pair in re.findall(pattern, text) for x in pair if x]
    assert len(grow) == 2 and all(3 < g < 5 for g in grow), text
    sizes = re.search(r"is (\S+) to (\S+) in every layer, against (\S+) to (\S+) with He", text).groups()
    std1, he = sizes[0], sizes[3]  # std 1's smallest, He's largest
    assert float(std1) > 1000 * float(he)
    quoted = journal()
    for row, word in [("sigmoid (Xavier)", "by"), ("relu (He)", "by"), ("tanh (Xavier)", "")]:
        assert f"{word} {rows[row][-1]}".strip() in quoted, row
    assert f"measures {grow[0]:.2f} per added hidden" in quoted


def test_plant_kink_moves_one_example_onto_the_kink():
    """plant_kink: in the returned X, the first relu unit's z for the first example is the distance
    asked for (to round-off), and every other example is untouched. Catches a plant that moves every
    example (kinks everywhere) or misses the unit."""
    params, X, _ = zoo.gradcheck_problem([2, 5, 4, 1], "relu", n=8)
    moved = experiments.plant_kink(params, X, 3e-6)
    z = moved @ params["W1"] + params["b1"]
    assert z[0, 0] == pytest.approx(3e-6, abs=1e-15)
    assert np.array_equal(moved[1:], X[1:])


def test_a_crossed_kink_is_diluted_in_the_parameters_but_not_in_the_intermediates():
    """kink_runs at n = 8 and 1000 (ten networks each): with a kink planted, the per-example
    intermediates read above 1e-1 at both n, while the parameters' median error and largest absolute
    difference fall more than tenfold from n = 8 to 1000; without the kink, n = 8 reads below 1e-7 in
    both kinds. Catches a kink not planted (no error), errors taken over the wrong kind of tensor, and
    a table whose trend in n is an artefact."""
    small, large = (np.median(experiments.kink_runs(n, range(10)), axis=0) for n in (8, 1000))
    assert small[1] > 0.1 and large[1] > 0.1
    assert large[0] < small[0] / 10 and large[2] < small[2] / 10
    assert small[3] <= 1e-7 and small[4] <= 1e-7


def test_a_kink_crossed_by_chance_flips_a_relu_mask():
    """The kinks table's last column counts unplanted networks that read not correct. For each at
    n = 1000, the entry the check reads worst is one whose +-eps nudge switches some relu unit on or off
    for some example: a kink, not a bug (the backward is the lesson's). Catches that column counting
    something else (a truncation error, a wrong noise floor)."""
    found = 0
    for seed in range(10):
        params, X, y = zoo.gradcheck_problem([2, 5, 4, 1], "relu", n=1000, seed=seed)
        report = mlp.gradient_check(params, X, y, "relu")
        bad = [k for k, r in report.items() if r["verdict"] != "correct" and k[1:] in params]
        for key in bad[:1]:
            r = report[key]
            rel = mlp.relative_error(r["analytic"], r["numeric"])
            i = np.unravel_index(rel.argmax(), rel.shape)
            masks = []
            for sign in (1, -1):
                nudged = {k: v.copy() for k, v in params.items()}
                nudged[key[1:]][i] += sign * 1e-5
                cache = mlp.forward(nudged, X, "relu")[1]
                masks.append([cache[f"z{l}"] > 0 for l in (1, 2)])
            assert any((a != b).any() for a, b in zip(*masks, strict=True)), (seed, key)
            found += 1
    assert found == int(table_rows("kinks")["1000"][-1].split(" of ")[0])


def test_the_kinks_table_bears_out_the_claims_made_of_it():
    """Committed table, as the gradient-check page and the log read it: with a planted kink, the
    intermediates' median is of order 1 at every n, the parameters' median reads wrong (> 1e-2) at n = 8
    and uncomfortable (1e-4 to 1e-2) at n = 1000; without one, the parameters' median at n = 1000 is
    over cs231n's 1e-7, and kinks crossed by chance appear at n = 1000 and not at n = 8."""
    rows = {n: [float(c.split()[0]) for c in cells[:5]] + [int(cells[5].split()[0])]
            for n, cells in table_rows("kinks").items()}
    assert all(r[1] > 0.1 for r in rows.values())
    assert rows["8"][0] > 1e-2 and 1e-4 < rows["1000"][0] <= 1e-2
    assert rows["1000"][3] > 1e-7 > rows["8"][3]
    assert rows["1000"][5] > 0 == rows["8"][5]


def test_dead_units_of_the_first_layer_never_come_back_and_of_the_second_can():
    """A relu unit dead on every training input gets exactly zero gradient for its incoming weights and
    bias. In the first layer its input is the data, so after 100 epochs (biases -1, three seeds) its
    weights are the same bits and it is still dead; some units of the second layer come back, because
    the first layer's output changes under them. Catches a reading of "dead" that lets a first-layer
    unit return (a mask taken after the step, a gradient that leaks), and a count that cannot see
    returns at all."""
    (X, y), _ = experiments.TASKS["moons"]
    back = 0
    for seed in range(3):
        start = experiments.negative_bias_init([2, 32, 32, 1], seed)
        params, _ = mlp.train(X, y, [2, 32, 32, 1], "relu", lr=0.5, epochs=100, params=start)
        before, after = experiments.dead_units(start, X), experiments.dead_units(params, X)
        assert before[0].any() and np.array_equal(before[0], after[0])
        assert np.array_equal(params["W1"][:, before[0]], start["W1"][:, before[0]])
        assert np.array_equal(params["b1"][:, before[0]], start["b1"][:, before[0]])
        back += int((before[1] & ~after[1]).sum())
    assert back > 0


def test_moved_counts_returns_and_deaths_by_layer():
    """moved: a unit dead before and alive after came back, the reverse died, per layer, summed over
    runs. Catches the two swapped or the layers summed."""
    run = ([np.array([1, 1, 0], bool), np.array([0, 1], bool)],
           [np.array([1, 0, 1], bool), np.array([1, 0], bool)], 0.1, 0.9)
    back, died = experiments.moved([run, run])
    assert back.tolist() == [2, 2] and died.tolist() == [2, 2]
    back, died = experiments.moved([(run[1], run[0], *run[2:])])
    assert back.tolist() == [1, 1] and died.tolist() == [1, 1]


def test_the_dead_unit_tables_bear_out_the_claims_made_of_them():
    """Committed tables, as the journal (question 3) and the training page read them: no unit of the
    first layer came back in any run, and units of the second layer did; the scale's effect is within
    about the spread over seeds (He and Xavier differ by less than one standard deviation); the
    learning rate's is large (the dead share at 4 is over five times that at 0.5, layer-1 units die at
    4 and not at 0.5); at 8 nearly every run diverges. The journal's numbers are the tables'."""
    init, lr = table_rows("init"), table_rows("dead_lr")
    assert all(cells[2].startswith("0, ") for cells in init.values())
    died_1 = {name: int(cells[3].split(", ")[0]) for name, cells in init.items()}
    assert died_1["he"] == 0 and min(died_1["normal"], died_1["small"]) > died_1["xavier"]
    assert re.search(r"0 of layer 1 and [1-9]\d* of layer 2 came back", below_table("init"))
    he, xavier = (init[name][1].split(" % ± ") for name in ("he", "xavier"))
    assert abs(float(he[0]) - float(xavier[0])) < max(float(he[1]), float(xavier[1]))

    def dead(rate):
        return float(lr[rate][1].split(" %")[0])

    assert dead("4.0") > 5 * dead("0.5")
    assert 7 < dead("4.0") / dead("0.5") < 14  # the log: "from 0.5 to 4 the dead share grows about tenfold"
    assert lr["4.0"][0] == "1 of 10"  # "one run in ten diverges" (the log, the journal)
    assert lr["0.5"][2].startswith("0.0 ") and float(lr["4.0"][2].split()[0]) > 5
    assert int(lr["8.0"][0].split()[0]) >= 8
    assert f"{lr['4.0'][2].split(' of ')[0]} of the first layer's 32" in journal()


def test_batch_noise_of_single_examples_is_their_variance():
    """batch_noise: over one epoch, every example is one batch of B = 1 exactly once, so the measured
    mean ||g_1 - g||^2 equals s^2 (to round-off); larger batches are quieter, and one batch of all n
    examples has no noise. Catches a mean over the wrong axis, a batch gradient compared with the wrong
    full gradient, and sampling with replacement."""
    (X, y), _ = experiments.TASKS["moons"]
    X, y = X[:60], y[:60]
    params = mlp.init_params([2, 16, 1], "relu")
    s2, measured, signal = experiments.batch_noise(params, X, y, "relu", (1, 6, 60), epochs=1)
    assert measured[1] == pytest.approx(s2, rel=1e-12)
    assert measured[60] < 1e-20 * signal < measured[6] < measured[1]


def test_the_batch_noise_table_follows_one_over_B():
    """Committed table: the measured noise is within 15 % of sampling theory's s^2 / B (n - B) / (n - 1)
    for every B < n, and falls with B; the full batch reads 0. Catches the training page's "the noise
    falls as 1/B" going stale."""
    rows = table_rows("batch_noise")
    partial = [(int(B), float(c[1]), float(c[2])) for B, c in rows.items() if "round" not in c[1]]
    assert len(partial) >= 4
    for B, measured, predicted in partial:
        assert measured == pytest.approx(predicted, rel=0.15), B
    assert [m for _, m, _ in partial] == sorted((m for _, m, _ in partial), reverse=True)
    assert rows["400"][1].startswith("0 ")
    assert float(rows["1"][3]) > 2  # "at B = 1 it is several times the squared gradient itself"


def test_top_eigenvalue_is_logistic_regressions_exact_one():
    """For logistic regression the Hessian of the mean loss is known in closed form, (1/n) sum_i
    p_i (1 - p_i) x_i x_i^T with x_i = (x_i1, x_i2, 1); power iteration on the lab's Hessian-vector
    products finds its largest eigenvalue. Catches a wrong difference quotient (a missing 2 in 2h), a
    Rayleigh quotient of an unnormalised vector, or a stop before convergence."""
    (X, y), _ = experiments.TASKS["moons"]
    params = {"W1": np.array([[0.8], [-1.5]]), "b1": np.array([[0.3]])}
    p = mlp.predict_proba(params, X, "sigmoid")
    Xt = np.column_stack([X, np.ones(len(X))])
    exact = np.linalg.eigvalsh(Xt.T @ (p * (1 - p) * Xt) / len(X)).max()
    assert experiments.top_eigenvalue(params, X, y, "sigmoid") == pytest.approx(exact, rel=1e-6)


@pytest.mark.parametrize("eigenvalues, top", [((-3.0, 1.0, 0.5), 1.0), ((2.0, -1.0, 0.1), 2.0)])
def test_top_eigenvalue_is_the_largest_even_when_a_negative_one_is_larger(monkeypatch, eigenvalues, top):
    """Power iteration finds the eigenvalue largest in size; where that one is negative, top_eigenvalue
    shifts and finds the largest. Both sides: a matrix whose largest-in-size eigenvalue is -3 (answer 1)
    and one where it is the largest (answer 2). Catches a lambda_max that is really max |lambda|."""
    Q = np.linalg.qr(np.random.default_rng(0).standard_normal((3, 3)))[0]
    A = Q @ np.diag(eigenvalues) @ Q.T
    monkeypatch.setattr(experiments, "hessian_vector", lambda params, X, y, act, v: A @ v)
    params = {"W1": np.zeros((2, 1)), "b1": np.zeros((1, 1))}
    assert experiments.top_eigenvalue(params, None, None, "sigmoid") == pytest.approx(top, rel=1e-4)


def test_hessian_vector_does_not_depend_on_its_step_on_a_trained_relu_network():
    """On a relu network trained 300 epochs (inputs near kinks), H v with h = 1e-6 and h = 1e-7 agree to
    1e-5: the step is small enough that the two gradients do not straddle a kink. (At h = 1e-4 they did,
    and the power iteration jumped.) Catches a step chosen where kinks make the product meaningless."""
    (X, y), _ = experiments.TASKS["moons"]
    params, _ = mlp.train(X, y, [2, 16, 1], "relu", epochs=300)
    v = np.random.default_rng(0).standard_normal(sum(p.size for p in params.values()))
    a, b = (experiments.hessian_vector(params, X, y, "relu", v, h) for h in (1e-6, 1e-7))
    assert np.abs(a - b).max() <= 1e-5 * np.abs(a).max()


def test_the_curvature_table_bears_out_the_claims_made_of_it():
    """Committed table, as the training page and the log read it: 2 / lambda_max at initialisation is
    below train's default step of 4 for both networks; the sigmoid network's first step raises the loss
    from about there (within a factor 1.5), the relu network's only from a step of 8; train stops a run
    only at steps more than five times 2 / lambda_max; at a step of 4 the sigmoid network's lambda_max
    stays below 2 / 4 after epoch 10, while the relu network's settles within 25 % of 2 / lr at steps 2
    and 4 (the edge of stability). Catches the page's "many times", "stays below" or "hovers at" going
    stale."""
    rows = table_rows("curvature")
    for act, cells in rows.items():
        limit = float(cells[1])
        assert limit < 4, act
        assert float(cells[5]) > 5 * limit, act
    assert float(rows["sigmoid"][3]) <= 1.5 * float(rows["sigmoid"][1])
    assert float(rows["relu"][3]) == 8
    assert float(rows["sigmoid"][2].split(" to ")[1]) < 0.5
    # "for the sigmoid network, the steps between the largest whose loss still ends below ln 2 and the first
    # that train stops neither learn nor blow up; for relu the two are neighbours" (steps sqrt(2) apart)
    assert float(rows["sigmoid"][5]) > 1.5 * float(rows["sigmoid"][4])
    assert float(rows["relu"][5]) == pytest.approx(2**0.5 * float(rows["relu"][4]), rel=0.01)
    relu = below_table("curvature").split("relu ")[1]
    settled = dict(re.findall(r"(\d\.\d\d) \(2 / lr = (\d\.\d\d)\)", relu))
    for lam, two_over_lr in list(settled.items())[1:]:
        assert float(lam) == pytest.approx(float(two_over_lr), rel=0.25)


def test_the_first_step_at_the_default_step_overshoots_as_the_pages_say():
    """Committed non-linear table, as the training page and the log read its first-step column: at lr 4
    the first step raises the training loss in every run but relu's on the moons, and more than doubles
    it for both sigmoid networks; relu's on the moons agrees with the curvature table (its first step
    raises the loss only from a step above 4). Catches "the first step overshoots" going stale."""
    lines = sections(LOG.read_text())["nonlinear"].split("\n\n")[0].splitlines()[2:]
    rows = [[c.strip() for c in line.strip("|").split(" | ")] for line in lines]
    assert len(rows) == 4
    for task, act, step, *_ in rows:
        before, after = (float(x) for x in step.split(" → "))
        assert (after > before) == ((task, act) != ("moons", "relu")), (task, act)
        if act == "sigmoid":
            assert after > 2 * before, task
    assert float(table_rows("curvature")["relu"][3]) > 4


def test_the_deep_check_marks_the_tensors_it_cannot_see():
    """Committed deep-check table: a tensor whose largest gradient entry is below the check's noise (the
    sentence under the table) reads "correct, unseen: ...", and one above it plain "correct". Catches a
    table that calls an invisible tensor checked, as the page once did."""
    noise = float(re.search(r"is (\S+) here", below_table("deep_check"))[1])
    rows = {k: v for k, v in table_rows("deep_check").items() if k.startswith("dW")}
    assert any(float(c[0]) < noise for c in rows.values()) and any(float(c[0]) > noise for c in rows.values())
    for key, cells in rows.items():
        assert ("unseen" in cells[-1]) == (float(cells[0]) < noise), key
    # The gradient-check page: cs231n's measure reads the correct backward "uncomfortable" (not "wrong"),
    # the round-off-aware verdict reads every tensor correct.
    readings = [cells[3] for cells in table_rows("deep_check").values()]
    assert "uncomfortable" in readings and "wrong" not in readings
    assert all(cells[-1].startswith("correct") for cells in table_rows("deep_check").values())


def test_the_linear_models_seeds_end_at_one_minimum():
    """The depth table's sentence on logistic regression: its seeds end within 1e-3 of each other and
    predict alike (the journal's "exactly one minimum ... approaches it"). Catches the claim going stale
    if the training changes."""
    text = sections(LOG.read_text())["depth"]
    apart = float(re.search(r"differ by at most (\S+) \(largest entry", text)[1])
    assert apart < 1e-3 and "predictions in none of" in text


def test_the_home_page_states_the_lessons_length_truly():
    """Home says mlp.py has at most N lines; it has. Catches "fewer than 500" of a 500-line file."""
    n = int(re.search(r"one file of at most (\d+) lines", (HERE / "docs" / "index.md").read_text())[1])
    assert len((HERE / "mlp.py").read_text().splitlines()) <= n

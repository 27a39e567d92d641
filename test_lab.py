"""Tests of the lab (experiments.py), the datasets and the command line."""

import contextlib
import functools
import html
import http.server
import math
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import numpy as np
import pytest

import mlp


# ----------------------------------------------------------------------------------------------------
# The bug zoo: every planted mistake must be caught, and the real backward must pass the same check
# ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bug", list(mlp.BUGS), ids=lambda b: re.sub(r"\W+", "_", b).strip("_"))
def test_gradient_check_catches_planted_bug(bug):
    """On the same problem, the real backward passes (<= 1e-7) and the buggy one is flagged (> 1e-2,
    cs231n's "wrong"). First make sure the bug is really planted: a buggy_backward that equals backward
    (say, a misspelt bug name that falls through to the correct code) would make this test meaningless."""
    activation = mlp.BUGS[bug][0]
    params, X, y = mlp.gradcheck_problem(activation=activation, seed=0)  # [2, 3, 3, 1]: W2 is square
    _, cache = mlp.forward(params, X, activation)
    if activation == "relu":
        assert min(np.abs(cache[f"z{l}"]).min() for l in (1, 2)) > KINK_MARGIN  # no kink within eps
    real = mlp.backward(params, cache, y, activation)
    entries = np.abs(np.concatenate([g.ravel() for g in real.values()]))
    assert entries[entries > 0].min() > 1e-5  # no vanishing entry whose round-off could reach 1e-7
    buggy = mlp.buggy_backward(params, cache, y, activation, bug)
    assert any(not np.allclose(buggy[k], real[k], rtol=1e-6, atol=0) for k in real), "the bug changes nothing"

    real_report = mlp.gradient_check(params, X, y, activation, analytic=real)
    assert max(r["rel_error"] for r in real_report.values()) <= 1e-7
    buggy_report = mlp.gradient_check(params, X, y, activation, analytic=buggy)
    assert max(r["rel_error"] for r in buggy_report.values()) > 1e-2


def test_bug_zoo_table():
    """bug_zoo() (the table in the docs) lists the real backward twice, passing, then every bug, caught."""
    rows = mlp.bug_zoo()
    assert [(bug, act) for bug, act, _, _ in rows] == (
        [(None, "sigmoid"), (None, "relu")] + [(b, act) for b, (act, _) in mlp.BUGS.items()])
    for bug, _, rel, where in rows:
        assert (rel <= 1e-7) if bug is None else (rel > 1e-2), (bug, rel)
        assert where in {"W1", "b1", "W2", "b2", "W3", "b3"}


# ----------------------------------------------------------------------------------------------------
# Datasets: the generators produce what their docstrings say (the Bayes test below relies on it)
# ----------------------------------------------------------------------------------------------------

def test_make_xor_truth_table():
    """make_xor(4, 0): the four corners with XOR labels: 1 exactly where the two signs differ."""
    X, y = mlp.make_xor(4, 0.0)
    assert np.array_equal(X, [[-1, -1], [-1, 1], [1, -1], [1, 1]])
    assert np.array_equal(y, [[0], [1], [1], [0]])


def test_make_moons_points_lie_on_their_half_circles():
    """Without noise, label-0 points lie on (cos t, sin t) and label-1 points on (1 - cos t, 0.5 - sin t),
    t in [0, pi]: the curves that the Bayes classifier in the moons test assumes."""
    X, y = mlp.make_moons(200, 0.0, seed=3)
    upper, lower = X[y[:, 0] == 0], X[y[:, 0] == 1]
    assert len(upper) == len(lower) == 100
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, rtol=1e-14)
    np.testing.assert_allclose(np.hypot(1 - lower[:, 0], 0.5 - lower[:, 1]), 1.0, rtol=1e-14)
    assert (upper[:, 1] >= 0).all() and (lower[:, 1] <= 0.5).all()


# ----------------------------------------------------------------------------------------------------
# The command: python mlp.py writes every figure and table, the same bytes every time, and keeps the
# author's prose in experiments_log.md
# ----------------------------------------------------------------------------------------------------

LOG = mlp.HERE / "experiments_log.md"
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
    once = mlp.fill_markers(LOG_TEXT, tables)
    assert prose(once) == prose(LOG_TEXT)
    assert sections(once) == tables
    assert mlp.fill_markers(once, tables) == once
    assert "old a" not in once
    small = "a\n<!-- --8<-- [start:t] -->\nold\n<!-- --8<-- [end:t] -->\nb\n"  # and to the byte:
    assert mlp.fill_markers(small, {"t": "| x |"}) == (
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
        mlp.fill_markers(broken, {"a": "A", "b": "B"})


def test_write_tables_never_leaves_a_truncated_log(tmp_path, monkeypatch):
    """The log is written to a temporary file and renamed over the old one: if the rename never happens
    (a crash, a full disk), the old log is still there, whole. Writing in place would truncate it first."""
    log = tmp_path / "experiments_log.md"
    log.write_text(LOG_TEXT)

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(mlp.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        mlp.write_tables(log, {"a": "A", "b": "B"})
    assert log.read_text() == LOG_TEXT
    monkeypatch.undo()
    mlp.write_tables(log, {"a": "A", "b": "B"})
    assert sections(log.read_text()) == {"a": "A", "b": "B"}


@pytest.fixture(scope="module")
def two_quick_runs(tmp_path_factory):
    """python mlp.py --quick, twice, each into a fresh folder (a few seconds each)."""
    outs = [tmp_path_factory.mktemp(f"run{i}") for i in (1, 2)]
    lines = []
    # -W error does not reach the worker processes that run the experiments: this does.
    saved, os.environ["PYTHONWARNINGS"] = os.environ.get("PYTHONWARNINGS"), "error"
    try:
        for out in outs:
            mlp.run_all(out, quick=True, log=lines.append)
    finally:
        os.environ.pop("PYTHONWARNINGS") if saved is None else os.environ.update(PYTHONWARNINGS=saved)
    return outs, lines


def test_a_run_writes_every_figure_and_table(two_quick_runs):
    """Every figure named in EXPERIMENTS is a PNG file, every section of the log is filled, the prose
    is the committed log's, and there is one progress line per experiment plus a summary."""
    (out, _), lines = two_quick_runs
    figures = [name for _, names in mlp.EXPERIMENTS.values() for name in names]
    assert len(figures) == 6
    for name in figures:
        assert (out / "visualizations" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    assert sorted(p.name for p in (out / "visualizations").iterdir()) == sorted(figures)
    text = (out / "experiments_log.md").read_text()
    tables = sections(text)
    assert set(tables) == {name for _, name in MARKER.findall(LOG.read_text())}
    assert all(table.startswith("| ") for table in tables.values())
    assert prose(text) == prose(LOG.read_text())
    assert len(lines) == 2 * (len(mlp.EXPERIMENTS) + 1) and lines[len(mlp.EXPERIMENTS)].startswith("done in")
    # The tables say what the experiments found, even in a quick run: a ratio computed upside down or
    # from the wrong layers would not show deep sigmoid nets vanishing and relu nets not.
    ratios = {row.split(" | ")[0].strip("| "): float(row.rstrip(" |").split(" | ")[-1])
              for row in tables["vanishing"].splitlines()[2:5]}
    assert ratios["sigmoid"] < 1e-3 < 1e-1 < ratios["relu"] and ratios["tanh"] > 1e-1


def test_bayes_accuracy_of_the_experiments_matches_the_tests_own():
    """The Bayes limit printed under the non-linear task table is computed by mlp.moons_bayes_accuracy;
    the test above computes it independently. They must agree (to the grid's resolution): a comparison
    written the wrong way round would report the worst classifier, about 3 %."""
    X, y = moons_test_set()
    assert mlp.moons_bayes_accuracy(X, y, MOONS_NOISE) == pytest.approx(moons_bayes_accuracy(), abs=2e-3)


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
    quoted = RESULT.findall(prose((mlp.HERE / document).read_text()))
    assert quoted, "precondition: the prose quotes some results"
    assert [q for q in quoted if q not in generated] == []


def test_command_line_rejects_unknown_options():
    """An unknown option is a usage error (exit status 2, saying what is wrong), not a silent full run."""
    result = subprocess.run([sys.executable, str(mlp.HERE / "mlp.py"), "--outt", "x"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "unrecognized arguments: --outt" in result.stderr


# ====================================================================================================

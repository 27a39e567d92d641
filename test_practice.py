"""Tests of the Practice page (docs/practice.md) and of practice.py, which computes its solutions.

Every claim the page's prose makes about a generated number is tested here against the code that
generates it, so a change that makes a solution false fails a test, not only a reader. The page's
own python blocks run, its structure (exercises, collapsed solutions, every bug of the zoo) is
checked, and the built page is opened in a browser.
"""

import ast
import math
import re

import numpy as np
import pytest

import common
import grade
import mlp
import practice
import zoo
from test_grade import STARTER, fill, lesson_source
from test_site import ROOT, VIEWPORTS, examples

PAGE = ROOT / "docs" / "practice.md"
LOG = ROOT / "experiments_log.md"
ALL_BUGS = list(zoo.BUGS) + list(practice.CHECK_BUGS)
SECTIONS = {"find-the-bug": "Find the bug", "derive-it": "Derive it", "predict": "Predict, then run"}
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
                   re.M | re.S)


def page_text():
    return PAGE.read_text(encoding="utf-8")


def exercises():
    """{section title: [(heading, text up to the next heading)]} for the page's ### exercises."""
    found, section = {}, None
    for part in re.split(r"(?m)^(?=#{2,3} )", page_text()):
        heading = part.splitlines()[0] if part.startswith("#") else ""
        if heading.startswith("## "):
            section = next((t for t in SECTIONS.values() if heading[3:].startswith(t)), None)
        elif heading.startswith("### ") and section:
            found.setdefault(section, []).append((heading[4:], part))
    return found


def log_section(name, text=None):
    text = LOG.read_text(encoding="utf-8") if text is None else text
    name = re.escape(name)
    match = re.search(rf"<!-- --8<-- \[start:{name}\] -->\n(.*?)<!-- --8<-- \[end:{name}\] -->", text, re.S)
    assert match, f"experiments_log.md has no section {name}"
    return match[1].rstrip("\n")


# --- the page's structure ---------------------------------------------------------------------------

def test_at_least_twelve_exercises_each_with_one_collapsed_solution():
    """The issue's deliverable: >= 12 exercises of the three kinds, each with exactly one solution,
    collapsed by default (`???`, not `???+`, which would open it and show the answer at once)."""
    found = exercises()
    assert set(found) == set(SECTIONS.values()), f"sections found: {sorted(found)}"
    assert sum(map(len, found.values())) >= 12
    assert len(found["Derive it"]) >= 5 and len(found["Predict, then run"]) >= 5
    for section, items in found.items():
        for heading, text in items:
            solutions = re.findall(r'(?m)^\?\?\?(\+?) success "Solution"', text)
            assert solutions == [""], f"{section} / {heading}: solutions {solutions} (want one, collapsed)"


@pytest.mark.parametrize("bug", ALL_BUGS)
def test_every_bug_is_an_exercise_whose_question_shows_only_the_planted_code(bug):
    """Every mistake in the zoo (and each check bug) is an exercise. Its question shows the planted code
    alone, as a learner's own file would show it (a zoo bug as `{{ planted:SLUG }}`, the live block; a
    check bug as its generated listing), and only the folded solution shows the diff and the check. A
    bug added without an exercise, or a diff or check shown outside the solution, where it gives the
    answer away, fails here."""
    slug = practice.slug(bug)
    items = [(h, t) for h, t in exercises()["Find the bug"] if f"practice-diff-{slug}\"" in t]
    assert len(items) == 1, f"{bug!r}: {len(items)} exercises show its diff"
    heading, text = items[0]
    question, _, solution = text.partition('??? success "Solution"')
    planted = (rf"(?m)^    \{{\{{ planted:{slug} \}}\}}$" if bug in zoo.BUGS
               else rf'(?m)^--8<-- "experiments_log.md:practice-planted-{slug}"$')
    assert re.search(planted, question), f"{heading}: the question does not show the planted code"
    for shown in ("diff", "check"):
        assert re.search(rf'(?m)^    --8<-- "experiments_log.md:practice-{shown}-{slug}"$', solution), (
            heading, shown)
        assert f"practice-{shown}-{slug}" not in question, f"{heading}: {shown} shown outside the solution"


def test_every_generated_practice_section_is_quoted_by_the_page():
    """The log's practice-... sections and the page's quotes of them are the same set: a section
    that nothing shows, or a quote of a section that no longer exists, fails here."""
    logged = set(re.findall(r"<!-- --8<-- \[start:(practice-[\w-]+)\] -->", LOG.read_text(encoding="utf-8")))
    quoted = set(re.findall(r'--8<-- "experiments_log\.md:(practice-[\w-]+)"', page_text()))
    assert logged == quoted, f"only in the log: {logged - quoted}; only on the page: {quoted - logged}"


def prose(text):
    """The page without its code (fenced and inline), maths, and snippet lines."""
    text = FENCE.sub("", text)
    text = re.sub(r"\$\$.*?\$\$", "", text, flags=re.S)
    text = re.sub(r"\\\(.*?\\\)", "", text, flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    return re.sub(r"(?m)^\s*--8<--.*$", "", text)


def test_page_prose_types_no_results():
    """Numbers are generated, never typed: the prose of the page holds no decimal number, no
    percentage and no number in e-notation (a typed-in result such as "0.693" or "97 %" fails)."""
    typed = re.findall(r"\d+\.\d+|\d+(?:\.\d+)? ?%|\d[eE][-+]?\d", prose(page_text()))
    assert not typed, f"typed numbers in docs/practice.md: {typed}"


def test_prose_filter_would_see_a_typed_number():
    """The filter above only removes code and maths: a typed result in a sentence is still seen."""
    assert re.findall(r"\d+\.\d+", prose("The loss is 0.693 here, `not 1.5`, \\(2.5\\).\n")) == ["0.693"]


def test_page_has_examples_that_the_site_runs():
    """The page's own python examples (not the quoted regions) are run, and their Output blocks
    compared, by test_site.test_examples_run_and_print_what_the_page_shows; this makes sure it finds
    them here, with the output of the how-to example to compare."""
    found = examples(PAGE)
    assert found and found[0][2] is not None, found


def test_how_to_claims_per_example_intermediates_and_shapes():
    """Checking your own code: a dz that is the gradient of the mean loss (n times too small) reads
    wrong, and a tensor of another shape is a ValueError naming its key and both shapes."""
    params, X, y = zoo.gradcheck_problem([2, 3, 1], "tanh")
    _, cache = mlp.forward(params, X, "tanh")
    dz1 = mlp.backward(params, cache, y, "tanh")["dz1"]
    report = mlp.gradient_check(params, X, y, "tanh", analytic={"dz1": dz1 / len(X)})
    assert report["dz1"]["verdict"] == "wrong"
    with pytest.raises(ValueError, match=re.escape(f"analytic['dz1']'s shape must be {dz1.shape}, got")):
        mlp.gradient_check(params, X, y, "tanh", analytic={"dz1": dz1.T})


# --- find the bug ---------------------------------------------------------------------------------

STEPS = practice.steps_of_backward_two_layer()


def test_steps_of_backward_two_layer_are_the_seven_tags():
    """The step numbers the tables print are read from the # (N) tags: one tensor per step 1..7."""
    assert sorted(STEPS.values()) == list(range(1, 8)) and set(STEPS) == {
        "dz2", "dW2", "db2", "da1", "dz1", "dW1", "db1"}


def first_edited_tensor(bug):
    """The tensor that the earliest edited line of the bug assigns, in step order."""
    edited = [re.match(r"\s*(\w+) =", old)[1] for old in zoo.BUGS[bug][2]]
    return min(edited, key=STEPS.get)


@pytest.mark.parametrize("bug", zoo.BUGS)
def test_zoo_bug_is_caught_at_its_first_edited_step(bug):
    """The check (or its shape rule) catches every zoo bug, and the first tensor it flags, in step
    order, is the one the first planted line computes: the intermediates pinpoint the line, and the
    check says what it sees there in a one-line diagnosis. A check that stopped checking dz/da, a bug
    the check misses, or a wrong tensor without a diagnosis fails here."""
    try:
        report = practice.bug_check(bug)
    except ValueError as err:  # the shape rule
        assert f"analytic['{first_edited_tensor(bug)}']" in str(err)
        return
    first = next(k for k, r in report.items() if r["verdict"] != "correct")
    assert first == first_edited_tensor(bug)
    assert report[first]["verdict"] == "wrong"
    said = report[first].get("diagnosis")  # issue 14's contract: one line, for a tensor not correct
    assert isinstance(said, str) and said and "\n" not in said, f"{bug}: the diagnosis is {said!r}"
    rows = {row[0]: row for row in zoo.bug_zoo()}
    assert rows[bug][3] == first, "the zoo's table and the exercise disagree"


def test_each_find_the_bug_solution_gives_the_diagnosis_of_its_first_wrong_step():
    """The solution of every zoo bug quotes the diagnosis of its first wrong step (the check's, or the
    shape sentence for a bug the door stops); the two bugs in the check itself show none, since the
    diagnosis would read a right backward against a broken numerical gradient."""
    for bug in zoo.BUGS:
        table = practice.bug_tables(bug)[f"practice-check-{practice.slug(bug)}"]
        try:
            report = practice.bug_check(bug)
        except ValueError as err:
            key, want, got = zoo.shape_error(err)
            assert f'The grader\'s diagnosis: "{zoo.shape_sentence(key, got, want)}".' in table, bug
            continue
        first = next(k for k, r in report.items() if r["verdict"] != "correct")
        assert f'The check\'s diagnosis: "{report[first]["diagnosis"]}".' in table, bug
    for bug in practice.CHECK_BUGS:
        assert "diagnosis" not in practice.check_bug_tables(bug)[f"practice-check-{practice.slug(bug)}"], bug


def zoo_errors(bug):
    return {k: r["error"] for k, r in practice.bug_check(bug).items()}


def n_ratio():
    n = len(zoo.gradcheck_problem(zoo.ZOO_SIZES, "sigmoid")[1])
    return (n - 1) / (n + 1)


def test_bug_claims_one_over_n():
    """Bugs 2, 6, 10: a gradient n times off reads (n-1)/(n+1) in the flagged tensors, and the
    tensors the prose says pass do pass."""
    e = zoo_errors("missing 1/n")
    assert e["db2"] == pytest.approx(n_ratio(), rel=1e-6) and e["db1"] == pytest.approx(n_ratio(), rel=1e-6)
    assert max(e["dW2"], e["dW1"]) < 1e-7
    e = zoo_errors("sum vs mean")
    assert all(e[k] == pytest.approx(n_ratio(), rel=1e-6) for k in ("dW2", "db2", "dW1", "db1"))
    assert max(e["dz2"], e["da1"], e["dz1"]) < 1e-7
    e = zoo_errors("1/n carried down")
    assert all(e[k] == pytest.approx(n_ratio(), rel=1e-6) for k in ("da1", "dz1", "dW1", "db1"))
    assert max(e["dz2"], e["dW2"], e["db2"]) < 1e-7


def test_bug_claims_sizes_of_errors():
    """Bug 1: right sign, wrong size (error well below 1); bug 4: cs231n's relative error exactly 1,
    and the check's error 1 to within its round-off noise (which it subtracts); bug 9: dz2 too small
    by sigma' <= 1/4 in every entry, so every entry's error is at least 3/5."""
    assert 1e-2 < max(zoo_errors("sigma'(a) for sigma'(z)").values()) < 0.9
    report = practice.bug_check("dropped bias gradient")
    for key in ("db2", "db1"):
        assert report[key]["rel_error"] == 1.0 and 1 - 1e-6 < report[key]["error"] <= 1.0, key
    report = practice.bug_check("sigma' kept in step (1)")["dz2"]
    assert mlp.relative_error(report["analytic"], report["numeric"]).min() >= 0.6


@pytest.mark.parametrize("bug", ["sigma'(a) for sigma'(z)", "relu mask from da", "skipped activation"])
def test_bug_claim_step_five_is_inherited_below(bug):
    """Bugs 1, 5, 8 (step (5)): dz1 fails, and dW1 and db1, computed from it, fail too, while the
    steps above it pass."""
    report = practice.bug_check(bug)
    assert [k for k, r in report.items() if r["verdict"] == "wrong"] == ["dz1", "dW1", "db1"]
    assert all(report[k]["verdict"] == "correct" for k in ("dz2", "dW2", "db2", "da1"))


def test_bug_claim_step_one_spoils_everything():
    """Bug 9: with step (1) wrong, every tensor is wrong."""
    assert all(r["verdict"] == "wrong" for r in practice.bug_check("sigma' kept in step (1)").values())


def test_bug_claim_skipped_activation_grows_with_saturation():
    """Bug 8: the error of an entry of dz1 grows with |a1| (tanh' = 1 - a^2 is dropped)."""
    bug = "skipped activation"
    params, X, y = zoo.gradcheck_problem(zoo.ZOO_SIZES, zoo.BUGS[bug][0])
    a1 = np.abs(mlp.forward(params, X, "tanh")[1]["a1"]).ravel()
    r = practice.bug_check(bug)["dz1"]
    err = mlp.relative_error(r["analytic"], r["numeric"]).ravel()[np.argsort(a1)]
    assert np.all(np.diff(err) > -1e-6), "the error does not grow with |a1|"


def test_real_check_passes_the_lessons_backward():
    """The reference for the two check bugs: the unbroken check calls the lesson's backward correct
    on the same problem (else the broken checks below would prove nothing)."""
    params, X, y = zoo.gradcheck_problem(zoo.ZOO_SIZES, "sigmoid")
    assert all(r["verdict"] == "correct" for r in mlp.gradient_check(params, X, y, "sigmoid").values())


def test_check_bug_perturbs_a_copy_fails_a_correct_backward():
    """Bug 11: the broken check calls every parameter gradient of a correct backward wrong, with
    cs231n's relative error exactly 1 and the check's 1 to within its noise (a numerical gradient of
    0), while the intermediates pass."""
    report = practice.check_bug_check("perturbs a copy")
    for key, r in report.items():
        if key[1] in "Wb":
            assert r["rel_error"] == 1.0 and 1 - 1e-6 < r["error"] <= 1.0 and not r["numeric"].any(), key
        else:
            assert r["verdict"] == "correct", key


def test_check_bug_never_restores_fails_a_correct_backward():
    """Bug 12: the broken check reads "uncomfortable" on every parameter of a correct backward, and
    dz2 still passes."""
    report = practice.check_bug_check("never restores")
    assert all(r["verdict"] == "uncomfortable" for k, r in report.items() if k[1] in "Wb")
    assert report["dz2"]["verdict"] == "correct"


def test_planted_refuses_an_edit_it_cannot_place():
    """An edit whose line is missing from (or repeated in) the function raises, naming it: if mlp.py
    changes a line a bug edits, the lab stops instead of quietly planting nothing."""
    with pytest.raises(ValueError, match="no_such_line"):
        practice.planted({"backward_two_layer": {"no_such_line": "x"}})
    with pytest.raises(ValueError, match="2 lines"):
        practice.planted({"backward_two_layer": {".sum(axis=0, keepdims=True) / n": "x"}})


def test_diff_shows_mlp_lines_with_their_real_numbers():
    """Each diff's removed lines are mlp.py's lines at the numbers its hunk headers give."""
    source = practice.MLP_SOURCE.read_text(encoding="utf-8").splitlines()
    for changes in [{"backward_two_layer": zoo.BUGS[b][2]} for b in zoo.BUGS] + [
            c for _, c in practice.CHECK_BUGS.values()] + [practice.MSE_STEP_1]:
        text = practice.diff(changes)
        hunks = re.split(r"(?m)^(?=@@ )", text.split("\n", 3)[3].rsplit("\n```", 1)[0])
        assert hunks[0] == "" and len(hunks) > 1, text
        for hunk in hunks[1:]:
            start = int(re.match(r"@@ -(\d+)", hunk)[1])
            old = [line[1:] for line in hunk.splitlines()[1:] if line[:1] in " -"]
            assert old == source[start - 1:start - 1 + len(old)], hunk


def test_the_logs_diffs_are_current():
    """The diffs the page quotes are those of today's mlp.py: when its lines move, this fails until
    `python mlp.py` is run again (otherwise the page would show stale line numbers)."""
    for bug in zoo.BUGS:
        assert log_section(f"practice-diff-{practice.slug(bug)}") == practice.diff(
            {"backward_two_layer": zoo.BUGS[bug][2]}), f"{bug}: run python mlp.py"
    for bug, (_, changes) in practice.CHECK_BUGS.items():
        assert log_section(f"practice-diff-{practice.slug(bug)}") == practice.diff(changes), bug
    assert log_section("practice-diff-mse") == practice.diff(practice.MSE_STEP_1, "with the MSE's step (1)")


# --- derive it -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", practice.DERIVATIONS)
def test_derivation_passes_and_its_wrong_candidate_fails(name):
    """Each derived formula reads correct, and the tempting wrong one beside it reads wrong: both
    the derivation and the check's power to reject are proven."""
    function, _ = practice.DERIVATIONS[name]
    verdicts = [practice.worst(report)[1] for report in function().values()]
    assert verdicts[0] == "correct" and verdicts[-1] == "wrong", verdicts
    assert all(v in ("correct", "wrong") for v in verdicts)


def test_mse_backward_differs_from_backward_only_in_step_one():
    """The MSE's backward is backward with step (1) replaced: with y_hat - y swapped in for the
    MSE's dz, every gradient is the same as backward's (nothing else changed)."""
    params, X, y = zoo.gradcheck_problem([2, 3, 3, 1], "tanh")
    _, cache = mlp.forward(params, X, "tanh")
    g_mse = practice.mse_backward(params, cache, y, "tanh")
    y_hat = cache["a3"]
    assert np.allclose(g_mse["dz3"], (y_hat - y) * y_hat * (1 - y_hat))
    fake = {**cache, "a3": y + g_mse["dz3"]}  # so that backward's a3 - y is the MSE's dz3
    g = mlp.backward.__wrapped__(params, fake, y, "tanh")
    assert all(np.allclose(g[k], g_mse[k], rtol=1e-12, atol=1e-15) for k in g)


def test_mse_is_slow_from_a_confident_mistake():
    """The prose of the MSE exercise: the squared error corrects the confident mistake many times
    slower than the cross-entropy, and its slowdown from the mild to the confident start is far
    larger than the cross-entropy's; both correct it in the end."""
    steps = {}
    for loss, (backward, _) in practice.NEURON_LOSSES.items():
        for start, wb in practice.NEURON_STARTS.items():
            beliefs = practice.train_neuron(backward, wb)
            assert (beliefs < 0.5).any(), (loss, start)
            steps[loss, start] = np.argmax(beliefs < 0.5)
    ce = steps["cross-entropy", "confidently wrong"], steps["cross-entropy", "mildly wrong"]
    ms = steps["MSE", "confidently wrong"], steps["MSE", "mildly wrong"]
    assert ms[0] > 4 * ce[0]
    assert ms[0] / ms[1] > 2 * ce[0] / ce[1]


# --- predict, then run ----------------------------------------------------------------------------

def test_initial_loss_is_ln_k():
    """At a small init the loss is ln K to within 1e-3 (the prose: "close to ln K")."""
    for task, _, L, lnK in practice.initial_loss():
        assert abs(L - lnK) < 1e-3, task


def test_zero_init_claims():
    """One distinct hidden unit in every run; relu and tanh keep W1 exactly 0 and end at the
    entropy of the class shares; sigmoid moves only on unequal classes."""
    (X, y), _ = common.TASKS["moons"]
    for classes, act, distinct, w, L, _ in practice.zero_init():
        assert distinct == 1, (classes, act)
        if act in ("relu", "tanh") or classes == "balanced":
            assert w == 0.0, (classes, act)
        else:
            assert w > 0.0
        if act in ("relu", "tanh"):
            p = 1 / 3 if classes == "2:1" else 0.5
            assert abs(L - practice.entropy(p)) < 1e-3, (classes, act)


def test_xor_two_units_claims():
    """Most seeds get stuck and at least one solves it; in every stuck run the corners where both
    units are off have different labels and share one output, and the loss is one of the three
    listed; in every solved run those corners share a label."""
    labels = np.array([0, 1, 1, 0])
    rows = practice.xor_two_units()
    solved = [np.all((y_hat >= 0.5) == labels) for _, y_hat, _, _ in rows]
    assert 1 <= sum(solved) < len(rows) / 2
    listed = [math.log(2) / 2, 0.75 * practice.entropy(1 / 3), math.log(2)]
    for ok, (seed, y_hat, L, off) in zip(solved, rows, strict=True):
        if ok:
            assert len(set(labels[off])) <= 1, seed
        else:
            assert len(set(labels[off])) == 2 and np.ptp(y_hat[off]) < 1e-3, seed
            assert min(abs(L - v) for v in listed) < 1e-2, (seed, L)


def test_xor_with_sixteen_units_has_a_unit_on_at_every_corner():
    """The XOR solution's last sentence: at the lesson's init, [2, 16, 1] has some relu unit on at
    each of the four corners (for the seeds 0 to 9)."""
    X, _ = practice.datasets.make_xor(4, noise=0.0)
    for seed in range(10):
        _, cache = mlp.forward(mlp.init_params([2, 16, 1], seed=seed), X)
        assert (cache["z1"] > 0).any(axis=1).all(), seed


def test_big_steps_claims():
    """At lr 8 the [2, 16, 1] network jumps and survives, killing units; 16 is worse but returns;
    at 32, and the deeper network at 8, the loss rises more than a hundred times above its start
    and train stops the run, keeping the run up to before it went wrong, to go on from at a smaller
    step (here 1, for 50 epochs, without raising): the exercise's prose."""
    rows = {(len(sizes), lr): (losses, acc, dead) for sizes, lr, losses, acc, dead in practice.big_steps()}
    base, eight, sixteen = rows[3, 4.0], rows[3, 8.0], rows[3, 16.0]
    assert max(eight[0]) > eight[0][0] > eight[0][-1]
    assert eight[2] > base[2] and sixteen[1] < eight[1]
    for key in ((3, 32.0), (4, 8.0)):
        err = rows[key][0]
        assert isinstance(err, mlp.Diverged) and f"lr={key[1]}" in str(err) and "over 100 max" in str(err)
        sizes = next(s for s, lr in practice.BIG_STEPS if (len(s), lr) == key)
        _, history = mlp.train(*practice.common.TASKS["moons"][0], sizes, lr=1.0, epochs=50,
                               params=err.params, history=err.history)
        assert history["loss"][:len(err.history["loss"])] == err.history["loss"]


def test_dead_units_claims():
    """Biases of -1 kill units in both layers, more in the second; with zero biases the first
    layer has none."""
    (l1, l2), _ = practice.dead_units(-1.0)
    assert 0 < l1 < l2
    assert practice.dead_units(0.0)[0][0] == 0


# --- the files to hand out (starter DIR), and the grader's command line (the grader: test_grade.py) ----

def test_starter_keeps_the_lessons_signature_docstring_and_shapes():
    """The starter is the lesson's function with its seven step lines (and only those) made TODOs: same
    def line and docstring, the seven shape comments, the one-hot targets said in its docstring."""
    lesson = lesson_source(mlp.backward_two_layer).splitlines()
    starter = STARTER.splitlines()
    assert lesson[0] in starter and lesson[1] in starter  # the def line and the docstring
    todos = re.findall(r'raise NotImplementedError\("step \((\d)\): (\w+) = \.\.\."\)', STARTER)
    assert todos == [(str(k), name) for k, name in zip(range(1, 8), STEPS, strict=True)]
    shapes = re.findall(r"# \(\d\) \w+ (\(\w, \w\))", STARTER)
    assert shapes == re.findall(r"# \(\d\).*(\(\w, \w\))$", "\n".join(lesson), re.M)
    kept = [line for line in lesson if not re.search(r"# \(\d\)", line)]
    assert all(line in starter for line in kept)
    assert "one-hot" in STARTER and "python practice.py check" in STARTER


def test_starter_and_bug_files_are_deterministic_and_written(tmp_path):
    """Two runs of `starter` write the same bytes, whichever folder: a file that depended on the folder,
    a set or the clock would differ. One file per bug, each the zoo's planted source."""
    first = practice.write_starter(tmp_path / "a")
    second = practice.write_starter(tmp_path / "b")
    assert [p.name for p in first] == ["backward_two_layer.py"] + [f"bug_{i:02}.py" for i in range(1, 11)]
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    for number, bug in enumerate(zoo.BUGS, 1):
        assert zoo.buggy_source(bug) in (tmp_path / "a" / f"bug_{number:02}.py").read_text()


def test_check_command_exit_status(tmp_path):
    """The command line itself: `check` exits 1 on a wrong file and 0 on a right one, printing the
    grade; `starter` writes the files. (The only subprocesses here: the CLI is the subject.)"""
    import subprocess
    import sys

    run = [sys.executable, str(ROOT / "practice.py")]
    done = subprocess.run(run + ["starter", str(tmp_path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and (tmp_path / "bug_10.py").is_file(), done.stderr
    wrong = subprocess.run(run + ["check", str(tmp_path / "backward_two_layer.py")], capture_output=True,
                           text=True, check=False)
    assert wrong.returncode == 1 and "step (1) is not written yet" in wrong.stdout and not wrong.stderr
    (tmp_path / "right.py").write_text(fill(STARTER), encoding="utf-8")
    right = subprocess.run(run + ["check", str(tmp_path / "right.py")], capture_output=True, text=True,
                           check=False)
    assert right.returncode == 0 and right.stdout.endswith("every network.\n"), right.stdout


def test_the_logs_grader_outputs_are_current():
    """The starter, the grader's outputs and the gradebook the pages show are today's: stale until
    `python mlp.py`."""
    assert log_section("practice-starter") == f'```python linenums="0"\n{practice.starter_source()}```'
    for name, text in practice.grader_examples().items():
        assert log_section(name) == text, f"{name}: run python mlp.py"


# --- no import circle --------------------------------------------------------------------------------

PROJECT_MODULES = ["mlp", "checks", "datasets", "common", "zoo", "diagnosis", "grade", "practice",
                   "experiments", "bench"]


def is_main_block(node):
    """`if __name__ == "__main__":`: its imports run only in a script, whose module is __main__."""
    return isinstance(node, ast.If) and "__main__" in ast.unparse(node.test)


def project_imports(name):
    """The project modules that module `name` imports, anywhere in it (a lazy import in a function
    counts too), except under `if __name__ == "__main__":` (python mlp.py hands over to the lab there)."""
    path = ROOT / f"{name}.py"
    if not path.is_file():
        return set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    tree.body = [node for node in tree.body if not is_main_block(node)]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & set(PROJECT_MODULES)


def cycle(graph):
    """A cycle of the directed graph {node: successors} as a list of nodes, or None."""
    state = {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt, path + [nxt])):
                return found
        state[node] = "done"
        return None

    return next((c for node in sorted(graph) if node not in state and (c := visit(node, [node]))), None)


def test_the_projects_imports_have_no_cycle():
    """mlp, checks, datasets, common, zoo, diagnosis, grade, practice, experiments and bench import one
    another without a circle (the lab <-> practice circle of issue 14 fails here, lazy imports
    included); practice.py does not import the lab at all; and grade.py needs no project module but
    those its child gets a copy of (grade.LESSON_FILES): one more, and the child could not start."""
    graph = {name: project_imports(name) for name in PROJECT_MODULES}
    assert cycle(graph) is None, f"import circle: {' -> '.join(cycle(graph))}"
    assert "experiments" not in graph["practice"] and {"zoo", "mlp"} <= graph["practice"]
    needed, todo = {"grade"}, ["grade"]
    while todo:
        new = graph[todo.pop()] - needed
        needed |= new
        todo += new
    assert needed <= {name[:-3] for name in grade.LESSON_FILES}, needed


def test_cycle_finder_sees_a_circle():
    """The other side of the guard: the finder reports the old lab <-> practice circle, and a longer one."""
    assert cycle({"experiments": {"practice"}, "practice": {"experiments"}}) == [
        "experiments", "practice", "experiments"]
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


# --- the page in a browser ------------------------------------------------------------------------
# The built site (built_site) and its visit in a browser (site_visit) are conftest.py's, shared with
# test_site.py: one build and one browser visit of every page for both files.

def test_page_is_built_with_its_tables_and_code(built_site):
    """The built page carries a folded solution per exercise, the diffs and the quoted practice.py
    regions: a quote that rendered as nothing, or a section left empty, fails here."""
    html = (built_site / "practice.html").read_text(encoding="utf-8")
    assert html.count("<details") == sum(map(len, exercises().values()))
    assert html.count('class="language-diff') >= len(ALL_BUGS) + 1
    assert "The first tensor that is not correct" in html and "FloatingPointError" in html
    assert '<span class="filename">practice.py</span>' in html


@pytest.mark.browser
def test_practice_page_in_browser(site_visit):
    """On a desktop and a phone, with its solutions closed and again with all of them open, the page
    passes the site's checks (test_site.layout_problems: no console error or off-site request, every
    formula typeset, every image loaded and linked, no sideways scroll of the page or, on a desktop,
    of a code block); at first every solution is a closed "Solution" whose content is hidden, and
    opened, every one shows its content (else the open pass would have measured nothing new)."""
    url = site_visit["base_url"] + "practice.html"
    assert url in site_visit["urls"], f"the Practice page is not in the navigation: {site_visit['urls']}"
    problems = list(site_visit["problems"][url])
    for layout in VIEWPORTS:
        solutions = site_visit["reports"][url, layout, "folded"]["details"]
        if len(solutions) < 12:
            problems.append(f"{layout}: only {len(solutions)} solutions")
        problems += [f"{layout}: solution {i + 1} is not a closed, hidden 'Solution': {d}"
                     for i, d in enumerate(solutions)
                     if d["open"] or d["shown"] or d["summary"] != "Solution"]
        opened = site_visit["reports"].get((url, layout, "unfolded"), {"details": []})["details"]
        if len(opened) != len(solutions) or not all(d["open"] and d["shown"] for d in opened):
            problems.append(f"{layout}: the solutions were not all opened and shown: {opened}")
    assert not problems, "\n".join(problems)


def test_a_check_whose_numerical_gradient_is_all_zero_is_diagnosed_in_words():
    """The "perturbs a copy" check bug makes every numerical entry of the parameters' gradients 0. The
    diagnosis of each such tensor then says so, in words, instead of dividing by the largest |g| = 0
    (which printed a percentage of 300 digits).
    Catches a "no simple pattern" sentence that divides by zero."""
    report = {k: r for k, r in practice.check_bug_check("perturbs a copy").items() if k[1] in "Wb"}
    assert len(report) == 4 and all(not r["numeric"].any() for r in report.values())
    for r in report.values():  # db2 is one entry, and says just that: "one entry is off"
        assert ("every numerical entry is 0" in r["diagnosis"] or r["numeric"].size == 1) and len(
            r["diagnosis"]) < 200, r["diagnosis"]

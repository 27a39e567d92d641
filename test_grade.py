"""Tests of the grader (grade.py): a learner's file runs in a child process with limits, the judgement
stays in the grader's own process, and a class is graded at once (gradebook, feedback, Gradescope).

Both sides of every guard: honest files in several styles pass, for any depth; the starter reads
unfinished, each bug file wrong with its diagnosis; each attack gets its status and one line, and the
batch goes on. Most files are graded in one parallel batch (the fixture `graded`), on the networks of
seed 0 so that the diagnoses can be compared with the check's own; the limits use short timeouts.
"""

import csv
import inspect
import io
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np
import pytest

import diagnosis
import grade
import mlp
import practice
import zoo

ROOT = pathlib.Path(__file__).resolve().parent
HANDOUTS = practice.starter_files()  # the starter, and a file per bug of the zoo
STARTER = HANDOUTS["backward_two_layer.py"]
STEPS = practice.steps_of_backward_two_layer()  # {"dz2": 1, ...}: the lesson's tags
LESSON_LINES = {m[4]: f"{m[1]}{m[2]} = {m[3]}" for m in re.findall(  # step -> the lesson's line
    r"^((\s*)(\w+) = (.*?))\s+# \((\d)\)", inspect.getsource(mlp.backward_two_layer), re.M)}


def lesson_source(function):
    """The source of mlp's function without its @checked line, as a learner would write it."""
    source = inspect.getsource(inspect.unwrap(function))
    return source[source.index("def "):]


def fill(starter, edits=None):
    """The starter with each TODO replaced by the lesson's line of its step (done here independently of
    practice.solved_starter), with `edits` made to those lines."""
    for step in "1234567":
        line = re.sub(r"^\s*\w+ = (.*)$", r"\1", LESSON_LINES[step])
        name = re.match(r"\s*(\w+)", LESSON_LINES[step])[1]
        for old, new in (edits or {}).items():
            line = line.replace(old, new)
        starter, count = re.subn(rf'raise NotImplementedError\("step \({step}\): {name} = \.\.\."\)',
                                 f"{name} = {line}", starter)
        assert count == 1, step
    return starter


def written(text, step, line):
    """text with step's TODO replaced by line."""
    todo = re.search(rf'raise NotImplementedError\("step \({step}\): .*"\)', text)[0]
    return text.replace(todo, line)


SOLUTION = fill(STARTER)
RETURN = 'return {"dz2": dz2'  # the start of the starter's return line, where attacks wrap a value


def body(steps):
    """A whole file: backward_two_layer with these seven lines (after X, z1, a1, y_hat, n, f_grad)."""
    lines = textwrap.indent(textwrap.dedent(steps).strip("\n"), "    ")
    return ("import numpy as np\n\nfrom mlp import ACTIVATIONS\n\n\n"
            "def backward_two_layer(params, cache, y, activation):\n"
            '    X, z1, a1, y_hat = cache["a0"], cache["z1"], cache["a1"], cache["a2"]\n'
            "    n, f_grad = len(X), ACTIVATIONS[activation][1]\n"
            f"{lines}\n"
            '    return {"dz2": dz2, "dW2": dW2, "db2": db2, "da1": da1, "dz1": dz1, "dW1": dW1,\n'
            '            "db1": db1}\n')


STYLES = {  # the seven steps as learners write them: each is right, and must pass
    "style_dot.py": body("""
        dz2 = y_hat - y
        dW2 = np.dot(a1.T, dz2) / n
        db2 = np.sum(dz2, axis=0, keepdims=True) / n
        da1 = np.dot(dz2, params["W2"].T)
        dz1 = da1 * f_grad(z1, a1)
        dW1 = np.dot(X.T, dz1) / n
        db1 = np.sum(dz1, axis=0, keepdims=True) / n"""),
    "style_einsum.py": body("""
        dz2 = np.subtract(y_hat, y)
        dW2 = np.einsum("ni,nk->ik", a1, dz2) / n
        db2 = np.einsum("nk->k", dz2)[None, :] / n
        da1 = np.einsum("nk,hk->nh", dz2, params["W2"])
        dz1 = np.einsum("nh,nh->nh", da1, f_grad(z1, a1))
        dW1 = np.einsum("nd,nh->dh", X, dz1) / n
        db1 = np.einsum("nh->h", dz1).reshape(1, -1) / n"""),
    "style_mean.py": body("""
        dz2 = y_hat - y
        dW2 = a1.T @ dz2 / y.shape[0]
        db2 = np.mean(dz2, axis=0, keepdims=True)
        da1 = dz2 @ params["W2"].T
        dz1 = da1 * f_grad(z1, a1)
        dW1 = X.T @ dz1 / y.shape[0]
        db1 = dz1.mean(axis=0).reshape(1, -1)"""),
    "style_sum_axis0.py": body("""
        dz2 = y_hat - y
        dW2 = (a1.T @ dz2) * (1.0 / n)
        db2 = dz2.sum(axis=0)[np.newaxis] / n
        da1 = dz2 @ params["W2"].transpose()
        dz1 = da1 * f_grad(z1, a1)
        dW1 = (X.T @ dz1) * (1.0 / n)
        db1 = dz1.sum(axis=0)[np.newaxis] / n"""),
    "style_loops.py": body("""
        slope = {"sigmoid": a1 * (1 - a1), "tanh": 1 - a1**2, "relu": (z1 > 0) * 1.0}[activation]
        dz2, dW2, db2 = y_hat - y, np.zeros(params["W2"].shape), np.zeros(params["b2"].shape)
        da1, dz1 = np.zeros(a1.shape), np.zeros(a1.shape)
        dW1, db1 = np.zeros(params["W1"].shape), np.zeros(params["b1"].shape)
        for i in range(n):
            for k in range(dz2.shape[1]):
                db2[0, k] += dz2[i, k] / n
                for j in range(a1.shape[1]):
                    dW2[j, k] += a1[i, j] * dz2[i, k] / n
                    da1[i, j] += dz2[i, k] * params["W2"][j, k]
            for j in range(a1.shape[1]):
                dz1[i, j] = da1[i, j] * slope[i, j]
                db1[0, j] += dz1[i, j] / n
                for d in range(X.shape[1]):
                    dW1[d, j] += X[i, d] * dz1[i, j] / n"""),
}
HONEST = {  # more files that are right: each must pass
    "lesson_lines.py": SOLUTION,
    "star_import.py": SOLUTION.replace("from mlp import ACTIVATIONS", "from mlp import *  # noqa\n"
                                       "from mlp import ACTIVATIONS"),  # mlp.backward comes in too
    "float32.py": "import numpy as np\n" + SOLUTION.replace(
        '    X, z1, a1, y_hat = cache["a0"], cache["z1"], cache["a1"], cache["a2"]\n',
        '    X, z1, a1, y_hat = (cache[k].astype(np.float32) for k in ("a0", "z1", "a1", "a2"))\n'
        "    params = {k: v.astype(np.float32) for k, v in params.items()}\n    y = y.astype(np.float32)\n"),
    "any_depth.py": "from mlp import ACTIVATIONS\n\n\n" + lesson_source(mlp.backward),
    "uses_the_lesson.py": SOLUTION.replace(  # the rest of the lesson stays usable: forward, sigmoid, ...
        '    X, z1, a1, y_hat = cache["a0"], cache["z1"], cache["a1"], cache["a2"]\n',
        '    import mlp\n    X, z1, a1 = cache["a0"], cache["z1"], cache["a1"]\n'
        "    y_hat, _ = mlp.forward(params, X, activation)\n"),
    "mlp.py": SOLUTION.replace("from mlp import", "import mlp\n\nassert hasattr(mlp, 'gradient_check')\n"
                               "from mlp import"),  # named mlp.py, it gets the lesson's mlp
    "prints_a_little.py": 'print("hello from the file")\n' + SOLUTION,
    "prints_a_flood.py": 'print("x" * 3_000_000)\n' + SOLUTION,
    **STYLES,
}
ONE = written(STARTER, 1, LESSON_LINES["1"].strip())
FAILING = {  # files that must fail, each in its own way
    "backward_two_layer.py": STARTER,
    "step_1_written.py": ONE,
    "steps_1_2_written.py": written(ONE, 2, "dW2 = a1.T @ dz2"),
    "mean_in_dz.py": practice.solved_starter(practice.MEAN_IN_DZ),
    "shape_error.py": fill(STARTER, {'params["W2"].T': 'params["W2"]'}),
    "misspelt_key.py": SOLUTION.replace('cache["a2"]', 'cache["y_hat"]'),
    "syntax_error.py": SOLUTION.replace("dW2 = a1.T @ dz2 / n", "dW2 = a1.T @ dz2 /"),
    "no_function.py": SOLUTION.replace("def backward_two_layer(", "def backward_2_layer("),
    "missing_key.py": SOLUTION.replace('"db1": db1}', "}"),
    "wrong_signature.py": SOLUTION.replace('(params, cache, y, activation="relu"):', "(params, cache, y):"),
    "integers.py": SOLUTION.replace('"db1": db1}', '"db1": db1.astype(int)}'),  # floats only
    "exits.py": "import sys\n\n\ndef backward_two_layer(params, cache, y, activation):\n    return {}\n\n\n"
                "sys.exit(0)\n",
    **{f"bug_{i:02}.py": HANDOUTS[f"bug_{i:02}.py"] for i in range(1, len(zoo.BUGS) + 1)},
}
FIXED = {}  # each bug file with its planted lines put back: it must pass
for i, bug in enumerate(zoo.BUGS, 1):
    text = FAILING[f"bug_{i:02}.py"]
    for old, new in zoo.BUGS[bug][2].items():
        text = text.replace(new, old)
    FIXED[f"fixed_{i:02}.py"] = text
DOUBLED = SOLUTION.replace("dz2 = y_hat - y", "dz2 = 2 * (y_hat - y)")
ATTACKS = {  # name -> (source, status, a piece of its one line)
    "patch_gradient_check.py": (DOUBLED + (  # the issue's: every tensor marked correct
        "\nimport mlp\n_orig = mlp.gradient_check\n\ndef _fake(*a, **k):\n    r = _orig(*a, **k)\n"
        '    for v in r.values():\n        v["verdict"] = "correct"; v["diagnosis"] = None\n    return r\n\n'
        "mlp.gradient_check = _fake\n"), "wrong", "the first wrong step: dz2, step (1)"),
    "patch_numpy_and_builtins.py": (DOUBLED + (
        "\nimport builtins, numpy, diagnosis\nnumpy.allclose = lambda *a, **k: True\n"
        "numpy.abs = lambda x: 0 * x\nbuiltins.max = lambda *a, **k: 0\n"
        "diagnosis.first_wrong = lambda report: None\n"), "wrong", "the first wrong step: dz2, step (1)"),
    "calls_wrapped.py": ("import mlp\n\ndef backward_two_layer(params, cache, y, activation):\n"
                         "    return mlp.backward_two_layer.__wrapped__(params, cache, y, activation)\n",
                         "refused", "may not call the lesson's backward (mlp.backward_two_layer)"),
    "calls_backward.py": ("import mlp\n\ndef backward_two_layer(params, cache, y, activation):\n"
                          "    return mlp.backward(params, cache, y, activation)\n",
                          "refused", "a submission may not call the lesson's backward (mlp.backward)"),
    "calls_loss_and_grads.py": ("import mlp\n\ndef backward_two_layer(params, cache, y, activation):\n"
                                '    return mlp.loss_and_grads(params, cache["a0"], y, activation)[1]\n',
                                "refused", "a submission may not call the lesson's backward (mlp.backward)"),
    "calls_the_zoo.py": ("import zoo\n\ndef backward_two_layer(params, cache, y, activation):\n"
                         "    return zoo.buggy_backward('missing 1/n')(params, cache, y, activation)\n",
                         "refused", "a submission may not call the lesson's backward (zoo.buggy_backward)"),
    "hunts_the_lesson.py": (  # the originals are gone: nothing left to find
        "import gc\nfound = [f for f in gc.get_objects() if callable(f)\n"
        "         and getattr(getattr(f, '__code__', None), 'co_filename', '').endswith('mlp.py')\n"
        "         and f.__code__.co_name == 'backward_two_layer']\n\n"
        "def backward_two_layer(params, cache, y, activation):\n"
        "    return found[0](params, cache, y, activation)\n",
        "error", "IndexError: list index out of range"),
    "reads_the_lesson.py": ("import inspect, mlp\nsource = inspect.getsource(mlp.forward)\n" + SOLUTION,
                            "error", "OSError: could not get source code"),
    "imports_a_fresh_lesson.py": (
        "import importlib.util, mlp\nspec = importlib.util.spec_from_file_location('again', mlp.__file__)\n"
        "again = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(again)\n" + SOLUTION,
        "error", "PermissionError"),
    "equal_to_anything.py": (SOLUTION.replace(RETURN, "class Yes:\n        def __eq__(self, other):\n"
                                              "            return True\n\n    " + 'return {"dz2": Yes()'),
                             "refused", "returned dz2 as a Yes, not a NumPy array"),
    "ndarray_subclass.py": ("import numpy as np\n" + SOLUTION.replace(
        RETURN, "class Mine(np.ndarray):\n        pass\n\n    " + 'return {"dz2": dz2.view(Mine)'),
        "refused", "returned dz2 as a Mine, a subclass of np.ndarray"),
    "lazy_proxy.py": (SOLUTION.replace(RETURN, "class Lazy:\n        def __init__(self, a):\n"
                                       "            self.a = a\n\n"
                                       "        def __array__(self, *args, **kwargs):\n"
                                       "            return self.a\n\n    " + 'return {"dz2": Lazy(dz2)'),
                      "refused", "returned dz2 as a Lazy, not a NumPy array"),
    "dict_subclass.py": (SOLUTION.replace(RETURN, "class Gradients(dict):\n        pass\n\n    "
                                          + 'return Gradients({"dz2": dz2')
                         .replace('"db1": db1}', '"db1": db1})'),
                         "refused", "returned a Gradients, a subclass of dict"),
    "exits_with_os_exit.py": (SOLUTION + "\nimport os\nos._exit(0)\n", "error",
                              "exited before it answered (exit status 0)"),
    "crashes.py": (SOLUTION + "\nimport faulthandler\nfaulthandler._sigsegv()\n", "error",
                   "crashed (signal SIGSEGV)"),
    "raises_at_import.py": ("raise RuntimeError('not today')\n" + SOLUTION, "error",
                            "it could not be run: RuntimeError: not today"),
    "reads_stdin.py": (SOLUTION.replace("    dz2 = y_hat - y", '    input("n? ")\n    dz2 = y_hat - y'),
                       "error", "reads standard input"),
    "reads_sys_stdin.py": ("import sys\nanswer = sys.stdin.readline()\n" + SOLUTION, "error",
                           "reads standard input"),
    "eats_memory.py": ("import numpy as np\n" + SOLUTION.replace(
        "    dz2 = y_hat - y", "    big = np.ones(2 * 10**8)  # 1.6 GB\n    dz2 = y_hat - y"), "error",
        f"it ran out of memory: the grader allows {grade.MEMORY} MB"),
    "kills_the_grader.py": (SOLUTION + "\nimport os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n",
                            "refused", "your file tried os.kill"),
    "starts_a_process.py": (SOLUTION + "\nimport subprocess\nsubprocess.run(['true'])\n", "refused",
                            "your file tried import subprocess"),
    "imports_posixsubprocess.py": (SOLUTION + "\nimport _posixsubprocess\n", "refused",
                                   "your file tried import _posixsubprocess"),
    "forks.py": (SOLUTION + "\nimport os\nif os.fork() == 0:\n    os._exit(0)\n", "refused", "os.fork"),
    "uses_ctypes.py": (SOLUTION + "\nimport ctypes, os\nctypes.CDLL(None).kill(os.getppid(), 9)\n",
                       "refused", "ctypes.dlopen"),
    "raises_its_limits.py": (SOLUTION + "\nimport resource\n"
                             "resource.setrlimit(resource.RLIMIT_AS, (-1, -1))\n",
                             "refused", "resource.setrlimit"),
    "writes_the_lesson_copy.py": (SOLUTION + "\nimport mlp\nopen(mlp.__file__, 'a').write('# mine\\n')\n",
                                  "refused", "a submission may not change the project's files"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """{file name: Grade} for every file above, graded in one parallel batch on the networks of seed 0."""
    folder = tmp_path_factory.mktemp("class")
    files = {**HONEST, **FAILING, **FIXED, **{name: src for name, (src, _, _) in ATTACKS.items()}}
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    grades = grade.grade_all(grade.python_files([folder]), seed=0)
    return {pathlib.Path(g.file).name: g for g in grades}


def blocks(text, name="backward_two_layer"):
    """The grader's text, one block per network, each from its sizes on."""
    return text.split(f"{name} on ")[1:]


def said_under(block, key):
    """What the grader prints under key's line (its diagnosis, wrapped over lines: joined), or ""."""
    lines = block.splitlines()
    i = next(i for i, line in enumerate(lines) if re.match(rf"\s*\(\d\)\s+{key}\s", line))
    under = []
    for line in lines[i + 1:]:
        if not line.strip() or re.match(r"\s*(\(\d\)\s+d[zaWb]\d+\s|the first wrong step)", line):
            break
        under.append(line.strip())
    return " ".join(under)


def printed_steps_not_correct(text):
    """The step numbers that any network's printout marks as not correct."""
    return {int(k) for k, verdict in re.findall(r"^\s*\((\d)\)\s+d[zaWb]\d+\s+(\w+)", text, re.M)
            if verdict != "correct"}


# --- honest files pass ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", HONEST)
def test_honest_files_pass(graded, name):
    """The solution written in several styles (@, np.dot, einsum, np.mean, .sum(axis=0) / n, loops),
    computed in float32, with a star import, using the rest of the lesson, named mlp.py, printing:
    each passes with all seven points. A grader that fails a right file, or a limit that bites an
    honest one, fails here."""
    g = graded[name]
    assert g.status == "passed", g.text
    assert g.points == 7 and all(g.steps.values())
    assert g.text.endswith("Passed: every step is correct on every network.")
    assert g.text.count("  every step is correct\n") == g.text.count(" on [")


def test_any_depth_is_graded_on_the_deeper_networks(graded):
    """A file defining backward (any depth) is graded on every network of GRADED["backward"], three
    layers too, and the star import's mlp.backward is not graded as the learner's."""
    text = graded["any_depth.py"].text
    assert text.count("\nbackward on ") + text.startswith("backward on ") == len(grade.GRADED["backward"])
    assert "backward on [3, 4, 3, 1]" in text and "(1)  dz3" in text
    assert "backward on " not in graded["star_import.py"].text


def test_output_is_captured_and_cut(graded):
    """What a file prints comes first in its text: whole when short, cut at OUTPUT_CUT bytes with its
    full size when long (the grader's memory does not grow with it)."""
    short = graded["prints_a_little.py"].text
    assert short.startswith("Your file printed:\nhello from the file\n\nbackward_two_layer on ")
    flood = graded["prints_a_flood.py"].text
    head = f"Your file printed (the first {grade.OUTPUT_CUT:,} of 3,000,001 bytes):\n"
    assert flood.startswith(head + "x" * grade.OUTPUT_CUT + "\n\nbackward_two_layer on "), flood[:200]


# --- failing files fail as they should --------------------------------------------------------------

def test_the_starter_reads_unfinished(graded):
    """The starter as handed out: unfinished, no point, and the line of the learner's file that raised;
    no frame of the grader's own code."""
    g = graded["backward_two_layer.py"]
    line = STARTER.splitlines().index('    raise NotImplementedError("step (1): dz2 = ...")') + 1
    assert (g.status, g.points, g.headline) == ("unfinished", 0, "step (1) is not written yet")
    assert g.text.startswith("step (1) is not written yet: your backward_two_layer raised")
    assert f'File "{g.file}", line {line}, in backward_two_layer' in g.text
    assert "grade.py" not in g.text and "Traceback" not in g.text
    assert g.text.endswith("Not passed: write step (1) and run the check again.")


def test_the_steps_written_so_far_are_graded_and_scored(graded):
    """With step (1) written, the grader asks for step (2) and says step (1) is correct: 1 point. With
    (2) written wrong (no 1/n), it names dW2 as the first wrong step: still 1 point."""
    g = graded["step_1_written.py"]
    assert g.status == "unfinished" and g.text.startswith("step (2) is not written yet"), g.text
    assert re.search(r"The steps written so far, on \[3, 3, 1\], sigmoid .*\n  \(1\)  dz2\s+correct", g.text)
    assert g.text.endswith("Not passed: write step (2) and run the check again.")
    assert g.steps == {1: True, **dict.fromkeys(range(2, 8), False)}
    g = graded["steps_1_2_written.py"]
    assert g.status == "unfinished" and g.text.startswith("step (3) is not written yet"), g.text
    assert "the first wrong step: dW2, step (2)" in g.text
    assert said_under(g.text, "dW2").startswith("every entry is n = 8 times"), g.text
    assert g.text.endswith("Not passed: fix dW2, step (2), write step (3), and run the check again.")
    assert g.points == 1 and g.steps[1]


def test_a_wrong_file_fails_at_its_first_wrong_step_with_the_checks_diagnosis(graded):
    """cs231n's mean-in-dz convention: the weight gradients pass, dz2 is the first wrong step, with
    gradient_check's own diagnosis of dz2 on the same network, and the last lines name the convention.
    Its points are the four steps right on every network."""
    g = graded["mean_in_dz.py"]
    assert g.status == "wrong" and [k for k, right in g.steps.items() if right] == [2, 3, 6, 7]
    parts = blocks(g.text)
    assert len(parts) == len(grade.GRADED["backward_two_layer"])
    params, X, y, cache = grade.grading_problem([3, 3, 1], "sigmoid", seed=0)
    g_lesson = mlp.backward(params, cache, y, "sigmoid")
    report = mlp.gradient_check(params, X, y, "sigmoid", analytic={"dz2": g_lesson["dz2"] / len(X)})
    assert said_under(parts[0], "dz2") == report["dz2"]["diagnosis"], parts[0]
    assert "the first wrong step: dz2, step (1)" in parts[0]
    assert "Not passed: 6 of 6 networks have a step that is not correct." in g.text
    assert " ".join(g.text.split()).endswith("divide by n in dW and db.")


@pytest.mark.parametrize("number", range(1, len(zoo.BUGS) + 1))
def test_each_bug_file_reads_wrong_with_its_diagnosis_and_passes_fixed(graded, number):
    """bug_NN.py reads wrong: on the zoo's network of its activation, the first wrong step is the one
    the planted line corrupts, with a diagnosis under it; its points are exactly the steps that no
    network prints as not correct. With the planted lines put back, it passes."""
    bug = list(zoo.BUGS)[number - 1]
    g = graded[f"bug_{number:02}.py"]
    assert g.status == "wrong", g.text
    block = next(b for b in blocks(g.text) if b.startswith(f"[3, 3, 1], {zoo.BUGS[bug][0]} "))
    edited = [re.match(r"\s*(\w+) =", old)[1] for old in zoo.BUGS[bug][2]]
    step = min(edited, key=STEPS.get)
    first = re.search(r"the first wrong step: (\w+), step \((\d)\)", block)
    assert first and first[1] == step and int(first[2]) == STEPS[step], block
    assert said_under(block, step), f"no diagnosis under {step}: {block}"
    assert {k for k, right in g.steps.items() if not right} == printed_steps_not_correct(g.text)
    assert graded[f"fixed_{number:02}.py"].status == "passed", graded[f"fixed_{number:02}.py"].text


def test_errors_in_their_code_are_reported_at_their_lines(graded):
    """A product that does not fit, a misspelt key, a syntax error, a wrong signature: status error,
    NumPy's or Python's message with the learner's file and line, never a frame of the grader's."""
    cases = {"shape_error.py": ('    da1 = dz2 @ params["W2"]', "ValueError: matmul"),
             "misspelt_key.py": ('cache["y_hat"]', "KeyError: 'y_hat'"),
             "syntax_error.py": ("    dW2 = a1.T @ dz2 /", "SyntaxError"),
             "wrong_signature.py": ("def backward_two_layer(params, cache, y):", "TypeError")}
    for name, (piece, error) in cases.items():
        g, source = graded[name], FAILING[name]
        line = next(i for i, x in enumerate(source.splitlines(), 1) if piece in x)
        assert g.status == "error" and error in g.text and error in g.headline, g.text
        assert f'"{g.file}", line {line}' in g.text and "grade.py" not in g.text, g.text
        assert g.points == 0


def test_a_file_without_the_function_or_with_a_missing_key_or_that_exits(graded):
    """No function of GRADED: told what the grader calls. A key left out, or a gradient of integers:
    wrong at that step, saying why. sys.exit(0) at import: an error, not a pass (SystemExit is caught,
    not obeyed)."""
    g = graded["no_function.py"]
    assert g.status == "error" and "defines no function backward_two_layer or backward" in g.text
    g = graded["missing_key.py"]
    assert g.status == "wrong" and "the first wrong step: db1, step (7)" in g.text
    assert said_under(g.text, "db1") == "db1 is missing from the dict" and g.points == 6
    g = graded["exits.py"]
    assert g.status == "error" and "SystemExit: 0" in g.text
    g = graded["integers.py"]  # a gradient of integers is not compared: floats only
    assert g.status == "wrong" and said_under(g.text, "db1") == "db1 holds int64 values, not float64 (or " \
        "float32) ones" and g.points == 6
    assert "db1 has the shape (8, 1), but b1 has the shape (1, 3)" in graded["bug_07.py"].text


def test_a_missing_file_and_a_single_file_grade(tmp_path):
    """A path that is not there: an error naming it. (The single file's exit status: test_practice.)"""
    g = grade.grade_file(tmp_path / "no_such_file.py")
    assert g.status == "error" and g.text == f"{tmp_path / 'no_such_file.py'}: there is no such file"


# --- attacks: each its status and one line ------------------------------------------------------------

@pytest.mark.parametrize("name", ATTACKS)
def test_each_attack_gets_its_status_and_one_line(graded, name):
    """Each attack on the grader (the issue's, and what else a file can do from inside its process)
    gets its status and a one-line verdict naming what it did, no point, and was graded in time."""
    _, status, piece = ATTACKS[name]
    g = graded[name]
    assert (g.status, g.points) == (status, 0), g.text
    assert piece in g.headline and "\n" not in g.headline, g.headline
    assert g.seconds < grade.TIMEOUT


def test_nothing_a_file_changes_reaches_the_grader(graded):
    """After the attacks ran, the grader's own process is as it was: mlp, numpy, diagnosis, builtins
    untouched (the file never ran here), and the lesson on disk is the bytes it imported."""
    assert mlp.gradient_check.__module__ == "mlp" and np.allclose(0, 1) is False
    assert max(1, 2) == 2 and diagnosis.first_wrong({"a": {"verdict": "wrong"}}) == "a"
    assert {name: (ROOT / name).read_bytes() for name in grade.LESSON_FILES} == grade.LESSON


def test_a_file_that_writes_the_project_is_refused_and_the_next_is_graded_on_the_lesson(tmp_path):
    """Writing into the project's own files (the lesson on disk, or the child's copy of it) is refused
    and reported, the file on disk is unchanged, and a file graded after it passes on the lesson."""
    files = {"a_writes_the_project.py": SOLUTION + f"\nopen({str(ROOT / 'mlp.py')!r}, 'a').write('#\\n')\n",
             "b_removes_it.py": SOLUTION + f"\nimport os\nos.remove({str(ROOT / 'zoo.py')!r})\n",
             "c_honest.py": SOLUTION}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    before = grade.project_state()
    a, b, c = grade.grade_all(grade.python_files([tmp_path]), jobs=1)
    assert a.status == "refused" and f"tried to write {ROOT / 'mlp.py'}" in a.headline, a.text
    assert b.status == "refused" and "os.remove" in b.headline, b.text
    assert c.status == "passed", c.text
    assert grade.project_state() == before


def test_a_change_past_the_hook_is_still_reported(tmp_path, monkeypatch):
    """The other side of the audit hook: a write it cannot see (through a hard link made beforehand,
    outside the project) changes a project file, and the grade reports it as refused."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "lesson.py").write_text("x = 1\n", encoding="utf-8")
    os.link(project / "lesson.py", tmp_path / "link.py")
    monkeypatch.setattr(grade, "ROOT", project)
    link = str(tmp_path / "link.py")
    (tmp_path / "mine.py").write_text(SOLUTION + f"\nopen({link!r}, 'a').write('y = 2')\n", encoding="utf-8")
    g = grade.grade_file(tmp_path / "mine.py")
    assert g.status == "refused" and "the project's files changed while it ran (lesson.py)" in g.headline
    (project / "lesson.py").write_text("x = 1\n", encoding="utf-8")  # the other side: no change, no word
    (tmp_path / "mine.py").write_text(SOLUTION, encoding="utf-8")
    assert grade.grade_file(tmp_path / "mine.py").status == "passed"


def test_the_memory_cap(tmp_path):
    """A file that asks for 400 MB: out of memory under a cap of 256 MB, with that one line; passed
    under 1024 MB (so the cap, not the machine, stopped it)."""
    path = tmp_path / "big.py"
    path.write_text("import numpy as np\n" + SOLUTION.replace(
        "    dz2 = y_hat - y", "    big = np.empty(5 * 10**7)  # 400 MB of address space\n"
        "    dz2 = y_hat - y"), encoding="utf-8")
    capped = grade.grade_file(path, memory=256)
    assert capped.status == "error" and "ran out of memory: the grader allows 256 MB" in capped.headline
    assert grade.grade_file(path, memory=1024).status == "passed"


def test_a_hanging_file_times_out_and_the_batch_goes_on(tmp_path):
    """The issue's first attack: `while True: pass` after step (1). With --timeout 2 the batch goes on:
    the hanging file reads timeout within the timeout plus a few seconds, the starter beside it
    unfinished, the gradebook has both rows, and the exit status is 0 (every file graded)."""
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "hangs.py").write_text(
        SOLUTION.replace("    dz2 = y_hat - y", "    dz2 = y_hat - y\n    while True:\n        pass"),
        encoding="utf-8")
    (tmp_path / "class" / "starter.py").write_text(STARTER, encoding="utf-8")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(ROOT / "practice.py"), "check", str(tmp_path / "class"),
                           "--timeout", "2", "--csv", str(tmp_path / "book.csv")], capture_output=True,
                          text=True, timeout=60, check=False)
    elapsed = time.perf_counter() - start
    assert done.returncode == 0, done.stderr
    assert f"{tmp_path / 'class' / 'hangs.py'}: timeout, 0/7: it did not finish within 2 s" in done.stdout
    assert f"{tmp_path / 'class' / 'starter.py'}: unfinished, 0/7" in done.stdout
    assert elapsed < 2 + 20, f"{elapsed:.1f} s for a batch whose slowest file has 2 s"
    with open(tmp_path / "book.csv", encoding="utf-8", newline="") as f:
        rows = [(r["file"], r["status"]) for r in csv.DictReader(f)]
    assert rows == [(str(tmp_path / "class" / "hangs.py"), "timeout"),
                    (str(tmp_path / "class" / "starter.py"), "unfinished")]


# --- a class at once: the gradebook and the feedback ---------------------------------------------------

def test_the_gradebook_and_the_feedback(tmp_path):
    """`check FOLDER --csv --feedback`: the gradebook's header is file, the seven steps, points,
    max_points, status; a row per .py file (not the notes beside them), points the sum of the steps;
    each feedback file is exactly what `check FILE` prints for that file; the exit status is 0, for a
    single file with --csv too, and 2 (nothing graded) for a path that is not there."""
    folder = tmp_path / "class"
    (folder / "alice").mkdir(parents=True)
    (folder / "alice" / "backward_two_layer.py").write_text(STARTER, encoding="utf-8")
    (folder / "bob.py").write_text(SOLUTION, encoding="utf-8")
    (folder / "carol.py").write_text(FAILING["missing_key.py"], encoding="utf-8")
    (folder / "dave.py").write_text(ATTACKS["calls_wrapped.py"][0], encoding="utf-8")
    (folder / "notes.txt").write_text("not a submission", encoding="utf-8")
    practice_py = [sys.executable, str(ROOT / "practice.py"), "check"]
    done = subprocess.run(practice_py + [str(folder), "--csv", str(tmp_path / "book.csv"), "--feedback",
                                         str(tmp_path / "feedback")], capture_output=True, text=True,
                          timeout=120, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    with open(tmp_path / "book.csv", encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    assert reader.fieldnames == ["file", "(1) dz2", "(2) dW2", "(3) db2", "(4) da1", "(5) dz1", "(6) dW1",
                                 "(7) db1", "points", "max_points", "status"]
    files = [str(folder / "alice" / "backward_two_layer.py")] + [str(folder / f"{n}.py") for n in
                                                                  ("bob", "carol", "dave")]
    assert [r["file"] for r in rows] == files
    assert [r["status"] for r in rows] == ["unfinished", "passed", "wrong", "refused"]
    assert [r["points"] for r in rows] == ["0", "7", "6", "0"] and {r["max_points"] for r in rows} == {"7"}
    for r in rows:
        assert int(r["points"]) == sum(int(r[c]) for c in grade.STEP_COLUMNS)
    assert rows[2]["(7) db1"] == "0" and rows[2]["(6) dW1"] == "1"
    alone = subprocess.run(practice_py + [files[0]], capture_output=True, text=True, timeout=60, check=False)
    assert alone.returncode == 1
    assert grade.feedback_path(tmp_path / "feedback", files[0]).read_text(encoding="utf-8") == alone.stdout
    one = subprocess.run(practice_py + [files[0], "--csv", str(tmp_path / "one.csv")], capture_output=True,
                         text=True, timeout=60, check=False)  # --csv for a single file: graded, so 0
    assert one.returncode == 0 and len((tmp_path / "one.csv").read_text().splitlines()) == 2, one.stdout
    missing = subprocess.run(practice_py + [files[0], str(folder / "nobody")], capture_output=True, text=True,
                             timeout=60, check=False)  # a path that is not there: nothing graded
    assert missing.returncode == 2 and "nobody: no such file" in missing.stderr


def test_a_failure_of_the_graders_own_is_one_files_error(monkeypatch):
    """If grading one file fails in the grader itself, that file's row says so and the others are
    graded: a bug of ours never ends a class's batch (nor stays hidden: the row asks for a report)."""
    def grade_file(path, shown, **options):
        if path == "b.py":
            raise RuntimeError("a bug of the grader's")
        return grade.failed(shown, "passed", "as if graded")

    monkeypatch.setattr(grade, "grade_file", grade_file)
    a, b, c = grade.grade_all([("a.py", "a.py"), ("b.py", "b.py"), ("c.py", "c.py")])
    assert (a.status, c.status) == ("passed", "passed")
    assert b.status == "error" and "the grader failed on it (RuntimeError: a bug of" in b.headline


def test_feedback_paths_and_the_progress_bar():
    """Feedback files mirror the paths under the folder, never above it; the bar is drawn on a
    terminal only (a log gets the summary line instead)."""
    assert grade.feedback_path("fb", "../up/a.py") == pathlib.Path("fb/up/a.txt")
    assert grade.feedback_path("fb", "/abs/b/c.py") == pathlib.Path("fb/abs/b/c.txt")

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal, log = Terminal(), io.StringIO()
    for stream in (terminal, log):
        bar = grade.progress_bar(stream)
        bar(1, 2)
        bar(2, 2)
    assert terminal.getvalue().endswith(f"\r[{'#' * 30}] 2/2 files\n") and "1/2 files" in terminal.getvalue()
    assert log.getvalue() == ""


# --- the judgement, kept apart ------------------------------------------------------------------------

def test_step_numbers_of_the_grader_are_the_lessons_tags():
    """The grader's step rule gives backward_two_layer's tags for two layers, in backward's order."""
    assert grade.step_keys(2) == list(STEPS)
    assert {key: diagnosis.step_of(key, 2) for key in STEPS} == STEPS
    params, X, y = zoo.gradcheck_problem([2, 3, 4, 3, 1], "tanh")
    assert grade.step_keys(4) == list(mlp.backward(params, mlp.forward(params, X, "tanh")[1], y, "tanh"))


def test_grading_problems_keep_relu_off_its_kink():
    """Every network the grader uses has nonzero biases and no hidden input within KINK_MARGIN of 0."""
    for sizes, activation in grade.GRADED["backward"]:
        params, _, _, cache = grade.grading_problem(sizes, activation)
        assert all(params[k].all() for k in params if k[0] == "b")
        assert min(np.abs(cache[f"z{l}"]).min() for l in range(1, len(sizes) - 1)) > grade.KINK_MARGIN


def test_the_networks_come_from_a_secret_seed_unless_one_is_given():
    """Each grading draws new networks (the child sees arrays, never a seed); a given seed repeats."""
    def weights(nets):
        return [n.params["W1"].tobytes() for n in nets]

    assert weights(grade.networks()) != weights(grade.networks())
    assert weights(grade.networks(0)) == weights(grade.networks(0))


def test_arrays_cross_as_plain_floats_only():
    """What comes back is read as plain float64/float32 arrays; an object dtype, a name that is not a
    tensor's, a 3-d shape or bytes that do not fit the shape are refused before anything is judged."""
    a = {"dW1": np.arange(6.0).reshape(2, 3), "db1": np.ones((1, 3), np.float32)}
    back = grade.from_wire(grade.to_wire(a))
    assert all(type(v) is np.ndarray and v.dtype == a[k].dtype and (v == a[k]).all() for k, v in back.items())
    wire = grade.to_wire(a)
    for bad in ({"dW1": {**wire["dW1"], "dtype": "object"}}, {"__class__": wire["dW1"]},
                {"dW1": {**wire["dW1"], "shape": [1, 2, 3]}}, {"dW1": {**wire["dW1"], "shape": [5, 5]}},
                {"dW1": {**wire["dW1"], "data": "!!"}}, ["dW1"]):
        with pytest.raises(grade.BadAnswer):
            grade.from_wire(bad)


def test_an_answer_that_leaves_out_a_network_does_not_pass():
    """A child that answers some networks right and leaves out the others cannot pass: every network of
    a function it answers for must be there, once. The same answers, complete, pass."""
    nets = grade.networks(0)
    right = [{"network": i, "kind": "grads", "problems": {},
              "arrays": grade.to_wire(mlp.backward(n.params, n.cache, n.y, n.activation))}
             for i, n in enumerate(nets) if n.function == "backward_two_layer"]

    def judged(answers):
        run = grade.Run({"answers": answers, "refused": []}, "answered", "", 0)
        return grade.judge("mine.py", nets, run, 60)

    assert judged(right).status == "passed"
    for answers in (right[:1], right[:3] + right[4:], right + right[-1:], []):
        g = judged(answers)
        assert g.status == "error" and "cannot be read" in g.headline, g.headline


# --- the diagnosis names 1/n in deep networks too ----------------------------------------------------

@pytest.mark.parametrize("seed", range(4))
def test_the_diagnosis_names_one_over_n_in_a_deep_sigmoid_network(seed):
    """On [2] + [12] * 9 + [1], sigmoid, n = 7, dz2, dW2, db2 or da2 divided by n reads "1/n = 1/7"
    (the median of ratios of vanishing entries missed 1/7 by round-off, and read "0.1429 times"); a
    factor that is not 1/n (0.15) is still named as itself."""
    params, X, y = zoo.gradcheck_problem([2] + [12] * 9 + [1], "sigmoid", n=7, seed=seed)
    _, cache = mlp.forward(params, X, "sigmoid")
    exact = mlp.backward(params, cache, y, "sigmoid")

    def said(key, factor):
        report = mlp.gradient_check(params, X, y, "sigmoid", analytic={key: exact[key] * factor})
        return report[key]["diagnosis"]

    for key in ("dz2", "dW2", "db2", "da2"):
        assert said(key, 1 / 7).startswith("every entry is 1/n = 1/7 of the numerical gradient"), key
        assert said(key, 0.15).startswith("every entry is 0.15 times the numerical gradient"), key


# --- Gradescope ---------------------------------------------------------------------------------------

def unpack(bundle, root):
    """The bundle as Gradescope unpacks it: into root/source, run_autograder copied to root (with the
    zip's own file modes, as unzip keeps them)."""
    with zipfile.ZipFile(bundle) as z:
        z.extractall(root / "source")
        for info in z.infolist():
            os.chmod(root / "source" / info.filename, info.external_attr >> 16 & 0o777)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")


def autograder(bundle, root, submission):
    """Start run_autograder as Gradescope does (in root, AUTOGRADER_ROOT=root, the python on PATH)."""
    unpack(bundle, root)
    (root / "submission").mkdir()
    for name, text in submission.items():
        (root / "submission" / name).write_text(text, encoding="utf-8")
    env = {**os.environ, "AUTOGRADER_ROOT": str(root),
           "PATH": f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.Popen([str(root / "run_autograder")], cwd=root, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def test_the_gradescope_bundle(tmp_path):
    """The zip has setup.sh and an executable run_autograder at its root, beside the grader's files,
    and is the same bytes each time; run on a passing, a wrong, a hanging file (a bundle with
    --timeout 2) and the starter, run_autograder writes results.json field by field as Gradescope's
    specification says: a test per step (name, number, score, max_score, status, output, visibility),
    the score, the time, a top-level output with the first wrong step. A submission that writes its
    own results.json is refused, and the grader's is what Gradescope reads."""
    bundle = tmp_path / "autograder.zip"
    done = subprocess.run([sys.executable, str(ROOT / "practice.py"), "gradescope", str(bundle),
                           "--timeout", "2"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    names = zipfile.ZipFile(bundle).namelist()
    assert {"setup.sh", "run_autograder", "requirements.txt", "LICENSE", *grade.LESSON_FILES} == set(names)
    modes = {i.filename: i.external_attr >> 16 for i in zipfile.ZipFile(bundle).infolist()}
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111 and not modes["mlp.py"] & 0o111
    again = tmp_path / "again.zip"
    grade.bundle(again, timeout=2)
    assert again.read_bytes() == bundle.read_bytes()
    assert subprocess.run(["bash", "-n", "-c", zipfile.ZipFile(bundle).read("setup.sh").decode()],
                          check=False).returncode == 0

    submissions = {"passing": SOLUTION, "wrong": FAILING["bug_02.py"], "starter": STARTER,
                   "hanging": SOLUTION.replace("    dz2 = y_hat - y", "    dz2 = y_hat - y\n    while 1:\n"
                                               "        pass")}
    forged = tmp_path / "tampering" / "results" / "results.json"  # where Gradescope reads the score
    submissions["tampering"] = SOLUTION + f"\nopen({str(forged)!r}, 'w').write('{{\"score\": 7}}')\n"
    runs = {name: autograder(bundle, tmp_path / name, {"backward_two_layer.py": text})
            for name, text in submissions.items()}
    results = {}
    for name, run in runs.items():
        out, _ = run.communicate(timeout=60)
        assert run.returncode == 0, out
        results[name] = json.loads((tmp_path / name / "results" / "results.json").read_text(encoding="utf-8"))

    for name, r in results.items():
        assert set(r) == {"score", "execution_time", "output", "visibility", "tests"}, name
        assert isinstance(r["execution_time"], int) and r["visibility"] == "visible"
        assert [t["name"] for t in r["tests"]] == [f"step {c}" for c in grade.STEP_COLUMNS]
        assert [t["number"] for t in r["tests"]] == [str(k) for k in range(1, 8)]
        for t in r["tests"]:
            assert set(t) == {"name", "number", "score", "max_score", "status", "output", "visibility"}
            assert t["max_score"] == 1 and t["visibility"] == "visible" and t["output"]
            assert (t["score"], t["status"]) in ((1, "passed"), (0, "failed"))
        assert r["score"] == sum(t["score"] for t in r["tests"])
    assert results["passing"]["score"] == 7 and results["passing"]["output"].startswith(
        "passed: every step is correct on every network")
    wrong = results["wrong"]  # bug 2, missing 1/n: db2 and db1, steps (3) and (7)
    assert [t["status"] for t in wrong["tests"]] == ["passed"] * 2 + ["failed"] + ["passed"] * 3 + ["failed"]
    assert wrong["score"] == 5
    assert wrong["output"].startswith("wrong: the first wrong step: db2, step (3) (6 of 6 networks not "
                                      "correct)"), wrong["output"][:200]
    assert "every entry is n = 8 times the numerical gradient" in wrong["tests"][2]["output"]
    assert wrong["tests"][0]["output"] == "correct on every network (6)"
    hanging = results["hanging"]
    assert hanging["score"] == 0 and hanging["output"].startswith("timeout: it did not finish within 2 s")
    assert all(t["output"].startswith("not graded: it did not finish") for t in hanging["tests"])
    tampering = results["tampering"]
    assert tampering["score"] == 0 and tampering["output"].startswith("refused: your file tried to write")
    starter = results["starter"]
    assert starter["score"] == 0 and starter["output"].startswith("unfinished: step (1) is not written yet")
    assert "not written yet" in starter["tests"][0]["output"]


def test_run_autograder_writes_results_even_when_the_grader_fails(tmp_path):
    """If the grader itself cannot run (here: its grade.py is gone from source/), run_autograder still
    writes a results.json, with score 0 and a line for the student, as Gradescope's practices ask."""
    bundle = tmp_path / "autograder.zip"
    grade.bundle(bundle)
    root = tmp_path / "root"
    unpack(bundle, root)
    (root / "source" / "grade.py").unlink()
    (root / "submission").mkdir()
    env = {**os.environ, "AUTOGRADER_ROOT": str(root)}
    done = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    r = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert r["score"] == 0 and r["tests"] == [] and r["output"].startswith("The grader stopped"), done.stdout

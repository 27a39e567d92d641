"""Tests of the live code blocks: the site's code, editable and running in the page (Pyodide).

- In Chromium (marked `browser`): the built site, served from 127.0.0.1 with every other request
  blocked and recorded, runs its blocks: Run prints what the page says; an edited step (5) of the
  backprop page makes the check under it report dz1 wrong; a traceback points at the learner's line;
  Stop ends `while True: pass`; a planted bug of the practice page, fixed in the page, checks
  correct; no request leaves the host; over file:// each block says how to serve the site.
- Under Node (marked `pyodide`): the lesson's tests, and the lab's tests of the playground's frames
  (drawn with the vendored matplotlib and its font list), run inside the vendored Pyodide.
- The vendored files: the build checks their hashes, and copies the repository's own Python files.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import test_site
from tools import live_files

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "docs" / "assets" / "live"))
import live_runner  # noqa: E402  (docs/assets/live/live_runner.py: what Run does, inside Pyodide)

PYODIDE = ROOT / "docs" / "assets" / "pyodide"
STEP5_BUG = "dz1 = da1 * f_grad(a1, sigmoid(a1))"  # the slope at the wrong point: practice's bug 1


# --- the vendored runtime and the files the page runs -------------------------------------------------

def test_vendored_files_match_their_hashes():
    """docs/assets/pyodide/ holds exactly the files tools/live_files.VENDORED lists, byte for byte
    (sha256 and size), within the budgets (the whole, and what figures add), with every licence; each
    wheel is the one Pyodide 0.27.7's lock file names, with the hash that lock file gives, and the
    lock file names no package that is not here. Catches a file replaced or re-downloaded from
    elsewhere without the manifest knowing, and a lock file that would send the page to load a
    wheel the site does not have."""
    live_files.check_vendored(PYODIDE)
    assert sum(size for size, _ in live_files.VENDORED.values()) <= live_files.MAX_RUNTIME_BYTES
    assert sum(size for size, _ in live_files.FIGURES.values()) <= live_files.MAX_FIGURE_BYTES
    lock = json.loads((PYODIDE / "pyodide-lock.json").read_text(encoding="utf-8"))
    assert lock["info"]["version"] == live_files.PYODIDE_VERSION
    assert set(lock["packages"]) == {"numpy", *live_files.FIGURE_PACKAGES}, sorted(lock["packages"])
    for name, entry in lock["packages"].items():
        assert set(entry["depends"]) <= set(lock["packages"]), (name, entry["depends"])
        assert live_files.sha256(PYODIDE / entry["file_name"]) == entry["sha256"], name
    assert lock["packages"]["numpy"]["file_name"] == live_files.NUMPY_WHEEL
    assert "Mozilla Public License Version 2.0" in (PYODIDE / "LICENSE-pyodide").read_text(encoding="utf-8")
    assert "NumPy Developers" in (PYODIDE / "LICENSE-numpy").read_text(encoding="utf-8")
    matplotlib = (PYODIDE / "LICENSE-matplotlib").read_text(encoding="utf-8")
    assert "matplotlib" in matplotlib and "Bitstream Vera" in matplotlib  # and its fonts' (DejaVu)


def test_changed_vendored_file_fails_check_and_build(tmp_path):
    """One byte changed in a vendored file (or a file added) fails check_vendored, naming the file, and
    so fails `mkdocs build`; the untouched copy passes (both sides of the guard)."""
    copy = tmp_path / "pyodide"
    shutil.copytree(PYODIDE, copy)
    live_files.check_vendored(copy)  # quiet on the right files
    lock = copy / "pyodide-lock.json"
    lock.write_bytes(lock.read_bytes().replace(b'"numpy"', b'"numpx"', 1))
    with pytest.raises(ValueError, match="pyodide-lock.json has"):
        live_files.check_vendored(copy)
    project = test_site.one_page_project(tmp_path / "project", "index.md", "Probe.")
    (project / "docs/assets/pyodide/stray.js").write_text("// not vendored\n", encoding="utf-8")
    test_site.assert_build_fails(project, tmp_path / "site", "stray.js", "tools/vendor_pyodide.py")


def test_site_runs_the_repositorys_own_files(built_site):
    """The build copies each file of LIVE_FILES and FIGURE_FILES into the site, byte for byte, and
    lists them in files.json and figures.json for the worker: the page runs the repository's files,
    never a copy kept by hand (an edit of mlp.py reaches the page at the next build)."""
    folder = built_site / live_files.LIVE_DIR
    for files, listing in ((live_files.LIVE_FILES, live_files.LIVE_LIST),
                           (live_files.FIGURE_FILES, live_files.FIGURE_LIST)):
        listed = json.loads((folder / listing).read_text(encoding="utf-8"))
        assert listed == list(files), listed  # every file the page imports, none skipped
        for name in listed:
            assert (folder / name).read_bytes() == (ROOT / name).read_bytes(), name


# --- what Run does (live_runner, here in CPython; the browser test runs it in Pyodide) ---------------

def test_runner_reports_a_syntax_error_at_the_files_line(capsys, monkeypatch):
    """A syntax error typed into step (5) is reported at that line of mlp.py, under the edited
    function's own name, with no frame of the runner or of ast (before, it showed ast.py's frame and
    "<unknown>", line 11, counted from the top of the function). The lesson's function is untouched."""
    import mlp
    monkeypatch.chdir(ROOT)
    original = mlp.backward_two_layer
    monkeypatch.setattr(mlp, "backward_two_layer", original)  # restored after the test
    lines = (ROOT / "mlp.py").read_text(encoding="utf-8").splitlines()
    five = next(i for i, text in enumerate(lines, start=1) if "# (5)" in text)
    live_runner._current.clear()  # the region as in the file, not as an earlier test left it
    assert live_runner.run("step", "dz1 = da1 *", "mlp.py", five, "backward_two_layer", 1) == "error"
    err = capsys.readouterr().err
    assert f"line {five}" in err and "SyntaxError" in err and "dz1 = da1 *" in err, err
    assert "ast.py" not in err and "<unknown>" not in err and "live_runner" not in err, err
    assert mlp.backward_two_layer is original
    live_runner._current.clear()


def test_runner_step_replaces_one_line_and_keeps_the_door(capsys, monkeypatch):
    """A step run rebuilds the function from its region with the edited line, at the file's line
    numbers, with its @checked door (a wrong-shaped y is still refused at the door); an error in the
    edited line shows a traceback naming that line number and the learner's text, without the runner's
    own frames. Afterwards the lesson's function is put back (the session in the page is the worker's)."""
    import numpy as np

    import mlp
    monkeypatch.chdir(ROOT)
    original = mlp.backward_two_layer
    monkeypatch.setattr(mlp, "backward_two_layer", original)  # restored after the test
    lines = (ROOT / "mlp.py").read_text(encoding="utf-8").splitlines()
    five = next(i for i, text in enumerate(lines, start=1) if "# (5)" in text)
    status = live_runner.run("step", "dz1 = da1 * no_such_name", "mlp.py", five, "backward_two_layer", 1)
    assert status == f"mlp.backward_two_layer now runs your edit of line {five}", status
    assert mlp.backward_two_layer is not original and hasattr(mlp.backward_two_layer, "__wrapped__")
    params = mlp.init_params([3, 3, 1], "sigmoid", 0)
    X = np.random.default_rng(1).standard_normal((8, 3))
    y = (X[:, :1] > 0).astype(np.float64)
    _, cache = mlp.forward(params, X, "sigmoid")
    with pytest.raises(ValueError, match="y"):
        mlp.backward_two_layer(params, cache, y[:-1], "sigmoid")  # the door is still there
    capsys.readouterr()
    page = {"__name__": "__main__", "params": params, "cache": cache, "y": y}
    monkeypatch.setattr(live_runner, "PAGE", page)
    assert live_runner.run("example", "import mlp\nmlp.backward_two_layer(params, cache, y, 'sigmoid')") \
        == "error"
    err = capsys.readouterr().err
    assert f"line {five}, in backward_two_layer" in err and "dz1 = da1 * no_such_name" in err, err
    assert "NameError" in err and "live_runner" not in err, err


# --- the site in Chromium ----------------------------------------------------------------------------

STATUS_DONE = """(block) => { const s = block.querySelector('.live-status').textContent;
                                return !block.querySelector('.live-run').disabled && s !== ''; }"""


def live_block(page, text: str):
    """The .live-code element whose code contains `text` (exactly one), found by its place on the page,
    so that it stays the same element when its code is edited."""
    places = page.evaluate("""(text) => [...document.querySelectorAll('.live-code')]
        .map((b, i) => b.querySelector('pre > code').textContent.includes(text) ? i : -1)
        .filter((i) => i >= 0)""", text)
    assert len(places) == 1, f"{len(places)} live blocks hold {text!r}"
    return page.locator(".live-code").nth(places[0])


def run_block(page, block, timeout=30000) -> tuple[str, str, float]:
    """Click Run, wait for the run's end; (status, output, seconds from the click)."""
    start = time.monotonic()
    block.locator("button.live-run").click()
    page.wait_for_function(STATUS_DONE, arg=block.element_handle(), timeout=timeout)
    seconds = time.monotonic() - start
    return (block.locator(".live-status").inner_text(), block.locator(".live-output").text_content(),
            seconds)


def replace_code(page, block, text: str) -> None:
    """What a reader does: click into the editor, select all, type."""
    block.locator("pre > code").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(text)


def page_output_block(page, block) -> str:
    """The text of the Output block that the page shows under `block`'s example."""
    return block.evaluate("""(b) => { let el = b.nextElementSibling;
        while (el && !el.querySelector?.('.filename')) el = el.nextElementSibling;
        return el.querySelector('code').textContent; }""")


def visit_live(site: Path) -> dict:
    """Run the live blocks of the built site in Chromium, as a reader would, recording every request
    (the pages' and the worker's); return what was seen and measured."""
    sync_playwright = test_site.require_browser()
    seen = {"requests": [], "off_site": [], "errors": []}
    with test_site.serve(site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=test_site.CHROMIUM, headless=True,
                                             args=test_site.CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=test_site.VIEWPORTS["desktop"])

            def local_only(route):
                url = urlsplit(route.request.url)
                if url.hostname == "127.0.0.1" or url.scheme == "file":
                    route.continue_()
                else:
                    seen["off_site"].append(route.request.url)
                    route.abort()

            context.route("**/*", local_only)
            context.on("request", lambda request: seen["requests"].append(request.url))
            page = context.new_page()
            page.on("console", lambda m: m.type == "error" and seen["errors"].append(m.text))
            page.on("pageerror", lambda e: seen["errors"].append(str(e)))

            # Cold: a fresh browser, the check block under step (5) run at once.
            start = time.monotonic()
            page.goto(base + "backprop.html")
            seen["blocks"] = {"backprop.html": page.locator(".live-code").count(),
                              "backprop.html data-live": page.locator("[data-live]").count()}
            check = live_block(page, "# yours, once run")
            seen["check"] = run_block(page, check)
            seen["cold"] = time.monotonic() - start
            seen["ready"] = page.evaluate("window.liveCodeReady")
            seen["check_page_output"] = page_output_block(page, check)

            # Step (5) edited and run: the check reports dz1 wrong.
            step5 = page.locator(".live-code").nth(page.evaluate("""() =>
                [...document.querySelectorAll('.live-code')].findIndex(
                    (b) => b.querySelector('.filename')?.textContent.endsWith('step (5)'))"""))
            replace_code(page, step5, STEP5_BUG)
            seen["step5"] = run_block(page, step5)
            seen["check_after_edit"] = run_block(page, check)
            page.screenshot(path=str(site.parent / "backprop-edited.png"))

            # A traceback points at the learner's line.
            replace_code(page, step5, "dz1 = da1 * no_such_name")
            run_block(page, step5)
            seen["traceback"] = run_block(page, check)

            # Stop ends a runaway loop; the fresh Python has forgotten the edits.
            example = live_block(page, "mlp.gradient_check")
            replace_code(page, check, "while True: pass")
            check.locator("button.live-run").click()
            page.wait_for_function("(b) => b.querySelector('.live-status').textContent === 'Running…'",
                                   arg=check.element_handle(), timeout=30000)
            page.wait_for_timeout(500)
            seen["running_after_500ms"] = check.locator(".live-status").inner_text()
            check.locator("button.live-stop").click()
            seen["stopped"] = check.locator(".live-status").inner_text()
            check.locator("button.live-reset").click()
            seen["after_stop"] = run_block(page, example)

            # Warm: the same page again, files in the browser's cache.
            page.close()
            page = context.new_page()
            start = time.monotonic()
            page.goto(base + "backprop.html")
            run_block(page, live_block(page, "# yours, once run"))
            seen["warm"] = time.monotonic() - start

            # Practice: the planted bug 1, run as planted, then fixed in the page.
            page.goto(base + "practice.html")
            page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
            planted = live_block(page, "f_grad(a1, sigmoid(a1))")  # bug 1's block, and its check after it
            practice_check = page.locator(".live-code").nth(page.evaluate("""() =>
                [...document.querySelectorAll('.live-code')].findIndex(
                    (b) => b.querySelector('code').textContent.includes('f_grad(a1, sigmoid(a1))')) + 1"""))
            run_block(page, planted)
            seen["practice_planted"] = run_block(page, practice_check)
            fixed = planted.locator("pre > code").text_content().rstrip("\n").replace(
                "f_grad(a1, sigmoid(a1))", "f_grad(z1, a1)")
            replace_code(page, planted, fixed)
            seen["practice_fixed_define"] = run_block(page, planted)
            seen["practice_fixed"] = run_block(page, practice_check)
            seen["practice_page_output"] = page_output_block(page, practice_check)
            practice_check.scroll_into_view_if_needed()
            page.screenshot(path=str(site.parent / "practice-fixed.png"))

            seen["blocks"]["practice.html"] = page.locator(".live-code").count()
            page.close()

            # Opened as a file: no Python, and each block says how to serve the site.
            page = context.new_page()
            page.goto((site / "backprop.html").as_uri())
            seen["file"] = {"live": page.locator(".live-code").count(),
                            "notes": page.locator(".live-unavailable").all_inner_texts()}
        finally:
            browser.close()
    return seen


@pytest.fixture(scope="session")
def live_visit(built_site):
    start = time.monotonic()
    seen = visit_live(built_site)
    print(f"live visit: {time.monotonic() - start:.1f} s; cold {seen['cold']:.1f} s (in the worker: "
          f"{seen['ready']}), warm {seen['warm']:.1f} s; blocks per page {seen['blocks']}")
    return seen


REPORT_LINE = re.compile(r"^ *(d[a-zA-Z]+\d+) +(correct|uncomfortable|wrong)\b", re.MULTILINE)


def verdicts(output: str) -> dict[str, str]:
    """{key: verdict} from diagnosis.report_lines' lines (a diagnosis continues on indented lines)."""
    return dict(REPORT_LINE.findall(output))


def diagnosis_of(output: str, key: str) -> str:
    """The diagnosis printed under `key`'s line: its continuation lines, joined."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if REPORT_LINE.match(line) and line.split()[0] == key)
    rest = []
    for line in lines[start + 1:]:
        if REPORT_LINE.match(line):
            break
        rest.append(line.strip())
    return " ".join(rest)


@pytest.mark.browser
def test_run_prints_what_the_page_shows(live_visit):
    """Run on the check block of the backprop page, in a cold browser, prints exactly the Output the
    page shows under it (and test_site checks that Output against CPython). The time from the page's
    load to the first output is printed by the visit, not asserted: tests never hold absolute times
    (a busy machine would fail them); the 10 s budget is a measurement in the closing note."""
    status, output, _ = live_visit["check"]
    assert status.startswith("Done"), (status, output)
    assert output == live_visit["check_page_output"], output


@pytest.mark.browser
def test_edited_step_is_diagnosed(live_visit):
    """Step (5) edited in the page (the slope at the wrong point) and run: the check under it reports
    dz2 .. da1 correct and dz1 the first wrong tensor, with a diagnosis naming step (5), and dW1's
    diagnosis tracing its error to dz1. Catches a step run that does not reach mlp's function, and a
    page that prints verdicts without the diagnoses."""
    status, _, _ = live_visit["step5"]
    assert "mlp.backward_two_layer now runs your edit of line" in status, status
    _, output, _ = live_visit["check_after_edit"]
    found = verdicts(output)
    assert list(found) == ["dz2", "dW2", "db2", "da1", "dz1", "dW1", "db1"], output
    assert [k for k, v in found.items() if v == "correct"] == ["dz2", "dW2", "db2", "da1"], output
    assert found["dz1"] == "wrong" and found["dW1"] != "correct" and found["db1"] != "correct", output
    assert "(5)" in diagnosis_of(output, "dz1"), f"dz1's diagnosis does not name step (5):\n{output}"
    assert "dz1" in diagnosis_of(output, "dW1"), f"dW1's diagnosis does not trace it to dz1:\n{output}"


@pytest.mark.browser
def test_traceback_points_at_the_learners_line(live_visit):
    """An error in an edited step shows under the check block as a traceback that names the step's line
    of mlp.py and shows the learner's text (not the worker's frames)."""
    status, output, _ = live_visit["traceback"]
    assert status.startswith("Error"), status
    assert re.search(r"line \d+, in backward_two_layer", output) and "no_such_name" in output, output
    assert "NameError" in output and "live_runner" not in output and "_pyodide" not in output, output


@pytest.mark.browser
def test_stop_ends_a_runaway_loop(live_visit):
    """`while True: pass` still runs after half a second; Stop ends it at once and starts a fresh Python,
    which runs the next block, and has forgotten the edited step (every tensor correct again)."""
    assert live_visit["running_after_500ms"] == "Running…"
    assert live_visit["stopped"].startswith("Stopped"), live_visit["stopped"]
    status, output, _ = live_visit["after_stop"]
    assert status.startswith("Done") and "correct" in output and "wrong" not in output, (status, output)


@pytest.mark.browser
def test_planted_bug_fixed_in_the_page(live_visit):
    """Practice, bug 1: the planted backward run as is makes the check report dz1 the first wrong step;
    fixed in the page (the one line) and run, every tensor is correct, as the page's Output shows."""
    output = live_visit["practice_planted"][1]
    found = verdicts(output)
    assert found["dz1"] == "wrong" and found["da1"] == "correct" and "first wrong step" in output, output
    assert "now runs this code" in live_visit["practice_fixed_define"][0]
    assert live_visit["practice_fixed"][1] == live_visit["practice_page_output"]
    assert set(verdicts(live_visit["practice_fixed"][1]).values()) == {"correct"}


@pytest.mark.browser
def test_no_request_leaves_the_host_and_blocks_are_live(live_visit):
    """Every request, the worker's included (Pyodide, numpy's wheel, the repository's files), went to
    127.0.0.1, and none failed or logged an error; every block the build marked became a live block."""
    assert not live_visit["off_site"], live_visit["off_site"]
    assert not live_visit["errors"], live_visit["errors"]
    fetched = {Path(urlsplit(url).path).name for url in live_visit["requests"]}
    assert {"pyodide.asm.wasm", live_files.NUMPY_WHEEL, "mlp.py", "live_runner.py"} <= fetched, fetched
    blocks = live_visit["blocks"]
    assert blocks["backprop.html"] == blocks["backprop.html data-live"] >= 10, blocks
    assert blocks["practice.html"] >= 20, blocks


def live_blocks_per_page(site: Path) -> dict[str, int]:
    """{page: how many blocks the build marked to run in the page}."""
    counts = {page.name: len(re.findall(r'<div class="language-[^"]*"[^>]*\bdata-live="', page.read_text()))
              for page in sorted(site.glob("*.html"))}
    return {name: n for name, n in counts.items() if n}


def test_every_quoted_block_and_example_is_marked(built_site):
    """The build marks, on each page, exactly its blocks quoted from mlp.py or datasets.py, its
    `{{ step:N }}` and `{{ planted:SLUG }}` blocks and its runnable examples (as test_site.examples finds
    them): none forgotten, nothing else (a block quoting experiments.py, the lab, is not the lesson's
    code to edit and run)."""
    expected = {}
    for source in sorted(test_site.DOCS.glob("*.md")):
        text = source.read_text(encoding="utf-8")
        quoted = len(re.findall(r'^[ \t]*-+8<-+[ \t]+"(?:mlp|datasets)\.py:[\w-]+"', text, re.MULTILINE))
        steps = len(re.findall(r"^[ \t]*\{\{[ \t]*(?:step|planted):", text, re.MULTILINE))
        n = quoted + steps + len(test_site.examples(source))
        if n:
            expected[source.with_suffix(".html").name] = n
    found = live_blocks_per_page(built_site)
    print(f"runnable blocks per page: {found}")
    assert found == expected and found["backprop.html"] >= 10, (found, expected)


@pytest.mark.browser
def test_file_url_says_how_to_serve(live_visit):
    """Opened from a folder (file://), where the browser cannot start the worker, no block pretends to
    run: each says how to serve the site instead."""
    assert live_visit["file"]["live"] == 0
    notes = live_visit["file"]["notes"]
    assert len(notes) == live_visit["blocks"]["backprop.html"], notes
    assert all("mkdocs serve" in n and "python -m http.server -d site" in n for n in notes), notes[:1]


# --- the lesson's tests inside Pyodide, under Node -----------------------------------------------------

NODE = shutil.which("node")
PYODIDE_TEST_FILES = ("test_mlp.py", "test_checks.py")  # the lesson's tests and the door's
PYODIDE_LAB_TESTS = (  # and the lab's figures, drawn as the page draws them
    "test_lab.py::test_playground_frames_change_and_the_loss_falls",
    "test_lab.py::test_playground_diverging_run_ends_with_the_message_and_the_last_good_frame",
)
# The tests that cannot pass in the browser's Python, not run there, each with its reason.
NOT_IN_PYODIDE = {
    "test_checks.py::TestNetwork::test_rejected[gd_step-params1]":
        "the message names the array's dtype, int64 from np.array of Python ints; numpy's default "
        "integer in Pyodide is int32 (32-bit WebAssembly)",
}
PYODIDE_RESULT = re.compile(r"^PYODIDE-PYTEST (.*)$", re.MULTILINE)


class PyodideTests:
    """`node tools/pyodide_pytest.mjs` on PYODIDE_TEST_FILES and PYODIDE_LAB_TESTS, minus
    NOT_IN_PYODIDE, started in the background (conftest.py starts it before the first test, as it
    does the lab's quick runs)."""

    def __init__(self, folder: Path):
        self.out = folder / "pyodide-pytest.out"
        self.process = None
        if NODE:
            site_packages = Path(pytest.__file__).resolve().parent.parent  # the venv's, for pytest
            args = [NODE, str(ROOT / "tools" / "pyodide_pytest.mjs"), str(site_packages), "-q",
                    *PYODIDE_TEST_FILES, *PYODIDE_LAB_TESTS,
                    *(f"--deselect={test}" for test in NOT_IN_PYODIDE)]
            with self.out.open("w") as out:
                self.process = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)

    def result(self) -> tuple[dict, str]:
        """(the run's summary: exit, python, numpy, outcomes), and its whole output."""
        if self.process is None:
            message = ("cannot run the Pyodide compatibility test: node is not installed "
                       "(apt-get install nodejs)")
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        self.process.wait(timeout=600)
        text = self.out.read_text(encoding="utf-8", errors="replace")
        found = PYODIDE_RESULT.search(text)
        assert found, f"node tools/pyodide_pytest.mjs printed no summary:\n{text[-3000:]}"
        return json.loads(found[1]), text

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="session")
def pyodide_tests(pyodide_run):
    return pyodide_run.result()


def test_lessons_tests_pass_in_pyodide(pyodide_tests):
    """The lesson's tests (test_mlp.py) and the door's (test_checks.py) run inside the vendored Pyodide
    (Python 3.12, numpy 2.0.2, WebAssembly), and every one passes except the few of NOT_IN_PYODIDE, not
    run there, each for its stated reason; so do the lab's tests of the playground's frames, drawn
    with the vendored matplotlib 3.8.4 by the lab's own functions. Catches code in mlp.py, checks.py,
    datasets.py or the lab's figures that the browser's Python, numpy or matplotlib cannot run (a newer
    numpy or matplotlib function, an int64 assumption, a reliance on floating-point flags, an import
    Pyodide lacks), which would break the site's live blocks while the native tests pass."""
    summary, text = pyodide_tests
    failed = {test: outcome for test, outcome in summary["outcomes"].items() if outcome != "passed"}
    assert summary["exit"] == 0 and not failed, f"inside Pyodide: {failed}\n{text[-4000:]}"
    assert (summary["python"], summary["numpy"], summary["matplotlib"]) == ("3.12.7", "2.0.2", "3.8.4")
    ran = {test.split("::")[0] for test in summary["outcomes"]}
    assert ran == {*PYODIDE_TEST_FILES, "test_lab.py"}, ran
    assert set(PYODIDE_LAB_TESTS) <= set(summary["outcomes"]), summary["outcomes"]
    print(f"inside Pyodide: {len(summary['outcomes'])} tests passed, {len(NOT_IN_PYODIDE)} not run there")


def test_figures_in_pyodide_use_the_shipped_font_list_and_bytecode(pyodide_tests):
    """Written into site-packages before matplotlib's first import (as the page writes them), the
    vendored font list and bytecode are used: matplotlib never builds its font list, and no module of
    matplotlib or pyparsing is compiled from source, neither at the import nor while the lab's tests
    draw. Catches a stale font list (another matplotlib's, a font it no longer ships), a .pyc that no
    longer matches its source (compiled again), a module the figures now import that the bytecode
    lacks (run `python tools/vendor_pyodide.py` again), and files written where matplotlib does not
    look: each makes every page's first figure slower (without them, this reads "built" and lists
    about a hundred modules). Prints how long loading took under Node (a benchmark, not a test: no
    threshold)."""
    summary, _ = pyodide_tests
    assert summary["font_list_built"] is False, summary
    assert summary["compiled"] == [], summary["compiled"]
    print("under Node, seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in summary["seconds"].items()))

"""Tests of the live code blocks: the site's code, editable and running in the page (Pyodide).

- In Chromium (marked `browser`): the site, built for and served from 127.0.0.1 with every other
  request blocked and recorded, runs its blocks: Run prints what the page says; an edited step (5)
  of the backprop page makes the check under it report dz1 wrong; a traceback points at the
  learner's line; Stop ends `while True: pass`; a planted bug of the practice page, fixed in the
  page, checks correct; no request leaves the host; over file:// each block says how to serve the
  site. Python stays warm from page to page (instant navigation), each page runs against the
  lesson, and Python loads once a block is in view, not before: the visit prints the three timings
  (cold, after a link, once ready) and the tests compare them as ratios. Edits come back after a
  reload and a return; an edit kept for an older text is offered, not applied; Reset forgets it;
  where storage is refused the page says so once and works.
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

import test_lab
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


def test_runner_enter_puts_the_lesson_back(monkeypatch):
    """enter(), as when the reader follows a link to another page: a function of mlp redefined on the
    last page, and a name its examples defined, are gone; the lesson's modules are imported afresh
    from their files (all together, so that none keeps another's edit); a module not imported yet is
    left for the page to import. Before enter() the edit and the name are there (the other side)."""
    import numpy as np

    import mlp
    monkeypatch.chdir(ROOT)
    lesson = ["mlp", "checks", "diagnosis", "zoo", "datasets"]
    for name in lesson:  # the test process keeps its own modules
        if name in sys.modules:
            monkeypatch.setitem(sys.modules, name, sys.modules[name])
    monkeypatch.setattr(mlp, "sigmoid", mlp.sigmoid)
    monkeypatch.setattr(live_runner, "PAGE", {"__name__": "__main__"})
    assert live_runner.run("define", "def sigmoid(z):\n    return 0 * z\n", "mlp.py", 1) \
        == "mlp.sigmoid now runs this code"
    assert live_runner.run("example", "left_behind = 1") == "done"
    assert mlp.sigmoid(np.zeros(1))[0] == 0 and "left_behind" in live_runner.PAGE
    monkeypatch.delitem(sys.modules, "zoo", raising=False)
    before = {name: sys.modules[name] for name in ("mlp", "checks", "diagnosis")}
    live_runner.enter([*lesson, "no_such_module"])
    assert all(sys.modules[name] is not module for name, module in before.items())
    fresh = sys.modules["mlp"]
    assert fresh.sigmoid(np.zeros(1))[0] == 0.5
    assert fresh.diagnose is sys.modules["diagnosis"].diagnose  # none keeps an older one
    assert "left_behind" not in live_runner.PAGE and "zoo" not in sys.modules
    assert live_runner.run("example", "import mlp\nassert mlp.sigmoid(0.0) == 0.5") == "done"


def test_runner_shows_a_blocks_frames_and_figures(capsys, monkeypatch):
    """An example whose last line is frames (common.Frames of (PNG bytes, alt, message), as the lab's
    playground returns them) says "frames"; next_frame gives them one at a time with the alt's first
    sentence (what the status says at the end), then None. A figure drawn with pyplot is shown too,
    with an alt text made of its title and axis labels, and closed. An example without pictures, or
    whose last value is a plain generator, says "done" (Jupyter too would not show it); Frames of
    anything else are an error that says what a frame is; Stop (close_frames) runs the frames'
    `finally`. Catches a block whose figure never reaches the page, frames computed all at once (no
    Stop between them), and frames left open."""
    import matplotlib.pyplot as plt
    monkeypatch.setattr(live_runner, "PAGE", {"__name__": "__main__"})
    assert live_runner.run("example", "x = 6 * 7\nx") == "done" and live_runner.next_frame() is None
    code = ("import experiments\n"
            "experiments.playground(epochs=3, n=20, frames=2)  # the last line's value")
    assert live_runner.run("example", code) == "frames"
    frames = iter(live_runner.next_frame, None)
    shown = [(png[:8], summary, message) for png, alt, summary, message in frames]
    assert shown[0][0] == b"\x89PNG\r\n\x1a\n" and len(shown) == 3, shown
    assert shown[-1][1] == ("A relu [2, 16, 1] network learning two moons at lr 4, after 3 of 3 epochs: "
                            + shown[-1][1].split(": ", 1)[1]) and shown[-1][1].endswith(" %.")
    assert [message for *_, message in shown] == [None] * 3
    code = ("import matplotlib.pyplot as plt\n"
            "plt.plot([1, 2], [3, 1])\nplt.title('a falling line')\nplt.xlabel('epoch')\nplt.ylabel('loss')")
    assert live_runner.run("example", code) == "frames"
    png, alt, _, _ = live_runner.next_frame()
    assert png.startswith(b"\x89PNG") and alt == "A figure. It shows a falling line (loss against epoch)."
    assert live_runner.next_frame() is None and plt.get_fignums() == []
    assert live_runner.run("example", "(n for n in range(3))") == "done"  # not frames: left alone
    assert live_runner.run("example", "import common\ncommon.Frames(n for n in range(3))") == "frames"
    assert live_runner.next_frame() == "error"
    assert "a block shows frames as (PNG bytes, alt text, message or None)" in capsys.readouterr().err
    code = ("import common, experiments\nclosed = []\n"
            "def frames():\n    try:\n        yield from experiments.playground(epochs=3, n=20, frames=2)\n"
            "    finally:\n        closed.append(True)\ncommon.Frames(frames())")
    assert live_runner.run("example", code) == "frames" and live_runner.next_frame()[3] is None
    live_runner.close_frames()
    assert live_runner.PAGE["closed"] == [True] and live_runner.next_frame() is None


def test_runner_knows_which_blocks_draw():
    """draws(code): a block that imports matplotlib or a file of the lab (tools/live_files.FIGURE_FILES,
    which the page loads only for such a block) draws; the lesson's blocks (numpy, mlp, diagnosis, a
    syntax error) do not. Catches a lab file added to FIGURE_FILES that the page would not load first
    (its import would fail), and a lesson's block that would load matplotlib for nothing."""
    lab = {Path(name).stem for name in live_files.FIGURE_FILES}
    assert lab | {"matplotlib"} <= set(live_runner.DRAWS), live_runner.DRAWS
    for name in [*lab, "matplotlib.pyplot"]:
        assert live_runner.draws(f"import numpy as np\nimport {name}\n"), name
    assert live_runner.draws("from matplotlib import pyplot as plt")
    assert live_runner.draws("def f():\n    from experiments import playground")
    for code in ("import numpy as np\nimport mlp, diagnosis", "from . import experiments", "import (",
                 "print('import experiments')"):
        assert not live_runner.draws(code), code


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


def timed_run(page, block, timeout=60000) -> tuple[str, str, float]:
    """Click Run and wait for the run's end, timed by the page's own clock from the click to the
    status that ends the run; (status, output, seconds)."""
    block.evaluate("""(b) => {
        const run = b.querySelector('.live-run'), status = b.querySelector('.live-status');
        const timing = b.liveTiming = {};
        run.addEventListener('click', () => { timing.start = performance.now(); },
                             { once: true, capture: true });
        const observer = new MutationObserver(() => {
            if (timing.start === undefined || run.disabled || !/ s\\)$/.test(status.textContent)) return;
            timing.seconds = (performance.now() - timing.start) / 1000;
            observer.disconnect();
        });
        observer.observe(b, { subtree: true, childList: true, characterData: true, attributes: true });
    }""")
    block.locator("button.live-run").click()
    page.wait_for_function("(b) => b.liveTiming.seconds !== undefined", arg=block.element_handle(),
                           timeout=timeout)
    return (block.locator(".live-status").inner_text(), block.locator(".live-output").text_content(),
            block.evaluate("(b) => b.liveTiming.seconds"))


def leave(page) -> None:
    """Mark the page's content as the one being left: arrive() waits for another."""
    page.evaluate("document.querySelector('article').dataset.left = 'yes'")


def arrive(page, text: str):
    """Wait until the content of the page left (leave()) has been replaced (after a link, Material
    changes the address first, then swaps the content in) by one that shows a live block whose code
    holds `text`; return that block."""
    page.wait_for_function("""(text) => !document.querySelector('article[data-left]')
        && [...document.querySelectorAll('.live-code')].some(
            (b) => b.querySelector('pre > code').textContent.includes(text))""", arg=text, timeout=30000)
    return live_block(page, text)


def follow_nav(page, title: str, text: str):
    """Click the navigation's link to the page `title`, as a reader does; return that page's live
    block holding `text`."""
    leave(page)
    page.locator("nav.md-nav--primary a.md-nav__link", has_text=title).first.click()
    return arrive(page, text)


def step_block(page, n: int):
    """The block of step (n) of the backprop page."""
    return page.locator(".live-code").nth(page.evaluate("""(n) =>
        [...document.querySelectorAll('.live-code')].findIndex(
            (b) => b.querySelector('.filename')?.textContent.endsWith(`step (${n})`))""", n))


def kept(block) -> dict:
    """What a block shows of a kept edit: its code, and its note (None when hidden)."""
    return block.evaluate("""(b) => { const note = b.querySelector('.live-note');
        return { code: b.querySelector('pre > code').textContent.replace(/\\n$/, ''),
                 note: note && !note.hidden ? note.textContent : null,
                 use: !!(note && !note.hidden && note.querySelector('button')) }; }""")


# After two frames, the IntersectionObserver has reported on every block it watches.
TWO_FRAMES = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
# What the session holds: whose backward_two_layer, and whether this probe ran before in the same
# page namespace.
PROBE = ("import inspect\nimport mlp\n"
         "print(inspect.unwrap(mlp.backward_two_layer).__code__.co_filename, 'probed' in globals())\n"
         "probed = True")
# The site rebuilt with another text of step (5): its comment changed, in every block that shows it.
STEP5_COMMENT = '<span class="c1"># (5) '
STEP5_REBUILT = '<span class="c1"># (5) [rebuilt] '
# A browser whose storage is full: every write refused, as a full quota or some private windows do.
STORAGE_FULL = """Storage.prototype.setItem = function () {
    throw new DOMException('The quota has been exceeded.', 'QuotaExceededError'); };"""


def recorded_context(browser, seen: dict, viewport: str = "desktop"):
    """A new browser context (cold: its own cache) that lets only 127.0.0.1 and file:// through,
    recording every request in seen["requests"] and every other address in seen["off_site"]."""
    context = browser.new_context(viewport=test_site.VIEWPORTS[viewport])

    def local_only(route):
        url = urlsplit(route.request.url)
        if url.hostname == "127.0.0.1" or url.scheme == "file":
            route.continue_()
        else:
            seen["off_site"].append(route.request.url)
            route.abort()

    context.route("**/*", local_only)
    context.on("request", lambda request: seen["requests"].append(request.url))
    return context


def recorded_page(context, seen: dict):
    """A new page of `context` whose console errors and uncaught errors go into seen["errors"]."""
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and seen["errors"].append(m.text))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    return page


def visit_live(site: Path, base: str) -> dict:
    """Run the live blocks of the site, served at `base`, in Chromium, as a reader would, recording
    every request (the pages' and the worker's); return what was seen and measured."""
    seen = {"requests": [], "off_site": [], "errors": []}
    with test_site.chromium() as browser:
        context = recorded_context(browser, seen)

        def new_page():
            return recorded_page(context, seen)

        def worker_started() -> bool:
            return any(url.endswith("/worker.mjs") for url in seen["requests"])

        page = new_page()

        # Cold: a fresh browser. Python has not started at the page's load (no block in view),
        # then the check block under step (5) is run.
        page.goto(base + "backprop.html")
        page.evaluate(TWO_FRAMES)
        seen["started_at_load"] = worker_started()
        seen["blocks"] = {"backprop.html": page.locator(".live-code").count(),
                          "backprop.html data-live": page.locator("[data-live]").count()}
        check = live_block(page, "# yours, once run")
        seen["check"] = timed_run(page, check)
        seen["cold"] = seen["check"][2]
        seen["ready"] = page.evaluate("window.liveCodeReady")
        seen["check_page_output"] = page_output_block(page, check)

        # Step (5) edited and run: the check reports dz1 wrong.
        step5 = step_block(page, 5)
        seen["step5_file_text"] = kept(step5)["code"]
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

        # The session holds the edited step (5) and the page's names again; then the reader
        # follows the navigation to the next page, and runs a block there at once.
        replace_code(page, step5, STEP5_BUG)
        run_block(page, step5)
        replace_code(page, example, PROBE)
        run_block(page, example)
        seen["probe_here"] = run_block(page, example)[1]
        example.locator("button.live-reset").click()
        page.evaluate("window.sameWindow = true")
        nav_example = follow_nav(page, "Gradient checking", "def my_backward")
        seen["same_window"] = page.evaluate("window.sameWindow === true")
        seen["nav"] = timed_run(page, nav_example)
        seen["nav_page_output"] = page_output_block(page, nav_example)
        replace_code(page, nav_example, PROBE)
        seen["probe_there"] = run_block(page, nav_example)[1]
        nav_example.locator("button.live-reset").click()

        # Back: the edit of step (5) is there, with its note; nothing was run again, and the
        # check runs the lesson's backward.
        leave(page)
        page.go_back()
        check = arrive(page, "# yours, once run")
        step5 = step_block(page, 5)
        seen["back"] = kept(step5)
        seen["back_statuses"] = page.eval_on_selector_all(
            ".live-status, .live-output", "(all) => all.map((e) => e.textContent).join('')")
        step5.scroll_into_view_if_needed()
        step5.screenshot(path=str(site.parent / "restored-edit.png"))
        seen["back_check"] = run_block(page, check)

        # Practice, reached by the navigation: the planted bug 1, run as planted, then fixed.
        planted = follow_nav(page, "Practice", "f_grad(a1, sigmoid(a1))")
        page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
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
        planted.locator("button.live-reset").click()

        # A reload: the edit of step (5) is back.
        page.goto(base + "backprop.html")
        seen["reload"] = kept(step_block(page, 5))

        # The site rebuilt with another text of step (5): the kept edit is offered, not applied.
        def rebuilt(route):
            html = route.fetch().text()
            seen["rebuilt_blocks"] = html.count(STEP5_COMMENT)
            route.fulfill(body=html.replace(STEP5_COMMENT, STEP5_REBUILT),
                          headers={"content-type": "text/html"})

        page.route("**/backprop.html", rebuilt)
        page.reload()
        step5 = step_block(page, 5)
        seen["rebuilt"] = kept(step5)
        step5.locator(".live-note button").click()
        seen["rebuilt_used"] = kept(step5)
        page.unroute("**/backprop.html")

        # Reset, and a reload: the file's text.
        page.reload()
        step5 = step_block(page, 5)
        step5.locator("button.live-reset").click()
        seen["reset"] = kept(step5)
        page.reload()
        seen["reset_reload"] = kept(step_block(page, 5))
        page.close()

        # A new tab, where the browser refuses to store (full): one note says so. The first block
        # comes into view: Python starts loading. A Run clicked at once waits for it; the reader
        # follows a link before Python is ready: that run is dropped, and the load goes on (one
        # worker). Once Python is ready (the reader's "10 s of reading"), a Run on the new page.
        page = new_page()
        page.add_init_script(STORAGE_FULL)
        requests_before = len(seen["requests"])
        page.goto(base + "training.html")
        page.evaluate(TWO_FRAMES)
        seen["storage_notes"] = page.locator(".live-storage-note").all_inner_texts()
        first = page.locator(".live-code").first
        start = time.monotonic()
        first.scroll_into_view_if_needed()
        first.locator("button.live-run").click()
        seen["waiting"] = first.locator(".live-status").inner_text()
        first = follow_nav(page, "Ten classes", "def softmax(")
        seen["storage_notes_next"] = page.locator(".live-storage-note").all_inner_texts()
        page.wait_for_function("window.liveCodeReady", timeout=60000)
        seen["ready_after_view"] = time.monotonic() - start
        seen["in_view"] = timed_run(page, first)
        replace_code(page, first, "print(6 * 7)")
        seen["storage_full_run"] = run_block(page, first)
        seen["storage_notes_after"] = page.locator(".live-storage-note").all_inner_texts()
        seen["workers_in_tab"] = sum(url.endswith("/worker.mjs")
                                     for url in seen["requests"][requests_before:])
        page.close()

        # Opened as a file: no Python, and each block says how to serve the site; the navigation
        # loads whole pages, which say so too.
        page = new_page()
        page.goto((site / "backprop.html").as_uri())
        seen["file"] = {"live": page.locator(".live-code").count(),
                        "notes": page.locator(".live-unavailable").all_inner_texts()}
        page.locator("nav.md-nav--primary a.md-nav__link", has_text="Gradient checking").first.click()
        page.wait_for_url("**/gradient-check.html")
        page.wait_for_load_state("load")
        seen["file_next"] = {"url": page.url, "live": page.locator(".live-code").count(),
                             "notes": page.locator(".live-unavailable").count()}
    return seen


@pytest.fixture(scope="session")
def live_site(tmp_path_factory):
    """The site built for the address that it is served at (SITE_URL: Material's instant navigation
    follows only the links of its sitemap), and served there: (its folder, that address)."""
    site = tmp_path_factory.mktemp("live") / "site"
    site.mkdir()
    with test_site.serve(site) as base:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("SITE_URL", base)
            result = test_site.build_site(test_site.ROOT, site)
        assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr}"
        yield site, base


@pytest.fixture(scope="session")
def live_visit(live_site):
    """The site visited in Chromium (visit_live)."""
    site, base = live_site
    start = time.monotonic()
    seen = visit_live(site, base)
    print(f"live visit: {time.monotonic() - start:.1f} s; in the worker {seen['ready']}; blocks per "
          f"page {seen['blocks']}\nfirst Run, cold: {seen['cold']:.2f} s; a Run after following a "
          f"link: {seen['nav'][2]:.2f} s; a Run once the first block has been in view (Python ready "
          f"{seen['ready_after_view']:.1f} s after): {seen['in_view'][2]:.2f} s")
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


# The pages whose every example is run in Chromium, in page order, by test_examples_print_in_the_page.
EXAMPLE_PAGES = ("forward.md", "gradient-check.md", "training.md", "practice.md")


def run_examples_in_browser(site: Path) -> dict:
    """Open each page of EXAMPLE_PAGES in Chromium (network cut off but for 127.0.0.1), open its folded
    blocks, and Run each of its examples in page order, as a reader who goes down the page would:
    {page: [(line in the Markdown, status, output, the Output the page shows or None)]}. (Not the
    blocks that draw, which print nothing: visit_figures runs those.)"""
    ran = {}
    with test_site.serve(site) as base, test_site.chromium() as browser:
        context = browser.new_context(viewport=test_site.VIEWPORTS["desktop"])
        context.route("**/*", lambda route: route.continue_() if urlsplit(route.request.url).hostname
                      == "127.0.0.1" else route.abort())
        for name in EXAMPLE_PAGES:
            page = context.new_page()
            page.goto(base + name.replace(".md", ".html"))
            page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
            blocks = page.locator('.live-code:has(div.highlight[data-live="example"])')
            found = test_site.examples(test_site.DOCS / name)
            assert blocks.count() == len(found), (name, blocks.count(), len(found))
            ran[name] = [(line, *run_block(page, blocks.nth(i), timeout=120000)[:2], expected)
                         for i, (line, _, expected) in enumerate(found)
                         if not blocks.nth(i).locator("[data-figure]").count()]
            page.close()
    return ran


@pytest.mark.browser
def test_examples_print_in_the_page_what_the_page_shows(built_site):
    """Every example of EXAMPLE_PAGES (the forward pass run on a batch, the short check, the training
    loop, the practice page's blocks with the learner's formula or prediction, ...), Run in the page in
    page order, finishes without an error and prints exactly the Output the page shows under it (or in
    its folded solution), as test_site checks in CPython: the browser's Python and numpy (Pyodide,
    32-bit integers, no floating-point flags) give the page the same words and digits. Catches an
    example that fails or prints otherwise in the page, and a page whose examples the build did not
    make live, in order."""
    ran = run_examples_in_browser(built_site)
    problems = []
    for name, runs in ran.items():
        for line, status, output, expected in runs:
            if not status.startswith("Done"):
                problems.append(f"{name}:{line}: {status}\n{output}")
            elif expected is not None and output != expected:
                problems.append(f"{name}:{line}: printed\n{output}\nbut the page shows\n{expected}")
    assert not problems, "\n".join(problems)
    assert sum(expected is not None for runs in ran.values() for *_, expected in runs) >= 20


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
    run: each says how to serve the site instead. A link of the navigation loads the next page as a
    file (instant navigation is off there), whose blocks say the same."""
    assert live_visit["file"]["live"] == 0
    notes = live_visit["file"]["notes"]
    assert len(notes) == live_visit["blocks"]["backprop.html"], notes
    assert all("mkdocs serve" in n and "python -m http.server -d site" in n for n in notes), notes[:1]
    after = live_visit["file_next"]
    assert after["url"].startswith("file://") and after["live"] == 0 and after["notes"] >= 3, after


# The targets, as ratios to its cold start (5.0 s): a Run after following a link in 0.5 s, a
# Run once the page's first block has been in view (10 s of reading) in 1 s.
AFTER_LINK = 0.5 / 5.0
AFTER_READING = 1.0 / 5.0


@pytest.mark.browser
def test_python_stays_warm_between_pages(live_visit):
    """Python is not started at a page's load when no block is in view; it starts when one comes
    into view. After a first Run, following a link keeps the window (instant navigation) and its
    Python: a Run on the next page gives the page's Output within AFTER_LINK of the cold Run's time.
    On a new tab, once a block has been in view and Python says it is ready, a Run takes at most
    AFTER_READING of the cold Run's time. Catches a page that starts Python at load, a navigation
    that reloads the window (Python cold again), a script not set up through document$ (no Run on the
    next page), and a preload that does not happen."""
    assert not live_visit["started_at_load"], "Python started at the load of a page with no block in view"
    assert live_visit["same_window"], "following a link reloaded the window"
    status, output, seconds = live_visit["nav"]
    assert status.startswith("Done") and output == live_visit["nav_page_output"], (status, output)
    cold = live_visit["cold"]
    assert seconds <= AFTER_LINK * cold, f"a Run after a link took {seconds:.2f} s, cold {cold:.2f} s"
    status, _, seconds = live_visit["in_view"]
    assert "now runs this code" in status, status
    assert seconds <= AFTER_READING * cold, f"a Run once ready took {seconds:.2f} s, cold {cold:.2f} s"


@pytest.mark.browser
def test_leaving_a_page_while_python_loads_keeps_the_load(live_visit):
    """A Run clicked while Python loads waits for it; when the reader follows a link before Python is
    ready, that Run is dropped but the load goes on: one worker for the tab, and the new page runs
    once it is ready (test_python_stays_warm_between_pages times that Run)."""
    assert live_visit["waiting"].startswith("Starting Python"), live_visit["waiting"]
    assert live_visit["workers_in_tab"] == 1, live_visit["workers_in_tab"]


@pytest.mark.browser
def test_a_new_page_runs_against_the_lesson(live_visit):
    """On the backprop page, after step (5) was edited and run, the session runs the edited
    backward_two_layer and keeps the names of the page's runs (a probe run twice finds its own
    name); after a link to the next page, a block there runs the lesson's mlp.py in a fresh
    namespace (the probe's name is gone), while Python itself was not restarted (the Run was warm:
    test_python_stays_warm_between_pages)."""
    here = live_visit["probe_here"].strip()
    assert "with your edit" in here and here.endswith(" True"), here
    there = live_visit["probe_there"].strip()
    assert there.endswith("mlp.py False") and "edit" not in there, there


@pytest.mark.browser
def test_an_edit_survives_a_return_and_a_reload(live_visit):
    """The edit of step (5) is there after following a link away and coming back, and after a
    reload, with the note that it is the reader's own; nothing was run again on return (no status,
    no output), and the check runs the lesson's backward (every tensor correct) until the edited step
    is run."""
    for when in ("back", "reload"):
        shown = live_visit[when]
        assert shown["code"] == STEP5_BUG and "Your edit" in (shown["note"] or ""), (when, shown)
    assert live_visit["back_statuses"] == "", live_visit["back_statuses"]
    status, output, _ = live_visit["back_check"]
    assert status.startswith("Done") and set(verdicts(output).values()) == {"correct"}, output


@pytest.mark.browser
def test_an_edit_for_an_older_text_is_offered_not_applied(live_visit):
    """When the site's text of step (5) has changed since the edit was kept (the site rebuilt), the
    block shows the new text, and a note offers the old edit with a button; the button puts it in."""
    assert live_visit["rebuilt_blocks"] >= 1  # the rebuilt page did change step (5)
    shown = live_visit["rebuilt"]
    assert "[rebuilt]" in shown["code"] and STEP5_BUG not in shown["code"], shown
    assert "changed" in shown["note"] and shown["use"], shown
    assert live_visit["rebuilt_used"]["code"] == STEP5_BUG, live_visit["rebuilt_used"]


@pytest.mark.browser
def test_reset_forgets_the_edit(live_visit):
    """Reset puts back the file's text and forgets the kept edit: a reload shows the file's text,
    with no note."""
    file_text = live_visit["step5_file_text"]
    assert "f_grad(z1, a1)" in file_text, file_text
    for when in ("reset", "reset_reload"):
        assert live_visit[when] == {"code": file_text, "note": None, "use": False}, (when, live_visit[when])


@pytest.mark.browser
def test_refused_storage_is_said_once_and_the_page_works(live_visit):
    """Where the browser refuses to store (a full quota), each page says once, before its first
    block, that edits will not be kept; an edited block still runs, and nothing logs an error."""
    assert len(live_visit["storage_notes"]) == 1, live_visit["storage_notes"]
    assert "not let the page keep your edits" in live_visit["storage_notes"][0]
    for when in ("storage_notes_next", "storage_notes_after"):
        assert live_visit[when] == live_visit["storage_notes"], (when, live_visit[when])
    status, output, _ = live_visit["storage_full_run"]
    assert status.startswith("Done") and output == "42\n", (status, output)


# --- figures in the page (issue 23) -------------------------------------------------------------------

# Records, on a live block or the playground, each frame its image shows (a new picture: its src),
# when (seconds from the click on Run, by the page's clock) and whether the run was still going, and
# the run's end: its status, printed output, time.
FRAMES_JS = """(el) => {
    const run = el.querySelector('.live-run'), status = el.querySelector('.live-status');
    const seen = el.liveFrames = { frames: [] };
    run.addEventListener('click', () => { seen.start = performance.now(); }, { once: true, capture: true });
    const observer = new MutationObserver(() => {
        if (seen.start === undefined) return;
        const img = el.querySelector('.live-output img');
        if (img && img.src !== seen.frames.at(-1)?.src) {
            seen.frames.push({ t: (performance.now() - seen.start) / 1000, src: img.src, alt: img.alt,
                               running: run.disabled });
        }
        if (!run.disabled && / s\\)$/.test(status.textContent)) {
            Object.assign(seen, { end: (performance.now() - seen.start) / 1000, status: status.textContent,
                                  output: el.querySelector('.live-output').textContent });
            observer.disconnect();
        }
    });
    observer.observe(el, { subtree: true, childList: true, attributes: true, characterData: true });
}"""
# The files that only figures need: none may be fetched by a page without a block that draws.
FIGURE_REQUESTS = {*live_files.FIGURES, live_files.FIGURE_LIST, *live_files.FIGURE_FILES}
# What the issue asks of figures, as ratios to the cold start: the first Run of a page in a fresh tab
# (Python, numpy and a first result), measured on the same visit just before the cold figure. On
# these machines that took 3.8 s when the figures' targets were set (/work/shared/DOCS-TOOLCHAIN.md,
# "cold load to first result"): the first figure 8 s after a cold load, 3 s once Python is warm (and
# the block has been in view while the reader reads), and at least 4 frames a second while training
# [2, 16, 1] on 200 moons points (a frame every 0.25 s).
COLD_START = 3.8
COLD_FIGURE = 8.0 / COLD_START
WARM_FIGURE = 3.0 / COLD_START
FRAME_INTERVAL = 0.25 / COLD_START
SCREENSHOTS = ("playground-mid-run-1280.png", "playground-mid-run-390.png",
               "broken-step-5-trained-1280.png", "broken-step-5-trained-390.png")


def start_frames(el) -> None:
    """Record el's frames from its next Run (FRAMES_JS)."""
    el.evaluate(FRAMES_JS)


def frames_seen(page, el, at_least: int = 0, end: bool = True, timeout: int = 120000) -> dict:
    """What FRAMES_JS recorded, once el has shown `at_least` frames, and ended its run if `end`."""
    page.wait_for_function("([el, n, end]) => el.liveFrames.frames.length >= n "
                           "&& (!end || el.liveFrames.end !== undefined)",
                           arg=[el.element_handle(), at_least, end], timeout=timeout)
    return el.evaluate("(el) => el.liveFrames")


def visit_figures(site: Path, base: str) -> dict:
    """Figures in Chromium, as a reader meets them. A fresh tab: a page without a block that draws
    (forward), whose first Run is the cold start. At once another fresh tab: the backprop page, where
    the block that trains your backward gives the first figure after a cold load; Stop keeps it. Back
    in the first tab: the training page, by a link (Python warm), its playground in view until
    matplotlib is loaded, then Run (the first figure once warm, and frames a second), Run and Stop, the
    controls and the keyboard, a diverging run, 320 px. In the second tab: step (5) broken, and the
    block run again. Returns what was seen and measured."""
    seen = {"requests": [], "off_site": [], "errors": []}
    with test_site.chromium() as browser:
        page = recorded_page(recorded_context(browser, seen), seen)
        page.goto(base + "forward.html")
        seen["cold"] = timed_run(page, page.locator(".live-code").first)[2]
        for i in range(page.locator(".live-code").count()):  # every block of the page in view
            page.locator(".live-code").nth(i).scroll_into_view_if_needed()
            page.evaluate(TWO_FRAMES)
        seen["no_figures"] = list(seen["requests"])

        # Cold, on the backprop page, at once (the machine as busy as for the cold start); its
        # requests apart from the first tab's.
        apart = {**seen, "requests": []}
        cold = recorded_page(recorded_context(browser, apart), apart)
        cold.goto(base + "backprop.html")
        trained = live_block(cold, "experiments.trained_with(")
        trained.scroll_into_view_if_needed()
        start_frames(trained)
        trained.locator("button.live-run").click()
        seen["cold_figure"] = frames_seen(cold, trained, at_least=1, end=False)
        trained.locator("button.live-stop").click()
        seen["trained_stopped"] = frames_seen(cold, trained)
        seen["cold_steps"] = cold.evaluate("[window.liveCodeReady, window.liveFiguresReady]")

        # The training page, by a link: Python is warm. The playground in view: matplotlib loads,
        # while the reader reads; nothing moves until Run.
        leave(page)
        link = page.locator("nav.md-nav--primary a.md-nav__link", has_text="Training and experiments")
        link.first.click()
        arrive(page, "experiments.playground(")
        playground = page.locator(".live-playground")
        playground.scroll_into_view_if_needed()
        page.wait_for_function("window.liveFiguresReady", timeout=120000)
        seen["preload"] = page.evaluate("window.liveFiguresReady")
        seen["images_before_run"] = playground.locator("img").count()
        seen["controls"] = playground.evaluate("""(p) => [...p.querySelectorAll('input, select')].map(
            (c) => ({ name: c.name, label: c.labels[0]?.textContent, value: c.value,
                      width: c.getBoundingClientRect().width,
                      height: c.getBoundingClientRect().height }))""")
        seen["buttons"] = playground.evaluate("""(p) => [...p.querySelectorAll('.live-bar button')].map(
            (b) => ({ label: b.textContent, width: b.getBoundingClientRect().width,
                      height: b.getBoundingClientRect().height }))""")
        seen["status_live"] = playground.evaluate("""(p) => { const s = p.querySelector('.live-status');
            return s.getAttribute('role') || s.getAttribute('aria-live'); }""")
        start_frames(playground)
        playground.locator("button.live-run").click()
        frames_seen(page, playground, at_least=6, end=False)
        playground.screenshot(path=str(site.parent / SCREENSHOTS[0]))
        seen["warm"] = frames_seen(page, playground)

        # Run, then Stop after a few frames (at 390 px); the worker is idle once a later run has
        # gone through it (runs go one at a time), and the image is then as Stop left it.
        page.set_viewport_size(test_site.VIEWPORTS["phone"])
        start_frames(playground)
        playground.locator("button.live-run").click()
        frames_seen(page, playground, at_least=4, end=False)
        playground.screenshot(path=str(site.parent / SCREENSHOTS[1]))
        playground.locator("button.live-stop").click()
        seen["stopped"] = frames_seen(page, playground)
        other = page.locator(".live-code").first
        replace_code(page, other, "print(6 * 7)")
        seen["after_stop_run"] = run_block(page, other)[:2]
        seen["after_stop_image"] = playground.locator(".live-output img").evaluate(
            "(img) => ({ src: img.src, alt: img.alt })")
        seen["workers"] = sum(url.endswith("/worker.mjs") for url in seen["requests"])

        # The controls write the code, the code moves the controls; the keyboard alone runs it.
        page.set_viewport_size(test_site.VIEWPORTS["desktop"])
        playground.locator("select[name=data]").select_option("xor")
        playground.locator("input[name=epochs]").fill("40")
        code = playground.locator("pre > code")
        seen["written"] = code.text_content()
        replace_code(page, playground, seen["written"].replace("seed=0", "seed=3"))
        seen["seed_control"] = playground.locator("input[name=seed]").input_value()
        lr = playground.locator("input[name=lr]")
        lr.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # onto lr from the keyboard: its focus is drawn
        seen["focus"] = lr.evaluate("""(c) => ({ focused: document.activeElement === c,
            outline: getComputedStyle(c).outlineStyle, width: getComputedStyle(c).outlineWidth })""")
        page.keyboard.press("Control+A")
        page.keyboard.type("2")
        start_frames(playground)
        page.keyboard.press("Enter")
        seen["keyboard_run"] = frames_seen(page, playground)
        seen["keyboard_code"] = code.text_content()

        # A step far too large: train's message, and the last frame whose loss passed.
        playground.locator("select[name=data]").select_option("moons")
        lr.fill("50")
        start_frames(playground)
        playground.locator("button.live-run").click()
        seen["diverged"] = frames_seen(page, playground)
        seen["diverged_image"] = playground.locator(".live-output img").count()

        # 320 px: the playground stacks, and nothing scrolls sideways.
        page.set_viewport_size({"width": 320, "height": 800})
        seen["narrow"] = page.evaluate("""() => {
            const p = document.querySelector('.live-playground'), box = (s) => p.querySelector(s)
                .getBoundingClientRect();
            return { scroll: document.documentElement.scrollWidth, form: box('.live-controls'),
                     code: box('.highlight'), bar: box('.live-bar'), output: box('.live-output') }; }""")

        # Back in the cold tab: step (5) broken as the check suggests, and the block run again.
        step5 = step_block(cold, 5)
        replace_code(cold, step5, STEP5_BUG)
        run_block(cold, step5)
        start_frames(trained)
        trained.locator("button.live-run").click()
        seen["broken"] = frames_seen(cold, trained)
        trained.screenshot(path=str(site.parent / SCREENSHOTS[2]))
        cold.set_viewport_size(test_site.VIEWPORTS["phone"])
        trained.screenshot(path=str(site.parent / SCREENSHOTS[3]))
    return seen


@pytest.fixture(scope="session")
def figures_visit(live_site):
    """The site's figures visited in Chromium (visit_figures); prints the timings and where the
    screenshots are."""
    site, base = live_site
    start = time.monotonic()
    seen = visit_figures(site, base)
    warm, cold = seen["warm"], seen["cold_figure"]
    times = [frame["t"] for frame in warm["frames"]]
    seen["interval"] = (times[-1] - times[0]) / (len(times) - 1)
    print(f"figures visit: {time.monotonic() - start:.1f} s\ncold start (Python, numpy, a first Run): "
          f"{seen['cold']:.2f} s; first figure after a cold load: {cold['frames'][0]['t']:.2f} s; "
          f"matplotlib loaded in the background in {seen['preload']['seconds']:.2f} s, then the first "
          f"figure in {times[0]:.2f} s; the playground at its defaults: {len(times)} frames, "
          f"{1 / seen['interval']:.1f} a second\nscreenshots: "
          + ", ".join(str(site.parent / name) for name in SCREENSHOTS))
    return seen


@pytest.mark.browser
def test_a_figure_block_shows_its_image_with_alt_text(figures_visit):
    """The block that trains your backward, run in a cold tab, shows its first frame as an image in its
    output, whose alt text says what it shows (the two networks, the moons, both probability fields,
    the losses); Stop then ends it with the frame kept (Python stays). With step (5) broken as the check
    suggests (the slope at the wrong point) and run, the same block trains the reader's function: its
    last frame shows the lesson's run learning the moons and the reader's not. Catches a block whose
    figure never reaches the page, an image without alt text, and a block that trains the lesson's
    backward whatever the reader ran."""
    first = figures_visit["cold_figure"]["frames"][0]
    assert first["src"].startswith("blob:") and first["running"], first
    for words in ("Before the first of 300 epochs", "tanh [2, 16, 1] networks learning two moons",
                  "probability field", "training losses"):
        assert words in first["alt"], (words, first["alt"])
    stopped = figures_visit["trained_stopped"]
    assert stopped["status"].startswith("Stopped: ") and len(stopped["frames"]) < 10, stopped["status"]
    broken = figures_visit["broken"]
    assert broken["status"].startswith("Done: After 300 of 300 epochs"), broken["status"]
    found = test_lab.BOTH_STATE.match(broken["frames"][-1]["alt"])
    assert found, broken["frames"][-1]["alt"]
    lesson_loss, lesson_acc, your_loss, your_acc = (float(found[i]) for i in (3, 4, 6, 7))
    assert lesson_acc >= 95 and your_acc < lesson_acc - 5 and your_loss > 1.5 * lesson_loss, found[0]
    assert len({frame["alt"] for frame in broken["frames"]}) == len(broken["frames"]) > 10


@pytest.mark.browser
def test_the_playground_trains_stops_and_runs_again(figures_visit):
    """Run: the playground's image is redrawn while it trains (each frame a new picture, with its own
    alt text, epoch after epoch), and the run ends saying what the last frame shows. Run again, then
    Stop after a few frames: the run ends at once with the frames kept, the status saying where it
    stopped; the image does not change afterwards (checked once a later run has gone through the
    worker, which runs one thing at a time), and Python was not restarted. The next Run works (the
    keyboard's, below). Nothing moved before Run."""
    assert figures_visit["images_before_run"] == 0
    warm = figures_visit["warm"]
    epochs = [int(re.search(r"after (\d+) of 300 epochs", f["alt"])[1]) for f in warm["frames"][1:]]
    assert epochs == sorted(set(epochs)) and epochs[-1] == 300 and len(epochs) >= 20, epochs
    assert all(frame["running"] for frame in warm["frames"]), warm["frames"]
    assert warm["status"].startswith("Done: A relu [2, 16, 1] network learning two moons at lr 4, after "
                                     "300 of 300 epochs"), warm["status"]
    assert "Left:" not in warm["status"]  # the frame's first sentence, not its whole description
    stopped = figures_visit["stopped"]
    last = stopped["frames"][-1]
    assert 4 <= len(stopped["frames"]) < len(warm["frames"]), len(stopped["frames"])
    assert stopped["status"].startswith("Stopped: A relu") and "of 300 epochs" in stopped["status"]
    assert figures_visit["after_stop_run"] == ("Done", "42\n") or figures_visit["after_stop_run"][1] == "42\n"
    assert figures_visit["after_stop_image"] == {"src": last["src"], "alt": last["alt"]}
    assert figures_visit["workers"] == 1, figures_visit["workers"]


@pytest.mark.browser
def test_the_playground_controls_write_the_code_and_the_keyboard_runs_it(figures_visit):
    """The playground's controls are labelled, named as the issue says, at least 24 x 24 px, and set
    from the code; changing one writes its argument into the code (data="xor", epochs=40), and an edit
    of the code moves the control (seed). From the keyboard: Tab reaches the learning rate with its
    focus drawn, typing writes lr=2 into the code, and Enter runs it: the next run, on XOR for 40
    epochs. The status is announced politely (aria-live or role=status)."""
    controls = {c["name"]: c for c in figures_visit["controls"]}
    assert list(controls) == ["data", "hidden", "activation", "lr", "epochs", "seed"], controls
    assert [c["label"] for c in controls.values()] == ["Data", "Hidden units", "Hidden activation",
                                                       "Learning rate", "Epochs", "Seed"]
    assert [c["value"] for c in controls.values()] == ["moons", "16", "relu", "4.0", "300", "0"]
    sizes = [(c["name"], c["width"], c["height"]) for c in figures_visit["controls"]] + [
        (b["label"], b["width"], b["height"]) for b in figures_visit["buttons"]]
    assert all(w >= 24 and h >= 24 for _, w, h in sizes), sizes
    assert [b["label"] for b in figures_visit["buttons"]][:3] == ["Run", "Stop", "Reset"]
    assert figures_visit["status_live"] in ("polite", "status"), figures_visit["status_live"]
    written = figures_visit["written"]
    assert 'data="xor"' in written and "epochs=40" in written and "seed=0" in written, written
    assert figures_visit["seed_control"] == "3"
    focus = figures_visit["focus"]
    assert focus["focused"] and focus["outline"] != "none" and focus["width"] != "0px", focus
    assert "lr=2," in figures_visit["keyboard_code"], figures_visit["keyboard_code"]
    run = figures_visit["keyboard_run"]
    assert run["status"].startswith("Done: A relu [2, 16, 1] network learning XOR at lr 2, after 40 of 40"), \
        run["status"]


@pytest.mark.browser
def test_a_diverging_playground_run_keeps_its_last_good_frame(figures_visit):
    """lr 50 on the moons (40 epochs) diverges at once: the run ends with train's message in the status
    and under the image, which shows the last frame whose loss passed (its alt says so: an epoch before
    the one that diverged)."""
    diverged = figures_visit["diverged"]
    message = re.search(r"training diverged in epoch (\d+) with lr=50: .*: try a smaller learning rate",
                        diverged["output"])
    assert message and diverged["status"].startswith(message[0]), diverged
    assert figures_visit["diverged_image"] == 1 and diverged["frames"], diverged
    shown = re.search(r"after (\d+) of 40 epochs", diverged["frames"][-1]["alt"])
    assert shown and int(shown[1]) < int(message[1]), diverged["frames"][-1]["alt"]


@pytest.mark.browser
def test_a_page_without_figures_fetches_none_of_their_files(figures_visit):
    """A page without a block that draws (forward), run and scrolled through, fetched none of the files
    that only figures need (matplotlib's wheels, its font list and bytecode, the lab's files); the
    training page, whose playground came into view, fetched every one (the other side), and nothing
    left the host or logged an error."""
    def fetched(requests):
        return {Path(urlsplit(url).path).name for url in requests} & FIGURE_REQUESTS
    assert fetched(figures_visit["no_figures"]) == set()
    assert fetched(figures_visit["requests"]) == FIGURE_REQUESTS
    assert not figures_visit["off_site"] and not figures_visit["errors"], figures_visit


@pytest.mark.browser
def test_the_playground_stacks_at_320_px(figures_visit):
    """At 320 px the page does not scroll sideways, and the playground is one column: its controls, then
    the code, then Run and the frames, each as wide as the column."""
    narrow = figures_visit["narrow"]
    assert narrow["scroll"] <= 320, narrow
    form, code, bar, output = (narrow[k] for k in ("form", "code", "bar", "output"))
    assert form["bottom"] <= code["top"] <= code["bottom"] <= bar["top"] <= output["top"], narrow
    assert abs(form["width"] - code["width"]) < 2 and code["right"] <= 320, narrow


@pytest.mark.browser
def test_figures_meet_their_budget(figures_visit):
    """Measured on this visit, against its own cold start (Python, numpy and a first Run in a fresh
    tab): the first figure after a cold load within COLD_FIGURE of it (8 s to 3.8 s), the first figure
    once Python is warm and the block has been in view within WARM_FIGURE (3 s to 3.8 s), and a frame
    of the playground at its defaults ([2, 16, 1] on 200 moons points) every FRAME_INTERVAL (4 frames a
    second at 3.8 s). The visit prints the seconds. Catches matplotlib loaded late or twice, a preload
    that does not happen, and frames slowed down (a figure laid out anew each frame, a larger PNG)."""
    cold = figures_visit["cold"]
    first = figures_visit["cold_figure"]["frames"][0]["t"]
    assert first <= COLD_FIGURE * cold, f"first figure {first:.2f} s after a cold load, cold {cold:.2f} s"
    warm = figures_visit["warm"]["frames"][0]["t"]
    assert warm <= WARM_FIGURE * cold, f"first figure {warm:.2f} s once warm, cold start {cold:.2f} s"
    interval = figures_visit["interval"]
    assert interval <= FRAME_INTERVAL * cold, f"a frame every {interval:.3f} s, cold start {cold:.2f} s"


# --- the lesson's tests inside Pyodide, under Node -----------------------------------------------------

NODE = shutil.which("node")
PYODIDE_TEST_FILES = ("test_mlp.py", "test_checks.py")  # the lesson's tests and the door's
PYODIDE_LAB_TESTS = (  # and the lab's figures, drawn as the page draws them
    "test_lab.py::test_playground_frames_change_and_the_loss_falls",
    "test_lab.py::test_playground_diverging_run_ends_with_the_message_and_the_last_good_frame",
    "test_lab.py::test_trained_with_the_lessons_backward_learns_the_moons_and_the_slip_does_not",
    "test_lab.py::test_trained_with_a_diverging_backward_ends_with_the_message_and_mlp_backward_back",
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

"""Tests of the documentation site: the build, its hooks, the examples, and the pages in a browser.

Every test says which mistake it would catch. The examples test runs every Python example of README.md
and of the site's pages and compares what it prints with the output the page shows under it.
"""

import contextlib
import functools
import html
import http.server
import inspect
import io
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

import datasets
import mlp

# The documentation site: mkdocs.yml, docs/ and docs/hooks.py. The browser test is marked `browser`;
# it drives Debian's /usr/bin/chromium through Playwright and is skipped when either is missing,
# unless CI is set, where it fails instead.
# ====================================================================================================

ROOT = Path(__file__).resolve().parent
DOCS = ROOT / "docs"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
# What the site needs besides mkdocs.yml and docs/: the files that pages quote or show (the top-level
# .py and .md files, the figures, tools/ that the hook calls, the LICENSE that notebooks carry, and
# the theme's overrides).
SITE_INPUTS = ("*.py", "*.md", "visualizations", "tools", "data", "LICENSE", "overrides")
# A page line that quotes a named region: --8<-- "mlp.py:backward"
QUOTED_REGION = re.compile(
    r'^[ \t]*-+8<-+[ \t]+"(?P<path>[^":\n]+):(?P<region>[A-Za-z][-_0-9A-Za-z]*)"', re.MULTILINE)


def build_site(project: Path, site_dir: Path) -> subprocess.CompletedProcess:
    """`mkdocs build --strict -f project/mkdocs.yml` into `site_dir`, run from another folder: the hook
    must resolve every quoted path from the project, not from wherever mkdocs happens to be started."""
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(project / "mkdocs.yml"),
         "--site-dir", str(site_dir)],
        cwd=site_dir.parent, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True, text=True, timeout=120,
    )


def one_page_project(dest: Path, page: str, text: str) -> Path:
    """The site's project copied into `dest` with one page: mkdocs.yml with its nav cut to `page`,
    docs/hooks.py and docs/assets/, the files that pages quote or show (SITE_INPUTS), and docs/`page`
    holding only `text`. It has the site's configuration and hooks, and builds in a fraction of the
    time of all the pages; test_figures_are_published shows that it builds cleanly, so a build of it
    that fails, fails for what a test plants."""
    dest.mkdir()
    config, cuts = re.subn(r"(?m)^nav:\n(?:[ \t]+- .*\n)+", f"nav:\n  - Probe: {page}\n",
                           (ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    assert cuts == 1, "mkdocs.yml has no `nav:` list of pages to cut"
    (dest / "mkdocs.yml").write_text(config, encoding="utf-8")
    (dest / "docs").mkdir()
    shutil.copy2(DOCS / "hooks.py", dest / "docs")
    shutil.copytree(DOCS / "assets", dest / "docs" / "assets")
    (dest / "docs" / page).write_text(f"# Probe\n\n{text}\n", encoding="utf-8")
    for pattern in SITE_INPUTS:
        for source in ROOT.glob(pattern):
            if source.is_dir():
                shutil.copytree(source, dest / source.name)
            elif source.is_file():
                shutil.copy2(source, dest)
    return dest


def assert_build_fails(project: Path, site_dir: Path, *expected: str) -> None:
    result = build_site(project, site_dir)
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"the build should have failed:\n{output}"
    for text in expected:
        assert text in output, f"the build log does not name {text!r}:\n{output}"


# --- the build --------------------------------------------------------------------------------

def test_docs_build_strict(built_site):
    """The README's `mkdocs build --strict` passes: no missing page, figure, anchor or quoted region."""
    assert (built_site / "index.html").is_file()


def code_text(block: str) -> str:
    """The text of a highlighted block's code (the line numbers' column left out)."""
    return html.unescape(re.sub(r"<[^>]+>", "", block.split("<code>")[-1])).rstrip("\n")


def test_quoted_code_carries_its_real_line_numbers(built_site):
    """A block that quotes a region of a file (mlp.py, datasets.py, experiments.py) is numbered with that
    file's own line numbers, so a reader can find each line in the file: every numbered line must be that
    line of the file (a hook that numbered from the marker line, or from 1, fails here)."""
    checked = set()
    for page in sorted(built_site.glob("*.html")):
        pattern = r'<span class="filename">([\w./-]+\.py)</span>(.*?)</table>'
        for name, block in re.findall(pattern, page.read_text(encoding="utf-8"), re.S):
            source = (ROOT / name).read_text(encoding="utf-8").splitlines()
            first = int(re.search(r'id="__span-\d+-(\d+)"', block)[1])
            lines = code_text(block).strip("\n").split("\n")
            assert lines == source[first - 1:first - 1 + len(lines)], (page.name, name, first)
            checked.add((page.name, name, first))
    assert len(checked) >= 12, f"only {len(checked)} quoted blocks found: the pattern no longer matches"
    assert {name for _, name, _ in checked} >= {"mlp.py", "datasets.py", "zoo.py"}, checked


def test_api_page_shows_every_public_docstring(built_site):
    """The API reference is generated from the code: every name in mlp.__all__ and every public function
    of datasets.py is there, and so is the first line of its docstring (a hook that dropped the docstrings
    or a module, or a stale page, fails here)."""
    text = html.unescape(re.sub(r"<[^>]+>", "", (built_site / "api.html").read_text(encoding="utf-8")))
    makers = [name for name, f in vars(datasets).items()
              if inspect.isfunction(f) and f.__module__ == "datasets" and not name.startswith("_")]
    assert {"make_xor", "make_moons", "make_circles", "load_digits"} <= set(makers), makers
    for module, names in ((mlp, mlp.__all__), (datasets, makers)):
        for name in names:
            assert f"{name}(" in text, f"{module.__name__}.{name}"
            doc = getattr(module, name).__doc__
            if doc:
                assert doc.strip().splitlines()[0] in text, f"{module.__name__}.{name}"


def test_every_page_carries_the_licence_in_its_footer(built_site):
    """The footer of every built page says the text and figures are CC BY 4.0 and the code MIT (the
    `copyright:` of mkdocs.yml), with a link to the licence list. Catches the line dropped from
    mkdocs.yml, or a theme override whose footer leaves it out."""
    pages = sorted(built_site.glob("*.html"))
    assert len(pages) >= 10, pages
    for page in pages:
        footer = re.search(r'<div class="md-copyright__highlight">(.*?)</div>',
                           page.read_text(encoding="utf-8"), re.S)
        assert footer, page.name
        assert all(s in footer[1] for s in ("CC BY 4.0", "MIT", "teaching.html#licence")), page.name


def test_the_problem_and_the_teacher_page_are_in_the_navigation(built_site):
    """docs/problem.md ("The problem") and docs/teaching.md ("Teaching with it") are pages of the site's
    navigation, not only files: a page left out of `nav:` is built but no reader finds it."""
    index = (built_site / "index.html").read_text(encoding="utf-8")
    nav = index[index.index('md-nav--primary'):]
    for href, title in (("problem.html", "The problem"), ("teaching.html", "Teaching with it")):
        assert re.search(rf'href="{href}"[^>]*>\s*(<[^>]+>\s*)*{title}', nav), href


def test_the_home_page_and_the_readme_show_the_animation_still_and_link_it(built_site):
    """The training animation plays only when a reader asks (WCAG 2.2.2): the home page shows its still
    (the last frame) in a figure.animation with a link to the GIF (a.animation-file, which the page's
    Play button shows: test_a11y.py), and no <img> of the GIF; the README shows the still as a link to
    the GIF. Catches the GIF put back as an image that plays by itself, or the animation dropped."""
    index = (built_site / "index.html").read_text(encoding="utf-8")
    figure = re.search(r'<figure class="animation">(.*?)</figure>', index, re.S)
    assert figure, "no figure.animation on the home page"
    assert re.findall(r'<img [^>]*src="visualizations/([^"]+)"', figure[1]) == ["training_moons.png"]
    links = re.findall(r'<a ([^>]*)>', figure[1])
    gif = 'href="visualizations/training_moons.gif"'
    assert any('class="animation-file"' in a and gif in a for a in links), links
    assert not re.search(r'<img [^>]*src="[^"]*\.gif"', index), "a GIF shown as an image plays by itself"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(visualizations/training_moons.png)](visualizations/training_moons.gif)" in readme
    assert not re.search(r'!\[[^\]]*\]\(visualizations/[^)]*\.gif\)|<img [^>]*\.gif', readme)


# The assignment is stated in docs/problem.md; a bare reference to it elsewhere points nowhere.
BARE_REFERENCE = re.compile(r"\b(?:the|this) spe" + r"c(?:ification)?(?:'s)?\b", re.I)


def test_no_reference_to_the_problem_points_nowhere():
    """Every mention of the assignment names docs/problem.md (or links problem.md): none of the project's
    Python or Markdown files (this one aside) says "the spe" + "c" or "the specification", which nobody
    could find before the page existed. Catches a docstring, page or journal entry that cites it bare."""
    files = [*ROOT.glob("*.py"), *ROOT.glob("*.md"), *DOCS.glob("*.md"), ROOT / "data" / "README.md"]
    found = [f"{f.name}: {m[0]}" for f in files if f.name != Path(__file__).name
             for m in BARE_REFERENCE.finditer(f.read_text(encoding="utf-8"))]
    assert len(files) >= 20 and found == []


def test_the_problem_page_links_each_requirement():
    """docs/problem.md states the network, the loss, the seven steps, the experiments, the figures, the
    questions and the checklist, and links each step (1) .. (7) to its section of the backprop page and
    each of the three questions to its answer in the journal. Catches a section or a link dropped."""
    text = (DOCS / "problem.md").read_text(encoding="utf-8")
    for anchor in ("task", "network", "seven-steps", "experiments", "figures", "questions", "checklist"):
        assert f"{{#{anchor}}}" in text, anchor
    for n in range(1, 8):
        assert f"(backprop.md#step-{n})" in text, n
    assert len(re.findall(r"\(journal\.md#[1-3]-", text)) == 3
    for figure in ("loss_curve.png", "decision_boundary.png", "gradient_check.png"):
        assert f"(visualizations/{figure})" in text, figure


def test_quoted_regions_exist():
    """Every --8<-- "FILE:NAME" in docs/*.md has both markers in FILE, start before end."""
    problems = []
    for page in sorted(DOCS.rglob("*.md")):
        for ref in QUOTED_REGION.finditer(page.read_text(encoding="utf-8")):
            source = ROOT / ref["path"]
            where = f"{page.relative_to(ROOT)} quotes {ref['path']}:{ref['region']}"
            if not source.is_file():
                problems.append(f"{where}, but {ref['path']} does not exist")
                continue
            text = source.read_text(encoding="utf-8")
            start, end = (re.search(rf"-+8<-+[ \t]+\[{kind}:{ref['region']}\]", text)
                          for kind in ("start", "end"))
            if not (start and end and start.start() < end.start()):
                problems.append(f"{where}, but it lacks a `--8<-- [start:{ref['region']}]` ... "
                                f"`--8<-- [end:{ref['region']}]` pair")
    assert not problems, "\n".join(problems)


def test_missing_snippet_section_fails_build(tmp_path):
    """check_paths: true in mkdocs.yml: without it, a quoted region that does not exist renders as
    nothing and the strict build passes; the page would silently lose its code."""
    project = one_page_project(tmp_path / "project", "index.md",
                               '```python\n--8<-- "mlp.py:no_such_region"\n```')
    assert_build_fails(project, tmp_path / "site", "no_such_region", "index.md")


def test_missing_figure_fails_build(tmp_path):
    """A figure the page shows but visualizations/ lacks (renamed, not generated) fails the build."""
    project = one_page_project(tmp_path / "project", "index.md",
                               "![Missing](visualizations/no_such_figure.png)")
    assert_build_fails(project, tmp_path / "site", "visualizations/no_such_figure.png")


def test_figures_are_published(tmp_path):
    """The hook copies visualizations/ into the site: the pages show the generated files, not copies.
    (This is also the clean build of a one-page project that the failing builds here start from.)"""
    project = one_page_project(tmp_path / "project", "forward.md",
                               "![Probe](visualizations/probe_figure.png)")
    (project / "visualizations").mkdir(exist_ok=True)
    (project / "visualizations" / "probe_figure.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    result = build_site(project, tmp_path / "site")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "visualizations" / "probe_figure.png").is_file()


def test_api_reference_names_missing_function(tmp_path):
    """A name in __all__ that mlp.py does not define fails the build, naming it."""
    project = one_page_project(tmp_path / "project", "api.md", "{{ api_reference }}")
    mlp = project / "mlp.py"
    mlp.write_text(re.sub(r"(?m)^__all__ = \[", '__all__ = ["no_such_function", ',
                          mlp.read_text(encoding="utf-8"), count=1), encoding="utf-8")
    assert_build_fails(project, tmp_path / "site", "no_such_function", "__all__")


# --- the steps of backward, quoted on the backpropagation page ({{ step:N }}, docs/hooks.py) ----

STEP_BLOCK = re.compile(r'<div class="language-python backward-step highlight"[^>]*>(?P<block>.*?)</table>',
                        re.DOTALL)


def step_blocks(page_html: str) -> dict[int, list[tuple[int, str]]]:
    """{N: [(first line number, code text), ...]} for every step block of a built page."""
    blocks = {}
    for match in STEP_BLOCK.finditer(page_html):
        block = match["block"]
        title = re.search(r'<span class="filename">mlp\.py — step \((\d)\)</span>', block)
        assert title, f"a step block without its title 'mlp.py — step (N)':\n{block[:300]}"
        numbers = [int(n) for n in re.findall(r'id="__span-\d+-(\d+)"', block)]
        blocks.setdefault(int(title[1]), []).append((numbers[0], code_text(block)))
    return blocks


def test_backprop_step_blocks_quote_their_tagged_lines(built_site):
    """Each of the seven steps is shown beside its derivation as ONE line of backward_two_layer (the
    seven steps are seven lines), tagged (N), numbered with that line's real number in mlp.py. Catches a
    hook that quotes the loop (where (6) and (7) reuse the lines of (2) and (3)), a step split over
    several lines, and drifting line numbers."""
    blocks = step_blocks((built_site / "backprop.html").read_text(encoding="utf-8"))
    assert sorted(blocks) == list(range(1, 8)), f"steps shown on backprop.html: {sorted(blocks)}"
    source = (ROOT / "mlp.py").read_text(encoding="utf-8").splitlines()
    region = source.index("# --8<-- [start:backward_two_layer]"), source.index(
        "# --8<-- [end:backward_two_layer]")
    numbers = []
    for step, quoted in blocks.items():
        assert len(quoted) == 1, f"step ({step}) is shown as {len(quoted)} blocks"
        first, code = quoted[0]
        lines = code.strip("\n").split("\n")
        assert len(lines) == 1 and f"# ({step})" in lines[0], f"step ({step}) is not one tagged line:\n{code}"
        assert region[0] < first - 1 < region[1], f"step ({step}) quotes line {first}, outside the region"
        assert lines[0].strip() == source[first - 1].strip(), (
            f"step ({step}) is numbered {first}, but mlp.py has there:\n{source[first - 1]}")
        numbers.append(first)
    assert numbers == sorted(numbers), f"the steps' lines are not in step order: {numbers}"


def test_step_missing_from_backward_fails_build(tmp_path):
    """A {{ step:5 }} whose tag (5) is gone from backward_two_layer's comments stops the build, naming
    step 5 (rather than quoting nothing, or a line of another function)."""
    project = one_page_project(tmp_path / "project", "backprop.md", "{{ step:5 }}")
    mlp = project / "mlp.py"
    text = mlp.read_text(encoding="utf-8")
    start = text.index("# --8<-- [start:backward_two_layer]")
    end = text.index("# --8<-- [end:backward_two_layer]")
    assert "(5)" in text[start:end], "mlp.py's backward_two_layer has no (5) tag to remove"
    mlp.write_text(text[:start] + text[start:end].replace("(5)", "(five)") + text[end:], encoding="utf-8")
    assert_build_fails(project, tmp_path / "site", "step 5", "(5)", "backward_two_layer", "backprop.md")


# --- examples that run: every Python example of README.md and the pages ---------------------------

EXAMPLE_FILES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
# A fenced block, possibly indented (inside a list or an admonition): ```INFO ... ```
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)\n"
                   r"(?P<body>.*?)\n(?P=indent)(?P=fence)[ \t]*$", re.MULTILINE | re.DOTALL)
OUTPUT_TITLE = 'title="Output"'


def examples(path: Path) -> list[tuple[int, str, str | None]]:
    """[(line, code, expected output or None)] for each runnable Python block of a Markdown file.

    Runnable: a fence whose language is python (```python or ```{.python ...}) that does not quote a
    region (--8<--, which the site replaces with the real code) and is not marked `.notest`. Its output
    is the next fenced block if that one is titled "Output" (```text title="Output"), with no other
    Python block in between. An output block that follows no example is an error: it would be checked
    against nothing."""
    found, waiting = [], False  # waiting: the last fenced block was an example without its output yet
    text = path.read_text(encoding="utf-8")
    for match in FENCE.finditer(text):
        info, line, indent = match["info"].strip(), text.count("\n", 0, match.start()) + 1, match["indent"]
        body = "\n".join(row.removeprefix(indent) for row in match["body"].split("\n"))
        language = re.match(r"\{?\s*\.?([\w-]*)", info)[1]
        if OUTPUT_TITLE in info:
            assert waiting, f"{path.name}:{line}: an Output block that follows no Python example"
            found[-1] = (*found[-1][:2], body + "\n")
            waiting = False
        elif language in ("python", "py") and "--8<--" not in body and ".notest" not in info:
            found.append((line, body, None))
            waiting = True
        else:
            waiting = False
    return found


def test_examples_are_found():
    """The examples test finds the examples it must run: the README's API example, the site's own
    backward pass checked with analytic=, and the two-class identity (a broken fence pattern would
    otherwise pass by running nothing)."""
    counts = {path.name: len(examples(path)) for path in EXAMPLE_FILES}
    assert counts["README.md"] >= 2 and counts["gradient-check.md"] >= 1 and counts["softmax.md"] >= 1, counts
    assert all(out is not None for path in EXAMPLE_FILES for _, _, out in examples(path) if path.name in (
        "README.md", "gradient-check.md", "softmax.md")), "an example there shows no output to check"


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_examples_run_and_print_what_the_page_shows(path, monkeypatch):
    """Each Python example of the file runs (the examples of one file in order, in one namespace, as a
    reader would paste them), without a warning (-W error) or a failed assert, and prints exactly the
    Output block shown under it, if it shows one. Catches an example left behind by an API change (an old
    name, a changed return value) and a claimed output that is no longer true."""
    monkeypatch.chdir(ROOT)
    namespace = {"__name__": "__example__"}
    for line, code, expected in examples(path):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, f"{path.name}, example at line {line}", "exec"), namespace)  # noqa: S102
        if expected is not None:
            assert printed.getvalue() == expected, (
                f"{path.name}:{line}: the example printed\n{printed.getvalue()}\n"
                f"but the page shows\n{expected}")


def test_practice_page_checks_the_seven_steps_written_in_it():
    """The practice page's blank backward_two_layer and the check under it, run as a learner would: with
    its first k steps written as the lesson's own lines (the lines of mlp.py tagged (1) .. (k)), the check
    prints those k steps correct and names step k + 1 as still to write; with all seven, it says they
    are all correct; with step (5) skipped (`dz1 = da1`), it names dz1 the first wrong step. Catches a
    blank function that drifted from mlp.py (its fixed lines no longer fit the lesson's steps), and a
    check that ignores the steps written so far or passes a wrong one."""
    import zoo

    path = DOCS / "practice.md"
    found = examples(path)
    starter = next(i for i, (_, code, _) in enumerate(found) if "raise NotImplementedError" in code)
    blank, check = found[starter][1], found[starter + 1][1]
    lessons = {int(m[1]): m[0].strip() for m in re.finditer(r"^ *\w+ = .*# \((\d)\).*$",
                                                             zoo.lesson_source(), re.M)}
    assert sorted(lessons) == list(range(1, 8)), lessons
    todo = re.compile(r'raise NotImplementedError\("step \((\d)\): .*"\)')

    def run(lines):  # the blank with steps {k: line} written, then the check: what it prints
        code = todo.sub(lambda m: lines.get(int(m[1]), m[0]), blank)
        namespace, printed = {"__name__": "__example__"}, io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code + "\n" + check, "practice.md", "exec"), namespace)  # noqa: S102
        return printed.getvalue()

    keys = ["dz2", "dW2", "db2", "da1", "dz1", "dW1", "db1"]
    for k in range(8):
        out = run({j: lessons[j] for j in range(1, k + 1)})
        verdicts = re.findall(r"^ *(d\w+) +(correct|uncomfortable|wrong)\b", out, re.M)
        assert verdicts == [(key, "correct") for key in keys[:k]], out
        assert out.startswith(f"Still to write: step ({k + 1})") if k < 7 else (
            "All seven steps are correct." in out), out
    out = run({**lessons, 5: "dz1 = da1"})
    assert re.search(r"^ *dz1 +wrong .*<- the first wrong step", out, re.M), out
    assert "All seven" not in out, out


# --- the site in a browser --------------------------------------------------------------------

def require_browser():
    """Playwright's sync API, or skip (fail under CI) when it or Chromium is missing."""
    problems = []
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problems.append("the playwright package is missing (pip install -r requirements.txt)")
    if not os.access(CHROMIUM, os.X_OK):
        problems.append(f"{CHROMIUM} is missing (install with: apt-get install chromium)")
    if problems:
        message = "cannot run the browser test: " + "; ".join(problems)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return sync_playwright


@contextlib.contextmanager
def chromium():
    """A headless Debian Chromium, cut off from every host but 127.0.0.1 (CHROMIUM_ARGS), closed on the
    way out; skipped (failed under CI) where it or Playwright is missing (require_browser)."""
    sync_playwright = require_browser()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@contextlib.contextmanager
def serve(directory: Path):
    """Serve `directory` on 127.0.0.1 (a free port) from a thread; yields the base URL."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# Layout: at 1280 px the longest line of mlp.py (79 characters, a bound test_mlp.py enforces) must fit
# every code column beside the maths.
MIN_CODE_COLUMN_CHARS = 79
# How many pages load at once (each in its own renderer process: the machine has two cores).
PAGES_AT_ONCE = 2

PAGE_REPORT_JS = r"""async () => {
  // Measure the settled layout: two frames after a change of the window's width (the theme's scripts
  // react to it on the next frame), with the CSS transitions that it started (the sidebar sliding to
  // its new place, ...) taken to their end, which a reader sees a moment later, with every font
  // that the page now shows loaded, and every image too.
  const frame = () => new Promise((done) => requestAnimationFrame(done));
  await frame(); await frame();
  document.getAnimations().filter((a) => a.effect?.getComputedTiming().endTime !== Infinity)
                          .forEach((a) => a.finish());
  await frame();
  await document.fonts.ready;
  // and every image loaded: a <picture> chooses its source anew for the new width (docs/hooks.py)
  await Promise.all([...document.images].map((img) => img.decode().catch(() => null)));
  const rect = (el) => { const r = el.getBoundingClientRect();
                         return {left: r.left, right: r.right, top: r.top, bottom: r.bottom,
                                 width: r.width, height: r.height}; };
  const shown = (el) => { const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
                          return r.width > 0 && r.height > 0 && cs.visibility !== "hidden"
                                 && r.right > 0 && r.left < innerWidth; };
  const rawText = (el) => { const copy = el.cloneNode(true);
                            copy.querySelectorAll(".katex-mathml").forEach((m) => m.remove());
                            return copy.textContent; };
  const content = document.querySelector(".md-content");
  const charWidth = (code) => {  // the width of one character of this block's font, measured
    const probe = document.createElement("span");
    probe.textContent = "0".repeat(100);
    probe.style.position = "absolute"; probe.style.visibility = "hidden";
    code.appendChild(probe);
    const width = probe.getBoundingClientRect().width / 100;
    probe.remove();
    return width;
  };
  const codeBlocks = [...content.querySelectorAll("pre > code")].map((code) => {
    const cs = getComputedStyle(code), lineHeight = parseFloat(cs.lineHeight);
    const lines = [...code.children].filter((el) => el.id.startsWith("__span-"));
    const char = charWidth(code);
    const box = code.closest(".highlight") ?? code;
    return {
      title: code.closest(".highlight")?.querySelector(".filename")?.textContent ?? "(untitled)",
      first: code.textContent.split("\n")[0].trim().slice(0, 60),
      inGrid: code.closest(".maths-code") !== null,
      scroll: code.scrollWidth - code.clientWidth,
      boxScroll: box.scrollWidth - box.clientWidth,
      overflowX: cs.overflowX,
      // a wrapped line is drawn as more than one box, or one box taller than a line
      wrapped: lines.filter((el) => { const boxes = el.getClientRects();
                                      return boxes.length > 1
                                             || (boxes.length === 1 && boxes[0].height > 1.5 * lineHeight); })
                    .map((el) => el.textContent.trim().slice(0, 60)),
      lines: lines.length,
      chars: (code.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight)) / char,
      columnWidth: code.closest(".maths-code > *")?.getBoundingClientRect().width ?? null,
      char,
    };
  });
  const sidebar = document.querySelector(".md-sidebar--primary");
  const drawerButton = document.querySelector('label.md-header__button[for="__drawer"]');
  return {
    width: innerWidth,
    maths: [...document.querySelectorAll(".arithmatex")].map((el) => ({
      tex: el.querySelector("annotation")?.textContent ?? el.textContent.slice(0, 80),
      typeset: el.querySelector(".katex") !== null,
      error: el.querySelector(".katex-error") !== null,
      raw: /\\\(|\\\[|\$\$/.test(rawText(el)),
      display: el.tagName === "DIV",
      clipped: Math.max(el.scrollWidth - el.clientWidth,
                        ...[...el.querySelectorAll(".katex-display")]
                             .map((d) => d.scrollWidth - d.clientWidth)),
    })),
    code: codeBlocks,
    brokenImages: [...document.images].filter((img) => !(img.complete && img.naturalWidth > 0))
                                      .map((img) => img.getAttribute("src")),
    figures: [...content.querySelectorAll("img")].map((img) => ({
      src: img.getAttribute("src"),
      link: img.closest("a") ? new URL(img.closest("a").href).pathname : null,
      file: new URL(img.src).pathname,
      shown: img.getBoundingClientRect().width / img.naturalWidth,
    })),
    grids: [...document.querySelectorAll(".maths-code")].map((grid) => [...grid.children].map(rect)),
    overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    sidebar: sidebar && shown(sidebar) && rect(sidebar).left >= 0
             ? [...sidebar.querySelectorAll(".md-nav--primary a.md-nav__link[href]")].filter(shown).length
             : 0,
    drawerButton: drawerButton !== null && shown(drawerButton),
    // the folded blocks (pymdownx.details: ??? is a closed <details>): is each open, and is anything
    // but its summary drawn?
    details: [...document.querySelectorAll("article details")].map((d) => ({
      open: d.open, summary: d.querySelector("summary")?.textContent.trim(),
      shown: [...d.children].some((c) => c.tagName !== "SUMMARY" && c.checkVisibility()),
    })),
  };
}"""
# The links of the navigation, as the browser resolves them.
NAV_JS = """() => [...document.querySelectorAll(".md-nav--primary a.md-nav__link[href]")]
                 .map((a) => a.href)"""
# A reader opens every folded block: lay the page out again, then wait for the fonts and images that
# the opened blocks show.
UNFOLD_JS = """async () => {
  document.querySelectorAll("details").forEach((d) => { d.open = true; });
  document.body.getBoundingClientRect();
  await document.fonts.ready;
  await Promise.all([...document.images].map((img) => img.decode().catch(() => null)));
}"""


def nav_urls(hrefs: list[str], base_url: str) -> list[str]:
    """The URLs of the pages in the site's navigation, from the hrefs of its links."""
    urls = []
    for href in hrefs:
        url = urljoin(base_url, urlsplit(href)._replace(fragment="").geturl())
        if url.endswith("/"):  # the site's logo links to "./": the home page, index.html
            url += "index.html"
        if url not in urls:
            urls.append(url)
    return urls


def start_page(context, url: str, layout: str, problems: list[str]):
    """A page of `context` on its way to `url` in a window of the `layout`'s size, with every console
    error, every failed load and every request off the local host recorded in `problems`. It loads while
    other pages are checked."""
    page = context.new_page()
    page.set_viewport_size(VIEWPORTS[layout])
    page.on("console", lambda msg: msg.type == "error" and problems.append(f"console error: {msg.text}"))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def local_only(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            problems.append(f"request off the site: {route.request.url}")
            route.abort()

    page.route("**/*", local_only)
    response = page.goto(url, wait_until="commit")
    if not response.ok:
        problems.append(f"HTTP status {response.status}")
    return page


def layout_problems(report: dict, layout: str, n_pages: int) -> list[str]:
    """What is wrong with a page, from its report (PAGE_REPORT_JS) at one layout."""
    problems = []
    if report["width"] != VIEWPORTS[layout]["width"]:
        problems.append(f"measured at a width of {report['width']} px, not {VIEWPORTS[layout]['width']}")
    for maths in report["maths"]:
        if not maths["typeset"] or maths["error"] or maths["raw"]:
            problems.append(f"maths not typeset (typeset={maths['typeset']}, katex-error={maths['error']}, "
                            f"raw delimiters={maths['raw']}): {maths['tex']!r}")
        if maths["display"] and maths["clipped"] > 0:
            problems.append(f"display equation {maths['clipped']} px wider than its box: {maths['tex']!r}")
    problems += [f"image did not load: {src}" for src in report["brokenImages"]]
    if report["overflow"] > 1:
        problems.append(f"the page scrolls sideways by {report['overflow']} px")
    for block in report["code"]:
        where = f"code block {block['title']} ({block['first']!r})"
        if block["wrapped"]:
            problems.append(f"{where}: lines wrap: {block['wrapped'][:3]}")
        if layout == "desktop":
            if block["scroll"] > 0 or block["boxScroll"] > 0:
                problems.append(f"{where} scrolls sideways by {max(block['scroll'], block['boxScroll'])} px "
                                f"(holds {block['chars']:.1f} characters)")
            if block["inGrid"] and block["chars"] < MIN_CODE_COLUMN_CHARS:
                problems.append(f"{where}: the code column holds {block['chars']:.1f} characters, "
                                f"fewer than {MIN_CODE_COLUMN_CHARS}")
        elif block["scroll"] > 0 and block["overflowX"] not in ("auto", "scroll"):
            problems.append(f"{where} is {block['scroll']} px too wide and cut off (overflow-x "
                            f"{block['overflowX']}), not scrollable")
    for figure in report["figures"]:
        if layout == "phone" and figure["link"] != figure["file"]:
            problems.append(f"figure {figure['src']} is not a link to its own file (link: {figure['link']}): "
                            f"on a phone it cannot be opened at full size")
    if layout == "desktop" and report["sidebar"] < n_pages:
        problems.append(f"the navigation sidebar shows {report['sidebar']} links, fewer than the "
                        f"{n_pages} pages")
    if layout == "phone" and not report["drawerButton"]:
        problems.append("no menu button: the navigation cannot be reached")
    for children in report["grids"]:
        if len(children) != 2:
            problems.append(f"a .maths-code grid has {len(children)} children instead of 2")
            continue
        maths, code = children
        if layout == "desktop":
            side_by_side = code["left"] >= maths["right"] - 1 and abs(code["top"] - maths["top"]) <= 1
            if not side_by_side:
                problems.append(f"maths and code are not side by side: {maths} / {code}")
        else:
            stacked = code["top"] >= maths["bottom"] - 1 and abs(code["left"] - maths["left"]) <= 1
            if not stacked:
                problems.append(f"maths and code are not stacked: {maths} / {code}")
    return problems


def phone_menu_problems(page) -> list[str]:
    """On a phone, the menu button opens the navigation drawer: its page links come into view."""
    try:  # the drawer slides in (a CSS transition): wait until its links are inside the window
        page.click('label.md-header__button[for="__drawer"]', timeout=5000)
        page.wait_for_function("""() => {
          const nav = document.querySelector(".md-sidebar--primary .md-nav--primary");
          const links = [...nav.querySelectorAll("a.md-nav__link")];
          return links.some((a) => { const r = a.getBoundingClientRect();
                                     return r.width > 0 && r.left >= 0 && r.right <= innerWidth; });
        }""", timeout=5000)
    except Exception as err:  # playwright's TimeoutError
        return [f"the menu button does not bring the navigation into view: {err}"]
    return []


MENU_PAGE = "backprop.html"  # where the phone's menu button is tried


def visit_site(site: Path) -> dict:
    """Serve the built site and open every page of its navigation in headless Chromium, with the network
    cut off; measure each page on a laptop (1280 x 900) and on a phone (390 x 844), and, on a page with
    folded blocks, measure it again at both widths with every block opened; try the phone's menu button.

    Each page is loaded once, at one width, and then resized to the other: the theme lays a page out
    by CSS media queries, and its scripts follow the window's width, so a resized page measures as a
    page loaded at that width (when this was written, the reports of every page, resized and loaded
    afresh, were equal). Every other page is loaded at the phone's width first, so the theme is also
    seen as it loads on each. Pages load PAGES_AT_ONCE at a time.

    Returns {"base_url", "urls" (the navigation's pages, home first), "problems" ({url: what is wrong
    with it, each naming the layout and whether its blocks were folded}), "reports" ({(url, layout,
    "folded" | "unfolded"): the page's PAGE_REPORT_JS report})}."""
    problems, reports, pages = {}, {}, {}
    with serve(site) as base_url, chromium() as browser:
        context = browser.new_context(viewport=VIEWPORTS["desktop"])
        home = base_url + "index.html"
        problems[home] = []
        pages[home] = start_page(context, home, "desktop", problems[home])
        pages[home].wait_for_load_state("load")
        urls = nav_urls(pages[home].evaluate(NAV_JS), base_url)
        if home not in urls:
            return {"base_url": base_url, "urls": urls, "problems": {}, "reports": {}}
        first = {url: ("desktop", "phone")[i % 2] for i, url in enumerate(urls)}  # the load's width
        first[home] = "desktop"  # already loading
        for i, url in enumerate(urls):
            for ahead in urls[i:i + PAGES_AT_ONCE]:
                if ahead not in pages:
                    problems[ahead] = []
                    pages[ahead] = start_page(context, ahead, first[ahead], problems[ahead])
            page = pages.pop(url)
            page.wait_for_load_state("load")
            found = problems[url]
            layouts = sorted(VIEWPORTS, key=lambda layout: layout != first[url])  # the load's first
            for layout in layouts:
                page.set_viewport_size(VIEWPORTS[layout])
                reports[url, layout, "folded"] = page.evaluate(PAGE_REPORT_JS)
                found += [f"({layout}) {p}" for p in layout_problems(
                    reports[url, layout, "folded"], layout, len(urls))]
            if reports[url, layouts[-1], "folded"]["details"]:
                page.evaluate(UNFOLD_JS)
                for layout in reversed(layouts):
                    page.set_viewport_size(VIEWPORTS[layout])
                    reports[url, layout, "unfolded"] = page.evaluate(PAGE_REPORT_JS)
                    found += [f"({layout}, every folded block opened) {p}" for p in layout_problems(
                        reports[url, layout, "unfolded"], layout, len(urls))]
            if url == base_url + MENU_PAGE:
                page.set_viewport_size(VIEWPORTS["phone"])
                found += [f"(phone menu) {p}" for p in phone_menu_problems(page)]
            page.close()
    return {"base_url": base_url, "urls": urls,
            "problems": {url: [f"{url} {p}" for p in found] for url, found in problems.items()},
            "reports": reports}


@pytest.mark.browser
def test_site_in_browser(site_visit):
    """Every page, on a laptop (1280 x 900) and a phone (390 x 844), in headless Chromium with the network
    cut off: no console error, no request off the local host, every formula typeset by the vendored KaTeX
    and no display equation wider than its box, every image loaded, the maths/code pairs side by side on
    the laptop and stacked on the phone, and no code line wrapped. On the laptop no code block scrolls
    sideways, every code column beside the maths holds 79 characters, and the sidebar shows every page.
    On the phone, where 79 characters cannot fit at a legible size, a wide code block scrolls inside its
    own box (never cut off, never widening the page); the menu button opens the navigation; and every
    figure is a link to its own file, so that it can be opened at full size. A page with folded blocks
    passes all this again with every block opened. Catches, for instance, a `hide: navigation` page, CSS
    that narrows the code column, a code line or equation too long for it, and a figure shown without
    its link. (The pages are visited once for this test and test_practice.py's: visit_site, conftest.py.)"""
    urls, reports = site_visit["urls"], site_visit["reports"]
    assert site_visit["base_url"] + "index.html" in urls and len(urls) > 1, f"navigation not found: {urls}"
    assert site_visit["base_url"] + MENU_PAGE in urls, f"no {MENU_PAGE} to try the phone's menu on: {urls}"
    problems = [p for url in site_visit["problems"] for p in site_visit["problems"][url]]
    for layout in VIEWPORTS:
        measured = [reports[url, layout, "folded"] for url in urls]
        if not any(report["grids"] for report in measured):
            problems.append(f"no page has a .maths-code grid to check ({layout})")
        if not any(block["inGrid"] for report in measured for block in report["code"]):
            problems.append(f"no code block beside the maths to measure ({layout})")
        if not any(report["figures"] for report in measured):
            problems.append(f"no page shows a figure ({layout})")
    assert not problems, "\n".join(problems)

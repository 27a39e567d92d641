"""Tests of the documentation site: the build, its hooks, and the pages in a browser."""

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
# What the site needs besides mkdocs.yml and docs/: files that pages quote or show.
SITE_INPUTS = ("mlp.py", "learning_journal.md", "experiments_log.md", "visualizations")
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


@pytest.fixture(scope="module")
def built_site(tmp_path_factory):
    """The real site, built once for the tests that read its pages."""
    site = tmp_path_factory.mktemp("built") / "site"
    result = build_site(ROOT, site)
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr}"
    return site


def copy_site_project(dest: Path) -> Path:
    """Copy mkdocs.yml, docs/ and the files pages quote into `dest`."""
    dest.mkdir()
    shutil.copy2(ROOT / "mkdocs.yml", dest)
    shutil.copytree(DOCS, dest / "docs", ignore=shutil.ignore_patterns("__pycache__"))
    for name in SITE_INPUTS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name)
        elif source.is_file():
            shutil.copy2(source, dest)
    return dest


def append_to(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n" + text + "\n", encoding="utf-8")


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


def test_quoted_code_carries_its_real_line_numbers(built_site):
    """A block that quotes a region of mlp.py is numbered with mlp.py's own line numbers, so a reader
    can find each line in the file: the first numbered line must be that line of mlp.py."""
    source = (ROOT / "mlp.py").read_text(encoding="utf-8").splitlines()
    checked = 0
    for page in sorted(built_site.glob("*.html")):
        pattern = r'<span class="filename">mlp\.py</span>(.*?)</table>'
        blocks = re.findall(pattern, page.read_text(encoding="utf-8"), re.S)
        for block in blocks:
            first = int(re.search(r'href="#__codelineno-\d+-(\d+)"', block)[1])
            code = html.unescape(re.sub(r"<[^>]+>", "", block.split('<td class="code">', 1)[1]))
            assert code.strip("\n").split("\n")[0].strip() == source[first - 1].strip(), (page.name, first)
            checked += 1
    assert checked >= 10, f"only {checked} quoted blocks found: the pattern no longer matches the pages"


def test_api_page_shows_every_public_docstring(built_site):
    """The API reference is generated from mlp.py: every name in __all__ is there, and so is the first
    line of its docstring (a hook that dropped the docstrings, or a stale page, fails here)."""
    text = html.unescape(re.sub(r"<[^>]+>", "", (built_site / "api.html").read_text(encoding="utf-8")))
    for name in mlp.__all__:
        assert name in text, name
        doc = getattr(mlp, name).__doc__
        if doc:
            assert doc.strip().splitlines()[0] in text, name


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
    project = copy_site_project(tmp_path / "project")
    append_to(project / "docs" / "index.md", '```python\n--8<-- "mlp.py:no_such_region"\n```')
    assert_build_fails(project, tmp_path / "site", "no_such_region", "index.md")


def test_missing_figure_fails_build(tmp_path):
    """A figure the page shows but visualizations/ lacks (renamed, not generated) fails the build."""
    project = copy_site_project(tmp_path / "project")
    append_to(project / "docs" / "index.md", "![Missing](visualizations/no_such_figure.png)")
    assert_build_fails(project, tmp_path / "site", "visualizations/no_such_figure.png")


def test_figures_are_published(tmp_path):
    """The hook copies visualizations/ into the site: the pages show the generated files, not copies."""
    project = copy_site_project(tmp_path / "project")
    (project / "visualizations").mkdir(exist_ok=True)
    (project / "visualizations" / "probe_figure.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    append_to(project / "docs" / "forward.md", "![Probe](visualizations/probe_figure.png)")
    result = build_site(project, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "visualizations" / "probe_figure.png").is_file()


def test_api_reference_names_missing_function(tmp_path):
    """A name in __all__ that mlp.py does not define fails the build, naming it."""
    project = copy_site_project(tmp_path / "project")
    mlp = project / "mlp.py"
    mlp.write_text(re.sub(r"(?m)^__all__ = \[", '__all__ = ["no_such_function", ',
                          mlp.read_text(encoding="utf-8"), count=1), encoding="utf-8")
    api = project / "docs" / "api.md"
    if "{{ api_reference }}" not in api.read_text(encoding="utf-8"):
        append_to(api, "{{ api_reference }}")
    assert_build_fails(project, tmp_path / "site", "no_such_function", "__all__")


# --- the steps of backward, quoted on the backpropagation page ({{ step:N }}, docs/hooks.py) ----

STEP_BLOCK = re.compile(r'<div class="language-python backward-step highlight">(?P<block>.*?)</table>',
                        re.DOTALL)


def step_blocks(page_html: str) -> dict[int, list[tuple[int, str]]]:
    """{N: [(first line number, code text), ...]} for every step block of a built page."""
    blocks = {}
    for match in STEP_BLOCK.finditer(page_html):
        block = match["block"]
        title = re.search(r'<span class="filename">mlp\.py — step \((\d)\)</span>', block)
        assert title, f"a step block without its title 'mlp.py — step (N)':\n{block[:300]}"
        numbers = [int(n) for n in re.findall(r'href="#__codelineno-\d+-(\d+)"', block)]
        code = html.unescape(re.sub(r"<[^>]+>", "", block.split('<td class="code">', 1)[1]))
        blocks.setdefault(int(title[1]), []).append((numbers[0], code))
    return blocks


def test_backprop_step_blocks_quote_their_tagged_lines(built_site):
    """Each of the seven steps is shown, each block holds a line of mlp.py tagged (N), numbered with
    that line's real number in mlp.py."""
    blocks = step_blocks((built_site / "backprop.html").read_text(encoding="utf-8"))
    assert sorted(blocks) == list(range(1, 8)), f"steps shown on backprop.html: {sorted(blocks)}"
    source = (ROOT / "mlp.py").read_text(encoding="utf-8").splitlines()
    for step, quoted in blocks.items():
        for first, code in quoted:
            assert f"({step})" in code, f"the block of step ({step}) does not contain its tag:\n{code}"
            lines = code.strip("\n").split("\n")
            real = source[first - 1:first - 1 + len(lines)]
            assert [line.strip() for line in lines] == [line.strip() for line in real], (
                f"step ({step}) is numbered from line {first}, but mlp.py has there:\n" + "\n".join(real))


def test_step_missing_from_backward_fails_build(tmp_path):
    """A {{ step:5 }} whose tag (5) is gone from backward's comments stops the build, naming step 5."""
    project = copy_site_project(tmp_path / "project")
    mlp = project / "mlp.py"
    text = mlp.read_text(encoding="utf-8")
    start, end = text.index("# --8<-- [start:backward]"), text.index("# --8<-- [end:backward]")
    assert "(5)" in text[start:end], "mlp.py's backward has no (5) tag to remove"
    mlp.write_text(text[:start] + text[start:end].replace("(5)", "(five)") + text[end:], encoding="utf-8")
    backprop = project / "docs" / "backprop.md"
    if "{{ step:5 }}" not in backprop.read_text(encoding="utf-8"):
        append_to(backprop, "{{ step:5 }}")
    assert_build_fails(project, tmp_path / "site", "step 5", "(5)", "backward", "backprop.md")


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


PAGE_REPORT_JS = r"""() => {
  const rect = (el) => { const r = el.getBoundingClientRect();
                         return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
  const rawText = (el) => { const copy = el.cloneNode(true);
                            copy.querySelectorAll(".katex-mathml").forEach((m) => m.remove());
                            return copy.textContent; };
  return {
    maths: [...document.querySelectorAll(".arithmatex")].map((el) => ({
      tex: el.querySelector("annotation")?.textContent ?? el.textContent.slice(0, 80),
      typeset: el.querySelector(".katex") !== null,
      error: el.querySelector(".katex-error") !== null,
      raw: /\\\(|\\\[|\$\$/.test(rawText(el)),
    })),
    brokenImages: [...document.images].filter((img) => !(img.complete && img.naturalWidth > 0))
                                      .map((img) => img.getAttribute("src")),
    grids: [...document.querySelectorAll(".maths-code")].map((grid) => [...grid.children].map(rect)),
    overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  };
}"""


def site_pages(browser, base_url: str) -> list[str]:
    """The URLs of the pages in the site's navigation, read from the built home page."""
    page = browser.new_page()
    page.goto(base_url, wait_until="domcontentloaded")
    hrefs = page.eval_on_selector_all(".md-nav--primary a.md-nav__link[href]",
                                      "links => links.map((a) => a.href)")
    page.close()
    urls = []
    for href in hrefs:
        url = urljoin(base_url, urlsplit(href)._replace(fragment="").geturl())
        if url not in urls:
            urls.append(url)
    return urls


def check_page(context, url: str, layout: str) -> tuple[list[str], int]:
    """Load `url`; return what is wrong with it and how many maths-beside-code grids it has."""
    problems, off_host = [], []
    page = context.new_page()
    page.on("console", lambda msg: msg.type == "error" and problems.append(f"console error: {msg.text}"))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def local_only(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            off_host.append(route.request.url)
            route.abort()

    page.route("**/*", local_only)
    page.goto(url, wait_until="load")
    page.evaluate("document.fonts.ready.then(() => true)")
    report = page.evaluate(PAGE_REPORT_JS)
    page.close()

    problems += [f"request off the site: {u}" for u in off_host]
    for maths in report["maths"]:
        if not maths["typeset"] or maths["error"] or maths["raw"]:
            problems.append(f"maths not typeset (typeset={maths['typeset']}, katex-error={maths['error']}, "
                            f"raw delimiters={maths['raw']}): {maths['tex']!r}")
    problems += [f"image did not load: {src}" for src in report["brokenImages"]]
    if report["overflow"] > 1:
        problems.append(f"the page scrolls sideways by {report['overflow']} px")
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
    return [f"{url} ({layout}): {p}" for p in problems], len(report["grids"])


@pytest.mark.browser
def test_site_in_browser(built_site):
    """Every page, on a desktop and a phone, in headless Chromium with the network cut off: no console
    error, no request off the local host, every formula typeset by the vendored KaTeX, every image
    loaded, and the maths/code pairs side by side on a desktop and stacked on a phone."""
    sync_playwright = require_browser()
    site = built_site

    problems = []
    with serve(site) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            urls = site_pages(browser, base_url)
            assert base_url + "index.html" in urls and len(urls) > 1, f"navigation not found: {urls}"
            for layout, viewport in VIEWPORTS.items():
                context = browser.new_context(viewport=viewport)
                grids = 0
                for url in urls:
                    page_problems, page_grids = check_page(context, url, layout)
                    problems += page_problems
                    grids += page_grids
                context.close()
                if grids == 0:
                    problems.append(f"no page has a .maths-code grid to check ({layout})")
        finally:
            browser.close()
    assert not problems, "\n".join(problems)


"""Tests of every page as a notebook (tools/notebooks.py, called by docs/hooks.py at each build).

The notebooks of the real site (conftest.built_site) are validated against nbformat's schema, compared
with the page they come from (the same live blocks, in the same order, with the same Outputs), and run
top to bottom, each in a fresh kernel in an empty folder (nbclient and ipykernel: test dependencies
only, pinned in requirements.txt). The generator's parts are also tried on small made-up pages, so that
a page that anybody adds or changes is handled by rule, not by a list. Every test says what it catches.
"""

import ast
import asyncio
import copy
import json
import re
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
from mkdocs.config import load_config
from nbclient import NotebookClient

import test_site
from tools import notebooks

ROOT = Path(__file__).resolve().parent

KERNEL_TIMEOUT = 300  # seconds a cell may take: a hung cell fails the test instead of hanging it
# A block that runs in the built page, up to the end of its code; and the Output block that a page shows.
LIVE_BLOCK = re.compile(r'<div class="language-[^"]*"[^>]*\bdata-live="[^"]+"[^>]*>'
                        r'(?P<block>.*?)</code></pre>', re.DOTALL)
OUTPUT_BLOCK = re.compile(r'<span class="filename">Output</span>(?P<block>.*?)</code></pre>', re.DOTALL)
# What stands between a block and the Output under it: the closing and opening tags of their wrappers.
BETWEEN_BLOCKS = re.compile(r"</?(?:div|table|tr|th|td|pre|code)\b[^>]*>|<span class=\"filename\">")
LINK = re.compile(r'<a class="notebook-download" href="(?P<href>[^"]+)" download>(?P<name>[^<]+)</a>')


def page_blocks(page_html: str) -> list[tuple[str, str | None]]:
    """[(code, the Output shown under it or None)] for each live block of a built page, in page order.
    An Output is the block's only when nothing but the blocks' wrappers stands between them: one in a
    folded solution further down (a prediction's answer) is the solution's, not the block's."""
    found = sorted([(m.start(), m.end(), "code", test_site.code_text(m["block"]))
                    for m in LIVE_BLOCK.finditer(page_html)]
                   + [(m.start(), m.end(), "output", test_site.code_text(m["block"]))
                      for m in OUTPUT_BLOCK.finditer(page_html)])
    blocks, end = [], 0
    for start, stop, kind, text in found:
        if kind == "code":
            blocks.append((text, None))
        elif blocks and blocks[-1][1] is None and not BETWEEN_BLOCKS.sub("", page_html[end:start]).strip():
            blocks[-1] = (blocks[-1][0], text + "\n")
        end = stop
    return blocks


def code_cells(nb) -> list:
    """The page's cells: every code cell but the first, which writes the files."""
    return [cell for cell in nb.cells if cell.cell_type == "code"][1:]


def without_magic(source: str) -> str:
    return source.partition("\n")[2] if source.startswith("%%") else source


def shown_output(cell) -> str | None:
    return "".join(o.text for o in cell.outputs if o.get("name") == "stdout") if cell.outputs else None


def notebooks_of(site: Path) -> dict[str, nbformat.NotebookNode]:
    return {path.stem: nbformat.read(path, as_version=4) for path in sorted(site.glob("*.ipynb"))}


# --- the link on the page ------------------------------------------------------------------------------

def test_every_page_that_runs_code_links_its_notebook(built_site):
    """Each page with live blocks has, before its first block, a link to NAME.ipynb and one to the zip,
    both files of the site; a page without live blocks has neither and no notebook. Catches a page left
    out (a list instead of a rule), a link to a file the build did not write, and a link placed after
    the code it is for."""
    with_code = []
    for page in sorted(built_site.glob("*.html")):
        text = page.read_text(encoding="utf-8")
        links = [m["href"] for m in LINK.finditer(text)]
        first = LIVE_BLOCK.search(text)
        if first:
            with_code.append(page.stem)
            assert links == [f"{page.stem}.ipynb", notebooks.ZIP], (page.name, links)
            assert all((built_site / href).is_file() for href in links), (page.name, links)
            assert text.index('class="notebook-download"') < first.start(), f"{page.name}: link after code"
        else:
            assert links == [] and not (built_site / f"{page.stem}.ipynb").exists(), page.name
    assert len(with_code) >= 6 and "backprop" in with_code, with_code
    assert sorted(notebooks_of(built_site)) == sorted(with_code)


def test_the_backprop_link_is_where_the_page_says_how_to_run_code(built_site):
    """On the backprop page the link stands in the tip that explains how to run the code (its
    `{{ notebook }}`), not in the fallback place under a heading."""
    text = (built_site / "backprop.html").read_text(encoding="utf-8")
    tip = re.search(r'<div class="admonition tip">(.*?)</div>', text, re.DOTALL)
    assert tip and "Run it here" in tip[1] and LINK.search(tip[1]), "no notebook link in 'Run it here'"


# --- the notebooks as files ------------------------------------------------------------------------

def test_notebooks_validate_and_the_zip_holds_them_in_the_navigations_order(built_site):
    """Every notebook validates against nbformat 4's schema (cell ids included), its first code cell is
    collapsed, and the zip holds exactly these notebooks, byte for byte, under their own names (which
    the links between them use), in the order of the navigation. Catches a hand-written field nbformat
    rejects, a stale or missing notebook in the zip, and a renamed one that links no longer reach."""
    found = notebooks_of(built_site)
    for name, nb in found.items():
        nbformat.validate(nb)
        assert nb.nbformat == 4 and nb.nbformat_minor >= 5, name
        assert nb.cells[1].metadata.jupyter.source_hidden is True, name
    with zipfile.ZipFile(built_site / notebooks.ZIP) as bundle:
        entries = bundle.namelist()
        order = [Path(page).stem for page in notebooks.nav_pages(load_config(str(ROOT / "mkdocs.yml")).nav)]
        assert entries == [f"{notebooks.ZIP_FOLDER}/{stem}.ipynb" for stem in order if stem in found]
        for entry in entries:
            assert bundle.read(entry) == (built_site / Path(entry).name).read_bytes(), entry
    sizes = {p.name: p.stat().st_size for p in [*built_site.glob("*.ipynb"), built_site / notebooks.ZIP]}
    print("sizes in bytes:", sizes)


def test_code_cells_are_the_pages_blocks_in_order_with_their_outputs(built_site):
    """The code cells of each notebook are the page's live blocks, in page order, with the same text
    (a define or step cell under its %% line), and a cell carries an output exactly where the page
    shows an Output under the block, with that text. Catches a block dropped, duplicated or moved, a
    snippet left unresolved, and an Output lost or attached to the wrong cell."""
    for name, nb in notebooks_of(built_site).items():
        blocks = page_blocks((built_site / f"{name}.html").read_text(encoding="utf-8"))
        cells = code_cells(nb)
        assert [without_magic(c.source) for c in cells] == [code for code, _ in blocks], name
        assert [shown_output(c) for c in cells] == [output for _, output in blocks], name
        assert any(output for _, output in blocks) or name == "forward", f"{name}: no Output found"


def test_markdown_cells_speak_jupyter(built_site):
    """The prose cells hold nothing that only the site understands: no arithmatex \\( \\[ delimiters,
    no --8<-- or {{ }}, no md_in_html <div>, no link to a .md file; every figure is an attachment of its
    cell, and every in-page link has its <a id>. Catches maths that Jupyter would show raw, a snippet or
    a figure that the notebook cannot reach, and an anchor lost."""
    for name, nb in notebooks_of(built_site).items():
        prose = [cell for cell in nb.cells if cell.cell_type == "markdown"]
        text = "\n".join(cell.source for cell in prose)
        outside_code = re.sub(r"(`+).+?\1", "", re.sub(r"(?ms)^ *```.*?^ *```", "", text), flags=re.S)
        for raw in ("\\(", "\\[", "--8<--", "{{", "<div", "data-live"):
            assert raw not in outside_code, f"{name}: {raw!r} in a markdown cell"
        assert not re.search(r"\]\([^)#]*\.md[)#]", outside_code), f"{name}: a link to a .md file"
        anchors = set(re.findall(r'<a id="([^"]+)"></a>', text))
        for target in re.findall(r"\]\(#([^)]+)\)", outside_code):
            assert target in anchors, f"{name}: a link to #{target}, which no heading has"
        for cell in prose:
            for src in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", cell.source):
                assert src.startswith("attachment:") and src[11:] in cell.get("attachments", {}), (name, src)
        assert "$" in text, f"{name}: no maths at all"


# --- the notebooks, run -----------------------------------------------------------------------------

def lesson_function(file: str, name: str) -> tuple[int, str]:
    """(first line, source) of a top-level function of the repository's FILE, decorators included."""
    text = (ROOT / file).read_text(encoding="utf-8")
    node = next(n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef) and n.name == name)
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    return first, "\n".join(text.splitlines()[first - 1:node.end_lineno])


def fixed(nb):
    """The notebook with every planted bug fixed as a reader would: each planted define replaced by the
    lesson's own function of that name."""
    nb = copy.deepcopy(nb)
    for cell in code_cells(nb):
        if notebooks.planted(cell.source, ROOT):
            file = cell.source.split()[1]
            tree = ast.parse(without_magic(cell.source))
            names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
            parts = [lesson_function(file, name) for name in names]
            cell.source = f"%%define {file} {parts[0][0]}\n" + "\n\n\n".join(code for _, code in parts)
    return nb


def probe(nb):
    """A notebook of its first cell and the cells that try %%define, %%step and running the first cell
    again (each said in its comment). From a notebook with a %%step cell and the check under it."""
    step = next(c.source.partition("\n")[0] for c in code_cells(nb)
                if c.source.startswith("%%step") and "# (1)" in c.source)
    check = next(c.source for c in code_cells(nb) if "gradient_check" in c.source and c.outputs)
    sigmoid_line = lesson_function("mlp.py", "sigmoid")[0]
    cells = [nb.cells[1]] + [nbformat.v4.new_code_cell(source) for source in [
        "import mlp\nimport numpy as np\nprint(mlp.output(np.zeros((1, 1))).item())  # the lesson's: 0.5",
        f"%%define mlp.py {sigmoid_line}\ndef sigmoid(z):\n    return z * 0 + 0.25",
        "print(mlp.output(np.zeros((1, 1))).item())  # output() calls mlp's sigmoid, now 0.25",
        f"{step}\ndz2 = 2 * (y_hat - y)  # step (1), doubled",
        check,  # the check of the page: dz2 is now the first wrong step
        f"%%define mlp.py {sigmoid_line}\ndef sigmoid(z):\n    return (",  # a syntax error
        nb.cells[1].source,  # the first cell again: the lesson's code back
        "import mlp\nprint(mlp.output(np.zeros((1, 1))).item())\n" + check,
        "print(mlp.__file__)",
    ]]
    cells[6].metadata["tags"] = ["raises-exception"]
    return nbformat.v4.new_notebook(cells=cells, metadata=nb.metadata)


@pytest.fixture(scope="session")
def notebook_runs(built_site, tmp_path_factory):
    """Every notebook of the site run top to bottom in a fresh kernel, in an empty folder of its own,
    all at once; with the practice notebook also run with its planted bugs fixed, and the probe of the
    magics. {name: (executed notebook, its folder, the ids of its cells that failed)}; the times are
    printed."""
    found = notebooks_of(built_site)
    runs = {**found, **{f"{name} fixed": fixed(nb) for name, nb in found.items()
                        if any(notebooks.planted(c.source, ROOT) for c in code_cells(nb))},
            "probe": probe(found["backprop"])}
    folder = tmp_path_factory.mktemp("notebook-runs")
    times, failed = {}, {name: [] for name in runs}

    async def run(name, nb):
        where = folder / name.replace(" ", "-")
        where.mkdir()
        start = time.perf_counter()
        await NotebookClient(nb, timeout=KERNEL_TIMEOUT, kernel_name="python3",
                             resources={"metadata": {"path": str(where)}},
                             on_cell_error=lambda cell, **_: failed[name].append(cell.id),
                             ).async_execute()
        times[name] = round(time.perf_counter() - start, 1)

    async def run_all():
        await asyncio.gather(*(run(name, nb) for name, nb in runs.items()))

    start = time.perf_counter()
    asyncio.run(run_all())
    print(f"notebooks run in {time.perf_counter() - start:.1f} s, all at once; each: {times}")
    return {name: (nb, folder / name.replace(" ", "-"), failed[name]) for name, nb in runs.items()}


def test_every_notebook_runs_and_prints_what_the_page_shows(built_site, notebook_runs):
    """Each notebook runs top to bottom in a fresh kernel with nothing but itself in its folder (nbclient
    stops at any error outside a cell tagged raises-exception), writes nothing to stderr, and each cell
    for which the page shows an Output prints exactly that. With a planted bug in place, the check under
    it must NOT print the page's Output (the all-correct one): the bug shows; with the bugs fixed as a
    reader would, it prints it. Catches a notebook that needs a file it does not carry, a define that
    does not reach the module, an Output that is no longer true, and a planted bug the check misses."""
    for name, expected in notebooks_of(built_site).items():
        runs = [(name, False), *([(f"{name} fixed", True)] if f"{name} fixed" in notebook_runs else [])]
        for run, bugs_fixed in runs:
            executed = code_cells(notebook_runs[run][0])
            for before, after in zip(code_cells(expected), executed, strict=True):
                tagged = "raises-exception" in before.metadata.get("tags", [])
                assert tagged or after.id not in notebook_runs[run][2], (run, after.source)
                printed = "".join(o.text for o in after.outputs if o.get("name") == "stdout")
                assert tagged or not any(o.get("name") == "stderr" or o.output_type == "error"
                                         for o in after.outputs), (run, after.source, after.outputs)
                if shown_output(before) is None:
                    continue
                if tagged and not bugs_fixed:
                    assert printed != shown_output(before), f"{run}: a planted bug does not show:\n{printed}"
                else:
                    assert printed == shown_output(before), f"{run}:\n{after.source}\nprinted\n{printed}"


def test_first_cell_writes_the_repositorys_files_and_the_notebook_imports_them(built_site, notebook_runs):
    """The first cell writes course/mlp.py and the rest byte for byte as the repository has them, and the
    notebook's `mlp` is that file (not one found elsewhere on the machine). Catches a literal that
    changes the text (an escape, a line ending) and a run that passed only thanks to the repository."""
    nb, folder, _ = notebook_runs["probe"]
    imported = Path(code_cells(nb)[-1].outputs[0].text.strip())
    assert imported == (folder / notebooks.FOLDER / "mlp.py").resolve(), imported
    for name, (_, where, _) in notebook_runs.items():
        course = where / notebooks.FOLDER
        written = sorted(p.relative_to(course).as_posix() for p in course.rglob("*")
                         if p.is_file() and "__pycache__" not in p.parts)
        assert {"mlp.py", "checks.py", "LICENSE"} <= set(written), (name, written)
        for file in written:
            source = ROOT / (notebooks.LIVE_RUNNER if file == "live_runner.py" else file)
            assert (course / file).read_bytes() == source.read_bytes(), (name, file)


def test_define_and_step_cells_replace_the_lessons_code_and_the_first_cell_puts_it_back(notebook_runs):
    """%%define runs a cell inside module mlp (mlp.output then calls the new sigmoid), %%step rebuilds
    backward_two_layer with one line changed (the check then finds dz2 the first wrong step), an error in
    a %%define cell stops the cell with its traceback at mlp.py's line, and running the first cell again
    gives the lesson's code back. Both sides of each: before and after."""
    cells = code_cells(notebook_runs["probe"][0])
    printed = ["".join(o.get("text", "") for o in cell.outputs) for cell in cells]
    assert printed[0].strip() == "0.5" and printed[2].strip() == "0.25", printed[:3]
    assert printed[1].strip() == "mlp.sigmoid now runs this code", printed[1]
    assert "mlp.backward_two_layer now runs your edit of line" in printed[3], printed[3]
    verdicts = re.findall(r"^ *(d\w+) +(correct|uncomfortable|wrong)", printed[4], re.MULTILINE)
    assert verdicts[0] == ("dz2", "wrong"), printed[4]
    assert notebook_runs["probe"][2] == [cells[5].id], "not only the cell with the syntax error failed"
    assert re.search(r'"<course/mlp\.py, .*>", line \d+', printed[5]), printed[5]
    assert "SyntaxError" in printed[5], printed[5]
    assert "UsageError: this cell did not run" in printed[5], printed[5]
    assert printed[7].startswith("0.5\n") and "correct" in printed[7], printed[7]
    assert "wrong" not in printed[7], printed[7]


# --- the generator on made-up pages: by rule, not by a list -------------------------------------------

EXAMPLE = '```{.python data-live="example"}\nprint(6 * 7)\n```\n\n```text title="Output"\n42\n```\n'


def test_a_new_page_with_live_blocks_gets_its_notebook(tmp_path):
    """A page that nobody listed, with one example and its Output, gets NAME.ipynb and a place in the zip;
    a page without live blocks gets neither. Catches a generator that works from a fixed list."""
    pages = {}
    notebooks.add_page(f"# New\n\nSome prose.\n\n{EXAMPLE}", "new.md", pages)
    notebooks.add_page("# Plain\n\nNo code.\n", "plain.md", pages)
    written = notebooks.write_notebooks(pages, ROOT, tmp_path, ["plain.md", "new.md"])
    assert [p.name for p in written] == ["new.ipynb", notebooks.ZIP]
    nb = nbformat.read(tmp_path / "new.ipynb", as_version=4)
    nbformat.validate(nb)
    assert nb.cells[0].source.startswith("# New") and code_cells(nb)[0].source == "print(6 * 7)"
    assert shown_output(code_cells(nb)[0]) == "42\n"
    assert zipfile.ZipFile(tmp_path / notebooks.ZIP).namelist() == [f"{notebooks.ZIP_FOLDER}/new.ipynb"]


def test_link_goes_under_the_heading_of_the_first_block_or_at_its_token():
    """Without `{{ notebook }}`, the link goes just under the heading of the section of the first live
    block (not inside its <div> grid); with it, where it stands. A token on a page without live blocks,
    or twice, is an error; a page without live blocks is left as it is."""
    page = (f'# T\n\n## A\n\nText.\n\n## B {{#b}}\n\nMore.\n\n'
            f'<div class="maths-code" markdown>\n\n{EXAMPLE}\n</div>\n')
    lines = notebooks.add_page(page, "t.md", {}).split("\n")
    link = next(i for i, line in enumerate(lines) if "notebook-download" in line)
    assert lines[link - 2] == "## B {#b}" and 'href="t.ipynb"' in lines[link], lines
    with_token = notebooks.add_page(f"# T\n\n!!! tip\n    {{{{ notebook }}}}\n\n{EXAMPLE}", "t.md", {})
    assert re.search(r"!!! tip\n    <a class=\"notebook-download\"", with_token), with_token
    assert notebooks.add_page("# T\n\nNo code.\n", "t.md", {}) == "# T\n\nNo code.\n"
    for bad in ("# T\n\n{{ notebook }}\n", f"# T\n\n{{{{ notebook }}}}\n\n{{{{ notebook }}}}\n\n{EXAMPLE}"):
        with pytest.raises(ValueError, match="notebook"):
            notebooks.add_page(bad, "t.md", {})


def test_maths_admonitions_and_figures_become_jupyters_markdown():
    """arithmatex's \\( \\) and \\[ \\] become $ and $$ (inline maths on one line), while code spans and
    fences keep theirs; `!!!` becomes a <blockquote> closed before a code cell and opened again after
    it, `???` a folded <details>; a figure becomes an attachment, alt text kept; a link to another page
    goes to its notebook, or to the site's page. Catches the conversions one by one."""
    page = ("# T\n\nSee \\(a +\n    b\\) and `\\(x\\)`, \\[y\\].\n\n```python\nprint('\\(z\\)')\n```\n\n"
            '!!! warning "Mind \\(n\\)"\n    Before.\n\n    ' + EXAMPLE.replace("\n", "\n    ")
            + "\n    After.\n\n"
            '??? success "Solution"\n    Folded.\n\n'
            "[![A loss curve](visualizations/loss_curve.png)](visualizations/loss_curve.png) "
            "[there](backprop.md#step-1), [problem](problem.md), [here](#t)\n")
    nb = notebooks.notebook(page, ROOT, {"backprop.md"})
    text = [("".join(c["source"]), c["cell_type"]) for c in nb["cells"][2:]]
    prose = "\n".join(t for t, kind in text if kind == "markdown")
    assert "See $a + b$ and `\\(x\\)`, $$y$$." in prose and "print('\\(z\\)')" in prose, prose
    assert [kind for _, kind in text] == ["markdown", "code", "markdown"], text
    assert text[0][0].endswith("Before.\n\n</blockquote>") and "**Mind $n$**" in text[0][0], text[0][0]
    assert text[2][0].startswith("<blockquote>\n\n**Mind $n$ (continued)**\n\nAfter."), text[2][0]
    assert "<details>\n<summary>Solution</summary>\n\nFolded.\n\n</details>" in prose, prose
    assert "![A loss curve](attachment:loss_curve.png) [there](backprop.ipynb#step-1)" in prose, prose
    assert "[problem](problem.html)" in prose and "[here](#t)" in prose, prose
    assert nb["cells"][-1]["attachments"]["loss_curve.png"]["image/png"], "the figure is not attached"
    on_the_site = notebooks.notebook(page, ROOT, set(), site_url="https://example.org/nn/")
    assert "[there](https://example.org/nn/backprop.html#step-1)" in json.dumps(on_the_site)
    with pytest.raises(ValueError, match="unknown kind"):
        notebooks.notebook('# T\n\n```{.python data-live="run"}\nx\n```\n', ROOT)


def test_first_cell_carries_only_what_the_code_imports():
    """The files of a notebook are the closure of its imports over the live files: zoo brings mlp,
    diagnosis and checks; datasets brings the digits and their README (attribution); numpy alone brings
    only the LICENSE; a %% cell brings live_runner.py. And each text survives as a Python literal,
    quotes and backslashes included."""
    assert list(notebooks.project_files(ROOT, ["import zoo"])) == [
        "mlp.py", "checks.py", "zoo.py", "diagnosis.py", "LICENSE"]
    assert {"data/digits.csv.gz", "data/README.md"} <= set(notebooks.project_files(ROOT, ["import datasets"]))
    assert list(notebooks.project_files(ROOT, ["import numpy as np"])) == ["LICENSE"]
    assert "live_runner.py" in notebooks.project_files(ROOT, ["%%define mlp.py 1\nx = 1"])
    for text in ["a ''' b", 'a """ b \'\'\'', "ends with \\", "\\n is not a newline\r\n"]:
        assert ast.literal_eval(notebooks._literal(text)) == text, text


# --- the link in a browser --------------------------------------------------------------------------

# Focus what comes just before the link in the order of Tab (what is shown and focusable).
FOCUS_THE_ONE_BEFORE = """link => {
  const focusable = [...document.querySelectorAll("a[href], button, input, select, textarea, [tabindex]")]
    .filter((el) => el.tabIndex >= 0 && !el.disabled && el.checkVisibility());
  focusable[focusable.indexOf(link) - 1].focus();
}"""


@pytest.mark.browser
def test_notebook_link_is_an_accessible_download(built_site):
    """On the backprop page, at 1280 and 390 px: the link's accessible name says what it does, it is
    underlined, Tab moves to it from what comes before it (and shows an outline), and Enter downloads
    the notebook under its name. Catches a link that only colour marks, one the keyboard skips, and one
    that opens the JSON in the tab instead."""
    with test_site.serve(built_site) as base_url, test_site.chromium() as browser:
        from playwright.sync_api import expect  # (once chromium() has found Playwright)

        page = browser.new_context(accept_downloads=True).new_page()
        page.goto(base_url + "backprop.html")
        # (Material's instant navigation makes every href absolute: found by its end.)
        link = page.locator('a.notebook-download[href$="/backprop.ipynb"]')
        for layout, viewport in test_site.VIEWPORTS.items():  # one page, resized (as test_site does)
            page.set_viewport_size(viewport)
            expect(link).to_have_accessible_name("Download this page as a notebook")
            assert link.evaluate("a => getComputedStyle(a).textDecorationLine") == "underline", layout
            link.evaluate(FOCUS_THE_ONE_BEFORE)
            page.keyboard.press("Tab")
            assert link.evaluate("a => a === document.activeElement"), f"({layout}) Tab skips the link"
            assert link.evaluate("a => getComputedStyle(a).outlineStyle") != "none", layout
            with page.expect_download() as download:
                page.keyboard.press("Enter")
            assert download.value.suggested_filename == "backprop.ipynb", layout

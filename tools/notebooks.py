"""Every page that runs code, as a Jupyter notebook, and the whole course as one zip: plain Python.

docs/hooks.py hands each page's Markdown to `add_page` as the hook leaves it: the blocks that run in
the page marked `data-live="example" | "define" | "step"`, with `data-file`, `data-line`,
`data-region` and `data-lines`, exactly as docs/assets/live/live-code.js reads them. At the end of
the build, `write_notebooks` turns every page that has such blocks into NAME.ipynb (nbformat 4.5)
beside NAME.html, and puts them all into notebooks.zip, under the same names (a link from one to
another works in the unzipped folder), in the order of the navigation.

A page's notebook, in the page's order:

- a markdown cell: the page's title, and how to use the notebook;
- the first code cell, collapsed (`metadata.jupyter.source_hidden`, and a Colab form): it writes
  the files that the notebook's code imports (the closure of its imports over LIVE_FILES, the data
  files those modules read, with their folder's README, the LICENSE, and live_runner.py) into
  course/ beside the notebook, from the repository's own text, and puts that folder first on
  sys.path. It also registers two cell magics that do what Run does on the page, through the page's
  own live_runner.py: `%%define FILE LINE` runs the cell inside the module (mlp.py: `mlp`), so that
  it replaces the lesson's function there, and `%%step FILE REGION LINE N` puts the cell in place
  of lines LINE..LINE+N-1 of REGION and runs the region so. Running the cell again puts the
  lesson's code back. Nothing is downloaded, in Jupyter, JupyterLite or Colab;
- the prose as markdown cells: snippets resolved (pymdownx.snippets, as the site does), arithmatex's
  \\( \\) and \\[ \\] as $ and $$, admonitions as <blockquote> (or <details>, folded, for ???),
  an anchor for every heading so that the page's own links work, links to another page pointing at
  its notebook (or at the site, when mkdocs.yml has a site_url), and figures embedded as cell
  attachments;
- every live block as a code cell: an example as it is, a "define" under `%%define`, a "step" under
  `%%step`; the Output the page shows under a block is that cell's output, as it would be once run.

Where the link goes: where `{{ notebook }}` stands alone on a line of the page, or else just under the
heading of the section that holds the first live block.

Without MkDocs building anything: `python tools/notebooks.py OUT_DIR` reads mkdocs.yml, applies
docs/hooks.py's page transformations itself (so the mkdocs package must be installed) and writes
the notebooks and the zip into OUT_DIR.
"""

from __future__ import annotations

import ast
import base64
import importlib.util
import io
import json
import re
import sys
import textwrap
import zipfile
from pathlib import Path
from urllib.parse import urlsplit


def _load(path: Path):
    """The module of the Python file at `path`, loaded from its path as docs/hooks.py loads this file
    (a build does not put the repository on sys.path)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_live_files = _load(Path(__file__).with_name("live_files.py"))
LIVE_FILES = _live_files.LIVE_FILES  # the files that the page's Python gets, and a notebook may need
LAB_FILES = _live_files.FIGURE_FILES  # and the lab's, which it gets for a block that draws
ZIP = "notebooks.zip"
ZIP_FOLDER = "notebooks"  # the folder inside the zip
FOLDER = "course"  # where a notebook's first cell writes the files, beside the notebook
LIVE_RUNNER = "docs/assets/live/live_runner.py"  # what Run does on the page; %%define and %%step call it
LICENSE = "LICENSE"
LINK_CLASS = "notebook-download"  # underlined and focus-ringed as every link (a11y.css)
LINK_TOKEN = re.compile(r"^(?P<indent>[ \t]*)\{\{[ \t]*notebook[ \t]*\}\}[ \t]*$", re.MULTILINE)
# Any fenced block, possibly indented (the pattern of docs/hooks.py and test_site.py).
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)\n"
                   r"(?P<body>.*?)\n(?P=indent)(?P=fence)[ \t]*$", re.MULTILINE | re.DOTALL)
FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
ADMONITION = re.compile(r'^(?P<indent>[ \t]*)(?P<mark>!!!|\?\?\?\+?)[ \t]+(?P<type>[-\w]+)'
                        r'(?:[ \t]+"(?P<title>[^"]*)")?[ \t]*$')
DIV = re.compile(r"^[ \t]*</?div\b[^>]*>[ \t]*$")  # md_in_html's wrappers: the notebook drops them
HEADING = re.compile(r"^(?P<hashes>#{1,6})[ \t]+(?P<text>.*?)"
                     r"(?:[ \t]+\{[^}]*?#(?P<id>[-\w]+)[^}]*\})?[ \t]*$")  # ## Title {#id}
ATTRIBUTE = re.compile(r'([-\w]+)="([^"]*)"')
OUTPUT_TITLE = 'title="Output"'
KINDS = ("example", "define", "step")
# In prose: a code span (left alone), arithmatex's inline \( \) and display \[ \].
PROSE = re.compile(r"(?P<code>(?P<ticks>`+).+?(?P=ticks))|\\\((?P<inline>.+?)\\\)|\\\[(?P<display>.+?)\\\]",
                   re.DOTALL)
IMAGE = re.compile(r"(?P<link>\[)?!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)\)(?(link)\]\([^)\s]+\))")
LINK_TARGET = re.compile(r"\]\((?P<target>[^)\s]+)\)")
MIME = {".png": "image/png", ".gif": "image/gif", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
        ".svg": "image/svg+xml"}


# --- the page: its link, and its Markdown kept for the end of the build ----------------------------

def has_live_blocks(markdown: str) -> bool:
    return any("data-live=" in m["info"] for m in FENCE.finditer(markdown))


def add_page(markdown: str, page: str, pages: dict[str, str]) -> str:
    """Keep the page's Markdown in `pages` (without its `{{ notebook }}`), and return it with the link
    to its notebook, if it has live blocks. A `{{ notebook }}` on a page with none, or twice, raises
    ValueError."""
    tokens = LINK_TOKEN.findall(markdown)
    live = has_live_blocks(markdown)
    if len(tokens) > 1 or (tokens and not live):
        raise ValueError("{{ notebook }} stands once on a page whose code runs (blocks marked data-live); "
                         f"this page has it {len(tokens)} times and {'some' if live else 'no'} live blocks")
    pages[page] = LINK_TOKEN.sub("", markdown)
    if not live:
        return markdown
    name = Path(page).with_suffix(".ipynb").name
    link = (f'<a class="{LINK_CLASS}" href="{name}" download>Download this page as a notebook</a> '
            f'(.ipynb, for Jupyter, JupyterLite or Colab), or '
            f'<a class="{LINK_CLASS}" href="{ZIP}" download>every page as notebooks (.zip)</a>.')
    if tokens:
        return LINK_TOKEN.sub(lambda m: m["indent"] + link, markdown)
    lines = markdown.split("\n")
    first = markdown.count("\n", 0, next(m.start() for m in FENCE.finditer(markdown)
                                         if "data-live=" in m["info"]))
    at = _section_start(lines, first)
    return "\n".join(lines[:at] + ["", link, ""] + lines[at:])


def _section_start(lines: list[str], index: int) -> int:
    """Where the section that holds line `index` starts: just under its heading (outside any fence and
    <div>), or, before any heading, at the top-level block (paragraph, admonition, <div>) holding it."""
    depth, heading, block, number = 0, None, index, 0
    while number <= index:
        line = lines[number]
        if depth == 0 and HEADING.match(line):
            heading = number
        if line[:1].strip() and depth == 0 and (number == 0 or not lines[number - 1].strip()):
            block = number
        if FENCE_OPEN.match(line):
            number = _fence_end(lines, number)  # its lines are code
        elif DIV.match(line):
            depth += -1 if line.strip().startswith("</") else 1
        number += 1
    return heading + 1 if heading is not None else block


def _fence_end(lines: list[str], start: int) -> int:
    """The index of the line that closes the fence opened at lines[start]."""
    opening = FENCE_OPEN.match(lines[start])
    end = next((j for j in range(start + 1, len(lines))
                if lines[j].strip() == opening["fence"] and lines[j].startswith(opening["indent"])), None)
    if end is None:
        raise ValueError(f"a fence that is never closed: {lines[start].strip()!r}")
    return end


# --- the page as cells ------------------------------------------------------------------------------

def resolve_snippets(markdown: str, root: Path) -> str:
    """The page with every --8<-- resolved by pymdownx.snippets itself, from the repository root, as the
    site's build does (a missing file or section raises)."""
    import markdown as markdown_package  # the site's own Markdown and pymdownx: no MkDocs

    md = markdown_package.Markdown(extensions=["pymdownx.snippets"], extension_configs={
        "pymdownx.snippets": {"base_path": [str(root)], "check_paths": True}})
    return "\n".join(md.preprocessors["snippet"].run(markdown.split("\n")))


def _items(markdown: str):
    """The page, line by line, as ("open" | "close", admonition), ("line", text, verbatim),
    ("code", source), ("output", text): admonitions' content dedented, <div> lines dropped."""
    lines, stack, i = markdown.split("\n"), [], 0
    while i < len(lines):
        line = lines[i]
        indent = len(line) - len(line.lstrip()) if line.strip() else None
        while stack and indent is not None and indent < stack[-1]["indent"]:
            yield "close", stack.pop()
        cut = stack[-1]["indent"] if stack else 0
        opening, admonition = FENCE_OPEN.match(line), ADMONITION.match(line)
        if opening:
            end = _fence_end(lines, i)
            body = "\n".join(row[len(opening["indent"]):] for row in lines[i + 1:end])
            info = opening["info"].strip()
            if "data-live=" in info:
                yield "code", _code_cell_source(info, body)
            elif OUTPUT_TITLE in info:
                yield "output", body + "\n"
            else:
                yield from (("line", row[cut:], True) for row in _markdown_fence(lines[i:end + 1], info))
            i = end + 1
            continue
        if admonition:
            mark, kind = admonition["mark"], admonition["type"]
            stack.append({"indent": len(admonition["indent"]) + 4, "folded": mark.startswith("???"),
                          "open": mark == "???+", "title": admonition["title"] or kind.capitalize()})
            yield "open", stack[-1]
        elif not DIV.match(line):
            yield "line", line[cut:], False
        i += 1
    while stack:
        yield "close", stack.pop()


def _markdown_fence(lines: list[str], info: str) -> list[str]:
    """A fence that does not run, as plain Markdown: ```LANGUAGE, its title above it in italics."""
    opening = FENCE_OPEN.match(lines[0])
    language = re.match(r"\{?\s*\.?([\w-]*)", info)[1]
    title = re.search(r'title="([^"]*)"', info)
    head = [f"{opening['indent']}*{title[1]}*", ""] if title else []
    return head + [opening["indent"] + opening["fence"] + language, *lines[1:]]


def _code_cell_source(info: str, body: str) -> str:
    """A live block's code, with the magic line that does what Run does for its kind."""
    attributes = dict(ATTRIBUTE.findall(info))
    kind = attributes.get("data-live")
    code = body.rstrip("\n")
    if kind == "example":
        return code
    if kind == "define":
        return f"%%define {attributes['data-file']} {attributes.get('data-line', 1)}\n{code}"
    if kind == "step":
        return (f"%%step {attributes['data-file']} {attributes['data-region']} {attributes['data-line']} "
                f"{attributes.get('data-lines', 1)}\n{code}")
    raise ValueError(f"a live block of an unknown kind {kind!r} (expected one of {', '.join(KINDS)}): {info}")


def _cells(markdown: str) -> list[dict]:
    """The page's cells: markdown between the code cells (split at headings outside admonitions),
    each admonition closed at a code cell and opened again after it."""
    cells, text, open_now, stack = [], [], [], []

    def flush():
        for admonition in reversed(open_now):
            text.extend(["", _close_tag(admonition), ""])
        open_now.clear()
        source = re.sub(r"\n{3,}", "\n\n", "\n".join(text)).strip("\n")
        if source.strip():
            cells.append({"cell_type": "markdown", "source": source})
        text.clear()

    for item in _items(markdown):
        kind = item[0]
        if kind == "open":
            stack.append(item[1])
            open_now.append(item[1])
            text.extend(["", *_open_tags(item[1], again=False), ""])
        elif kind == "close":
            stack.pop()
            if item[1] in open_now:
                open_now.remove(item[1])
                text.extend(["", _close_tag(item[1]), ""])
        elif kind == "line":
            line, verbatim = item[1], item[2]
            if not verbatim and not stack and HEADING.match(line) and any(t.strip() for t in text):
                flush()
            if line.strip() and len(open_now) < len(stack):
                for admonition in stack[len(open_now):]:
                    open_now.append(admonition)
                    text.extend(["", *_open_tags(admonition, again=True), ""])
            text.append(line if verbatim else _heading_anchor(line))
        elif kind == "code":
            flush()
            cells.append({"cell_type": "code", "source": item[1], "outputs": []})
        elif kind == "output":
            if cells and cells[-1]["cell_type"] == "code" and not any(t.strip() for t in text):
                cells[-1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": item[1]}]
            else:
                text.extend(["```text", item[1].rstrip("\n"), "```"])
    flush()
    return cells


def planted(source: str, root: Path) -> bool:
    """Whether a `%%define FILE LINE` cell holds other code than FILE's own lines from LINE on (a bug of
    the zoo, planted for the reader to fix)."""
    head, _, code = source.partition("\n")
    if not head.startswith("%%define"):
        return False
    _, file, first = head.split()[:3]
    lines = (root / file).read_text(encoding="utf-8").split("\n")[int(first) - 1:]
    return code.split("\n") != lines[:len(code.split("\n"))]


def _tag_checks_of_planted_code(cells: list[dict], root: Path) -> None:
    """Tag `raises-exception` the examples that follow a planted define directly, with no prose between:
    with the bug in place, the check under it may stop at the door (a gradient of the wrong shape), and
    Run All (JupyterLab's, nbclient's) then goes on to the next exercise. Prose ends the exercise."""
    after_planted = False
    for cell in cells:
        if cell["cell_type"] != "code":
            after_planted = False
        elif cell["source"].startswith("%%"):
            after_planted = planted(cell["source"], root)
        elif after_planted:
            cell["metadata"] = {"tags": ["raises-exception"]}


def _open_tags(admonition: dict, again: bool) -> list[str]:
    title = admonition["title"] + (" (continued)" if again else "")
    if admonition["folded"]:
        return [f"<details{' open' if admonition['open'] else ''}>", f"<summary>{title}</summary>"]
    return ["<blockquote>", "", f"**{title}**"]


def _close_tag(admonition: dict) -> str:
    return "</details>" if admonition["folded"] else "</blockquote>"


def _heading_anchor(line: str) -> str:
    """A heading keeps its id (`{#id}`, or the slug the site's table of contents gives it) as an
    <a id> in the notebook, so that the page's links to its sections still work."""
    heading = HEADING.match(line)
    if not heading:
        return line
    from markdown.extensions.toc import slugify  # the site's own slugs

    anchor = heading["id"] or slugify(re.sub(r"[`*]", "", heading["text"]), "-")
    return f'{heading["hashes"]} <a id="{anchor}"></a>{heading["text"]}'


def _prose(source: str, convert) -> str:
    """`convert` applied to the prose of a markdown cell, not to its fenced code."""
    parts, last = [], 0
    for fence in FENCE.finditer(source):
        parts += [convert(source[last:fence.start()]), fence[0]]
        last = fence.end()
    return "".join(parts + [convert(source[last:])])


def _maths(text: str) -> str:
    """arithmatex's \\( \\) and \\[ \\] as Jupyter's $ and $$ (inline maths on one line); code spans
    and the $$ blocks that the pages already write are left as they are."""
    def one(match: re.Match) -> str:
        if match["code"]:
            return match[0]
        if match["inline"] is not None:
            return "$" + " ".join(match["inline"].split()) + "$"
        return "$$" + match["display"] + "$$"

    return PROSE.sub(one, text)


class _Links:
    """Rewrites a markdown cell's images and links for a notebook: a figure becomes an attachment of
    the cell (alt text kept, the link around it dropped), a link to a page goes to that page's
    notebook (or to the site, given its address), an anchor of this page stays."""

    def __init__(self, root: Path, notebooks: set[str], site_url: str | None):
        self.root, self.notebooks, self.site_url = root, notebooks, site_url

    def __call__(self, cell: dict) -> None:
        attachments = {}

        def image(match: re.Match) -> str:
            src = match["src"]
            if urlsplit(src).scheme:
                return f"![{match['alt']}]({src})"
            path = next((p for p in (self.root / "docs" / src, self.root / src) if p.is_file()), None)
            if path is None or path.suffix.lower() not in MIME:
                raise ValueError(f"a figure that is not an image file of the repository: {src}")
            attachments[path.name] = {MIME[path.suffix.lower()]: base64.b64encode(path.read_bytes()).decode()}
            return f"![{match['alt']}](attachment:{path.name})"

        def convert(text: str) -> str:
            text = IMAGE.sub(image, text)
            return LINK_TARGET.sub(lambda m: f"]({self.target(m['target'])})", text)

        cell["source"] = _prose(cell["source"], lambda t: _outside_code(t, convert))
        if attachments:
            cell["attachments"] = attachments

    def target(self, target: str) -> str:
        if target.startswith("#") or target.startswith("attachment:") or urlsplit(target).scheme:
            return target
        path, _, anchor = target.partition("#")
        anchor = "#" + anchor if anchor else ""
        if path.endswith(".md"):
            if self.site_url:
                return f"{self.site_url}{path[:-3]}.html{anchor}"
            if path in self.notebooks:
                return f"{Path(path).stem}.ipynb{anchor}"
            return f"{path[:-3]}.html{anchor}"
        return f"{self.site_url}{path}{anchor}" if self.site_url else target


def _outside_code(text: str, convert) -> str:
    """`convert` applied to the text between inline code spans."""
    parts, last = [], 0
    for span in re.finditer(r"(`+).+?\1", text, re.DOTALL):
        parts += [convert(text[last:span.start()]), span[0]]
        last = span.end()
    return "".join(parts + [convert(text[last:])])


# --- the first cell: the files, and the two cell magics -------------------------------------------

SETUP = '''\
# @title The course's files: run this cell first
# It writes the files that this notebook imports into the folder {folder}/ beside the notebook,
# as the site's build took them from the repository, and puts that folder first on sys.path:
{names}
# Nothing is downloaded. Run again, it writes them again and forgets the functions
# that you replaced (your text stays in the cells). The code is under the MIT licence
# ({folder}/LICENSE). It also defines the cell magics of the page's quoted code:
#   %%define FILE LINE        runs the cell inside module FILE (mlp.py: mlp), replacing
#                             the lesson's function there, as Run does on the page;
#   %%step FILE REGION LINE N puts the cell in place of lines LINE..LINE+N-1 of REGION
#                             in FILE and runs the region as %%define does.
# Both run through live_runner.py, the code that runs the blocks in the page.
import base64 as _base64
import importlib as _importlib
import os as _os
import pathlib as _pathlib
import sys as _sys

_TEXT = {{
{text}
}}
_BINARY = {{
{binary}
}}


def _setup(folder=_pathlib.Path("{folder}").resolve()):
    for name, content in [*_TEXT.items(), *_BINARY.items()]:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name in _BINARY:
            path.write_bytes(_base64.b64decode(content))
        else:
            path.write_text(content, encoding="utf-8")
    if str(folder) not in _sys.path:
        _sys.path.insert(0, str(folder))
    for name in _TEXT:  # imported again from the files just written
        _sys.modules.pop(name.removesuffix(".py"), None)
    _importlib.invalidate_caches()
    try:
        shell = get_ipython()  # noqa: F821  (IPython's: Jupyter, JupyterLite, Colab)
    except NameError:
        return  # plain Python has no cell magics

    def run(kind, cell, file, **where):
        from IPython.core.error import UsageError

        import live_runner

        status = live_runner.run(kind, cell, file=_os.path.relpath(folder / file), **where)
        if status == "error":  # its traceback is above, at the file's line numbers
            raise UsageError("this cell did not run: see the error above")
        print(status)

    def define(line, cell):
        """%%define FILE LINE: run the cell in module FILE, replacing its functions."""
        file, first = line.split()[:2]
        run("define", cell, file, line=first)

    def step(line, cell):
        """%%step FILE REGION LINE N: the cell replaces lines LINE.. of REGION."""
        file, region, first, count = line.split()[:4]
        run("step", cell, file, region=region, line=first, lines=count)

    shell.register_magic_function(define, "cell")
    shell.register_magic_function(step, "cell")


_setup()
del _setup, _TEXT, _BINARY
'''


def project_files(root: Path, code: list[str]) -> dict[str, bytes]:
    """{path in the course folder: bytes}: the modules of LIVE_FILES that `code` imports, and theirs;
    the lab's files (LAB_FILES) that it imports, and theirs (a lesson's module that imports the lab,
    as mlp.py does for `python mlp.py`, brings nothing of it); the data files that those modules
    name, with their folder's README; live_runner.py if a cell runs through it; and the LICENSE."""
    lesson = {Path(name).stem: name for name in LIVE_FILES if name.endswith(".py")}
    modules = {**lesson, **{Path(name).stem: name for name in LAB_FILES}}
    wanted = [name for source in code for name in _imports(source) if name in modules]
    wanted += [Path(source.split()[1]).stem for source in code if source.startswith("%%")]  # its FILE
    chosen = {}
    while wanted:
        name = wanted.pop()
        if name in modules and modules[name] not in chosen:
            chosen[modules[name]] = (root / modules[name]).read_bytes()
            wanted += [imported for imported in _imports(chosen[modules[name]].decode("utf-8"))
                       if name not in lesson or imported in lesson]
    texts = b"".join(chosen.values())
    for name in LIVE_FILES:
        if not name.endswith(".py") and Path(name).name.encode() in texts:
            chosen[name] = (root / name).read_bytes()
            readme = Path(name).parent / "README.md"
            if (root / readme).is_file():
                chosen[readme.as_posix()] = (root / readme).read_bytes()
    if any(source.startswith("%%") for source in code):
        chosen[Path(LIVE_RUNNER).name] = (root / LIVE_RUNNER).read_bytes()
    chosen[LICENSE] = (root / LICENSE).read_bytes()
    order = [*LIVE_FILES, "data/README.md", *LAB_FILES]  # the lesson first, then the door, ...
    return dict(sorted(chosen.items(), key=lambda item: (item[0] not in order, order.index(item[0])
                                                         if item[0] in order else 0)))


def _imports(source: str) -> list[str]:
    """The top-level names of the modules that `source` imports (a %% line is skipped)."""
    if source.startswith("%%"):
        source = source.partition("\n")[2]
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name.partition(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module.partition(".")[0])
    return names


def _literal(text: str) -> str:
    """`text` as a Python string literal that reads well: raw and triple-quoted where that keeps it
    exact, else repr."""
    for quote in ("'''", '"""'):
        literal = f"r{quote}{text}{quote}"
        try:
            if quote not in text and ast.literal_eval(literal) == text:
                return literal
        except SyntaxError:
            pass
    return repr(text)


def setup_source(files: dict[str, bytes]) -> str:
    text, binary = [], []
    for name, data in files.items():
        try:
            text.append(f"    {name!r}: {_literal(data.decode('utf-8'))},")
        except UnicodeDecodeError:
            encoded = base64.b64encode(data).decode()
            lines = "\n".join(encoded[i:i + 76] for i in range(0, len(encoded), 76))
            binary.append(f"    {name!r}: '''\n{lines}\n''',")
    names = textwrap.fill(", ".join(files), 96, initial_indent="#   ", subsequent_indent="#   ")
    return SETUP.format(folder=FOLDER, names=names, text="\n".join(text), binary="\n".join(binary))


# --- the notebook --------------------------------------------------------------------------------

def notebook(markdown: str, root: Path, notebooks: set[str] = frozenset(),
             site_url: str | None = None) -> dict:
    """The notebook (a dict in nbformat 4.5) of a page's Markdown as docs/hooks.py leaves it;
    `notebooks`: the pages that have one (links to them go to their notebooks)."""
    markdown = resolve_snippets(markdown, root)
    title = re.match(r"\s*#[ \t]+(.+?)(?:[ \t]+\{[^}]*\})?[ \t]*$", markdown, re.MULTILINE)
    if title:
        markdown = markdown[:title.start()] + markdown[title.end():]
    cells = _cells(markdown)
    _tag_checks_of_planted_code(cells, root)
    code = [cell["source"] for cell in cells if cell["cell_type"] == "code"]
    files = project_files(root, code)
    links = _Links(root, set(notebooks), site_url)
    for cell in cells:
        if cell["cell_type"] == "markdown":
            cell["source"] = _prose(cell["source"], lambda t: _outside_code(t, _maths))
            links(cell)
    heading = title[1] if title else "A page of the course"
    intro = {"cell_type": "markdown", "source": _introduction(heading, files, cells, site_url)}
    setup = {"cell_type": "code", "source": setup_source(files), "outputs": [],
             "metadata": {"jupyter": {"source_hidden": True}, "cellView": "form"}}
    cells = [intro, setup, *cells]
    for number, cell in enumerate(cells):
        cell["id"] = f"cell-{number}"
        cell.setdefault("metadata", {})
        cell["source"] = cell["source"].splitlines(keepends=True)
        if cell["cell_type"] == "code":
            cell["execution_count"] = None
            for output in cell["outputs"]:
                output["text"] = output["text"].splitlines(keepends=True)
    return {"cells": cells, "nbformat": 4, "nbformat_minor": 5, "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}}}


def _introduction(title: str, files: dict[str, bytes], cells: list[dict], site_url: str | None) -> str:
    """The first cell: the page's title, what the notebook is and how to use it."""
    code = [cell["source"] for cell in cells if cell["cell_type"] == "code"]
    names = ", ".join(f"`{name}`" for name in files if name.endswith(".py") and name != "live_runner.py")
    magics = []
    if any(source.startswith("%%define") for source in code):
        magics.append("A cell that starts with `%%define mlp.py` holds code quoted from that file: "
                      "running it runs the code inside the module `mlp`, so it replaces the lesson's "
                      "function there, and the cells below it (the lesson's own functions too) use yours.")
    if any(source.startswith("%%step") for source in code):
        magics.append("A cell that starts with `%%step` is one step of a function: running it rebuilds the "
                      "function with your line in place of the lesson's.")
    planted = ["After a planted bug, the check under it may stop with an error until you fix the bug: "
               "such a cell is tagged `raises-exception`, so that Run All goes on past it."
               ] if any("tags" in cell.get("metadata", {}) for cell in cells) else []
    links = (f"Links to other pages lead to the site, {site_url}." if site_url else
             "Links to another page open its notebook when the notebooks sit in one folder (as in the "
             f"course's zip, `{ZIP}`); a link to a page without code points at that page of the site "
             "(`problem.html`, ...), which opens only beside the built site.")
    return "\n\n".join([
        f"# {title}",
        f"*This page of **A neural network from scratch**, as a notebook, made from the page when the "
        f"site was built. Run the first cell first: it writes the course's files ({names}) into "
        f"`{FOLDER}/` beside this notebook, so that it runs on its own, in Jupyter, JupyterLite or Colab.*",
        " ".join(["Then run the cells in order as you read.", *magics,
                  "To get the lesson's code back, run the first cell again. Under a cell, an output is "
                  "what the page shows; running the cell replaces it with what your code prints. Where "
                  "the page speaks of the browser (**Run**, **Reset**, **Stop**, Pyodide), the notebook's "
                  "own commands do the same.", *planted]),
        links,
        "Text and figures: [CC BY 4.0](https://creativecommons.org/licenses/by/4.0/); code: MIT licence "
        f"(`{FOLDER}/LICENSE`).",
    ])


def dumps(nb: dict) -> str:
    """As nbformat writes a notebook: one-space indents, keys sorted, UTF-8 text."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def nav_pages(nav) -> list[str]:
    """The Markdown files of mkdocs.yml's `nav`, in its order."""
    if isinstance(nav, str):
        return [nav] if nav.endswith(".md") else []
    if isinstance(nav, dict):
        return [page for value in nav.values() for page in nav_pages(value)]
    if isinstance(nav, list):
        return [page for item in nav for page in nav_pages(item)]
    return []


def write_notebooks(pages: dict[str, str], root: Path, out: Path, order: list[str] = (),
                    site_url: str | None = None) -> list[Path]:
    """Write NAME.ipynb into `out` for each page of `pages` ({page: Markdown}) that has live blocks, and
    ZIP with all of them, in the order of `order` (the navigation); return the paths. A site_url
    on 127.0.0.1 or localhost is taken for a local one, and not used in links."""
    if site_url and urlsplit(site_url).hostname in ("127.0.0.1", "localhost"):
        site_url = None
    if site_url and not site_url.endswith("/"):
        site_url += "/"
    with_code = [page for page, markdown in pages.items() if has_live_blocks(markdown)]
    with_code.sort(key=lambda page: (order.index(page) if page in order else len(order), page))
    written, archive = [], io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for page in with_code:
            text = dumps(notebook(pages[page], root, set(with_code), site_url))
            path = Path(out) / Path(page).with_suffix(".ipynb")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
            entry = zipfile.ZipInfo(f"{ZIP_FOLDER}/{path.name}", date_time=(2026, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(entry, text)  # fixed dates: the same pages give the same bytes
    if written:
        (Path(out) / ZIP).write_bytes(archive.getvalue())
        written.append(Path(out) / ZIP)
    return written


def main(out: Path) -> list[Path]:
    """Without a build: mkdocs.yml's pages through docs/hooks.py's page transformations, into `out`."""
    from types import SimpleNamespace

    from mkdocs.config import load_config

    root = Path(__file__).resolve().parent.parent
    config = load_config(str(root / "mkdocs.yml"))
    hooks = _load(root / "docs" / "hooks.py")
    for page in nav_pages(config.nav):  # each page's Markdown goes to hooks.NOTEBOOK_PAGES
        markdown = (root / "docs" / page).read_text(encoding="utf-8")
        hooks.on_page_markdown(markdown, SimpleNamespace(file=SimpleNamespace(src_uri=page)), config, None)
    return write_notebooks(hooks.NOTEBOOK_PAGES, root, out, nav_pages(config.nav), config.site_url)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tools/notebooks.py OUT_DIR")
    for written in main(Path(sys.argv[1])):
        print(f"{written}  {written.stat().st_size:,} bytes")

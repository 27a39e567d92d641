"""MkDocs hooks for the site (registered under `hooks:` in mkdocs.yml).

1. Paths quoted with pymdownx.snippets (`--8<-- "mlp.py:backward"`) resolve from the
   repository root, wherever `mkdocs` is run from.
2. Every file of `visualizations/` (repo root) is published at `visualizations/NAME`
   in the site, so a page writes `![Loss curve](visualizations/loss_curve.png)`.
   Being ordinary site files, they take part in MkDocs' link check: a page that
   shows a figure that does not exist fails `mkdocs build --strict`.
3. A code block that quotes one named region and nothing else,

       ```python
       --8<-- "mlp.py:backward"
       ```

   is numbered with the region's own line numbers in mlp.py and titled "mlp.py"
   (unless the block already sets `linenums=` or `title=`).
4. `{{ api_reference }}` in a page is replaced by the signature and docstring of
   each name in mlp.py's `__all__`, read with `ast` (the module is never imported);
   `{{ api_reference:datasets.py }}` does the same for another module (its
   `__all__`, or else every public top-level function). A name without a
   docstring is shown as its source lines. A name in `__all__` that the module
   does not define fails the build.
5. `{{ step:N }}` (N = 1..7) on a line of its own is replaced by the line(s) of
   mlp.py's `backward_two_layer` region whose comment starts with the tag `(N)`
   (`# (N) ...`; a later "(2)" in a comment, as in "# (6) as (2)", is no tag), read
   at build time: one python block (class "backward-step") per run of consecutive
   lines, dedented, numbered with their line numbers in mlp.py and titled
   "mlp.py — step (N)". A step that no comment of the region tags fails the build.
6. Live code (docs/assets/live/): the blocks that the reader can edit and run in the page get a
   `data-live` attribute, which docs/assets/live/live-code.js reads:
   - "define" on a block that quotes a region of mlp.py or datasets.py (LIVE_SOURCES): Run
     defines its functions in that module of the page's Python session (data-file, and data-line,
     the region's first line, so that a traceback names the file's own line numbers);
   - "step" on each `{{ step:N }}` block: Run redefines the whole region (data-region) with the
     step's line(s) (data-line, data-lines) replaced by the edited text;
   - "example" on every runnable example (a python fence that quotes nothing and is not marked
     `.notest`, as test_site.examples finds them): Run runs it in the page's namespace; with
     `data-figure` when it draws (imports matplotlib or the lab: live_runner.draws, the same rule
     the page's Python follows), so that the page loads matplotlib once the block is in view.
   `{{ planted:SLUG }}` alone on a line is replaced by backward_two_layer with the bug zoo's bug
   SLUG planted (zoo.buggy_source, or experiments.BUGS until zoo.py exists), a "define" block of
   mlp.py: fix the line, Run, and the check below it runs the learner's version.
   Every build also checks the vendored Pyodide (tools/live_files.check_vendored: a changed file
   fails the build) and copies the repository's Python files that the page runs into the site
   (tools/live_files.copy_live_files). Both are plain functions, runnable without MkDocs.
7. Every page with live blocks as a notebook (tools/notebooks.py, plain Python): each page's Markdown,
   as the steps above leave it, is kept (NOTEBOOK_PAGES), and gets a "Download this page as a
   notebook" link, where `{{ notebook }}` stands alone on a line or else under the heading of the
   section of its first live block; at the end of the build, NAME.ipynb and notebooks.zip are
   written into the site.
8. A multi-panel figure (FIGURE_SLIDES) is served at 600 px and below as its single-panel slides
   (visualizations/slides/), through <picture>; under each data figure, a link to the table of its
   numbers beside it (docs/accessibility.md).
"""

from __future__ import annotations

import ast
import importlib.util
import io
import json
import re
import subprocess
import sys
import textwrap
import tokenize
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

API_TOKEN = "{{ api_reference }}"
# `{{ api_reference }}` (API_SOURCE) or `{{ api_reference:FILE.py }}`.
API_TOKENS = re.compile(r"\{\{[ \t]*api_reference(?:[ \t]*:[ \t]*(?P<path>[-_/.0-9A-Za-z]+\.py))?[ \t]*\}\}")
API_SOURCE = "mlp.py"
FIGURES = "visualizations"
# Files outside docs/ that pages quote or show; `mkdocs serve` rebuilds when they change.
WATCHED = ("mlp.py", "datasets.py", "experiments.py", "learning_journal.md", "experiments_log.md",
           FIGURES)
SIGNATURE_WIDTH = 88
STEP_REGION = "backward_two_layer"  # the region of mlp.py whose comments tag the steps (1) .. (7)
STEPS = range(1, 8)
STEP_CLASS = "backward-step"  # on each step block, for docs/assets/stylesheets/extra.css
LIVE_SOURCES = ("mlp.py", "datasets.py")  # a block quoting a region of these can be run in the page
PYODIDE_DIR = "docs/assets/pyodide"
LIVE_RUNNER = "docs/assets/live/live_runner.py"  # what Run does in the page
NOTEBOOK_PAGES: dict[str, str] = {}  # {page: its Markdown, as on_page_markdown leaves it}, for 7.
# `{{ planted:SLUG }}` alone on its line: backward_two_layer with the zoo's bug SLUG planted.
PLANTED_TOKEN = re.compile(
    r'^(?P<indent>[ \t]*)\{\{[ \t]*planted:[ \t]*(?P<slug>[-a-z0-9]+)[ \t]*\}\}[ \t]*$', re.MULTILINE)
# Any fenced block, possibly indented (the same pattern as test_site.FENCE).
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)\n"
                   r"(?P<body>.*?)\n(?P=indent)(?P=fence)[ \t]*$", re.MULTILINE | re.DOTALL)

# A fenced block whose only line quotes one named region: --8<-- "path:name".
QUOTED_REGION = re.compile(
    r'^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n`]*)\n'
    r'(?P=indent)-+8<-+[ \t]+"(?P<path>[^":\n]+):(?P<region>[A-Za-z][-_0-9A-Za-z]*)"[ \t]*\n'
    r'(?P=indent)(?P=fence)[ \t]*$',
    re.MULTILINE,
)
# `{{ step:N }}` alone on its line (indentation kept, so it also works inside a list or a <div>).
STEP_TOKEN = re.compile(r'^(?P<indent>[ \t]*)\{\{[ \t]*step:[ \t]*(?P<n>[^ \t}]*)[ \t]*\}\}[ \t]*$',
                        re.MULTILINE)
# A snippets section marker, e.g. `# --8<-- [start:backward]` (same grammar as pymdownx.snippets).
REGION_MARKER = re.compile(r'-+8<-+[ \t]+\[[ \t]*(start|end)[ \t]*:[ \t]*([A-Za-z][-_0-9A-Za-z]*)[ \t]*\]')


def _root(config: MkDocsConfig) -> Path:
    """The repository root: the folder that holds mkdocs.yml."""
    return Path(config.config_file_path).resolve().parent


# --- 1. snippets resolve from the repository root ----------------------------------------

def on_config(config: MkDocsConfig) -> MkDocsConfig:
    try:
        _tool(config, "live_files").check_vendored(_root(config) / PYODIDE_DIR)
    except ValueError as err:
        raise PluginError(str(err)) from None
    snippets = config.mdx_configs.get("pymdownx.snippets")
    if snippets is not None:
        bases = snippets.get("base_path", ["."])
        bases = [bases] if isinstance(bases, str) else bases
        snippets["base_path"] = [str(_root(config) / base) for base in bases]
    return config


# --- 2. figures from visualizations/ --------------------------------------------------------

def on_files(files: Files, config: MkDocsConfig) -> Files:
    root = _root(config)
    folder = root / FIGURES
    if not folder.is_dir():  # not generated yet: pages that show a figure fail the link check
        return files
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and not any(part.startswith(".") for part in rel.parts):
            files.append(File(rel.as_posix(), src_dir=str(root), dest_dir=config.site_dir,
                              use_directory_urls=config.use_directory_urls))
    return files


def on_post_build(config: MkDocsConfig) -> None:
    _tool(config, "live_files").copy_live_files(_root(config), Path(config.site_dir))
    notebooks = _tool(config, "notebooks")
    notebooks.write_notebooks(NOTEBOOK_PAGES, _root(config), Path(config.site_dir),
                              notebooks.nav_pages(config.nav), config.site_url)


def _tool(config: MkDocsConfig, name: str):
    """tools/NAME.py, loaded from its path (it is no package, and needs no MkDocs)."""
    return _load(_root(config) / "tools" / f"{name}.py")


def _load(path: Path):
    """The module of the Python file at `path`, loaded afresh."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def on_serve(server, config: MkDocsConfig, builder):
    live = _tool(config, "live_files")
    for name in (*WATCHED, *live.LIVE_FILES, *live.FIGURE_FILES, "tools"):  # the page runs these
        path = _root(config) / name
        if path.exists():
            server.watch(str(path))
    return server


# --- 3, 4 and 5. quoted regions, the API reference and the backward steps -----------------------

def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    root = _root(config)
    markdown = QUOTED_REGION.sub(lambda m: _number_quoted_region(m, root), markdown)
    markdown = STEP_TOKEN.sub(lambda m: _step_blocks(m, root / API_SOURCE, page), markdown)
    if re.search(r"\{\{[ \t]*step:", markdown):
        raise PluginError(f"{page.file.src_uri}: a {{{{ step:N }}}} must stand alone on its line")
    if PLANTED_TOKEN.search(markdown):
        sources = planted_sources(root)
        markdown = PLANTED_TOKEN.sub(lambda m: _planted_block(m, sources, root / API_SOURCE, page), markdown)
    if re.search(r"\{\{[ \t]*planted:", markdown):
        raise PluginError(f"{page.file.src_uri}: a {{{{ planted:SLUG }}}} must stand alone on its line")
    draws = _load(root / LIVE_RUNNER).draws
    markdown = FENCE.sub(lambda m: _mark_example(m, draws), markdown)
    markdown = API_TOKENS.sub(lambda m: api_reference(root / (m["path"] or API_SOURCE)), markdown)
    try:  # 7. kept for its notebook, with the link to it
        return _tool(config, "notebooks").add_page(markdown, page.file.src_uri, NOTEBOOK_PAGES)
    except ValueError as err:
        raise PluginError(f"{page.file.src_uri}: {err}") from None


def _number_quoted_region(match: re.Match, root: Path) -> str:
    """Add linenums="N" (N = the region's first line in its file) and title="path"."""
    info = match["info"]
    path = root / match["path"]
    first = _region_first_line(path, match["region"]) if path.is_file() else None
    if first is not None and "linenums=" not in info:
        info += f' linenums="{first}"'
    if "title=" not in info:
        info += f' title="{match["path"]}"'
    if match["path"] in LIVE_SOURCES and first is not None:
        info = _with_attributes(info, f'data-live="define" data-file="{match["path"]}" data-line="{first}"')
    start, end = (i - match.start() for i in match.span("info"))
    return match[0][:start] + info + match[0][end:]


def _region_first_line(path: Path, region: str) -> int | None:
    """Line number of the region's first quoted line, or None when the region is missing
    (snippets then fails the build) or holds other markers (snippets drops those lines,
    so the numbers would drift)."""
    first = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        marker = REGION_MARKER.search(line)
        if marker and first is None and marker.groups() == ("start", region):
            first = number + 1
        elif marker and first is not None:
            return first if marker.groups() == ("end", region) else None
    return first


def _step_blocks(match: re.Match, source: Path, page: Page) -> str:
    """The code blocks for one `{{ step:N }}`: the region's lines whose comment starts with "(N)"."""
    where = f"{page.file.src_uri}: {{{{ step:{match['n']} }}}}"
    if not match["n"].isdigit() or int(match["n"]) not in STEPS:
        raise PluginError(f"{where}: the step must be a number from {STEPS[0]} to {STEPS[-1]}")
    lines = _tagged_lines(source, STEP_REGION, f"({match['n']})")
    if not lines:
        raise PluginError(f"{where}: no line of the `{STEP_REGION}` region of {source.name} has a comment "
                          f"tagged ({match['n']}) (`# ({match['n']}) ...`), "
                          f"so step {match['n']} cannot be quoted")
    runs = []  # runs of consecutive line numbers, each one block
    for number in lines:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    text = source.read_text(encoding="utf-8").splitlines()
    indent = match["indent"]
    blocks = []
    for run in runs:
        code = textwrap.dedent("\n".join(text[number - 1] for number in run))
        blocks.append(f'{indent}```{{.python .{STEP_CLASS} linenums="{run[0]}" '
                      f'title="{source.name} — step ({match["n"]})" data-live="step" '
                      f'data-file="{source.name}" data-region="{STEP_REGION}" data-line="{run[0]}" '
                      f'data-lines="{len(run)}"}}\n'
                      + textwrap.indent(code, indent) + f"\n{indent}```")
    return "\n\n".join(blocks)


def _with_attributes(info: str, attributes: str) -> str:
    """A fence's info string with `attributes` added: `python linenums="3"` becomes
    `{.python linenums="3" ATTRIBUTES}`, and `{.python ...}` gets them before its brace."""
    info = info.strip()
    if info.startswith("{"):
        return info[:info.rindex("}")].rstrip() + f" {attributes}}}"
    language, _, rest = info.partition(" ")
    return f"{{.{language} {rest.strip()} {attributes}}}".replace("  ", " ")


def _mark_example(match: re.Match, draws) -> str:
    """A runnable example (python, quoting nothing, not `.notest`, not marked yet) gets data-live, and
    data-figure if draws(its code)."""
    info, body = match["info"].strip(), match["body"]
    language = re.match(r"\{?\s*\.?([\w-]*)", info)[1]
    if language not in ("python", "py") or "--8<--" in body or ".notest" in info or "data-live" in info:
        return match[0]
    start, end = (i - match.start() for i in match.span("info"))
    attributes = 'data-live="example"' + (' data-figure="true"' if draws(body) else "")
    return match[0][:start] + _with_attributes(info, attributes) + match[0][end:]


def planted_sources(root: Path) -> dict[str, str]:
    """{slug: backward_two_layer's source with that bug of the zoo planted, no decorator}, computed by
    the repository's own code (zoo.buggy_source, practice.slug's names), in a fresh Python so that
    `mkdocs serve` always sees the files as they are now."""
    script = textwrap.dedent("""
        import json, re
        import zoo
        slug = lambda name: re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")  # as practice.slug
        print(json.dumps({slug(bug): zoo.buggy_source(bug) for bug in zoo.BUGS}))
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True,
                            timeout=120)
    if result.returncode != 0:
        raise PluginError(f"{{{{ planted:SLUG }}}}: the bug zoo could not be read:\n{result.stderr}")
    return json.loads(result.stdout)


def _planted_block(match: re.Match, sources: dict[str, str], source: Path, page: Page) -> str:
    slug, indent = match["slug"], match["indent"]
    if slug not in sources:
        raise PluginError(f"{page.file.src_uri}: {{{{ planted:{slug} }}}}: the bug zoo has no bug {slug!r} "
                          f"(it has: {', '.join(sources)})")
    tree = ast.parse(source.read_text(encoding="utf-8"))
    first = next(node.lineno for node in tree.body
                 if isinstance(node, ast.FunctionDef) and node.name == STEP_REGION)  # the def line
    code = sources[slug].rstrip("\n")
    return (f'{indent}```{{.python linenums="{first}" title="{source.name} — {STEP_REGION}, '
            f'with a planted bug" data-live="define" data-file="{source.name}" data-line="{first}"}}\n'
            + textwrap.indent(code, indent) + f"\n{indent}```")


def _tagged_lines(source: Path, region: str, tag: str) -> list[int]:
    """Line numbers inside the named region whose comment (a real # comment, found with
    tokenize, not a docstring or a string) starts with `tag`, as in `# (5) through f'(z1)`."""
    if not source.is_file():
        raise PluginError(f"step blocks: {source} does not exist")
    text = source.read_text(encoding="utf-8")
    first = _region_first_line(source, region)
    if first is None:
        raise PluginError(f"step blocks: {source.name} has no `--8<-- [start:{region}]` ... "
                          f"`--8<-- [end:{region}]` region")
    last = first
    for number, line in enumerate(text.splitlines()[first - 1:], start=first):
        if REGION_MARKER.search(line):
            break
        last = number
    comments = tokenize.generate_tokens(io.StringIO(text).readline)
    return sorted({token.start[0] for token in comments if token.type == tokenize.COMMENT
                   and first <= token.start[0] <= last and token.string.lstrip("#").lstrip().startswith(tag)})


def api_reference(source: Path) -> str:
    """Markdown for each name in the module's __all__: heading, signature, docstring."""
    if not source.is_file():
        raise PluginError(f"{API_TOKEN}: {source} does not exist")
    text = source.read_text(encoding="utf-8")
    tree = ast.parse(text, filename=str(source))
    defined = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            defined.update((t.id, node) for t in targets if isinstance(t, ast.Name))
    names = _dunder_all(tree, source)
    if names is None:  # no __all__: every public top-level function, in the order of the file
        names = [name for name, node in defined.items() if not name.startswith("_")
                 and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    missing = [name for name in names if name not in defined]
    if missing:
        raise PluginError(f"{API_TOKEN}: {source.name} lists {', '.join(missing)} in __all__ "
                          f"but defines no top-level function, class or variable of that name")
    lines = text.splitlines()
    return "\n\n".join(_api_entry(name, defined[name], lines, source.name) for name in names) + "\n"


def _dunder_all(tree: ast.Module, source: Path) -> list[str] | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            try:
                names = ast.literal_eval(node.value)
            except ValueError:
                names = None
            if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
                raise PluginError(f"{API_TOKEN}: __all__ in {source.name} must be a literal list of strings")
            return list(names)
    return None


def _api_entry(name: str, node: ast.stmt, lines: list[str], filename: str) -> str:
    """Signature and docstring; a variable, or a function without a docstring (a one-liner that
    carries its formula in a comment), is shown as its source lines instead."""
    doc = None if isinstance(node, (ast.Assign, ast.AnnAssign)) else ast.get_docstring(node)
    code = _signature(node) if doc else "\n".join(lines[node.lineno - 1:node.end_lineno])
    parts = [f"### `{name}`", f'```python linenums="0"\n{code}\n```']
    if doc:
        parts.append(f'```text linenums="0"\n{doc}\n```')
    parts.append(f"<small>`{filename}`, line {node.lineno}</small>")
    return "\n\n".join(parts)


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> str:
    decorators = "".join(f"@{ast.unparse(d)}\n" for d in node.decorator_list)
    if isinstance(node, ast.ClassDef):
        params = [ast.unparse(b) for b in node.bases] + [ast.unparse(k) for k in node.keywords]
        head, tail = f"class {node.name}", ":"
    else:
        params = _parameters(node.args)
        head = f"{'async ' if isinstance(node, ast.AsyncFunctionDef) else ''}def {node.name}"
        tail = f" -> {ast.unparse(node.returns)}:" if node.returns else ":"
    one_line = f"{head}({', '.join(params)}){tail}"
    if len(one_line) <= SIGNATURE_WIDTH or not params:
        return decorators + one_line
    return decorators + f"{head}(\n" + "".join(f"    {p},\n" for p in params) + f"){tail}"


def _parameters(args: ast.arguments) -> list[str]:
    """Each parameter as written in a def line, with `/` and `*` where they belong."""
    def one(arg: ast.arg, default: ast.expr | None = None) -> str:
        text = arg.arg + (f": {ast.unparse(arg.annotation)}" if arg.annotation else "")
        if default is not None:
            text += (" = " if arg.annotation else "=") + ast.unparse(default)
        return text

    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + args.defaults
    params = [one(arg, default) for arg, default in zip(positional, defaults, strict=True)]
    if args.posonlyargs:
        params.insert(len(args.posonlyargs), "/")
    if args.vararg:
        params.append("*" + one(args.vararg))
    elif args.kwonlyargs:
        params.append("*")
    params += [one(arg, default) for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True)]
    if args.kwarg:
        params.append("**" + one(args.kwarg))
    return params


# --- 8. multi-panel figures on a phone (docs/accessibility.md) ---------------------------------

# Each multi-panel figure and its single-panel slides (visualizations/slides/, written by the same
# experiment), in the figure's reading order: left to right, then row by row.
FIGURE_SLIDES = {
    "loss_curve.png": ("loss_curve_moons", "loss_curve_xor"),
    "decision_boundary.png": ("decision_boundary_moons", "decision_boundary_xor",
                              *(f"decision_boundary_forming_{i}" for i in range(1, 7))),
    "gradient_check.png": ("gradient_check_scatter", "gradient_check_per_tensor", "gradient_check_eps",
                           "gradient_check_kink"),
    "depth_comparison.png": tuple(name for task in ("xor", "moons", "circles") for name in (
        f"depth_accuracy_{task}", f"depth_boundary_{task}_1_layer", f"depth_boundary_{task}_2_layers",
        f"depth_boundary_{task}_3_layers")),
    "vanishing_gradients.png": ("vanishing_sigmoid", "vanishing_relu", "vanishing_tanh",
                                "vanishing_training"),
    "dead_neurons.png": ("init_dead_units", "init_dead_lr", "init_accuracy", "init_symmetry"),
    "curvature.png": ("curvature_sigmoid", "curvature_relu", "curvature_lr"),
    "digits.png": ("digits_loss", "digits_confusion", "digits_misclassified"),
    "practice_mse.png": ("practice_mse_loss", "practice_mse_output", "practice_mse_step_1"),
}
# Figures that are drawn, not measured (a diagram): they have no numbers to link to.
DIAGRAMS = ("computational_graph.png",)
PHONE = "(max-width: 600px)"  # at this width and below, a figure is shown as its slides
NOTHING = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"  # 1 x 1, clear
# A figure as the Markdown [![alt](visualizations/NAME)](visualizations/NAME) renders it.
FIGURE_LINK = re.compile(r'<a href="(?P<prefix>(?:\.\./)*)' + FIGURES + r'/(?P<name>[^"/]+)">'
                         r'(?P<img><img [^>]*src="(?P=prefix)' + FIGURES + r'/(?P=name)"[^>]*>)</a>')


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """A multi-panel figure (FIGURE_SLIDES) becomes, at PHONE widths, its slides one under another,
    each readable at a phone's width: the figure's own <img> in a <picture> whose <source> is the
    first slide, then a link and <picture> per further slide, which CSS (a11y.css, .figure-panel)
    shows only at PHONE widths and which loads only then (wider, its <source> is NOTHING; with
    loading="lazy" instead, a hidden image would stay unloaded, which reads as broken). The
    figure's alt text describes every panel, so the further slides are decorative (alt="", hidden
    from screen readers, out of the tab order: the figure's own link opens the whole figure). A
    slide that does not exist fails the build. Then each figure gets a link to its numbers."""
    root = _root(config)

    def panels(match: re.Match) -> str:
        slides = FIGURE_SLIDES.get(match["name"])
        if not slides:
            return match[0]
        paths = [f"{FIGURES}/slides/{slide}.png" for slide in slides]
        missing = [path for path in paths if not (root / path).is_file()]
        if missing:
            raise PluginError(f"{page.file.src_uri}: {match['name']} is shown on a phone as its slides, "
                              f"but {', '.join(missing)} does not exist (python mlp.py writes them)")
        prefix, first, rest = match["prefix"], paths[0], paths[1:]
        out = [f'<a class="figure-panels" href="{prefix}{FIGURES}/{match["name"]}"><picture>'
               f'<source media="{PHONE}" srcset="{prefix}{first}">{match["img"]}</picture></a>']
        out += [f'<a class="figure-panel" href="{prefix}{path}" tabindex="-1" aria-hidden="true"><picture>'
                f'<source media="not all and {PHONE}" srcset="{NOTHING}"><img src="{prefix}{path}" alt="">'
                f'</picture></a>' for path in rest]
        return "".join(out)

    return _link_numbers(FIGURE_LINK.sub(panels, html))


# A paragraph that holds a figure (its link and image, and on a phone its further slides).
FIGURE_PARAGRAPH = re.compile(r'<p>(?:<a [^>]*href="(?:\.\./)*' + FIGURES + r'/[^"]+"[^>]*>.*?</a>)+</p>',
                              re.S)
SECTION = re.compile(r"<h[1-3][ >]")


def _link_numbers(html: str) -> str:
    """Under each figure whose section (up to the next heading) holds a table, a link to that table,
    the nearest one: "The numbers of this figure: the table below" (or above). The table gets an id
    for it (numbers-N) unless it has one."""
    bounds = [0, *(m.start() for m in SECTION.finditer(html)), len(html)]
    out, ids = [], iter(range(1, 10_000))
    for start, end in zip(bounds, bounds[1:], strict=False):
        section = html[start:end]
        tables = [m.start() for m in re.finditer(r"<table[ >]", section)]
        figures = [m for m in FIGURE_PARAGRAPH.finditer(section)
                   if not any(f"{FIGURES}/{name}" in m[0] for name in DIAGRAMS)]
        if not tables or not figures:
            out.append(section)
            continue
        named = {}  # table offset -> its id
        edits = []  # (offset, text to insert)
        for figure in figures:
            table = min(tables, key=lambda at, f=figure: min(abs(at - f.start()), abs(at - f.end())))
            if table not in named:
                named[table] = f"numbers-{next(ids)}"
                edits.append((table + len("<table"), f' id="{named[table]}"'))
            where = "below" if table > figure.end() else "above"
            edits.append((figure.end(), f'\n<p class="figure-numbers"><a href="#{named[table]}">'
                                        f"The numbers of this figure: the table {where}</a></p>"))
        for at, text in sorted(edits, reverse=True):
            section = section[:at] + text + section[at:]
        out.append(section)
    return "".join(out)

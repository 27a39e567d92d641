"""The page's Python session: what Run does, inside Pyodide (docs/assets/live/worker.mjs).

The worker writes the repository's files (mlp.py, checks.py, ...; tools/live_files.LIVE_FILES) and
this file into Pyodide's home folder, imports this module, and calls run() for each click on Run.
The session lives from page to page (the site's instant navigation keeps the worker); when the
reader enters another page, enter() puts the lesson back: the repository's modules imported afresh,
a fresh page namespace. Stop starts a fresh Python.

- "example": a runnable example, run in the page's namespace (PAGE): the examples of a page see each
  other's names, as when they are pasted into one Python in order.
- "define": code quoted from a module (mlp.py, datasets.py), run in that module's namespace, so that
  it replaces the module's function: later calls, mlp.gradient_check's included, use it. A region
  quoted with its `@checked` line keeps the door; the planted bugs come without it, like a learner's
  own function.
- "step": one step of a function (a `{{ step:N }}` block of the backprop page): the function's whole
  region, as last run on this page, with the step's lines replaced by the edited text, run as
  "define".

An example shows pictures, as Jupyter does: the value of its last line, when that is a matplotlib
figure or frames (common.Frames, what experiments.playground returns: an iterator of (PNG bytes,
alt text, message or None) that Jupyter shows too), and every figure that pyplot holds. run() then
says "frames", and the worker asks for them one at a time (next_frame), sending each to the page
as it comes, until the last, a message (a diverged run's), or a Stop (close_frames). A block that
imports matplotlib or the lab (draws) gets them loaded first; warm_figures pays the first figure's
one-time costs before the reader's first figure.

Code is compiled under a name of its own with its file's line numbers, and its text is put in
linecache, so that a traceback points at the learner's line and shows it; the frames of this module
are left out of it.
"""

import ast
import importlib
import linecache
import re
import sys
import traceback
from pathlib import Path

PAGE = {"__name__": "__main__"}  # the namespace of the page's examples
_current = {}  # (file, region) -> [(line number in the file, text)]: the region as last run
# What a block that draws imports: matplotlib, and the lab (tools/live_files.FIGURE_FILES, which the
# page loads only for such a block).
DRAWS = ("matplotlib", "PIL", "common", "experiments", "practice", "grade")
_frames = None  # the frames of the last run, a generator, until drawn or closed
REGION_MARKER = re.compile(r"-+8<-+[ \t]+\[[ \t]*(start|end)[ \t]*:[ \t]*([A-Za-z][-_0-9A-Za-z]*)[ \t]*\]")


def run(kind, code, file=None, line=1, region=None, lines=1):
    """Run one block; print what it prints, or the traceback; return a one-line status (str)."""
    close_frames()
    try:
        if kind == "example":
            return _show(_execute(code, PAGE, "<example>", 1))
        if kind == "define":
            return _define(code, file, int(line), "edited")
        if kind == "step":
            return _step(code, file, region, int(line), int(lines))
        raise ValueError(f"unknown kind of block: {kind!r}")
    except BaseException as err:  # noqa: BLE001  (the learner's error, shown, not raised)
        _print_error(err)
        return "error"
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def enter(modules):
    """A page is entered: forget what the last page ran. Each module of `modules` (the lesson's:
    mlp, checks, diagnosis, zoo, ...) that is imported is imported afresh from its file, all of them
    dropped first so that none keeps another's edited function; the page's examples get a fresh
    namespace; the steps' regions are read from the file again. Python and numpy stay loaded."""
    global PAGE
    close_frames()
    PAGE = {"__name__": "__main__"}
    _current.clear()
    loaded = [name for name in modules if name in sys.modules]
    for name in loaded:
        del sys.modules[name]
    for name in loaded:
        importlib.import_module(name)


def draws(code):
    """Whether `code` imports matplotlib or the lab (DRAWS), so that the page must load them first."""
    try:
        tree = ast.parse(code)
    except SyntaxError:  # run() reports it
        return False
    names = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    names += [node.module for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and node.module and not node.level]
    return any(name.partition(".")[0] in DRAWS for name in names)


def warm_figures():
    """Import the lab, and draw one small frame of its playground: matplotlib's first figure builds
    its mathtext parser (the loss axes' tick labels), reads its fonts and starts the PNG encoder,
    about 1.5 s in the page that the reader's first figure does not then wait for."""
    import experiments

    next(experiments.playground(epochs=1, n=20, frames=1))


def next_frame():
    """The run's next frame: (PNG bytes, alt text, the alt's first sentence, message or None); None
    after the last; "error" (its traceback printed) if making it raised."""
    global _frames
    try:
        frame = None if _frames is None else next(_frames, None)
        if frame is None:
            _frames = None
            return None
        if not (isinstance(frame, tuple) and len(frame) == 3 and isinstance(frame[0], bytes)
                and isinstance(frame[1], str) and isinstance(frame[2], str | None)):
            raise TypeError("a block shows frames as (PNG bytes, alt text, message or None), as "
                            f"experiments.playground yields them; got {type(frame).__name__} {frame!r:.80}")
        png, alt, message = frame
        return png, alt, re.split(r"(?<=[.!?])\s+(?=[A-Z])", alt, maxsplit=1)[0], message
    except BaseException as err:  # noqa: BLE001  (the learner's error, shown, not raised)
        close_frames()
        _print_error(err)
        return "error"
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def close_frames():
    """No more frames of the last run (Stop, a new run, another page): its generator is closed (its
    `finally` runs)."""
    global _frames
    frames, _frames = _frames, None
    if frames is not None:
        frames.close()


def _show(value):
    """ "frames" if the example shows pictures (its last value, a figure or frames, and pyplot's
    figures, closed once drawn), "done" if not. Frames are an iterator that Jupyter shows (with
    _repr_html_), as common.Frames: an iterator of anything else, a plain generator for one, is
    left alone, as Jupyter would leave it."""
    global _frames
    figure = sys.modules.get("matplotlib.figure")
    pyplot = sys.modules.get("matplotlib.pyplot")
    figures = [value] if figure and isinstance(value, figure.Figure) else []
    if pyplot:
        figures += [fig for fig in map(pyplot.figure, pyplot.get_fignums()) if fig is not value]
    pictures = [_picture(fig) for fig in figures]
    if pyplot:
        pyplot.close("all")
    frames = hasattr(value, "__next__") and hasattr(value, "_repr_html_")
    if not pictures and not frames:
        return "done"
    _frames = _all_frames(pictures, value if frames else ())
    return "frames"


def _all_frames(pictures, frames):
    yield from pictures
    yield from frames  # and closes them when closed


def _picture(fig):
    """A matplotlib figure as a frame: drawn by the lab (common.png), with an alt text made of what the
    figure says of itself: its title, and each panel's title and axis labels."""
    import common

    said = "; ".join(filter(None, map(_panel, fig.axes)))
    alt = f"A figure{': ' + fig.get_suptitle() if fig.get_suptitle() else ''}. " + (
        f"It shows {said}." if said else "It has no title or axis label that says what it shows.")
    return common.png(fig), alt.replace("..", "."), None


def _panel(ax):
    """A panel in words: its title, and what its axes show."""
    x, y = ax.get_xlabel(), ax.get_ylabel()
    axes = f"{y} against {x}" if x and y else f"{x} on the x axis" if x else f"{y} on the y axis" if y else ""
    title = ax.get_title()
    return f"{title} ({axes})" if title and axes else title or axes


def _module(file):
    return importlib.import_module(Path(file).stem)


def _define(code, file, line, how, region=None):
    module = _module(file)
    try:
        names = [node.name for node in ast.parse(code).body
                 if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
    except SyntaxError:  # compile, in _execute, reports it at the file's line numbers
        names = []
    _execute(code, vars(module), f"<{file}, {region or ', '.join(names) or 'code'} {how}>", line)
    defined = ", ".join(f"{module.__name__}.{name}" for name in names)
    return f"{defined} now runs this code" if names else "done"


def _step(code, file, region, line, lines):
    """Replace the lines line .. line + lines - 1 of the region by `code`, indented as they were."""
    current = _current.setdefault((file, region), _region(file, region))
    old = [text for number, text in current if line <= number < line + lines]
    if not old:
        raise ValueError(f"line {line} is not in the region {region} of {file}")
    indent = old[0][:len(old[0]) - len(old[0].lstrip())]
    new = [(line, indent + text if text.strip() else text) for text in code.rstrip("\n").split("\n")]
    current[:] = ([entry for entry in current if entry[0] < line] + new
                  + [entry for entry in current if entry[0] >= line + lines])
    source = "\n".join(text for _, text in current) + "\n"
    status = _define(source, file, current[0][0], "with your edit", region)
    return status.replace("this code", f"your edit of line {line}")


def _region(file, region):
    """[(line number, text)] of the region `region` of `file` (between its --8<-- markers)."""
    found, inside = [], False
    for number, text in enumerate(Path(file).read_text(encoding="utf-8").splitlines(), start=1):
        marker = REGION_MARKER.search(text)
        if marker and marker.groups() == ("start", region):
            inside = True
        elif marker and inside:
            return found
        elif inside:
            found.append((number, text))
    raise ValueError(f"{file} has no region {region}")


def _execute(code, namespace, filename, first_line):
    """exec `code` in `namespace`, compiled as `filename` with its first line numbered first_line;
    return the value of its last statement if that is an expression (as Jupyter shows it), else None."""
    source = "\n" * (first_line - 1) + code
    if not source.endswith("\n"):
        source += "\n"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    tree = compile(source, filename, "exec", ast.PyCF_ONLY_AST)  # not ast.parse: no frame of ast.py
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, filename, "exec"), namespace)  # noqa: S102  (the reader's own code)
    if last is not None:
        return eval(compile(ast.Expression(last.value), filename, "eval"), namespace)  # noqa: S307
    return None


def _print_error(err):
    """The traceback without this module's frames, on stderr."""
    tb = err.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    print("".join(traceback.format_exception(type(err), err, tb)), end="", file=sys.stderr)

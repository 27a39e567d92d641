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
REGION_MARKER = re.compile(r"-+8<-+[ \t]+\[[ \t]*(start|end)[ \t]*:[ \t]*([A-Za-z][-_0-9A-Za-z]*)[ \t]*\]")


def run(kind, code, file=None, line=1, region=None, lines=1):
    """Run one block; print what it prints, or the traceback; return a one-line status (str)."""
    try:
        if kind == "example":
            _execute(code, PAGE, "<example>", 1)
            return "done"
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
    PAGE = {"__name__": "__main__"}
    _current.clear()
    loaded = [name for name in modules if name in sys.modules]
    for name in loaded:
        del sys.modules[name]
    for name in loaded:
        importlib.import_module(name)


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
    """exec `code` in `namespace`, compiled as `filename` with its first line numbered first_line."""
    source = "\n" * (first_line - 1) + code
    if not source.endswith("\n"):
        source += "\n"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102  (the reader's own code)


def _print_error(err):
    """The traceback without this module's frames, on stderr."""
    tb = err.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    print("".join(traceback.format_exception(type(err), err, tb)), end="", file=sys.stderr)

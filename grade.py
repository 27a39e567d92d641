"""Grading a learner's backward pass: their file boxed in a child process, the judgement kept here.

    python practice.py check PATH...      grade files and folders: one file prints its grade (exit
                                          status 0 only if passed); several, or a folder, are graded
                                          in parallel, with --csv FILE (a gradebook) and --feedback DIR
    python practice.py gradescope OUT.zip an autograder for Gradescope (python grade.py ... too)

Split as Gradescope's best practices say: never import a student's code into the grading process.
- This process draws the networks, from seeds drawn afresh that the child never sees; computes the
  numerical gradients (mlp.gradient_check), the verdicts and the diagnoses; and decides the grade.
- A child process runs the learner's file: `python -I`, with a fresh copy of the lesson's files, under
  limits (wall clock for the whole file from when it starts, memory, CPU time, file size), its output
  captured and cut, its standard input empty. It calls the learner's function on the arrays it is
  handed and writes back what the function returned, as JSON: numbers in base64, which this process
  reads as plain float64 or float32 arrays of the right shape, and nothing else (no pickle: reading
  cannot run their code).
- In the child, mlp.backward_two_layer, mlp.backward (so also loss_and_grads, gradient_check, train)
  and the bug zoo's functions raise "a submission may not call the lesson's backward", and an audit
  hook (PEP 578) refuses writes into the project, reading the lesson's files, new processes, signals,
  ctypes and raised limits. The hook is a second wall, not a sandbox: the first is that nothing the
  child does reaches this process except numbers it then checks itself.

What holds where, and what no grader can stop: docs/teaching.md#guarantees.
"""

import argparse
import base64
import builtins
import concurrent.futures
import csv
import dataclasses
import gc
import hashlib
import importlib.util
import inspect
import json
import linecache
import os
import pathlib
import re
import secrets
import signal
import sys
import sysconfig
import tempfile
import textwrap
import threading
import time
import traceback
import zipfile

import numpy as np

import diagnosis
import mlp
import zoo

try:
    import resource  # POSIX: the memory, CPU and file-size caps of the child
except ImportError:  # pragma: no cover (Windows: the wall clock alone, as teaching.md says)
    resource = None

# ----------------------------------------------------------------------------------------------------
# What is graded, and how
# ----------------------------------------------------------------------------------------------------

GRADED = {  # the function a file may define -> the networks it is graded on: (sizes, hidden activation)
    "backward_two_layer": [(sizes, act) for sizes in ([3, 3, 1], [3, 4, 3]) for act in mlp.ACTIVATIONS],
    "backward": [(sizes, act) for sizes in ([3, 3, 1], [3, 4, 3], [3, 4, 3, 1], [2, 3, 4, 3])
                 for act in mlp.ACTIVATIONS],
}
GRADE_N = 8  # examples per network
GRADE_WIDTH = 100  # characters per printed line: a diagnosis is wrapped to fit
KINK_MARGIN = 1e-3  # a relu input this close to 0 would sit within eps = 1e-5 of the kink: redrawn
TIMEOUT = 60.0  # seconds of wall clock for a file, all its networks together (Gradescope allows 600)
MEMORY = 1024  # MB of address space for the child (numpy needs about 100 with one BLAS thread)
OUTPUT_CUT = 10_000  # bytes of the file's own output kept, the first ones
STARTUP = 60.0  # seconds the child may take to start Python and NumPy, before the file's own timeout
STATUSES = ("passed", "wrong", "unfinished", "error", "timeout", "refused")
STEPS = {1: "dz2", 2: "dW2", 3: "db2", 4: "da1", 5: "dz1", 6: "dW1", 7: "db1"}  # backward_two_layer's
STEP_COLUMNS = [f"({k}) {key}" for k, key in STEPS.items()]  # the gradebook's, and Gradescope's tests
LESSON_REFUSED = "a submission may not call the lesson's backward"
ROOT = pathlib.Path(__file__).resolve().parent  # the project
LESSON_FILES = ("mlp.py", "checks.py", "diagnosis.py", "zoo.py", "grade.py")  # what the child imports
LESSON = {name: (ROOT / name).read_bytes() for name in LESSON_FILES}  # as this process imported them


def grading_problem(sizes, activation, seed=0):
    """zoo.gradcheck_problem for these sizes, at the first seed from `seed` whose hidden inputs z all keep
    KINK_MARGIN from relu's kink (the check cannot judge a kink), and forward's cache."""
    for s in range(seed, seed + 100):
        params, X, y = zoo.gradcheck_problem(sizes, activation, n=GRADE_N, seed=s)
        _, cache = mlp.forward(params, X, activation)
        hidden = [cache[f"z{l}"] for l in range(1, len(sizes) - 1)]
        if min(np.abs(z).min() for z in hidden) > KINK_MARGIN:
            return params, X, y, cache
    raise RuntimeError(f"no seed of 100 keeps {sizes} off relu's kink")  # pragma: no cover


@dataclasses.dataclass
class Network:
    """One network a function is graded on: what the check needs (params, X, y as labels, cache)."""

    function: str
    sizes: list
    activation: str
    params: dict
    X: np.ndarray
    y: np.ndarray
    cache: dict

    @property
    def targets(self):
        """y as backward gets it: the 0/1 column, or one-hot rows (n, K) for K classes."""
        K = self.sizes[-1]
        return self.y.astype(np.float64) if K == 1 else np.eye(K)[self.y.ravel()]

    @property
    def head(self):
        K = self.sizes[-1]
        output = "one sigmoid output" if K == 1 else f"a softmax over K = {K} classes"
        return f"{self.sizes}, {self.activation} hidden units, {output}, n = {len(self.X)}"


def networks(seed=None):
    """Every network of GRADED, in order, drawn from `seed` (None: a secret one, new each time)."""
    seed = secrets.randbelow(2**32) if seed is None else seed
    return [Network(name, sizes, act, *grading_problem(sizes, act, seed))
            for name, nets in GRADED.items() for sizes, act in nets]


def step_keys(n_layers):
    """The gradients in backward's order for D = n_layers: dz_D, dW_D, db_D, da_{D-1}, ..., dW1, db1."""
    keys = [f"dz{n_layers}"]
    for l in range(n_layers, 0, -1):
        keys += [f"dW{l}", f"db{l}"] + ([f"da{l - 1}", f"dz{l - 1}"] if l > 1 else [])
    return keys


# ----------------------------------------------------------------------------------------------------
# Arrays across the process boundary: JSON, numbers in base64. Read back as plain floats, nothing else.
# ----------------------------------------------------------------------------------------------------

WIRE_DTYPES = {"float64": np.float64, "float32": np.float32}
GRADIENT = re.compile(r"d[zaWb]\d{1,2}")  # dz2, dW1, ...
KEY = re.compile(rf"{GRADIENT.pattern}|[Wbza]\d{{1,2}}|y")  # the names that cross: gradients, params, cache


class BadAnswer(Exception):
    """What came back from the child is not what the grader asked for."""


def to_wire(arrays):
    """{name: a plain float array} as JSON-ready data."""
    return {k: {"dtype": a.dtype.name, "shape": list(a.shape), "data": base64.b64encode(a.tobytes()).decode()}
            for k, a in arrays.items()}


def from_wire(data):
    """to_wire's data back as {name: a plain float64 or float32 ndarray}; anything else is BadAnswer."""
    if type(data) is not dict:
        raise BadAnswer("arrays are not a JSON object")
    arrays = {}
    for k, item in data.items():
        try:
            dtype = WIRE_DTYPES[item["dtype"]]
            shape = tuple(item["shape"])
            if not KEY.fullmatch(k) or len(shape) > 2 or not all(type(s) is int and s >= 0 for s in shape):
                raise ValueError(f"{k!r} {shape}")
            data = base64.b64decode(item["data"], validate=True)
            arrays[k] = np.frombuffer(data, dtype).reshape(shape).copy()
        except (KeyError, TypeError, ValueError) as err:
            raise BadAnswer(f"the array {k!r} cannot be read ({err})") from None
    return arrays


# ----------------------------------------------------------------------------------------------------
# The child: runs in `python -I`, in a folder of its own holding a fresh copy of the lesson. Everything
# from here to the next rule runs there, beside the learner's code: nothing in it is trusted afterwards.
# ----------------------------------------------------------------------------------------------------

CHILD = "import sys; sys.path.insert(0, sys.argv[1]); import grade; grade.child(sys.argv[1])"
STARTED = "-- grade.py: the learner's file starts here --\n"  # the child's first line, never shown
PROCESS_EVENTS = {"os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "os.kill",
                  "os.killpg", "subprocess.Popen", "signal.pthread_kill", "resource.setrlimit",
                  "resource.prlimit", "os.startfile"}
PATH_EVENTS = {"os.remove", "os.rename", "os.rmdir", "os.truncate", "os.chmod", "os.chown", "os.link",
               "os.symlink", "os.mkdir", "os.utime", "shutil.rmtree", "shutil.copyfile", "shutil.move"}
UNIMPORTABLE = {"subprocess", "_posixsubprocess", "multiprocessing", "pty"}  # new processes, unaudited
REFUSALS = []  # the child's: what it refused, in order (the first is reported)


class Refused(PermissionError):
    """Something a submission may not do; recorded when raised, even if their code catches it."""

    def __init__(self, reason):
        super().__init__(reason)
        REFUSALS.append(reason)


class NoInput(EOFError):
    """Their code read standard input, which the grader does not give."""


class _Stdin:
    def __getattr__(self, name):  # read, readline, readlines, buffer, fileno ...: all of them
        raise NoInput("your file reads standard input (input() or sys.stdin): the grader gives it none")


class Answer(Exception):
    """The child's answer for a file that stops before its networks: raised, then written."""

    def __init__(self, **answer):
        super().__init__(answer.get("headline"))
        self.answer = answer


def child(folder):
    """The child's whole life: limits, guards, their file, each network, the answer; then _exit."""
    folder = pathlib.Path(folder)
    job = json.loads((folder / "job.json").read_text(encoding="utf-8"))
    out = open(folder / "answer.json", "w", encoding="utf-8")  # opened before the guard shuts the folder
    limit(job["memory"], job["timeout"])
    refuse_lessons()
    sys.stdin = _Stdin()
    guard([*job["protected"], str(folder)])
    sys.stdout.write(STARTED)  # their file's clock starts now: Python's and NumPy's start is not theirs
    sys.stdout.flush()
    try:
        answers = answer(job)
    except Answer as stop:
        answers = [stop.answer]
    out.write(json.dumps({"answers": answers, "refused": REFUSALS[:1]}))
    out.close()
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:  # what they printed last, still in a buffer
            stream.flush()
        except Exception:  # noqa: BLE001 (a stream of theirs, whatever it does)
            pass
    os._exit(0)  # no atexit of theirs, no thread of theirs to wait for


def limit(memory, seconds):
    """Caps on the child (and anything it starts): address space, CPU time, file size, no core file."""
    if resource is None:  # pragma: no cover (not POSIX)
        return
    for which, value in ((resource.RLIMIT_AS, memory << 20), (resource.RLIMIT_CPU, int(seconds) + 5),
                         (resource.RLIMIT_FSIZE, 64 << 20), (resource.RLIMIT_CORE, 0)):
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):  # pragma: no cover (macOS takes no RLIMIT_AS: teaching.md says so)
            pass


def refuse_lessons():
    """mlp.backward_two_layer, mlp.backward and every function of zoo raise LESSON_REFUSED, __wrapped__
    too; the originals are dropped (gc), so no reference to them is left in this process."""
    def refuser(where):
        def lesson(*args, **kwargs):
            raise Refused(f"{LESSON_REFUSED} ({where})")

        lesson.__wrapped__ = lambda *args, **kwargs: lesson()
        return lesson

    for name in ("backward_two_layer", "backward"):
        setattr(mlp, name, refuser(f"mlp.{name}"))
    for name, value in list(vars(zoo).items()):
        if inspect.isfunction(value) and value.__module__ == "zoo":
            setattr(zoo, name, refuser(f"zoo.{name}"))
    gc.collect()


def inside(path, places):
    path = os.path.realpath(os.fsdecode(path))
    return any(path == p or path.startswith(p + os.sep) for p in places)


def guard(roots):
    """The audit hook: writes into the project or this folder, new processes, signals, ctypes and new
    limits raise Refused (recorded); reading the project's or this folder's files raises PermissionError
    (the lesson's source is the solution), except Python's own libraries."""
    roots = [os.path.realpath(r) for r in roots]
    libraries = [os.path.realpath(sysconfig.get_path(k))
                 for k in ("stdlib", "platstdlib", "purelib", "platlib")]
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND

    def hook(event, args):
        if event == "open" and isinstance(args[0], str | bytes | os.PathLike):
            path, mode, flags = args
            writes = any(c in mode for c in "wax+") if isinstance(mode, str) else bool(flags & write_flags)
            if writes and inside(path, roots):
                raise Refused(f"your file tried to write {os.fsdecode(path)}: a submission may not change "
                              "the project's files")
            if inside(path, roots) and not inside(path, libraries):
                raise PermissionError(f"{os.fsdecode(path)}: the grader's files are not yours to read")
        elif event in PATH_EVENTS and any(isinstance(a, str | bytes | os.PathLike) and inside(a, roots)
                                          for a in args):
            raise Refused(f"your file tried {event} on the project's files: a submission may not change them")
        elif event in PROCESS_EVENTS or event.startswith("ctypes.") or (
                event == "import" and args[0] in UNIMPORTABLE):
            raise Refused(f"your file tried {event} {args[0] if event == 'import' else ''}".rstrip()
                          + ": a submission may not start processes, send signals, use ctypes or raise "
                          "its limits")
        elif event == "builtins.input":
            raise NoInput("your file reads standard input (input()): the grader gives it none")

    sys.addaudithook(hook)


def answer(job):
    """Their file run, then their function called on each network: a list of answers (dicts)."""
    path, names = job["path"], run_their_file(job["source"], job["path"])
    found = {name: names[name] for name in GRADED  # defined in their file, not imported into it
             if getattr(getattr(names.get(name), "__code__", None), "co_filename", None) == path}
    if not found:
        raise Answer(kind="error", headline=f"it defines no function {' or '.join(GRADED)}",
                     text=f"{path} defines no function {' or '.join(GRADED)}: the grader calls "
                          "backward_two_layer(params, cache, y, activation)")
    answers = []
    for i, network in enumerate(job["networks"]):
        if network["function"] in found:
            answers.append({"network": i, **call(found[network["function"]], path, network)})
            if answers[-1]["kind"] in ("error", "refused"):
                break
    return answers


def run_their_file(source, path):
    """The names their file defines, run in a namespace of its own (as runpy.run_path would: never
    imported as a module, so it shadows none of the project's), its lines known to tracebacks."""
    linecache.cache[path] = (len(source), None, source.splitlines(keepends=True), path)
    names = {"__name__": "__graded__", "__file__": path, "__builtins__": builtins}
    try:
        exec(compile(source, path, "exec"), names)  # theirs: the reason this process exists
    except BaseException as err:  # noqa: BLE001 (theirs, whatever it is: an exit() too)
        said = their_traceback(err, path)
        raise Answer(**failure(err, said, f"{path} could not be run:\n{textwrap.indent(said, '  ')}",
                               "it could not be run")) from None
    return names


def refusal(err, said=""):
    """The answer for a Refused: its reason, and where it happened (their lines, if it was raised)."""
    frames = "\n".join(said.splitlines()[:-1])  # without the exception's own line, which says it again
    return {"kind": "refused", "headline": str(err),
            "text": f"Refused: {err}." + (f"\n{textwrap.indent(frames, '  ')}" if frames else "")}


def failure(err, said, text, where):
    """The answer for an exception of theirs: a refusal, out of memory, stdin read, or an error."""
    if isinstance(err, Refused):
        return refusal(err, said)
    last = said.splitlines()[-1].strip() if said else type(err).__name__
    if isinstance(err, MemoryError | NoInput):
        last = (str(err) if isinstance(err, NoInput) else
                f"it ran out of memory: the grader allows {os.environ.get('GRADE_MEMORY', MEMORY)} MB")
        text += f"\n\n{last[0].upper()}{last[1:]}."
    return {"kind": "error", "headline": f"{where}: {last}", "text": text}


def call(function, path, network):
    """function(params, cache, y, activation) on one network: its gradients, or what stopped it. A
    NotImplementedError naming a step "(N)" is a step not written yet, and sends what was written."""
    arrays = from_wire(network["arrays"])
    params = {k: v for k, v in arrays.items() if k[0] in "Wb"}
    cache = {k: v for k, v in arrays.items() if k[0] in "za"}
    try:
        grads = function(params, cache, arrays["y"], network["activation"])
    except BaseException as err:  # noqa: BLE001 (theirs: an exit() too)
        said = their_traceback(err, path, function)
        where = textwrap.indent(said, "  ")
        todo = re.search(r"\((\d)\)", str(err)) if isinstance(err, NotImplementedError) else None
        if not todo:
            return failure(err, said, f"your {function.__name__} raised an error:\n{where}",
                           f"{function.__name__} raised")
        frames = [frame for frame, _ in traceback.walk_tb(err.__traceback__)
                  if frame.f_code is function.__code__]  # their function's own frame
        names = dict(frames[-1].f_locals) if frames else {}  # a plain dict (3.13 gives a proxy)
        kept, _ = plain_arrays(function.__name__, names, quiet=True)  # the gradients written so far
        return {"kind": "todo", "step": int(todo[1]), "arrays": to_wire(kept), "headline":
                f"step ({todo[1]}) is not written yet",
                "text": f"step ({todo[1]}) is not written yet: your {function.__name__} raised\n{where}"}
    if type(grads) is not dict:
        if isinstance(grads, dict):  # a subclass, whose methods could say anything
            return refusal(Refused(f"your {function.__name__} returned a {type(grads).__name__}, a subclass "
                                   "of dict: the grader takes a plain dict"))
        said = (f"your {function.__name__} returned {type(grads).__name__}, not a dict of gradients "
                "{'dz2': ..., 'dW2': ..., ...}")
        return {"kind": "error", "headline": said, "text": said}
    try:
        arrays, problems = plain_arrays(function.__name__, grads)
    except Refused as err:
        return refusal(err)
    return {"kind": "grads", "arrays": to_wire(arrays), "problems": problems}


NUMBERS = {int, float, bool} | {t for t in set(np.sctypeDict.values()) if issubclass(t, np.number | np.bool_)}


def plain_arrays(name, grads, quiet=False):
    """({key: a plain float64 or float32 ndarray}, {key: why it is not compared}) from their dict; a
    value that is not a plain array or number (an ndarray subclass, a proxy, an object whose == says
    anything) raises Refused, or is left out if quiet."""
    arrays, problems = {}, {}
    for key, value in dict.items(grads):
        if type(key) is not str or not GRADIENT.fullmatch(key):
            continue
        if value is None:
            problems[key] = f"{key} is None"
        elif type(value) is np.ndarray or type(value) in NUMBERS:
            a = np.asarray(value)
            if a.dtype in (np.float64, np.float32):  # float32 stays: the check allows for its round-off
                arrays[key] = a
            else:
                problems[key] = f"{key} holds {a.dtype} values, not float64 (or float32) ones"
        elif not quiet:
            kind = "a subclass of np.ndarray" if isinstance(value, np.ndarray) else "not a NumPy array"
            raise Refused(f"your {name} returned {key} as a {type(value).__name__}, {kind}: the grader "
                          "takes plain np.ndarray values")
    return arrays, problems


def their_traceback(err, path, function=None):
    """err as Python prints it, keeping only the frames in the learner's file; where none is (their
    function called with arguments it does not take), the line that defines the function."""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename == path]
    if isinstance(err, SyntaxError) and err.filename == path:
        frames = []  # format_exception_only shows the line and the caret itself
    elif not frames and function is not None:
        code = function.__code__
        frames = [traceback.FrameSummary(code.co_filename, code.co_firstlineno, code.co_name,
                                         line=linecache.getline(code.co_filename, code.co_firstlineno))]
    text = "".join(traceback.format_list(frames) + traceback.format_exception_only(type(err), err))
    return text.rstrip("\n")


# ----------------------------------------------------------------------------------------------------
# Running the child: a fresh copy of the lesson, limits, the wall clock, the output drained and cut
# ----------------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Run:
    """What a child did: its answers (None if it wrote none), how it ended, what it printed."""

    answers: dict | None
    ended: str  # "answered", "timeout", or what stopped it ("exit status 3", "signal SIGSEGV")
    output: str
    printed: int  # bytes printed in all


def project_state():
    """{name: digest} of the project's Python files: a change is seen after a child has run."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(ROOT.glob("*.py"))}


def run_child(source, path, nets, timeout=TIMEOUT, memory=MEMORY, protected=()):
    """Run their source (shown as `path`) in a child on these networks; never longer than timeout.
    protected: folders it may not write or read, besides the project's and its own."""
    import subprocess  # here only: the child, which imports this file too, must not have it (UNIMPORTABLE)

    with tempfile.TemporaryDirectory(prefix="grade-") as folder:
        folder = pathlib.Path(folder)
        for name, text in LESSON.items():
            (folder / name).write_bytes(text)
        job = {"path": path, "source": source, "protected": [str(ROOT), *map(str, protected)],
               "memory": memory, "timeout": timeout,
               "networks": [{"function": n.function, "activation": n.activation,
                             "arrays": to_wire({**n.params, **n.cache, "y": n.targets})} for n in nets]}
        (folder / "job.json").write_text(json.dumps(job), encoding="utf-8")
        env = {"PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8", "GRADE_MEMORY": str(memory),
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        posix = os.name == "posix"
        process = subprocess.Popen([sys.executable, "-I", "-B", "-c", CHILD, str(folder)], cwd=folder,
                                   env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, start_new_session=posix)
        drained = Drain(process.stdout)
        try:
            drained.started.wait(STARTUP)  # the timeout is their file's: from when it starts to run
            process.wait(timeout)
            ended = "answered" if process.returncode == 0 else ended_by(process.returncode)
        except subprocess.TimeoutExpired:
            ended = "timeout"
        finally:
            try:  # the whole group: anything it started goes too
                os.killpg(process.pid, signal.SIGKILL) if posix else process.kill()
            except (ProcessLookupError, PermissionError):
                pass
            process.wait()
            drained.stop()
        answers = None
        if ended == "answered":  # exit status 0: from the child's end, or from an os._exit(0) of theirs
            written = folder / "answer.json"
            text = written.read_text(encoding="utf-8", errors="replace") if written.is_file() else ""
            try:
                answers = json.loads(text) if text else None
            except ValueError:
                answers = {}  # written, but not by the child's end: the judge cannot read it
            ended = "answered" if text else "exited before it answered (exit status 0)"
        return Run(answers, ended, drained.text(), drained.count)


def ended_by(code):
    if code < 0:
        try:
            return f"crashed (signal {signal.Signals(-code).name})"
        except ValueError:
            return f"crashed (signal {-code})"
    return f"exited before it answered (exit status {code})"


class Drain:
    """Reads a pipe to its end in a thread, keeping its first OUTPUT_CUT bytes and counting them all;
    `started` is set when the child's STARTED line has come (or the pipe has ended): not output."""

    def __init__(self, pipe):
        self.pipe, self.kept, self.count, self.started = pipe, bytearray(), 0, threading.Event()
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def read(self):
        head = b""
        try:
            while chunk := self.pipe.read1(65536):
                if not self.started.is_set():
                    head += chunk
                    if len(head) < len(STARTED) and STARTED.encode().startswith(head):
                        continue
                    self.started.set()
                    chunk = head.removeprefix(STARTED.encode())
                self.count += len(chunk)
                self.kept += chunk[:OUTPUT_CUT - len(self.kept)]
        except (OSError, ValueError):
            pass
        finally:
            self.started.set()

    def stop(self):
        self.thread.join(1)  # a process it started may hold the pipe open: not waited for
        self.pipe.close()

    def text(self):
        return self.kept.decode("utf-8", errors="replace")


# ----------------------------------------------------------------------------------------------------
# The judgement, in this process: the answers read, checked against the numerical gradient, graded
# ----------------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Grade:
    """A file's grade: its status, a one-line verdict, what the student sees, the steps they got right."""

    file: str
    status: str  # one of STATUSES
    headline: str  # one line
    text: str  # what `python practice.py check FILE` prints
    steps: dict  # {1: True, ...}: each step of the seven correct on every network
    notes: dict  # {1: "...", ...}: each step's verdicts and diagnoses where it is not correct
    seconds: float = 0.0

    @property
    def points(self):
        return sum(self.steps.values())

    @property
    def passed(self):
        return self.status == "passed"


def their_tensors(answer, params, n, keys=None):
    """The answer's gradients (keys: those to look at; all of backward's by default), each checked for
    shape and finiteness: ({key: array} of the ones to compare, {key: why it is not})."""
    arrays, said = from_wire(answer.get("arrays", {})), answer.get("problems", {})
    widths = [params["W1"].shape[0]] + [params[f"W{l}"].shape[1] for l in range(1, len(params) // 2 + 1)]
    ok, problems = {}, {}
    for key in step_keys(len(params) // 2):
        if keys is not None and key not in keys:
            continue
        shape = params[key[1:]].shape if key[1] in "Wb" else (n, widths[int(key[2:])])
        g = arrays.get(key)
        if g is None:
            problems[key] = str(said[key])[:200] if key in said else f"{key} is missing from the dict"
        elif g.shape != shape:
            problems[key] = zoo.shape_sentence(key, g.shape, shape)
        elif not np.isfinite(g).all():
            problems[key] = f"{key} has {np.count_nonzero(~np.isfinite(g))} entries NaN or inf"
        else:
            ok[key] = g
    return ok, problems


def step_lines(answer, network, keys=None):
    """(the first step not correct, "dz1, step (5)", or None; the lines to print; {key: entry}): the
    answer's gradients (those named in keys, or all) checked on one network, printed by
    diagnosis.report_lines (a line per tensor, the diagnosis under one that is not correct) with each
    tensor's step number before it, and a last line naming the first wrong step."""
    params, X, y, activation = network.params, network.X, network.y, network.activation
    ok, problems = their_tensors(answer, params, len(X), keys)
    report = mlp.gradient_check(params, X, y, activation, analytic=ok) if ok else {}
    n_layers = len(params) // 2
    entries = {key: report.get(key) or {"verdict": "wrong", "error": np.inf, "diagnosis": problems[key]}
               for key in step_keys(n_layers) if keys is None or key in keys}  # a problem: not compared
    lines = []
    for line in diagnosis.report_lines(entries):
        key = line.split()[0]
        numbered = key in entries and line.startswith(f"{key:>4}")  # a tensor's line, not a diagnosis
        line = line.replace(f"error {np.inf:.1e}", "not compared") if key in problems else line
        if numbered:
            lines.append(f"({diagnosis.step_of(key, n_layers)}) {line}")
        else:  # a diagnosis: wrapped, so that it reads in a terminal (and on the page) without scrolling
            indent = " " * (4 + len(line) - len(line.lstrip()))
            lines += textwrap.wrap(line.strip(), GRADE_WIDTH - 2, initial_indent=indent,
                                   subsequent_indent=indent, break_on_hyphens=False)
    first = diagnosis.first_wrong(entries)
    if first is None:
        return None, lines + ["every step is correct"], entries
    step = f"{first}, step ({diagnosis.step_of(first, n_layers)})"
    return step, lines + [f"the first wrong step: {step}"], entries  # its diagnosis is printed under it


class Judge:
    """Reads a child's answers network by network, and keeps what makes the grade: the text's lines,
    the first answer that stopped the file, the first wrong step of the first network that has one,
    and each step's truth and notes over every network."""

    def __init__(self, path, nets):
        self.path, self.nets = path, nets
        self.lines, self.stop, self.right, self.total, self.seen = [], None, 0, 0, []  # seen: networks read
        self.first = None  # "dz1, step (5)"
        self.steps, self.notes = dict.fromkeys(STEPS, True), {k: [] for k in STEPS}

    def read(self, answer):
        kind = answer["kind"]
        if kind not in ("grads", "todo", "error", "refused"):
            raise BadAnswer(f"an answer of no known kind ({kind!r})")
        if kind != "grads":
            self.stop = self.stop or answer  # the first that stopped the file decides its text
        if answer.get("network") is None:  # the file itself stopped, before any network
            return
        network = self.nets[answer["network"]]
        name = network.function
        self.seen.append(answer["network"])
        if kind == "todo":
            keys = list(from_wire(answer.get("arrays", {})))
            first, lines, entries = step_lines(answer, network, keys) if keys else (None, [], {})
            if answer is self.stop and keys:
                lines = lines if first else lines[:-1]  # not "every step is correct": some are not written
                answer["text"] += f"\n\nThe steps written so far, on {network.head}:\n" + "\n".join(
                    "  " + line for line in lines)
                answer["wrong"] = first
            self.note(network, entries)
        elif kind == "grads":
            first, lines, entries = step_lines(answer, network)
            self.right, self.total = self.right + (first is None), self.total + 1
            self.first = self.first or first
            self.lines += [""] * bool(self.lines) + [f"{name} on {network.head}:"] + ["  " + x for x in lines]
            self.note(network, entries)

    def complete(self):
        """Unless the file stopped, every network of each function it answered for, once each, in order:
        an answer that leaves a network out cannot pass on the others."""
        functions = {self.nets[i].function for i in self.seen}
        if self.stop is None and (not self.seen or self.seen != [
                i for i, n in enumerate(self.nets) if n.function in functions]):
            raise BadAnswer("not every network was answered")

    def note(self, network, entries):
        """Each step's truth on this network, and a note where it is not correct (no entry: a step
        not written yet; step_lines gives every other key one)."""
        n_layers = len(network.params) // 2
        where = f"{network.function} on {network.sizes}, {network.activation}"
        for key in step_keys(n_layers):
            step, r = diagnosis.step_of(key, n_layers), entries.get(key)
            if r is None or r["verdict"] != "correct":
                self.steps[step] = False
                said = ("not written yet" if r is None else
                        f"{r['verdict']}, error {r['error']:.1e}: {r['diagnosis']}".replace(
                            f"error {np.inf:.1e}", "not compared"))
                self.notes[step].append(f"{where}: {key} {said}")


def judge(path, nets, run, timeout):
    """The grade of a file from its child's run: the status, the text the student reads, the points."""
    if run.ended != "answered" or run.answers is None:
        why = (f"it did not finish within {timeout:g} s, over all its networks: a loop that never ends?"
               if run.ended == "timeout" else f"the Python running it {run.ended}")
        return failed(path, "timeout" if run.ended == "timeout" else "error", why)
    try:
        answers, refused = run.answers["answers"], run.answers["refused"]
        judged = Judge(path, nets)
        for answer in answers:
            judged.read(answer)
        judged.complete()
    except (BadAnswer, KeyError, TypeError, IndexError, AttributeError) as err:
        return failed(path, "error", f"what its Python sent back cannot be read ({type(err).__name__})")
    stop = judged.stop
    if refused or (stop and stop["kind"] == "refused"):
        reason = str(refused[0] if refused else stop["headline"])[:300]
        text = stop["text"] if stop and stop["kind"] == "refused" else f"Refused: {reason}."
        return failed(path, "refused", reason, f"{text}\n\nNot passed: a refusal scores nothing.")
    if stop:
        todo, wrong = (stop.get("step"), stop.get("wrong")) if stop["kind"] == "todo" else (None, None)
        then = (f"fix {wrong}, write step ({todo})," if wrong and todo else
                f"write step ({todo})" if todo else "fix this")
        status = "unfinished" if stop["kind"] == "todo" else "error"
        steps = judged.steps if status == "unfinished" else dict.fromkeys(STEPS, False)
        return Grade(path, status, str(stop["headline"])[:300],
                     f"{str(stop['text'])[:20_000]}\n\nNot passed: {then} and run the check again.", steps,
                     notes(judged, status, stop["headline"]))
    right, total = judged.right, judged.total
    verdict = ("Passed: every step is correct on every network." if right == total else
               f"Not passed: {total - right} of {total} networks have a step that is not correct.")
    if right < total and "mean-in-dz convention" in "".join(judged.lines):  # right, in another convention
        verdict += (" Your dz and da are dL/dz itself, the mean-in-dz convention: to pass here, write "
                    "them per example (n dL/dz, as the lesson does) and divide by n in dW and db.")
    headline = ("every step is correct on every network" if right == total else
                f"the first wrong step: {judged.first} ({total - right} of {total} networks not correct)")
    return Grade(path, "passed" if right == total else "wrong", headline,
                 "\n".join(judged.lines + [""] + textwrap.wrap(verdict, GRADE_WIDTH)), judged.steps,
                 notes(judged, "passed" if right == total else "wrong", headline))


def notes(judged, status, headline):
    """Each step's note: its verdicts and diagnoses where it is not correct, on every network."""
    if status == "error":
        return dict.fromkeys(STEPS, f"not graded: {headline}")
    n = len(judged.seen)
    return {k: "\n".join(judged.notes[k]) if judged.notes[k] else f"correct on every network ({n})"
            for k in STEPS}


def failed(path, status, why, text=None):
    """The grade of a file that was not graded step by step: timeout, a crash, a refusal, no file."""
    text = text or f"{path}: {why}\n\nNot passed: fix this and run the check again."
    return Grade(path, status, why, text, dict.fromkeys(STEPS, False),
                 dict.fromkeys(STEPS, f"not graded: {why}"))


def grade_file(path, shown=None, timeout=TIMEOUT, memory=MEMORY, seed=None, protected=()):
    """The Grade of the learner's file at `path` (printed as `shown`, the path by default): its function
    run in a child on every network of GRADED it defines, judged here. seed: the networks' (None: a
    secret one); protected: folders the child may not touch, besides the project."""
    start, shown = time.perf_counter(), str(path) if shown is None else shown
    try:
        source = importlib.util.decode_source(pathlib.Path(path).read_bytes())
    except FileNotFoundError:
        grade = failed(shown, "error", "there is no such file", f"{shown}: there is no such file")
    except (OSError, UnicodeDecodeError, SyntaxError) as err:
        grade = failed(shown, "error", f"it cannot be read ({err})")
    else:
        before = project_state()
        nets = networks(seed)
        run = run_child(source, shown, nets, timeout, memory, protected)
        grade = judge(shown, nets, run, timeout)
        changed = [name for name, digest in project_state().items() if before.get(name) != digest]
        if changed:  # past the audit hook (or someone edited the project meanwhile): told, never hidden
            why = f"the project's files changed while it ran ({', '.join(changed)}): restore them"
            grade = failed(shown, "refused", why)
        if run.printed:
            cut = f" (the first {OUTPUT_CUT:,} of {run.printed:,} bytes)" * (run.printed > OUTPUT_CUT)
            grade.text = f"Your file printed{cut}:\n{run.output.rstrip()}\n\n{grade.text}"
    grade.seconds = time.perf_counter() - start
    return grade


# ----------------------------------------------------------------------------------------------------
# A class at once: files and folders, in parallel; the gradebook and the feedback
# ----------------------------------------------------------------------------------------------------

def python_files(paths):
    """[(the file, how it is shown)] for files and folders (every .py file under a folder, sorted)."""
    found = []
    for given in map(pathlib.Path, paths):
        if given.is_dir():
            found += [(p, str(p)) for p in sorted(given.rglob("*.py")) if "__pycache__" not in p.parts]
        else:
            found.append((given, str(given)))
    return found


def grade_all(files, jobs=None, progress=None, **options):
    """[Grade] for [(file, shown)], graded on `jobs` threads (a child each; the cores by default), in
    the order given; progress(done, total) after each. A failure of the grader's own on one file is
    that file's error, and the batch goes on."""
    grades = [None] * len(files)
    with concurrent.futures.ThreadPoolExecutor(jobs or os.cpu_count() or 1) as pool:
        futures = {pool.submit(grade_file, path, shown, **options): i
                   for i, (path, shown) in enumerate(files)}
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            i = futures[future]
            try:
                grades[i] = future.result()
            except Exception as err:  # noqa: BLE001 (ours, whatever it is: on its row, not the batch's end)
                grades[i] = failed(files[i][1], "error", f"the grader failed on it ({type(err).__name__}: "
                                   f"{err}): please report it")
            if progress:
                progress(done, len(files))
    return grades


def progress_bar(stream):
    """progress(done, total) drawing a bar on stream, if it is a terminal; else nothing until the end."""
    def progress(done, total):
        if stream.isatty():
            filled = 30 * done // total
            stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} files")
            stream.write("\n" if done == total else "")
            stream.flush()

    return progress


def batch_lines(grades):
    """What `check` prints for a class: a line per file (status, points, its one-line verdict), and
    how many of each status."""
    counts = ", ".join(f"{sum(g.status == s for g in grades)} {s}" for s in STATUSES)
    return [f"{g.file}: {g.status}, {g.points}/{len(STEPS)}: {g.headline}" for g in grades] + [
        f"{len(grades)} files graded: {counts}"]


def write_gradebook(path, grades):
    """The gradebook: a row per file, a column per step (1 if correct on every network), the points."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["file", *STEP_COLUMNS, "points", "max_points", "status"])
        for g in grades:
            writer.writerow([g.file, *(int(g.steps[k]) for k in STEPS), g.points, len(STEPS), g.status])


def feedback_path(folder, shown):
    """Where a file's feedback goes: its path, made relative, under folder, with .txt for .py."""
    shown = pathlib.PurePath(shown)
    parts = [p for p in shown.parts if p not in ("..", ".", shown.anchor)]
    return pathlib.Path(folder, *parts).with_suffix(".txt")


def write_feedback(folder, grades):
    for g in grades:
        path = feedback_path(folder, g.file)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(g.text + "\n", encoding="utf-8")


# ----------------------------------------------------------------------------------------------------
# Gradescope: an autograder bundle, and what it runs for each submission
# ----------------------------------------------------------------------------------------------------

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu): Python and NumPy.
set -euo pipefail
apt-get update
apt-get install -y python3 python3-pip python-is-python3
cd /autograder/source
# The project's NumPy where this Python can take it; else the newest NumPy it can.
pip3 install -r requirements.txt || pip3 install --break-system-packages -r requirements.txt \\
    || pip3 install numpy || pip3 install --break-system-packages numpy
"""
RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope copies this to $AUTOGRADER_ROOT/run_autograder (AUTOGRADER_ROOT: /autograder there) and runs
# it for each submission, in that folder: it grades the .py file in submission/ with the grader in
# source/ and writes results/results.json, even if the grader itself fails.
root="${{AUTOGRADER_ROOT:-/autograder}}"
mkdir -p "$root/results"
status=0
timeout --kill-after=10 {outer} python "$root/source/grade.py" autograde "$root" \\
    --timeout {timeout:g} --memory {memory} || status=$?
if [ ! -s "$root/results/results.json" ]; then
    cat > "$root/results/results.json" <<EOF
{{"score": 0, "tests": [],
 "output": "The grader stopped (exit status $status) before it wrote a grade: tell your teacher."}}
EOF
fi
"""


def bundle(out, timeout=TIMEOUT, memory=MEMORY):
    """Write Gradescope's autograder zip: setup.sh and run_autograder at its root, beside the files the
    grader needs, numpy's pin and the licence. The same bytes each time."""
    numpy_pin = next(line for line in (ROOT / "requirements.txt").read_text().splitlines()
                     if line.startswith("numpy"))
    files = {"setup.sh": SETUP_SH,
             "run_autograder": RUN_AUTOGRADER.format(timeout=timeout, memory=memory,
                                                     outer=int(timeout) + 120),
             "requirements.txt": numpy_pin + "\n", "LICENSE": (ROOT / "LICENSE").read_text(encoding="utf-8"),
             **{name: text.decode("utf-8") for name, text in LESSON.items()}}
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            executable = name in ("setup.sh", "run_autograder")
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text)
    return sorted(files)


def results_json(grade):
    """Gradescope's results.json for a grade: a test per step, the first wrong step on top."""
    tests = [{"name": f"step {column}", "number": str(k), "score": int(grade.steps[k]), "max_score": 1,
              "status": "passed" if grade.steps[k] else "failed", "output": grade.notes[k],
              "visibility": "visible"} for k, column in zip(STEPS, STEP_COLUMNS, strict=True)]
    return {"score": grade.points, "execution_time": round(grade.seconds),
            "output": f"{grade.status}: {grade.headline}\n\n{grade.text}", "visibility": "visible",
            "tests": tests}


def autograde(root, **options):
    """Grade the .py file in root/submission (backward_two_layer.py if there are several) and write
    root/results/results.json; the child may not touch anything under root (results/ least of all)."""
    root = pathlib.Path(root)
    files = sorted((root / "submission").rglob("*.py"))
    chosen = next((p for p in files if p.name == "backward_two_layer.py"), files[0] if files else None)
    if chosen is None:
        grade = failed("submission", "error", "no .py file was submitted",
                       "No .py file was submitted: submit your backward_two_layer.py.")
    else:
        grade = grade_file(chosen, str(chosen.relative_to(root / "submission")), protected=[root], **options)
        if len(files) > 1:
            grade.text = f"Graded {grade.file}, one of {len(files)} .py files submitted.\n\n{grade.text}"
    (root / "results").mkdir(parents=True, exist_ok=True)
    results = json.dumps(results_json(grade), indent=1)
    (root / "results" / "results.json").write_text(results, encoding="utf-8")
    return grade


# ----------------------------------------------------------------------------------------------------
# The command line: practice.py's `check` and `gradescope` (and `autograde`, which run_autograder runs)
# ----------------------------------------------------------------------------------------------------

def add_commands(commands):
    """Add `check` and `gradescope` to an argparse subparsers object (practice.py's, or this file's)."""
    check = commands.add_parser("check", help="grade files and folders of files")
    check.add_argument("paths", nargs="+", metavar="PATH", help="a .py file, or a folder of them")
    check.add_argument("--csv", metavar="FILE", help="write a gradebook: a row per file")
    check.add_argument("--feedback", metavar="DIR", help="write what each student would see, a file each")
    check.add_argument("--jobs", type=int, help="files graded at once (default: the machine's cores)")
    limits(check)
    bundle_it = commands.add_parser("gradescope", help="write an autograder zip for Gradescope")
    bundle_it.add_argument("out", metavar="OUT.zip")
    limits(bundle_it)


def limits(parser):
    parser.add_argument("--timeout", type=float, default=TIMEOUT,
                        help=f"seconds for a file, all its networks together (default {TIMEOUT:g})")
    parser.add_argument("--memory", type=int, default=MEMORY, help=f"MB for a file (default {MEMORY})")


def run(args):
    """Carry out a parsed `check`, `gradescope` or `autograde`: the exit status."""
    options = {"timeout": args.timeout, "memory": args.memory}
    if args.command == "gradescope":
        for name in bundle(args.out, **options):
            print(f"{args.out}: {name}")
        return 0
    if args.command == "autograde":
        grade = autograde(args.root, **options)
        print(f"{grade.file}: {grade.status}, {grade.points}/{len(STEPS)}")
        return 0
    if len(args.paths) == 1 and not (pathlib.Path(args.paths[0]).is_dir() or args.csv or args.feedback):
        grade = grade_file(args.paths[0], **options)  # one file: its text, and today's exit status
        print(grade.text)
        return 0 if grade.passed else 1
    files = python_files(args.paths)
    missing = [shown for path, shown in files if not path.is_file()]
    if missing or not files:
        print(f"check: {', '.join(missing) or ' '.join(args.paths)}: no such file, or no .py file in it",
              file=sys.stderr)
        return 2
    grades = grade_all(files, args.jobs, progress_bar(sys.stderr), **options)
    print("\n".join(batch_lines(grades)))
    if args.csv:
        write_gradebook(args.csv, grades)
    if args.feedback:
        write_feedback(args.feedback, grades)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description="Grade learners' backward passes (see practice.py).")
    commands = parser.add_subparsers(dest="command", required=True)
    add_commands(commands)
    autograde_it = commands.add_parser("autograde", help="grade ROOT/submission into ROOT/results/")
    autograde_it.add_argument("root", metavar="ROOT")
    limits(autograde_it)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

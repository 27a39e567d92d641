// The page's Python: Pyodide in a module Web Worker (started by live-code.js), so that a long run
// never freezes the page, and Stop can end any run by terminating the worker.
//
// Everything comes from the site itself: Pyodide and numpy from ../pyodide/ (vendored, see
// VENDORED.txt there), the repository's own Python files from py/ (copied there at every build by
// tools/live_files.py; py/files.json lists them), and live_runner.py beside this file. A block that
// draws (one that imports matplotlib or the lab: live_runner.draws) first loads what figures need,
// once: matplotlib and its packages, its font list and bytecode (../pyodide/), and the lab's files
// (py/figures.json lists them). A page without such a block fetches none of them.
//
// Messages in:  {type: "enter", page}  a page was entered: its runs start from the lesson
//               {type: "run", page, id, kind, code, file, line, region, lines, figure}   (live_runner.run's;
//               figure: the block draws, so matplotlib starts loading at once, beside numpy)
//               {type: "figures"}     a block that draws is in view: load what figures need, next
//               {type: "stop", id}    end run id after its current frame (a run that draws frames)
//               A message naming another page than the last first resets the session to the lesson
//               (live_runner.enter), if anything has run since Python started or was last reset;
//               one that waited for Python to load while a later page was entered is skipped. Runs,
//               resets and "figures" happen one at a time, in the order sent; "stop" at once.
// Messages out: {type: "ready", seconds, steps}  once Python, numpy and the files are loaded
//               (steps: the seconds at which Python, numpy, and the imports were ready)
//               {type: "figures", seconds, steps}  once what figures need is loaded (loadFigures)
//               {type: "fatal", message}  if that failed
//               {id, type: "out" | "err", text}   what the run prints, as it prints it
//               {id, type: "frame", png, alt, summary}  a picture the run shows (PNG bytes, its alt
//               text, and that text's first sentence), one per frame of a run that draws frames
//               {id, type: "done", status}        the run's one-line status ("error" after a traceback,
//               "stopped" when stopped between frames)
import { loadPyodide } from "../pyodide/pyodide.mjs";

const here = new URL(".", import.meta.url);
const HOME = "/home/pyodide";
let current = null; // the id of the run in progress, for the output it prints

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

// The files a listing of py/ names: [[name, bytes]].
async function fetchListed(listing) {
  const names = await (await fetch(new URL(`py/${listing}`, here))).json();
  return Promise.all(names.map(async (name) => [name, await fetchBytes(new URL(`py/${name}`, here))]));
}

function writeFiles(pyodide, files) {
  for (const [name, bytes] of files) {
    const path = `${HOME}/${name}`;
    pyodide.FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
    pyodide.FS.writeFile(path, bytes);
  }
}

// The top-level .py files among those (mlp, checks, ...): the modules live_runner.enter imports afresh.
const modulesOf = (files) => files.map(([name]) => name).filter((name) => /^[^/]+\.py$/.test(name))
  .map((name) => name.slice(0, -3));

const booting = loadPyodide({ indexURL: new URL("../pyodide/", here).href });
let drawing = false; // whether a block that draws is waiting (or in view): matplotlib then loads with numpy

const ready = (async () => {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const steps = {};
  // The repository's files, fetched while Python starts.
  const fetching = Promise.all([
    fetchListed("files.json"),
    fetchBytes(new URL("live_runner.py", here)).then((bytes) => [["live_runner.py", bytes]]),
  ]);
  fetching.catch(() => {}); // reported when awaited below
  const pyodide = await booting;
  steps.python = seconds();
  // One call for both, when figures are wanted: their wheels install together (two calls would
  // wait for each other).
  await pyodide.loadPackage(drawing ? ["numpy", "matplotlib"] : "numpy", { messageCallback: () => {} });
  steps.numpy = seconds();
  const [files, runnerFile] = await fetching;
  writeFiles(pyodide, [...files, ...runnerFile]);
  const decoder = new TextDecoder();
  const stream = (type) => ({
    write: (buffer) => {
      postMessage({ id: current, type, text: decoder.decode(buffer) });
      return buffer.length;
    },
  });
  pyodide.setStdout(stream("out"));
  pyodide.setStderr(stream("err"));
  // Bytecode is cached (in memory), so that importing the lesson again when a page is entered
  // (live_runner.enter) does not compile it again.
  pyodide.runPython(`
import os, sys
os.chdir("${HOME}")
sys.path.insert(0, "${HOME}")
sys.dont_write_bytecode = False
import numpy, mlp, live_runner
`);
  steps.imported = seconds();
  postMessage({ type: "ready", seconds: steps.imported, steps });
  return { pyodide, runner: pyodide.pyimport("live_runner"), modules: modulesOf(files) };
})();
ready.catch((err) => postMessage({ type: "fatal", message: String(err) }));

// --- figures: loaded once, when a block that draws is run or comes into view ----------------------
const FONT_LIST = "fontlist-v330.json"; // tools/live_files.FONT_LIST
const BYTECODE = "matplotlib-bytecode.zip"; // tools/live_files.BYTECODE
let figures = null; // the promise of them

// matplotlib's packages load as soon as Python has started (beside numpy); its font list goes where
// Pyodide's matplotlib reads it, and its bytecode into site-packages, before its first import (so
// that this import neither builds the one nor compiles the other: tools/pyodide_prebuilt.mjs); the
// lab's files beside the lesson's. For a preload (warm), live_runner.warm_figures then pays the first
// figure's one-time costs, so that the reader's first figure does not; a run that waits pays them
// itself. Posts {type: "figures", seconds, steps}: the seconds it took, and the seconds since the
// worker started at which the packages were loaded, the files written, and the figures warmed.
function loadFigures(warm) {
  figures ??= (async () => {
    const started = performance.now();
    const steps = {};
    const folder = new URL("../pyodide/", here);
    const fetching = Promise.all([fetchListed("figures.json"), fetchBytes(new URL(FONT_LIST, folder)),
      fetchBytes(new URL(BYTECODE, folder))]);
    fetching.catch(() => {}); // reported when awaited below
    const pyodide = await booting;
    await pyodide.loadPackage("matplotlib", { messageCallback: () => {} });
    steps.packages = performance.now() / 1000;
    const { runner, modules } = await ready;
    const [files, fontList, bytecode] = await fetching;
    const site = pyodide.runPython("import sysconfig; sysconfig.get_path('purelib')");
    pyodide.FS.writeFile(`${site}/matplotlib/fontlist.json`, fontList);
    pyodide.unpackArchive(bytecode, "zip", { extractDir: site });
    writeFiles(pyodide, files);
    modules.push(...modulesOf(files));
    steps.written = performance.now() / 1000;
    if (warm) {
      current = null; // nothing it might print belongs to a run
      runner.warm_figures();
      steps.warmed = performance.now() / 1000;
    }
    postMessage({ type: "figures", seconds: (performance.now() - started) / 1000, steps });
  })();
  return figures;
}

// A run whose code showed frames (live_runner.run said "frames"): each is sent as it is drawn, and
// the worker yields to its event loop between two, so that a "stop" message gets in; a stopped run
// keeps the frames sent. Returns the run's status: "done", "stopped", "error", or the last frame's
// message (a diverged run's).
const stopping = new Set(); // ids of the runs asked to stop
const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

async function sendFrames(runner, id) {
  for (;;) {
    await nextTask();
    if (stopping.delete(id)) {
      runner.close_frames();
      return "stopped";
    }
    current = id;
    const frame = runner.next_frame(); // (png, alt, summary, message), None at the end, or "error"
    if (frame === undefined || typeof frame === "string") return frame ?? "done";
    const [png, alt, summary, message] = frame.toJs({ depth: 1 });
    const bytes = png.toJs();
    png.destroy();
    frame.destroy();
    postMessage({ id, type: "frame", png: bytes, alt, summary }, [bytes.buffer]);
    if (message) {
      postMessage({ id, type: "err", text: `${message}\n` });
      runner.close_frames();
      return message;
    }
  }
}

let page = null; // the page whose runs this session holds
let ran = false; // whether anything has run since Python started or was last reset
let latest = null; // the page of the last message received: runs of an earlier page are skipped
let queue = Promise.resolve(); // runs and resets, one at a time

onmessage = ({ data }) => {
  if (data.type === "stop") {
    stopping.add(data.id);
  } else if (data.type === "figures") {
    drawing = true;
    const failed = (err) => postMessage({ type: "figures", error: String(err) });
    queue = queue.then(() => loadFigures(true).catch(failed));
  } else {
    if (data.figure) { // a block that draws: at once (an error is reported by its run)
      drawing = true;
      loadFigures(false).catch(() => {});
    }
    latest = data.page;
    queue = queue.then(() => handle(data));
  }
};

async function handle(data) {
  let session;
  try {
    session = await ready;
  } catch {
    return; // reported as fatal
  }
  const { pyodide, runner, modules } = session;
  if (data.page !== latest) return; // sent while Python loaded, from a page since left
  if (data.page !== page) {
    page = data.page;
    try {
      if (ran) {
        const names = pyodide.toPy(modules);
        runner.enter(names);
        names.destroy();
      }
    } catch (err) {
      postMessage({ type: "fatal", message: String(err) });
      return;
    }
    ran = false;
  }
  if (data.type !== "run") return;
  ran = true;
  current = data.id;
  const { kind, code, file = null, line = 1, region = null, lines = 1 } = data;
  if (runner.draws(code)) {
    try {
      await loadFigures(false);
    } catch (err) {
      postMessage({ id: data.id, type: "err", text: `The figures could not load: ${err}\n` });
      postMessage({ id: data.id, type: "done", status: "error" });
      return;
    }
  }
  let status = runner.run.callKwargs({ kind, code, file, line, region, lines });
  if (status === "frames") status = await sendFrames(runner, data.id);
  stopping.delete(data.id);
  postMessage({ id: data.id, type: "done", status });
}

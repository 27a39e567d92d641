// The page's Python: Pyodide in a module Web Worker (started by live-code.js), so that a long run
// never freezes the page, and Stop can end any run by terminating the worker.
//
// Everything comes from the site itself: Pyodide and numpy from ../pyodide/ (vendored, see
// VENDORED.txt there), the repository's own Python files from py/ (copied there at every build by
// tools/live_files.py; py/files.json lists them), and live_runner.py beside this file.
//
// Messages in:  {type: "enter", page}  a page was entered: its runs start from the lesson
//               {type: "run", page, id, kind, code, file, line, region, lines}   (live_runner.run's)
//               A message naming another page than the last first resets the session to the lesson
//               (live_runner.enter), if anything has run since Python started or was last reset;
//               one that waited for Python to load while a later page was entered is skipped.
// Messages out: {type: "ready", seconds, steps}  once Python, numpy and the files are loaded
//               (steps: the seconds at which Python, numpy, and the imports were ready)
//               {type: "fatal", message}  if that failed
//               {id, type: "out" | "err", text}   what the run prints, as it prints it
//               {id, type: "done", status}        the run's one-line status ("error" after a traceback)
import { loadPyodide } from "../pyodide/pyodide.mjs";

const here = new URL(".", import.meta.url);
const HOME = "/home/pyodide";
let current = null; // the id of the run in progress, for the output it prints

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

// The repository's files, fetched while Python starts.
async function fetchFiles(names) {
  return Promise.all([
    ...names.map(async (name) => [name, await fetchBytes(new URL(`py/${name}`, here))]),
    fetchBytes(new URL("live_runner.py", here)).then((bytes) => ["live_runner.py", bytes]),
  ]);
}

const ready = (async () => {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const steps = {};
  const listing = fetch(new URL("py/files.json", here)).then((response) => response.json());
  const fetching = listing.then(fetchFiles);
  fetching.catch(() => {}); // reported when awaited below
  const pyodide = await loadPyodide({ indexURL: new URL("../pyodide/", here).href });
  steps.python = seconds();
  await pyodide.loadPackage("numpy", { messageCallback: () => {} });
  steps.numpy = seconds();
  for (const [name, bytes] of await fetching) {
    const path = `${HOME}/${name}`;
    pyodide.FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
    pyodide.FS.writeFile(path, bytes);
  }
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
  // The lesson's modules: the top-level .py files among them (mlp, checks, diagnosis, zoo, ...).
  const modules = (await listing).filter((name) => /^[^/]+\.py$/.test(name)).map((name) => name.slice(0, -3));
  return { runner: pyodide.pyimport("live_runner"), modules: pyodide.toPy(modules) };
})();
ready.catch((err) => postMessage({ type: "fatal", message: String(err) }));

let page = null; // the page whose runs this session holds
let ran = false; // whether anything has run since Python started or was last reset
let latest = null; // the page of the last message received: runs of an earlier page are skipped

onmessage = async ({ data }) => {
  latest = data.page;
  const { runner, modules } = await ready;
  if (data.page !== latest) return; // sent while Python loaded, from a page since left
  if (data.page !== page) {
    page = data.page;
    try {
      if (ran) runner.enter(modules);
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
  const status = runner.run.callKwargs({ kind, code, file, line, region, lines });
  postMessage({ id: data.id, type: "done", status });
};

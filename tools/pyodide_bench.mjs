// How long the page's figures take in the vendored Pyodide, under Node (a benchmark: prints, asserts
// nothing). For each of REPEATS fresh Pyodides, without the files of tools/pyodide_prebuilt.mjs, with
// matplotlib's font list only, and with its font list and bytecode (in turn):
//
//     pyodide      loadPyodide, from docs/assets/pyodide/
//     packages     loadPackage numpy and matplotlib (and what it needs), as a page that draws would,
//                  and the prebuilt files written into site-packages
//     matplotlib   the first `import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot`
//     lab          the first `import experiments` (the lab, and what it imports)
//     first frame  the first frame of experiments.playground() (training [2, 16, 1] on 200 moons
//                  points, 200 more held out, 300 epochs, 40 frames asked for): the figure, its
//                  layout, and the first field, as PNG bytes
//     per frame    each later frame: the piece of training before it, the field (150 x 150) over the
//                  points, the loss so far, drawn and encoded as PNG (median over the run, and the
//                  frames a second that makes)
//
//     node tools/pyodide_bench.mjs [REPEATS]      (about 30 s a repeat on a quiet machine)
//
// Times are wall-clock seconds, and the CPU seconds of this process beside them (user + system: on a
// machine shared with others, the CPU time is the closer to what a quiet machine would take; Node's
// background threads, which compile WebAssembly, add to it while loading). Each line is the fastest
// repeat, the least disturbed.
import { loadPyodide } from "../docs/assets/pyodide/pyodide.mjs";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const FONT_LIST = "fontlist-v330.json"; // tools/live_files.FONT_LIST
const BYTECODE = "matplotlib-bytecode.zip"; // tools/live_files.BYTECODE
const MODES = { none: "without them (matplotlib builds its font list and compiles its modules):",
  fonts: "with the vendored font list only:", both: "with the vendored font list and bytecode:" };
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const indexURL = path.join(root, "docs/assets/pyodide") + "/";
const repeats = Number(process.argv[2] || 3);

function clock() {
  const cpu = process.cpuUsage();
  return { wall: performance.now() / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
}

async function run(mode) {
  const times = {};
  let start = clock();
  const lap = (name) => {
    const now = clock();
    times[name] = { wall: now.wall - start.wall, cpu: now.cpu - start.cpu };
    start = clock();
  };
  const pyodide = await loadPyodide({ indexURL });
  lap("pyodide");
  await pyodide.loadPackage(["numpy", "matplotlib"], { messageCallback: () => {} });
  const site = pyodide.runPython("import sysconfig; sysconfig.get_path('purelib')"); // site-packages
  if (mode !== "none") {
    pyodide.FS.writeFile(`${site}/matplotlib/fontlist.json`, readFileSync(indexURL + FONT_LIST));
  }
  if (mode === "both") {
    pyodide.unpackArchive(new Uint8Array(readFileSync(indexURL + BYTECODE)), "zip", { extractDir: site });
  }
  lap("packages");
  pyodide.FS.mkdirTree("/repo");
  pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root }, "/repo");
  pyodide.runPython(`import logging, os, sys; sys.dont_write_bytecode = True; os.chdir("/repo"); sys.path.insert(0, "/repo")
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # "building the font cache"`);
  start = clock();
  pyodide.runPython(`import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot`);
  lap("matplotlib");
  pyodide.runPython("import experiments");
  lap("lab");
  const frames = pyodide.runPython("experiments.playground('moons', 16, 'relu', 4.0, 300, 0, 200, 40)");
  frames.next();
  lap("first frame");
  const each = [];
  for (let step = frames.next(); !step.done; step = frames.next()) {
    const now = clock();
    each.push({ wall: now.wall - start.wall, cpu: now.cpu - start.cpu });
    start = now;
  }
  const median = (key) => each.map((t) => t[key]).sort((a, b) => a - b)[Math.floor(each.length / 2)];
  times["per frame"] = { wall: median("wall"), cpu: median("cpu"), n: each.length };
  return times;
}

const best = { none: {}, fonts: {}, both: {} };
for (let r = 0; r < repeats; r++) {
  for (const mode of Object.keys(MODES)) {
    for (const [name, t] of Object.entries(await run(mode))) {
      if (!best[mode][name] || t.wall < best[mode][name].wall) best[mode][name] = t;
    }
  }
}
for (const mode of Object.keys(MODES)) {
  console.log(MODES[mode]);
  for (const [name, t] of Object.entries(best[mode])) {
    const rate = name === "per frame" ? `  (${(1 / t.wall).toFixed(1)} frames a second, ${t.n} frames)` : "";
    console.log(`  ${name.padEnd(12)} ${t.wall.toFixed(2).padStart(6)} s wall ${t.cpu.toFixed(2).padStart(6)} s CPU${rate}`);
  }
}

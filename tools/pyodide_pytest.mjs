// Run pytest inside the vendored Pyodide, under Node: does the browser's Python (3.12, numpy 2.0.2,
// matplotlib 3.8.4, WebAssembly) still pass the lesson's tests, and draw the lab's figures?
// test_live.py runs this; by hand:
//
//     node tools/pyodide_pytest.mjs VENV_SITE_PACKAGES [pytest arguments...]
//
// Nothing is downloaded. Pyodide, numpy and matplotlib come from docs/assets/pyodide/ (vendored),
// loaded as the page loads them, with matplotlib's font list and its modules' bytecode written where
// Pyodide's matplotlib looks for them (so that its first import neither builds the one nor compiles
// the other: tools/pyodide_prebuilt.mjs); the repository is mounted (NODEFS) at /repo
// and is the working folder; pytest and its pure-Python dependencies come from the given
// site-packages folder (the project's venv), mounted at /venv and put at the END of sys.path, so
// that numpy and matplotlib are Pyodide's own, never the venv's native builds. No bytecode is
// written into the repository. Prints pytest's report, then one line `PYODIDE-PYTEST {json}` with
// pytest's exit code, every test's outcome, whether matplotlib built its font list after all, the
// modules of matplotlib and pyparsing compiled from source after all, and how long loading took
// (seconds).
import { loadPyodide } from "../docs/assets/pyodide/pyodide.mjs";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const FONT_LIST = "fontlist-v330.json"; // tools/live_files.FONT_LIST
const BYTECODE = "matplotlib-bytecode.zip"; // tools/live_files.BYTECODE
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const [venv, ...args] = process.argv.slice(2);
if (!venv) {
  console.error("usage: node tools/pyodide_pytest.mjs VENV_SITE_PACKAGES [pytest arguments...]");
  process.exit(2);
}
const indexURL = path.join(root, "docs/assets/pyodide") + "/";
const seconds = {};
let start = performance.now();
const lap = (name) => { seconds[name] = (performance.now() - start) / 1000; start = performance.now(); };
const pyodide = await loadPyodide({ indexURL });
lap("pyodide");
await pyodide.loadPackage(["numpy", "matplotlib"], { messageCallback: () => {} });
lap("packages");
const site = pyodide.runPython("import sysconfig; sysconfig.get_path('purelib')"); // site-packages
pyodide.FS.writeFile(`${site}/matplotlib/fontlist.json`, readFileSync(indexURL + FONT_LIST));
pyodide.unpackArchive(new Uint8Array(readFileSync(indexURL + BYTECODE)), "zip", { extractDir: site });
for (const [folder, mountpoint] of [[root, "/repo"], [path.resolve(venv), "/venv"]]) {
  pyodide.FS.mkdirTree(mountpoint);
  pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: folder }, mountpoint);
}
pyodide.setStdout({ batched: (line) => console.log(line) });
pyodide.setStderr({ batched: (line) => console.error(line) });
pyodide.globals.set("ARGS", pyodide.toPy(args));
pyodide.globals.set("LOADING", JSON.stringify(seconds));
const code = await pyodide.runPythonAsync(`
import json, logging, os, sys, time
sys.dont_write_bytecode = True
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
os.chdir("/repo")
sys.path.insert(0, "/repo")
sys.path.append("/venv")

said = []  # by matplotlib's font manager: "generated new fontManager" if it built its font list
fonts = logging.getLogger("matplotlib.font_manager")
fonts.setLevel(logging.INFO)
fonts.addHandler(logging.Handler())
fonts.handlers[-1].emit = lambda record: said.append(record.getMessage())
compiled = []  # modules of matplotlib and pyparsing compiled from source: the bytecode lacked them
from importlib.machinery import SourceFileLoader
to_code = SourceFileLoader.source_to_code
def counted(self, data, path, **kwargs):
    if any(f"/site-packages/{top}/" in path for top in ("matplotlib", "pyparsing")):
        compiled.append(path.split("/site-packages/")[1])
    return to_code(self, data, path, **kwargs)
SourceFileLoader.source_to_code = counted
seconds, start = json.loads(LOADING), time.perf_counter()
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot
seconds["import_matplotlib"] = time.perf_counter() - start

import numpy, pytest

outcomes = {}
class Record:
    def pytest_runtest_logreport(self, report):
        if report.when == "call" or report.outcome != "passed":
            outcomes.setdefault(report.nodeid, report.outcome)

exit_code = int(pytest.main(["-p", "no:cacheprovider", "--noconftest", "--capture=sys", *ARGS], plugins=[Record()]))
built = any("generated new fontManager" in message for message in said)
print("PYODIDE-PYTEST " + json.dumps({"exit": exit_code, "python": sys.version.split()[0],
                                      "numpy": numpy.__version__, "matplotlib": matplotlib.__version__,
                                      "font_list_built": built, "compiled": compiled, "seconds": seconds,
                                      "outcomes": outcomes}))
exit_code
`);
process.exit(code === 0 || code === 1 ? 0 : 3);

// Run pytest inside the vendored Pyodide, under Node: does the browser's Python (3.12, numpy 2.0.2,
// WebAssembly) still pass the lesson's tests? test_live.py runs this; by hand:
//
//     node tools/pyodide_pytest.mjs VENV_SITE_PACKAGES [pytest arguments...]
//
// Nothing is downloaded. Pyodide and numpy come from docs/assets/pyodide/ (vendored); the repository
// is mounted (NODEFS) at /repo and is the working folder; pytest and its pure-Python dependencies
// come from the given site-packages folder (the project's venv), mounted at /venv and put at the END
// of sys.path, so that numpy is Pyodide's own, never the venv's native build. No bytecode is written
// into the repository. Prints pytest's report, then one line `PYODIDE-PYTEST {json}` with pytest's
// exit code and every test's outcome.
import { loadPyodide } from "../docs/assets/pyodide/pyodide.mjs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const [venv, ...args] = process.argv.slice(2);
if (!venv) {
  console.error("usage: node tools/pyodide_pytest.mjs VENV_SITE_PACKAGES [pytest arguments...]");
  process.exit(2);
}
const pyodide = await loadPyodide({ indexURL: path.join(root, "docs/assets/pyodide") + "/" });
await pyodide.loadPackage("numpy", { messageCallback: () => {} });
for (const [folder, mountpoint] of [[root, "/repo"], [path.resolve(venv), "/venv"]]) {
  pyodide.FS.mkdirTree(mountpoint);
  pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: folder }, mountpoint);
}
pyodide.setStdout({ batched: (line) => console.log(line) });
pyodide.setStderr({ batched: (line) => console.error(line) });
pyodide.globals.set("ARGS", pyodide.toPy(args));
const code = await pyodide.runPythonAsync(`
import json, os, sys
sys.dont_write_bytecode = True
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
os.chdir("/repo")
sys.path.insert(0, "/repo")
sys.path.append("/venv")

import numpy, pytest

outcomes = {}
class Record:
    def pytest_runtest_logreport(self, report):
        if report.when == "call" or report.outcome != "passed":
            outcomes.setdefault(report.nodeid, report.outcome)

exit_code = int(pytest.main(["-p", "no:cacheprovider", "--noconftest", "--capture=sys", *ARGS], plugins=[Record()]))
print("PYODIDE-PYTEST " + json.dumps({"exit": exit_code, "python": sys.version.split()[0],
                                      "numpy": numpy.__version__, "outcomes": outcomes}))
exit_code
`);
process.exit(code === 0 || code === 1 ? 0 : 3);

// Make, with the vendored matplotlib inside the vendored Pyodide under Node, the two files that spare
// the page's first figure work it would otherwise do in the browser, into FOLDER
// (tools/vendor_pyodide.py: docs/assets/pyodide/, as tools/live_files.FONT_LIST and BYTECODE):
//
//     node tools/pyodide_prebuilt.mjs FOLDER
//
// - fontlist-v330.json: matplotlib's list of the fonts it ships, which its first import would build
//   by reading every font file. Pyodide's matplotlib keeps it in matplotlib/fontlist.json, beside
//   font_manager.py. The scan's order is a set's, so the lists are sorted by file.
// - matplotlib-bytecode.zip: the compiled bytecode (.pyc) of the modules of matplotlib and pyparsing
//   that the lab's first playground frame imports, laid out as site-packages lays them out
//   (matplotlib/__pycache__/...). Pyodide's wheels ship only sources, so each first import compiles
//   them. Each .pyc is checked against its source's hash when imported: one that does not match its
//   source is compiled again from it, never run stale.
// A page writes both after loadPackage("matplotlib") and before the first import of matplotlib.
// The same bytes every time: sorted lists, sorted zip entries with a fixed date.
import { loadPyodide } from "../docs/assets/pyodide/pyodide.mjs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const folder = process.argv[2];
if (!folder) {
  console.error("usage: node tools/pyodide_prebuilt.mjs FOLDER");
  process.exit(2);
}
const pyodide = await loadPyodide({ indexURL: path.join(root, "docs/assets/pyodide") + "/" });
await pyodide.loadPackage("matplotlib", { messageCallback: () => {} });
for (const [from, mountpoint] of [[root, "/repo"], [path.resolve(folder), "/out"]]) {
  pyodide.FS.mkdirTree(mountpoint);
  pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: from }, mountpoint);
}
pyodide.runPython(`
import importlib.util, io, json, logging, pathlib, py_compile, sys, zipfile

sys.dont_write_bytecode = True
sys.path.insert(0, "/repo")
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # "building the font cache"
import matplotlib.font_manager as fm

for fonts in (fm.fontManager.ttflist, fm.fontManager.afmlist):
    fonts.sort(key=lambda font: font.fname)
text = json.dumps(fm.fontManager, cls=fm._JSONEncoder, indent=2) + "\\n"
pathlib.Path("/out/fontlist-v330.json").write_text(text, encoding="utf-8")

import experiments

next(experiments.playground())  # imports what the page's figures import
site = pathlib.Path(importlib.util.find_spec("matplotlib").origin).parents[1]
files = {pathlib.Path(str(getattr(module, "__file__", None))) for module in list(sys.modules.values())}
sources = sorted(path for path in files if path.suffix == ".py" and path.is_relative_to(site)
                 and path.relative_to(site).parts[0] in ("matplotlib", "pyparsing"))
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w") as zf:
    for source in sources:
        pyc = py_compile.compile(str(source), doraise=True,
                                 invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
        entry = zipfile.ZipInfo(str(pathlib.Path(pyc).relative_to(site)), (1980, 1, 1, 0, 0, 0))
        zf.writestr(entry, pathlib.Path(pyc).read_bytes(), zipfile.ZIP_DEFLATED, 9)
pathlib.Path("/out/matplotlib-bytecode.zip").write_bytes(buffer.getvalue())
`);

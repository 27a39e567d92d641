// Print matplotlib's font list for the fonts it ships, made by the vendored matplotlib inside the
// vendored Pyodide, under Node: tools/vendor_pyodide.py writes it to docs/assets/pyodide/ as
// fontlist-v330.json (tools/live_files.FONT_LIST).
//
//     node tools/pyodide_fontlist.mjs > docs/assets/pyodide/fontlist-v330.json
//
// Without it, matplotlib builds this list at its first import (it reads every font file it ships).
// Pyodide's matplotlib keeps it in matplotlib/fontlist.json, beside font_manager.py: a page that
// writes this file there first saves that work. The scan's order is a set's, so the lists are
// sorted by file: the same bytes every time.
import { loadPyodide } from "../docs/assets/pyodide/pyodide.mjs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const pyodide = await loadPyodide({ indexURL: path.join(root, "docs/assets/pyodide") + "/" });
await pyodide.loadPackage("matplotlib", { messageCallback: () => {} });
process.stdout.write(pyodide.runPython(`
import json
import logging
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # "building the font cache"
import matplotlib.font_manager as fm

for fonts in (fm.fontManager.ttflist, fm.fontManager.afmlist):
    fonts.sort(key=lambda font: font.fname)
json.dumps(fm.fontManager, cls=fm._JSONEncoder, indent=2) + "\\n"
`));

"""What the site's live code blocks need, checked and copied: plain Python, no MkDocs.

docs/hooks.py calls both functions on every build, and they run the same without MkDocs (Zensical
ignores `hooks:`; after another builder, run `python tools/live_files.py SITE_DIR`):

- check_vendored(folder): the vendored Pyodide runtime and numpy wheel (docs/assets/pyodide/) are
  byte for byte the files VENDORED lists; a changed, missing or extra file raises ValueError.
- copy_live_files(root, site_dir): the repository's own Python files that the page runs (LIVE_FILES)
  are copied into the site, with a list of them, at every build. No copy is ever kept by hand.

tools/vendor_pyodide.py fetches the vendored files again and writes docs/assets/pyodide/VENDORED.txt
from VENDORED.
"""

import hashlib
import json
import shutil
import sys
from pathlib import Path

PYODIDE_VERSION = "0.27.7"
NUMPY_WHEEL = "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl"
# The runtime under docs/assets/pyodide/: {file name: (size in bytes, sha256)}.
VENDORED = {
    "pyodide.mjs": (13931, "04c052c815abb0bf2981fa38c2dfa58e3120ee5288c956df2b2a15e301782c5f"),
    "pyodide.asm.js": (1255688, "6b4c90de5b7172873f04f21884d0e9d2274e305fe32116558fe3e4fbe3618d51"),
    "pyodide.asm.wasm": (10105545, "a50dd1843f805a0b7c45b61037ee0d7b26dfe85efe0e18ef95a34ad24e401f5f"),
    "python_stdlib.zip": (2360737, "16611534726e5d8ac2bd8f926410b2dcb8d6f49aa24913463533b457a2115c16"),
    "pyodide-lock.json": (416, "d1b6ef1f3603772c72d3a267b563623aa0821057b72fd53082ed4ebab22facda"),
    NUMPY_WHEEL: (3061133, "ebb61241d962b98b21597d7ce43b67668a6d5bab3acec4fbe958657320d7cd08"),
}
# The other files of that folder: licences and the notes that say where the runtime came from.
VENDORED_NOTES = ("LICENSE-pyodide", "LICENSE-python", "LICENSE-numpy", "VENDORED.txt")
MAX_RUNTIME_BYTES = 20_000_000  # the budget for the vendored runtime

# The repository's files that the page's Python imports or reads, relative to the repository root.
# Not experiments.py: it imports concurrent.futures.ProcessPoolExecutor, which needs _multiprocessing,
# which Pyodide lacks (the lab runs on a computer; the page runs the lesson and the zoo).
LIVE_FILES = (
    "mlp.py",
    "checks.py",
    "datasets.py",
    "zoo.py",
    "diagnosis.py",
    "data/digits.csv.gz",
)
LIVE_DIR = "assets/live/py"  # where they go in the site
LIVE_LIST = "files.json"  # in LIVE_DIR: the files, for the page's worker to fetch


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_vendored(folder: Path) -> None:
    """Raise ValueError naming every file of `folder` that is not what VENDORED says (changed size or
    sha256, missing), and any file there that VENDORED and VENDORED_NOTES do not list."""
    problems = []
    for name, (size, digest) in VENDORED.items():
        path = folder / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif path.stat().st_size != size or sha256(path) != digest:
            problems.append(f"{name} has {path.stat().st_size} bytes and sha256 {sha256(path)}, "
                            f"expected {size} bytes and sha256 {digest}")
    known = set(VENDORED) | set(VENDORED_NOTES)
    extra = sorted(p.name for p in folder.iterdir() if p.name not in known) if folder.is_dir() else []
    problems += [f"{name} is not a vendored file (tools/live_files.py lists no such name)" for name in extra]
    if problems:
        raise ValueError(f"vendored Pyodide in {folder}: " + "; ".join(problems)
                         + ". Run `python tools/vendor_pyodide.py` to fetch the files again.")


def copy_live_files(root: Path, site_dir: Path) -> list[str]:
    """Copy each file of LIVE_FILES from `root` into `site_dir`/LIVE_DIR (same relative path; a missing
    one raises) and write LIVE_LIST there, the list of them; return that list."""
    dest = Path(site_dir) / LIVE_DIR
    copied = []
    for name in LIVE_FILES:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(root) / name, dest / name)
        copied.append(name)
    dest.mkdir(parents=True, exist_ok=True)
    (dest / LIVE_LIST).write_text(json.dumps(copied) + "\n", encoding="utf-8")
    return copied


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tools/live_files.py SITE_DIR   (after building the site into SITE_DIR)")
    ROOT = Path(__file__).resolve().parent.parent
    check_vendored(ROOT / "docs" / "assets" / "pyodide")
    print("copied:", ", ".join(copy_live_files(ROOT, Path(sys.argv[1]))))

"""What the site's live code blocks need, checked and copied: plain Python, no MkDocs.

docs/hooks.py calls both functions on every build, and they run the same without MkDocs (Zensical
ignores `hooks:`; after another builder, run `python tools/live_files.py SITE_DIR`):

- check_vendored(folder): the vendored Pyodide runtime and numpy wheel (docs/assets/pyodide/), and
  what figures add (matplotlib and its packages, its font list), are byte for byte the files
  VENDORED lists; a changed, missing or extra file raises ValueError.
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
RUNTIME = {
    "pyodide.mjs": (13931, "04c052c815abb0bf2981fa38c2dfa58e3120ee5288c956df2b2a15e301782c5f"),
    "pyodide.asm.js": (1255688, "6b4c90de5b7172873f04f21884d0e9d2274e305fe32116558fe3e4fbe3618d51"),
    "pyodide.asm.wasm": (10105545, "a50dd1843f805a0b7c45b61037ee0d7b26dfe85efe0e18ef95a34ad24e401f5f"),
    "python_stdlib.zip": (2360737, "16611534726e5d8ac2bd8f926410b2dcb8d6f49aa24913463533b457a2115c16"),
    "pyodide-lock.json": (4077, "8f1fdfafca42652eb0cdeac3bebd0b129284275f8fd9b6108ddd984345491323"),
    NUMPY_WHEEL: (3061133, "ebb61241d962b98b21597d7ce43b67668a6d5bab3acec4fbe958657320d7cd08"),
}
# What figures add, beside it (issue 23), loaded only by a block that draws: matplotlib and every
# package that Pyodide's lock file says it needs (numpy aside), by their names in that file; and two
# files that spare the first import of matplotlib work (made in Pyodide by tools/pyodide_prebuilt.mjs,
# written by the page into site-packages after loadPackage("matplotlib"), before that import):
# FONT_LIST, the font list it would build (as matplotlib/fontlist.json, where Pyodide's matplotlib
# looks for it), and BYTECODE, the compiled modules of matplotlib and pyparsing that a figure imports
# (unpacked into site-packages; each checked against its source when imported).
FIGURE_PACKAGES = ("matplotlib", "contourpy", "cycler", "fonttools", "kiwisolver", "matplotlib-pyodide",
                   "packaging", "pillow", "pyparsing", "python-dateutil", "pytz", "six")
FONT_LIST = "fontlist-v330.json"  # v330: the version of matplotlib 3.8.4's font list
BYTECODE = "matplotlib-bytecode.zip"
FIGURES = {
    "matplotlib-3.8.4-cp312-cp312-pyodide_2024_0_wasm32.whl":
        (6714844, "50d4641b32e84ecb0a2c271728d4be73b1e0a0f5f29aa7dd6ea280f888b91340"),
    "contourpy-1.3.0-cp312-cp312-pyodide_2024_0_wasm32.whl":
        (112207, "f6ca0437a039c40691be53ff5bd3c9774868add8d5c2d032167495c6ff1f1c4b"),
    "cycler-0.12.1-py3-none-any.whl":
        (8321, "e33687b4269fe3eda13c2d38006f9a5daa602c95f5c4f8d0576aff0717d001a6"),
    "fonttools-4.51.0-py3-none-any.whl":
        (1073094, "0c9a46b9246333de02d0fe02c0580840d7136744121f256a870218ed7482b607"),
    "kiwisolver-1.4.5-cp312-cp312-pyodide_2024_0_wasm32.whl":
        (35233, "d7652d88b3390d9d1d0175d6c79da675b42bac2cd748cc9b5766a3235da4b762"),
    "matplotlib_pyodide-0.2.3-py3-none-any.whl":
        (26183, "070d6244e7ae44f8753d3a78cf5c30f93c8d781e620991af848dcfd44112839f"),
    "packaging-24.2-py3-none-any.whl":
        (71930, "fbf6a5ace596eb8e28fe0089ecfc0bca2eb3930563e9ca06acb98ea5302b99f7"),
    "pillow-10.2.0-cp312-cp312-pyodide_2024_0_wasm32.whl":
        (987254, "43eab147a9355385a99eeac18fb577d4af2fe4bd0bbd23d3ba3ddb92e72c2815"),
    "pyparsing-3.1.2-py3-none-any.whl":
        (103246, "9070866557845375d8180e9236021fdecb2b93be75a7c8de48841f1465133a60"),
    "python_dateutil-2.9.0.post0-py2.py3-none-any.whl":
        (229892, "02811ea3714f6697d639c07dc5ec63f5774dc7a688e4e1cbbe9beb2f33c3e6c9"),
    "pytz-2024.1-py2.py3-none-any.whl":
        (505474, "fcfc168155da8d19057b17bee735fef71dc3a39f1dccd83514e16ecc6abaddc4"),
    "six-1.16.0-py2.py3-none-any.whl":
        (11053, "f61235bc3a15086f0369585e5071ae9ba0bd244a111d12b37f683862e6850c0a"),
    FONT_LIST: (24641, "a235dc1b5c759f56c4165c70fbae02be9d9ced2c77b03ffb7d7bf8f018ee45ff"),
    BYTECODE: (1904538, "463a97a911330a704f5e31fab18d8fd1c930eb295da482c17881e54e5fa7b7bf"),
}
VENDORED = RUNTIME | FIGURES
# The other files of that folder: licences and the notes that say where the runtime came from.
VENDORED_NOTES = ("LICENSE-pyodide", "LICENSE-python", "LICENSE-numpy",
                  *(f"LICENSE-{name}" for name in FIGURE_PACKAGES), "VENDORED.txt")
MAX_FIGURE_BYTES = 12_000_000  # issue 23's budget for what figures add
# The runtime and numpy had a budget of 20 MB and came to 16.8 MB; figures may add 12 MB to that.
MAX_RUNTIME_BYTES = 16_800_000 + MAX_FIGURE_BYTES

# The repository's files that the page's Python imports or reads, relative to the repository root.
LIVE_FILES = (
    "mlp.py",
    "checks.py",
    "datasets.py",
    "zoo.py",
    "diagnosis.py",
    "data/digits.csv.gz",
)
# And the lab's files that the page's figures import (experiments.playground; experiments.py imports
# practice.py and common.py, practice.py imports grade.py), beyond those: copied beside them but listed
# apart, so that a page fetches them only when a block draws.
FIGURE_FILES = ("common.py", "experiments.py", "practice.py", "grade.py")
LIVE_DIR = "assets/live/py"  # where they go in the site
LIVE_LIST = "files.json"  # in LIVE_DIR: LIVE_FILES, for the page's worker to fetch
FIGURE_LIST = "figures.json"  # in LIVE_DIR: FIGURE_FILES


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
    """Copy each file of LIVE_FILES and FIGURE_FILES from `root` into `site_dir`/LIVE_DIR (same
    relative path; a missing one raises) and write LIVE_LIST and FIGURE_LIST there, the lists of
    them; return the files copied."""
    dest = Path(site_dir) / LIVE_DIR
    copied = []
    for names, listed in ((LIVE_FILES, LIVE_LIST), (FIGURE_FILES, FIGURE_LIST)):
        for name in names:
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(root) / name, dest / name)
        (dest / listed).write_text(json.dumps(list(names)) + "\n", encoding="utf-8")
        copied += names
    return copied


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tools/live_files.py SITE_DIR   (after building the site into SITE_DIR)")
    ROOT = Path(__file__).resolve().parent.parent
    check_vendored(ROOT / "docs" / "assets" / "pyodide")
    print("copied:", ", ".join(copy_live_files(ROOT, Path(sys.argv[1]))))

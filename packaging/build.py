#!/usr/bin/env python3
"""Build the cashier app into one folder with PyInstaller, then smoke-test what was built.

    python3 tasks.py package              (installs the `packaging` extra into .venv, then runs this)
    python packaging/build.py [--skip-build]

Steps: compile the translations (.ts -> .qm), run packaging/paidui-cashier.spec (dist/paidui-cashier/), then start
`dist/paidui-cashier/paidui-cashier --self-test` offscreen: it must open its main window and exit 0. Prints the
build time and the folder's size (the figures in docs/performance.md). Works the same on Windows
(dist\\paidui-cashier\\paidui-cashier.exe) and macOS.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "paidui-cashier.spec"
DIST = ROOT / "dist"
WORK = ROOT / "build" / "pyinstaller"
APP_DIR = DIST / "paidui-cashier"
EXE = APP_DIR / ("paidui-cashier.exe" if os.name == "nt" else "paidui-cashier")


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def human(n: int) -> str:
    return f"{n / 2**20:.0f} MiB"


def translations() -> None:
    sys.path.insert(0, str(ROOT / "packaging"))
    import i18n  # packaging/i18n.py: lrelease from PySide6's own tools

    i18n.lrelease(i18n.TS, i18n.QM)


def build() -> float:
    started = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--log-level",
            "WARN",
            "--distpath",
            str(DIST),
            "--workpath",
            str(WORK),
            str(SPEC),
        ],
        cwd=ROOT,
        check=True,
    )
    return time.monotonic() - started


def missing_libraries() -> dict[str, set[str]]:
    """Linux: what the folder's libraries and plugins need that neither the folder nor this machine has (ldd)."""
    if not sys.platform.startswith("linux") or not shutil.which("ldd"):
        return {}
    internal = APP_DIR / "_internal"
    env = {**os.environ, "LD_LIBRARY_PATH": os.pathsep.join([str(internal), str(internal / "PySide6" / "Qt" / "lib")])}
    missing: dict[str, set[str]] = {}
    for lib in internal.rglob("*.so*"):
        out = subprocess.run(["ldd", str(lib)], capture_output=True, text=True, env=env).stdout
        for line in out.splitlines():
            if "not found" in line:
                missing.setdefault(line.split()[0], set()).add(lib.name)
    return missing


def smoke_test(*, timeout: float = 120.0) -> str:
    """The built app, not the sources: starts offscreen, opens its main window, exits 0."""
    if not EXE.exists():
        raise SystemExit(f"{EXE} is missing: build first")
    data = Path(tempfile.mkdtemp(prefix="paidui-package-smoke-"))
    try:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        # The built folder must not lean on the checkout: run it from elsewhere, without the venv on the path.
        env.pop("PYTHONPATH", None)
        env.pop("VIRTUAL_ENV", None)
        started = time.monotonic()
        done = subprocess.run(
            [str(EXE), "--self-test", "--data-dir", str(data)],
            cwd=data,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        took = time.monotonic() - started
        if done.returncode != 0:
            raise SystemExit(f"smoke test failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
        if not (data / "paidui-cashier.db").exists():
            raise SystemExit("smoke test: the app did not create its local database")
        # A windowed build on Windows/macOS has no stdout; elsewhere the app says what it checked.
        if done.stdout and "self-test ok" not in done.stdout:
            raise SystemExit(f"smoke test: unexpected output:\n{done.stdout}\n{done.stderr}")
        return f"{(done.stdout or '').strip() or 'self-test exit 0'} ({took:.1f} s)"
    finally:
        shutil.rmtree(data, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--skip-build", action="store_true", help="only smoke-test an existing dist/paidui-cashier")
    args = p.parse_args(argv)
    seconds = None
    if not args.skip_build:
        translations()
        seconds = build()
    print("smoke test:", smoke_test(), flush=True)
    size = folder_size(APP_DIR)
    files = sum(1 for p in APP_DIR.rglob("*") if p.is_file())
    took = f"built in {seconds:.0f} s, " if seconds is not None else ""
    print(f"{APP_DIR.relative_to(ROOT)}: {took}{human(size)} in {files} files", flush=True)
    for name, users in sorted(missing_libraries().items()):
        # Not fatal: e.g. the xcb plugin needs libxcb-cursor0, which desktops have and servers often do not.
        print(f"note: {name} (needed by {', '.join(sorted(users))}) is neither in the folder nor on this machine")
    if shutil.which("du"):
        subprocess.run(["du", "-sh", str(APP_DIR)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Developer entry points that work on a fresh machine with only Python 3.11+.

    python3 tasks.py demo    install, start the server on SQLite with demo data, and the cashier app enrolled to it
    python3 tasks.py test    install, then run ruff (lint, format), mypy and pytest (SQLite, PostgreSQL, Qt, browser)
    python3 tasks.py package build the cashier app with PyInstaller into dist/paidui-cashier/ and smoke-test it

Extra arguments go to the command: `test` passes them to pytest, `demo` takes --port, --reset, --no-app, --data-dir.

Everything is installed into ./.venv; nothing global. Standard library only, so it runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
EXTRAS = "server,cashier,dev"
STAMP = VENV / ".paidui-installed"


def run(*args: str | Path, check: bool = True, env: dict[str, str] | None = None) -> int:
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.run([str(a) for a in args], cwd=ROOT, check=check, env=env).returncode


def ensure_venv(extras: str = EXTRAS) -> None:
    """Create .venv and install the project with its extras; reinstall when pyproject.toml changes.

    The stamp holds the pyproject hash and the extras installed with it, so `package` (which adds the packaging
    extra) and `test` do not undo each other."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may be started by an older python3
        sys.exit("Paidui needs Python 3.11 or newer")
    if not PY.exists():
        run(sys.executable, "-m", "venv", VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    wanted = set(extras.split(","))
    have: set[str] = set()
    if STAMP.exists():
        stamped_digest, _, stamped_extras = STAMP.read_text().partition("\n")
        if stamped_digest == digest:
            have = set(stamped_extras.split(","))
    if wanted <= have:
        return
    union = ",".join(sorted(wanted | have))
    run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PY, "-m", "pip", "install", "--quiet", "-e", f".[{union}]")
    STAMP.write_text(f"{digest}\n{union}")


def ensure_postgres() -> None:
    """Start the machine's PostgreSQL cluster when it is installed but down (CI machines)."""
    if os.name == "nt" or not Path("/etc/postgresql").is_dir():
        return
    if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432"], capture_output=True).returncode == 0:
        return
    versions = sorted(os.listdir("/etc/postgresql"))
    if versions:
        run("pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start", check=False)
        for _ in range(30):
            if subprocess.run(["pg_isready", "-h", "127.0.0.1"], capture_output=True).returncode == 0:
                return
            time.sleep(1)


def ensure_browser() -> None:
    """Debian's Chromium for the member page and console tests (no browser download: the network is closed)."""
    if shutil.which("chromium") or os.name == "nt" or not shutil.which("apt-get") or os.geteuid() != 0:
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run("apt-get", "update", "-qq", check=False, env=env)
    run("apt-get", "install", "-y", "-qq", "chromium", "fonts-noto-cjk", check=False, env=env)


def cmd_test(args: list[str]) -> int:
    ensure_venv()
    ensure_postgres()
    ensure_browser()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONHASHSEED": "0"}
    status = run(BIN / "ruff", "check", ".", check=False)
    status |= run(BIN / "ruff", "format", "--check", ".", check=False)
    status |= run(BIN / "mypy", check=False)
    status |= run(PY, "-m", "pytest", "-q", *args, check=False, env=env)
    return status


def cmd_demo(args: list[str]) -> int:
    ensure_venv()
    argv = [str(PY), "-m", "server.demo", *args]
    print("+", " ".join(argv), flush=True)
    if os.name == "posix":
        # Become the demo: Ctrl-C and `kill` reach it directly, and it stops the server and the till cleanly.
        os.chdir(ROOT)
        os.execv(argv[0], argv)
    proc = subprocess.Popen(argv, cwd=ROOT)
    try:
        return proc.wait()
    except KeyboardInterrupt:  # Windows: the console's Ctrl-C reached the demo too; let it finish stopping
        return proc.wait()


def cmd_package(args: list[str]) -> int:
    """Build the cashier app with PyInstaller (dist/paidui-cashier/) and smoke-test the result; takes minutes."""
    ensure_venv(EXTRAS + ",packaging")
    return run(PY, ROOT / "packaging" / "build.py", *args, check=False)


def main() -> int:
    commands = {"test": cmd_test, "demo": cmd_demo, "package": cmd_package}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())

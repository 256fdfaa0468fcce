"""Cashier app cold start: process start to a usable checkout screen, against a bare PySide6 window (offscreen).

    QT_QPA_PLATFORM=offscreen python benchmarks/cold_start.py [--runs 10]

Each run is a new Python process. The parent notes the wall clock just before it starts the child; the child
reports the wall clock at the moment the screen is usable, and exits:

- app: `paidui-cashier` as installed (`cashier_app.main.main`) on an enrolled till's data directory (the
  credential in the demo file store, the server address a port nobody listens on: the sync worker starts and finds
  the server down, as in a shop whose network is out). Usable = the main window is shown and exposed and the
  keyboard focus is in the checkout's scan or amount field (the cashier can type the first sale). Also reported:
  when the till's signing key, which the sync worker reads from the credential store on its own thread, has reached
  the window -- a sale confirmed before that moment is recorded at that moment.
- baseline: a bare PySide6 process that shows an empty QMainWindow; usable = the window is shown and exposed.

A 1 ms timer on the GUI thread checks the condition, so the figure is late by at most about a millisecond. The
files are in the page cache after the first run (warm disk); the first run is reported separately.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

WATCH = r"""
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

def watch(app, usable):
    timer = QTimer()
    def check():
        if usable(app):
            print(f"usable {time.time():.6f}", flush=True)
            timer.stop()
            app.quit()
    timer.timeout.connect(check)
    timer.start(1)
    return timer

def exposed(w):
    return w.isVisible() and w.windowHandle() is not None and w.windowHandle().isExposed()
"""

APP = (
    WATCH
    + r"""
from cashier_app.main import main

def usable(app):
    focus = app.focusWidget()
    windows = [w for w in app.topLevelWidgets() if type(w).__name__ == "MainWindow"]
    return bool(windows) and exposed(windows[0]) and focus is not None and focus.objectName() in ("scan", "amount")

def key_loaded(app):
    windows = [w for w in app.topLevelWidgets() if type(w).__name__ == "MainWindow"]
    return bool(windows) and getattr(windows[0].ctx, "signer", None) is not None

app = QApplication(sys.argv[:1])
timer = QTimer()
def check():
    if not timer.property("usable") and usable(app):
        print(f"usable {time.time():.6f}", flush=True)
        timer.setProperty("usable", True)
    if timer.property("usable") and key_loaded(app):
        print(f"key {time.time():.6f}", flush=True)
        timer.stop()
        app.quit()
timer.timeout.connect(check)
timer.start(1)
sys.exit(main(sys.argv[1:]))
"""
)

BARE = (
    WATCH
    + r"""
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.show()
keep = watch(app, lambda app: exposed(window))
app.exec()
"""
)


def till(data: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.faults.powercut import make_till

    make_till(data, data / "INSECURE-terminal-credential.json")


def once(code: str, args: list[str], marks: tuple[str, ...] = ("usable",)) -> list[float]:
    """Seconds from just before the child is started to each of `marks` the child reports."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    started = time.time()
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    seen = dict(line.split() for line in done.stdout.splitlines() if line.split()[:1] and line.split()[0] in marks)
    if set(seen) != set(marks):
        raise RuntimeError(
            f"the child never reported {set(marks) - set(seen)} (exit {done.returncode}):\n{done.stderr[-3000:]}"
        )
    return [float(seen[mark]) - started for mark in marks]


def summary(times: list[float]) -> dict[str, float]:
    rest = sorted(times[1:])
    return {
        "first_ms": round(times[0] * 1000),
        "median_ms": round(statistics.median(rest) * 1000),
        "min_ms": round(rest[0] * 1000),
        "max_ms": round(rest[-1] * 1000),
        "runs": len(times),
    }


def run(runs: int) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="paidui-coldstart-") as name:
        data = Path(name) / "till"
        till(data)
        app_args = ["--data-dir", str(data), "--insecure-credential-file"]
        app, key, bare = [], [], []
        for _ in range(runs):  # interleaved: both see the same load
            usable, loaded = once(APP, app_args, ("usable", "key"))
            app.append(usable)
            key.append(loaded)
            bare.extend(once(BARE, []))
    return {
        "app": summary(app),
        "app_key_loaded": summary(key),
        "bare_pyside6": summary(bare),
        "load_avg": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    row = run(max(2, args.runs))
    if args.json:
        print(json.dumps(row, indent=2))
        return 0
    a, k, b = row["app"], row["app_key_loaded"], row["bare_pyside6"]
    print(
        f"paidui-cashier, process start -> checkout usable: median {a['median_ms']} ms (min {a['min_ms']}, max "
        f"{a['max_ms']}, first run {a['first_ms']} ms, {a['runs']} runs)"
    )
    print(
        f"paidui-cashier, process start -> signing key loaded (a sale is recorded at once): median "
        f"{k['median_ms']} ms (min {k['min_ms']}, max {k['max_ms']}, first run {k['first_ms']} ms)"
    )
    print(
        f"bare PySide6 QMainWindow, process start -> shown: median {b['median_ms']} ms (min {b['min_ms']}, max "
        f"{b['max_ms']}, first run {b['first_ms']} ms)  |  load {row['load_avg']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

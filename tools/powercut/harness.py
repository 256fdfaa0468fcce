"""Simulated power cuts below SQLite: build the LD_PRELOAD library, mark what is durable, cut the power.

    lib = build(tmp)                      # gcc; raises PowercutUnavailable without gcc
    everything_synced(data_dir)           # before the child starts: the disk holds what the files hold
    child = Popen(..., env=preload_env(lib, data_dir))
    ...; child.kill(); child.wait()
    cut_power(data_dir)                   # every file becomes its durable image; never-synced files vanish

See powercut.c for the model (only fsync'ed / fdatasync'ed bytes survive) and its limits.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

SOURCE = Path(__file__).resolve().parent / "powercut.c"
SUFFIX = ".durable"


class PowercutUnavailable(RuntimeError):
    """No C compiler on this machine (or the build failed): the power-cut test cannot run."""


def build(out_dir: Path) -> Path:
    """Compile the library into `out_dir` and return its path."""
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        raise PowercutUnavailable("no gcc/cc on PATH: cannot build tools/powercut/powercut.c")
    lib = out_dir / "libpowercut.so"
    done = subprocess.run(
        [gcc, "-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o", str(lib), str(SOURCE), "-ldl", "-lpthread"],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise PowercutUnavailable(f"building powercut.c failed:\n{done.stderr}")
    return lib


def preload_env(lib: Path, data_dir: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    env["LD_PRELOAD"] = str(lib)
    env["POWERCUT_DIR"] = str(data_dir.resolve())
    return env


def _files(data_dir: Path) -> list[Path]:
    return [p for p in data_dir.iterdir() if p.is_file() and not p.name.endswith(SUFFIX)]


def everything_synced(data_dir: Path) -> None:
    """The durable image of every file is the file as it is now (nothing runs on it)."""
    for stale in data_dir.glob(f"*{SUFFIX}"):
        stale.unlink()
    for path in _files(data_dir):
        shutil.copyfile(path, path.with_name(path.name + SUFFIX))


def cut_power(data_dir: Path) -> dict[str, int]:
    """Replace every file by its durable image (the process must be dead). Returns bytes lost per file."""
    lost: dict[str, int] = {}
    for path in _files(data_dir):
        image = path.with_name(path.name + SUFFIX)
        size = path.stat().st_size
        if image.exists():
            lost[path.name] = size - image.stat().st_size
            os.replace(image, path)
        else:
            lost[path.name] = size
            path.unlink()
    for orphan in data_dir.glob(f"*{SUFFIX}"):  # the file was unlinked after its last sync: it is gone
        orphan.unlink()
    return lost

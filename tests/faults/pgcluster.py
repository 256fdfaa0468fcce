"""A private PostgreSQL instance (initdb + pg_ctl in a temporary directory, its own port) that a fault test may
stop with `-m immediate` (a crash: no shutdown checkpoint, WAL recovery at the next start) without disturbing the
machine's shared cluster."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.server.support import free_port


class ClusterUnavailable(RuntimeError):
    """No PostgreSQL server binaries (initdb, pg_ctl) on this machine."""


def _bindir() -> Path:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not candidates:
        raise ClusterUnavailable("no initdb on PATH or under /usr/lib/postgresql/*/bin")
    return Path(candidates[-1]).parent


class PrivateCluster:
    def __init__(self) -> None:
        self.bin = _bindir()
        self.dir = Path(tempfile.mkdtemp(prefix="paidui-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        # PostgreSQL refuses to run as root: as root, run it as the `postgres` user.
        self._as: list[str] = []
        if os.geteuid() == 0:
            self._as = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.dir, "postgres")
        self.restarts = 0

    def _run(self, *args: str, timeout: float = 120) -> None:
        done = subprocess.run([*self._as, *args], capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {done.stdout}\n{done.stderr}")

    def init(self) -> PrivateCluster:
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale",
            "C",
        )
        return self

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c max_connections=100 -c shared_buffers=32MB"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def crash(self) -> None:
        """Stop at once, like a crash: every backend killed, no checkpoint."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def restart_after_crash(self) -> None:
        self.crash()
        self.start()
        self.restarts += 1

    def destroy(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class SharedCluster:
    """The machine's own cluster (Debian `pg_ctlcluster`), for the opt-in long run only: other tests use it.
    `ensure_running()` must be called whatever happens (the test does it in `finally`)."""

    def __init__(self) -> None:
        versions = sorted(os.listdir("/etc/postgresql")) if Path("/etc/postgresql").is_dir() else []
        if not versions or shutil.which("pg_ctlcluster") is None:
            raise ClusterUnavailable("no Debian PostgreSQL cluster (pg_ctlcluster, /etc/postgresql)")
        self.version = versions[-1]
        self.restarts = 0

    def _ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, "main", *args],
            capture_output=True,
            text=True,
            timeout=120,
        )

    def restart_after_crash(self) -> None:
        self._ctl("stop", "-m", "immediate")
        done = self._ctl("start")
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctlcluster start failed: {done.stderr}")
        self.restarts += 1

    def ensure_running(self) -> None:
        if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432"], capture_output=True).returncode != 0:
            self._ctl("start")

"""Run the demo (README's first command) in a subprocess, wait for it, and look at what it serves."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RunningDemo:
    proc: subprocess.Popen[str]
    url: str
    data_dir: Path
    lines: list[str] = field(default_factory=list)

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    @property
    def admin_password(self) -> str:
        return str(json.loads((self.data_dir / "demo.json").read_text(encoding="utf-8"))["admin_password"])

    def get(self, path: str, token: str | None = None) -> tuple[int, Any]:
        request = urllib.request.Request(self.url + path)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                body = r.read().decode()
                return r.status, json.loads(body) if r.headers.get_content_type() == "application/json" else body
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, exc.read().decode()

    def token(self) -> str:
        body = json.dumps({"username": "admin", "password": self.admin_password}).encode()
        request = urllib.request.Request(
            self.url + "/api/v1/auth/token", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as r:
            return str(json.loads(r.read())["access_token"])


def _pump(stream: Any, sink: queue.Queue[str | None]) -> None:
    for line in stream:
        sink.put(line.rstrip("\n"))
    sink.put(None)


@contextmanager
def running_demo(
    argv: list[str], *, cwd: Path, data_dir: Path, port: int, env: dict[str, str] | None = None, timeout: float = 900.0
) -> Iterator[RunningDemo]:
    """Start the demo, yield once it printed `demo ready`; afterwards it must have been stopped (see `interrupt`)."""
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env or os.environ.copy(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
    )
    lines: queue.Queue[str | None] = queue.Queue()
    pump = threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True)
    pump.start()
    demo = RunningDemo(proc, f"http://127.0.0.1:{port}", data_dir)
    demo.pump = lines  # type: ignore[attr-defined]
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"the demo did not get ready in {timeout:.0f} s:\n{demo.output}") from None
            if line is None:
                raise AssertionError(f"the demo stopped (exit {proc.wait()}):\n{demo.output}")
            demo.lines.append(line)
            if line == "demo ready":
                break
        yield demo
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        pump.join(30)
        if proc.stdout is not None:
            proc.stdout.close()


def interrupt(demo: RunningDemo, *, timeout: float = 60.0) -> int:
    """Ctrl-C: SIGINT to the demo, then its exit status; the rest of its output lands in demo.lines."""
    demo.proc.send_signal(signal.SIGINT)
    status = demo.proc.wait(timeout)
    pump: queue.Queue[str | None] = demo.pump  # type: ignore[attr-defined]
    while (line := pump.get(timeout=10)) is not None:
        demo.lines.append(line)
    return status


def port_closed(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0

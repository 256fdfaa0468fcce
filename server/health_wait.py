"""Wait until a `paidui-server serve` process just started answers its health check (the demo, tests, benchmarks).

Standard library only (urllib), so that it adds nothing to the start of whatever uses it.
"""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path


class ServerNotReady(RuntimeError):
    """The server process exited, or did not answer in time; the message ends with the tail of its log."""


def _tail(log: Path) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-3000:] if log.exists() else ""


def wait_healthy(proc: subprocess.Popen[bytes], url: str, log: Path, *, timeout: float = 90.0) -> None:
    """Return once GET `url`/api/v1/health answers 200; ServerNotReady if `proc` exits first or `timeout` passes
    (the process is left running: the caller decides how to stop it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerNotReady(f"the server stopped (exit {proc.returncode}); the end of {log}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(f"{url}/api/v1/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise ServerNotReady(
        f"the server did not answer {url}/api/v1/health within {timeout:.0f} s; the end of {log}:\n{_tail(log)}"
    )

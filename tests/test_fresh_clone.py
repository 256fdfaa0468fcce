"""The README's two commands on a fresh clone, as CI and a newcomer run them: nothing but the clone and python3.

The clone is of the committed HEAD. Its own ./.venv is made from nothing by tasks.py (pip's cache makes that
minutes, not tens of minutes). To keep CI's budget the test command runs a narrow pytest selection — tasks.py
passes extra arguments to pytest, and runs ruff and mypy over the whole clone first, as always.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.demo_support import free_port, interrupt, port_closed, running_demo

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]


def newcomer_env() -> dict[str, str]:
    """This machine's environment without our virtual environment: `python3` is the system's."""
    venv = os.environ.get("VIRTUAL_ENV") or str(Path(sys.prefix))
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and not p.startswith(venv)]
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = os.pathsep.join(path)
    return env


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One clone for both commands: the second reuses the ./.venv the first made (that is the expensive part)."""
    if shutil.which("git") is None:
        pytest.fail("git is needed to clone the repository")
    where = tmp_path_factory.mktemp("fresh") / "paidui"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(where)], check=True, timeout=300)
    yield where
    shutil.rmtree(where, ignore_errors=True)


def readable(out: str) -> str:
    """The end of the output without pip's notes on index locations and build back-end deprecations."""
    noise = ("WARNING: Location ", "BuildBackendWarning", "!!", "****")
    kept = [line for line in out.splitlines() if line.strip() and not any(n in line for n in noise)]
    return "\n".join(kept[-80:])


def python3(env: dict[str, str]) -> str:
    found = shutil.which("python3", path=env["PATH"])
    assert found, "python3 is not on the PATH"
    return found


def test_readme_test_command_passes_in_a_fresh_clone(clone: Path) -> None:
    env = newcomer_env()
    assert not (clone / ".venv").exists()
    done = subprocess.run(
        [python3(env), "tasks.py", "test", "tests/shared/test_examples.py"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=2400,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, readable(out)
    assert (clone / ".venv").is_dir()
    assert "ruff check ." in out and "All checks passed!" in out  # ruff ran over the whole clone
    assert "mypy" in out and "Success: no issues found" in out
    assert " passed" in out and " failed" not in out


def test_readme_first_command_serves_the_demo_in_a_fresh_clone(clone: Path) -> None:
    """`python3 tasks.py demo` in the clone (its default data folder var/demo, no display here)."""
    env = newcomer_env()
    port = free_port()
    argv = [python3(env), "tasks.py", "demo", "--no-app", "--port", str(port)]
    with running_demo(argv, cwd=clone, data_dir=clone / "var" / "demo", port=port, env=env, timeout=2400) as d:
        assert d.get("/api/v1/health")[0] == 200
        status, stores = d.get("/api/v1/stores", d.token())
        assert status == 200 and [s["store_id"] for s in stores] == ["S1", "S2", "S3"]
        assert interrupt(d) == 0, d.output
    assert port_closed(port)

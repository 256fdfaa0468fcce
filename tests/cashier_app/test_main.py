from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cashier_app.main import parse_args

ROOT = Path(__file__).resolve().parents[2]


def test_self_test_starts_and_exits_zero(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-m", "cashier_app.main", "--self-test", "--data-dir", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "self-test ok" in done.stdout and "language zh_CN" in done.stdout
    assert (tmp_path / "paidui-cashier.db").exists()


def test_options() -> None:
    args = parse_args(["--server", "http://127.0.0.1:8000", "--lang", "en", "--enroll-code", "ABCD-EFGH"])
    assert (args.server, args.lang, args.enroll_code, args.insecure_credential_file) == (
        "http://127.0.0.1:8000",
        "en",
        "ABCD-EFGH",
        False,
    )

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from cashier_app.core import credentials
from cashier_app.core.db import UnitOfWork
from cashier_app.core.migrate import MigrationRefused, head_revision, migrate, upgrade_to

from .conftest import Till

ROOT = Path(__file__).resolve().parents[2]


def test_every_connection_is_wal_and_full(engine) -> None:
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_upgrade_of_an_older_database_keeps_its_sales(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    upgrade_to(path, "0001")
    con = sqlite3.connect(path)
    con.execute(
        "INSERT INTO orders VALUES ('o1', 1, 1, 'C1', NULL, NULL, 100, 0, 100, 'cash', "
        "'2026-03-01T10:00:00+08:00', 0, 'x', 1, NULL)"
    )
    con.commit()
    con.close()
    result = migrate(path)
    assert (result.before, result.after) == ("0001", head_revision())
    assert result.backup is not None and result.backup.exists()
    con = sqlite3.connect(path)
    assert con.execute("SELECT shift_id, opened_at FROM shifts").fetchall() == [(1, "2026-03-01T10:00:00+08:00")]
    assert con.execute("SELECT COUNT(*) FROM orders").fetchone() == (1,)
    con.close()
    assert migrate(path).backup is None  # already at head: nothing to do


def test_migration_refused_while_outbox_holds_unsent_events(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    upgrade_to(path, "0001")
    con = sqlite3.connect(path)
    con.execute(
        "INSERT INTO outbox VALUES (1, 'e1', '2026-03-01T10:00:00+08:00', 'order_paid', '{}', 'pending', "
        "NULL, NULL, NULL)"
    )
    con.commit()
    con.close()
    with pytest.raises(MigrationRefused) as exc:
        migrate(path)
    assert exc.value.pending == 1
    assert migrate(path, force=True).after == head_revision()


@pytest.mark.parametrize("backend", ["keyring.backends.fail.Keyring", "keyring.backends.null.Keyring"])
def test_no_keyring_is_said_plainly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str) -> None:
    """keyring's stand-ins for "no keyring" (fail: priority 0, null: -1) are refused, even when named by the user."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", backend)
    with pytest.raises(credentials.CredentialStoreUnavailable, match="no usable OS keyring"):
        credentials.KeyringStore(tmp_path)
    assert list(tmp_path.iterdir()) == []  # and nothing was written instead


def test_no_platform_backend_is_said_plainly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no keyringrc.cfg
    monkeypatch.setattr(
        credentials,
        "FREEDESKTOP_BACKENDS",
        ("keyring.backends.fail.NoSuchKeyring", "keyring.backends.no_such_module.Keyring"),
    )
    with pytest.raises(credentials.CredentialStoreUnavailable, match=r"NoSuchKeyring.*no_such_module"):
        credentials.os_keyring("linux")
    assert not (tmp_path / "config").exists()


def test_a_keyring_named_by_the_user_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.cashier_app.memory_keyring.Keyring")
    store = credentials.KeyringStore(tmp_path)
    assert store.load() is None
    store.save(credentials.Secrets("T1", "S1", "cred", b"k" * 32))
    assert store.load() == credentials.Secrets("T1", "S1", "cred", b"k" * 32)
    store.clear()
    store.clear()  # twice: nothing to delete is no error
    assert store.load() is None and list(tmp_path.iterdir()) == []


def test_the_keyring_backend_is_named_not_searched(tmp_path: Path) -> None:
    """keyring's own search imports every backend; its macOS one runs ctypes.util.find_library (gcc) on Linux.
    The till asks only its platform's backends: no process is started and no other backend module is loaded."""
    child = r"""
import ctypes.util, json, subprocess, sys
started = []
real_popen_init = subprocess.Popen.__init__
def popen_init(self, *args, **kwargs):
    started.append(str(args[0] if args else kwargs.get("args")))
    real_popen_init(self, *args, **kwargs)
subprocess.Popen.__init__ = popen_init
ctypes.util.find_library = lambda name: started.append("find_library " + name)
import keyring.backend
keyring.backend.get_all_keyring = lambda: started.append("get_all_keyring") or []
from cashier_app.core import credentials
try:
    found = type(credentials.os_keyring()).__module__
except credentials.CredentialStoreUnavailable as exc:
    found = f"unavailable: {exc}"
backends = sorted(m for m in sys.modules if m.startswith("keyring.backends."))
print(json.dumps({"started": started, "backends": backends, "found": found}))
"""
    env = {k: v for k, v in os.environ.items() if k != "PYTHON_KEYRING_BACKEND"}
    env["XDG_CONFIG_HOME"] = str(tmp_path)  # no keyringrc.cfg naming a backend
    done = subprocess.run([sys.executable, "-c", child], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["started"] == [], seen
    allowed = {
        name.rpartition(".")[0]
        for name in credentials.PLATFORM_BACKENDS.get(sys.platform, credentials.FREEDESKTOP_BACKENDS)
    } | {"keyring.backends.fail"}
    assert set(seen["backends"]) <= allowed, seen
    if sys.platform != "darwin":
        assert "keyring.backends.macOS" not in seen["backends"]


def test_insecure_file_store_is_private(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "secrets.json"
    store = credentials.InsecureFileStore(path)
    assert "INSECURE" in caplog.text
    store.save(credentials.Secrets("T1", "S1", "cred", b"k" * 32))
    assert path.stat().st_mode & 0o777 == 0o600
    assert store.load() == credentials.Secrets("T1", "S1", "cred", b"k" * 32)


def test_unit_of_work_rolls_back_unless_committed(till: Till) -> None:
    import datetime as dt

    from cashier_app.core.outbox import append_event, pending_count
    from shared.wire import OrderCompleted

    body = OrderCompleted(order_id=uuid.uuid4(), completed_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    with pytest.raises(RuntimeError), UnitOfWork(till.engine) as uow:
        append_event(uow.conn, body, now=till.clock())
        raise RuntimeError("crash before commit")
    with UnitOfWork(till.engine) as uow:
        append_event(uow.conn, body, now=till.clock())  # no commit either
    with till.engine.connect() as conn:
        assert pending_count(conn) == 0


def test_upgrade_to_the_counter_keeps_sales_and_shifts_and_reports_them(tmp_path: Path) -> None:
    """0007 (tenders, drawer, float and count, employees) on a database of before: its sales and its open shift
    read as before — one tender each, no change, a float of 0 — and the X report's expected cash is their cash."""
    from sqlalchemy import create_engine

    from cashier_app.core.db import reading
    from cashier_app.core.reports import x_report

    path = tmp_path / "old.db"
    upgrade_to(path, "0003")
    con = sqlite3.connect(path)
    con.execute("INSERT INTO shifts(shift_id, opened_at) VALUES (1, '2026-03-01T10:00:00+08:00')")
    for oid, tender, fen in (("o1", "cash", 1000), ("o2", "card", 2500)):
        con.execute(
            "INSERT INTO orders(order_id, receipt_no, shift_id, cashier_id, total_fen, deduction_points_fen, paid_fen,"
            " tender, paid_at, refunded_fen, order_link, synced) VALUES (?, ?, 1, 'C1', ?, 0, ?, ?, "
            "'2026-03-01T10:00:00+08:00', 0, 'x', 1)",
            (oid, int(oid[1]), fen, fen, tender),
        )
    con.commit()
    con.close()
    assert migrate(path).after == head_revision()
    engine = create_engine(f"sqlite:///{path}")
    with reading(engine) as conn:
        report = x_report(conn)
    engine.dispose()
    assert report is not None
    assert (report.opening_float_fen, report.cash_sales_fen, report.expected_cash_fen) == (0, 1000, 1000)
    assert {k: v.sales_fen for k, v in report.by_tender.items()} == {"cash": 1000, "card": 2500}
    assert report.counted_cash_fen is None and report.drawer_openings == 0 and set(report.by_employee) == {""}

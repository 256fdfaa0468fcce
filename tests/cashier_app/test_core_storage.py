from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest

from cashier_app.core import credentials
from cashier_app.core.db import UnitOfWork
from cashier_app.core.migrate import MigrationRefused, head_revision, migrate, upgrade_to

from .conftest import Till


def test_every_connection_is_wal_and_full(engine) -> None:
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_upgrade_of_an_older_database_keeps_its_sales(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    upgrade_to(path, "0001")
    con = sqlite3.connect(path)
    con.execute("INSERT INTO orders VALUES ('o1', 1, 1, 'C1', NULL, NULL, 100, 0, 100, 'cash', "
                "'2026-03-01T10:00:00+08:00', 0, 'x', 1, NULL)")
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
    con.execute("INSERT INTO outbox VALUES (1, 'e1', '2026-03-01T10:00:00+08:00', 'order_paid', '{}', 'pending', "
                "NULL, NULL, NULL)")
    con.commit()
    con.close()
    with pytest.raises(MigrationRefused) as exc:
        migrate(path)
    assert exc.value.pending == 1
    assert migrate(path, force=True).after == head_revision()


def test_no_keyring_is_said_plainly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring
    from keyring.backends import fail

    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    with pytest.raises(credentials.CredentialStoreUnavailable):
        credentials.KeyringStore(tmp_path)
    assert list(tmp_path.iterdir()) == []  # and nothing was written instead


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

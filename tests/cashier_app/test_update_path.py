"""The update path never loses sales: no migration while the outbox holds unsent events (unless forced), and a
backup of the database, made before the migration touches it, that holds every sale and every unsent event."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from cashier_app.core import migrate as migrate_module
from cashier_app.core.migrate import DatabaseTooNew, MigrationRefused, head_revision, migrate, upgrade_to

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


def old_database(path: Path, states: list[str]) -> Path:
    """A database of revision 0001 with one sale and one outbox event in each of `states`."""
    upgrade_to(path, "0001")
    con = sqlite3.connect(path)
    con.execute(
        "INSERT INTO orders VALUES ('o1', 1, 1, 'C1', NULL, NULL, 100, 0, 100, 'cash', "
        "'2026-03-01T10:00:00+08:00', 0, 'x', 1, NULL)"
    )
    for seq, state in enumerate(states, start=1):
        con.execute(
            "INSERT INTO outbox VALUES (?, ?, '2026-03-01T10:00:00+08:00', 'order_paid', '{}', ?, NULL, NULL, NULL)",
            (seq, f"e{seq}", state),
        )
    con.commit()
    con.close()
    return path


def revision(path: Path) -> str:
    con = sqlite3.connect(path)
    try:
        return str(con.execute("SELECT version_num FROM alembic_version").fetchone()[0])
    finally:
        con.close()


def outbox_states(path: Path) -> list[tuple[str, str]]:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT event_id, state FROM outbox ORDER BY seq").fetchall()
    finally:
        con.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def backups(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.bak"))


def test_refusal_leaves_the_database_untouched_and_makes_no_backup(tmp_path: Path) -> None:
    path = old_database(tmp_path / "till.db", ["done", "pending", "pending"])
    before = digest(path)
    with pytest.raises(MigrationRefused) as refused:
        migrate(path, now=NOW)
    assert refused.value.pending == 2
    assert digest(path) == before and revision(path) == "0001"
    assert backups(tmp_path) == []


@pytest.mark.parametrize("states", [[], ["done"], ["done", "parked", "refused"]])
def test_answered_events_do_not_hold_the_migration_back(tmp_path: Path, states: list[str]) -> None:
    """Done, parked (the server holds them) and refused (answered, shown as needing attention) are not unsent."""
    path = old_database(tmp_path / "till.db", states)
    result = migrate(path, now=NOW)
    assert result.after == head_revision() and revision(path) == head_revision()
    assert outbox_states(path) == [(f"e{i}", s) for i, s in enumerate(states, start=1)]


def test_forced_migration_keeps_unsent_events_and_backs_up_first(tmp_path: Path) -> None:
    path = old_database(tmp_path / "till.db", ["done", "pending"])
    result = migrate(path, force=True, now=NOW)
    assert (result.before, result.after) == ("0001", head_revision())
    assert outbox_states(path) == [("e1", "done"), ("e2", "pending")]  # still to be sent after the upgrade
    assert result.backup is not None and backups(tmp_path) == [result.backup]
    assert result.backup.name == f"till.db.before-{head_revision()}.20260302T020000.bak"
    # The backup is the database as it was: the old revision, the sale and the unsent event.
    assert revision(result.backup) == "0001"
    assert outbox_states(result.backup) == [("e1", "done"), ("e2", "pending")]
    con = sqlite3.connect(result.backup)
    assert con.execute("SELECT order_id FROM orders").fetchall() == [("o1",)]
    con.close()


def test_the_backup_is_made_before_the_migration_touches_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration that fails half-way leaves a complete backup of what was there before it started."""
    path = old_database(tmp_path / "till.db", ["done"])

    def broken_upgrade(cfg: object, target: str) -> None:
        con = sqlite3.connect(path)
        con.execute("DROP TABLE orders")  # the migration got as far as damaging the file
        con.close()
        raise RuntimeError("migration failed half-way")

    import alembic.command  # migrate imports Alembic only when it migrates; the attribute is looked up then

    monkeypatch.setattr(alembic.command, "upgrade", broken_upgrade)
    with pytest.raises(RuntimeError, match="half-way"):
        migrate(path, now=NOW)
    [backup] = backups(tmp_path)
    assert revision(backup) == "0001"
    con = sqlite3.connect(backup)
    assert con.execute("SELECT order_id FROM orders").fetchall() == [("o1",)]
    con.close()


def test_every_migration_makes_its_own_backup(tmp_path: Path) -> None:
    """0001 -> head twice over (two tills' databases of different ages in one folder): one backup each."""
    first = old_database(tmp_path / "a.db", ["done"])
    second = old_database(tmp_path / "b.db", [])
    one = migrate(first, now=NOW).backup
    two = migrate(second, now=NOW + dt.timedelta(seconds=1)).backup
    assert one is not None and two is not None and backups(tmp_path) == [one, two]
    assert migrate(first, now=NOW).backup is None  # at head already: nothing migrated, nothing copied


def test_a_backup_never_overwrites_an_earlier_one(tmp_path: Path) -> None:
    """A second attempt in the same second (the first failed, the till was restarted) keeps both copies."""
    path = old_database(tmp_path / "till.db", ["done"])
    first = migrate_module.backup_database(path, "before-x", now=NOW)
    con = sqlite3.connect(path)
    con.execute("DELETE FROM orders")
    con.commit()
    con.close()
    second = migrate_module.backup_database(path, "before-x", now=NOW)
    assert first != second and backups(tmp_path) == sorted([first, second])
    con = sqlite3.connect(first)
    assert con.execute("SELECT count(*) FROM orders").fetchone() == (1,)  # the earlier copy is intact
    con.close()


def test_a_database_from_a_newer_app_is_left_alone(tmp_path: Path) -> None:
    """The app was rolled back after an upgrade: no backup, no migration, a clear refusal."""
    path = old_database(tmp_path / "till.db", ["pending"])
    con = sqlite3.connect(path)
    con.execute("UPDATE alembic_version SET version_num = '0099'")
    con.commit()
    con.close()
    before = digest(path)
    with pytest.raises(DatabaseTooNew) as refused:
        migrate(path, force=True, now=NOW)
    assert refused.value.current == "0099"
    assert digest(path) == before and backups(tmp_path) == []


def run_app(data: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, "-m", "cashier_app.main", "--self-test", "--data-dir", str(data), *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_the_app_refuses_to_start_on_unsent_sales_and_migrates_when_forced(tmp_path: Path) -> None:
    path = old_database(tmp_path / "paidui-cashier.db", ["pending"])
    refused = run_app(tmp_path)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "--force-migrate" in refused.stderr and "1" in refused.stderr
    assert revision(path) == "0001" and backups(tmp_path) == []

    forced = run_app(tmp_path, "--force-migrate")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert revision(path) == head_revision()
    [backup] = backups(tmp_path)
    assert outbox_states(backup) == [("e1", "pending")] and outbox_states(path) == [("e1", "pending")]


def test_the_app_says_when_its_database_is_from_a_newer_version(tmp_path: Path) -> None:
    path = old_database(tmp_path / "paidui-cashier.db", [])
    con = sqlite3.connect(path)
    con.execute("UPDATE alembic_version SET version_num = '0099'")
    con.commit()
    con.close()
    done = run_app(tmp_path, "--force-migrate")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "0099" in done.stderr and "Traceback" not in done.stderr
    assert revision(path) == "0099" and backups(tmp_path) == []

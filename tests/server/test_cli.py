"""`paidui-server` administration commands, run in process on a SQLite data directory (and init on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server.cli import main
from server.config import load_settings
from server.db import tables as t
from server.services import terminals
from server.services.ingest import Ingest
from shared.engine.commands import PayOrder

from .support import PG_URL, database_location, open_db


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("PAIDUI_CONFIG", "PAIDUI_DATABASE_URL", "PAIDUI_DATABASE_SCHEMA", "PAIDUI_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PAIDUI_DATA_DIR", str(tmp_path / "var"))
    assert main(["init", "--admin-password", "hq-password-1"]) == 0
    return tmp_path / "var"


def _db(data_dir: Path):  # type: ignore[no-untyped-def]
    return open_db(load_settings(data_dir=data_dir))


def test_init_makes_a_private_key_and_the_admin_and_can_run_again(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = data_dir / "signing-keys.json"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert main(["init"]) == 0  # nothing asked: the admin exists, the key is kept
    assert "signing key" not in capsys.readouterr().out
    db = _db(data_dir)
    with db.connect() as conn:
        assert conn.execute(select(t.User.role)).scalars().all() == ["hq_admin"]
        assert len(conn.execute(select(t.SigningKeyRow)).all()) == 1
        assert conn.execute(select(t.ServerValue.value).where(t.ServerValue.name == "phone_key_salt")).scalar()
    db.dispose()


def test_serve_refuses_several_workers_on_sqlite(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--workers", "2"]) == 2
    assert "needs PostgreSQL" in capsys.readouterr().err


def test_commands_need_an_initialised_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PAIDUI_DATA_DIR", str(tmp_path / "empty"))
    (tmp_path / "empty").mkdir()
    assert main(["store", "add", "S1", "--name", "x"]) == 2
    assert "paidui-server init" in capsys.readouterr().err


def test_reference_data_terminals_and_members(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["store", "add", "S1", "--name", "一店"]) == 0
    assert main(["cashier", "add", "C1", "--store", "S1"]) == 0
    assert main(["cashier", "add", "C9", "--store", "NOPE"]) == 2
    capsys.readouterr()
    assert main(["terminal", "enroll", "S1"]) == 0
    code = capsys.readouterr().out.strip()
    db = _db(data_dir)
    from shared.tokens import new_private_key, public_key_text

    with db.connect() as conn:
        done = terminals.enroll(
            conn, code=code, name="till", public_key=public_key_text(new_private_key()), now=dt.datetime.now(dt.UTC)
        )
    assert main(["terminal", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(x["terminal_id"], x["revoked_at"]) for x in listed] == [(done.terminal_id, None)]
    assert main(["terminal", "revoke", done.terminal_id]) == 0
    assert main(["terminal", "revoke", "t-nope"]) == 2
    assert main(["member", "add", "--phone", "13800000000", "--name", "张三", "--level", "gold"]) == 2  # no such level
    assert main(["level", "set", "gold", "金卡", "--en", "Gold", "--rank", "20"]) == 0
    assert main(["level", "set", "silver", "银卡"]) == 0
    assert main(["level", "set", "vip", "贵宾", "--rank", "30"]) == 0
    capsys.readouterr()
    assert main(["level", "list"]) == 0
    assert [lv["level_id"] for lv in json.loads(capsys.readouterr().out)] == ["vip", "gold", "silver"]
    assert main(["settings", "history", "--limit", "1"]) == 0  # a catalog change is in the settings history
    vip = {"level_id": "vip", "name_zh": "贵宾", "name_en": "贵宾", "rank": 30}
    last = json.loads(capsys.readouterr().out)[0]
    assert (last["actor"], last["scope"], last["changed"]) == (f"cli:{getpass.getuser()}", "levels", {"vip": vip})
    assert main(["member", "add", "--phone", "13800000000", "--name", "张三", "--level", "gold"]) == 0
    assert main(["member", "add", "--phone", "13800000000"]) == 2  # the phone is taken
    csv_file = tmp_path / "members.csv"
    csv_file.write_text("phone,name,level\n13900000001,李四,\n13900000002,王五,silver\n", encoding="utf-8")
    assert main(["member", "import", str(csv_file)]) == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("phone,name\n13900000003,a\n12345,b\n", encoding="utf-8")
    assert main(["member", "import", str(bad)]) == 2  # all or nothing
    capsys.readouterr()
    assert main(["member", "add", "--phone", "13700000000", "--id", "m-7"]) == 0
    assert main(["member", "level", "m-7", "vip", "--at", "2026-01-01T00:00:00+08:00"]) == 0
    assert main(["member", "level", "m-404", "vip"]) == 2
    assert main(["member", "level", "m-7", "glod"]) == 2  # a typo is refused
    assert main(["level", "remove", "vip"]) == 2  # m-7 holds it
    assert main(["level", "remove", "silver"]) == 2  # 王五 holds it
    with db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.Member)).scalar_one() == 4
        assert conn.execute(select(t.Member.level).where(t.Member.member_id == "m-7")).scalar_one() == "vip"
        assert conn.execute(select(t.Terminal.revoked_at)).scalar_one() is not None
    assert main(["user", "add", "boss", "--store", "S1", "--password", "boss-pass"]) == 0
    assert main(["user", "add", "boss2", "--password", "short"]) == 2
    db.dispose()


def test_settings_are_validated_recorded_and_act_when_set(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["store", "add", "S1", "--name", "x"]) == 0
    assert main(["cashier", "add", "C1", "--store", "S1"]) == 0
    toml = tmp_path / "base.toml"
    toml.write_text('enabled = true\nsettlement_event = "on_pay"\nextraction_bp = 2000\n', encoding="utf-8")
    assert main(["settings", "set", str(toml), "--actor", "alice"]) == 0
    assert main(["settings", "set", "--store", "S1", "--inline", '{"enabled": true}', "--actor", "bob"]) == 0
    assert main(["settings", "set", "--inline", '{"extraction_bp": 20000}']) == 2
    assert main(["settings", "set", "--inline", '{"no_such_key": 1}']) == 2
    assert main(["settings", "set", "--store", "NOPE", "--inline", '{"enabled": true}']) == 2
    capsys.readouterr()
    assert main(["settings", "show"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["base"]["extraction_bp"] == 2000 and shown["stores"]["S1"]["enabled"] is True
    assert main(["settings", "history"]) == 0
    history = json.loads(capsys.readouterr().out)
    assert [(h["actor"], h["scope"]) for h in history] == [("bob", "store:S1"), ("alice", "base")]
    assert history[1]["changed"] == {"enabled": True, "extraction_bp": 2000, "settlement_event": "on_pay"}
    assert main(["settings", "set", "--inline", "paused = true"]) == 0
    db = _db(data_dir)
    Ingest(db).apply(
        PayOrder(
            order_id="o1",
            store_id="S1",
            cashier_id="C1",
            member_id=None,
            paid_fen=10_000,
            paid_at=dt.datetime.now(dt.UTC),
            completed=True,
        )
    )
    with db.connect() as conn:  # the pause acts from the moment it was set
        assert conn.execute(select(t.Unallocated.reason, t.Unallocated.amount_fen)).one() == ("paused", 2_000)
    assert main(["settings", "set", "--replace", "--inline", '{"enabled": true}']) == 0
    with db.connect() as conn:
        assert json.loads(conn.execute(select(t.SettingsRow.base_json)).scalar_one())["extraction_bp"] == 1000
    db.dispose()


def test_keys_rotate_and_backup(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "rotate"]) == 0
    doc = json.loads((data_dir / "signing-keys.json").read_text())
    assert len(doc["keys"]) == 2 and doc["keys"][0]["retired_at"] == doc["keys"][1]["activates_at"]
    db = _db(data_dir)
    with db.connect() as conn:
        assert len(conn.execute(select(t.SigningKeyRow)).all()) == 2
    db.dispose()
    dest = tmp_path / "backup.db"
    assert main(["backup", str(dest)]) == 0
    with sqlite3.connect(dest) as copy:
        assert copy.execute("SELECT count(*) FROM signing_keys").fetchone() == (2,)
    assert main(["backup", str(dest)]) == 2  # never overwrites


@pytest.mark.postgres
def test_config_file_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with database_location("postgresql", tmp_path) as (_url, schema):
        config = tmp_path / "paidui.toml"
        config.write_text(
            f'data_dir = "{tmp_path / "pgvar"}"\ndatabase_url = "{PG_URL}"\n'
            f'database_schema = "{schema}"\nport = 9100\n',
            encoding="utf-8",
        )
        monkeypatch.setenv("PAIDUI_PORT", "9200")
        settings = load_settings(config)
        assert (settings.port, settings.database_schema, settings.is_sqlite) == (9200, schema, False)
        assert main(["--config", str(config), "init", "--admin-password", "hq-password-1"]) == 0
        assert main(["--config", str(config), "store", "add", "S1", "--name", "x"]) == 0
        capsys.readouterr()
        assert main(["--config", str(config), "backup", str(tmp_path / "x.dump")]) == 0
        assert capsys.readouterr().out.startswith("pg_dump --format=custom")
    assert main(["--config", str(tmp_path / "missing.toml"), "store", "list"]) == 2


def test_backup_never_prints_the_database_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command is printed to be run: it lands in logs and shell history, so the password is not in it."""
    monkeypatch.delenv("PAIDUI_CONFIG", raising=False)
    monkeypatch.setenv("PAIDUI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PAIDUI_DATABASE_URL", "postgresql://paidui:s3cret-Pw@db.example:5433/chain")
    monkeypatch.setenv("PAIDUI_DATABASE_SCHEMA", "paidui")
    assert main(["backup", str(tmp_path / "x.dump")]) == 0
    out, err = capsys.readouterr()
    assert "s3cret-Pw" not in out + err
    assert out.strip() == (
        f"pg_dump --format=custom --file={tmp_path / 'x.dump'} --host=db.example --port=5433 --username=paidui "
        "--schema=paidui --dbname=chain"
    )
    assert "PGPASSWORD" in err

"""paidui-server replay: every worked example through the server's ingest services, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from server.db.database import Database
from server.replay import ServerBackend, replay_document
from shared.scenario import run
from tests.conformance import differences

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCENARIOS = sorted(p for p in EXAMPLES.rglob("*.json") if not p.name.endswith(".expected.json"))


def _expected(path: Path) -> dict:
    return json.loads(path.with_name(path.name.replace(".json", ".expected.json")).read_text())


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.stem)
def test_example_on_database(scenario: Path, db: Database) -> None:
    backend = ServerBackend(db)
    try:
        result = run(json.loads(scenario.read_text()), backend)
    finally:
        backend.close()
    assert differences(result, _expected(scenario)) == []


def test_replay_cli_prints_the_result(tmp_path: Path) -> None:
    scenario = EXAMPLES / "EX2.json"
    out = subprocess.run(
        [sys.executable, "-m", "server.cli", "replay", str(scenario)], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert differences(json.loads(out.stdout), _expected(scenario)) == []


@pytest.mark.postgres
def test_replay_cli_on_postgresql_leaves_no_schema_behind() -> None:
    from sqlalchemy import create_engine, text

    from tests.server.conftest import PG_URL

    out = subprocess.run(
        [sys.executable, "-m", "server.cli", "replay", str(EXAMPLES / "EX9.json"), "--database-url", PG_URL],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert differences(json.loads(out.stdout), _expected(EXAMPLES / "EX9.json")) == []
    engine = create_engine(PG_URL)
    with engine.connect() as conn:
        leftovers = conn.execute(
            text("SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'paidui_replay_%'")
        ).scalar_one()
    engine.dispose()
    assert leftovers == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not JSON"),
        ('{"format": "paidui-scenario/2"}', "unsupported format"),
        ('{"format": "paidui-scenario/1", "stores": [{"id": "S1"}]}', "cashiers"),
        ('{"format": "paidui-scenario/1", "settings": {"extraction_bp": 20000}}', "extraction_bp"),
        (
            '{"format": "paidui-scenario/1", "settings": '
            '{"refund_clawback": "all", "leftover_policy": "carry_forward"}}',
            "A25",
        ),
        ("[]", "JSON object"),
    ],
)
def test_malformed_scenario_exits_2_with_a_message(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    out = subprocess.run(
        [sys.executable, "-m", "server.cli", "replay", str(path)], capture_output=True, text=True, check=False
    )
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    assert out.stdout == ""


def test_missing_file_exits_2(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "server.cli", "replay", str(tmp_path / "nope.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 2 and "cannot read" in out.stderr


def test_refused_events_are_listed_and_replay_goes_on() -> None:
    doc = json.loads((EXAMPLES / "EX2.json").read_text())
    doc["events"] = [
        {
            "type": "order_refunded",
            "order_id": "nope",
            "refund_id": "R1",
            "amount_fen": 100,
            "at": "2024-07-01T10:00:00+08:00",
        },
        {"type": "no_such_event"},
        *doc["events"],
        {"type": "exchange", "order_id": doc["events"][0]["order_id"], "into": "points"},
        {"type": "lottery_draw", "order_id": doc["events"][0]["order_id"], "result_bp": 5000},
    ]
    result = replay_document(doc)
    codes = {r["event"]: r["code"] for r in result["rejected"]}
    n = len(doc["events"])
    assert codes == {0: "unknown_order", 1: "invalid_event", n - 2: "exchange_disabled", n - 1: "entry_not_waiting"}
    assert differences({**result, "rejected": []}, _expected(EXAMPLES / "EX2.json")) == []

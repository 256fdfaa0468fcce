"""`paidui-server replay` learns the wallet (docs/wallet.md "Replay"): sales paid from the balance, with a voucher
and with points, withdrawals requested / approved / declined, a points transfer, an overdraft refused."""

from __future__ import annotations

import json
from pathlib import Path

from server.db.database import Database
from server.replay import ServerBackend
from shared.engine.memory_backend import MemoryBackend
from shared.scenario import run
from tests.conformance import differences

DOC = Path(__file__).resolve().parents[2] / "docs" / "examples" / "wallet.json"


def test_the_documented_wallet_scenario_gives_its_documented_result(db: Database) -> None:
    backend = ServerBackend(db)
    try:
        result = run(json.loads(DOC.read_text()), backend)
    finally:
        backend.close()
    # (seq numbers may skip on PostgreSQL after a refused event: `differences` compares them by order)
    assert differences(result, json.loads(DOC.with_name("wallet.expected.json").read_text())) == []
    assert result["members"] == {
        "a": {"rebate_fen": 7_000, "points": 10, "voucher_fen": 0, "withdrawn_fen": 2_000},
        "b": {"rebate_fen": 3_250, "points": 0, "voucher_fen": 0},
    }
    assert [(r["event"], r["code"]) for r in result["rejected"]] == [(7, "insufficient_balance"), (14, "below_minimum")]


def test_the_in_memory_engine_refuses_wallet_events_by_name() -> None:
    result = run(json.loads(DOC.read_text()), MemoryBackend())
    codes = {r["code"] for r in result["rejected"] if r["event"] >= 6}
    assert codes == {"invalid_event"}

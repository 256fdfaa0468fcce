"""What-if simulation: a period's orders replayed from an empty queue under today's and proposed settings."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from server.console.web import base_settings
from server.db.database import Database
from server.services import simulate
from server.services.ingest import Ingest
from shared.engine.commands import CompleteOrder, PayOrder, RefundOrder
from shared.engine.memory_backend import MemoryBackend
from shared.errors import Code, RuleError
from shared.scenario import run

from .console_support import (
    MANAGER_PASSWORD,
    SHANGHAI,
    Sale,
    add_manager,
    fifo_model,
    history,
    ledger,
    seed_history,
    sign_in,
)
from .support import ADMIN_PASSWORD, T0, seed

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _period(days: int = 3) -> tuple[dt.datetime, dt.datetime]:
    first = (T0 - dt.timedelta(days=days - 1)).astimezone(SHANGHAI).date()
    since = dt.datetime.combine(first, dt.time(0), tzinfo=SHANGHAI)
    return since, since + dt.timedelta(days=days)


def _compare(db: Database, **kwargs: object) -> simulate.Comparison:
    since, until = _period()
    with db.connect() as conn:
        return simulate.compare(conn, since=since, until=until, base=base_settings(conn, db), **kwargs)  # type: ignore


def test_todays_rules_replay_the_period_as_it_happened_and_proposed_ones_as_the_hand_model(db: Database) -> None:
    sales = history()
    seed_history(db, sales)
    with db.connect() as conn:
        sums = ledger(conn)
    result = _compare(db, base_patch={"extraction_bp": 2000})
    now = result.current
    assert (now.orders, now.entries, now.entries_completed, now.waiting) == (
        len(sales),
        sums["entries"],
        sums["completed"],
        sums["waiting"],
    )
    assert (now.payouts_fen, now.kept_fen, now.outstanding_fen, now.rejected) == (
        sums["paid"],
        sums["kept"],
        sums["outstanding"],
        0,
    )
    model = fifo_model(sales, extraction_bp=2000)
    new = result.proposed
    assert new.payouts_fen == sum(model["matrix"].values()) > now.payouts_fen
    assert (new.kept_fen, new.waiting, new.outstanding_fen, new.entries_completed) == (
        model["kept"],
        model["waiting"],
        model["outstanding"],
        model["completed"],
    )
    assert new.completion_rate_bp == model["completed"] * 10_000 // model["entries"]
    assert result.base_changes == {"extraction_bp": 2000} and result.store_changes == {}


def test_completions_and_refunds_are_replayed_in_the_order_they_were_received(db: Database) -> None:
    seed(
        db,
        stores={"S1": ["C1"], "S2": ["C2"]},
        base={"all_cashiers_queue": True, "settlement_event": "on_complete"},
        at=T0 - dt.timedelta(days=3),
    )
    ingest = Ingest(db)
    start = _period()[0] + dt.timedelta(hours=9)
    events: list[tuple[dt.datetime, object]] = []
    for i in range(30):
        at = start + dt.timedelta(hours=i)
        store, cashier = ("S1", "C1") if i % 3 else ("S2", "C2")
        events.append(
            (
                at,
                PayOrder(
                    order_id=f"P{i}",
                    store_id=store,
                    cashier_id=cashier,
                    member_id=None if i % 7 == 0 else f"m{i % 4}",
                    paid_fen=8_000 + 300 * i,
                    paid_at=at,
                    received_at=at,
                ),
            )
        )
        if i % 5 != 4 and i != 8:  # some orders are never completed within the period; P8 is refunded first
            events.append((at + dt.timedelta(minutes=90), CompleteOrder(f"P{i}", at + dt.timedelta(minutes=90))))
        if i in (3, 11):
            later = at + dt.timedelta(hours=5)
            events.append((later, RefundOrder(f"P{i}", f"R{i}", 2_000, later)))
        if i == 8:
            events.append(
                (
                    at + dt.timedelta(minutes=30),
                    RefundOrder(f"P{i}", f"R{i}", 8_000 + 300 * i, at + dt.timedelta(minutes=30)),
                )
            )
    for _, command in sorted(events, key=lambda e: e[0]):
        ingest.apply(command)  # type: ignore[arg-type]
    with db.connect() as conn:
        sums = ledger(conn)
    now = _compare(db).current
    assert (now.payouts_fen, now.kept_fen, now.outstanding_fen, now.waiting, now.entries, now.entries_completed) == (
        sums["paid"],
        sums["kept"],
        sums["outstanding"],
        sums["waiting"],
        sums["entries"],
        sums["completed"],
    )
    assert now.rejected == 0 and sums["paid"] > 0


def test_a_daily_reset_in_the_proposal_empties_the_queue_every_midnight(db: Database) -> None:
    sales = history()
    seed_history(db, sales)
    result = _compare(db, base_patch={"reset": {"kind": "daily", "time": "00:00"}})
    days: dict[dt.date, list[Sale]] = {}
    for s in sales:
        days.setdefault(s.at.astimezone(SHANGHAI).date(), []).append(s)
    models = [fifo_model(day) for _, day in sorted(days.items())]
    assert len(models) == 3
    assert result.proposed.payouts_fen == sum(sum(m["matrix"].values()) for m in models)
    assert result.proposed.waiting == models[-1]["waiting"] < result.current.waiting
    assert result.proposed.outstanding_fen == models[-1]["outstanding"]


def test_earlier_sales_count_toward_the_proposed_tiers(db: Database) -> None:
    sales = history()
    seed_history(db, sales)
    before = T0 - dt.timedelta(days=10)
    Ingest(db).apply(
        PayOrder(
            order_id="OLD",
            store_id="S1",
            cashier_id="C1",
            member_id="s1m1",
            paid_fen=500_000,
            paid_at=before,
            received_at=before,
            completed=True,
        )
    )
    tiers = {"S1": {"cumulative_tiers": [{"days": 30, "threshold_fen": 400_000, "ratio_bp": 20_000}]}}
    since, until = _period()
    with db.connect() as conn:
        base = base_settings(conn, db)
        doc = simulate.scenario_document(conn, since=since, until=until, base=base, stores={}, lookback_days=30)
        result = simulate.compare(conn, since=since, until=until, base=base, store_patches=tiers)
    assert [o["order_id"] for o in doc["imported_orders"]] == ["OLD"]
    assert "OLD" not in {e.get("order_id") for e in doc["events"]}
    # s1m1's entries get 200%: more entitlement waits at the end than under today's 100%
    assert result.proposed.outstanding_fen > result.current.outstanding_fen
    assert result.store_changes == {"S1": tiers["S1"]}


def test_lines_outside_the_rebate_stay_outside_in_the_simulation(db: Database) -> None:
    """rules.md §8: a sale whose cigarettes do not take part is simulated on its taking-part base, as it happened."""
    seed(db, stores={"S1": ["C1"]}, at=T0 - dt.timedelta(days=3))
    at = _period()[0] + dt.timedelta(hours=10)
    lines = [{"name": "面", "amount_fen": 3900}, {"name": "烟", "amount_fen": 2500, "participates": False}]
    Ingest(db).apply(
        PayOrder(
            order_id="L1",
            store_id="S1",
            cashier_id="C1",
            member_id="m1",
            paid_fen=6400,
            paid_at=at,
            received_at=at,
            completed=True,
            lines_json=json.dumps(lines),
        )
    )
    since, until = _period()
    with db.connect() as conn:
        doc = simulate.scenario_document(
            conn, since=since, until=until, base=base_settings(conn, db), stores={}, lookback_days=0
        )
    assert doc["events"][0]["lines"] == [
        {"amount_fen": 3900, "participates": True},
        {"amount_fen": 2500, "participates": False},
    ]
    now = _compare(db).current
    assert (now.outstanding_fen, now.payouts_fen) == (3900 - 390, 390)


def test_refusals(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_history(db, history())
    with pytest.raises(RuleError) as invalid:
        _compare(db, base_patch={"extraction_bp": 20_000})
    assert invalid.value.code == Code.INVALID_SETTINGS
    with pytest.raises(RuleError) as unknown:
        _compare(db, store_patches={"S9": {"enabled": True}})
    assert unknown.value.code == Code.UNKNOWN_STORE
    monkeypatch.setattr(simulate, "MAX_ORDERS", 3)
    with pytest.raises(simulate.SimulationTooLarge):
        _compare(db)


SCENARIOS = sorted(p for p in EXAMPLES.glob("EX*.json") if not p.name.endswith(".expected.json"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_replay_without_snapshots_gives_the_same_results(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert run(doc, MemoryBackend(transactional=False)) == run(doc, MemoryBackend())


def _cell(page: str, row: str, side: str) -> int:
    found = re.search(rf'<tr data-row="{row}">.*?data-side="{side}" data-(?:fen|value)="(-?\d+)"', page, re.S)
    assert found, (row, side)
    return int(found.group(1))


def test_the_simulator_page(http: httpx.Client, app: FastAPI) -> None:
    sales = history()
    seed_history(app.state.db, sales)
    csrf = sign_in(http, "admin", ADMIN_PASSWORD)
    first = (T0 - dt.timedelta(days=2)).date().isoformat()
    form = http.get("/console/simulate")
    assert form.status_code == 200 and "空队列" in form.text
    r = http.post(
        "/console/simulate",
        data={
            "csrf": csrf,
            "from": first,
            "to": T0.date().isoformat(),
            "base": '{"extraction_bp": 2000}',
            "stores": "",
        },
    )
    assert r.status_code == 200, r.text
    with app.state.db.connect() as conn:
        sums = ledger(conn)
    model = fifo_model(sales, extraction_bp=2000)
    assert _cell(r.text, "payouts", "current") == sums["paid"]
    assert _cell(r.text, "payouts", "proposed") == sum(model["matrix"].values())
    assert _cell(r.text, "outstanding", "proposed") == model["outstanding"]
    assert _cell(r.text, "orders", "current") == len(sales)
    bad = http.post(
        "/console/simulate",
        data={
            "csrf": csrf,
            "from": first,
            "to": T0.date().isoformat(),
            "base": '{"extraction_bp": 20000}',
            "stores": "",
        },
    )
    assert bad.status_code == 422 and "设置无效" in bad.text and "20000" in bad.text  # in words; kept as typed
    assert "invalid_settings:" not in bad.text
    broken = http.post("/console/simulate", data={"csrf": csrf, "from": first, "to": first, "base": "{", "stores": ""})
    assert broken.status_code == 422 and 'id="form-error"' in broken.text
    backwards = http.post("/console/simulate", data={"csrf": csrf, "from": T0.date().isoformat(), "to": first})
    assert backwards.status_code == 422


def test_store_managers_do_not_simulate(http: httpx.Client, app: FastAPI) -> None:
    seed_history(app.state.db, history())
    add_manager(app.state.db, "boss1", "S1")
    csrf = sign_in(http, "boss1", MANAGER_PASSWORD)
    assert http.get("/console/simulate").status_code == 403
    assert (
        http.post("/console/simulate", data={"csrf": csrf, "from": "2026-03-01", "to": "2026-03-02"}).status_code == 403
    )

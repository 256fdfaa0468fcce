"""The notification outbox (issue 13 item 8): events from the records, each at most once, delivered through the
sender grouped per member per hour, retried after a failed send, listed on the signed-in page."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from server.db import tables as t
from server.db.database import Database
from server.jobs import notify
from server.services import admin
from server.services.ingest import Ingest
from server.services.sender import FileSender, Message, SendFailed
from shared.engine.commands import ChangeSettings, Exchange, PayOrder
from shared.money import format_fen

from .support import T0, seed

PHONE = "13800138000"
N = t.MemberNotification


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.at = now

    def now(self) -> dt.datetime:
        return self.at


class Flaky:
    """A sender that fails `failures` times, then writes to a file."""

    def __init__(self, path: Path, failures: int) -> None:
        self.file = FileSender(path)
        self.failures = failures

    def send(self, message: Message) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise SendFailed("gateway down")
        self.file.send(message)


def setup(db: Database, **base: Any) -> Ingest:
    """Extraction 10%, settled on pay: m1 has a phone, m2 has none."""
    seed(db, stores={"S1": ["C1"]}, base={"extraction_bp": 1000, **base})
    with db.connect() as conn:
        admin.add_member(conn, member_id="m1", at=T0, phone=PHONE)
        admin.add_member(conn, member_id="m2", at=T0)
    return Ingest(db)


def sell(ingest: Ingest, member: str, fen: int, at: dt.datetime) -> None:
    ingest.apply(
        PayOrder(
            order_id=str(uuid.uuid4()),
            store_id="S1",
            cashier_id="C1",
            member_id=member,
            paid_fen=fen,
            paid_at=at,
            received_at=at,
            terminal_id=None,
            completed=True,
        )
    )


def rows(db: Database, member: str | None = None) -> list[Any]:
    with db.connect() as conn:
        stmt = select(N).order_by(N.id)
        if member is not None:
            stmt = stmt.where(N.member_id == member)
        return list(conn.execute(stmt))


def test_rebates_and_a_completed_entry_are_told_once_in_one_message(db: Database, tmp_path: Path) -> None:
    ingest = setup(db)
    clock = Clock(T0)
    sender = FileSender(tmp_path / "messages.jsonl")
    notifier = notify.Notifier(db=db, sender=sender, clock=clock)
    notifier.run()  # the cursor starts at the present
    sell(ingest, "m1", 10_000, T0)  # m1's entry gets 10.00 of its own sale
    sell(ingest, "m2", 50_000, T0)  # 50.00 to m1
    sell(ingest, "m2", 50_000, T0)  # 40.00 to m1 (its entry is full), 10.00 to m2
    clock.at = T0 + dt.timedelta(minutes=1)

    report = notifier.run()
    mine = rows(db, "m1")
    assert [(r.kind, r.amount_fen) for r in mine] == [
        ("rebate_received", 1000),
        ("rebate_received", 5000),
        ("rebate_received", 4000),
        ("entry_completed", 10_000),
    ]
    assert all(r.state == "sent" for r in mine)
    assert {r.state for r in rows(db, "m2")} == {"no_phone"}  # listed on the page, not sent
    [message] = sender.read()
    assert report.messages == 1 and message["phone"] == PHONE and message["kind"] == "notification"
    for fen in (1000, 5000, 4000):
        assert f"排队返利到账 ¥{format_fen(fen)}" in message["text"]
    assert "已全部到账" in message["text"] and "全返" not in message["text"]

    notifier.run()  # at most once: nothing new, nothing sent again
    clock.at += dt.timedelta(hours=2)
    notifier.run()
    assert len(rows(db, "m1")) == 4 and len(sender.read()) == 1


def test_a_member_gets_at_most_one_message_an_hour(db: Database, tmp_path: Path) -> None:
    ingest = setup(db)
    clock = Clock(T0)
    sender = FileSender(tmp_path / "messages.jsonl")
    notifier = notify.Notifier(db=db, sender=sender, clock=clock)
    notifier.run()
    sell(ingest, "m1", 20_000, T0)
    notifier.run()
    assert len(sender.read()) == 1
    clock.at = T0 + dt.timedelta(minutes=10)
    sell(ingest, "m2", 30_000, clock.at)  # 30.00 to m1
    sell(ingest, "m2", 40_000, clock.at)  # 40.00 to m1
    notifier.run()
    assert len(sender.read()) == 1 and [r.state for r in rows(db, "m1")][-2:] == ["pending", "pending"]
    clock.at = T0 + dt.timedelta(hours=1)
    notifier.run()
    messages = sender.read()
    assert len(messages) == 2  # the two rebates of that hour in one message
    assert "¥30.00" in messages[1]["text"] and "¥40.00" in messages[1]["text"]


def test_the_threshold_setting_decides_which_rebates_are_told(db: Database, tmp_path: Path) -> None:
    ingest = setup(db, notifications={"rebate_threshold_fen": 3000})
    clock = Clock(T0)
    notifier = notify.Notifier(db=db, sender=FileSender(tmp_path / "m.jsonl"), clock=clock)
    notifier.run()
    sell(ingest, "m1", 10_000, T0)  # 10.00: below 30.00
    sell(ingest, "m2", 50_000, T0)  # 50.00 to m1
    notifier.run()
    assert [(r.kind, r.amount_fen) for r in rows(db, "m1")] == [("rebate_received", 5000)]


def test_switched_off_nothing_is_collected_or_piled_up(db: Database, tmp_path: Path) -> None:
    ingest = setup(db, notifications={"enabled": False})
    clock = Clock(T0)
    notifier = notify.Notifier(db=db, sender=FileSender(tmp_path / "m.jsonl"), clock=clock)
    notifier.run()
    sell(ingest, "m1", 10_000, T0)
    notifier.run()
    assert rows(db) == []
    ingest.apply(ChangeSettings(at=T0, base={"notifications": {"enabled": True}}, actor="hq"))
    notifier.run()
    assert rows(db) == []  # what happened while they were off is not told later


def test_a_failed_send_is_tried_again_and_sent_once(db: Database, tmp_path: Path) -> None:
    ingest = setup(db)
    clock = Clock(T0)
    sender = Flaky(tmp_path / "m.jsonl", failures=1)
    notifier = notify.Notifier(db=db, sender=sender, clock=clock)
    notifier.run()
    sell(ingest, "m1", 10_000, T0)
    assert notifier.run().failed == 1
    assert {r.state for r in rows(db, "m1")} == {"pending"} and sender.file.read() == []
    assert notifier.run().messages == 1
    notifier.run()
    assert len(sender.file.read()) == 1 and {r.state for r in rows(db, "m1")} == {"sent"}


def test_a_coming_reset_is_told_once_to_members_with_waiting_entries(db: Database, tmp_path: Path) -> None:
    # 00:00 Shanghai is 16:00 UTC, 14 hours after T0 (10:00 Shanghai): within the 24-hour notice
    ingest = setup(db, reset={"kind": "daily", "time": "00:00:00"})
    clock = Clock(T0)
    sender = FileSender(tmp_path / "m.jsonl")
    notifier = notify.Notifier(db=db, sender=sender, clock=clock)
    sell(ingest, "m1", 10_000, T0)  # waiting with 90.00 to go
    notifier.run()
    notifier.run()
    resets = [r for r in rows(db) if r.kind == "reset_coming"]
    assert [r.member_id for r in resets] == ["m1"]
    assert resets[0].due_at == dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC)
    assert "03-03 00:00 重置" in sender.read()[0]["text"]


def test_no_reset_notice_when_it_is_further_away(db: Database, tmp_path: Path) -> None:
    ingest = setup(db, reset={"kind": "daily", "time": "00:00:00"}, notifications={"reset_notice_hours": 6})
    notifier = notify.Notifier(db=db, sender=FileSender(tmp_path / "m.jsonl"), clock=Clock(T0))
    sell(ingest, "m1", 10_000, T0)
    notifier.run()
    assert not [r for r in rows(db) if r.kind == "reset_coming"]


@pytest.mark.parametrize("kind", notify.KINDS)
def test_every_kind_has_words_on_the_page(kind: str) -> None:
    from server.member_page.i18n import MESSAGES

    for lang in ("zh", "en"):
        assert f"notify_{kind}" in MESSAGES[lang]


def test_the_scheduler_runs_the_notifier_after_its_tick(db: Database, tmp_path: Path) -> None:
    from server.jobs import JobRunner

    ingest = setup(db)
    clock = Clock(T0)
    runner = JobRunner(db=db, ingest=ingest, clock=clock)
    notifier = notify.Notifier(db=db, sender=FileSender(tmp_path / "m.jsonl"), clock=clock)
    runner.after_tick = notifier.run
    runner.tick()
    sell(ingest, "m1", 10_000, T0)
    runner.tick()
    with db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(N)).scalar() == 1


def test_a_voucher_about_to_expire_is_told_once(db: Database, tmp_path: Path) -> None:
    ingest = setup(db, voucher_exchange_enabled=True, wallet={"voucher_valid_days": 10})
    clock = Clock(T0)
    sender = FileSender(tmp_path / "m.jsonl")
    notifier = notify.Notifier(db=db, sender=sender, clock=clock)
    sell(ingest, "m1", 10_000, T0)  # waiting with 90.00 to go: exchanged for a 90.00 voucher
    with db.connect() as conn:
        order_id = conn.execute(select(t.EntryRow.order_id).where(t.EntryRow.member_id == "m1")).scalar_one()
    ingest.apply(Exchange(order_id=order_id, into="voucher", at=T0, member_id="m1"))
    notifier.run()
    assert not [r for r in rows(db) if r.kind == "voucher_expiring"]  # ten days away: not yet
    clock.at = T0 + dt.timedelta(days=8)
    notifier.run()
    clock.at += dt.timedelta(hours=2)
    notifier.run()
    [told] = [r for r in rows(db) if r.kind == "voucher_expiring"]
    assert told.amount_fen == 9000 and told.due_at == T0 + dt.timedelta(days=10)
    assert sum("购物券将于" in m["text"] for m in sender.read()) == 1

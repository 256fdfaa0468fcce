"""Orders and entries written behind (server/db/repository.py, issue 16): what a group keeps in memory is what the
rows say when anything reads them, a refused sale never takes an earlier one's work with it, and entry seqs taken
ahead on PostgreSQL never put an entry of a queue behind one that was written there before it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from server.db import repository
from server.db import tables as t
from server.db.database import Database
from server.db.unit_of_work import UnitOfWork
from shared.engine.commands import PayOrder
from shared.engine.engine import Engine
from shared.engine.randomness import SystemRandomSource
from shared.ids import CashierId, MemberId, OrderId, StoreId
from tests.faults.checks import fifo, money

from .support import T0, enrolled, paid, registered, seed


def _checks(db: Database) -> list[str]:
    with db.connect() as conn:
        return money(conn) + fifo(conn, all_cashiers_queue=False)  # money() checks the running totals too


def test_a_conflict_inside_a_group_is_refused_and_the_rest_of_the_group_stands(
    app: FastAPI, http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The conflicting copy of a sale is refused after the engine looked at the sale kept by the same group: the
    group is applied again with a savepoint per command (PendingLost), and every other sale of it stands, once."""
    lost: list[str] = []
    restore = repository.SqlRepository.restore

    def spy(self: repository.SqlRepository, mark: repository.RepositoryMark) -> None:
        try:
            restore(self, mark)
        except repository.PendingLost:
            lost.append("lost")
            raise

    monkeypatch.setattr(repository.SqlRepository, "restore", spy)
    seed(app.state.db, stores={"S1": ["C1"]})
    till = enrolled(app, http)
    member = till.event(registered("13800000021"))
    assert till.push([member]).json()["results"][0]["status"] == "accepted"
    mid = member["body"]["member_id"]
    first = till.event(paid("C1", 10_000, member=mid))
    changed = till.event({**first["body"], "paid_fen": 9_000, "total_fen": 9_000})  # same order, new event id
    later = [till.event(paid("C1", 5_000 + i, member=mid)) for i in range(3)]
    results = till.push([first, changed, *later]).json()["results"]
    assert [r["status"] for r in results] == ["accepted", "refused", "accepted", "accepted", "accepted"]
    assert results[1]["code"] == "order_conflict"
    assert lost == ["lost"]  # the kept work was not guessed back: the group ran again, a savepoint each
    with app.state.db.connect() as conn:
        paid_fen = sorted(conn.execute(select(t.OrderRow.paid_fen)).scalars())
        entries = conn.execute(select(func.count()).select_from(t.EntryRow)).scalar_one()
        logged = conn.execute(select(func.count()).select_from(t.EventLog)).scalar_one()
    assert paid_fen == [5_000, 5_001, 5_002, 10_000]
    assert (entries, logged) == (4, 6)
    assert _checks(app.state.db) == []
    again = till.push([first, changed, *later]).json()["results"]  # resent whole: the same answers, nothing more
    assert [r["status"] for r in again] == ["duplicate", "refused", "duplicate", "duplicate", "duplicate"]
    with app.state.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.OrderRow)).scalar_one() == 4


def test_a_sale_refused_by_the_rules_leaves_nothing_and_takes_nothing_with_it(app: FastAPI, http: httpx.Client) -> None:
    """A sale refused before it does anything (a member the server does not know) runs without a savepoint: the
    sales kept before and after it are written, it is not."""
    seed(app.state.db, stores={"S1": ["C1"]})
    till = enrolled(app, http)
    member = till.event(registered("13800000022"))
    mid = member["body"]["member_id"]
    bad = paid("C1", 3_000, member="a-member-nobody-registered")
    events = [member, *[till.event(paid("C1", 2_000, member=mid)) for _ in range(2)], till.event(bad)]
    events += [till.event(paid("C1", 4_000, member=mid)) for _ in range(2)]
    results = till.push(events).json()["results"]
    statuses = [r["status"] for r in results]
    assert statuses == ["accepted", "accepted", "accepted", "refused", "accepted", "accepted"], results
    with app.state.db.connect() as conn:
        assert sorted(conn.execute(select(t.OrderRow.paid_fen)).scalars()) == [2_000, 2_000, 4_000, 4_000]
        assert conn.execute(select(func.count()).select_from(t.EntryRow)).scalar_one() == 4
    assert _checks(app.state.db) == []


def _pay(order: str, cashier: str, *, member: str | None = "M1", fen: int = 10_000) -> PayOrder:
    return PayOrder(
        order_id=OrderId(order),
        store_id=StoreId("S1"),
        cashier_id=CashierId(cashier),
        member_id=MemberId(member) if member else None,
        paid_fen=fen,
        paid_at=T0,
        received_at=T0,
    )


def test_a_raw_read_in_the_unit_of_work_sees_what_is_kept(db: Database) -> None:
    """Any statement the kept objects do not answer for (here a count by hand) first writes what is pending."""
    seed(db, stores={"S1": ["C1"]})
    with UnitOfWork(db, at=T0) as uow:
        engine = Engine(uow.repo, SystemRandomSource())
        for i in range(3):
            assert engine.apply(_pay(f"o{i}", "C1")).status == "accepted"
        assert uow.repo._new_orders  # kept, not written yet
        counted = uow.conn.execute(select(func.count()).select_from(t.OrderRow)).scalar_one()
        entries = uow.conn.execute(select(func.count()).select_from(t.EntryRow)).scalar_one()
        assert (counted, entries) == (3, 3)
        assert not uow.repo._new_orders
        # rolled back: nothing was committed
    with db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.OrderRow)).scalar_one() == 0


def _seqs(db: Database, cashier: str) -> list[tuple[int, str]]:
    with db.connect() as conn:
        rows = conn.execute(
            select(t.EntryRow.seq, t.EntryRow.order_id).where(t.EntryRow.cashier_id == cashier).order_by("seq")
        )
        return [(int(s), str(o)) for s, o in rows]


@pytest.mark.postgres
def test_seqs_taken_ahead_never_put_an_entry_behind_an_earlier_one(pg_db: Database) -> None:
    """A unit of work that took seqs ahead under queue A and only then locks queue B must not give B's entry a seq
    older than one another writer gave B meanwhile: B's queue order is the order its entries were written."""
    db = pg_db
    seed(db, stores={"S1": ["C1", "C2"]})
    first = UnitOfWork(db, at=T0).__enter__()
    try:
        engine = Engine(first.repo, SystemRandomSource())
        for i in range(3):  # busy enough to take seqs ahead
            engine.apply(_pay(f"a{i}", "C1"))
        with UnitOfWork(db, at=T0) as second:  # meanwhile another writer sells in queue C2 and commits
            Engine(second.repo, SystemRandomSource()).apply(_pay("b0", "C2", member="M2"))  # not first's member
            second.commit()
        engine.apply(_pay("a-late", "C2"))  # locks C2 now; written after b0, must queue behind it
        first.commit()
    finally:
        first.__exit__(None, None, None)
    assert [order for _, order in _seqs(db, "C2")] == ["b0", "a-late"]
    assert _checks(db) == []


def _sale_rows(db: Database) -> dict[str, Any]:
    with db.connect() as conn:
        entries = conn.execute(select(t.EntryRow.order_id, t.EntryRow.paid_fen, t.EntryRow.status).order_by("seq"))
        return {"entries": [tuple(r) for r in entries]}


def test_payouts_answered_from_the_window_match_a_command_a_transaction(tmp_path: Any) -> None:
    """A hundred sales in one unit of work (the queue's window answers the payouts, seqs taken ahead) leave the same
    entries, payouts and totals as the same sales one transaction each."""
    results = []
    for name in ("one-each", "together"):
        db = Database(f"sqlite:///{tmp_path / name}.db")
        db.migrate()
        seed(db, stores={"S1": ["C1"]})
        pays = [_pay(f"o{i:03}", "C1", member=f"M{i % 7}" if i % 5 else None, fen=1_000 + 37 * i) for i in range(100)]
        if name == "one-each":
            for pay in pays:
                with UnitOfWork(db, at=T0) as uow:
                    Engine(uow.repo, SystemRandomSource()).apply(pay)
                    uow.commit()
        else:
            with UnitOfWork(db, at=T0 + dt.timedelta(seconds=1)) as uow:
                engine = Engine(uow.repo, SystemRandomSource())
                for pay in pays:
                    engine.apply(pay)
                uow.commit()
        assert _checks(db) == []
        results.append(_sale_rows(db))
        db.dispose()
    assert results[0] == results[1]
    assert any(status == "completed" for _, _, status in results[0]["entries"])  # the head was paid out in full

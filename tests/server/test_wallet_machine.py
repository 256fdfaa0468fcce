"""The wallet's conservation laws under random sequences (hypothesis state machine, real services on SQLite).

Sales earn through the queue, full refunds claw back, exchanges turn entries into points and vouchers; members spend
(hold + the sale that captures it), release holds, transfer points, request withdrawals that headquarters approves
or declines, and refund wallet-paid sales. After every step, per member and per kind:

    balance + spent + withdrawn == credited - clawed back   (transfers: + received - sent)

where *credited* and *clawed back* are what the queue wrote and *spent*, *withdrawn* and *transferred* are counted
by the machine itself from the operations that succeeded; and the running balance equals its ledger. No spend
ever takes a balance below zero: a hold is granted only when the balance less the open holds covers it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import tempfile
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import func, select

from server.db import tables as t
from server.db.database import Database
from server.services import consent, holds, wallet, wallet_ops
from server.services.ingest import Ingest
from shared.engine.commands import Exchange, PayOrder, RefundOrder
from shared.errors import RuleError
from shared.ids import MemberId
from shared.settings import BaseSettings
from shared.wire import WalletTender

from .support import T0, seed

MEMBERS = ["m1", "m2", "m3"]
KEY = b"k" * 32
ENGINE_REBATE = {"rebate": "credited", "clawback_received": "clawed", "clawback_generated": "clawed"}
ENGINE_POINTS = {"random_return": "credited", "exchange": "credited", "reversal": "clawed"}
WALLET_SETTINGS = {"points_per_yuan": 10, "withdrawal_enabled": True, "withdrawal_min_fen": 100}


class WalletMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        self.db = Database(f"sqlite:///{Path(self.tmp.name) / 'w.db'}")
        self.db.migrate()
        seed(
            self.db,
            stores={"S1": ["C1"]},
            base={
                "extraction_bp": 5000,
                "points_exchange_enabled": True,
                "voucher_exchange_enabled": True,
                "wallet": WALLET_SETTINGS,
            },
        )
        from server.services import members

        with self.db.connect() as conn:
            for n, m in enumerate(MEMBERS):
                members.add(conn, phone=f"1380000000{n}", member_id=m, now=T0)
        self.ingest = Ingest(self.db)
        with self.db.connect() as conn:
            self.base = BaseSettings.model_validate_json(conn.execute(select(t.SettingsRow.base_json)).scalar_one())
        self.clock = itertools.count(1)
        self.orders: list[tuple[str, str | None]] = []  # (order id, member)
        self.wallet_orders: list[str] = []
        self.refunded: set[str] = set()
        self.open_holds: list[str] = []
        self.pending: list[int] = []  # withdrawal ids waiting for a decision
        # what the machine counts itself: member -> kind -> amount
        self.spent: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.withdrawn: dict[str, int] = defaultdict(int)
        self.transferred: dict[str, int] = defaultdict(int)  # points received - sent

    def teardown(self) -> None:
        self.db.dispose()
        self.tmp.cleanup()

    def now(self) -> dt.datetime:
        return T0 + dt.timedelta(minutes=next(self.clock))

    def settings(self) -> BaseSettings:
        return self.base

    # ------------------------------------------------------------------ the queue

    @initialize()
    def wallets_with_something_in_them(self) -> None:
        """Each member earns 100.00; m1 and m2 then hold a waiting entry each, exchanged into points / a voucher."""
        for member in MEMBERS:
            self.sale(member, 100)
            self.sale(None, 100)
        for member, into in (("m1", "points"), ("m2", "voucher")):
            self.sale(member, 100)
            order = self.orders[-1][0]
            self.ingest.apply(Exchange(order_id=order, into=into, at=self.now(), member_id=member))

    @rule(member=st.sampled_from([*MEMBERS, None]), yuan=st.integers(1, 300))
    def sale(self, member: str | None, yuan: int) -> None:
        order = str(uuid.uuid4())
        self.ingest.apply(
            PayOrder(
                order_id=order,
                store_id="S1",
                cashier_id="C1",
                member_id=member,
                paid_fen=yuan * 100,
                paid_at=self.now(),
                completed=True,
            )
        )
        self.orders.append((order, member))

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def refund(self, data: st.DataObject) -> None:
        order, _ = data.draw(st.sampled_from(self.orders))
        if order in self.refunded:
            return
        with self.db.connect() as conn:
            left = conn.execute(
                select(t.OrderRow.paid_fen - t.OrderRow.refunded_fen).where(t.OrderRow.order_id == order)
            ).scalar_one()
        if left <= 0:
            return
        amount = data.draw(st.sampled_from([left, max(1, left // 2)]))
        self.ingest.apply(RefundOrder(order_id=order, refund_id=str(uuid.uuid4()), amount_fen=amount, at=self.now()))
        if amount == left:
            self.refunded.add(order)

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), into=st.sampled_from(["points", "voucher"]))
    def exchange(self, data: st.DataObject, into: str) -> None:
        order, member = data.draw(st.sampled_from(self.orders))
        with contextlib.suppress(RuleError):
            self.ingest.apply(Exchange(order_id=order, into=into, at=self.now(), member_id=member))

    # ------------------------------------------------------------------ spending

    def _hold(self, member: str, kind: str, amount: int | None, voucher_id: int | None) -> holds.Hold | None:
        at = self.now()
        request = holds.HoldRequest(
            member_id=member,
            kind=kind,
            amount_fen=amount,
            voucher_id=voucher_id,
            idempotency_key=str(uuid.uuid4()),
            payment_code=consent.payment_code(KEY, MemberId(member), at),
        )
        with self.db.connect() as conn:
            before = wallet.wallet_of(conn, member)
        try:
            with self.db.connect() as conn:
                h = holds.place(
                    conn,
                    request=request,
                    terminal_id="T1",
                    store_id="S1",
                    settings=self.settings(),
                    consent_key=KEY,
                    now=at,
                )
        except RuleError as exc:
            assert exc.code in ("insufficient_balance", "voucher_unavailable", "invalid_amount"), exc
            if kind == "rebate" and amount is not None:
                assert before.rebate_fen - before.rebate_held_fen < amount
            return None
        if kind == "rebate":
            assert before.rebate_fen - before.rebate_held_fen >= h.amount_fen  # never below zero
        if kind == "points":
            assert before.points - before.points_held >= h.points
        return h

    @rule(
        member=st.sampled_from(MEMBERS), kind=st.sampled_from(["rebate", "points", "voucher"]), yuan=st.integers(1, 30)
    )
    def spend(self, member: str, kind: str, yuan: int) -> None:
        voucher_id = None
        if kind == "voucher":
            with self.db.connect() as conn:
                usable = [v for v in wallet.wallet_of(conn, member).vouchers if not v.held]
            if not usable:
                return
            voucher_id = usable[0].voucher_id
        h = self._hold(member, kind, None if kind == "voucher" else yuan * 100, voucher_id)
        if h is None:
            return
        amount = h.amount_fen
        order = str(uuid.uuid4())
        tender = WalletTender(hold_id=uuid.UUID(h.hold_id), kind=kind, amount_fen=amount)  # type: ignore[arg-type]
        cash = 1_000
        paid = cash + (amount if kind == "rebate" else 0)
        at = self.now()

        def capture(uow: Any, outcome: Any) -> None:
            holds.capture(uow.conn, order_id=order, member_id=member, store_id="S1", tenders=[tender], now=at)

        self.ingest.apply_within(
            PayOrder(
                order_id=order,
                store_id="S1",
                cashier_id="C1",
                member_id=member,
                paid_fen=paid,
                paid_at=at,
                completed=True,
                deduction_points_fen=amount if kind == "points" else 0,
                deduction_voucher_fen=amount if kind == "voucher" else 0,
            ),
            capture,
        )
        self.orders.append((order, member))
        self.wallet_orders.append(order)
        event(f"spent {kind}")
        self.spent[member][kind] += h.points if kind == "points" else (amount if kind == "rebate" else h.amount_fen)
        if kind == "voucher":
            self.spent[member]["voucher_face"] += self._face(h.voucher_id)

    def _face(self, voucher_id: int | None) -> int:
        with self.db.connect() as conn:
            return int(conn.execute(select(t.Voucher.value_fen).where(t.Voucher.id == voucher_id)).scalar_one())

    @rule(member=st.sampled_from(MEMBERS), yuan=st.integers(1, 200))
    def hold_and_release(self, member: str, yuan: int) -> None:
        h = self._hold(member, "rebate", yuan * 100, None)
        if h is not None:
            with self.db.connect() as conn:
                holds.release(conn, hold_id=h.hold_id, store_id="S1", now=self.now())

    # ------------------------------------------------------------------ transfers and withdrawals

    @rule(a=st.sampled_from(MEMBERS), b=st.sampled_from(MEMBERS), points=st.integers(1, 200))
    def transfer(self, a: str, b: str, points: int) -> None:
        try:
            with self.db.connect() as conn:
                wallet_ops.transfer_points(
                    conn,
                    from_member=a,
                    to=b,
                    points=points,
                    key=str(uuid.uuid4()),
                    settings=self.settings(),
                    now=self.now(),
                )
        except RuleError as exc:
            assert exc.code in ("insufficient_balance", "invalid_request", "daily_cap_exceeded"), exc
            return
        event("points transferred")
        self.transferred[a] -= points
        self.transferred[b] += points

    @rule(member=st.sampled_from(MEMBERS), yuan=st.integers(1, 60))
    def withdraw(self, member: str, yuan: int) -> None:
        try:
            with self.db.connect() as conn:
                w = wallet_ops.request_withdrawal(
                    conn,
                    member_id=member,
                    amount_fen=yuan * 100,
                    key=str(uuid.uuid4()),
                    settings=self.settings(),
                    now=self.now(),
                )
        except RuleError as exc:
            assert exc.code in ("insufficient_balance", "daily_cap_exceeded"), exc
            return
        event("withdrawal requested")
        self.withdrawn[member] += w.amount_fen
        self.pending.append(w.id)

    @precondition(lambda self: self.pending)
    @rule(approve=st.booleans())
    def decide(self, approve: bool) -> None:
        wid = self.pending.pop(0)
        with self.db.connect() as conn:
            w = wallet_ops.decide(conn, withdrawal_id=wid, approve=approve, reason="no", actor="hq", now=self.now())
        if not approve:
            self.withdrawn[w.member_id] -= w.amount_fen

    # ------------------------------------------------------------------ the laws

    def _ledger(self, table: Any, column: Any, member: str) -> dict[str, int]:
        with self.db.connect() as conn:
            rows = conn.execute(
                select(table.kind, func.sum(column)).where(table.member_id == member).group_by(table.kind)
            ).all()
        return {k: int(v) for k, v in rows}

    @invariant()
    def conservation(self) -> None:
        for member in MEMBERS:
            with self.db.connect() as conn:
                w = wallet.wallet_of(conn, member)
            rebate = self._ledger(t.RebateLedger, t.RebateLedger.amount_fen, member)
            credited = sum(v for k, v in rebate.items() if ENGINE_REBATE.get(k) == "credited")
            clawed = -sum(v for k, v in rebate.items() if ENGINE_REBATE.get(k) == "clawed")
            clawed -= rebate.get("voucher_used_clawback", 0)
            spent = self.spent[member]["rebate"] - rebate.get("spend_refund", 0)
            assert w.rebate_fen == sum(rebate.values())  # the running balance is its ledger
            assert w.rebate_fen + spent + self.withdrawn[member] == credited - clawed, (member, rebate)
            assert w.withdrawn_fen == self.withdrawn[member]
            assert w.rebate_held_fen == 0 and w.points_held == 0  # every hold was captured or released

            points = self._ledger(t.PointsLedger, t.PointsLedger.points, member)
            p_credited = sum(v for k, v in points.items() if ENGINE_POINTS.get(k) == "credited")
            p_clawed = -sum(v for k, v in points.items() if ENGINE_POINTS.get(k) == "clawed")
            p_spent = self.spent[member]["points"] - points.get("spend_refund", 0)
            assert w.points == sum(points.values())
            assert w.points + p_spent == p_credited - p_clawed + self.transferred[member], (member, points)
            assert w.points >= 0 or p_clawed > 0

            vouchers = self._ledger(t.VoucherLedger, t.VoucherLedger.amount_fen, member)
            v_spent = self.spent[member]["voucher_face"] - vouchers.get("refund", 0)
            v_gone = -sum(vouchers.get(k, 0) for k in ("void", "expiry"))
            assert w.voucher_fen == sum(vouchers.values()) >= 0
            assert w.voucher_fen + v_spent == vouchers.get("issue", 0) - v_gone
            assert w.voucher_fen == sum(v.value_fen for v in w.vouchers)


WalletMachine.TestCase.settings = settings(
    max_examples=15, stateful_step_count=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestWallet = WalletMachine.TestCase

"""The wallet's events in `paidui-server replay` (docs/wallet.md "Replay"): the same services as the API, no HTTP.

A wallet sale places its holds and captures them in the sale's own transaction, with the member's consent made
here (the replay has no till and no member page: consent is what the hold API checks, not a rule of the wallet).
An overdraft, an unusable voucher or a withdrawal over a limit is a rejected event with its stable code.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select

from shared.engine.commands import PayOrder
from shared.errors import Code, RuleError
from shared.ids import MemberId
from shared.scenario import PointsTransferDoc, WalletSaleDoc, WithdrawalDecidedDoc, WithdrawalRequestedDoc
from shared.wire import WalletTender

from ..db import tables as t
from ..db.database import Database
from ..db.settings import base_settings
from ..db.unit_of_work import UnitOfWork
from . import consent, holds, wallet_ops
from .ingest import Ingest

KEY = b"paidui replay consent key".ljust(32, b"\x00")
Doc = WalletSaleDoc | WithdrawalRequestedDoc | WithdrawalDecidedDoc | PointsTransferDoc


def apply(db: Database, ingest: Ingest, doc: Doc) -> None:
    if isinstance(doc, WalletSaleDoc):
        _sale(db, ingest, doc)
        return
    with db.connect() as conn:
        settings = base_settings(conn, db.settings_cache)
        if isinstance(doc, WithdrawalRequestedDoc):
            wallet_ops.request_withdrawal(
                conn, member_id=doc.member, amount_fen=doc.amount_fen, key=doc.request_id, settings=settings, now=doc.at
            )
        elif isinstance(doc, WithdrawalDecidedDoc):
            found = conn.execute(select(t.Withdrawal.id).where(t.Withdrawal.idempotency_key == doc.request_id)).scalar()
            if found is None:
                raise RuleError(Code.NOT_FOUND, f"no withdrawal request {doc.request_id}")
            wallet_ops.decide(
                conn,
                withdrawal_id=int(found),
                approve=doc.type == "withdrawal_approved",
                reason=doc.reason or "replay",
                actor="replay",
                now=doc.at,
            )
        else:
            wallet_ops.transfer_points(
                conn,
                from_member=doc.from_member,
                to=doc.to,
                points=doc.points,
                key=doc.transfer_id,
                settings=settings,
                now=doc.at,
            )


def _sale(db: Database, ingest: Ingest, doc: WalletSaleDoc) -> None:
    asks: list[tuple[str, int | None, int | None]] = []  # (kind, amount, voucher)
    if doc.rebate_fen:
        asks.append(("rebate", doc.rebate_fen, None))
    if doc.points_fen:
        asks.append(("points", doc.points_fen, None))
    voucher_fen = 0
    if doc.voucher_id is not None:
        with db.connect() as conn:
            value = conn.execute(
                select(t.Voucher.value_fen).where(t.Voucher.id == doc.voucher_id, t.Voucher.member_id == doc.member)
            ).scalar()
        if value is None:
            raise RuleError(Code.VOUCHER_UNAVAILABLE, f"voucher {doc.voucher_id}")
        voucher_fen = int(value)
        asks.append(("voucher", None, doc.voucher_id))

    def within(uow: UnitOfWork, _outcome: Any) -> None:
        settings = uow.repo.base_settings()
        tenders = []
        for n, (kind, amount, voucher_id) in enumerate(asks):
            at = doc.paid_at + dt.timedelta(seconds=30 * (n - 1))  # one consent each, all within the window
            request = holds.HoldRequest(
                member_id=doc.member,
                kind=kind,
                amount_fen=amount,
                voucher_id=voucher_id,
                idempotency_key=f"{doc.order_id}:{kind}",
                payment_code=consent.payment_code(KEY, MemberId(doc.member), at),
            )
            hold = holds.place(
                uow.conn,
                request=request,
                terminal_id="replay",
                store_id=doc.store,
                settings=settings,
                consent_key=KEY,
                now=doc.paid_at,
            )
            tenders.append(WalletTender(hold_id=uuid.UUID(hold.hold_id), kind=kind, amount_fen=hold.amount_fen))  # type: ignore[arg-type]
        holds.capture(
            uow.conn, order_id=doc.order_id, member_id=doc.member, store_id=doc.store, tenders=tenders, now=doc.paid_at
        )

    paid = doc.cash_fen + doc.rebate_fen
    ingest.apply_within(
        PayOrder(
            order_id=doc.order_id,
            store_id=doc.store,
            cashier_id=doc.cashier,
            member_id=doc.member,
            paid_fen=paid,
            paid_at=doc.paid_at,
            received_at=doc.paid_at,
            total_fen=paid + doc.points_fen + voucher_fen,
            deduction_points_fen=doc.points_fen,
            deduction_voucher_fen=voucher_fen,
            completed=doc.completed,
        ),
        within,
    )

"""Checkout, refund and registration at the till: each writes its rows and its outbox event in one transaction."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import Connection, func, insert, select, update

from shared.errors import Code
from shared.ids import CashierId, MemberId
from shared.phones import PHONE, phone_key
from shared.wire import (
    MemberRegistered,
    OrderPaid,
    OrderRefunded,
    PhoneLookup,
    SaleLine,
    Tender,
    TenderPart,
    WalletTender,
)

from .clock import Clock, iso
from .db import UnitOfWork, kv_get, members, orders, refunds
from .errors import TillError
from .order_link import OrderLinkSigner
from .outbox import append_event
from .shifts import open_shift
from .snapshot import points_deductible_fen
from .staff import authorize_manager, has_employees, is_employee
from .tender import cash_in, change_of, dump, main_kind, wire_parts
from .wallet import wallet_sums

TENDERS: tuple[Tender, ...] = ("cash", "wechat", "alipay", "card")
_TENDER_OF: dict[str, Tender] = {t: t for t in (*TENDERS, "other")}  # other: wholly from the wallet


class CheckoutError(TillError, ValueError):
    """A sale, refund or registration refused before anything was written; `code` is stable."""


@dataclass(frozen=True)
class MemberRef:
    member_id: MemberId
    display_name: str
    level: str | None = None


@dataclass(frozen=True)
class Sale:
    order_id: uuid.UUID
    receipt_no: int
    seq: int
    member: MemberRef | None
    total_fen: int
    deduction_points_fen: int
    paid_fen: int
    tender: str
    paid_at: dt.datetime
    order_link: str
    tenders: tuple[TenderPart, ...] = ()  # how it was paid, when said part by part (cash received, split)

    @property
    def change_fen(self) -> int:
        return change_of(self.tenders)

    @property
    def opens_drawer(self) -> bool:
        """A sale that took cash opens the cash drawer."""
        return cash_in(self.tenders, tender=self.tender, paid_fen=self.paid_fen) > 0

    @property
    def received_fen(self) -> int | None:
        cash = [p.received_fen for p in self.tenders if p.received_fen is not None]
        return sum(cash) if cash else None

    lines: tuple[SaleLine, ...] = ()  # the items, when it was sold by items
    wallet_tenders: tuple[WalletTender, ...] = ()  # what the member's wallet paid (held before, captured at ingest)
    wallet_left_fen: int | None = None  # the rebate balance left after this sale, as the till last knew it

    @property
    def wallet_paid_fen(self) -> int:
        return sum(t.amount_fen for t in self.wallet_tenders)


def record_checkout(
    *,
    uow: UnitOfWork,
    cashier_id: CashierId,
    member: MemberRef | None,
    total_fen: int,
    deduction_points_fen: int = 0,
    tender: str,
    signer: OrderLinkSigner,
    clock: Clock,
    lines: Sequence[SaleLine] = (),
    tenders: Sequence[TenderPart] = (),
    employee_id: str | None = None,
    wallet_tenders: Sequence[WalletTender] = (),
    wallet_left_fen: int | None = None,
) -> Sale:
    """Write the order and its `order_paid` event; returns only after the commit (the sale is then durable).
    `tenders` (from `tender.settle`) say how it was paid part by part; `tender` is then the largest part's kind.

    `wallet_tenders` are the holds the server granted for this sale (docs/wallet.md): the rebate balance is payment
    (in `paid_fen`, beside `tenders`), vouchers and points are deductions (docs/rules.md §6a); the typed points
    deduction is then not used. A sale paid wholly from the wallet has the tender `other` (no cash in the drawer)."""
    rebate_fen, voucher_fen, points_fen = wallet_sums(wallet_tenders)
    if wallet_tenders:
        if member is None or deduction_points_fen:
            raise CheckoutError(Code.INVALID_AMOUNT, "wallet tenders need the member and no typed deduction")
        deduction_points_fen = points_fen
        if not tenders:
            tender = "other"
    tender = main_kind(tenders, tender)
    known_tender = _TENDER_OF.get(tender)
    if known_tender is None:
        raise CheckoutError(Code.INVALID_EVENT, f"unknown tender {tender!r}")
    if lines:  # sold by items: the bill is what the lines add up to
        total_fen = sum(line.amount_fen for line in lines)
    if total_fen <= 0:
        raise CheckoutError(Code.INVALID_AMOUNT, "the amount must be above zero")
    if deduction_points_fen < 0 or deduction_points_fen + voucher_fen > total_fen:
        raise CheckoutError(Code.DEDUCTION_EXCEEDS_TOTAL)
    if deduction_points_fen and member is None:
        raise CheckoutError(Code.DEDUCTION_NEEDS_MEMBER)
    paid_fen = total_fen - deduction_points_fen - voucher_fen
    if (tenders or wallet_tenders) and sum(t.amount_fen for t in tenders) + rebate_fen != paid_fen:
        raise CheckoutError(Code.TENDER_EXCEEDS_DUE, "the tenders must add up to the amount paid")
    if deduction_points_fen and member is not None and not wallet_tenders:  # at most what the last pull said
        deductible = points_deductible_fen(uow.conn, member.member_id)
        if deduction_points_fen > deductible:
            raise CheckoutError(Code.DEDUCTION_EXCEEDS_POINTS, f"at most {deductible} fen")
    conn = uow.conn
    if employee_id is not None and not is_employee(conn, employee_id):
        employee_id = None  # left the store since signing in: the sale needs someone who is still there
    if employee_id is None and has_employees(conn):
        raise CheckoutError(Code.NOT_SIGNED_IN)
    now = clock()
    order_id = uuid.uuid4()
    try:
        body = OrderPaid(
            order_id=order_id,
            cashier_id=cashier_id,
            member_id=member.member_id if member else None,
            total_fen=total_fen,
            deduction_points_fen=deduction_points_fen,
            deduction_voucher_fen=voucher_fen,
            paid_fen=paid_fen,
            paid_at=now,
            completed=True,
            tender=known_tender,
            lines=list(lines),
            wallet_tenders=list(wallet_tenders),
            # with the balance paying part, every other part is said (reports count the drawer's cash from them)
            tenders=list(tenders) if wallet_tenders else wire_parts(tenders),
            employee_id=employee_id,
        )
    except ValidationError as exc:
        raise CheckoutError(Code.INVALID_AMOUNT, str(exc.errors()[0]["msg"])) from None
    link = signer.link(order_id)
    shift_id = open_shift(conn, now=now)
    receipt_no = conn.execute(select(func.coalesce(func.max(orders.c.receipt_no), 0) + 1)).scalar_one()
    conn.execute(
        insert(orders).values(
            order_id=str(order_id),
            receipt_no=receipt_no,
            shift_id=shift_id,
            cashier_id=cashier_id,
            member_id=body.member_id,
            member_display=member.display_name if member else None,
            total_fen=total_fen,
            deduction_points_fen=deduction_points_fen + voucher_fen,  # what was deducted (points and vouchers)
            paid_fen=body.paid_fen,
            tender=tender,
            tenders_json=dump(body.tenders),
            change_fen=change_of(tenders),
            employee_id=employee_id,
            paid_at=iso(now),
            refunded_fen=0,
            order_link=link,
            synced=False,
            lines_json=json.dumps([x.model_dump(mode="json") for x in body.lines], ensure_ascii=False)
            if body.lines
            else None,
        )
    )
    appended = append_event(conn, body, now=now)
    uow.commit()
    return Sale(
        order_id,
        receipt_no,
        appended.seq,
        member,
        total_fen,
        deduction_points_fen,
        body.paid_fen,
        tender,
        now,
        link,
        tuple(tenders),
        tuple(body.lines),
        tuple(wallet_tenders),
        wallet_left_fen,
    )


@dataclass(frozen=True)
class Refund:
    refund_id: uuid.UUID
    order_id: uuid.UUID
    amount_fen: int
    local_order: bool
    seq: int


def record_refund(
    *, uow: UnitOfWork, order_id: uuid.UUID, amount_fen: int, manager_pin: str, clock: Clock, reason: str = ""
) -> Refund:
    """Refund all or part of a sale of this store. A sale of another terminal is refunded by its order id; the
    server parks the refund until it has seen that sale and refuses it if it exceeds what was paid."""
    conn = uow.conn
    if amount_fen <= 0:
        raise CheckoutError(Code.INVALID_AMOUNT, "the refund must be above zero")
    row = conn.execute(select(orders).where(orders.c.order_id == str(order_id))).first()
    if row is not None and amount_fen > row.paid_fen - row.refunded_fen:
        raise CheckoutError(Code.REFUND_EXCEEDS_PAID, f"at most {row.paid_fen - row.refunded_fen} fen")
    now = clock()
    employee_id = authorize_manager(uow=uow, pin=manager_pin, now=now)
    refund_id = uuid.uuid4()
    try:
        body = OrderRefunded(
            order_id=order_id,
            refund_id=refund_id,
            amount_fen=amount_fen,
            refunded_at=now,
            reason=reason[:200],
            employee_id=employee_id,
        )
    except ValidationError as exc:
        raise CheckoutError(Code.INVALID_AMOUNT, str(exc.errors()[0]["msg"])) from None
    shift_id = open_shift(conn, now=now)
    if row is not None:
        conn.execute(
            update(orders)
            .where(orders.c.order_id == str(order_id))
            .values(refunded_fen=orders.c.refunded_fen + amount_fen)
        )
    conn.execute(
        insert(refunds).values(
            refund_id=str(refund_id),
            order_id=str(order_id),
            shift_id=shift_id,
            amount_fen=amount_fen,
            tender=row.tender if row is not None else None,
            refunded_at=iso(now),
            reason=body.reason,
            employee_id=employee_id,
        )
    )
    appended = append_event(conn, body, now=now)
    uow.commit()
    return Refund(refund_id, order_id, amount_fen, row is not None, appended.seq)


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}"


def local_phone_key(conn: Connection, phone: str) -> str | None:
    """The key of a typed number under the parameters of the last pull (None before the first pull)."""
    raw = kv_get(conn, "phone_lookup")
    return None if raw is None else phone_key(PhoneLookup.model_validate(raw), phone)


def register_member(*, uow: UnitOfWork, phone: str, clock: Clock) -> MemberRef:
    """A member signed up at the till; the terminal makes the id and the sale can use it at once."""
    phone = phone.strip()
    if not PHONE.match(phone):
        raise CheckoutError(Code.INVALID_PHONE)
    conn = uow.conn
    key = local_phone_key(conn, phone)
    if key is not None:
        known = conn.execute(select(members).where(members.c.phone_key == key)).first()
        if known is not None:
            raise CheckoutError(Code.MEMBER_EXISTS, str(known.member_id))
    now = clock()
    member_id = MemberId(str(uuid.uuid4()))  # the terminal makes the id: the sale can use it before any sync
    display = mask_phone(phone)  # typed here, and in this till's outbox anyway; the pull brings 会员 instead
    append_event(conn, MemberRegistered(member_id=member_id, phone=phone, registered_at=now), now=now)
    conn.execute(
        insert(members).values(member_id=member_id, display_name=display, phone_key=key, level=None, local=True)
    )
    uow.commit()
    return MemberRef(member_id, display, None)

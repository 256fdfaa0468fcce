"""The till's local data as services for the widgets: the only way `cashier_app.ui` reaches the database.

Every method reads or writes the local database (or a file), so the UI calls it off the UI thread (`ui/ops.py`) and
gets the answer back on it. Arguments are keyword-only. A refusal is a `TillError` subclass with a stable
`shared.errors.Code`; a database that cannot be read or written is one too (`sale_not_saved` for a sale,
`local_database` for the rest), so the widgets never import SQLAlchemy to tell what went wrong.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import SQLAlchemyError

from shared.errors import Code
from shared.ids import CashierId, MemberId, OrderId
from shared.settings import check_sale
from shared.wire import EntryInfo, TenderPart, WalletTender

from .catalogue import CartLine, CatalogueIndex, load_index
from .catalogue import lines_from_json as cart_from_json
from .catalogue import lines_json as cart_json
from .checkout import CheckoutError, MemberRef, Refund, Sale, record_checkout, record_refund, register_member
from .clock import Clock, iso
from .db import UnitOfWork, kv_get, orders, outbox, parked_sales, reading
from .drawer import DrawerOpening, record_drawer_opening
from .errors import TillError
from .members import MemberView, identify
from .order_link import OrderLinkSigner
from .outbox import attention_filter, pending_count
from .reports import (
    QueueReport,
    ShiftReport,
    closed_shifts,
    queue_report,
    queue_report_csv,
    shift_report,
    x_report,
    z_report,
)
from .shifts import set_opening_float
from .snapshot import load_store, sale_limits
from .staff import Employee, authorize_manager, sign_in, store_employees
from .tender import load as load_tenders
from .terminal import cashier_id, cashier_name

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Recorded:
    """What a write did, and how many events now wait to be sent (read in the same job, for the status bar; None
    when that count could not be read: the write stands all the same)."""

    pending: int | None


@dataclass(frozen=True)
class SaleRecorded(Recorded):
    sale: Sale


@dataclass(frozen=True)
class RefundRecorded(Recorded):
    refund: Refund


@dataclass(frozen=True)
class MemberRecorded(Recorded):
    member: MemberRef


@dataclass(frozen=True)
class DrawerRecorded(Recorded):
    opening: DrawerOpening


@dataclass(frozen=True)
class FoundSale:
    """A sale to refund: one of this till's (`local`), or another till's named by its order id only."""

    order_id: OrderId
    local: bool
    receipt_no: int | None = None
    paid_at: str = ""
    paid_fen: int = 0
    refundable_fen: int = 0
    tender: str | None = None
    checked: bool = False  # another till's sale that the server confirmed (paid_at, paid_fen, refundable_fen set)
    wallet_fen: int = 0  # this till's sale: the part paid from the member's rebate balance (docs/wallet.md)

    def to_balance_fen(self, amount_fen: int) -> int:
        """What of a refund of `amount_fen` goes back to the member's balance, as the server gives it: the other
        tenders first, the balance only for what exceeds them (docs/wallet.md "Refunds")."""
        other = self.paid_fen - self.wallet_fen
        refunded_before = self.paid_fen - self.refundable_fen
        return amount_fen - min(amount_fen, max(0, other - refunded_before))


@dataclass(frozen=True)
class ParkedSale:
    park_id: int
    parked_at: str
    member: MemberRef | None
    lines: tuple[CartLine, ...]

    @property
    def total_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)


@dataclass(frozen=True)
class AttentionItem:
    seq: int
    kind: str
    created_at: str
    code: str
    detail: str
    state: str = "refused"  # or "pending" / "parked": a refund of another till's sale not confirmed yet


@dataclass(frozen=True)
class ReceiptFacts:
    """What a receipt says that the `Sale` does not: the cashier point and, once answered, the queue entry."""

    cashier_id: CashierId | None
    entry: EntryInfo | None
    cashier_name: str | None = None  # the checkout point's name as the server gave it (None: only its id is known)


class TillServices:
    def __init__(self, *, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    # ------------------------------------------------------------------ the sale
    def identify(self, *, text: str) -> MemberView:
        """A scanned member code or a typed phone number; IdentifyError with a Code when it names nobody."""
        with self._storage(Code.LOCAL_DATABASE), reading(self._engine) as conn:
            return identify(conn, text, now=self._clock())

    def sell(
        self,
        *,
        member: MemberRef | None,
        total_fen: int,
        deduction_points_fen: int,
        tender: str,
        signer: OrderLinkSigner,
        tenders: Sequence[TenderPart] = (),
        manager_pin: str | None = None,
        lines: Sequence[CartLine] = (),
        park_id: int | None = None,
        employee_id: str | None = None,
        wallet_tenders: Sequence[WalletTender] = (),
        wallet_left_fen: int | None = None,
    ) -> SaleRecorded:
        """Record a sale; returns after the commit (durable). TillError(sale_not_saved) if the disk refused.
        A recalled sale (`park_id`) leaves the parked list in the same transaction.

        The store's sale limits (last pull): above the confirm amount the manager's PIN is needed
        (`manager_pin_needed`, then `pin_wrong` / `pin_not_set`); above the maximum it is refused
        (`amount_over_limit`), as the server would refuse it."""

        def work(uow: UnitOfWork) -> Sale:
            limits = sale_limits(uow.conn)
            verdict = check_sale(total_fen, limits)
            if verdict == "over":
                raise CheckoutError(Code.AMOUNT_OVER_LIMIT, f"{total_fen} > {limits.sale_max_fen} fen")
            if verdict == "confirm":
                if manager_pin is None:
                    raise CheckoutError(Code.MANAGER_PIN_NEEDED, f"{total_fen} > {limits.sale_confirm_fen} fen")
                authorize_manager(uow=uow, pin=manager_pin, now=self._clock())
            if park_id is not None:
                uow.conn.execute(delete(parked_sales).where(parked_sales.c.park_id == park_id))
            return record_checkout(
                uow=uow,
                cashier_id=cashier_id(uow.conn),
                member=member,
                total_fen=total_fen,
                deduction_points_fen=deduction_points_fen,
                tender=tender,
                tenders=tenders,
                employee_id=employee_id,
                wallet_tenders=wallet_tenders,
                wallet_left_fen=wallet_left_fen,
                signer=signer,
                clock=self._clock,
                lines=[line.wire() for line in lines],
            )

        sale = self._write(Code.SALE_NOT_SAVED, work)
        return SaleRecorded(pending=self._pending_after_write(), sale=sale)

    # ------------------------------------------------------------------ items: catalogue, park and recall
    def catalogue(self) -> CatalogueIndex:
        """The catalogue as last pulled, indexed for scanning (built here, on the database thread)."""
        with self._storage(Code.LOCAL_DATABASE):
            return load_index(self._engine)

    def park(self, *, member: MemberRef | None, lines: Sequence[CartLine], replaces: int | None = None) -> int:
        """Put a sale aside (nothing is sold or sent); its number for recall. A recalled sale parked again
        `replaces` its old place."""

        def work(uow: UnitOfWork) -> int:
            if replaces is not None:
                uow.conn.execute(delete(parked_sales).where(parked_sales.c.park_id == replaces))
            result = uow.conn.execute(
                insert(parked_sales).values(
                    parked_at=iso(self._clock()),
                    member_id=member.member_id if member else None,
                    member_display=member.display_name if member else None,
                    lines_json=cart_json(lines),
                )
            )
            uow.commit()
            return int(result.inserted_primary_key[0])  # type: ignore[index]

        return self._write(Code.LOCAL_DATABASE, work)

    def parked(self) -> list[ParkedSale]:
        """The sales parked at this till, oldest first."""
        with self._storage(Code.LOCAL_DATABASE), reading(self._engine) as conn:
            rows = conn.execute(select(parked_sales).order_by(parked_sales.c.park_id)).all()
        return [
            ParkedSale(
                r.park_id,
                r.parked_at,
                MemberRef(MemberId(r.member_id), r.member_display or "") if r.member_id else None,
                tuple(cart_from_json(r.lines_json)),
            )
            for r in rows
        ]

    def pending_count(self) -> int:
        with self._storage(Code.LOCAL_DATABASE), reading(self._engine) as conn:
            return pending_count(conn)

    def _pending_after_write(self) -> int | None:
        # After a commit nothing may turn into "not saved": a count that cannot be read is just not shown.
        try:
            return self.pending_count()
        except TillError:
            log.warning("the count of events waiting to be sent could not be read after a write", exc_info=True)
            return None

    def checkout_name(self) -> str:
        """The checkout point (收银台) this till sells for: its name from the last pull, else its id."""
        with self._storage(Code.LOCAL_DATABASE), reading(self._engine) as conn:
            return cashier_name(conn)

    def store_name(self) -> str | None:
        """The store's name from the last pull (None before the first)."""
        with self._storage(Code.LOCAL_DATABASE), reading(self._engine) as conn:
            store = load_store(conn)
        return store.name if store is not None else None

    def receipt_facts(self, *, order_id: uuid.UUID) -> ReceiptFacts:
        with self._storage(Code.LOCAL_DATABASE), reading(self._engine) as conn:
            row = conn.execute(
                select(orders.c.cashier_id, orders.c.entry_json).where(orders.c.order_id == str(order_id))
            ).first()
            if row is None:
                return ReceiptFacts(None, None)
            bound = kv_get(conn, "cashier_id") == row.cashier_id  # the name is known for the binding's checkout point
            named = kv_get(conn, "cashier_name") if bound else None
        entry = EntryInfo.model_validate_json(row.entry_json) if row.entry_json else None
        return ReceiptFacts(CashierId(row.cashier_id), entry, named)

    # ------------------------------------------------------------------ refunds and members
    def find_sale(self, *, text: str) -> FoundSale:
        """By receipt number or order id; an order id this till does not know is another till's sale."""
        text = text.strip()
        with self._storage(Code.LOCAL_DATABASE), reading(self._engine) as conn:
            query = select(orders)
            if text.isdigit():
                query = query.where(orders.c.receipt_no == int(text))
            else:
                query = query.where(orders.c.order_id == text.lower())
            row = conn.execute(query).first()
        if row is not None:
            # a wallet sale lists every other part (tender "other" and none: wholly from the balance)
            parts = load_tenders(row.tenders_json)
            other = sum(p.amount_fen for p in parts) if parts else (0 if row.tender == "other" else row.paid_fen)
            return FoundSale(
                OrderId(row.order_id),
                True,
                row.receipt_no,
                row.paid_at,
                row.paid_fen,
                row.paid_fen - row.refunded_fen,
                row.tender,
                wallet_fen=row.paid_fen - other,
            )
        try:
            return FoundSale(OrderId(str(uuid.UUID(text))), False)
        except ValueError:
            raise CheckoutError(Code.ORDER_NOT_FOUND, text) from None

    def refund(self, *, order_id: OrderId, amount_fen: int, manager_pin: str, reason: str) -> RefundRecorded:
        def work(uow: UnitOfWork) -> Refund:
            return record_refund(
                uow=uow,
                order_id=uuid.UUID(order_id),
                amount_fen=amount_fen,
                manager_pin=manager_pin,
                reason=reason,
                clock=self._clock,
            )

        refund = self._write(Code.LOCAL_DATABASE, work)
        return RefundRecorded(pending=self._pending_after_write(), refund=refund)

    def register_member(self, *, phone: str) -> MemberRecorded:
        member = self._write(Code.LOCAL_DATABASE, lambda uow: register_member(uow=uow, phone=phone, clock=self._clock))
        return MemberRecorded(pending=self._pending_after_write(), member=member)

    # ------------------------------------------------------------------ staff
    def staff(self) -> list[Employee]:
        """The store's employees from the last pull (empty: the store has none, the shared PIN holds)."""
        with self._storage(Code.LOCAL_DATABASE), reading(self._engine) as conn:
            return store_employees(conn)

    def sign_in(self, *, employee_id: str, pin: str) -> Employee:
        """A personal PIN, verified offline; PinError pin_wrong / pin_locked (the failure is counted and kept)."""
        return self._write(
            Code.LOCAL_DATABASE, lambda uow: sign_in(uow=uow, employee_id=employee_id, pin=pin, now=self._clock())
        )

    def open_drawer(self, *, manager_pin: str, reason: str) -> DrawerRecorded:
        """The drawer opened without a sale: the manager's PIN, recorded and queued for the server."""
        opening = self._write(
            Code.LOCAL_DATABASE,
            lambda uow: record_drawer_opening(uow=uow, manager_pin=manager_pin, reason=reason, clock=self._clock),
        )
        return DrawerRecorded(pending=self._pending_after_write(), opening=opening)

    # ------------------------------------------------------------------ reports
    def x_report(self) -> ShiftReport | None:
        with self._storage(Code.LOCAL_DATABASE), reading(self._engine) as conn:
            return x_report(conn)

    def close_shift(self, *, manager_pin: str, counted_cash_fen: int) -> ShiftReport:
        """The Z report: checks the manager PIN, records the cash counted and closes the open shift in one
        transaction (its `shift_closed` event with it)."""

        def work(uow: UnitOfWork) -> ShiftReport:
            manager = authorize_manager(uow=uow, pin=manager_pin, now=self._clock())
            return z_report(uow=uow, clock=self._clock, counted_cash_fen=counted_cash_fen, employee_id=manager)

        return self._write(Code.LOCAL_DATABASE, work)

    def set_opening_float(self, *, float_fen: int) -> ShiftReport:
        """The cash in the drawer as the shift starts (opens a shift when none is open)."""
        if not 0 <= float_fen <= 10**12:
            raise TillError(Code.INVALID_AMOUNT, "the float is a number of fen from 0")

        def work(uow: UnitOfWork) -> ShiftReport:
            shift_id = set_opening_float(uow.conn, float_fen=float_fen, now=self._clock())
            report = shift_report(uow.conn, shift_id)
            uow.commit()
            return report

        return self._write(Code.LOCAL_DATABASE, work)

    def past_z_reports(self) -> list[ShiftReport]:
        """The last Z reports, newest first, for a reprint."""
        with self._storage(Code.LOCAL_DATABASE), reading(self._engine) as conn:
            return closed_shifts(conn)

    def queue_report(self) -> QueueReport:
        with self._storage(Code.LOCAL_DATABASE), reading(self._engine) as conn:
            return queue_report(conn, now=self._clock())

    def export_queue_csv(self, *, report: QueueReport, folder: Path) -> Path:
        """Write the queue report as CSV into `folder`; OSError (disk full, no permission) goes to the caller."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"queue-{self._clock():%Y%m%d-%H%M%S}.csv"
        # utf-8-sig: Excel on Chinese Windows reads the BOM and shows the masked names correctly
        path.write_text(queue_report_csv(report), encoding="utf-8-sig")
        return path

    def needs_attention(self) -> list[AttentionItem]:
        """Events the server refused, and refunds of other tills' sales it has not confirmed yet; oldest first."""
        with self._storage(Code.LOCAL_DATABASE), reading(self._engine) as conn:
            rows = conn.execute(select(outbox).where(attention_filter()).order_by(outbox.c.seq)).all()
        return [AttentionItem(r.seq, r.kind, r.created_at, r.code or "", r.detail or "", r.state) for r in rows]

    # ------------------------------------------------------------------
    def _write(self, code: Code, work: Callable[[UnitOfWork], T]) -> T:
        """`work` in one unit of work (it commits). A database error before the commit is TillError(code): nothing
        was written. One after it (returning the connection) is logged, not raised: the write stands, and saying
        "not saved" then would have the cashier ring the sale up twice."""
        uow = UnitOfWork(self._engine)
        done: list[T] = []
        try:
            with uow:
                done.append(work(uow))
        except SQLAlchemyError as exc:
            if not (uow.committed and done):
                raise _storage_error(code, exc) from exc
            log.warning("a database error after the commit (the write stands)", exc_info=True)
        return done[0]

    @staticmethod
    @contextmanager
    def _storage(code: Code) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as exc:  # disk full, database locked past the busy timeout, no connection free...
            raise _storage_error(code, exc) from exc


def _storage_error(code: Code, exc: SQLAlchemyError) -> TillError:
    # only DBAPIError carries the driver's exception (`orig`); a pool timeout, for one, does not
    cause = getattr(exc, "orig", None) or exc
    return TillError(code, type(cause).__name__)

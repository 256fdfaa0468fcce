"""SQLAlchemy 2.0 tables of the central server. Schema changes go through Alembic (server/migrations)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Sequence,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .types import Fen, Key, OptTimestamp, Timestamp, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# autoincrementing 64-bit ids; SQLite only autoincrements an INTEGER PRIMARY KEY
BigId = BigInteger().with_variant(Integer(), "sqlite")
WAITING = text("status = 'waiting'")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# The global entry sequence of spec §4 on PostgreSQL (SQLite, a single writer, uses the `counters` row).
ENTRY_SEQ = Sequence("entry_seq", metadata=Base.metadata)


# ---------------------------------------------------------------------------------------------- reference data


class Store(Base):
    __tablename__ = "stores"
    store_id: Mapped[Key] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    settings_json: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[Timestamp]
    catalogue: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))  # sells items


class Product(Base):
    """Headquarters' product catalogue (server/services/catalogue.py); tills pull it in (version, sku) pages."""

    __tablename__ = "products"
    sku: Mapped[Key] = mapped_column(primary_key=True)
    barcode: Mapped[str | None] = mapped_column(String(32), nullable=True, unique=True)
    name: Mapped[str] = mapped_column(String(80))
    price_fen: Mapped[Fen]
    category: Mapped[str] = mapped_column(String(40), default="")
    participates: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[Timestamp]

    __table_args__ = (Index("ix_products_version_sku", "version", "sku"),)


class Cashier(Base):
    __tablename__ = "cashiers"
    cashier_id: Mapped[Key] = mapped_column(primary_key=True)
    store_id: Mapped[Key] = mapped_column(ForeignKey("stores.store_id"), index=True)
    name: Mapped[str] = mapped_column(String(100))


class SettingsRow(Base):
    """The base settings in force (one row) and a version that every change bumps."""

    __tablename__ = "settings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    base_json: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(BigInteger, default=1)


class SettingsHistory(Base):
    __tablename__ = "settings_history"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[Timestamp]
    actor: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(80))  # "base" or "store:<id>"
    before_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    after_json: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(BigInteger)


class Member(Base):
    __tablename__ = "members"
    member_id: Mapped[Key] = mapped_column(primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True, nullable=True)
    phone_key: Mapped[str | None] = mapped_column(String(64), nullable=True)  # shared.phones, for tills' lookups
    name: Mapped[str] = mapped_column(String(100), default="")
    level: Mapped[str | None] = mapped_column(String(40), nullable=True)  # current level, for display
    created_at: Mapped[Timestamp]
    registered_store_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    change_version: Mapped[int] = mapped_column(BigInteger, default=0, index=True)  # pull cursor


class LevelCatalog(Base):
    """The member levels headquarters defines (migration 0006): settings and members may name only these."""

    __tablename__ = "level_catalog"
    level_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(40))
    rank: Mapped[int] = mapped_column(Integer, default=0)  # higher is better; lists show the highest first


class MemberLevel(Base):
    """Level history: the level in force at t is the latest change with effective_at <= t (later id wins a tie)."""

    __tablename__ = "member_levels"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    member_id: Mapped[Key] = mapped_column(index=True)
    level: Mapped[str | None] = mapped_column(String(40), nullable=True)
    effective_at: Mapped[Timestamp]


class MemberAlias(Base):
    """A member id made at a till that turned out to be an existing member (same phone). It names that member for
    the terminal that made it only; NULL: made before aliases were scoped (migration 0008), any terminal."""

    __tablename__ = "member_aliases"
    alias_id: Mapped[Key] = mapped_column(primary_key=True)
    member_id: Mapped[Key] = mapped_column(index=True)
    terminal_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


# ---------------------------------------------------------------------------------------------- queues


class Queue(Base):
    """One row per queue key: the lock that serialises its writers, the head hint and the carry balance."""

    __tablename__ = "queues"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    head_seq: Mapped[int] = mapped_column(BigInteger, default=0)  # no eligible entry of this key has seq < head
    carry_fen: Mapped[Fen] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class CashierStats(Base):
    """Running totals kept in the same transaction as the entries they count (liability reads no entries)."""

    __tablename__ = "cashier_stats"
    cashier_id: Mapped[Key] = mapped_column(primary_key=True)
    store_id: Mapped[Key] = mapped_column(index=True)
    waiting_count: Mapped[int] = mapped_column(BigInteger, default=0)
    outstanding_fen: Mapped[Fen] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    # waiting with something still to receive: the length of the line, so the tail's position needs no count
    eligible_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")  # migration 0003


class DailyStats(Base):
    """Per store and store-local day: what flowed in and out of the queues."""

    __tablename__ = "daily_stats"
    store_id: Mapped[Key] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    orders_count: Mapped[int] = mapped_column(BigInteger, default=0)
    sales_fen: Mapped[Fen] = mapped_column(default=0)
    contributions_fen: Mapped[Fen] = mapped_column(default=0)
    payouts_fen: Mapped[Fen] = mapped_column(default=0)  # allocations to this store's entries (net)
    kept_fen: Mapped[Fen] = mapped_column(default=0)  # unallocated attributed to this store
    entries_created: Mapped[int] = mapped_column(BigInteger, default=0)
    entries_completed: Mapped[int] = mapped_column(BigInteger, default=0)
    entitlement_created_fen: Mapped[Fen] = mapped_column(default=0)


class CashierDaily(Base):
    """Per cashier and store-local day: what flowed in and out through that cashier (migration 0005), so that a
    queue of one cashier shows its own figures, not its store's. The store's figures stay in daily_stats."""

    __tablename__ = "cashier_daily"
    cashier_id: Mapped[Key] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    orders_count: Mapped[int] = mapped_column(BigInteger, default=0)
    contributions_fen: Mapped[Fen] = mapped_column(default=0)
    payouts_fen: Mapped[Fen] = mapped_column(default=0)  # allocations to this cashier's entries (net)
    kept_fen: Mapped[Fen] = mapped_column(default=0)  # unallocated from this cashier's orders
    entries_created: Mapped[int] = mapped_column(BigInteger, default=0)
    entries_completed: Mapped[int] = mapped_column(BigInteger, default=0)


class SettlementDaily(Base):
    """Per chain-local day: what one store's sales paid another store's members (net of reversals)."""

    __tablename__ = "settlement_daily"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    from_store_id: Mapped[Key] = mapped_column(primary_key=True)
    to_store_id: Mapped[Key] = mapped_column(primary_key=True)
    amount_fen: Mapped[Fen] = mapped_column(default=0)


class Counter(Base):
    """The global entry sequence on SQLite (PostgreSQL uses the sequence `entry_seq`)."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


# ---------------------------------------------------------------------------------------------- orders, entries


class OrderRow(Base):
    __tablename__ = "orders"
    order_id: Mapped[Key] = mapped_column(primary_key=True)
    store_id: Mapped[Key]
    cashier_id: Mapped[Key]
    terminal_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    member_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    total_fen: Mapped[Fen]
    discount_fen: Mapped[Fen]
    deduction_points_fen: Mapped[Fen]
    deduction_love_fen: Mapped[Fen]
    deduction_voucher_fen: Mapped[Fen] = mapped_column(default=0, server_default="0")
    paid_fen: Mapped[Fen]
    paid_at: Mapped[Timestamp]
    received_at: Mapped[Timestamp]
    status: Mapped[str] = mapped_column(String(12))
    completed_at: Mapped[OptTimestamp]
    refunded_fen: Mapped[Fen]
    participating: Mapped[bool] = mapped_column(Boolean)
    extraction_bp: Mapped[int] = mapped_column(Integer)
    level_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    contribution: Mapped[str] = mapped_column(String(20))
    contribution_fen: Mapped[Fen]
    settled: Mapped[bool] = mapped_column(Boolean)
    has_entry: Mapped[bool] = mapped_column(Boolean)
    imported: Mapped[str | None] = mapped_column(String(10), nullable=True)
    clock_skew: Mapped[bool] = mapped_column(Boolean)
    tender: Mapped[str | None] = mapped_column(String(12), nullable=True)
    lines_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    tenders_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    employee_id: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (
        Index("ix_orders_member_store_paid", "member_id", "store_id", "paid_at"),
        Index("ix_orders_store_paid", "store_id", "paid_at"),
        Index(
            "ix_orders_pending_completion",
            "paid_at",
            sqlite_where=text("status = 'paid'"),
            postgresql_where=text("status = 'paid'"),
        ),
    )


class EntryRow(Base):
    __tablename__ = "entries"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    order_id: Mapped[Key] = mapped_column(unique=True)
    member_id: Mapped[Key]
    store_id: Mapped[Key]
    cashier_id: Mapped[Key]
    base_fen: Mapped[Fen]
    ratio_bp: Mapped[int] = mapped_column(Integer)
    ratio_source: Mapped[str] = mapped_column(String(40))
    entitlement_fen: Mapped[Fen]
    paid_fen: Mapped[Fen]
    status: Mapped[str] = mapped_column(String(12))
    local_date: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[Timestamp]
    order_completed: Mapped[bool] = mapped_column(Boolean)
    lottery_state: Mapped[str] = mapped_column(String(12))
    lottery_cfg: Mapped[str | None] = mapped_column(Text, nullable=True)
    label: Mapped[str] = mapped_column(String(8))
    group_key: Mapped[str | None] = mapped_column(String(120), nullable=True)
    group_no: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    slot: Mapped[int | None] = mapped_column(Integer, nullable=True)
    closed_at: Mapped[OptTimestamp]
    clawed_back: Mapped[bool] = mapped_column(Boolean)
    imported: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (
        # The head of a queue is found through partial indexes that hold waiting entries only, so paying the
        # head costs the same with 10^3 or 10^6 entries behind it, whatever the completed history (spec §20.3).
        Index("ix_entries_waiting_cashier", "cashier_id", "seq", sqlite_where=WAITING, postgresql_where=WAITING),
        Index("ix_entries_waiting_all", "seq", sqlite_where=WAITING, postgresql_where=WAITING),
        Index(
            "ix_entries_waiting_cashier_tier",
            "cashier_id",
            "order_completed",
            "seq",
            sqlite_where=WAITING,
            postgresql_where=WAITING,
        ),
        Index("ix_entries_waiting_tier", "order_completed", "seq", sqlite_where=WAITING, postgresql_where=WAITING),
        Index("ix_entries_member_store_day", "member_id", "store_id", "local_date"),
        # a store's waiting entries for its terminals' snapshots (migration 0002)
        Index("ix_entries_waiting_store", "store_id", "seq", sqlite_where=WAITING, postgresql_where=WAITING),
    )


class Allocation(Base):
    __tablename__ = "allocations"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    from_order: Mapped[Key] = mapped_column(index=True)
    from_store_id: Mapped[Key]
    entry_seq: Mapped[int] = mapped_column(BigInteger, index=True)
    to_order: Mapped[Key]
    to_store_id: Mapped[Key]
    member_id: Mapped[Key]
    amount_fen: Mapped[Fen]  # negative for a reversal
    at: Mapped[Timestamp]

    __table_args__ = (Index("ix_allocations_at", "at"),)


class Unallocated(Base):
    __tablename__ = "unallocated"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    store_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    amount_fen: Mapped[Fen]
    reason: Mapped[str] = mapped_column(String(24))
    queue_key: Mapped[str] = mapped_column(String(80))
    at: Mapped[Timestamp]


class Refund(Base):
    __tablename__ = "refunds"
    refund_id: Mapped[Key] = mapped_column(primary_key=True)
    order_id: Mapped[Key] = mapped_column(index=True)
    amount_fen: Mapped[Fen]
    at: Mapped[Timestamp]


class RebateLedger(Base):
    __tablename__ = "rebate_ledger"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    member_id: Mapped[Key] = mapped_column(index=True)
    amount_fen: Mapped[Fen]
    kind: Mapped[str] = mapped_column(String(24))
    ref: Mapped[str] = mapped_column(String(80))
    at: Mapped[Timestamp]


class PointsLedger(Base):
    __tablename__ = "points_ledger"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    member_id: Mapped[Key] = mapped_column(index=True)
    points: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(24))
    ref: Mapped[str] = mapped_column(String(80), index=True)
    at: Mapped[Timestamp]


class Voucher(Base):
    __tablename__ = "vouchers"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    member_id: Mapped[Key] = mapped_column(index=True)
    value_fen: Mapped[Fen]
    source_seq: Mapped[int] = mapped_column(BigInteger, index=True)
    state: Mapped[str] = mapped_column(String(8))  # issued, used, void, expired
    issued_at: Mapped[Timestamp]
    # the wallet (migration 0013)
    expires_at: Mapped[OptTimestamp]
    store_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # None: every store accepts it
    hold_id: Mapped[str | None] = mapped_column(String(36), nullable=True)  # reserved by this hold


class Wallet(Base):
    """A member's running balances, kept in the transaction of every ledger row (server/services/wallet.py)."""

    __tablename__ = "wallets"
    member_id: Mapped[Key] = mapped_column(primary_key=True)
    rebate_fen: Mapped[Fen] = mapped_column(default=0)  # may be negative after a clawback (spec §2)
    rebate_held_fen: Mapped[Fen] = mapped_column(default=0)
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    points_held: Mapped[int] = mapped_column(BigInteger, default=0)
    voucher_fen: Mapped[Fen] = mapped_column(default=0)  # face value of issued (unused) vouchers
    withdrawn_fen: Mapped[Fen] = mapped_column(default=0)  # requested and not declined
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class VoucherLedger(Base):
    """Every change of a voucher's state, as a signed face value (issue +, spend/void/expiry −, refund +)."""

    __tablename__ = "voucher_ledger"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    voucher_id: Mapped[int] = mapped_column(BigInteger, index=True)
    member_id: Mapped[Key] = mapped_column(index=True)
    amount_fen: Mapped[Fen]
    kind: Mapped[str] = mapped_column(String(24))
    ref: Mapped[str] = mapped_column(String(80))
    at: Mapped[Timestamp]


class WalletHold(Base):
    """A wallet tender authorised at a till and reserved until the sale carrying it is ingested (or it lapses)."""

    __tablename__ = "wallet_holds"
    hold_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    terminal_id: Mapped[Key]
    idempotency_key: Mapped[str] = mapped_column(String(64))
    request_hash: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[Key] = mapped_column(index=True)
    store_id: Mapped[Key]
    kind: Mapped[str] = mapped_column(String(8))  # rebate, voucher, points
    amount_fen: Mapped[Fen]  # the tender's value in fen
    points: Mapped[int] = mapped_column(BigInteger, default=0)  # points reserved (kind points)
    voucher_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    state: Mapped[str] = mapped_column(String(10))  # held, captured, released, expired
    order_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    refunded_fen: Mapped[Fen] = mapped_column(default=0)  # given back to the tender by refunds
    created_at: Mapped[Timestamp]
    expires_at: Mapped[Timestamp]
    closed_at: Mapped[OptTimestamp]

    __table_args__ = (
        UniqueConstraint("terminal_id", "idempotency_key", name="uq_wallet_holds_terminal_key"),
        Index(
            "ix_wallet_holds_open",
            "expires_at",
            sqlite_where=text("state = 'held'"),
            postgresql_where=text("state = 'held'"),
        ),
    )


class Withdrawal(Base):
    """A member's request to take their rebate balance out (提现); the amount is reserved from the request on."""

    __tablename__ = "withdrawals"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)  # on the payout file and the transfer
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    member_id: Mapped[Key] = mapped_column(index=True)
    amount_fen: Mapped[Fen]
    state: Mapped[str] = mapped_column(String(10), index=True)  # requested, approved, declined, paid
    reason: Mapped[str] = mapped_column(String(200), default="")
    requested_at: Mapped[Timestamp]
    decided_at: Mapped[OptTimestamp]
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    batch_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    paid_at: Mapped[OptTimestamp]


class LotteryDraw(Base):
    __tablename__ = "lottery_draws"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entry_seq: Mapped[int] = mapped_column(BigInteger, index=True)
    result_bp: Mapped[int] = mapped_column(Integer)
    at: Mapped[Timestamp]


class RandomGroupRow(Base):
    __tablename__ = "random_groups"
    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    group_no: Mapped[int] = mapped_column(BigInteger)
    arrangement: Mapped[str] = mapped_column(Text)  # JSON list, kept for audit
    next_slot: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(Text)


# ---------------------------------------------------------------------------------------------- sync and security


class EventLog(Base):
    """Every event a terminal pushed, by its client-made id: exactly-once application and the original answer."""

    __tablename__ = "event_log"
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    terminal_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    terminal_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    kind: Mapped[str] = mapped_column(String(24))
    body_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))
    response_json: Mapped[str] = mapped_column(Text)
    received_at: Mapped[Timestamp]

    __table_args__ = (UniqueConstraint("terminal_id", "terminal_seq", name="uq_event_log_terminal_seq"),)


class ParkedEvent(Base):
    """An event that refers to an order the server has not seen yet; applied when the order arrives (§15)."""

    __tablename__ = "parked_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    terminal_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    order_id: Mapped[Key] = mapped_column(index=True)
    body_json: Mapped[str] = mapped_column(Text)
    parked_at: Mapped[Timestamp]


class Terminal(Base):
    __tablename__ = "terminals"
    terminal_id: Mapped[Key] = mapped_column(primary_key=True)
    store_id: Mapped[Key] = mapped_column(ForeignKey("stores.store_id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    public_key: Mapped[str] = mapped_column(String(64))
    credential_hash: Mapped[str] = mapped_column(String(64), unique=True)
    pending_credential_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    enrolled_at: Mapped[Timestamp]
    revoked_at: Mapped[OptTimestamp]
    last_seen_at: Mapped[OptTimestamp]
    backlog: Mapped[int] = mapped_column(BigInteger, default=0)
    applied_through: Mapped[int] = mapped_column(BigInteger, default=0)
    # the checkout point (cashier) this till sells for; the server takes a sale's from here (migration 0010)
    cashier_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class EnrolmentCode(Base):
    __tablename__ = "enrolment_codes"
    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    store_id: Mapped[Key] = mapped_column(ForeignKey("stores.store_id"))
    created_at: Mapped[Timestamp]
    expires_at: Mapped[Timestamp]
    used_at: Mapped[OptTimestamp]
    cashier_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the checkout point it binds to


class User(Base):
    __tablename__ = "users"
    user_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # hq_admin | store_manager
    store_id: Mapped[str | None] = mapped_column(ForeignKey("stores.store_id"), nullable=True)
    created_at: Mapped[Timestamp]
    disabled_at: Mapped[OptTimestamp]


class SigningKeyRow(Base):
    """Public halves of the server's member-code signing keys (the private halves live in the key file)."""

    __tablename__ = "signing_keys"
    kid: Mapped[str] = mapped_column(String(40), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[Timestamp]
    retired_at: Mapped[OptTimestamp]
    # signing starts here (migration 0002): terminals learn the public half from a pull before any code uses it
    activates_at: Mapped[OptTimestamp]


class ServerValue(Base):
    """Small server-wide values made once at init (the chain's phone-hash salt)."""

    __tablename__ = "server_values"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ApiToken(Base):
    """A short-lived bearer token of an API user (stored as the sha256 of a 32-byte random token)."""

    __tablename__ = "api_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.user_id"), index=True)
    created_at: Mapped[Timestamp]
    expires_at: Mapped[Timestamp]


class AuditRow(Base):
    """Something headquarters should be able to look back on: who did what, from where (the console's Audit page)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[Timestamp] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(100))  # terminal:<id>, user:<name>
    store_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    action: Mapped[str] = mapped_column(String(40))  # member_registered
    code: Mapped[str] = mapped_column(String(40))  # a stable code, or what happened (phone_known)
    subject: Mapped[str] = mapped_column(String(100))  # what it was about (a member id)
    detail: Mapped[str] = mapped_column(Text, default="")


class SignInThrottle(Base):
    """Failed password sign-ins under one user name (as typed, lower case; unknown names too) from origins that have
    not signed in as it lately: the wait before the next such attempt (server/services/signin.py)."""

    __tablename__ = "sign_in_throttle"
    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[Timestamp] = mapped_column(UTCDateTime(), index=True)
    next_allowed_at: Mapped[Timestamp]


class SignInKnown(Base):
    """Where a user signed in from lately: a client address (`a:`) or a console browser's device token (`d:` and its
    sha256). A correct password from here is never held back by the user-wide wait."""

    __tablename__ = "sign_in_known"
    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    origin: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_success_at: Mapped[Timestamp]
    failures: Mapped[int] = mapped_column(Integer, default=0)  # in a row since the last success from here


class JobRun(Base):
    """A scheduled instant that ran: the primary key makes each run happen once across server processes."""

    __tablename__ = "job_runs"
    job: Mapped[str] = mapped_column(String(40), primary_key=True)
    instant: Mapped[dt.datetime] = mapped_column(UTCDateTime(), primary_key=True)
    ran_at: Mapped[Timestamp]


# ---------------------------------------------------------------------------------------------- member sign-in


class MemberSignInCode(Base):
    """A one-time sign-in code sent to a phone (server/services/member_signin.py). Only its HMAC is kept; a request
    for a phone that is no member's gets a row too (no code is sent), so the answer and the throttles are the same."""

    __tablename__ = "member_sign_in_codes"
    challenge_id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, names the code in the form
    phone_digest: Mapped[str] = mapped_column(String(64), index=True)  # sha256 of the phone as typed
    member_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    code_hash: Mapped[str] = mapped_column(String(64))  # HMAC-SHA256 (key from the server's signing key `kid`)
    kid: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[Timestamp]
    expires_at: Mapped[Timestamp] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[OptTimestamp]
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # wrong codes typed against it


class MemberSession(Base):
    """A member signed in on a browser: the sha256 of the cookie's random token (server/member_page/session.py)."""

    __tablename__ = "member_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[Key] = mapped_column(index=True)
    created_at: Mapped[Timestamp]
    expires_at: Mapped[Timestamp] = mapped_column(UTCDateTime(), index=True)


class WalletConsent(Base):
    """A payment code that authorised a hold (server/services/consent.py): each code authorises at most one."""

    __tablename__ = "wallet_consents"
    member_id: Mapped[Key] = mapped_column(primary_key=True)
    step: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)  # Unix time // 30
    used_at: Mapped[Timestamp] = mapped_column(index=True)


# ---------------------------------------------------------------------------------------------- the counter


class DrawerOpening(Base):
    """A till's cash drawer opened without a sale (issue 14): who allowed it, when, why. Recorded, never ruled on."""

    __tablename__ = "drawer_openings"
    drawer_id: Mapped[Key] = mapped_column(primary_key=True)
    store_id: Mapped[Key] = mapped_column(index=True)
    terminal_id: Mapped[str] = mapped_column(String(64))
    employee_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    opened_at: Mapped[Timestamp]
    received_at: Mapped[Timestamp]
    reason: Mapped[str] = mapped_column(String(200), default="")


class MemberNotification(Base):
    """The notification outbox (server/jobs/notify.py): one row per event, at most once (`event_key` is unique);
    delivered through the sender grouped per member per hour, and listed on the member's signed-in page."""

    __tablename__ = "member_notifications"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_key: Mapped[str] = mapped_column(String(120), unique=True)  # rebate:<allocation id>, completed:<seq>, ...
    member_id: Mapped[Key] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(20))  # rebate_received, entry_completed, voucher_expiring, reset_coming
    amount_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    ref: Mapped[str] = mapped_column(String(80), default="")  # the entry's queue number, the voucher id, ...
    due_at: Mapped[OptTimestamp]  # when the voucher expires or the reset falls due
    created_at: Mapped[Timestamp]
    state: Mapped[str] = mapped_column(String(10), index=True)  # pending, sending, sent, no_phone
    message_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    sent_at: Mapped[OptTimestamp]


class ZReport(Base):
    """A till's Z report (the `shift_closed` event), stored once: the shift's takings and the cash count."""

    __tablename__ = "z_reports"
    z_id: Mapped[Key] = mapped_column(primary_key=True)
    store_id: Mapped[Key] = mapped_column(index=True)
    terminal_id: Mapped[str] = mapped_column(String(64))
    shift_no: Mapped[int] = mapped_column(Integer)
    employee_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    opened_at: Mapped[Timestamp]
    closed_at: Mapped[Timestamp]
    received_at: Mapped[Timestamp]
    sales_count: Mapped[int] = mapped_column(Integer)
    paid_fen: Mapped[Fen]
    refunds_fen: Mapped[Fen]
    opening_float_fen: Mapped[Fen]
    cash_expected_fen: Mapped[Fen]
    cash_counted_fen: Mapped[Fen]
    drawer_openings: Mapped[int] = mapped_column(Integer)
    tenders_json: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("terminal_id", "shift_no"),)


class Employee(Base):
    """A store's employee: signs in at the tills with a personal PIN (argon2id PHC string; tills verify it offline)."""

    __tablename__ = "employees"
    employee_id: Mapped[Key] = mapped_column(primary_key=True)
    store_id: Mapped[Key] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(12))  # cashier | manager
    pin_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[Timestamp]


class RefundEmployee(Base):
    """Who gave a refund at the till (`order_refunded.employee_id`), kept apart from the rules' refund rows."""

    __tablename__ = "refund_employees"
    refund_id: Mapped[Key] = mapped_column(primary_key=True)
    employee_id: Mapped[str] = mapped_column(String(64))

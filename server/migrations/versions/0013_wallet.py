"""the member's wallet: running balances, the voucher ledger, holds, withdrawals, payment-code uses

Revision ID: 0013_wallet
Revises: 0009_wire_phone_keys

Existing ledgers are summed once into `wallets`, and every existing voucher gets its issue row (and its void row)
in `voucher_ledger`, so the running balances agree with history from the first day (docs/wallet.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.db.types import UTCDateTime

revision = "0013_wallet"
down_revision = "0009_wire_phone_keys"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "wallet_consents",
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("step", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("member_id", "step", name=op.f("pk_wallet_consents")),
    )
    op.create_index(op.f("ix_wallet_consents_used_at"), "wallet_consents", ["used_at"], unique=False)
    op.create_table(
        "wallets",
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("rebate_fen", sa.BigInteger(), nullable=False),
        sa.Column("rebate_held_fen", sa.BigInteger(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("points_held", sa.BigInteger(), nullable=False),
        sa.Column("voucher_fen", sa.BigInteger(), nullable=False),
        sa.Column("withdrawn_fen", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_wallets")),
    )
    op.create_table(
        "voucher_ledger",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("voucher_id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("ref", sa.String(length=80), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher_ledger")),
    )
    op.create_index(op.f("ix_voucher_ledger_member_id"), "voucher_ledger", ["member_id"], unique=False)
    op.create_index(op.f("ix_voucher_ledger_voucher_id"), "voucher_ledger", ["voucher_id"], unique=False)
    op.create_table(
        "wallet_holds",
        sa.Column("hold_id", sa.String(length=36), nullable=False),
        sa.Column("terminal_id", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("store_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("voucher_id", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=True),
        sa.Column("refunded_fen", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("hold_id", name=op.f("pk_wallet_holds")),
        sa.UniqueConstraint("terminal_id", "idempotency_key", name="uq_wallet_holds_terminal_key"),
    )
    op.create_index(op.f("ix_wallet_holds_member_id"), "wallet_holds", ["member_id"], unique=False)
    op.create_index(op.f("ix_wallet_holds_order_id"), "wallet_holds", ["order_id"], unique=False)
    op.create_index(
        "ix_wallet_holds_open",
        "wallet_holds",
        ["expires_at"],
        unique=False,
        sqlite_where=sa.text("state = 'held'"),
        postgresql_where=sa.text("state = 'held'"),
    )
    op.create_table(
        "withdrawals",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("batch_id", sa.String(length=40), nullable=True),
        sa.Column("paid_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_withdrawals")),
        sa.UniqueConstraint("reference", name=op.f("uq_withdrawals_reference")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_withdrawals_idempotency_key")),
    )
    op.create_index(op.f("ix_withdrawals_member_id"), "withdrawals", ["member_id"], unique=False)
    op.create_index(op.f("ix_withdrawals_state"), "withdrawals", ["state"], unique=False)
    op.create_index(op.f("ix_withdrawals_batch_id"), "withdrawals", ["batch_id"], unique=False)
    with op.batch_alter_table("vouchers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("store_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hold_id", sa.String(length=36), nullable=True))
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deduction_voucher_fen", sa.BigInteger(), server_default="0", nullable=False))
    _backfill()


def _backfill() -> None:
    op.execute(
        "INSERT INTO voucher_ledger (voucher_id, member_id, amount_fen, kind, ref, at) "
        "SELECT id, member_id, value_fen, 'issue', 'entry:' || source_seq, issued_at FROM vouchers"
    )
    op.execute(
        "INSERT INTO voucher_ledger (voucher_id, member_id, amount_fen, kind, ref, at) "
        "SELECT id, member_id, -value_fen, state, 'entry:' || source_seq, issued_at FROM vouchers "
        "WHERE state <> 'issued'"
    )
    op.execute(
        "INSERT INTO wallets (member_id, rebate_fen, rebate_held_fen, points, points_held, voucher_fen, "
        "withdrawn_fen, version) "
        "SELECT member_id, SUM(r), 0, SUM(p), 0, SUM(v), 0, 1 FROM ("
        " SELECT member_id, amount_fen AS r, 0 AS p, 0 AS v FROM rebate_ledger"
        " UNION ALL SELECT member_id, 0, points, 0 FROM points_ledger"
        " UNION ALL SELECT member_id, 0, 0, amount_fen FROM voucher_ledger"
        ") AS x GROUP BY member_id"
    )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("deduction_voucher_fen")
    with op.batch_alter_table("vouchers", schema=None) as batch_op:
        batch_op.drop_column("hold_id")
        batch_op.drop_column("store_id")
        batch_op.drop_column("expires_at")
    op.drop_table("withdrawals")
    op.drop_table("wallet_holds")
    op.drop_table("voucher_ledger")
    op.drop_table("wallets")
    op.drop_index(op.f("ix_wallet_consents_used_at"), table_name="wallet_consents")
    op.drop_table("wallet_consents")

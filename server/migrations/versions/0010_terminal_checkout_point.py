"""checkout points of tills: terminals.cashier_id (the till's binding) and enrolment_codes.cashier_id

Revision ID: 0010_terminal_checkout_point
Revises: 0009_wire_phone_keys

A till sells for the checkout point (收银台, spec §2 "Cashier") it is bound to; the server takes a sale's checkout
point from the binding (issue 12 item 12). Terminals enrolled before are bound to their store's first checkout
point (by id): what their tills sent until now.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_terminal_checkout_point"
down_revision = "0016_counter"  # re-chained at merge
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("terminals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cashier_id", sa.String(length=64), nullable=True))
    with op.batch_alter_table("enrolment_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cashier_id", sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE terminals SET cashier_id = "
        "(SELECT MIN(c.cashier_id) FROM cashiers c WHERE c.store_id = terminals.store_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("enrolment_codes", schema=None) as batch_op:
        batch_op.drop_column("cashier_id")
    with op.batch_alter_table("terminals", schema=None) as batch_op:
        batch_op.drop_column("cashier_id")

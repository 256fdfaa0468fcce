"""phone keys: members.phone_key (scrypt, shared.phones) for tills' offline lookup, and the chain's key salt

Revision ID: 0009_wire_phone_keys
Revises: 0008_wire_member_registration

Every member with a phone gets its key here: about 33 ms of CPU each, spread over the machine's cores (10,000
members: about 3 minutes on two cores). Tills pull the keys with protocol 2.
"""

from __future__ import annotations

import os
import secrets

import sqlalchemy as sa
from alembic import op

from shared.phones import phone_keys
from shared.wire import PhoneLookup

revision = "0009_wire_phone_keys"
down_revision = "0008_wire_member_registration"
branch_labels = None
depends_on = None

CHUNK = 1_000


def upgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone_key", sa.String(length=64), nullable=True))
    conn = op.get_bind()
    salt = conn.execute(sa.text("SELECT value FROM server_values WHERE name = 'phone_key_salt'")).scalar()
    if salt is None:
        salt = secrets.token_hex(16)
        conn.execute(sa.text("INSERT INTO server_values (name, value) VALUES ('phone_key_salt', :v)"), {"v": salt})
    params = PhoneLookup(salt=salt, n=2**14, r=8, p=1, length=16)  # protocol 2's parameters, frozen here
    members = sa.table("members", sa.column("member_id"), sa.column("phone"), sa.column("phone_key"))
    after = ""
    while True:
        rows = conn.execute(
            sa.select(members.c.member_id, members.c.phone)
            .where(members.c.phone.is_not(None), members.c.member_id > after)
            .order_by(members.c.member_id)
            .limit(CHUNK)
        ).all()
        if not rows:
            return
        keys = phone_keys(params, [r.phone for r in rows], workers=os.cpu_count() or 2)
        conn.execute(
            members.update().where(members.c.member_id == sa.bindparam("mid")).values(phone_key=sa.bindparam("key")),
            [{"mid": r.member_id, "key": k} for r, k in zip(rows, keys, strict=True)],
        )
        after = rows[-1].member_id


def downgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("phone_key")
    op.execute("DELETE FROM server_values WHERE name = 'phone_key_salt'")

"""Pull (docs/sync-protocol.md): settings in force, members changed since the cursor, the store's queue snapshot.

Everything comes from one consistent read (REPEATABLE READ on PostgreSQL), so the snapshot, the settings and the
member page agree with each other. The cursor is opaque to terminals: `v1.<member change version>`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, or_, select

from shared.errors import Code
from shared.wire import CheckoutPoint, LevelInfo, MemberInfo, PullResponse, SigningKey, StoreView

from ..clock import Clock
from ..db import tables as t
from ..db.database import Database
from ..db.settings import read_configuration
from ..errors import Refused, not_found
from ..inputs import parse_int
from ..security.member_codes import MEMBER_CODE_TTL
from . import employees, members, terminals, values
from .snapshots import queue_snapshot

CURSOR_PREFIX = "v2."
V1_PREFIX = "v1."  # a cursor of protocol 1: the member list starts over, so the till's phone data is replaced


def parse_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    prefix, digits = cursor[:3], cursor[3:]
    since = parse_int(digits) if digits else None
    if prefix not in (CURSOR_PREFIX, V1_PREFIX) or since is None:
        raise Refused(Code.INVALID_REQUEST, "the cursor is the one the last pull gave; or pull without one")
    return since if prefix == CURSOR_PREFIX else 0


def member_code_keys(conn: Connection, now: dt.datetime, lifetime: dt.timedelta) -> list[SigningKey]:
    """Public keys a till needs to verify member codes: every key that signs now, or soon, or did recently."""
    sk = t.SigningKeyRow
    rows = conn.execute(
        select(sk.kid, sk.public_key, sk.retired_at)
        .where(or_(sk.retired_at.is_(None), sk.retired_at > now - lifetime))
        .order_by(sk.created_at)
    )
    return [
        SigningKey(
            kid=r.kid, public_key=r.public_key, not_after=r.retired_at + lifetime if r.retired_at is not None else None
        )
        for r in rows
    ]


def checkout_point(conn: Connection, terminal: terminals.TerminalPrincipal) -> CheckoutPoint | None:
    """The terminal's checkout point and its name, read in the pull's transaction (None: not bound)."""
    c = t.Cashier
    bound = conn.execute(select(t.Terminal.cashier_id).where(t.Terminal.terminal_id == terminal.terminal_id)).scalar()
    name = conn.execute(select(c.name).where(c.cashier_id == bound)).scalar() if bound else None
    return CheckoutPoint(cashier_id=bound, name=name or bound) if bound else None


class PullService:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        snapshot_limit: int = 200,
        members_page: int = 1000,
        member_code_ttl: dt.timedelta = MEMBER_CODE_TTL,
    ) -> None:
        self.db = db
        self.clock = clock
        self.snapshot_limit = snapshot_limit
        self.members_page = members_page
        self.member_code_ttl = member_code_ttl

    def pull(
        self,
        *,
        terminal: terminals.TerminalPrincipal,
        cursor: str | None,
        with_levels: bool = False,
        with_checkout: bool = False,
        with_points: bool = False,
        with_employees: bool = False,
    ) -> PullResponse:
        since = parse_cursor(cursor)
        now = self.clock.now()
        with self.db.consistent_read() as conn:
            config = read_configuration(conn, self.db.settings_cache)
            base = config.base
            store = config.store(terminal.store_id)
            if store is None:
                raise not_found("the terminal's store no longer exists")
            lookup = values.phone_key_params(conn)
            changed = members.changed_since(conn, since, self.members_page + 1)
            complete = len(changed) <= self.members_page
            changed = changed[: self.members_page]
            balances = members.points_of(conn, [m.member_id for m in changed]) if with_points else {}
            infos = [
                MemberInfo(
                    member_id=m.member_id,
                    display_name=members.display_name(m.name),
                    phone_key=m.phone_key,
                    level=m.level,
                    updated_version=m.change_version,
                    points=balances.get(m.member_id, 0) if with_points else None,
                )
                for m in changed
            ]
            snapshot = queue_snapshot(conn, base, terminal.store_id, limit=self.snapshot_limit)
            keys = member_code_keys(conn, now, self.member_code_ttl)
            answer = PullResponse(
                server_time=now,
                cursor=f"{CURSOR_PREFIX}{max([since, *(m.change_version for m in changed)])}",
                settings_version=config.version,
                # the wallet's settings stay on the server: a till of before would refuse the unknown field, and
                # what a till needs of them comes with each hold (docs/wallet.md)
                base_settings=base.model_dump(mode="json", exclude={"wallet"}),
                store_settings=store.settings.model_dump(mode="json"),
                store=StoreView(
                    store_id=store.store_id,
                    name=config.names[store.store_id],
                    timezone=store.timezone,
                    cashier_ids=list(store.cashier_ids),
                ),
                members=infos,
                members_complete=complete,
                snapshot=snapshot,
                member_code_keys=keys,
                phone_lookup=lookup,
                levels=[
                    LevelInfo(level_id=lv.level_id, name_zh=lv.name_zh, name_en=lv.name_en, rank=lv.rank)
                    for lv in config.levels  # the catalog is part of the configuration: same read, same version
                ]
                if with_levels
                else None,
                checkout=checkout_point(conn, terminal) if with_checkout else None,
                employees=employees.for_till(conn, terminal.store_id) if with_employees else None,
            )
        with self.db.connect() as conn:
            terminals.touch(conn, terminal_id=terminal.terminal_id, now=now)
        return answer

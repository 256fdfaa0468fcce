"""What the last pull brought: settings, the store's queue snapshot, the store; and applying a pull."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, delete, func, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from shared.settings import BaseSettings, StoreSettings, extraction_for, parse_base, parse_store
from shared.wire import LevelInfo, PullResponse, QueueSnapshot, StoreView

from .clock import iso
from .db import kv_get, kv_set, members, orders
from .staff import replace_employees


def load_snapshot(conn: Connection) -> QueueSnapshot | None:
    raw = kv_get(conn, "snapshot")
    return None if raw is None else QueueSnapshot.model_validate(raw)


def load_store(conn: Connection) -> StoreView | None:
    raw = kv_get(conn, "store")
    return None if raw is None else StoreView.model_validate(raw)


def load_settings(conn: Connection) -> tuple[BaseSettings, StoreSettings] | None:
    """The settings in force at the last pull, or None (never pulled, or a shape this app cannot read)."""
    base: Any = kv_get(conn, "base_settings")
    store: Any = kv_get(conn, "store_settings")
    if base is None or store is None:
        return None
    try:
        return parse_base(base), parse_store(store)
    except ValueError:
        return None


def sale_limits(conn: Connection) -> StoreSettings:
    """The store's sale limits from the last pull; before any pull (or from a server of before), the defaults."""
    settings = load_settings(conn)
    return settings[1] if settings is not None else StoreSettings()


def level_names(conn: Connection) -> dict[str, tuple[str, str]]:
    """level id -> (Chinese name, English name), from the catalog of the last pull that brought one."""
    return {lv.level_id: (lv.name_zh, lv.name_en) for lv in map(LevelInfo.model_validate, kv_get(conn, "levels", []))}


def contribution_ratio_bp(conn: Connection) -> tuple[int, bool] | None:
    """(extraction_bp, anonymous orders contribute) when the store takes part; None when it does not or unknown."""
    settings = load_settings(conn)
    if settings is None:
        return None
    base, store = settings
    if not (base.enabled and store.enabled):
        return None
    return extraction_for(base, store), base.anonymous_orders_contribute


def points_deductible_fen(conn: Connection, member_id: str) -> int:
    """The most a points deduction may take for this member: what their points were worth at the last pull that
    brought them (`points_per_yuan_x100` points a yuan), less what this till deducted for them since. 0 when the
    server never said (a member new today, a server of before) or points are worth nothing. Until the wallet debits
    points at the server, its figure does not go down with a deduction: this till's own are taken off here."""
    row = conn.execute(select(members.c.points, members.c.points_at).where(members.c.member_id == member_id)).first()
    settings = load_settings(conn)
    if row is None or row.points is None or row.points <= 0 or settings is None:
        return 0
    per_yuan_x100 = settings[0].points_per_yuan_x100
    if per_yuan_x100 <= 0:
        return 0
    worth: int = int(row.points) * 10_000 // per_yuan_x100  # fen; floored, as every conversion of the spec
    spent = conn.execute(
        select(func.coalesce(func.sum(orders.c.deduction_points_fen), 0)).where(
            orders.c.member_id == member_id, orders.c.paid_at >= row.points_at
        )
    ).scalar_one()
    return max(0, worth - int(spent))


def apply_pull(conn: Connection, pull: PullResponse, *, now: dt.datetime) -> None:
    """Store one pull page (inside the caller's write transaction)."""
    kv_set(conn, "cursor", pull.cursor)
    kv_set(conn, "settings_version", pull.settings_version)
    kv_set(conn, "base_settings", pull.base_settings)
    kv_set(conn, "store_settings", pull.store_settings)
    kv_set(conn, "store", pull.store.model_dump(mode="json"))
    kv_set(conn, "snapshot", pull.snapshot.model_dump(mode="json"))
    kv_set(conn, "member_code_keys", [k.model_dump(mode="json") for k in pull.member_code_keys])
    kv_set(conn, "phone_lookup", pull.phone_lookup.model_dump(mode="json"))
    if pull.levels is not None:
        kv_set(conn, "levels", [lv.model_dump(mode="json") for lv in pull.levels])
    if pull.checkout is not None:  # the server binds this till to a checkout point; a move shows at the next pull
        kv_set(conn, "cashier_id", pull.checkout.cashier_id)
        kv_set(conn, "cashier_name", pull.checkout.name)
    if pull.employees is not None:
        replace_employees(conn, pull.employees)
    kv_set(conn, "last_pull_at", iso(now))
    if pull.members:
        rows = [
            {
                "member_id": m.member_id,
                "display_name": m.display_name,
                "phone_key": m.phone_key,
                "level": m.level,
                "local": False,
                "points": m.points,
                "points_at": iso(now) if m.points is not None else None,
            }
            for m in pull.members
        ]
        stmt = sqlite_insert(members)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[members.c.member_id],
                set_={
                    c: stmt.excluded[c] for c in ("display_name", "phone_key", "level", "local", "points", "points_at")
                },
            ),
            rows,
        )
        # A member registered here and now known to the server under another id (same phone): drop our copy.
        keys = [m.phone_key for m in pull.members if m.phone_key]
        if keys:
            conn.execute(delete(members).where(members.c.local.is_(True), members.c.phone_key.in_(keys)))

"""The history of settings changes (settings_history: who, when, before, after) as readable differences."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, or_, select

from shared.errors import RuleError
from shared.money import format_bp, format_fen
from shared.settings import parse_base, parse_store

from ..db import tables as t
from ..services.members import mask_phone
from .session import ConsoleUser

H = t.SettingsHistory


def rows(conn: Connection, user: ConsoleUser, *, limit: int = 200, before_id: int | None = None) -> list[Any]:
    """Newest first; a store manager sees the base settings and its own store's."""
    stmt = select(H.id, H.at, H.actor, H.scope, H.version, H.before_json, H.after_json).order_by(H.id.desc())
    if not user.is_hq:
        stmt = stmt.where(or_(H.scope == "base", H.scope == f"store:{user.store_id}"))
    if before_id is not None:
        stmt = stmt.where(H.id < before_id)
    return list(conn.execute(stmt.limit(limit)))


def _flat(doc: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in doc.items():
        if key == "display" and isinstance(value, dict):
            out.update({f"display.{k}": v for k, v in value.items()})
        else:
            out[key] = value
    return out


def _document(raw: str | None, scope: str) -> dict[str, Any]:
    """A stored settings document with its defaults filled in (an empty one means all defaults)."""
    if raw is None:
        return {}
    doc = json.loads(raw)
    if scope == "levels":  # the level catalog: level id -> its names and rank, not a settings document
        return dict(doc)
    try:
        return _flat((parse_base if scope == "base" else parse_store)(doc).model_dump(mode="json"))
    except RuleError:  # written under older rules: show it as it was stored
        return _flat(doc)


def changes(row: Any) -> list[tuple[str, Any, Any]]:
    """(key, before, after) for every key that changed; the first record of a scope has no before."""
    before = _document(row.before_json, row.scope)
    after = _document(row.after_json, row.scope)
    missing = object()
    out = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key, missing), after.get(key, missing)
        if a != b:
            out.append((key, None if a is missing else a, None if b is missing else b))
    return out


def readable(key: str, value: Any) -> str:
    """A setting's value for people: ratios as percent, amounts in yuan, the rest as compact JSON."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if key.endswith("_bp") and isinstance(value, int):
        return format_bp(value)
    if key.endswith("_fen") and isinstance(value, int):
        return "¥" + format_fen(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def phone_mask(user: ConsoleUser) -> Callable[[str | None], str]:
    """Headquarters reads members' phone numbers; a store manager reads them masked."""

    def mask(phone: str | None) -> str:
        if not phone:
            return ""
        return phone if user.is_hq else mask_phone(phone)

    return mask

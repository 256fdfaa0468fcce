"""What a member-page link grants: resolve `/m/<token>` to the member it is a capability for.

Two kinds of link reach the page. The server signs MEMBER_PAGE links (claim `m`, the member) with its own keys.
A till signs ORDER_PAGE links (claim `o`, an order it sold) offline with its terminal key (kid `t:<terminal id>`):
such a link is honoured only for an order that terminal itself sold, and never once the terminal is revoked (a lost
or stolen till could otherwise mint links for every order in its local database). An altered or unknown link is
refused (403), an expired one is gone (410).

The server caps the lifetime it honours, whatever expiry the till wrote: a link that claims to live longer than a
member-page link (`member_page_days`, plus a day for a till's clock) is refused, and a link to an order the server
holds expires `member_page_days` (plus that day) after the order was paid, however freshly it was signed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, select

from shared.errors import Code
from shared.ids import MemberId, OrderId
from shared.tokens import Purpose, TokenError, peek, public_key_from_text, verify

from ..db import tables as t
from ..security.keys import KeyRing
from ..security.member_codes import verify_member_page_token

TERMINAL_KID = "t:"
CLOCK_SLACK = dt.timedelta(days=1)  # a till's clock may run ahead; its links still work


class LinkRefused(Exception):
    """`reason` is one of: invalid (403), expired (410), revoked (403)."""

    def __init__(self, reason: Literal["invalid", "expired", "revoked"], detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.code = {"invalid": Code.LINK_INVALID, "expired": Code.LINK_EXPIRED, "revoked": Code.LINK_REVOKED}[reason]
        self.status = 410 if reason == "expired" else 403


@dataclass(frozen=True, slots=True)
class Link:
    kind: Literal["member", "order"]
    member_id: MemberId | None  # None: an order link whose order has no member, or that the server has not seen yet
    order_id: OrderId | None = None
    order_known: bool = True


def _refusal(exc: TokenError) -> LinkRefused:
    return LinkRefused("expired" if exc.code == "token_expired" else "invalid", exc.code)


def resolve(conn: Connection, *, ring: KeyRing, token: str, now: dt.datetime, page_ttl: dt.timedelta) -> Link:
    """The capability a link carries; raises LinkRefused."""
    try:
        parsed = peek(token)
    except TokenError as exc:
        raise _refusal(exc) from None
    if parsed.purpose == Purpose.MEMBER_PAGE:
        try:
            return Link("member", MemberId(verify_member_page_token(ring, token, now, ttl=page_ttl)))
        except TokenError as exc:
            raise _refusal(exc) from None
    if parsed.purpose != Purpose.ORDER_PAGE or not parsed.kid.startswith(TERMINAL_KID):
        raise LinkRefused("invalid", "not a page link")
    terminal_id = parsed.kid[len(TERMINAL_KID) :]
    row = conn.execute(
        select(t.Terminal.public_key, t.Terminal.revoked_at).where(t.Terminal.terminal_id == terminal_id)
    ).first()
    if row is None:
        raise LinkRefused("invalid", "token_unknown_key")
    try:
        checked = verify(
            token,
            keys={parsed.kid: public_key_from_text(row.public_key)},
            purpose=Purpose.ORDER_PAGE,
            now=now.timestamp(),
        )
    except TokenError as exc:
        raise _refusal(exc) from None
    if row.revoked_at is not None:
        raise LinkRefused("revoked", terminal_id)
    if checked.expires > (now + page_ttl + CLOCK_SLACK).timestamp():
        raise LinkRefused("invalid", "the link claims a longer life than the server honours")
    order_id = checked.claims.get("o")
    if not isinstance(order_id, str) or not order_id:
        raise LinkRefused("invalid", "no order id")
    order = conn.execute(
        select(t.OrderRow.member_id, t.OrderRow.terminal_id, t.OrderRow.paid_at).where(t.OrderRow.order_id == order_id)
    ).first()
    if order is None:
        return Link("order", None, OrderId(order_id), order_known=False)  # signed at the till, not synced yet
    if order.terminal_id != terminal_id:
        raise LinkRefused("invalid", "the order was not sold by the terminal that signed the link")
    if now >= order.paid_at + page_ttl + CLOCK_SLACK:
        raise LinkRefused("expired", "the order was paid longer ago than a link lives")
    member_id = MemberId(order.member_id) if order.member_id is not None else None
    return Link("order", member_id, OrderId(order_id))

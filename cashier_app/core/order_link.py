"""The order page link shown as a QR code after a sale, signed offline with the terminal's own Ed25519 key."""

from __future__ import annotations

import datetime as dt
import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.ids import TerminalId
from shared.tokens import Purpose, sign

from .clock import Clock

LINK_DAYS = 30


class OrderLinkSigner:
    def __init__(self, *, key: Ed25519PrivateKey, terminal_id: TerminalId, server_url: str, clock: Clock) -> None:
        self._key = key
        self._kid = f"t:{terminal_id}"
        self._base = server_url.rstrip("/")
        self._clock = clock

    def token(self, order_id: uuid.UUID) -> str:
        expires = int((self._clock() + dt.timedelta(days=LINK_DAYS)).timestamp())
        return sign(
            key=self._key, kid=self._kid, purpose=Purpose.ORDER_PAGE, expires=expires, claims={"o": str(order_id)}
        )

    def link(self, order_id: uuid.UUID) -> str:
        return f"{self._base}/m/{self.token(order_id)}"

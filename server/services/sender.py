"""How the server reaches a member's phone: sign-in codes and notifications go out through one pluggable sender.

- `FileSender` appends each message as a JSON line to a file (the demo and the tests read the codes there);
- `LogSender` writes them to the server's log (a server without a gateway yet; codes land in the log);
- `WebhookSender` POSTs the same JSON to a URL headquarters configures (`sender_webhook_url`), signed with
  HMAC-SHA256 over the exact body bytes with a shared secret (`sender_webhook_secret`), in the header
  `X-Paidui-Signature: sha256=<hex>`. A small adapter in front of an SMS gateway checks the signature and passes
  the text on (docs/member-page.md "Sending codes and notifications").

A send either returns (the receiver took the message: 2xx) or raises `SendFailed`; nothing is retried here, the
caller decides (a sign-in code is refused with a message, a notification stays in the outbox for the next run).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import httpx

log = logging.getLogger("paidui.sender")

SIGNATURE_HEADER = "X-Paidui-Signature"
SIGNATURE_PREFIX = "sha256="
WEBHOOK_TIMEOUT = 10.0  # seconds for the whole request
Kind = Literal["sign_in_code", "notification"]


class SendFailed(Exception):
    """The message did not reach the receiver (network, timeout, a refusal); nothing was delivered."""


@dataclass(frozen=True, slots=True)
class Message:
    """One text to one phone. `message_id` is unique per message: a receiver can drop a repeat."""

    message_id: str
    kind: Kind
    phone: str
    text: str
    lang: str
    sent_at: dt.datetime
    member_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def body(self) -> bytes:
        """The JSON every sender writes: UTF-8, keys sorted, the instant in ISO 8601 UTC."""
        doc = asdict(self)
        doc["sent_at"] = self.sent_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


class Sender(Protocol):
    def send(self, message: Message) -> None:
        """Deliver `message` or raise SendFailed."""


class FileSender:
    """Each message as one JSON line appended to `path` (created with its folder); for the demo and tests."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def send(self, message: Message) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock, self.path.open("ab") as out:
                out.write(message.body() + b"\n")
        except OSError as exc:
            raise SendFailed(f"cannot write {self.path}: {exc}") from exc

    def read(self) -> list[dict[str, Any]]:
        """The messages written so far (tests, the demo)."""
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]


class LogSender:
    """Each message to the `paidui.sender` log at INFO (the code is in it: a log like this is a secret)."""

    def send(self, message: Message) -> None:
        log.info("message %s", message.body().decode())


def signature(secret: bytes, body: bytes) -> str:
    """The `X-Paidui-Signature` value of `body`: `sha256=` and the hex HMAC-SHA256 of the exact bytes."""
    return SIGNATURE_PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


def signature_valid(secret: bytes, body: bytes, header: str | None) -> bool:
    """What a receiver checks (in constant time)."""
    return header is not None and hmac.compare_digest(signature(secret, body), header)


class WebhookSender:
    """POST the message's JSON to `url`, signed; any answer but 2xx, a timeout or a network error is SendFailed."""

    def __init__(self, url: str, secret: bytes, *, client: httpx.Client | None = None) -> None:
        if not secret:
            raise ValueError("a webhook sender needs a secret")
        self.url = url
        self._secret = secret
        self._client = client if client is not None else httpx.Client(timeout=WEBHOOK_TIMEOUT)

    def send(self, message: Message) -> None:
        body = message.body()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: signature(self._secret, body),
            "X-Paidui-Message-Id": message.message_id,
        }
        try:
            answer = self._client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise SendFailed(f"{self.url}: {type(exc).__name__}: {exc}") from exc
        if not answer.is_success:
            raise SendFailed(f"{self.url} answered {answer.status_code}")

    def close(self) -> None:
        self._client.close()


def make_sender(
    kind: Literal["file", "log", "webhook"], *, file: Path, url: str | None, secret: bytes | None
) -> Sender:
    """The sender the server's settings name (`server.config.ServerSettings.sender`)."""
    if kind == "webhook":
        if not url or not secret:
            raise ValueError("sender = webhook needs sender_webhook_url and sender_webhook_secret")
        return WebhookSender(url, secret)
    if kind == "log":
        return LogSender()
    return FileSender(file)

"""The sync worker: a QObject living in its own QThread, with its own httpx.Client and SQLite connections.

It pushes the outbox and pulls on a timer and when asked, backs off with jitter when the server is down or slow,
and reports back only through signals. It never touches a widget; the UI thread never waits for it.

At an ordinary start it also reads the terminal's secrets from the OS keyring, on its own thread, and hands them to
the UI (`secrets_loaded`: the order-link signing key comes with the credential). The till's window is up before;
a sale confirmed in the meantime is recorded when the key arrives, and waits in the outbox like any other.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot

from shared.errors import Code

from .core.clock import Clock
from .core.credentials import Secrets, SecretsMissing
from .core.db import make_engine, reading
from .core.outbox import attention_count, pending_count
from .core.sync import Backoff, SyncEngine
from .core.sync_client import RequestRefused, ServerUnavailable, SyncClient

if TYPE_CHECKING:
    import httpx

HttpFactory = Callable[[], "httpx.Client"]  # called on the worker's thread, which is where httpx gets imported
SecretsLoader = Callable[[], Secrets | None]  # called on the worker's thread: keyring I/O


@dataclass(frozen=True)
class SyncStatus:
    online: bool | None  # None: not tried yet
    pending: int
    attention: int
    last_sync: dt.datetime | None
    error: str | None = None
    next_try_s: float | None = None


class SyncWorker(QObject):
    status = Signal(object)  # SyncStatus
    acknowledged = Signal(object)  # list[OrderAck]
    pulled = Signal()
    catalogue_changed = Signal()  # the product catalogue changed: the checkout rebuilds its index
    secrets_loaded = Signal(object)  # Secrets, once, when the worker was given a loader
    secrets_failed = Signal(object)  # the loader's exception (no usable keyring, SecretsMissing): nothing is sent
    order_found = Signal(str, object)  # order id, and OrderFacts or the exception (RequestRefused, ServerUnavailable)

    def __init__(
        self,
        *,
        db_path: Path,
        http_factory: HttpFactory,
        credential: str | None = None,
        load_secrets: SecretsLoader | None = None,
        clock: Clock,
        interval_s: float = 15.0,
        backoff: Backoff | None = None,
    ) -> None:
        """Give the `credential`, or `load_secrets` to read it (and the signing key) on the worker's thread."""
        super().__init__()
        if (credential is None) == (load_secrets is None):
            raise TypeError("give either the credential or load_secrets")
        self._db_path = db_path
        self._http_factory = http_factory
        self._credential = credential
        self._load_secrets = load_secrets
        self._clock = clock
        self._interval_ms = int(interval_s * 1000)
        self._backoff = backoff or Backoff(base=1.0, cap=60.0, rng=random.Random())
        self._last_sync: dt.datetime | None = None
        self._online: bool | None = None
        self._in_backoff = False

    @Slot()
    def start(self) -> None:
        """Runs in the worker thread (connected to QThread.started): the secrets first, as the UI waits for the
        signing key before it records a sale; then the HTTP client and the first round."""
        credential = self._credential
        if self._load_secrets is not None:
            try:
                secrets = self._load_secrets()
                if secrets is None:
                    raise SecretsMissing("the OS keyring holds no credential for this till")
            except Exception as exc:  # no usable or a locked keyring, no entry: the UI decides what to say
                self.secrets_failed.emit(exc)
                return
            self.secrets_loaded.emit(secrets)
            credential = secrets.credential
        self._engine = make_engine(self._db_path)
        self._http = self._http_factory()
        self._client = SyncClient(self._http, credential=credential)
        self._sync = SyncEngine(engine=self._engine, client=self._client, clock=self._clock)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.run)
        self._timer.start(0)

    @Slot()
    def sync_now(self) -> None:
        """A sale was made: send it soon, unless we are waiting out a backoff (the timer will come)."""
        if not self._in_backoff and hasattr(self, "_timer"):
            self._timer.start(0)

    @Slot(str)
    def look_up_order(self, order_id: str) -> None:
        """A refund of another till's sale is checked first: ask the server about the order, answer by signal."""
        answer: object
        if not hasattr(self, "_client"):
            answer = ServerUnavailable("the sync worker has not started")
        else:
            try:
                answer = self._client.order(order_id)
            except Exception as exc:  # offline, refused, or a malformed answer: the UI decides what it means
                answer = exc
        self.order_found.emit(order_id, answer)

    @Slot()
    def run(self) -> None:
        error = None
        delay_ms = self._interval_ms
        try:
            outcome = self._sync.run_once()
        except (ServerUnavailable, RequestRefused) as exc:
            self._online = False
            error = exc.code if isinstance(exc, RequestRefused) else Code.SERVER_UNAVAILABLE
            delay = self._backoff.next_delay()
            if isinstance(exc, ServerUnavailable) and exc.retry_after:
                delay = max(delay, exc.retry_after)
            delay_ms = int(delay * 1000)
            self._in_backoff = True
        except Exception as exc:  # a bug or a malformed answer must not kill the worker: report and retry later
            self._online = False
            error = f"{type(exc).__name__}: {exc}"
            delay_ms = int(self._backoff.next_delay() * 1000)
            self._in_backoff = True
        else:
            self._online = True
            self._in_backoff = False
            self._backoff.reset()
            self._last_sync = self._clock()
            if outcome.acks:
                self.acknowledged.emit(outcome.acks)
            self.pulled.emit()
            if outcome.catalogue_changed:
                self.catalogue_changed.emit()
        self._timer.start(delay_ms)
        self.status.emit(self._status(error, delay_ms / 1000 if error else None))

    def _status(self, error: str | None, next_try: float | None) -> SyncStatus:
        with reading(self._engine) as conn:
            return SyncStatus(
                self._online, pending_count(conn), attention_count(conn), self._last_sync, error, next_try
            )

    @Slot()
    def halt(self) -> None:
        """Runs in the worker thread as it finishes: a timer may only be stopped by its own thread."""
        if hasattr(self, "_timer"):
            self._timer.stop()

    def close(self) -> None:
        """Called from the owner after the thread has finished."""
        if hasattr(self, "_http"):
            self._http.close()
            self._engine.dispose()


class SyncController(QObject):
    """Owns the worker thread; the UI connects to `worker`'s signals and calls `sync_now()`."""

    wake = Signal()
    look_up = Signal(str)  # an order id: the worker answers with `order_found`

    def __init__(self, worker: SyncWorker) -> None:
        super().__init__()
        self.worker = worker
        # not `self.thread`: that would hide QObject.thread(), which Qt and PySide call to route signals
        self.worker_thread = QThread()
        self.worker_thread.setObjectName("paidui-sync")
        worker.moveToThread(self.worker_thread)
        self.worker_thread.started.connect(worker.start)
        self.worker_thread.finished.connect(worker.halt, Qt.ConnectionType.DirectConnection)
        self.wake.connect(worker.sync_now)  # queued: crosses threads
        self.look_up.connect(worker.look_up_order)

    def start(self) -> None:
        self.worker_thread.start()

    def sync_now(self) -> None:
        self.wake.emit()

    def stop(self, timeout_ms: int = 30_000) -> None:
        self.worker_thread.quit()
        self.worker_thread.wait(timeout_ms)
        self.worker.close()

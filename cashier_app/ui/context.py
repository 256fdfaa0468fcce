"""What the widgets need, composed once by main.py (or by a test)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QObject, QThreadPool

from ..core.clock import Clock
from ..core.order_link import OrderLinkSigner
from ..core.services import TillServices
from ..core.terminal import TerminalInfo
from ..core.wallet import WalletService
from ..options import Options
from .ops import run_op, serial_pool

T = TypeVar("T")


@dataclass
class AppContext:
    services: TillServices  # the local database and files; called off the UI thread only, through `pool`
    info: TerminalInfo
    signer: OrderLinkSigner | None  # None until the sync worker has read the key from the OS keyring (start-up)
    clock: Clock
    options: Options
    data_dir: Path
    pool: QThreadPool = field(default_factory=serial_pool)  # one thread: database and file jobs in order
    wallet: WalletService | None = None  # the hold API (None: no server, e.g. --self-test: wallet tenders offline)
    net_pool: QThreadPool = field(default_factory=serial_pool)  # one thread: wallet requests, never the database's

    def run(
        self,
        job: Callable[[], T],
        *,
        on_done: Callable[[T], None],
        on_failed: Callable[[Exception], None],
        owner: QObject | None = None,
    ) -> None:
        """Run database or file work on the till's own thread, in order; the answer comes back on the UI thread."""
        run_op(job, on_done=on_done, on_failed=on_failed, pool=self.pool, owner=owner)

    def run_net(
        self,
        job: Callable[[], T],
        *,
        on_done: Callable[[T], None],
        on_failed: Callable[[Exception], None],
        owner: QObject | None = None,
    ) -> None:
        """Run a network request (the wallet) on its own thread: a slow server never delays the till's database."""
        run_op(job, on_done=on_done, on_failed=on_failed, pool=self.net_pool, owner=owner)

"""What the widgets need, composed once by main.py (or by a test)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from ..core.clock import Clock
from ..core.order_link import OrderLinkSigner
from ..core.terminal import TerminalInfo
from ..options import Options


@dataclass
class AppContext:
    engine: Engine
    info: TerminalInfo
    signer: OrderLinkSigner | None  # None until the sync worker has read the key from the OS keyring (start-up)
    clock: Clock
    options: Options
    data_dir: Path

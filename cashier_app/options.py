"""Every app setting, declared once with its type and default, over QSettings (an .ini in the data directory)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from PySide6.QtCore import QSettings

T = TypeVar("T", str, int, bool)


@dataclass(frozen=True)
class Option(Generic[T]):
    key: str
    default: T


LANGUAGE = Option("ui/language", "zh_CN")  # zh_CN (default) or en
CUSTOMER_WINDOW = Option("ui/customer_window", True)  # show the customer-facing window (second screen)
RECEIPT_PDF = Option("receipt/save_pdf", False)  # save every receipt as PDF into <data>/receipts
SYNC_INTERVAL_S = Option("sync/interval_s", 15)  # pull even when nothing waits to be sent
SYNC_TIMEOUT_S = Option("sync/timeout_s", 10)
AMOUNT_FONT_PT = Option("ui/amount_font_pt", 36)
# privacy: how long a sale (its amount and the QR code of its order page) stays on the customer window; the next
# sale's first key clears it sooner. 1..3600 s (a value outside is taken as the nearest bound).
CUSTOMER_CLEAR_S = Option("ui/customer_clear_s", 60)
# ESC/POS receipt printer: tcp://host[:9100], a device such as /dev/usb/lp0, or file:///path; empty = none
ESCPOS_PRINTER = Option("escpos/printer", "")
ESCPOS_COLUMNS = Option("escpos/columns", 48)  # 48 for 80 mm paper, 32 for 58 mm
ESCPOS_TIMEOUT_MS = Option("escpos/timeout_ms", 5000)  # connect and write; then the printer counts as offline


def _as_int(value: object, default: int) -> int:
    """The .ini holds text; a value that is not a whole number falls back to the default."""
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        return default


class Options:
    def __init__(self, data_dir: Path) -> None:
        self._settings = QSettings(str(data_dir / "paidui-cashier.ini"), QSettings.Format.IniFormat)

    def get(self, option: Option[T]) -> T:
        value: object = self._settings.value(option.key, option.default)
        default = option.default
        if isinstance(default, bool):  # before int: a bool is an int
            return value.lower() in ("1", "true", "yes") if isinstance(value, str) else bool(value)
        if isinstance(default, int):
            return _as_int(value, default)
        return str(value)

    def set(self, option: Option[T], value: T) -> None:
        self._settings.setValue(option.key, value)
        self._settings.sync()

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
# ESC/POS receipt printer: tcp://host[:9100], a device such as /dev/usb/lp0, or file:///path; empty = none
ESCPOS_PRINTER = Option("escpos/printer", "")
ESCPOS_COLUMNS = Option("escpos/columns", 48)  # 48 for 80 mm paper, 32 for 58 mm
ESCPOS_TIMEOUT_MS = Option("escpos/timeout_ms", 5000)  # connect and write; then the printer counts as offline


class Options:
    def __init__(self, data_dir: Path) -> None:
        self._settings = QSettings(str(data_dir / "paidui-cashier.ini"), QSettings.Format.IniFormat)

    def get(self, option: Option[T]) -> T:
        value = self._settings.value(option.key, option.default)
        kind = type(option.default)
        if kind is bool and isinstance(value, str):
            return value.lower() in ("1", "true", "yes")  # type: ignore[return-value]
        try:
            return kind(value)  # type: ignore[return-value]
        except (TypeError, ValueError):
            return option.default

    def set(self, option: Option[T], value: T) -> None:
        self._settings.setValue(option.key, value)
        self._settings.sync()

"""The receipt: one HTML document, shown in Qt's print preview or written to PDF through QPrinter."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QCoreApplication as Q
from PySide6.QtCore import QMarginsF, QSizeF
from PySide6.QtGui import QPageLayout, QPageSize, QTextDocument
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QWidget

from ..core.checkout import Sale
from ..core.terminal import TerminalInfo
from .words import tender_text, wallet_kind_text, yuan

RECEIPT_WIDTH_MM = 80  # the common thermal roll


def wallet_rows(sale: Sale) -> list[tuple[str, int]]:
    """What the member's wallet paid, part by part, and the rebate balance left (docs/wallet.md)."""
    rows = [
        (Q.translate("Receipt", "Wallet: %1").replace("%1", wallet_kind_text(part.kind)), part.amount_fen)
        for part in sale.wallet_tenders
    ]
    if sale.wallet_left_fen is not None:
        rows.append((Q.translate("Receipt", "Rebate balance left"), sale.wallet_left_fen))
    return rows


def receipt_html(sale: Sale, info: TerminalInfo, store_name: str) -> str:
    walk_in = Q.translate("Receipt", "Walk-in")
    rows = [
        (Q.translate("Receipt", "Receipt no."), str(sale.receipt_no)),
        (Q.translate("Receipt", "Time"), sale.paid_at.strftime("%Y-%m-%d %H:%M:%S")),
        (Q.translate("Receipt", "Till"), info.name),
        (Q.translate("Receipt", "Member"), sale.member.display_name if sale.member else walk_in),
        (Q.translate("Receipt", "Amount"), yuan(sale.total_fen)),
    ]
    if sale.deduction_points_fen:
        rows.append((Q.translate("Receipt", "Points deduction"), "-" + yuan(sale.deduction_points_fen)))
    rows.append((Q.translate("Receipt", "Paid"), yuan(sale.paid_fen)))
    rows.append((Q.translate("Receipt", "Tender"), tender_text(sale.tender)))
    rows += [(label, yuan(fen)) for label, fen in wallet_rows(sale)]
    items = [(f"{line.name} ×{line.quantity}", yuan(line.amount_fen)) for line in sale.lines]
    body = "".join(
        f"<tr><td>{html.escape(k)}</td><td align='right'>{html.escape(v)}</td></tr>" for k, v in [*items, *rows]
    )
    order = html.escape(Q.translate("Receipt", "Order"))
    thanks = html.escape(Q.translate("Receipt", "Thank you!"))
    return (
        f"<h3 align='center'>{html.escape(store_name)}</h3><table width='100%'>{body}</table>"
        f"<p style='font-size:small'>{order}: {sale.order_id}</p><p align='center'>{thanks}</p>"
    )


def _setup(printer: QPrinter) -> None:
    printer.setPageSize(QPageSize(QSizeF(RECEIPT_WIDTH_MM, 160), QPageSize.Unit.Millimeter, "receipt"))
    printer.setPageMargins(QMarginsF(3, 3, 3, 3), QPageLayout.Unit.Millimeter)


def write_pdf(receipt_html: str, path: Path) -> Path:
    """Lay the receipt out and write it as PDF: file work, for a thread other than the UI's (QTextDocument and
    QPrinter's PDF output need no GUI thread); the HTML, with its translated words, is made on the UI thread."""
    path.parent.mkdir(parents=True, exist_ok=True)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    _setup(printer)
    doc = QTextDocument()
    doc.setHtml(receipt_html)
    doc.print_(printer)
    if not path.exists():  # QPrinter says nothing when it cannot write the file
        raise OSError(f"the PDF could not be written to {path}")
    return path


class ReceiptPreview(QPrintPreviewDialog):
    """Qt's print preview of one receipt. QPrintPreviewDialog does not own the QPrinter it paints on (and QPrinter is
    no QObject to parent): the dialog keeps it, or Python collects it and the next paint crashes the till."""

    def __init__(self, html: str, parent: QWidget | None) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        _setup(printer)
        super().__init__(printer, parent)
        self._printer = printer  # not `self.printer`: that would hide QPrintPreviewDialog.printer()
        self.document = QTextDocument(self)
        self.document.setHtml(html)
        self.paintRequested.connect(self.document.print_)


def preview(sale: Sale, info: TerminalInfo, store_name: str, parent: QWidget | None) -> ReceiptPreview:
    dialog = ReceiptPreview(receipt_html(sale, info, store_name), parent)
    dialog.open()
    return dialog

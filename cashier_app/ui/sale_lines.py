"""The items of the sale being made (stores with a catalogue): a table of lines with quantity, line discount and
remove, and the price lookup dialog. Kept out of checkout.py: the checkout only adds products and reads the lines."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from shared.money import parse_yuan

from ..core.catalogue import CartLine, CatalogueIndex, Product
from .words import yuan

MAX_QUANTITY = 9999


class SaleLinesTable(QWidget):
    """Lines of the sale: scanning the same product again adds one to its line; the selected line's quantity and
    discount are edited below the table; Delete removes it."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lines: list[CartLine] = []
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("saleLines")
        self.table.setHorizontalHeaderLabels(
            [self.tr("Item"), self.tr("Qty"), self.tr("Price"), self.tr("Discount"), self.tr("Amount")]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the cashier's keys stay in the amount field
        self.table.setMinimumHeight(self.table.verticalHeader().defaultSectionSize() * 5 + 30)  # five lines at least
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.quantity = QSpinBox()
        self.quantity.setObjectName("lineQuantity")
        self.quantity.setRange(1, MAX_QUANTITY)
        self.discount = QLineEdit()
        self.discount.setObjectName("lineDiscount")
        self.discount.setPlaceholderText("0.00")
        self.remove_button = QPushButton(self.tr("Remove line"))
        self.remove_button.setObjectName("removeLine")
        self.total_label = QLabel()
        self.total_label.setObjectName("linesTotal")
        self.keys = QLabel(self.tr("Scan into the amount field · F5 price lookup · F10 park · F12 recall"))
        self.keys.setObjectName("itemKeys")
        edit = QHBoxLayout()
        edit.addWidget(QLabel(self.tr("Quantity")))
        edit.addWidget(self.quantity)
        edit.addWidget(QLabel(self.tr("Line discount (yuan)")))
        edit.addWidget(self.discount)
        edit.addWidget(self.remove_button)
        edit.addStretch(1)
        edit.addWidget(self.total_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(edit)
        layout.addWidget(self.keys)
        self.quantity.valueChanged.connect(self._quantity_edited)
        self.discount.editingFinished.connect(self._discount_edited)
        self.remove_button.clicked.connect(self.remove_selected)
        self.table.itemSelectionChanged.connect(self._show_selected)
        self._refresh()

    # ------------------------------------------------------------------ reading
    @property
    def total_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)

    def current_row(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else len(self.lines) - 1

    # ------------------------------------------------------------------ changes
    def add_product(self, product: Product) -> None:
        """A scan: one more of the product (on its line when it has no discount), the line selected."""
        for i, line in enumerate(self.lines):
            if line.sku == product.sku and line.discount_fen == 0 and line.quantity < MAX_QUANTITY:
                self.lines[i] = replace(line, quantity=line.quantity + 1)
                self._set_row(i)
                self._select(i)
                self.changed.emit()
                return
        self.lines.append(CartLine.of(product))
        self.table.setRowCount(len(self.lines))
        self._set_row(len(self.lines) - 1)
        self._select(len(self.lines) - 1)
        self.changed.emit()

    def set_lines(self, lines: list[CartLine]) -> None:
        self.lines = list(lines)
        self._refresh()
        if self.lines:
            self._select(len(self.lines) - 1)
        self.changed.emit()

    def clear(self) -> None:
        self.set_lines([])

    def set_quantity(self, row: int, quantity: int) -> None:
        line = self.lines[row]
        quantity = max(1, min(MAX_QUANTITY, quantity))
        self.lines[row] = replace(
            line, quantity=quantity, discount_fen=min(line.discount_fen, quantity * line.unit_price_fen)
        )
        self._set_row(row)
        self.changed.emit()

    def set_discount(self, row: int, discount_fen: int) -> bool:
        line = self.lines[row]
        if not 0 <= discount_fen <= line.quantity * line.unit_price_fen:
            return False
        self.lines[row] = replace(line, discount_fen=discount_fen)
        self._set_row(row)
        self.changed.emit()
        return True

    def remove_selected(self) -> None:
        if not self.lines:
            return
        del self.lines[self.current_row()]
        self._refresh()
        if self.lines:
            self._select(len(self.lines) - 1)
        self.changed.emit()

    # ------------------------------------------------------------------ painting
    def _set_row(self, row: int) -> None:
        line = self.lines[row]
        name = line.name if line.participates else self.tr("%1 (no rebate)").replace("%1", line.name)
        cells = [name, str(line.quantity), yuan(line.unit_price_fen), yuan(line.discount_fen), yuan(line.amount_fen)]
        for column, text in enumerate(cells):
            item = self.table.item(row, column)
            if item is None:
                item = QTableWidgetItem()
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
            item.setText(text)
        self.total_label.setText(self.tr("Items: %1").replace("%1", yuan(self.total_fen)))

    def _refresh(self) -> None:
        self.table.setRowCount(len(self.lines))
        for row in range(len(self.lines)):
            self._set_row(row)
        self.total_label.setText(self.tr("Items: %1").replace("%1", yuan(self.total_fen)))
        self._show_selected()

    def _select(self, row: int) -> None:
        self.table.selectRow(row)
        item = self.table.item(row, 0)
        if item is not None:
            self.table.scrollToItem(item)

    def _show_selected(self) -> None:
        has = bool(self.lines)
        for w in (self.quantity, self.discount, self.remove_button):
            w.setEnabled(has)
        if not has:
            return
        line = self.lines[self.current_row()]
        self.quantity.blockSignals(True)
        self.quantity.setValue(line.quantity)
        self.quantity.blockSignals(False)
        self.discount.setText(yuan(line.discount_fen) if line.discount_fen else "")

    def _quantity_edited(self, value: int) -> None:
        if self.lines:
            self.set_quantity(self.current_row(), value)

    def _discount_edited(self) -> None:
        if not self.lines:
            return
        text = self.discount.text().strip()
        try:
            fen = parse_yuan(text) if text else 0
        except ValueError:
            fen = -1
        if not self.set_discount(self.current_row(), fen):
            self.discount.setStyleSheet("color: #b00020;")
            return
        self.discount.setStyleSheet("")


class PriceLookup(QDialog):
    """Price lookup (F5): type part of a name, SKU or barcode; Enter or double-click adds the product."""

    chosen = Signal(object)  # Product

    def __init__(self, index: CatalogueIndex, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Price lookup"))
        self.index = index
        self.query = QLineEdit()
        self.query.setObjectName("lookupQuery")
        self.query.setPlaceholderText(self.tr("Name, SKU or barcode"))
        self.results = QListWidget()
        self.results.setObjectName("lookupResults")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        add = buttons.addButton(self.tr("Add to sale"), QDialogButtonBox.ButtonRole.AcceptRole)
        add.setObjectName("lookupAdd")
        layout = QVBoxLayout(self)
        layout.addWidget(self.query)
        layout.addWidget(self.results, 1)
        layout.addWidget(buttons)
        self.query.textChanged.connect(self._search)
        self.query.returnPressed.connect(self._choose)
        self.results.itemDoubleClicked.connect(lambda _item: self._choose())
        add.clicked.connect(self._choose)
        buttons.rejected.connect(self.reject)

    def _search(self, text: str) -> None:
        self.results.clear()
        for p in self.index.search(text):
            flag = "" if p.participates else self.tr(" (no rebate)")
            item = QListWidgetItem(f"{p.name}{flag}   {yuan(p.price_fen)}   {p.sku}")
            item.setData(Qt.ItemDataRole.UserRole, p)
            self.results.addItem(item)
        if self.results.count():
            self.results.setCurrentRow(0)

    def _choose(self) -> None:
        item = self.results.currentItem()
        if item is None:
            return
        self.chosen.emit(item.data(Qt.ItemDataRole.UserRole))
        self.accept()

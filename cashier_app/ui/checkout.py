"""The checkout screen, keyboard first: scan or phone + Enter, amount + Enter. Esc clears the sale."""

from __future__ import annotations

import gc
from dataclasses import dataclass, replace

from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from shared.errors import Code
from shared.money import parse_yuan
from shared.tokens import PREFIX
from shared.wire import TenderPart, WalletTender

from ..core.catalogue import EMPTY, CartLine, CatalogueIndex
from ..core.checkout import TENDERS, MemberRef
from ..core.errors import TillError
from ..core.members import MemberView
from ..core.services import ParkedSale, SaleRecorded
from ..core.wallet import Hold, WalletError, WalletView, new_tender_key
from ..options import AMOUNT_FONT_PT
from .context import AppContext
from .pin_dialog import SalePinDialog
from .sale_lines import PriceLookup, SaleLinesTable
from .tender import TenderPanel, tender_summary
from .words import code_text, error_text, tender_text, wallet_kind_text, yuan


@dataclass(frozen=True)
class _HeldSale:
    total_fen: int
    deduction_fen: int
    tender: str
    member: MemberRef | None
    tenders: tuple[TenderPart, ...] = ()
    manager_pin: str | None = None  # typed in the PIN dialog when the amount is above the store's confirm amount
    lines: tuple[CartLine, ...] = ()
    park_id: int | None = None  # a recalled sale: it leaves the parked list when sold
    wallet_tenders: tuple[WalletTender, ...] = ()  # the holds the server granted (docs/wallet.md)
    wallet_left_fen: int | None = None


class MemberCard(QFrame):
    """Who is buying: masked name, level, waiting entries from the last snapshot."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("memberCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel()
        self.title.setObjectName("memberTitle")
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.wallet = QLabel()
        self.wallet.setObjectName("memberWallet")
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.details)
        layout.addWidget(self.wallet)
        self.show_member(None)

    def show_wallet(self, view: WalletView | None, *, member: bool = True) -> None:
        """The member's wallet as the server said it just now; "—" while it is not known (offline)."""
        if not member:
            self.wallet.setText("")
            return
        if view is None:
            self.wallet.setText(self.tr("Wallet: balance — · points — · vouchers —"))
            return
        vouchers = sum(v.value_fen for v in view.vouchers)
        self.wallet.setText(
            self.tr("Wallet: balance %1 · points %2 · vouchers %3 (%4)")
            .replace("%1", yuan(view.rebate_available_fen))
            .replace("%2", str(view.points_available))
            .replace("%3", str(len(view.vouchers)))
            .replace("%4", yuan(vouchers))
        )

    def show_member(self, view: MemberView | None) -> None:
        if view is None:
            self.title.setText(self.tr("Walk-in customer (no member)"))
            self.details.setText(self.tr("Scan the member code or type the phone number, then Enter."))
            self.show_wallet(None, member=False)
            return
        self.show_wallet(None)
        m = view.member
        if view.level_names is not None:  # the catalog's name in the till's language; the bare id otherwise
            level = view.level_names[0 if QLocale().language() == QLocale.Language.Chinese else 1]
        else:
            level = m.level or self.tr("no level")
        self.title.setText(self.tr("Member: %1  ·  %2").replace("%1", m.display_name).replace("%2", level))
        lines = []
        if view.pending_registration:
            lines.append(self.tr("Registered at this till, pending sync"))
        lines.append(self.tr("Points deduction: up to %1 (last sync)").replace("%1", yuan(view.points_fen)))
        if view.waiting:
            lines.append(self.tr("Waiting in the queue (last snapshot):"))
            for e in view.waiting[:5]:
                pos = self.tr("position %1").replace("%1", str(e.position)) if e.position else "—"
                lines.append(f"  #{e.seq}  {pos}  {yuan(e.paid_fen)} / {yuan(e.entitlement_fen)}")
        else:
            lines.append(self.tr("No waiting entries in the last snapshot."))
        self.details.setText("\n".join(lines))


class CheckoutPanel(QWidget):
    """The sale's form. Who the member is and the sale itself are read and written on the till's database thread
    (`ctx.pool`); the form waits for the answer, locked, and says "done" only once the sale is committed."""

    sale_done = Signal(object)  # Sale
    pending = Signal(int)  # events waiting to be sent, counted after the sale's commit
    unknown_phone = Signal(str)  # offer registration

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.member: MemberView | None = None
        self.last_unknown_phone = ""
        self.held: _HeldSale | None = None  # a sale confirmed before the signing key was loaded
        self.employee_id: str | None = None  # who sells (F11, ui/staff.py); None in a store without employees
        self.identifying = False  # a member code or phone number is being looked up
        self.confirm_waits = False  # Enter came while it was: the sale follows the answer
        self.saving = False  # the sale is being committed
        self.pin_dialog: SalePinDialog | None = None  # open while a large sale waits for the manager's PIN
        self._lookup = 0  # which lookup's answer counts: Esc makes a pending one stale
        self.catalogue: CatalogueIndex = EMPTY  # set after each sync that changed it (stores with items)
        self.park_id: int | None = None  # the parked sale recalled into the form
        self.items = SaleLinesTable()
        self.items.setVisible(False)

        self.scan = QLineEdit()
        self.scan.setObjectName("scan")
        self.scan.setPlaceholderText(self.tr("Scan member code / phone number"))
        self.card = MemberCard()
        self.amount = QLineEdit()
        self.amount.setObjectName("amount")
        self.amount.setPlaceholderText("0.00")
        self.deduction = QLineEdit()
        self.deduction.setObjectName("deduction")
        self.deduction.setPlaceholderText("0.00")
        self.tender = QComboBox()
        self.tender.setObjectName("tender")
        for t in TENDERS:
            self.tender.addItem(tender_text(t), t)
        self.to_pay = QLabel(yuan(0))
        self.to_pay.setObjectName("toPay")
        self.to_pay.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        big = QFont()
        big.setPointSize(self.ctx.options.get(AMOUNT_FONT_PT))
        big.setBold(True)
        self.to_pay.setFont(big)
        mid = QFont()
        mid.setPointSize(max(14, self.ctx.options.get(AMOUNT_FONT_PT) // 2))
        for w in (self.scan, self.amount, self.deduction, self.tender):
            w.setFont(mid)
        self.confirm_button = QPushButton(self.tr("Confirm sale (Enter)"))
        self.confirm_button.setObjectName("confirm")
        self.confirm_button.setFont(mid)
        self.tendering = TenderPanel(font_pt=self.ctx.options.get(AMOUNT_FONT_PT))  # ui/tender.py
        self.tendering.confirm_requested.connect(self.confirm)
        self.tendering.wallet_requested.connect(self.ask_hold)
        self.wallet_view: WalletView | None = None
        self.wallet_asking = False  # a hold is being asked for
        self._wallet_key: str | None = None  # the tender's idempotency key, kept for its retries
        self._wallet_gen = 0  # which member's wallet answers count: Esc or another member makes one stale
        self.message = QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.setFont(mid)

        form = QFormLayout()
        form.addRow(self.tr("Member"), self.scan)
        form.addRow(self.tr("Amount (yuan)"), self.amount)
        form.addRow(self.tr("Points deduction (yuan)"), self.deduction)
        form.addRow(self.tr("Tender (Ctrl+1…4)"), self.tender)
        pay_row = QHBoxLayout()
        pay_row.addWidget(QLabel(self.tr("To pay")))
        pay_row.addWidget(self.to_pay, 1)
        # two columns for a landscape till screen (1366×768 is common): who and what on the left, the money on the
        # right, so the amount to pay, the change and the keypad are on screen together
        left = QVBoxLayout()
        left.addWidget(self.card)
        left.addWidget(self.items, 1)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addLayout(form)
        right.addLayout(pay_row)
        right.addWidget(self.tendering)
        right.addWidget(self.confirm_button)
        right.addWidget(self.message)
        right.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addLayout(right, 1)

        self.scan.returnPressed.connect(self.on_scan)
        self.scan.editingFinished.connect(self._scan_left)  # Tab or a click away resolves the member as Enter does
        self.amount.returnPressed.connect(self.confirm)
        self.deduction.returnPressed.connect(self.confirm)
        self.amount.textChanged.connect(self._update_to_pay)
        self.deduction.textChanged.connect(self._update_to_pay)
        self.confirm_button.clicked.connect(self.confirm)
        self.items.changed.connect(self._update_to_pay)
        QShortcut(QKeySequence(Qt.Key.Key_F5), self, self.open_price_lookup)
        QShortcut(QKeySequence(Qt.Key.Key_F10), self, self.park)
        QShortcut(QKeySequence(Qt.Key.Key_F12), self, self.recall)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.clear_sale)
        for i in range(len(TENDERS)):
            QShortcut(QKeySequence(f"Ctrl+{i + 1}"), self, lambda i=i: self.tender.setCurrentIndex(i))
        self.scan.setFocus()

    # ------------------------------------------------------------------ flow
    def say(self, text: str, *, error: bool = False) -> None:
        self.message.setProperty("error", error)
        self.message.setStyleSheet("color: #b00020;" if error else "color: #1b5e20;")
        self.message.setText(text)

    @property
    def busy(self) -> bool:
        return self.identifying or self.saving or self.held is not None

    def on_scan(self) -> None:
        if self.busy:
            return
        text = self.scan.text().strip()
        self.scan.clear()
        if not text:  # Enter on an empty field: a walk-in sale
            self.amount.setFocus()
            return
        self.amount.setFocus()  # at once: the amount typed while the member is looked up goes where it belongs
        self.identify_text(text)

    def _scan_left(self) -> None:
        if self.scan.text().strip():
            self.on_scan()

    def identify_text(self, text: str) -> None:
        """Look the member up on the database thread; the amount may be typed meanwhile (not Enter: it waits)."""
        self.identifying = True
        self._lookup += 1
        services, lookup = self.ctx.services, self._lookup
        self.ctx.run(
            lambda: services.identify(text=text),
            on_done=lambda view: self._identified(view) if lookup == self._lookup else None,
            on_failed=lambda exc: self._not_identified(text, exc) if lookup == self._lookup else None,
            owner=self,
        )

    def _identified(self, view: MemberView) -> None:
        self.identifying = False
        self.set_member(view)
        self.say(self.tr("Member recognised: %1").replace("%1", view.member.display_name))
        if self.confirm_waits:
            self.confirm_waits = False
            self._lock(False)
            self.confirm()

    def _not_identified(self, text: str, exc: Exception) -> None:
        self.identifying = False
        self.set_member(None)
        if self.confirm_waits:  # the cashier meant a member's sale: never record it as a walk-in's
            self.confirm_waits = False
            self._lock(False)
        code = exc.code if isinstance(exc, TillError) else Code.LOCAL_DATABASE
        if code == Code.UNKNOWN_PHONE:
            self.last_unknown_phone = text
            self.unknown_phone.emit(text)
        self.say(code_text(code), error=True)
        self.scan.setFocus()

    def set_member(self, view: MemberView | None) -> None:
        holds = self.tendering.wallet_holds
        if holds and view is not None and any(h.member_id != view.member.member_id for h in holds):
            self._release(list(holds))  # another member now: the first one's wallet pays nothing of this sale
            self.tendering.clear_holds()
        self.member = view
        self.card.show_member(view)
        self._wallet_gen += 1
        self.wallet_view = None
        self.tendering.set_wallet(None)
        if view is not None and not view.pending_registration:
            self._fetch_wallet(view.member.member_id)

    # ------------------------------------------------------------------ the member's wallet (docs/wallet.md)
    def _fetch_wallet(self, member_id: str) -> None:
        """Read what the member can spend, on the wallet's network thread; "—" when the server cannot say."""
        wallet, gen = self.ctx.wallet, self._wallet_gen
        if wallet is None:
            return
        self.ctx.run_net(
            lambda: wallet.wallet(member_id=member_id),
            on_done=lambda view: self._wallet_read(view) if gen == self._wallet_gen else None,
            on_failed=lambda _exc: None,  # stays "—": a wallet tender will say why when asked
            owner=self,
        )

    def _wallet_read(self, view: WalletView) -> None:
        self.wallet_view = view
        self.card.show_wallet(view)
        self.tendering.set_wallet(view)

    def ask_hold(self, kind: str, amount_fen: int, voucher_id: int | None, payment_code: str) -> None:
        """A wallet tender: the server checks the member's payment code and reserves the amount (one round trip,
        off the UI thread). Offline it is refused (`wallet_offline`); every other tender keeps working."""
        if self.busy or self.wallet_asking:
            return
        if self.member is None:
            self.say(code_text(Code.DEDUCTION_NEEDS_MEMBER), error=True)
            return
        wallet = self.ctx.wallet
        if wallet is None:
            self.say(code_text(Code.WALLET_OFFLINE), error=True)
            return
        rest = self.tendering.rest_fen
        if kind != "voucher" and (rest is None or amount_fen > rest):  # never ask for more than is still due
            self.say(code_text(Code.TENDER_EXCEEDS_DUE), error=True)
            return
        if not payment_code:
            self.say(code_text(Code.CONSENT_REQUIRED), error=True)
            self.tendering.wallet_code.setFocus()
            return
        if self._wallet_key is None:
            self._wallet_key = new_tender_key()
        key, member_id, gen = self._wallet_key, self.member.member.member_id, self._wallet_gen
        self.wallet_asking = True
        self.say(self.tr("Asking the server for the wallet tender…"))
        self.ctx.run_net(
            lambda: wallet.hold(
                member_id=member_id,
                kind=kind,
                amount_fen=amount_fen or None,
                voucher_id=voucher_id,
                key=key,
                payment_code=payment_code,
            ),
            on_done=lambda hold: self._held(hold, gen),
            on_failed=lambda exc: self._not_held(exc, gen),
            owner=self,
        )

    def _held(self, hold: Hold, gen: int) -> None:
        self.wallet_asking = False
        self._wallet_key = None
        if gen != self._wallet_gen:  # the sale was cleared (or the member changed) meanwhile: give it back
            self._release([hold])
            return
        self.tendering.add_hold(hold)
        self.say(
            self.tr("Wallet tender held: %1 %2")
            .replace("%1", wallet_kind_text(hold.kind))
            .replace("%2", yuan(hold.amount_fen))
        )
        self.tendering.received.setFocus()

    def _not_held(self, exc: Exception, gen: int) -> None:
        self.wallet_asking = False
        code = exc.code if isinstance(exc, WalletError) else Code.WALLET_OFFLINE
        if code != Code.WALLET_OFFLINE:  # a definite answer: the next try is a new tender
            self._wallet_key = None
        if gen == self._wallet_gen:
            self.say(code_text(code), error=True)
            self.tendering.wallet_code.setFocus()
            self.tendering.wallet_code.selectAll()

    def _release(self, holds: list[Hold]) -> None:
        """Give abandoned holds back (off the UI thread); one the server cannot hear of expires by itself."""
        wallet = self.ctx.wallet
        if wallet is None:
            return
        for hold in holds:
            hold_id = hold.hold_id

            def release(hold_id: str = hold_id) -> None:
                wallet.release(hold_id=hold_id)

            self.ctx.run_net(
                release,
                on_done=lambda _none: None,
                on_failed=lambda _exc: self.say(self.tr("The wallet tender could not be given back now: it expires.")),
                owner=self,
            )

    def _parse(self, edit: QLineEdit) -> int:
        text = edit.text().strip()
        return parse_yuan(text) if text else 0

    def _update_to_pay(self) -> None:
        try:
            total = self.items.total_fen if self.items.lines else self._parse(self.amount)
            deduction = self._parse(self.deduction)
        except ValueError:
            self.to_pay.setText("—")
            self.tendering.set_due(None)
            return
        self.to_pay.setText(yuan(max(0, total - deduction)))
        self.tendering.set_due(max(0, total - deduction))

    def confirm(self) -> None:
        if self.held is not None or self.saving or self.confirm_waits or self.pin_dialog is not None:  # on its way
            return
        if self.wallet_asking:  # a wallet tender is on its way: the sale waits for its answer
            self.say(self.tr("Asking the server for the wallet tender…"))
            return
        if self.amount.text().strip().startswith(PREFIX + "."):
            # the scanner typed into the amount field: treat it as a scan, not as money
            text = self.amount.text()
            self.amount.clear()
            if not self.identifying:
                self.identify_text(text)
            return
        if self.scan_item(self.amount.text()):
            return
        if self.scan.text().strip() and not self.identifying:  # member input never resolved: never a walk-in's
            self.on_scan()
        if self.identifying:  # Enter right after a scan: the sale waits for the member, the form is locked
            self.confirm_waits = True
            self._lock(True)
            return
        try:
            total = self.items.total_fen if self.items.lines else self._parse(self.amount)
            deduction = self._parse(self.deduction)
        except ValueError:
            self.say(code_text(Code.INVALID_AMOUNT), error=True)
            self.amount.setFocus()
            self.amount.selectAll()
            return
        try:
            tenders = self.tendering.settle(due_fen=max(0, total - deduction), rest_kind=str(self.tender.currentData()))
        except TillError as exc:
            self.say(error_text(exc), error=True)
            return
        except ValueError:
            self.say(code_text(Code.INVALID_AMOUNT), error=True)
            self.tendering.received.setFocus()
            self.tendering.received.selectAll()
            return
        holds = self.tendering.wallet_holds
        if holds and deduction:
            self.say(self.tr("With a wallet tender, points are paid from the wallet: clear the deduction."), error=True)
            return
        left = None
        if self.wallet_view is not None:
            left = self.wallet_view.rebate_available_fen - sum(h.amount_fen for h in holds if h.kind == "rebate")
        held = _HeldSale(
            total,
            deduction,
            str(self.tender.currentData()),
            self.member.member if self.member else None,
            tenders=tuple(tenders) if total > deduction else (),
            lines=tuple(self.items.lines),
            park_id=self.park_id,
            wallet_tenders=tuple(h.tender() for h in holds),
            wallet_left_fen=left if holds else None,
        )
        if self.ctx.signer is None:
            self._hold(held)
            return
        self._record(held)

    def _hold(self, held: _HeldSale) -> None:
        """At start-up the till's signing key is read from the OS keyring on the sync worker's thread, after the
        window is shown. A sale confirmed before it arrives is kept, as typed, with the form locked; `key_ready`
        records it. Nothing is shown as done before the commit, and the UI thread never waits for the keyring."""
        self.held = held
        self._lock(True)
        self.say(self.tr("Starting up: this sale is recorded as soon as the till's key is loaded (Esc cancels)."))

    def key_ready(self) -> None:
        """The signing key is here (`ctx.signer` is set): record the sale that waited for it, if any."""
        held, self.held = self.held, None
        if held is not None:
            self._record(held)

    def _lock(self, locked: bool) -> None:
        for edit in (self.scan, self.amount, self.deduction):
            edit.setReadOnly(locked)
        self.tender.setEnabled(not locked)
        self.tendering.set_locked(locked)
        self.confirm_button.setEnabled(not locked)

    def _record(self, held: _HeldSale) -> None:
        """Commit the sale on the database thread (durable when it answers), the form locked meanwhile."""
        signer = self.ctx.signer
        assert signer is not None
        self.saving = True
        self._lock(True)
        services = self.ctx.services
        self.ctx.run(
            lambda: services.sell(
                member=held.member,
                total_fen=held.total_fen,
                deduction_points_fen=held.deduction_fen,
                tender=held.tender,
                tenders=held.tenders,
                employee_id=self.employee_id,
                signer=signer,
                manager_pin=held.manager_pin,
                lines=held.lines,
                park_id=held.park_id,
                wallet_tenders=held.wallet_tenders,
                wallet_left_fen=held.wallet_left_fen,
            ),
            on_done=lambda recorded: self._recorded(held, recorded),
            on_failed=lambda exc: self._not_recorded(exc, held),
            owner=self,
        )

    def _recorded(self, held: _HeldSale, recorded: SaleRecorded) -> None:
        self.saving = False
        self._lock(False)
        sale = recorded.sale
        # Only now, after the commit, is the sale shown as done.
        self.say(
            self.tr("Sale %1 done: %2 by %3")
            .replace("%1", str(sale.receipt_no))
            .replace("%2", yuan(sale.paid_fen))
            .replace("%3", tender_summary(held.tenders, held.tender))
        )
        self._reset_form()
        self.tendering.show_sale(sale)
        self.sale_done.emit(sale)
        if recorded.pending is not None:
            self.pending.emit(recorded.pending)

    def _not_recorded(self, exc: Exception, held: _HeldSale | None = None) -> None:
        """Refused (CheckoutError) or not written (disk full, database locked too long): nothing was recorded, the
        form keeps the sale as typed. A large sale asks for the manager's PIN, then is recorded with it."""
        self.saving = False
        self._lock(False)
        if isinstance(exc, TillError) and exc.code == Code.MANAGER_PIN_NEEDED and held is not None:
            self._ask_pin(held)
            return
        if isinstance(exc, TillError):
            self.say(error_text(exc), error=True)
        else:  # a bug: say that the sale is not recorded, with what failed
            self.say(code_text(Code.SALE_NOT_SAVED) + f" ({type(exc).__name__})", error=True)
        self.amount.setFocus()

    def _ask_pin(self, held: _HeldSale) -> None:
        self.pin_dialog = dialog = SalePinDialog(held.total_fen, self)
        self.say(code_text(Code.MANAGER_PIN_NEEDED))

        def done(result: int) -> None:
            self.pin_dialog = None
            if result == SalePinDialog.DialogCode.Accepted:
                self._record(replace(held, manager_pin=dialog.pin()))
            else:
                self.say(self.tr("Not recorded: the manager's PIN was not given."), error=True)
                self.amount.setFocus()
            dialog.deleteLater()

        dialog.finished.connect(done)
        dialog.open()

    def clear_sale(self) -> None:
        if self.saving:  # the sale is being committed: Esc cannot stop it, its answer comes in milliseconds
            return
        if self.confirm_waits:  # Enter came during the lookup: the sale is not made
            self.confirm_waits = False
            self._lock(False)
        if self.held is not None:  # Esc while the sale waits for the key: it is not recorded
            self.held = None
            self._lock(False)
        if self.identifying:  # Esc while a member is looked up: the answer no longer counts
            self.identifying = False
            self._lookup += 1
        holds = list(self.tendering.wallet_holds)
        self._reset_form()  # a hold still being asked for is released when its answer comes (stale)
        self._wallet_key = None
        self._release(holds)
        if holds:
            self.say(self.tr("Sale cleared. The wallet tender was given back."))
        else:
            self.say(self.tr("Sale cleared."))

    def _reset_form(self) -> None:
        self.items.clear()
        self.park_id = None
        self.set_member(None)
        self.scan.clear()
        self.amount.clear()
        self.deduction.clear()
        self.tendering.reset()  # after set_member: the wallet's kinds are the walk-in's
        self.tender.setCurrentIndex(0)
        self.scan.setFocus()

    # ------------------------------------------------------------------ items (stores with a catalogue)
    def set_catalogue(self, index: CatalogueIndex) -> None:
        self.catalogue = index
        # 50,000 products are some 150,000 long-lived objects: a full collection walking them all took tens of
        # milliseconds in the middle of a scan (benchmarks/scan.py). They hold no cycles; keep them out of its walks.
        gc.freeze()
        self.items.setVisible(index.enabled or bool(self.items.lines))

    def scan_item(self, text: str) -> bool:
        """A barcode typed into the amount field by the scanner (or by hand) adds its product; True when the text
        was a barcode (added, or refused as unknown), False when it is an amount."""
        code = text.strip()
        if not code or not self.catalogue.enabled:
            return False
        product = self.catalogue.by_barcode.get(code)
        if product is None:
            if code.isdigit() and len(code) >= 8:  # a barcode, not a price: no amount has eight digits of yuan
                self.amount.selectAll()
                self.say(code_text(Code.UNKNOWN_PRODUCT), error=True)
                return True
            return False
        self.items.add_product(product)
        self.amount.clear()
        self.say(self.tr("%1  %2").replace("%1", product.name).replace("%2", yuan(product.price_fen)))
        return True

    def open_price_lookup(self) -> None:
        if not self.catalogue.enabled or self.busy:
            return
        dialog = PriceLookup(self.catalogue, self)
        dialog.setObjectName("priceLookup")
        dialog.chosen.connect(self.items.add_product)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        self.lookup_dialog = dialog

    def park(self) -> None:
        """Put the sale aside (F10) to serve the next customer; nothing is sold or sent."""
        if self.busy or not self.items.lines:
            return
        member = self.member.member if self.member else None
        lines, replaces = list(self.items.lines), self.park_id
        services = self.ctx.services
        self.ctx.run(
            lambda: services.park(member=member, lines=lines, replaces=replaces),
            on_done=self._parked,
            on_failed=lambda exc: self.say(error_text(exc), error=True),
            owner=self,
        )

    def _parked(self, park_id: int) -> None:
        holds = list(self.tendering.wallet_holds)
        self._reset_form()
        self._release(holds)  # a parked sale holds nothing: the wallet is asked again when it is recalled
        self.say(self.tr("Sale parked (no. %1). F12 recalls it.").replace("%1", str(park_id)))

    def recall(self) -> None:
        """Bring back the oldest parked sale (F12); parking it again sends it to the end of the list."""
        if self.busy:
            return
        if self.items.lines:
            self.say(self.tr("Park (F10) or clear (Esc) this sale first."), error=True)
            return
        self.ctx.run(
            self.ctx.services.parked,
            on_done=self._recalled,
            on_failed=lambda exc: self.say(error_text(exc), error=True),
            owner=self,
        )

    def _recalled(self, parked: list[ParkedSale]) -> None:
        if not parked or self.items.lines:
            if not parked:
                self.say(code_text(Code.NOTHING_PARKED), error=True)
            return
        sale = parked[0]
        self.park_id = sale.park_id
        self.set_member(MemberView(sale.member) if sale.member else None)
        self.items.set_lines(list(sale.lines))
        self.items.setVisible(True)
        self.amount.setFocus()
        self.say(
            self.tr("Parked sale no. %1 recalled: %2")
            .replace("%1", str(sale.park_id))
            .replace("%2", yuan(sale.total_fen))
        )

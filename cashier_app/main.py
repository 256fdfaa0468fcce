"""`paidui-cashier`: compose the app (options, translations, database, credentials, sync worker, windows) and run.

paidui-cashier [--server URL] [--data-dir DIR] [--lang zh_CN|en] [--enroll-code CODE --manager-pin PIN]
               [--escpos tcp://host:9100|/dev/usb/lp0|file:///path]
paidui-cashier --self-test      start offscreen, open the main window, exit 0 (used by packaging)
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .core.clock import system_clock
from .core.credentials import (
    CredentialStore,
    CredentialStoreUnavailable,
    InsecureFileStore,
    KeyringStore,
    MemoryStore,
    Secrets,
    SecretsMissing,
)
from .core.db import UnitOfWork, kv_set, make_engine, reading
from .core.migrate import DatabaseTooNew, MigrationRefused, migrate
from .core.printers import PrinterError, open_printer
from .core.terminal import TerminalInfo, enroll, load_terminal, signer_for
from .options import CUSTOMER_WINDOW, LANGUAGE, SYNC_INTERVAL_S, SYNC_TIMEOUT_S, Options

if TYPE_CHECKING:
    import httpx
    from PySide6.QtCore import QCoreApplication
    from sqlalchemy import Engine

    from .ui.main_window import MainWindow

log = logging.getLogger("paidui.cashier")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="paidui-cashier", description="Paidui cashier (排队返利 point of sale)")
    p.add_argument("--server", help="server address, e.g. http://127.0.0.1:8000")
    p.add_argument("--data-dir", type=Path, help="where the local database and settings live")
    p.add_argument("--lang", choices=["zh_CN", "en"], help="interface language (default: Simplified Chinese)")
    p.add_argument("--enroll-code", help="enrol non-interactively with this one-time code (needs --server)")
    p.add_argument("--manager-pin", help="the manager PIN to set at enrolment (4-12 digits)")
    p.add_argument("--till-name", default="Till 1")
    p.add_argument("--force-migrate", action="store_true", help="migrate even while unsent sales wait (backed up)")
    p.add_argument(
        "--insecure-credential-file",
        action="store_true",
        help="DEMO ONLY, on a machine without an OS keyring: keep the credential in a plain file",
    )
    p.add_argument("--no-customer-window", action="store_true")
    p.add_argument(
        "--escpos",
        metavar="URL",
        type=_printer_target,
        help="ESC/POS receipt printer for this run: tcp://host:9100, /dev/usb/lp0 or file:///path "
        '("" for none); default: the escpos/printer setting',
    )
    p.add_argument("--self-test", action="store_true", help="start offscreen, open the main window, exit 0")
    return p.parse_args(argv)


def _printer_target(text: str) -> str:
    if text.strip():
        try:
            open_printer(text)
        except PrinterError as exc:
            raise argparse.ArgumentTypeError(
                f"not a printer address ({exc.detail}); use tcp://host:9100, /dev/usb/lp0 or file:///path"
            ) from None
    return text


def default_data_dir() -> Path:
    from PySide6.QtCore import QStandardPaths

    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))


def secrets_store(data_dir: Path, *, insecure: bool) -> CredentialStore:
    try:
        return KeyringStore(data_dir)
    except CredentialStoreUnavailable:
        if not insecure:
            raise
        return InsecureFileStore(data_dir / "INSECURE-terminal-credential.json")


def http_factory(server_url: str, timeout_s: float) -> httpx.Client:
    import httpx  # on the sync worker's thread at an ordinary start: not on the way to the checkout screen

    return httpx.Client(base_url=server_url, timeout=httpx.Timeout(timeout_s, connect=3.0))


def _fail(app: object, title: str, text: str, *, interactive: bool) -> int:
    print(f"{title}: {text}", file=sys.stderr)
    if interactive:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.critical(None, title, text)
    return 2


def _quit_on_signals(app: QCoreApplication) -> None:
    """Ctrl-C in a terminal, or SIGTERM from the demo or a service manager, closes the app as its window would
    (the sync worker stops, the database is closed). Python sees a signal only when it runs: the timer wakes it."""
    from PySide6.QtCore import QTimer

    # SIGBREAK: what Windows delivers for Ctrl+Break, and what the demo sends to stop the app there.
    for sig in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGBREAK", None)):
        if sig is not None:
            signal.signal(sig, lambda *_: app.quit())
    heartbeat = QTimer(app)  # owned by the application: lives as long as it
    heartbeat.timeout.connect(lambda: None)
    heartbeat.start(250)


def main(argv: list[str] | None = None) -> int:
    """Console entry point."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.self_test:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    from .ui.i18n import install_translators

    app = QApplication.instance() or QApplication(sys.argv[:1])
    if not isinstance(app, QApplication):  # a bare QCoreApplication made before us cannot show windows
        raise RuntimeError("the cashier app needs a QApplication")
    app.setOrganizationName("Paidui")
    app.setApplicationName("paidui-cashier")
    from PySide6.QtGui import QIcon

    app.setWindowIcon(QIcon(str(Path(__file__).resolve().parent / "resources" / "paidui-cashier.png")))
    interactive = not args.self_test
    data_dir: Path = args.data_dir or (
        Path(tempfile.mkdtemp(prefix="paidui-selftest-")) if args.self_test else default_data_dir()
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    options = Options(data_dir)
    language = args.lang or options.get(LANGUAGE)
    install_translators(app, language)  # the translators are children of the app: they live as long as it
    title = app.translate("Main", "Paidui cashier")

    db_path = data_dir / "paidui-cashier.db"
    try:
        result = migrate(db_path, force=args.force_migrate)
    except MigrationRefused as exc:
        return _fail(
            app,
            title,
            app.translate(
                "Main",
                "The database needs an upgrade but %1 sales are not synced "
                "yet. Sync first, or start with --force-migrate (a backup is "
                "made).",
            ).replace("%1", str(exc.pending)),
            interactive=interactive,
        )
    except DatabaseTooNew as exc:
        return _fail(
            app,
            title,
            app.translate(
                "Main",
                "This database was written by a newer version of the "
                "cashier app (revision %1). Install that version again; nothing "
                "was changed.",
            ).replace("%1", exc.current),
            interactive=interactive,
        )
    if result.backup:
        log.info("database migrated %s -> %s; backup at %s", result.before, result.after, result.backup)
    engine = make_engine(db_path)
    try:
        code = _run(app, args, engine=engine, db_path=db_path, data_dir=data_dir, options=options, title=title)
    finally:
        engine.dispose()
    if args.self_test:
        if args.data_dir is None:
            shutil.rmtree(data_dir, ignore_errors=True)
        print(f"self-test ok: Qt {__import__('PySide6').__version__}, language {language}, data {data_dir}")
    return code


def _keyring_refused(app: QCoreApplication, title: str, exc: Exception, *, interactive: bool) -> int:
    return _fail(
        app,
        title,
        app.translate(
            "Main",
            "This computer has no secure credential store (OS keyring), so the till's credential "
            "cannot be kept safely. Install or unlock a keyring (e.g. GNOME Keyring / KWallet) and start "
            "again. Details: %1",
        ).replace("%1", str(exc)),
        interactive=interactive,
    )


def _run(
    app: QCoreApplication,
    args: argparse.Namespace,
    *,
    engine: Engine,
    db_path: Path,
    data_dir: Path,
    options: Options,
    title: str,
) -> int:
    """Enrol if need be, then run the till until it is closed.

    At an ordinary start (enrolled) the window comes first: the secrets are read by the sync worker, on its thread,
    and a sale waits for the signing key that comes with them. If they turn out to be missing, the till enrols again
    (as a first start would) and opens anew; if the keyring cannot be used, the till closes with the reason.
    """
    interactive = not args.self_test
    with reading(engine) as conn:
        info = load_terminal(conn)
    secrets: Secrets | None = None  # read on this thread only at enrolment and in the self-test
    if args.self_test:
        store = MemoryStore()
        from shared.ids import StoreId, TerminalId
        from shared.tokens import new_private_key, private_key_bytes

        terminal, store_id = TerminalId("selftest"), StoreId("selftest")
        store.save(Secrets(terminal, store_id, "-", private_key_bytes(new_private_key())))
        info = TerminalInfo(terminal, store_id, "http://127.0.0.1:9", "self-test")
        with UnitOfWork(engine) as uow:
            kv_set(uow.conn, "terminal", info.__dict__)
            uow.commit()
        secrets = store.load()
    _quit_on_signals(app)
    while True:
        if info is None:
            try:
                enrolled = _enrol(args, engine=engine, data_dir=data_dir)
            except CredentialStoreUnavailable as exc:
                return _keyring_refused(app, title, exc, interactive=interactive)
            if enrolled is None:
                return 1
            info, secrets = enrolled
        window, code = _run_till(
            app, args, engine=engine, db_path=db_path, data_dir=data_dir, options=options, info=info, secrets=secrets
        )
        problem = window.credential_error
        if problem is None:
            return code
        if isinstance(problem, SecretsMissing):
            log.warning("this till's secrets are not in the keyring (%s): enrolling again", problem)
            info = secrets = None
            continue
        return _keyring_refused(app, title, problem, interactive=interactive)


def _enrol(args: argparse.Namespace, *, engine: Engine, data_dir: Path) -> tuple[TerminalInfo, Secrets] | None:
    """First start (or secrets lost): enrol with a one-time code; None if the cashier closed the dialog."""
    store = secrets_store(data_dir, insecure=args.insecure_credential_file)

    def do_enroll(server: str, code: str, name: str, pin: str) -> TerminalInfo:
        from .core.sync_client import SyncClient

        with http_factory(server, 15.0) as http:
            return enroll(
                engine=engine,
                secrets_store=store,
                client=SyncClient(http),
                server_url=server,
                code=code,
                name=name,
                manager_pin=pin,
            )

    if args.enroll_code and args.server:
        info = do_enroll(args.server, args.enroll_code, args.till_name, args.manager_pin)
    else:
        from .ui.enroll_dialog import EnrollDialog

        dialog = EnrollDialog(do_enroll, args.server or "")
        if dialog.exec() != EnrollDialog.DialogCode.Accepted or dialog.info is None:
            return None
        info = dialog.info
    secrets = store.load()
    assert secrets is not None
    return info, secrets


def _run_till(
    app: QCoreApplication,
    args: argparse.Namespace,
    *,
    engine: Engine,
    db_path: Path,
    data_dir: Path,
    options: Options,
    info: TerminalInfo,
    secrets: Secrets | None,
) -> tuple[MainWindow, int]:
    from .core.services import TillServices
    from .sync_worker import SyncController, SyncWorker
    from .ui.context import AppContext
    from .ui.customer_window import CustomerWindow
    from .ui.main_window import MainWindow

    clock = system_clock
    ctx = AppContext(
        services=TillServices(engine=engine, clock=clock),
        info=info,
        signer=signer_for(info, secrets, clock) if secrets else None,
        clock=clock,
        options=options,
        data_dir=data_dir,
    )
    controller = None
    if not args.self_test:
        server, insecure = info.server_url, args.insecure_credential_file
        timeout = float(options.get(SYNC_TIMEOUT_S))
        from .core.wallet import WalletService

        ctx.wallet = WalletService(
            lambda: http_factory(server, timeout), credential=secrets.credential if secrets else None
        )

        def load_secrets() -> Secrets | None:  # on the worker's thread: the keyring's I/O stays off the UI thread
            return secrets_store(data_dir, insecure=insecure).load()

        worker = SyncWorker(
            db_path=db_path,
            http_factory=lambda: http_factory(server, timeout),
            credential=secrets.credential if secrets else None,
            load_secrets=None if secrets else load_secrets,
            clock=clock,
            interval_s=float(options.get(SYNC_INTERVAL_S)),
        )
        controller = SyncController(worker)
    customer = None
    if options.get(CUSTOMER_WINDOW) and not args.no_customer_window:
        customer = CustomerWindow()
    window = MainWindow(ctx, customer=customer, sync=controller, escpos=args.escpos)
    window.credential_failed.connect(lambda _exc: app.exit(3))
    if customer is not None:  # it greets with the store's name once read (MainWindow), never with the till's
        customer.show()
    window.show()
    if controller is not None:
        controller.start()
    if args.self_test:
        from PySide6.QtCore import QTimer

        QTimer.singleShot(200, app.quit)
    try:
        code = app.exec()
    finally:
        if controller is not None:
            controller.stop()
        window.close()
        ctx.pool.waitForDone(30_000)  # a sale, refund or report still on the database thread finishes first
    return window, int(code)


if __name__ == "__main__":
    sys.exit(main())

"""Cold start: the checkout window comes first. Alembic only when the schema is behind; the keyring, httpx and the
sync client on the sync worker's thread; a sale confirmed before the signing key is loaded is recorded when it
arrives, and only then shown as done."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from cashier_app.core.credentials import CredentialStoreUnavailable, Secrets
from cashier_app.core.db import orders, reading
from cashier_app.core.migrate import head_revision, migrate, upgrade_to
from cashier_app.core.services import TillServices
from cashier_app.migrations.head import HEAD_REVISION
from cashier_app.options import Options
from cashier_app.sync_worker import SecretsLoader, SyncController, SyncWorker
from cashier_app.ui.context import AppContext
from cashier_app.ui.main_window import MainWindow
from shared.tokens import Purpose, public_key_from_text, verify
from tests.faults.powercut import make_till

from .conftest import Till

ROOT = Path(__file__).resolve().parents[2]
WATCHED = ("alembic", "httpx", "keyring", "secretstorage")


def test_recorded_head_is_alembics_head() -> None:
    """migrations/head.py lets a start on a current database skip Alembic: it must name Alembic's real head."""
    assert head_revision() == HEAD_REVISION, "a migration was added: set HEAD_REVISION in migrations/head.py"


def test_the_shortcut_still_migrates_an_older_database(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    upgrade_to(path, "0001")
    assert migrate(path).after == HEAD_REVISION
    con = sqlite3.connect(path)
    assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD_REVISION,)]
    con.close()


SELF_TEST = r"""
import json, sys
from cashier_app.main import main
code = main(["--self-test", "--data-dir", sys.argv[1]])
print(json.dumps({"code": code, "imported": sorted(m for m in WATCHED if m in sys.modules)}))
""".replace("WATCHED", repr(WATCHED))


def self_test(data: Path) -> dict[str, object]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", SELF_TEST, str(data)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_a_start_on_a_current_database_imports_neither_alembic_nor_httpx_nor_keyring(tmp_path: Path) -> None:
    data = tmp_path / "till"
    data.mkdir()
    migrate(data / "paidui-cashier.db")
    assert self_test(data) == {"code": 0, "imported": []}
    # the control: a database still to be made needs Alembic, and the check above would have seen it
    assert self_test(tmp_path / "new") == {"code": 0, "imported": ["alembic"]}


# A till's ordinary start in a child process: which thread first imports each watched module, and a sale typed the
# moment the checkout is usable. The credential lives in the demo file store (no keyring on a test machine).
ORDINARY_START = r"""
import json, sys, threading
WATCHED = WATCHED_NAMES
first_import = {}
class Spy:
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in WATCHED and top not in first_import:
            first_import[top] = "ui" if threading.current_thread() is threading.main_thread() else "worker"
        return None
sys.meta_path.insert(0, Spy())
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
seen = {"held": None, "done": None, "modal": []}

def tick():
    modal = app.activeModalWidget()
    if modal is not None:  # an error message or the enrolment dialog: note it and close it, as a cashier would
        seen["modal"].append(type(modal).__name__)
        modal.close()
    windows = [w for w in app.topLevelWidgets() if type(w).__name__ == "MainWindow" and w.isVisible()]
    if not windows or sys.argv[1] != "sell":
        return
    panel = windows[0].checkout
    if seen["held"] is None:
        panel.amount.setText("12.34")
        panel.confirm()
        seen["held"] = panel.held is not None
    elif "Sale 1 done" in panel.message.text() and seen["done"] is None:
        seen["done"] = panel.message.text()
        app.quit()

timer = QTimer()
timer.timeout.connect(tick)
timer.start(5)
from cashier_app.main import main
code = main(sys.argv[2:])
print(json.dumps({"code": code, "first_import": first_import, **seen}))
""".replace("WATCHED_NAMES", repr(WATCHED))


def ordinary_start(data: Path, *args: str, sell: bool) -> dict[str, object]:
    # keyring's "no keyring" backend, named: the same on every machine, whatever keyring it has
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            ORDINARY_START,
            "sell" if sell else "-",
            "--data-dir",
            str(data),
            "--lang",
            "en",
            "--no-customer-window",
            *args,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "stderr": done.stderr}


def test_an_ordinary_start_reads_the_keyring_and_imports_httpx_off_the_ui_thread(tmp_path: Path) -> None:
    data = tmp_path / "till"
    make_till(data, data / "INSECURE-terminal-credential.json")
    seen = ordinary_start(data, "--insecure-credential-file", sell=True)
    assert seen["code"] == 0 and seen["modal"] == []
    first_import = dict(seen["first_import"])  # type: ignore[call-overload]
    assert {"keyring", "httpx"} <= first_import.keys() and "alembic" not in first_import
    assert set(first_import.values()) == {"worker"}, first_import
    assert seen["done"] == "Sale 1 done: ¥12.34 by Cash"
    engine_db = sqlite3.connect(data / "paidui-cashier.db")
    try:  # durable, and waiting in the outbox: the till's server (port 9) does not answer
        assert engine_db.execute("SELECT paid_fen FROM orders").fetchall() == [(1234,)]
        assert engine_db.execute("SELECT state FROM outbox").fetchall() == [("pending",)]
    finally:
        engine_db.close()


def test_no_usable_keyring_closes_the_till_with_the_reason(tmp_path: Path) -> None:
    """The refusal of old, now told after the window was up: exit 2, the reason said, no plain file written."""
    data = tmp_path / "till"
    make_till(data, tmp_path / "elsewhere.json")
    seen = ordinary_start(data, sell=False)
    assert (seen["code"], seen["modal"]) == (2, ["QMessageBox"])
    assert "no secure credential store" in str(seen["stderr"]) and "keyring.backends.fail" in str(seen["stderr"])
    assert sorted(p.name for p in data.iterdir() if "INSECURE" in p.name) == []


def test_secrets_missing_from_the_store_lead_to_enrolment_again(tmp_path: Path) -> None:
    data = tmp_path / "till"
    make_till(data, tmp_path / "elsewhere.json")  # the till's file store (in its data directory) stays empty
    seen = ordinary_start(data, "--insecure-credential-file", sell=False)
    assert (seen["code"], seen["modal"]) == (1, ["EnrollDialog"])  # the cashier closed the enrolment dialog
    assert "enrolling again" in str(seen["stderr"])


# ---------------------------------------------------------------------------------------------- in this process
def controller_for(till: Till, load_secrets: SecretsLoader) -> SyncController:
    from cashier_app.core.sync import Backoff

    app = till.toy.app()
    worker = SyncWorker(
        db_path=Path(str(till.engine.url.database)),
        http_factory=lambda: httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://toy.test"),
        load_secrets=load_secrets,
        clock=till.clock,
        interval_s=0.2,
        backoff=Backoff(base=0.05, cap=0.2, rng=random.Random(1)),
    )
    return SyncController(worker)


def window_for(qtbot: QtBot, till: Till, controller: SyncController, tmp_path: Path) -> MainWindow:
    ctx = AppContext(
        services=TillServices(engine=till.engine, clock=till.clock),
        info=till.info,
        signer=None,
        clock=till.clock,
        options=Options(tmp_path),
        data_dir=tmp_path,
    )
    window = MainWindow(ctx, sync=controller)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitActive(window):  # keyboard shortcuts (Esc) need the active window
        window.activateWindow()
    return window


def order_count(till: Till) -> int:
    with reading(till.engine) as conn:
        return int(conn.execute(select(func.count()).select_from(orders)).scalar_one())


def test_a_sale_confirmed_before_the_key_is_loaded_is_recorded_when_it_arrives(
    qtbot: QtBot, till: Till, tmp_path: Path
) -> None:
    gate = threading.Event()

    def slow_keyring() -> Secrets:  # the worker's thread waits here, as on a keyring that is slow to answer
        gate.wait(10)
        return till.secrets

    controller = controller_for(till, slow_keyring)
    try:
        window = window_for(qtbot, till, controller, tmp_path)
        controller.start()
        panel = window.checkout
        panel.amount.setText("66")
        qtbot.keyClick(panel.amount, Qt.Key.Key_Return)
        assert panel.held is not None and panel.message.text().startswith("Starting up")
        assert panel.amount.isReadOnly() and not panel.confirm_button.isEnabled()
        qtbot.keyClick(panel.amount, Qt.Key.Key_Return)  # Enter again: still one sale
        qtbot.wait(50)
        assert order_count(till) == 0 and window.last_sale is None  # nothing recorded, nothing shown as done
        gate.set()
        qtbot.waitUntil(lambda: panel.message.text() == "Sale 1 done: ¥66.00 by Cash", timeout=5000)
        assert order_count(till) == 1 and panel.held is None and not panel.amount.isReadOnly()
        sale = window.last_sale
        assert sale is not None and sale.paid_fen == 6600
        token = sale.order_link.rpartition("/m/")[2]
        keys = {f"t:{till.info.terminal_id}": public_key_from_text(till.toy.public_keys[till.info.terminal_id])}
        assert verify(token, keys=keys, purpose=Purpose.ORDER_PAGE, now=till.clock().timestamp()).claims == {
            "o": str(sale.order_id)
        }
        # the worker had the credential from the same load: the sale leaves the outbox
        qtbot.waitUntil(lambda: window.status.pending.text() == "Waiting to send: 0", timeout=10_000)
        assert till.toy.applied_orders == [str(sale.order_id)]
    finally:
        gate.set()
        controller.stop()


def test_esc_cancels_a_sale_that_waits_for_the_key(qtbot: QtBot, till: Till, tmp_path: Path) -> None:
    gate = threading.Event()

    def slow_keyring() -> Secrets:
        gate.wait(10)
        return till.secrets

    controller = controller_for(till, slow_keyring)
    try:
        window = window_for(qtbot, till, controller, tmp_path)
        controller.start()
        panel = window.checkout
        panel.amount.setText("66")
        qtbot.keyClick(panel.amount, Qt.Key.Key_Return)
        assert panel.held is not None
        qtbot.keyClick(panel.amount, Qt.Key.Key_Escape)
        assert panel.held is None and panel.amount.text() == "" and not panel.amount.isReadOnly()
        gate.set()
        qtbot.waitUntil(lambda: window.ctx.signer is not None, timeout=5000)
        qtbot.wait(50)
        assert order_count(till) == 0 and panel.message.text() == "Sale cleared."
    finally:
        gate.set()
        controller.stop()


def test_a_keyring_that_cannot_be_read_is_reported_and_nothing_is_sent(
    qtbot: QtBot, till: Till, tmp_path: Path
) -> None:
    def no_keyring() -> Secrets:
        raise CredentialStoreUnavailable("no usable OS keyring on this machine (test)")

    controller = controller_for(till, no_keyring)
    try:
        window = window_for(qtbot, till, controller, tmp_path)
        with qtbot.waitSignal(window.credential_failed, timeout=5000) as failed:
            controller.start()
        assert isinstance(failed.args[0], CredentialStoreUnavailable)
        assert window.credential_error is failed.args[0] and window.ctx.signer is None
        window.checkout.amount.setText("66")
        qtbot.keyClick(window.checkout.amount, Qt.Key.Key_Return)
        assert order_count(till) == 0 and window.checkout.held is not None  # no key: the sale is not recorded
        qtbot.wait(100)
        assert till.toy.applied_orders == []
    finally:
        controller.stop()


@pytest.mark.parametrize("given", ["both", "neither"])
def test_the_worker_takes_the_credential_or_a_way_to_load_it(till: Till, given: str) -> None:
    credential, load = ("c", lambda: till.secrets) if given == "both" else (None, None)
    with pytest.raises(TypeError):
        SyncWorker(
            db_path=Path("x.db"), http_factory=httpx.Client, credential=credential, load_secrets=load, clock=till.clock
        )

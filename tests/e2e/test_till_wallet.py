"""The wallet across stores from real tills (issue 13 item 9): a member earns a rebate through the queue at store S1,
spends ¥20 of it at store S2's till (the cashier app's own wallet core, enrolment, services and sync; the rest in
cash), then the sale is refunded and the balance comes back. A real `paidui-server serve` on loopback."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cashier_app.core.clock import system_clock
from cashier_app.core.credentials import MemoryStore
from cashier_app.core.db import make_engine
from cashier_app.core.migrate import migrate
from cashier_app.core.services import TillServices
from cashier_app.core.sync import SyncEngine
from cashier_app.core.sync_client import SyncClient
from cashier_app.core.tender import settle
from cashier_app.core.terminal import enroll, signer_for
from cashier_app.core.wallet import WalletError, WalletService, new_tender_key
from server.security.keys import KeyRing
from server.services import consent
from shared.errors import Code
from shared.ids import MemberId

from .cashier_support import CODE, PaiduiServer

pytestmark = pytest.mark.e2e

PHONE = "13800001234"
OPEN: list[httpx.Client] = []  # the tills' sync clients, closed at the end


@pytest.fixture
def server(tmp_path: Path) -> Iterator[PaiduiServer]:
    s = PaiduiServer(tmp_path / "server")
    s.member = s.setup(member_phone=PHONE)  # type: ignore[attr-defined]
    s.cli("store", "add", "S2", "--name", "二号店")
    s.cli("cashier", "add", "C2", "--store", "S2")
    s.cli("settings", "set", "--store", "S2", "--inline", '{"enabled": true}')
    s.start()
    yield s
    s.stop()


def _till(server: PaiduiServer, data: Path, store: str) -> tuple[TillServices, SyncEngine, WalletService, object]:
    data.mkdir()
    db = data / "paidui-cashier.db"
    migrate(db)
    engine = make_engine(db)
    match = CODE.search(server.cli("terminal", "enroll", store))
    assert match is not None
    OPEN.append(httpx.Client(base_url=server.url, timeout=10))
    client = SyncClient(OPEN[-1])
    secrets_store = MemoryStore()
    info = enroll(
        engine=engine,
        secrets_store=secrets_store,
        client=client,
        server_url=server.url,
        code=match.group(0),
        name=f"till {store}",
        manager_pin="1234",
    )
    secrets = secrets_store.load()
    assert secrets is not None
    sync = SyncEngine(engine=engine, client=client, clock=system_clock)
    sync.pull_all()
    wallet = WalletService(lambda: httpx.Client(base_url=server.url, timeout=10), credential=secrets.credential)
    return TillServices(engine=engine, clock=system_clock), sync, wallet, signer_for(info, secrets, system_clock)


def _payment_code(server: PaiduiServer, member: str) -> str:
    """What the member's signed-in page shows now (the server's consent, docs/wallet.md)."""
    now = dt.datetime.now(dt.UTC)
    key = consent.consent_key(KeyRing(server.data_dir / "signing-keys.json"), now)
    return consent.payment_code(key, MemberId(member), now)


def test_earned_at_s1_spent_at_s2_refunded_back(server: PaiduiServer, tmp_path: Path) -> None:
    member = server.member  # type: ignore[attr-defined]
    s1, s1_sync, s1_wallet, s1_signer = _till(server, tmp_path / "s1", "S1")
    s2, s2_sync, wallet, signer = _till(server, tmp_path / "s2", "S2")

    # S1: the member's ¥100 sale, then ¥300 of walk-ins: 10% of each pays the member's entry (¥40 in all)
    ref = s1.identify(text=PHONE).member
    s1.sell(member=ref, total_fen=10_000, deduction_points_fen=0, tender="cash", signer=s1_signer)  # type: ignore[arg-type]
    s1.sell(member=None, total_fen=30_000, deduction_points_fen=0, tender="cash", signer=s1_signer)  # type: ignore[arg-type]
    s1_sync.run_once()
    before = wallet.wallet(member_id=member).rebate_available_fen
    assert before == 4_000, before

    # S2: ¥20 from the balance with the member's payment code, the rest (¥30) in cash
    s2_sync.pull_all()
    ref2 = s2.identify(text=PHONE).member
    with pytest.raises(WalletError) as refused:  # a wrong code holds nothing
        wallet.hold(member_id=member, kind="rebate", amount_fen=2_000, key=new_tender_key(), payment_code="00000000")
    assert refused.value.code == Code.CONSENT_REQUIRED
    hold = wallet.hold(
        member_id=member,
        kind="rebate",
        amount_fen=2_000,
        key=new_tender_key(),
        payment_code=_payment_code(server, member),
    )
    assert wallet.wallet(member_id=member).rebate_available_fen == 2_000  # reserved at once
    recorded = s2.sell(
        member=ref2,
        total_fen=5_000,
        deduction_points_fen=0,
        tender="cash",
        tenders=settle(due_fen=3_000, received_fen=5_000),
        wallet_tenders=[hold.tender()],
        wallet_left_fen=2_000,
        signer=signer,  # type: ignore[arg-type]
    )
    s2_sync.run_once()
    assert server.query("SELECT state FROM wallet_holds WHERE hold_id = ?", hold.hold_id) == [("captured",)]
    # ¥40 − ¥20 spent + ¥5 (10% of the ¥50 paid, the balance's part too, into the member's new entry at S2)
    assert wallet.wallet(member_id=member).rebate_available_fen == 2_500

    # the sale is refunded in full at S2: the balance comes back
    s2.refund(order_id=str(recorded.sale.order_id), amount_fen=5_000, manager_pin="1234", reason="test")  # type: ignore[arg-type]
    s2_sync.run_once()
    # the ¥20 back to the balance (`spend_refund`), the ¥5 its entry received clawed back: where it started
    assert wallet.wallet(member_id=member).rebate_available_fen == 4_000
    kinds = {k for (k,) in server.query("SELECT kind FROM rebate_ledger WHERE member_id = ?", member)}
    assert {"rebate", "spend", "spend_refund"} <= kinds, kinds
    for w in (wallet, s1_wallet):
        w.close()
    for http in OPEN:
        http.close()

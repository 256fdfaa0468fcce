"""A small in-process server that speaks the documented sync protocol v1 (docs/sync-protocol.md), for tests.

A plain WSGI app (httpx.WSGITransport drives it in process; starlette's TestClient now warns about httpx).
It is faithful to the protocol (auth, per-terminal seq and gaps, duplicates, conflicting duplicates, refused and
parked events, pull pages) and deliberately naive about the rules: every member sale gets an entry of 100% of
what was paid, positions are the order of arrival.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from pydantic import ValidationError

from shared.phones import phone_key
from shared.tokens import Purpose, new_private_key, public_key_text, sign
from shared.wire import (
    MAX_PUSH_BYTES,
    CataloguePage,
    CatalogueProduct,
    EmployeeInfo,
    EntryInfo,
    EventResult,
    HoldRequest,
    LevelInfo,
    MemberInfo,
    PhoneLookup,
    PullResponse,
    PushRequest,
    PushResponse,
    QueueSnapshot,
    SigningKey,
    SnapshotEntry,
    StoreView,
)

BASE = {"enabled": True, "extraction_bp": 1000}
STORE = {"enabled": True}


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    body: bytes

    def json(self) -> dict[str, object]:
        return dict(json.loads(self.body or b"{}"))


Answer = tuple[int, object]


@dataclass
class Entry:
    seq: int
    order_id: str
    member_id: str
    entitlement_fen: int
    since: dt.datetime
    paid_fen: int = 0
    status: str = "waiting"


@dataclass
class ToyServer:
    store_id: str = "S1"
    store_name: str = "Store One"
    cashier_ids: list[str] = field(default_factory=lambda: ["C1"])
    # small scrypt parameters keep the till's tests quick; the till uses whatever a pull says
    phone_lookup: PhoneLookup = field(default_factory=lambda: PhoneLookup(salt="salt-", n=1024, r=8, p=1, length=16))
    codes: set[str] = field(default_factory=lambda: {"ENROL-1"})
    delay: float = 0.0  # seconds each request waits (a slow server)
    down: bool = False  # answer 503 to everything
    refuse: dict[str, str] = field(default_factory=dict)  # order_id -> code to refuse its order_paid with
    employees: list[EmployeeInfo] = field(default_factory=list)  # a store without employees: the shared PIN
    levels: list[LevelInfo] = field(
        default_factory=lambda: [LevelInfo(level_id="gold", name_zh="金卡", name_en="Gold card", rank=10)]
    )

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.member_key = new_private_key()
        self.terminals: dict[str, str] = {}  # credential -> terminal_id
        self.public_keys: dict[str, str] = {}
        self.applied_through: dict[str, int] = {}
        self.seen: dict[str, tuple[str, EventResult]] = {}  # event_id -> (body json, answer)
        self.orders: dict[str, dict[str, object]] = {}
        self.applied_orders: list[str] = []  # every application, to prove exactly once
        self.refunds: dict[str, int] = {}
        self.parked: list[tuple[str, object]] = []
        self.members: dict[str, MemberInfo] = {}
        self.entries: list[Entry] = []
        self.version = 0
        self.requests = 0
        self.push_sizes: list[int] = []
        self.catalogue_enabled = False
        self.products: dict[str, CatalogueProduct] = {}
        self.catalogue_version = 0
        # the wallet (docs/wallet.md), naively: no consent secret, a payment code the test sets per member
        self.wallets: dict[str, dict[str, int]] = {}  # member -> rebate_fen, points
        self.vouchers: dict[int, dict[str, object]] = {}  # voucher id -> member, value_fen, state
        self.payment_codes: dict[str, str] = {}  # member -> the code their member page shows now
        self.holds: dict[str, dict[str, object]] = {}  # hold id -> member, kind, amount_fen, points, voucher, state
        self.hold_keys: dict[str, str] = {}  # idempotency key -> hold id
        self.points_per_yuan = 100

    # ------------------------------------------------------------------ helpers for tests
    def member_code(self, member_id: str, *, expires_in: int = 300, now: float | None = None) -> str:
        exp = int((now if now is not None else time.time()) + expires_in)
        return sign(key=self.member_key, kid="mk1", purpose=Purpose.MEMBER_CODE, expires=exp, claims={"m": member_id})

    def add_member(self, member_id: str, phone: str, name: str, level: str | None = "gold", *, points: int = 0) -> None:
        self.version += 1
        self.members[member_id] = MemberInfo(
            member_id=member_id,
            display_name=name,
            phone_key=phone_key(self.phone_lookup, phone),
            level=level,
            updated_version=self.version,
            points=points,
        )

    def set_points(self, member_id: str, points: int) -> None:
        """The member's balance changed at the server: the member is sent again, as the server does."""
        self.version += 1
        member = self.members[member_id]
        self.members[member_id] = member.model_copy(update={"points": points, "updated_version": self.version})

    def set_wallet(
        self, member_id: str, *, rebate_fen: int = 0, points: int = 0, vouchers: tuple[int, ...] = (), code: str = ""
    ) -> None:
        """The member's wallet (vouchers by face value, ids counted from 1) and the payment code they show."""
        self.wallets[member_id] = {"rebate_fen": rebate_fen, "points": points}
        for value in vouchers:
            self.vouchers[len(self.vouchers) + 1] = {"member": member_id, "value_fen": value, "state": "issued"}
        if code:
            self.payment_codes[member_id] = code

    def held(self, member_id: str, kind: str) -> int:
        return sum(
            int(h["points"] if kind == "points" else h["amount_fen"])  # type: ignore[call-overload]
            for h in self.holds.values()
            if h["member"] == member_id and h["kind"] == kind and h["state"] == "held"
        )

    # ------------------------------------------------------------------ the wallet's holds
    def member_wallet(self, request: Request) -> Answer:
        if self._terminal(request) is None:
            return 401, {"code": "unauthorized"}
        member = request.path.rsplit("/", 1)[-1]
        w = self.wallets.get(member, {"rebate_fen": 0, "points": 0})
        held_vouchers = {h["voucher_id"] for h in self.holds.values() if h["state"] == "held"}
        usable = [
            {"voucher_id": vid, "value_fen": v["value_fen"], "expires_at": None}
            for vid, v in self.vouchers.items()
            if v["member"] == member and v["state"] == "issued" and vid not in held_vouchers
        ]
        return 200, {
            "member_id": member,
            "rebate_available_fen": max(0, w["rebate_fen"] - self.held(member, "rebate")),
            "points_available": w["points"] - self.held(member, "points"),
            "points_per_yuan": self.points_per_yuan,
            "vouchers": usable,
        }

    def place_hold(self, request: Request) -> Answer:
        if self._terminal(request) is None:
            return 401, {"code": "unauthorized"}
        try:
            body = HoldRequest.model_validate_json(request.body)
        except ValidationError as exc:
            return 422, {"code": "validation_error", "detail": str(exc.errors()[0]["msg"])}
        with self.lock:
            if body.idempotency_key in self.hold_keys:
                return 200, self._hold_view(self.hold_keys[body.idempotency_key])
            if self.payment_codes.get(body.member_id) != body.payment_code:
                return 403, {"code": "consent_required", "detail": "the payment code is wrong or used"}
            member = body.member_id
            w = self.wallets.get(member, {"rebate_fen": 0, "points": 0})
            points = 0
            amount = body.amount_fen or 0
            if body.kind == "rebate" and w["rebate_fen"] - self.held(member, "rebate") < amount:
                return 409, {"code": "insufficient_balance", "detail": "not enough balance"}
            if body.kind == "points":
                points = -(-amount * self.points_per_yuan // 100)
                if w["points"] - self.held(member, "points") < points:
                    return 409, {"code": "insufficient_balance", "detail": "not enough points"}
            if body.kind == "voucher":
                v = self.vouchers.get(body.voucher_id or 0)
                taken = {h["voucher_id"] for h in self.holds.values() if h["state"] == "held"}
                if v is None or v["member"] != member or v["state"] != "issued" or body.voucher_id in taken:
                    return 409, {"code": "voucher_unavailable", "detail": "no such voucher"}
                amount = int(v["value_fen"])  # type: ignore[call-overload]
            del self.payment_codes[member]  # one code, one hold
            hold_id = str(uuid.uuid4())
            self.holds[hold_id] = {
                "member": member,
                "kind": body.kind,
                "amount_fen": amount,
                "points": points,
                "voucher_id": body.voucher_id,
                "state": "held",
                "order_id": None,
            }
            self.hold_keys[body.idempotency_key] = hold_id
            return 201, self._hold_view(hold_id)

    def release_hold(self, request: Request) -> Answer:
        if self._terminal(request) is None:
            return 401, {"code": "unauthorized"}
        hold_id = request.path.split("/")[-2]
        hold = self.holds.get(hold_id)
        if hold is None:
            return 404, {"code": "not_found", "detail": "no such hold"}
        if hold["state"] == "held":
            hold["state"] = "released"
        return 200, self._hold_view(hold_id)

    def _hold_view(self, hold_id: str) -> dict[str, object]:
        h = self.holds[hold_id]
        expires = dt.datetime(2030, 1, 1, tzinfo=dt.UTC).isoformat()
        return {
            "hold_id": hold_id,
            "member_id": h["member"],
            "kind": h["kind"],
            "amount_fen": h["amount_fen"],
            "points": h["points"],
            "voucher_id": h["voucher_id"],
            "state": h["state"],
            "order_id": h["order_id"],
            "expires_at": expires,
        }

    def _capture(self, order_id: str, body: object) -> None:
        for tender in body.wallet_tenders:  # type: ignore[attr-defined]
            hold = self.holds[str(tender.hold_id)]
            if hold["state"] != "held":
                continue
            hold["state"], hold["order_id"] = "captured", order_id
            w = self.wallets[str(hold["member"])]
            if hold["kind"] == "rebate":
                w["rebate_fen"] -= int(hold["amount_fen"])  # type: ignore[call-overload]
            elif hold["kind"] == "points":
                w["points"] -= int(hold["points"])  # type: ignore[call-overload]
            else:
                self.vouchers[int(hold["voucher_id"])]["state"] = "used"  # type: ignore[call-overload]

    # ------------------------------------------------------------------ protocol
    def _terminal(self, request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        return self.terminals.get(auth.removeprefix("Bearer ").strip()) if auth.startswith("Bearer ") else None

    def enroll(self, request: Request) -> Answer:
        body = request.json()
        if body.get("code") not in self.codes:
            return 400, {"code": "enrolment_code_invalid", "detail": "unknown code"}
        self.codes.discard(body["code"])
        terminal_id = f"T{len(self.terminals) + 1}"
        credential = secrets.token_urlsafe(24)
        self.terminals[credential] = terminal_id
        self.public_keys[terminal_id] = body["public_key"]
        self.applied_through[terminal_id] = 0
        return 200, {"terminal_id": terminal_id, "store_id": self.store_id, "credential": credential}

    def _apply(self, terminal: str, event: object) -> EventResult:
        body = event.body  # type: ignore[attr-defined]
        result = {"event_id": event.event_id, "seq": event.seq}  # type: ignore[attr-defined]
        if body.type == "order_paid":
            oid = str(body.order_id)
            if oid in self.refuse:
                return EventResult(**result, status="refused", code=self.refuse[oid], detail="refused by test")
            if body.cashier_id not in self.cashier_ids:
                return EventResult(**result, status="refused", code="unknown_cashier", detail=body.cashier_id)
            self.orders[oid] = {
                "paid_fen": body.paid_fen,
                "member_id": body.member_id,
                "terminal": terminal,
                "lines": [x.model_dump(mode="json") for x in body.lines],
                "wallet_tenders": [x.model_dump(mode="json") for x in body.wallet_tenders],
            }
            self.applied_orders.append(oid)
            self._capture(oid, body)
            entry = None
            if body.member_id and body.paid_fen > 0:
                e = Entry(len(self.entries) + 1, oid, body.member_id, body.paid_fen, body.paid_at)
                self.entries.append(e)
                waiting = [x for x in self.entries if x.status == "waiting"]
                entry = EntryInfo(
                    seq=e.seq,
                    queue="cashier:C1",
                    position=waiting.index(e) + 1,
                    entitlement_fen=e.entitlement_fen,
                    paid_fen=0,
                    status="waiting",
                    lottery_state="none",
                )
            self.version += 1
            for key, refund in list(self.parked):
                if key == oid:
                    self.parked.remove((key, refund))
                    self._refund(refund)
                    for event_id, (text, parked) in list(self.seen.items()):  # a repeat now says what became of it
                        if parked.status == "parked" and parked.order_id == body.order_id:
                            self.seen[event_id] = (text, parked.model_copy(update={"status": "accepted"}))
            return EventResult(**result, status="accepted", order_id=body.order_id, entry=entry)
        if body.type == "order_refunded":
            oid = str(body.order_id)
            if oid not in self.orders:
                self.parked.append((oid, body))
                return EventResult(**result, status="parked", order_id=body.order_id)
            if self.refunds.get(oid, 0) + body.amount_fen > int(self.orders[oid]["paid_fen"]):  # type: ignore[arg-type]
                return EventResult(**result, status="refused", code="refund_exceeds_paid")
            self._refund(body)
            return EventResult(**result, status="accepted", order_id=body.order_id)
        if body.type == "member_registered":
            self.add_member(body.member_id, body.phone, "会员", None)
            return EventResult(**result, status="accepted", member_id=body.member_id)
        return EventResult(**result, status="accepted")

    def _refund(self, body: object) -> None:
        oid = str(body.order_id)  # type: ignore[attr-defined]
        self.refunds[oid] = self.refunds.get(oid, 0) + body.amount_fen  # type: ignore[attr-defined]
        for e in self.entries:
            if e.order_id == oid:
                e.status = "cancelled"
        self.version += 1

    def push(self, request: Request) -> Answer:
        terminal = self._terminal(request)
        if terminal is None:
            return 401, {"code": "unauthorized"}
        self.push_sizes.append(len(request.body))
        if len(request.body) > MAX_PUSH_BYTES:  # as the server: a body over the limit is refused whole
            return 413, {"code": "too_large", "detail": f"at most {MAX_PUSH_BYTES} bytes"}
        try:
            req = PushRequest.model_validate_json(request.body)
        except ValidationError as exc:
            return 400, {"code": "invalid_request", "detail": str(exc)[:200]}
        with self.lock:
            through = self.applied_through[terminal]
            results: list[EventResult] = []
            if req.events and req.events[0].seq > through + 1:
                results = [EventResult(event_id=e.event_id, seq=e.seq, status="not_applied") for e in req.events]
                return 200, PushResponse(results=results, applied_through=through, resend_from=through + 1).model_dump(
                    mode="json"
                )
            for event in req.events:
                key = str(event.event_id)
                text = event.body.model_dump_json()
                if key in self.seen:
                    old_text, old = self.seen[key]
                    if old_text != text:
                        results.append(
                            EventResult(
                                event_id=event.event_id, seq=event.seq, status="refused", code="conflicting_duplicate"
                            )
                        )
                    else:  # as the server: a repeat is answered with what became of the event
                        status = "duplicate" if old.status in ("accepted", "duplicate") else old.status
                        results.append(old.model_copy(update={"status": status}))
                    continue
                if event.seq > through + 1:
                    results.append(EventResult(event_id=event.event_id, seq=event.seq, status="not_applied"))
                    continue
                answer = self._apply(terminal, event)
                self.seen[key] = (text, answer)
                through = max(through, event.seq)
                results.append(answer)
            self.applied_through[terminal] = through
        return 200, PushResponse(results=results, applied_through=through).model_dump(mode="json")

    def pull(self, request: Request) -> Answer:
        if self._terminal(request) is None:
            return 401, {"code": "unauthorized"}
        cursor = int(request.query.get("cursor") or 0)
        changed = sorted(
            (m for m in self.members.values() if m.updated_version > cursor), key=lambda m: m.updated_version
        )
        page, complete = changed[:1000], len(changed) <= 1000
        new_cursor = page[-1].updated_version if (page and not complete) else self.version
        waiting = [e for e in self.entries if e.status == "waiting"]
        entries = [
            SnapshotEntry(
                seq=e.seq,
                order_id=e.order_id,
                member_id=e.member_id,
                member_display=self.members[e.member_id].display_name if e.member_id in self.members else "***",
                position=i + 1,
                entitlement_fen=e.entitlement_fen,
                paid_fen=e.paid_fen,
                remaining_fen=e.entitlement_fen - e.paid_fen,
                status=e.status,
                lottery_state="none",
                since=e.since,
            )
            for i, e in enumerate(waiting)
        ]
        snap = QueueSnapshot(
            version=self.version,
            queue="cashier:C1",
            waiting_count=len(waiting),
            outstanding_fen=sum(e.entitlement_fen - e.paid_fen for e in waiting),
            entries=entries,
        )
        answer = PullResponse(
            server_time=dt.datetime.now(dt.UTC),
            cursor=str(new_cursor),
            settings_version=1,
            base_settings=BASE,
            store_settings=STORE,
            store=StoreView(
                store_id=self.store_id, name=self.store_name, timezone="Asia/Shanghai", cashier_ids=self.cashier_ids
            ),
            members=page,
            members_complete=complete,
            snapshot=snap,
            member_code_keys=[SigningKey(kid="mk1", public_key=public_key_text(self.member_key))],
            phone_lookup=self.phone_lookup,
            levels=self.levels if request.query.get("levels") == "true" else None,
            employees=self.employees if request.query.get("employees") == "true" else None,
        )
        exclude: dict[str, object] = {name: True for name in ("levels", "employees") if getattr(answer, name) is None}
        if request.query.get("points") != "true":  # as the server: only a till that asks gets the balances
            exclude["members"] = {"__all__": {"points"}}
        return 200, answer.model_dump(mode="json", exclude=exclude or None)

    def order(self, request: Request) -> Answer:
        if self._terminal(request) is None:
            return 401, {"code": "unauthorized"}
        oid = request.path.rsplit("/", 1)[-1]
        order = self.orders.get(oid)
        if order is None:
            return 404, {"code": "unknown_order", "detail": f"no order {oid} in this store"}
        paid_at = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC).isoformat()
        refunded = self.refunds.get(oid, 0)
        return 200, {"order_id": oid, "paid_fen": order["paid_fen"], "refunded_fen": refunded, "paid_at": paid_at}

    def set_catalogue(self, rows: list[tuple[str, str | None, str, int, bool]], *, active: bool = True) -> None:
        """A new catalogue version with these products (sku, barcode, name, price_fen, participates)."""
        self.catalogue_enabled = True
        self.catalogue_version += 1
        for sku, barcode, name, price, takes in rows:
            self.products[sku] = CatalogueProduct(
                sku=sku,
                barcode=barcode,
                name=name,
                price_fen=price,
                category="",
                participates=takes,
                active=active,
                version=self.catalogue_version,
            )

    def catalogue(self, request: Request) -> Answer:
        if self._terminal(request) is None:
            return 401, {"code": "unauthorized"}
        if not self.catalogue_enabled:
            return 200, CataloguePage(enabled=False, products=[], complete=True).model_dump(mode="json")
        after = (int(request.query.get("after_version") or 0), request.query.get("after_sku") or "")
        limit = int(request.query.get("limit") or 1000)
        rows = sorted(
            (p for p in self.products.values() if (p.version, p.sku) > after), key=lambda p: (p.version, p.sku)
        )
        page = CataloguePage(enabled=True, products=rows[:limit], complete=len(rows) <= limit)
        return 200, page.model_dump(mode="json")

    def health(self, request: Request) -> Answer:
        return 200, {"status": "ok", "version": "toy", "database": "memory"}

    def app(self) -> Callable[..., Iterable[bytes]]:
        routes: dict[tuple[str, str], Callable[[Request], Answer]] = {
            ("GET", "/api/v1/health"): self.health,
            ("POST", "/api/v1/terminals/enroll"): self.enroll,
            ("POST", "/api/v1/sync/push"): self.push,
            ("GET", "/api/v1/sync/pull"): self.pull,
            ("GET", "/api/v1/sync/catalogue"): self.catalogue,
            ("POST", "/api/v1/wallet/holds"): self.place_hold,
        }

        def wsgi(environ: dict[str, object], start_response: Callable[..., object]) -> Iterable[bytes]:
            self.requests += 1
            if self.delay:
                time.sleep(self.delay)  # a slow server: blocks the calling thread, as a slow network would
            length = int(str(environ.get("CONTENT_LENGTH") or 0))
            stream = environ["wsgi.input"]
            request = Request(
                str(environ["REQUEST_METHOD"]),
                str(environ["PATH_INFO"]),
                {k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items() if k.startswith("HTTP_")},
                {k: v[0] for k, v in parse_qs(str(environ.get("QUERY_STRING", ""))).items()},
                stream.read(length) if length else b"",  # type: ignore[attr-defined]
            )
            handler = routes.get((request.method, request.path))
            if request.method == "GET" and request.path.startswith("/api/v1/sync/orders/"):
                handler = self.order
            if request.method == "GET" and request.path.startswith("/api/v1/wallet/members/"):
                handler = self.member_wallet
            if request.method == "POST" and request.path.startswith("/api/v1/wallet/holds/"):
                handler = self.release_hold if request.path.endswith("/release") else None
            if self.down:
                status, body = 503, {"code": "unavailable"}
            elif handler is None:
                status, body = 404, {"code": "not_found"}
            else:
                status, body = handler(request)
            data = json.dumps(body).encode()
            start_response(f"{status} X", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
            return [data]

        return wsgi

"""Hypothesis strategies for random rebate scenarios (`paidui-scenario/1`), shared by the rules tests and the
server replay tests.

- `headers()`: a scenario document without events (settings, two stores, members, imported history and entries).
- `Knowledge`: what a generator knows so far (orders paid, refunds made, the clock), so events refer to real
  orders most of the time; `Knowledge.record(event)` after each event.
- `events(knowledge, outcomes)`: one event of any type of scenario-format.md, valid or deliberately refused.
- `scenario_documents()`: a complete scenario document, header plus 0..`max_events` events.
- `register_profiles()`: the "ci" (fixed, derandomized) and "long" hypothesis profiles; `PAIDUI_HYPOTHESIS_PROFILE`
  selects one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

STORES = {"S1": ["K1", "K2"], "S2": ["K3"]}
TIMEZONES = {"S1": "Asia/Shanghai", "S2": "Europe/London"}
MEMBERS = ["m1", "m2", "m3", "m4", "m5"]
LEVELS = ["gold", "silver", "bronze"]
START = dt.datetime(2024, 7, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
OutcomesFn = Callable[[str], list[int]]
MINUTES_FORWARD = [0, 1, 7, 59, 60 * 3, 60 * 11, 60 * 24, 60 * 24 * 3]


def register_profiles() -> None:
    """ci: fixed seed, small; long: `PAIDUI_HYPOTHESIS_PROFILE=long` for a night run (random, 5000 examples)."""
    quiet = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
    settings.register_profile(
        "ci",
        derandomize=True,
        database=None,
        max_examples=150,
        stateful_step_count=40,
        deadline=None,
        suppress_health_check=quiet,
        print_blob=True,
    )
    settings.register_profile(
        "long",
        max_examples=5000,
        stateful_step_count=60,
        deadline=None,
        suppress_health_check=quiet,
        print_blob=True,
    )
    settings.load_profile(os.environ.get("PAIDUI_HYPOTHESIS_PROFILE", "ci"))


def iso(ts: dt.datetime) -> str:
    return ts.isoformat()


# ------------------------------------------------------------------------------------------------ value types

ratios = st.one_of(st.sampled_from([0, 3000, 4000, 5000, 9000, 10_000, 12_000, 13_000, 20_000]), st.integers(0, 30_000))
extractions = st.one_of(st.sampled_from([0, 500, 700, 1000, 3000, 6500, 10_000]), st.integers(0, 10_000))
level_maps = st.dictionaries(st.sampled_from(LEVELS), st.one_of(st.none(), ratios), max_size=3)


@st.composite
def lotteries(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.booleans()):
        values = draw(
            st.lists(st.sampled_from([500, 1000, 2000, 3300, 5000, 15_000]), min_size=1, max_size=4, unique=True)
        )
        return {"mode": "fixed", "options": [{"ratio_bp": v, "weight": draw(st.integers(1, 3))} for v in values]}
    low = draw(st.sampled_from([1, 1000, 2000, 5000]))
    step = draw(st.sampled_from([1, 100, 250, 1000]))
    return {"mode": "interval", "min_bp": low, "max_bp": low + step * draw(st.integers(0, 12)), "step_bp": step}


@st.composite
def tiers(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for _ in range(draw(st.integers(0, 3))):
        out.append(
            {
                "days": draw(st.sampled_from([1, 7, 30, 60])),
                "threshold_fen": draw(st.sampled_from([0, 5000, 20_000, 100_000, 500_000])),
                "ratio_bp": draw(ratios),
            }
        )
    return out


@st.composite
def windows(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for _ in range(draw(st.integers(0, 2))):
        start, end = draw(
            st.sampled_from(
                [
                    ("10:00", "14:00"),
                    ("22:00", "02:00"),
                    ("09:00", "09:00"),
                    ("00:00", "12:00"),
                    ("13:59:59", "23:59:59"),
                ]
            )
        )
        w: dict[str, Any] = {"start": start, "end": end}
        if draw(st.booleans()):
            w["weekdays"] = draw(st.lists(st.integers(1, 7), min_size=1, max_size=4, unique=True))
        if draw(st.booleans()):
            w["date_from"] = draw(st.sampled_from(["2024-06-30", "2024-07-01", "2024-07-02"]))
        if draw(st.booleans()):
            w["date_to"] = draw(st.sampled_from(["2024-07-02", "2024-07-04", "2024-07-30"]))
            if w.get("date_from", "") > w["date_to"]:
                del w["date_to"]
        out.append(w)
    return out


def random_return_values(shape: tuple[int, int] | None) -> st.SearchStrategy[Any]:
    if shape is None:
        return st.none()
    return st.one_of(st.none(), st.just({"group_size": shape[0], "cash_per_group": shape[1]}))


# ------------------------------------------------------------------------------------------------ settings


def base_patch_values(shape: tuple[int, int] | None) -> dict[str, st.SearchStrategy[Any]]:
    return {
        "enabled": st.sampled_from([True, True, True, False]),
        "extraction_bp": extractions,
        "default_entitlement_bp": ratios,
        "level_entitlement_bp": level_maps,
        "lottery": st.one_of(st.none(), lotteries()),
        "deduction_orders_join": st.booleans(),
        "settlement_event": st.sampled_from(["on_pay", "on_complete"]),
        "ordering_rule": st.sampled_from(["queue_order", "completed_first"]),
        "points_exchange_enabled": st.booleans(),
        "points_per_yuan_x100": st.sampled_from([0, 1, 100, 200, 1000]),
        "voucher_exchange_enabled": st.booleans(),
        "voucher_ratio_bp": st.sampled_from([0, 1, 5000, 8000, 10_000]),
        "all_cashiers_queue": st.booleans(),
        "random_return": random_return_values(shape),
        "paused": st.booleans(),
        "leftover_policy": st.sampled_from(["retain", "carry_forward"]),
        "refund_clawback": st.sampled_from(["none", "received", "all"]),
        "anonymous_orders_contribute": st.booleans(),
    }


def store_patch_values(shape: tuple[int, int] | None) -> dict[str, st.SearchStrategy[Any]]:
    rr = st.sampled_from(["inherit", "off"])
    if shape is not None:
        rr = rr | st.just({"group_size": shape[0], "cash_per_group": shape[1]})
    return {
        "enabled": st.booleans(),
        "extraction_bp": st.one_of(st.none(), extractions),
        "default_entitlement_bp": st.one_of(st.none(), ratios),
        "level_entitlement_bp": level_maps,
        "cumulative_tiers": tiers(),
        "lottery": st.one_of(st.none(), lotteries()),
        "time_windows": windows(),
        "daily_limit": st.integers(0, 3),
        "total_limit": st.integers(0, 6),
        "random_return": rr,
    }


@st.composite
def patch(draw: st.DrawFn, values: dict[str, st.SearchStrategy[Any]], max_keys: int = 3) -> dict[str, Any]:
    keys = draw(st.lists(st.sampled_from(sorted(values)), min_size=1, max_size=max_keys, unique=True))
    return {k: draw(values[k]) for k in keys}


# ------------------------------------------------------------------------------------------------ header


@st.composite
def headers(draw: st.DrawFn) -> dict[str, Any]:
    """A scenario without events: base + S1 (K1, K2, Shanghai) + S2 (K3, London), members m1..m5, some imports."""
    shape = draw(st.one_of(st.none(), st.sampled_from([(1, 1), (2, 1), (3, 1), (3, 2), (2, 0)])))
    base = draw(patch(base_patch_values(shape), max_keys=8))
    base["refund_clawback"] = draw(st.sampled_from(["none", "received", "received", "all", "all"]))
    base["leftover_policy"] = draw(st.sampled_from(["retain", "retain", "carry_forward"]))
    base["extraction_bp"] = draw(st.one_of(st.sampled_from([1000, 1000, 3000, 6500, 10_000]), extractions))
    base["ordering_rule"] = draw(st.sampled_from(["queue_order", "completed_first"]))
    base["settlement_event"] = draw(st.sampled_from(["on_pay", "on_complete"]))
    base["enabled"] = draw(st.sampled_from([True] * 19 + [False]))
    base["paused"] = draw(st.sampled_from([False] * 9 + [True]))
    base.setdefault("points_exchange_enabled", draw(st.booleans()))
    base.setdefault("voucher_exchange_enabled", draw(st.booleans()))
    if draw(st.integers(0, 2)) == 0:  # the features that interact most, switched on more often than a patch would
        base["lottery"] = draw(lotteries())
    if shape is not None and draw(st.booleans()):
        base["random_return"] = {"group_size": shape[0], "cash_per_group": shape[1]}
    if base.get("refund_clawback") == "all" and base.get("leftover_policy") == "carry_forward":
        base["leftover_policy"] = "retain"
    stores = []
    for store_id, cashiers in STORES.items():
        settings_doc = draw(patch(store_patch_values(shape), max_keys=5))
        settings_doc["enabled"] = draw(st.sampled_from([True] * 9 + [False]))
        if draw(st.booleans()):
            settings_doc["daily_limit"] = draw(st.integers(1, 3))
            settings_doc["total_limit"] = draw(st.sampled_from([0, 0, 2, 4]))
        if draw(st.integers(0, 2)) == 0:
            settings_doc["cumulative_tiers"] = draw(tiers())
        stores.append(
            {"id": store_id, "timezone": TIMEZONES[store_id], "cashiers": cashiers, "cashier_settings": settings_doc}
        )
    members = [{"id": m, "level": draw(st.one_of(st.none(), st.sampled_from(LEVELS)))} for m in MEMBERS]
    history = []
    for i in range(draw(st.integers(0, 4))):
        store = draw(st.sampled_from(sorted(STORES)))
        paid = draw(st.sampled_from([5000, 20_000, 100_000, 300_000]))
        status = draw(st.sampled_from(["completed", "completed", "paid", "refunded"]))
        history.append(
            {
                "order_id": f"H{i}",
                "store": store,
                "cashier": STORES[store][0],
                "member": draw(st.sampled_from(MEMBERS)),
                "paid_fen": paid,
                "paid_at": iso(START - dt.timedelta(days=draw(st.sampled_from([1, 6, 29, 31, 59])))),
                "status": status,
                "refunded_fen": paid if status == "refunded" else draw(st.sampled_from([0, 0, 1000])),
            }
        )
    imported = []
    for i in range(draw(st.integers(0, 3))):
        store = draw(st.sampled_from(sorted(STORES)))
        entitlement = draw(st.sampled_from([1000, 5000, 10_000, 33_333]))
        imported.append(
            {
                "order_id": f"I{i}",
                "store": store,
                "cashier": draw(st.sampled_from(STORES[store])),
                "member": draw(st.sampled_from(["m1", "m2", *MEMBERS])),
                "entitlement_fen": entitlement,
                "paid_fen": draw(st.sampled_from([0, entitlement // 3, entitlement - 1, entitlement])),
                "ratio_bp": draw(st.sampled_from([0, 3000, 10_000, 13_000])),
                "paid_at": iso(START - dt.timedelta(hours=draw(st.sampled_from([1, 20, 30])))),
            }
        )
    doc: dict[str, Any] = {
        "format": "paidui-scenario/1",
        "settings": base,
        "stores": stores,
        "members": members,
        "imported_orders": history,
        "imported_entries": imported,
    }
    if shape is not None and draw(st.booleans()):
        size, cash = shape
        doc["random_return_arrangements"] = [
            draw(st.permutations(["cash"] * cash + ["points"] * (size - cash))) for _ in range(draw(st.integers(1, 4)))
        ]
    return doc


# ------------------------------------------------------------------------------------------------ knowledge


@dataclass
class Knowledge:
    """What the generators know of a scenario so far; events are drawn to refer to it most of the time."""

    header: dict[str, Any]
    clock: dt.datetime = START
    orders: dict[str, dict[str, int]] = field(default_factory=dict)  # id -> {"paid", "refunded"}
    pays: list[dict[str, Any]] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    counter: int = 0
    shape: tuple[int, int] | None = None
    outcomes: set[int] = field(default_factory=set)  # every lottery result configured so far

    def __post_init__(self) -> None:
        self._lotteries(self.header["settings"], *(s["cashier_settings"] for s in self.header["stores"]))
        for e in self.header.get("imported_entries", []):
            amount = e["entitlement_fen"] * 10_000 // e["ratio_bp"] if e["ratio_bp"] else e["entitlement_fen"]
            self.orders.setdefault(e["order_id"], {"paid": amount, "refunded": 0})
        rr = [self.header["settings"].get("random_return")]
        rr += [s["cashier_settings"].get("random_return") for s in self.header["stores"]]
        for value in rr:
            if isinstance(value, dict):
                self.shape = (value["group_size"], value["cash_per_group"])
        if self.header.get("random_return_arrangements"):
            a = self.header["random_return_arrangements"][0]
            self.shape = (len(a), a.count("cash"))

    def _lotteries(self, *patches: Any) -> None:
        for p in patches:
            lottery = p.get("lottery") if isinstance(p, dict) else None
            if isinstance(lottery, dict) and lottery.get("mode") == "fixed":
                self.outcomes |= {o["ratio_bp"] for o in lottery.get("options", [])}
            elif isinstance(lottery, dict) and lottery.get("mode") == "interval":
                self.outcomes |= set(range(lottery["min_bp"], lottery["max_bp"] + 1, lottery["step_bp"]))

    def new_order_id(self) -> str:
        self.counter += 1
        return f"O{self.counter}"

    def record(self, event: dict[str, Any], code: str | None = None) -> None:
        """Remember an event's effect (optimistically when `code` is unknown)."""
        if code is not None or not isinstance(event, dict):
            return
        kind = event.get("type")
        for name in ("paid_at", "at"):
            value = event.get(name)
            if isinstance(value, str):
                with contextlib.suppress(ValueError, TypeError):
                    self.clock = max(self.clock, dt.datetime.fromisoformat(value))
        if kind == "order_paid" and event.get("order_id") not in self.orders:
            if isinstance(event.get("paid_fen"), int) and event.get("store") in STORES:
                self.orders[event["order_id"]] = {"paid": event["paid_fen"], "refunded": 0}
                self.pays.append(event)
        elif kind == "settings":
            self._lotteries(event.get("base"), *(event.get("stores") or {}).values())
        elif kind == "order_refunded" and event.get("order_id") in self.orders:
            amount = event.get("amount_fen")
            fresh = all(r["refund_id"] != event.get("refund_id") for r in self.refunds)
            if fresh and isinstance(amount, int) and not isinstance(amount, bool) and amount > 0:
                self.orders[event["order_id"]]["refunded"] += event["amount_fen"]
                self.refunds.append(event)


BOUNDARIES = [
    dt.time(0),
    dt.time(2),
    dt.time(8),
    dt.time(10),
    dt.time(12),
    dt.time(13, 59, 59),
    dt.time(14),
    dt.time(22),
    dt.time(23, 59, 59),
]  # window edges, midnight, and 08:00 Shanghai = 00:00 UTC
OFFSETS = [
    dt.timezone(dt.timedelta(hours=8)),
    dt.timezone(dt.timedelta(hours=8)),
    dt.UTC,
    dt.timezone(dt.timedelta(hours=1)),
]  # the same instant as different terminals may write it


def _later(k: Knowledge, draw: st.DrawFn, store: str | None = None) -> str:
    roll = draw(st.integers(0, 5))
    if roll == 0:  # an edge in the store's own time: window boundaries, local and UTC midnight (may lie before
        # the clock: a late sync)
        tz = ZoneInfo(TIMEZONES[store]) if store in TIMEZONES else k.clock.tzinfo
        day = k.clock.astimezone(tz).date() + dt.timedelta(days=draw(st.integers(0, 1)))
        ts = dt.datetime.combine(day, draw(st.sampled_from(BOUNDARIES)), tzinfo=tz)
    elif roll == 1:
        ts = k.clock + dt.timedelta(minutes=draw(st.integers(0, 24 * 60)))
    else:
        ts = k.clock + dt.timedelta(minutes=draw(st.sampled_from(MINUTES_FORWARD)))
    return iso(ts.astimezone(draw(st.sampled_from(OFFSETS))))


def _known_order(k: Knowledge, draw: st.DrawFn) -> str:
    roll = draw(st.integers(0, 19))
    history = [h["order_id"] for h in k.header.get("imported_orders", [])]
    if roll == 0 or not (k.orders or history):
        return draw(st.sampled_from(["NOPE", f"O{k.counter + 1}"]))
    if (roll == 1 and history) or not k.orders:
        return draw(st.sampled_from(history))
    return draw(st.sampled_from(sorted(k.orders)))


amounts = st.one_of(st.sampled_from([0, 1, 14, 999, 3333, 10_000, 16_800, 20_000, 50_000]), st.integers(0, 300_000))


@st.composite
def order_paid(draw: st.DrawFn, k: Knowledge, member: str | None = "any") -> dict[str, Any]:
    roll = draw(st.integers(0, 29))
    store = draw(st.sampled_from(sorted(STORES)))
    cashier = draw(st.sampled_from(STORES[store]))
    if roll == 0:
        store = "S9"
    elif roll == 1:
        cashier = "K9" if draw(st.booleans()) else STORES["S2" if store == "S1" else "S1"][0]
    if member == "any":  # m1 and m2 often, so limits, tiers and levels bite
        member = draw(st.sampled_from(["m1", "m1", "m1", "m2", "m2", *MEMBERS, None, "ghost"]))
    if draw(st.integers(0, 4)) == 0:  # an offline terminal syncing late: paid before the latest event
        paid_at = iso(k.clock - dt.timedelta(minutes=draw(st.sampled_from([1, 30, 300, 60 * 26]))))
    else:
        paid_at = _later(k, draw, store)
    event: dict[str, Any] = {
        "type": "order_paid",
        "order_id": k.new_order_id(),
        "store": store,
        "cashier": cashier,
        "member": member,
        "paid_fen": -1 if roll == 2 else draw(amounts),
        "paid_at": paid_at,
        "completed": draw(st.sampled_from([True, True, False])),
    }
    if draw(st.integers(0, 3)) == 0:
        event["deduction_points_fen"] = draw(st.sampled_from([0, 100, 2000]))
        event["deduction_love_fen"] = draw(st.sampled_from([0, 0, 50]))
    if draw(st.integers(0, 5)) == 0:
        event["terminal"] = "T1"
        event["total_fen"] = event["paid_fen"] + event.get("deduction_points_fen", 0) if roll != 2 else 0
    if roll != 2 and draw(st.integers(0, 3)) == 0:  # sale lines, some outside the rebate (rules.md §8)
        bill = event.get("total_fen")
        if bill is None:
            bill = event["paid_fen"] + event.get("deduction_points_fen", 0) + event.get("deduction_love_fen", 0)
        cuts = sorted(draw(st.lists(st.integers(0, bill), max_size=2)))
        amounts_ = [b - a for a, b in zip([0, *cuts], [*cuts, bill], strict=True)]
        if draw(st.integers(0, 9)) == 0:
            amounts_[0] += 1  # lines that do not add up: refused
        event["lines"] = [{"amount_fen": a, "participates": draw(st.booleans())} for a in amounts_]
    return event


@st.composite
def order_completed(draw: st.DrawFn, k: Knowledge) -> dict[str, Any]:
    return {"type": "order_completed", "order_id": _known_order(k, draw), "at": _later(k, draw)}


@st.composite
def order_refunded(draw: st.DrawFn, k: Knowledge) -> dict[str, Any]:
    if k.refunds and draw(st.integers(0, 5)) == 0:
        return dict(draw(st.sampled_from(k.refunds)))  # a duplicate delivery
    order_id = _known_order(k, draw)
    info = k.orders.get(order_id, {"paid": 1000, "refunded": 0})
    left = info["paid"] - info["refunded"]
    kind = draw(st.sampled_from(["full", "full", "partial", "partial", "too_large", "zero"]))
    amount = {
        "full": left,
        "partial": draw(st.integers(1, max(1, left - 1))) if left > 1 else 1,
        "too_large": left + draw(st.integers(1, 500)),
        "zero": draw(st.sampled_from([0, -5])),
    }[kind]
    k.counter += 1
    return {
        "type": "order_refunded",
        "order_id": order_id,
        "refund_id": f"R{k.counter}",
        "amount_fen": amount,
        "at": _later(k, draw),
    }


@st.composite
def lottery_draw(draw: st.DrawFn, k: Knowledge, outcomes_for: OutcomesFn | None = None) -> dict[str, Any]:
    order_id = _known_order(k, draw)
    pool = outcomes_for(order_id) if outcomes_for is not None else sorted(k.outcomes)
    pool = pool or [500, 1000, 2000, 3300, 5000, 15_000]
    if draw(st.integers(0, 4)) == 0:
        result = draw(st.sampled_from([0, -100, 37, 3750, 99_999]))
    else:
        result = draw(st.sampled_from(pool))
    return {"type": "lottery_draw", "order_id": order_id, "result_bp": result}


@st.composite
def exchange(draw: st.DrawFn, k: Knowledge) -> dict[str, Any]:
    into = draw(st.sampled_from(["points", "points", "voucher", "voucher", "cash"]))
    return {"type": "exchange", "order_id": _known_order(k, draw), "into": into}


@st.composite
def settings_change(draw: st.DrawFn, k: Knowledge) -> dict[str, Any]:
    roll = draw(st.integers(0, 19))
    if roll == 0:
        return {"type": "settings", "base": {"refund_clawback": "all", "leftover_policy": "carry_forward"}}
    if roll == 1:
        return {
            "type": "settings",
            "base": draw(
                st.sampled_from(
                    [{"no_such_key": 1}, {"extraction_bp": 10_001}, {"lottery": {"mode": "fixed", "options": []}}]
                )
            ),
        }
    if roll == 2:
        return {"type": "settings", "stores": {"S9": {"enabled": True}}}
    if roll == 3:
        return {"type": "settings", "base": {"paused": draw(st.booleans())}}
    event: dict[str, Any] = {"type": "settings"}
    if draw(st.booleans()):
        base = draw(patch(base_patch_values(k.shape)))
        # Keep most changes valid: A25 (all + carry_forward) has its own case above.
        if base.get("refund_clawback") == "all":
            base["leftover_policy"] = "retain"
        elif base.get("leftover_policy") == "carry_forward":
            base["refund_clawback"] = draw(st.sampled_from(["none", "received"]))
        event["base"] = base
    if draw(st.booleans()) or "base" not in event:
        store = draw(st.sampled_from(sorted(STORES)))
        event["stores"] = {store: draw(patch(store_patch_values(k.shape)))}
    return event


@st.composite
def member_level(draw: st.DrawFn, k: Knowledge) -> dict[str, Any]:
    at = k.clock + dt.timedelta(minutes=draw(st.sampled_from([-600, -1, 0, 1, 60])))
    return {
        "type": "member_level",
        "member": draw(st.sampled_from(MEMBERS)),
        "level": draw(st.one_of(st.none(), st.sampled_from(LEVELS))),
        "at": iso(at),
    }


@st.composite
def reset(draw: st.DrawFn, k: Knowledge) -> dict[str, Any]:
    return {"type": "reset", "at": _later(k, draw)}


@st.composite
def duplicate_paid(draw: st.DrawFn, k: Knowledge) -> dict[str, Any]:
    if not k.pays:
        return draw(order_paid(k))
    return dict(draw(st.sampled_from(k.pays)))


MALFORMED: list[Any] = [
    {"type": "order_paid"},
    {"type": "bogus", "order_id": "O1"},
    {
        "type": "order_paid",
        "order_id": "X",
        "store": "S1",
        "cashier": "K1",
        "paid_fen": "100",
        "paid_at": "2024-07-01T10:00:00+08:00",
    },
    {
        "type": "order_paid",
        "order_id": "X",
        "store": "S1",
        "cashier": "K1",
        "paid_fen": 100,
        "paid_at": "2024-07-01T10:00:00",
    },
    {
        "type": "order_paid",
        "order_id": "",
        "store": "S1",
        "cashier": "K1",
        "paid_fen": 100,
        "paid_at": "2024-07-01T10:00:00+08:00",
    },
    {
        "type": "order_refunded",
        "order_id": "O1",
        "refund_id": "R",
        "amount_fen": True,
        "at": "2024-07-01T10:00:00+08:00",
    },
    {"type": "lottery_draw", "order_id": "O1", "result_bp": 1000, "extra": 1},
    {"type": "exchange", "order_id": "O1"},
    {"type": "reset", "at": "not a time"},
    {"type": "member_level", "member": "m1", "at": "2024-07-01T10:00:00+08:00"},
    {"type": "settings", "stores": {"S1": 5}},
    "not an object",
    [],
]


EVENT_WEIGHTS = {
    "pay": 30,
    "walk_in": 5,
    "duplicate_paid": 3,
    "completed": 10,
    "refunded": 10,
    "lottery_draw": 6,
    "exchange": 5,
    "settings": 5,
    "member_level": 3,
    "reset": 1,
    "malformed": 2,
}


@st.composite
def events(draw: st.DrawFn, k: Knowledge, outcomes_for: OutcomesFn | None = None) -> Any:
    """One event of any type, weighted: pays are the most frequent, resets and malformed events rare."""
    kind = draw(st.sampled_from([name for name, weight in EVENT_WEIGHTS.items() for _ in range(weight)]))
    strategy: st.SearchStrategy[Any] = {
        "pay": order_paid(k),
        "walk_in": order_paid(k, member=None),
        "duplicate_paid": duplicate_paid(k),
        "completed": order_completed(k),
        "refunded": order_refunded(k),
        "lottery_draw": lottery_draw(k, outcomes_for),
        "exchange": exchange(k),
        "settings": settings_change(k),
        "member_level": member_level(k),
        "reset": reset(k),
        "malformed": st.sampled_from(MALFORMED),
    }[kind]
    return draw(strategy)


@st.composite
def scenario_documents(draw: st.DrawFn, max_events: int = 40) -> dict[str, Any]:
    """A complete scenario document with events, for replaying through any backend."""
    doc = draw(headers())
    k = Knowledge(doc)
    evs = []
    for _ in range(draw(st.integers(0, max_events))):
        event = draw(events(k))
        k.record(event)
        evs.append(event)
    doc["events"] = evs
    return doc

"""A deliberately naive reference model of the rebate rules, written from the spec, not from `shared.engine`.

Everything is lists and dicts; every derived thing (queues, eligibility, limits, spend, levels, balances) is
recomputed from scratch by a loop when it is needed. Only settings *parsing* is borrowed (`shared.settings`); the
rules — allocation §8, refunds §10, lottery §9.1, exchange §9.2, reset/pause §11, random return §12, windows and
limits §13, tiers §5.4, the ratio chain §5.1 — are re-stated here. Where the spec is silent the model follows the
decisions of scenario-format.md and the lead's recorded decisions (see the report of issue 2).

    model = NaiveModel(header_doc)         # a scenario document; its "events" are ignored
    code = model.apply(event_dict)         # rejection code or None
    model.result()                         # the replay result format
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any
from zoneinfo import ZoneInfo

from shared.errors import RuleError
from shared.settings import BaseSettings, StoreSettings, merge_base, merge_store, parse_base, parse_store

from .naive_actions import MemberActions, Rejected, floor_pct
from .naive_events import EventError, validate_event

MAX_FEN = 10**12


class NaiveModel(MemberActions):
    def __init__(self, header_doc: dict[str, Any]) -> None:
        self.base: BaseSettings = parse_base(header_doc.get("settings", {}))
        self.stores: dict[str, dict[str, Any]] = {}
        for s in header_doc.get("stores", []):
            self.stores[s["id"]] = {
                "tz": s.get("timezone", "Asia/Shanghai"),
                "cashiers": list(s["cashiers"]),
                "settings": parse_store(s.get("cashier_settings", {})),
            }
        self.level_changes: list[tuple[str, dt.datetime | None, int, str | None]] = []
        for m in header_doc.get("members", []):
            self.level_changes.append((m["id"], None, len(self.level_changes), m.get("level")))
        self.orders: dict[str, dict[str, Any]] = {}
        self.entries: list[dict[str, Any]] = []
        self.allocations: list[dict[str, Any]] = []
        self.unallocated: list[dict[str, Any]] = []
        self.rebate_lines: list[tuple[str, int]] = []
        self.points_lines: list[tuple[str, int, str | None]] = []  # member, points, entry order (None: reversal)
        self.vouchers: list[dict[str, Any]] = []
        self.carry: dict[str, int] = {}
        self.refund_ids: set[str] = set()
        self.groups: dict[tuple[str, str], dict[str, Any]] = {}
        self.arrangements = [list(a) for a in header_doc.get("random_return_arrangements", [])]
        self.fallback_rng = random.Random(0)
        self.rejected: list[dict[str, Any]] = []
        self.events_seen = 0
        times = [_ts(o["paid_at"]) for o in header_doc.get("imported_orders", [])]
        times += [_ts(e["paid_at"]) for e in header_doc.get("imported_entries", [])]
        self.clock = max(times) if times else dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        for o in header_doc.get("imported_orders", []):
            self._import_history(o)
        for e in header_doc.get("imported_entries", []):
            self._import_entry(e)

    # ------------------------------------------------------------------------------------------- imports

    def _import_history(self, o: dict[str, Any]) -> None:
        if o["order_id"] in self.orders:
            return
        paid = o["paid_fen"]
        status = o.get("status", "completed")
        self.orders[o["order_id"]] = self._order(
            o["order_id"],
            o["store"],
            o["cashier"],
            o.get("member"),
            paid,
            _ts(o["paid_at"]),
            kind="history",
            status=status,
            refunded=min(o.get("refunded_fen", 0), paid),
            participating=False,
        )

    def _import_entry(self, e: dict[str, Any]) -> None:
        if e["order_id"] in self.orders:
            return
        ratio, entitlement, paid = e["ratio_bp"], e["entitlement_fen"], e["paid_fen"]
        amount = entitlement * 10_000 // ratio if ratio else entitlement
        paid_at = _ts(e["paid_at"])
        order = self._order(
            e["order_id"],
            e["store"],
            e["cashier"],
            e["member"],
            amount,
            paid_at,
            kind="imported_entry",
            status="completed",
            participating=False,
        )
        self.orders[order["id"]] = order
        self.entries.append(
            {
                "seq": len(self.entries) + 1,
                "order": order["id"],
                "member": e["member"],
                "store": e["store"],
                "cashier": e["cashier"],
                "base": amount,
                "ratio": ratio,
                "ent": entitlement,
                "paid": paid,
                "status": "completed" if paid == entitlement else "waiting",
                "lottery": "none",
                "lottery_cfg": None,
                "label": "cash",
                "local_date": self._local(e["store"], paid_at).date(),
                "clawed": False,
            }
        )

    @staticmethod
    def _order(
        oid: str,
        store: str,
        cashier: str,
        member: str | None,
        paid: int,
        paid_at: dt.datetime,
        *,
        kind: str,
        status: str,
        refunded: int = 0,
        participating: bool = True,
    ) -> dict[str, Any]:
        return {
            "id": oid,
            "store": store,
            "cashier": cashier,
            "member": member,
            "paid": paid,
            "refunded": refunded,
            "paid_at": paid_at,
            "status": status,
            "ever_completed": status == "completed",
            "kind": kind,
            "participating": participating,
            "extraction": 0,
            "level": None,
            "cstate": "none",
            "contribution": 0,
        }

    # ------------------------------------------------------------------------------------------- helpers

    @staticmethod
    def taking_part(order: dict[str, Any], amount: int) -> int:
        total = order.get("lines_total")
        if total is None:
            return amount
        return amount * order["taking"] // total if total else 0

    def _local(self, store_id: str, ts: dt.datetime) -> dt.datetime:
        return ts.astimezone(ZoneInfo(self.stores[store_id]["tz"]))

    def _key(self, cashier: str) -> str:
        return "cashier:ALL" if self.base.all_cashiers_queue else f"cashier:{cashier}"

    def _entry_of(self, order_id: str) -> dict[str, Any] | None:
        for e in self.entries:
            if e["order"] == order_id:
                return e
        return None

    def _level_at(self, member: str, at: dt.datetime) -> str | None:
        best: tuple[dt.datetime | None, int, str | None] | None = None
        for who, when, n, level in self.level_changes:
            if who != member or (when is not None and when > at):
                continue
            if best is None or _later((when, n), (best[0], best[1])):
                best = (when, n, level)
        return best[2] if best else None

    def _spend(self, member: str, store: str, exclude: str, since: dt.datetime, until: dt.datetime) -> int:
        total = 0
        for o in self.orders.values():
            mine = o["member"] == member and o["store"] == store and o["id"] != exclude
            counted = o["status"] == "completed" and o["kind"] != "imported_entry"
            if mine and counted and since <= o["paid_at"] < until:
                total += o["paid"] - o["refunded"]
        return total

    def _count_entries(self, member: str, store: str, day: dt.date | None) -> int:
        n = 0
        for e in self.entries:
            mine = e["member"] == member and e["store"] == store
            if mine and e["status"] != "cancelled" and (day is None or e["local_date"] == day):
                n += 1
        return n

    def _eligible(self, key: str) -> list[dict[str, Any]]:
        out = []
        for e in self.entries:
            if self._key(e["cashier"]) == key and e["status"] == "waiting" and e["ent"] - e["paid"] > 0:
                out.append(e)
        if self.base.ordering_rule == "completed_first":
            first = [e for e in out if self.orders[e["order"]]["ever_completed"]]
            rest = [e for e in out if not self.orders[e["order"]]["ever_completed"]]
            return first + rest
        return out

    def _close(self, e: dict[str, Any], status: str) -> None:
        e["status"] = status
        if e["lottery"] == "available":
            e["lottery"] = "lapsed"

    # ------------------------------------------------------------------------------------------- events

    def apply(self, event: object) -> str | None:
        """Apply one event document; the rejection code, or None when it was applied or ignored."""
        index = self.events_seen
        self.events_seen += 1
        try:
            ev = validate_event(event)
        except EventError:
            self.rejected.append({"event": index, "code": "invalid_event"})
            return "invalid_event"
        for name in ("paid_at", "at"):
            if name in ev:
                self.clock = max(self.clock, ev[name])
        handler = getattr(self, "_on_" + ev["type"])
        try:
            handler(ev)
        except Rejected as r:
            self.rejected.append({"event": index, "code": r.code})
            return r.code
        return None

    # §7 entry creation ---------------------------------------------------------------------------

    def _on_order_paid(self, ev: dict[str, Any]) -> None:
        for name in ("paid_fen", "discount_fen", "deduction_points_fen", "deduction_love_fen", "total_fen"):
            value = ev.get(name, 0)
            if value is not None and not 0 <= value <= MAX_FEN:
                raise Rejected("invalid_amount")
        lines = ev.get("lines") or []
        if lines:
            if any(not 0 <= amount <= MAX_FEN for amount, _ in lines):
                raise Rejected("invalid_amount")
            bill = ev.get("total_fen")
            if bill is None:
                bill = sum(
                    ev.get(n, 0) for n in ("paid_fen", "discount_fen", "deduction_points_fen", "deduction_love_fen")
                )
            if sum(a for a, _ in lines) != bill or ev["paid_fen"] > bill:
                raise Rejected("invalid_amount")
        store = self.stores.get(ev["store"])
        if store is None:
            raise Rejected("unknown_store")
        if ev["cashier"] not in store["cashiers"]:
            raise Rejected("unknown_cashier")
        if ev["order_id"] in self.orders:
            return  # a duplicate delivery: acknowledged, ignored
        member = ev.get("member") or None
        paid_at = ev["paid_at"]
        order = self._order(
            ev["order_id"],
            ev["store"],
            ev["cashier"],
            member,
            ev["paid_fen"],
            paid_at,
            kind="live",
            status="completed" if ev.get("completed") else "paid",
        )
        # rules.md §8: only the taking-part lines' share of what was paid counts, rounded down (D21, D22, D24)
        order["lines_total"] = sum(a for a, _ in lines) if lines else None
        order["taking"] = sum(a for a, takes in lines if takes)
        self.orders[order["id"]] = order
        settings: StoreSettings = store["settings"]
        order["participating"] = self.base.enabled and settings.enabled
        if not order["participating"]:
            return
        order["extraction"] = settings.extraction_bp if settings.extraction_bp is not None else self.base.extraction_bp
        if member is not None:
            order["level"] = self._level_at(member, paid_at)
        if member is not None or self.base.anonymous_orders_contribute:
            order["cstate"] = "pending"
        entry = self._maybe_entry(order, ev)
        if entry is not None:
            self.entries.append(entry)
            self._random_return(entry)
        if self.base.settlement_event == "on_pay" or order["status"] == "completed":
            self._settle(order)

    def _maybe_entry(self, order: dict[str, Any], ev: dict[str, Any]) -> dict[str, Any] | None:
        member, settings = order["member"], self.stores[order["store"]]["settings"]
        paid = self.taking_part(order, order["paid"])
        if member is None or paid <= 0:
            return None
        deducted = ev.get("deduction_points_fen", 0) + ev.get("deduction_love_fen", 0)
        if deducted > 0 and not self.base.deduction_orders_join:
            return None
        local = self._local(order["store"], order["paid_at"])
        if settings.time_windows and not any(_in_window(w, local) for w in settings.time_windows):
            return None
        if settings.daily_limit and self._count_entries(member, order["store"], local.date()) >= settings.daily_limit:
            return None
        if settings.total_limit and self._count_entries(member, order["store"], None) >= settings.total_limit:
            return None
        ratio, lottery = self._ratio(order, settings)
        entitlement = floor_pct(paid, ratio)
        if entitlement == 0 and lottery is None:
            return None
        return {
            "seq": len(self.entries) + 1,
            "order": order["id"],
            "member": member,
            "store": order["store"],
            "cashier": order["cashier"],
            "base": paid,
            "ratio": ratio,
            "ent": entitlement,
            "paid": 0,
            "status": "waiting",
            "lottery": "available" if lottery is not None else "none",
            "lottery_cfg": lottery,
            "label": "cash",
            "local_date": local.date(),
            "clawed": False,
        }

    def _ratio(self, order: dict[str, Any], s: StoreSettings) -> tuple[int, Any]:
        """§5.1: cashier level, base level, cashier tiers (max qualifying), cashier lottery, base lottery, defaults."""
        level = order["level"]
        if level is not None and s.level_entitlement_bp.get(level) is not None:
            return s.level_entitlement_bp[level], None  # type: ignore[return-value]
        if level is not None and self.base.level_entitlement_bp.get(level) is not None:
            return self.base.level_entitlement_bp[level], None  # type: ignore[return-value]
        qualifying = []
        for tier in s.cumulative_tiers:
            since = order["paid_at"] - dt.timedelta(hours=24 * tier.days)
            if self._spend(order["member"], order["store"], order["id"], since, order["paid_at"]) >= tier.threshold_fen:
                qualifying.append(tier.ratio_bp)
        if qualifying:
            return max(qualifying), None
        default = s.default_entitlement_bp if s.default_entitlement_bp is not None else self.base.default_entitlement_bp
        lottery = s.lottery if s.lottery is not None else self.base.lottery
        return default, lottery

    def _random_return(self, entry: dict[str, Any]) -> None:
        """§12: groups of consecutive entries per (queue, settings owner), labels from a drawn arrangement."""
        s = self.stores[entry["store"]]["settings"]
        if s.random_return == "off":
            return
        if s.random_return == "inherit":
            rr, owner = self.base.random_return, "base"
        else:
            rr, owner = s.random_return, "store:" + entry["store"]
        if rr is None:
            return
        counter = (self._key(entry["cashier"]), owner)
        shape = (rr.group_size, rr.cash_per_group)  # type: ignore[union-attr]
        group = self.groups.get(counter)
        if group is None or group["shape"] != shape or group["used"] == len(group["labels"]):
            group = {"shape": shape, "labels": self._arrangement(*shape), "used": 0}
            self.groups[counter] = group
        label = group["labels"][group["used"]]
        group["used"] += 1
        if label == "points":
            entry["label"] = "points"
            self._close(entry, "converted")
            points = entry["ent"] * self.base.points_per_yuan_x100 // 10_000
            self.points_lines.append((entry["member"], points, entry["order"]))

    def _arrangement(self, size: int, cash: int) -> list[str]:
        if self.arrangements:
            labels = self.arrangements.pop(0)
            assert len(labels) == size and labels.count("cash") == cash, "scripted arrangement does not fit"
            return labels
        labels = ["cash"] * cash + ["points"] * (size - cash)
        self.fallback_rng.shuffle(labels)  # replay's fallback when the scenario runs out of arrangements
        return labels

    # §8 settlement ---------------------------------------------------------------------------------

    def _settle(self, order: dict[str, Any]) -> None:
        if order["cstate"] != "pending":
            return
        amount = floor_pct(self.taking_part(order, order["paid"] - order["refunded"]), order["extraction"])
        order["contribution"] = amount
        if amount == 0:
            order["cstate"] = "zero"
            return
        key = self._key(order["cashier"])
        if self.base.paused:
            order["cstate"] = "paused"
            self.unallocated.append({"order_id": order["id"], "amount_fen": amount, "reason": "paused"})
            return
        order["cstate"] = "allocated"
        pool = amount
        if self.base.leftover_policy == "carry_forward":
            pool += self.carry.pop(key, 0)
        for e in self._eligible(key):
            if pool == 0:
                break
            x = min(pool, e["ent"] - e["paid"])
            e["paid"] += x
            pool -= x
            self.allocations.append({"from_order": order["id"], "to_order": e["order"], "amount_fen": x})
            self.rebate_lines.append((e["member"], x))
            if e["paid"] == e["ent"]:
                self._close(e, "completed")
        if pool > 0:
            if self.base.leftover_policy == "carry_forward":
                self.carry[key] = pool
            else:
                self.unallocated.append({"order_id": order["id"], "amount_fen": pool, "reason": "no_eligible_entry"})

    def _on_order_completed(self, ev: dict[str, Any]) -> None:
        order = self.orders.get(ev["order_id"])
        if order is None:
            raise Rejected("unknown_order")
        if order["status"] == "refunded":
            raise Rejected("order_refunded")
        if order["status"] == "completed":
            return
        order["status"] = "completed"
        order["ever_completed"] = True
        if order["participating"]:
            self._settle(order)

    # settings, levels, §11 reset ----------------------------------------------------------------------

    def _on_settings(self, ev: dict[str, Any]) -> None:
        try:
            base = merge_base(self.base, ev["base"]) if ev.get("base") is not None else self.base
            stores = {}
            for store_id, patch in ev.get("stores", {}).items():
                if store_id not in self.stores:
                    raise Rejected("unknown_store")
                stores[store_id] = merge_store(self.stores[store_id]["settings"], patch)
        except RuleError as exc:
            raise Rejected(exc.code.value) from None
        old = self.base
        if old.leftover_policy == "carry_forward" and base.leftover_policy != "carry_forward":
            for key in sorted(self.carry):
                if self.carry[key]:
                    self.unallocated.append({"order_id": None, "amount_fen": self.carry[key], "reason": "reset_carry"})
            self.carry = {}
        changed = old.all_cashiers_queue != base.all_cashiers_queue or old.random_return != base.random_return
        for store_id, new in stores.items():
            changed = changed or new.random_return != self.stores[store_id]["settings"].random_return
        if changed:
            self.groups = {}  # §12: the partition or the setting changed, partially filled groups are abandoned
        self.base = base
        for store_id, new in stores.items():
            self.stores[store_id]["settings"] = new

    def _on_member_level(self, ev: dict[str, Any]) -> None:
        self.level_changes.append((ev["member"], ev["at"], len(self.level_changes), ev["level"]))

    def _on_reset(self, ev: dict[str, Any]) -> None:
        for e in self.entries:
            if e["status"] == "waiting":
                self._close(e, "expired")
        for key in sorted(self.carry):
            if self.carry[key]:
                self.unallocated.append({"order_id": None, "amount_fen": self.carry[key], "reason": "reset_carry"})
        self.carry = {}

    # ------------------------------------------------------------------------------------------- result

    def result(self) -> dict[str, Any]:
        members: dict[str, dict[str, int]] = {}

        def bal(m: str) -> dict[str, int]:
            return members.setdefault(m, {"rebate_fen": 0, "points": 0, "voucher_fen": 0})

        for m, x in self.rebate_lines:
            bal(m)["rebate_fen"] += x
        for m, p, _src in self.points_lines:
            bal(m)["points"] += p
        for v in self.vouchers:
            if v["state"] == "issued":
                bal(v["member"])["voucher_fen"] += v["value"]
        return {
            "entries": [
                {
                    "order_id": e["order"],
                    "member": e["member"],
                    "queue": self._key(e["cashier"]),
                    "seq": e["seq"],
                    "ratio_bp": e["ratio"],
                    "entitlement_fen": e["ent"],
                    "paid_fen": e["paid"],
                    "status": e["status"],
                    "lottery_state": e["lottery"],
                    "label": e["label"],
                }
                for e in self.entries
            ],
            "allocations": [dict(a) for a in self.allocations],
            "unallocated": [dict(u) for u in self.unallocated],
            "members": {m: b for m, b in sorted(members.items()) if any(b.values())},
            "rejected": [dict(r) for r in self.rejected],
        }

    def lottery_outcomes(self, order_id: str) -> list[int]:
        """Every result the lottery of that order's entry could give (empty when none applies); for generators."""
        entry = self._entry_of(order_id)
        if entry is None or entry["lottery_cfg"] is None:
            return []
        cfg = entry["lottery_cfg"]
        if cfg.mode == "fixed":
            return sorted({o.ratio_bp for o in cfg.options})
        return list(range(cfg.min_bp, cfg.max_bp + 1, cfg.step_bp))


def _ts(value: Any) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)


def _later(a: tuple[dt.datetime | None, int], b: tuple[dt.datetime | None, int]) -> bool:
    """Level changes: the latest `at` wins, a later event wins a tie; the initial level is at minus infinity."""
    if a[0] != b[0]:
        return b[0] is None or (a[0] is not None and a[0] > b[0])
    return a[1] > b[1]


def _in_window(w: Any, local: dt.datetime) -> bool:
    """§3.3/§13: [start, end) in store-local time; start > end wraps (the small hours belong to the day the window
    opened); start == end is the whole day (lead's decision)."""
    t, day = local.time(), local.date()
    if w.start == w.end:
        inside = True
    elif w.start < w.end:
        inside = w.start <= t < w.end
    else:
        inside = t >= w.start or t < w.end
        if t < w.end:
            day -= dt.timedelta(days=1)
    if not inside:
        return False
    if w.weekdays is not None and day.isoweekday() not in w.weekdays:
        return False
    if w.date_from is not None and day < w.date_from:
        return False
    return w.date_to is None or day <= w.date_to

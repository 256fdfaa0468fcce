"""The naive model's refunds (§10) and member actions (§9): lottery draw and exchange. Mixed into NaiveModel."""

from __future__ import annotations

from typing import Any


def floor_pct(amount: int, ratio_bp: int) -> int:
    return amount * ratio_bp // 10_000


class Rejected(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class MemberActions:
    """Needs the NaiveModel's state: base, orders, entries, allocations, unallocated, ledgers, refund_ids."""

    base: Any
    orders: dict[str, dict[str, Any]]
    allocations: list[dict[str, Any]]
    unallocated: list[dict[str, Any]]
    rebate_lines: list[tuple[str, int]]
    points_lines: list[tuple[str, int, str | None]]
    vouchers: list[dict[str, Any]]
    refund_ids: set[str]

    def _entry_of(self, order_id: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def _close(self, e: dict[str, Any], status: str) -> None:
        raise NotImplementedError

    @staticmethod
    def taking_part(order: dict[str, Any], amount: int) -> int:
        raise NotImplementedError

    # §10 refunds -----------------------------------------------------------------------------------

    def _on_order_refunded(self, ev: dict[str, Any]) -> None:
        if ev["refund_id"] in self.refund_ids:
            return
        amount = ev["amount_fen"]
        if amount <= 0:
            raise Rejected("invalid_amount")
        order = self.orders.get(ev["order_id"])
        if order is None or order["kind"] == "history":
            raise Rejected("unknown_order")
        left = order["paid"] - order["refunded"]
        if amount > left:
            raise Rejected("refund_exceeds_paid")
        order["refunded"] += amount
        entry = self._entry_of(order["id"])
        policy = self.base.refund_clawback
        if amount == left:
            order["status"] = "refunded"
            if policy == "all" and order["cstate"] == "allocated":
                self._reverse(order)
            elif policy == "all" and order["cstate"] == "paused":
                self.unallocated = [u for u in self.unallocated if u["order_id"] != order["id"]]
                order["contribution"] = 0
            if order["cstate"] == "pending":
                order["cstate"] = "cancelled"
            if entry is not None:
                if entry["status"] == "waiting":
                    self._close(entry, "cancelled")
                if policy in ("received", "all") and not entry["clawed"]:
                    self._claw_back(entry)
        elif entry is not None and entry["status"] == "waiting":
            entry["base"] = self.taking_part(order, order["paid"] - order["refunded"])
            entry["ent"] = max(floor_pct(entry["base"], entry["ratio"]), entry["paid"])
            lottery_zero = entry["lottery"] == "available" and entry["ent"] == 0
            if entry["ent"] == entry["paid"] and not lottery_zero:
                self._close(entry, "completed")
        self.refund_ids.add(ev["refund_id"])

    def _reverse(self, order: dict[str, Any]) -> None:
        """refund_clawback = all: take the order's own contribution back, newest lines first (carried money it
        poured first stays); entries already clawed back or of other refunded orders keep what they got."""
        own = order["contribution"]
        still = 0
        lines = [a for a in self.allocations if a["from_order"] == order["id"] and a["amount_fen"] > 0]
        for line in reversed(lines):
            take = min(line["amount_fen"], own)
            own -= take
            target = self._entry_of(line["to_order"])
            assert target is not None
            other_refunded = target["order"] != order["id"] and self.orders[target["order"]]["status"] == "refunded"
            if take == 0:
                continue
            if target["clawed"] or other_refunded:
                still += take
                continue
            target["paid"] -= take
            self.allocations.append({"from_order": order["id"], "to_order": target["order"], "amount_fen": -take})
            self.rebate_lines.append((target["member"], -take))
            if target["status"] == "completed":
                target["status"] = "waiting"
        self.unallocated = [u for u in self.unallocated if u["order_id"] != order["id"]]
        order["contribution"] = still

    def _claw_back(self, entry: dict[str, Any]) -> None:
        if entry["paid"]:
            self.rebate_lines.append((entry["member"], -entry["paid"]))
        points = sum(p for m, p, src in self.points_lines if src == entry["order"])
        if points:
            self.points_lines.append((entry["member"], -points, None))
        for v in self.vouchers:
            if v["entry"] == entry["order"] and v["state"] == "issued":
                v["state"] = "void"
        entry["clawed"] = True

    # §9 member actions -----------------------------------------------------------------------------

    def _waiting_entry(self, order_id: str) -> dict[str, Any]:
        order = self.orders.get(order_id)
        if order is None or order["kind"] == "history":
            raise Rejected("unknown_order")
        entry = self._entry_of(order_id)
        if entry is None:
            raise Rejected("no_entry")
        if entry["status"] != "waiting":
            raise Rejected("entry_not_waiting")
        return entry

    def _on_lottery_draw(self, ev: dict[str, Any]) -> None:
        entry = self._waiting_entry(ev["order_id"])
        if entry["lottery"] != "available":
            raise Rejected("lottery_not_available")
        r, cfg = ev["result_bp"], entry["lottery_cfg"]
        if cfg.mode == "fixed":
            allowed = r in [o.ratio_bp for o in cfg.options]
        else:
            allowed = cfg.min_bp <= r <= cfg.max_bp and (r - cfg.min_bp) % cfg.step_bp == 0
        if not allowed:
            raise Rejected("invalid_lottery_result")
        entry["ent"] = max(floor_pct(entry["base"], r), entry["paid"])
        entry["ratio"] = r
        entry["lottery"] = "drawn"
        if entry["ent"] == entry["paid"]:
            self._close(entry, "completed")

    def _on_exchange(self, ev: dict[str, Any]) -> None:
        into = ev["into"]
        if into not in ("points", "voucher"):
            raise Rejected("invalid_target")
        if not (self.base.points_exchange_enabled if into == "points" else self.base.voucher_exchange_enabled):
            raise Rejected("exchange_disabled")
        entry = self._waiting_entry(ev["order_id"])
        remaining = entry["ent"] - entry["paid"]
        if into == "points":
            amount = remaining * self.base.points_per_yuan_x100 // 10_000
        else:
            amount = floor_pct(remaining, self.base.voucher_ratio_bp)
        if remaining <= 0 or amount == 0:
            raise Rejected("exchange_amount_zero")
        if into == "points":
            self.points_lines.append((entry["member"], amount, entry["order"]))
        else:
            voucher = {"member": entry["member"], "value": amount, "entry": entry["order"], "state": "issued"}
            self.vouchers.append(voucher)
        self._close(entry, "exchanged")

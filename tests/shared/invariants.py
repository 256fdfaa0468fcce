"""The invariants of spec §19, checked after every event on the replay result plus the in-memory repository.

`InvariantChecker(header).check(event, code, before, after, repo)` raises AssertionError naming the invariant.

Where each invariant is checked:

- INV-1: every entry has integer fen and 0 <= paid <= entitlement.
- INV-2: completed => paid = entitlement; no waiting entry with paid = entitlement > 0.
- INV-3: a terminal status never changes, except completed -> waiting by a reversal line of this very event
  (or completed -> cancelled for the refunded order's own entry, reopened then cancelled); new payout lines
  only go to entries that were waiting (or were just created).
- INV-4: Σ lines to an entry = its paid, minus what an imported entry had received before.
- INV-5: for an order settling in this event, contribution = pct(base of net, extraction); while carry-forward never
  ran, Σ lines + Σ unallocated of every settled order = its contribution (0 once cancelled).
- INV-6: Σ contributions = Σ lines + Σ unallocated + Σ carry (always: a reversal under `all` takes back only
  the order's own money, docs/rules.md D15).
- INV-7: rebate = Σ lines to the member's entries − what was clawed back; points and voucher face follow
  from the entries that produced them and were not clawed back.
- INV-8: a settlement pays a prefix of eligible(key) in §8 order, all but the last completed; money is left
  over (unallocated or carried) only when that list is exhausted.
- INV-9: seq unique and ascending; a new entry is above every older seq.
- INV-10: one entry per order; a duplicate `order_paid` / `order_refunded` changes nothing.
- INV-11: entitlement and ratio change only by a draw on that entry (to max(pct(base, r), paid)) or a
  partial refund of its order (ratio kept, never below paid).
- INV-12: drawn stays drawn; a drawn ratio is an outcome of the entry's lottery.
- INV-13: while paused no payout line appears.
- INV-14: right after a reset no waiting entry and no carry.
- INV-15: at creation, the member's non-cancelled entries at the store are within the daily/total limits.
- INV-16: label points <=> converted; converted paid 0 and floor(entitlement × ppy / 10000) points; slots are
  filled in order and a full group holds exactly cash_per_group cash slots.
- INV-17 (partly): walk-ins, zero-paid orders and deduction orders with the switch off get no entry;
  windows and limits are compared with the naive model in test_state_machine.
- INV-19: `all` and `carry_forward` never both active.
- Not here: INV-18 (positions are the server's read view, tests/server), INV-20 (terminals, tests/cashier_app).
Also: a refused event changes nothing, and payout lines are append-only.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from shared.engine.memory import MemoryRepository
from shared.engine.model import Contribution, EntryStatus, Order
from shared.lines import lines_from_json, rebate_base
from shared.money import pct, points_for
from shared.settings import Lottery, random_return_for

TERMINAL = {"completed", "converted", "exchanged", "expired", "cancelled"}


class InvariantChecker:
    def __init__(self, header: dict[str, Any]) -> None:
        self.imported_paid: dict[str, int] = {}
        self.known_orders = {o["order_id"] for o in header.get("imported_orders", [])}
        for e in header.get("imported_entries", []):
            if e["order_id"] not in self.known_orders:
                self.imported_paid[e["order_id"]] = e["paid_fen"]
            self.known_orders.add(e["order_id"])
        self.known_refunds: set[str] = set()
        self.carry_ran = header.get("settings", {}).get("leftover_policy") == "carry_forward"
        self.settled_seen: set[str] = set()
        self.points_of: dict[str, int] = {}  # entry order -> points it produced
        self.voucher_of: dict[str, int] = {}  # entry order -> voucher face it produced
        self.groups: list[dict[str, Any]] = []  # random-return groups as formed: size, cash, labels
        self.current_group: dict[str | None, int] = {}  # counter key -> index in self.groups

    # -------------------------------------------------------------------------------------- entry point

    def check(
        self, event: Any, code: str | None, before: dict[str, Any], after: dict[str, Any], repo: MemoryRepository
    ) -> None:
        kind = event.get("type") if isinstance(event, dict) else None
        base = repo.base_settings()
        new_lines = after["allocations"][len(before["allocations"]) :]
        kept = after["allocations"][: len(before["allocations"])]
        assert kept == before["allocations"], "payout lines are append-only"
        if base.leftover_policy == "carry_forward":
            self.carry_ran = True
        if code is not None:
            assert _same(before, after), f"a refused event ({code}) changed the state"
        duplicate = code is None and (
            (kind == "order_paid" and event["order_id"] in self.known_orders)
            or (kind == "order_refunded" and event["refund_id"] in self.known_refunds)
        )
        if duplicate:
            assert _same(before, after), "INV-10: a duplicate delivery changed something"
        elif code is None and kind == "order_paid":
            self.known_orders.add(event["order_id"])
        elif code is None and kind == "order_refunded":
            self.known_refunds.add(event["refund_id"])
        self._transitions(kind, event, code, before, after, new_lines, repo)
        self._static(after, repo)
        self._settlement(new_lines, before, after, repo)
        self._ledgers(kind, event, before, after, repo)

    # -------------------------------------------------------------------------------------- state

    def _static(self, after: dict[str, Any], repo: MemoryRepository) -> None:
        base = repo.base_settings()
        assert not (base.refund_clawback == "all" and base.leftover_policy == "carry_forward"), "INV-19"
        seqs = [e["seq"] for e in after["entries"]]
        assert seqs == sorted(set(seqs)), "INV-9: seq unique and ascending"
        orders = [e["order_id"] for e in after["entries"]]
        assert len(orders) == len(set(orders)), "INV-10: one entry per order"
        to_entry: Counter[str] = Counter()
        for line in after["allocations"]:
            to_entry[line["to_order"]] += line["amount_fen"]
        for e in after["entries"]:
            ent, paid = e["entitlement_fen"], e["paid_fen"]
            assert type(ent) is int and type(paid) is int, "INV-1: fen are integers"
            assert 0 <= paid <= ent, f"INV-1: {e}"
            if e["status"] == "completed":
                assert paid == ent, f"INV-2: {e}"
            if e["status"] == "waiting":
                assert not (paid == ent > 0), f"INV-2: {e}"
            assert to_entry[e["order_id"]] == paid - self.imported_paid.get(e["order_id"], 0), f"INV-4: {e}"
            assert (e["label"] == "points") == (e["status"] == "converted"), f"INV-16: {e}"
            if e["status"] == "converted":
                assert paid == 0, f"INV-16: {e}"
            assert e["member"] is not None, "INV-17: walk-ins have no entries"
        for entry in repo.entries():
            if entry.lottery_state.value == "drawn":
                assert entry.lottery_cfg is not None
                assert Lottery.model_validate_json(entry.lottery_cfg).allows(entry.ratio_bp), f"INV-12: {entry}"
        self._groups()
        contributions = sum(o.contribution_fen for o in repo.all_orders())
        kept = sum(u["amount_fen"] for u in after["unallocated"])
        paid = sum(line["amount_fen"] for line in after["allocations"])
        assert contributions == paid + kept + sum(repo.carries().values()), "INV-6: global conservation"
        if not self.carry_ran:
            self._per_order(after, repo)

    def _per_order(self, after: dict[str, Any], repo: MemoryRepository) -> None:
        lines: Counter[str] = Counter()
        for line in after["allocations"]:
            lines[line["from_order"]] += line["amount_fen"]
        for u in after["unallocated"]:
            if u["order_id"] is not None:
                lines[u["order_id"]] += u["amount_fen"]
        for o in repo.all_orders():
            if o.contribution in (Contribution.ALLOCATED, Contribution.FORFEITED_PAUSED):
                assert lines[o.order_id] == o.contribution_fen, f"INV-5: {o.order_id}"
            else:
                assert lines[o.order_id] == 0, f"INV-5: {o.order_id} has lines but is {o.contribution}"

    def _groups(self) -> None:
        for group in self.groups:
            assert len(group["labels"]) <= group["size"], f"INV-16: group overfull {group}"
            if len(group["labels"]) == group["size"]:
                assert group["labels"].count("cash") == group["cash"], f"INV-16: complete group {group}"

    # -------------------------------------------------------------------------------------- transitions

    def _transitions(
        self,
        kind: str | None,
        event: Any,
        code: str | None,
        before: dict[str, Any],
        after: dict[str, Any],
        new_lines: list[dict[str, Any]],
        repo: MemoryRepository,
    ) -> None:
        old = {e["order_id"]: e for e in before["entries"]}
        reversed_to = {line["to_order"] for line in new_lines if line["amount_fen"] < 0}
        paid_to = {line["to_order"] for line in new_lines if line["amount_fen"] > 0}
        max_old = max((e["seq"] for e in before["entries"]), default=0)
        target = event.get("order_id") if isinstance(event, dict) else None
        for e in after["entries"]:
            was = old.get(e["order_id"])
            if was is None:
                assert code is None and kind == "order_paid", "INV-9: only an order creates an entry"
                assert e["seq"] > max_old, "INV-9: a new entry goes to the tail"
                self._created(e, repo)
                continue
            if was["status"] in TERMINAL and e["status"] != was["status"]:
                # Reopened by a reversal; the refunded order's own entry then goes on to be cancelled (its
                # allocations are reversed first, lead's decision), so completed -> cancelled is that composite.
                reopened = was["status"] == "completed" and e["order_id"] in reversed_to
                own = kind == "order_refunded" and e["order_id"] == target and e["status"] == "cancelled"
                assert reopened and (e["status"] == "waiting" or own), f"INV-3: {was['status']} -> {e['status']}"
            if e["order_id"] in paid_to:
                assert was["status"] == "waiting", f"INV-3: {was['status']} entry received money"
            if e["entitlement_fen"] != was["entitlement_fen"] or e["ratio_bp"] != was["ratio_bp"]:
                assert e["order_id"] == target and kind in ("lottery_draw", "order_refunded"), "INV-11"
                if kind == "lottery_draw":
                    stored = next(x for x in repo.entries() if x.order_id == e["order_id"])
                    want = max(pct(stored.base_fen, e["ratio_bp"]), was["paid_fen"])
                    assert e["entitlement_fen"] == want and e["ratio_bp"] == event["result_bp"], "INV-11: draw"
                else:
                    assert e["ratio_bp"] == was["ratio_bp"] and e["entitlement_fen"] >= e["paid_fen"], "INV-11"
            if was["lottery_state"] == "drawn":
                assert e["lottery_state"] == "drawn", "INV-12: drawn at most once"
        if kind == "reset" and code is None:
            assert all(e["status"] != "waiting" for e in after["entries"]), "INV-14"
            assert not repo.carries(), "INV-14: carry balances are 0"
        if repo.base_settings().paused and kind != "settings":
            assert not paid_to, "INV-13: no allocation while paused"

    def _created(self, e: dict[str, Any], repo: MemoryRepository) -> None:
        entry = next(x for x in repo.entries() if x.order_id == e["order_id"])
        store = repo.store(entry.store_id)
        assert store is not None
        order = repo.order(entry.order_id)
        assert order is not None and order.member_id is not None and order.paid_fen > 0, "INV-17"
        base = repo.base_settings()
        if order.deduction_points_fen + order.deduction_love_fen > 0:
            assert base.deduction_orders_join, "INV-17: deduction order joined with the switch off"
        mine = [x for x in repo.entries() if x.member_id == entry.member_id and x.store_id == entry.store_id]
        alive = [x for x in mine if x.status != EntryStatus.CANCELLED]
        if store.settings.daily_limit:
            same_day = [x for x in alive if x.local_date == entry.local_date]
            assert len(same_day) <= store.settings.daily_limit, "INV-15: daily limit"
        if store.settings.total_limit:
            assert len(alive) <= store.settings.total_limit, "INV-15: total limit"
        if entry.slot is not None:
            if entry.slot == 0:  # the first entry of a new group (group numbers may restart after a toggle)
                rr, _owner = random_return_for(base, store.settings)
                assert rr is not None
                self.current_group[entry.group_key] = len(self.groups)
                self.groups.append({"size": rr.group_size, "cash": rr.cash_per_group, "labels": []})
            group = self.groups[self.current_group[entry.group_key]]
            assert entry.slot == len(group["labels"]), "INV-16: slots are filled in creation order"
            group["labels"].append(entry.label)
        if e["status"] == "converted":
            self.points_of[e["order_id"]] = points_for(e["entitlement_fen"], base.points_per_yuan_x100)

    # -------------------------------------------------------------------------------------- settlement

    def _settlement(
        self, new_lines: list[dict[str, Any]], before: dict[str, Any], after: dict[str, Any], repo: MemoryRepository
    ) -> None:
        """INV-8 for the (at most one) settlement an event makes; records what INV-5 expects of it."""
        settled = [o for o in repo.all_orders() if o.settled and o.order_id not in self.settled_seen]
        for o in settled:
            self.settled_seen.add(o.order_id)
            if o.contribution in (Contribution.ALLOCATED, Contribution.FORFEITED_PAUSED, Contribution.ZERO):
                # rules.md §8: of the net, only the share of the lines that take part (all of it without lines)
                want = pct(rebate_base(o.net_fen, lines_from_json(o.lines_json)), o.extraction_bp)
                assert o.contribution_fen == want, f"INV-5: contribution of {o.order_id} is pct(base, extraction)"
        paying = [o for o in settled if o.contribution == Contribution.ALLOCATED]
        positive = [line for line in new_lines if line["amount_fen"] > 0]
        if not paying:
            assert not positive, "payout lines without a settlement"
            return
        assert len(paying) == 1, "one settlement per event"
        order = paying[0]
        assert all(line["from_order"] == order.order_id for line in positive)
        eligible = self._eligible_before(order, before, after, repo)
        targets = [line["to_order"] for line in positive]
        assert targets == [e["order_id"] for e in eligible[: len(targets)]], f"INV-8: {targets} vs {eligible}"
        now = {e["order_id"]: e for e in after["entries"]}
        for name in targets[:-1]:
            assert now[name]["status"] == "completed", "INV-8: all but the last are completed"
        left_over = [u for u in after["unallocated"][len(before["unallocated"]) :] if u["order_id"] == order.order_id]
        key = "cashier:ALL" if repo.base_settings().all_cashiers_queue else f"cashier:{order.cashier_id}"
        carried = repo.carries().get(key, 0) > 0
        if left_over or (carried and len(targets) < len(eligible)):
            assert len(targets) == len(eligible), "INV-8: money left over while entries were eligible"
        if left_over or carried:
            assert all(now[name]["status"] == "completed" for name in targets), "INV-8: leftover with a partial"

    @staticmethod
    def _eligible_before(
        order: Order, before: dict[str, Any], after: dict[str, Any], repo: MemoryRepository
    ) -> list[dict[str, Any]]:
        base = repo.base_settings()
        key = "cashier:ALL" if base.all_cashiers_queue else f"cashier:{order.cashier_id}"
        state = {e["order_id"]: e for e in before["entries"]}
        for e in after["entries"]:
            if e["order_id"] not in state:  # the paying order's own new entry, before its contribution
                status = "converted" if e["label"] == "points" else "waiting"
                state[e["order_id"]] = {**e, "paid_fen": 0, "status": status}
        completed = {x.order_id: x.order_completed for x in repo.entries()}
        eligible = [
            e
            for e in sorted(state.values(), key=lambda e: e["seq"])
            if e["queue"] == key and e["status"] == "waiting" and e["entitlement_fen"] > e["paid_fen"]
        ]
        if base.ordering_rule == "completed_first":
            eligible.sort(key=lambda e: not completed[e["order_id"]])
        return eligible

    # -------------------------------------------------------------------------------------- ledgers

    def _ledgers(
        self, kind: str | None, event: Any, before: dict[str, Any], after: dict[str, Any], repo: MemoryRepository
    ) -> None:
        """INV-7 and INV-16's points: balances follow from the entries, the lines and what was clawed back."""
        was = {e["order_id"]: e for e in before["entries"]}
        now = {e["order_id"]: e for e in after["entries"]}
        base = repo.base_settings()
        if kind == "exchange" and was.get(event.get("order_id"), {}).get("status") == "waiting":
            e = was[event["order_id"]]
            if now[event["order_id"]]["status"] == "exchanged":
                remaining = e["entitlement_fen"] - e["paid_fen"]
                if event["into"] == "points":
                    self.points_of[e["order_id"]] = points_for(remaining, base.points_per_yuan_x100)
                else:
                    self.voucher_of[e["order_id"]] = pct(remaining, base.voucher_ratio_bp)
        clawed = {x.order_id for x in repo.entries() if x.clawed_back}
        rebate: Counter[str] = Counter()
        points: Counter[str] = Counter()
        voucher: Counter[str] = Counter()
        member_of = {e["order_id"]: e["member"] for e in after["entries"]}
        for line in after["allocations"]:
            rebate[member_of[line["to_order"]]] += line["amount_fen"]
        for e in after["entries"]:
            if e["order_id"] in clawed:
                rebate[e["member"]] -= e["paid_fen"]
            else:
                points[e["member"]] += self.points_of.get(e["order_id"], 0)
                voucher[e["member"]] += self.voucher_of.get(e["order_id"], 0)
        members = set(rebate) | set(points) | set(voucher) | set(after["members"])
        for m in members:
            got = after["members"].get(m, {"rebate_fen": 0, "points": 0, "voucher_fen": 0})
            assert got["rebate_fen"] == rebate[m], f"INV-7: rebate of {m}"
            assert got["points"] == points[m], f"INV-7/16: points of {m}"
            assert got["voucher_fen"] == voucher[m], f"INV-7: vouchers of {m}"


def _same(before: dict[str, Any], after: dict[str, Any]) -> bool:
    return all(before[k] == after[k] for k in ("entries", "allocations", "unallocated", "members"))

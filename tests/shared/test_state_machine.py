"""Random event sequences of every type through the engine (in memory) and the naive model, side by side.

After every event: the same rejection code, the same result document (entries, payout lines, unallocated,
members, rejected) and the invariants of spec §19 (tests/shared/invariants.py).

    python -m pytest tests/shared/test_state_machine.py                                  # CI: 150 runs × ≤40 steps
    PAIDUI_HYPOTHESIS_PROFILE=long python -m pytest tests/shared/test_state_machine.py   # long: 5000 random runs

The long profile is random (not derandomized) and lifts the per-test timeout; it keeps failing examples in
`.hypothesis/` so the next run replays them first.
"""

from __future__ import annotations

import os
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from shared.engine.memory_backend import MemoryBackend
from shared.scenario import Replay, run
from tests.model.naive import NaiveModel
from tests.shared.invariants import InvariantChecker
from tests.strategies import (
    MALFORMED,
    Knowledge,
    duplicate_paid,
    exchange,
    headers,
    lottery_draw,
    member_level,
    order_completed,
    order_paid,
    order_refunded,
    reset,
    scenario_documents,
    settings_change,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.timeout(0 if os.environ.get("PAIDUI_HYPOTHESIS_PROFILE") == "long" else 600)


def comparable(result: dict[str, Any]) -> dict[str, Any]:
    """The result without the human-readable detail of rejections (codes are compared)."""
    return {**result, "rejected": [(r["event"], r["code"]) for r in result["rejected"]]}


class RulesMachine(RuleBasedStateMachine):
    @initialize(header=headers())
    def setup(self, header: dict[str, Any]) -> None:
        self.backend = MemoryBackend()
        self.replay = Replay(header, self.backend)
        self.model = NaiveModel(header)
        self.knowledge = Knowledge(header)
        self.checker = InvariantChecker(header)
        self.before = self.replay.result()
        assert comparable(self.before) == comparable(self.model.result())

    def step(self, event: Any) -> None:
        code = self.replay.step(event)
        want = self.model.apply(event)
        assert code == want, f"engine said {code}, the naive model {want}, for {event}"
        after = self.replay.result()
        assert comparable(after) == comparable(self.model.result())
        self.checker.check(event, code, self.before, after, self.backend.repo)
        self.before = after
        self.knowledge.record(event, code)

    def _waiting(self, lottery: bool = False) -> list[str]:
        return [
            e["order_id"]
            for e in self.before["entries"]
            if e["status"] == "waiting" and (not lottery or e["lottery_state"] == "available")
        ]

    @rule(data=st.data())
    def pay(self, data: st.DataObject) -> None:
        self.step(data.draw(order_paid(self.knowledge)))

    @rule(data=st.data())
    def pay_again(self, data: st.DataObject) -> None:
        self.step(data.draw(order_paid(self.knowledge)))

    @rule(data=st.data())
    def walk_in(self, data: st.DataObject) -> None:
        self.step(data.draw(order_paid(self.knowledge, member=None)))

    @rule(data=st.data())
    def duplicate_delivery(self, data: st.DataObject) -> None:
        self.step(data.draw(duplicate_paid(self.knowledge)))

    @rule(data=st.data())
    def complete(self, data: st.DataObject) -> None:
        self.step(data.draw(order_completed(self.knowledge)))

    @rule(data=st.data())
    def refund(self, data: st.DataObject) -> None:
        self.step(data.draw(order_refunded(self.knowledge)))

    @rule(data=st.data())
    def complete_pending(self, data: st.DataObject) -> None:
        pending = sorted(o["id"] for o in self.model.orders.values() if o["kind"] == "live" and o["status"] == "paid")
        if pending:
            at = self.knowledge.clock.isoformat()
            self.step({"type": "order_completed", "order_id": data.draw(st.sampled_from(pending)), "at": at})

    @rule(data=st.data())
    def refund_live(self, data: st.DataObject) -> None:
        orders = self.model.orders.values()
        live = sorted(o["id"] for o in orders if o["kind"] != "history" and o["paid"] > o["refunded"])
        if not live:
            return
        order = self.model.orders[data.draw(st.sampled_from(live))]
        left = order["paid"] - order["refunded"]
        amount = data.draw(st.sampled_from([left, left, 1, max(1, left // 2), max(1, left - 1)]))
        self.knowledge.counter += 1
        refund_id = f"L{self.knowledge.counter}"
        at = self.knowledge.clock.isoformat()
        self.step(
            {"type": "order_refunded", "order_id": order["id"], "refund_id": refund_id, "amount_fen": amount, "at": at}
        )

    @rule(data=st.data())
    def draw_any(self, data: st.DataObject) -> None:
        self.step(data.draw(lottery_draw(self.knowledge, self.model.lottery_outcomes)))

    @rule(data=st.data())
    def draw_available(self, data: st.DataObject) -> None:
        candidates = self._waiting(lottery=True)
        if not candidates:
            return
        order_id = data.draw(st.sampled_from(candidates))
        outcomes = self.model.lottery_outcomes(order_id)
        result = data.draw(st.sampled_from(outcomes) | st.integers(0, 20_000))
        self.step({"type": "lottery_draw", "order_id": order_id, "result_bp": result})

    @rule(data=st.data())
    def exchange_any(self, data: st.DataObject) -> None:
        self.step(data.draw(exchange(self.knowledge)))

    @rule(data=st.data())
    def exchange_waiting(self, data: st.DataObject) -> None:
        candidates = self._waiting()
        if not candidates:
            return
        into = data.draw(st.sampled_from(["points", "voucher"]))
        self.step({"type": "exchange", "order_id": data.draw(st.sampled_from(candidates)), "into": into})

    @rule(data=st.data())
    def change_settings(self, data: st.DataObject) -> None:
        self.step(data.draw(settings_change(self.knowledge)))

    @rule(data=st.data())
    def level(self, data: st.DataObject) -> None:
        self.step(data.draw(member_level(self.knowledge)))

    @rule(data=st.data())
    def scheduled_reset(self, data: st.DataObject) -> None:
        if data.draw(st.integers(0, 2)) == 0:  # rarer than the rest: a reset empties every queue
            self.step(data.draw(reset(self.knowledge)))

    @rule(event=st.sampled_from(MALFORMED))
    def malformed(self, event: Any) -> None:
        self.step(event)

    # -- short stories: sequences that random single steps reach too rarely --------------------------------

    @rule(data=st.data())
    def story_partial_refund_then_completion(self, data: st.DataObject) -> None:
        pay = {**data.draw(order_paid(self.knowledge)), "completed": False}
        self.step(pay)
        if pay["order_id"] in self.model.orders and pay["paid_fen"] > 1:
            self.refund_live_order(pay["order_id"], data.draw(st.integers(1, pay["paid_fen"] - 1)))
            self.step({"type": "order_completed", "order_id": pay["order_id"], "at": pay["paid_at"]})

    @rule(data=st.data())
    def story_quota_given_back(self, data: st.DataObject) -> None:
        first = data.draw(order_paid(self.knowledge, member="m1"))
        self.step(first)
        if first["order_id"] in self.model.orders and first["paid_fen"] > 0:
            self.refund_live_order(first["order_id"], first["paid_fen"])
            self.step({**first, "order_id": self.knowledge.new_order_id()})

    @rule(data=st.data())
    def story_refund_a_contributor(self, data: st.DataObject) -> None:
        payers = sorted({a["from_order"] for a in self.before["allocations"] if a["amount_fen"] > 0})
        payers = [o for o in payers if self.model.orders[o]["paid"] > self.model.orders[o]["refunded"]]
        if payers:
            order = self.model.orders[data.draw(st.sampled_from(payers))]
            self.refund_live_order(order["id"], order["paid"] - order["refunded"])

    @rule(data=st.data())
    def story_low_draw_after_payment(self, data: st.DataObject) -> None:
        paid = [
            e["order_id"]
            for e in self.before["entries"]
            if e["status"] == "waiting" and e["lottery_state"] == "available" and e["paid_fen"] > 0
        ]
        if paid:
            order_id = data.draw(st.sampled_from(paid))
            lowest = self.model.lottery_outcomes(order_id)[0]
            self.step({"type": "lottery_draw", "order_id": order_id, "result_bp": lowest})

    @rule(data=st.data())
    def story_leftover_then_reset(self, data: st.DataObject) -> None:
        self.step({**data.draw(order_paid(self.knowledge, member=None)), "paid_fen": 500_000, "completed": True})
        self.step(data.draw(reset(self.knowledge)))

    @rule(data=st.data())
    def story_same_instant(self, data: st.DataObject) -> None:
        self.knowledge.counter += 1
        member = f"new{self.knowledge.counter}"  # no level, no history: only `first` can count toward the tier
        first = {**data.draw(order_paid(self.knowledge, member=member)), "completed": True}
        tiers = [{"days": 1, "threshold_fen": max(1, first["paid_fen"]), "ratio_bp": 4321}]
        self.step({"type": "settings", "stores": {first["store"]: {"cumulative_tiers": tiers}}})
        self.step(first)
        second = {**first, "order_id": self.knowledge.new_order_id(), "paid_fen": data.draw(st.integers(1, 50_000))}
        self.step(second)  # same member, store and instant: the first is not "before" the second (§5.4)

    @rule(data=st.data(), edge=st.sampled_from(["09:59:59", "10:00:00", "13:59:59", "14:00:00"]))
    def story_window_edges(self, data: st.DataObject, edge: str) -> None:
        wrap = data.draw(st.booleans())
        window = {"start": "14:00", "end": "10:00"} if wrap else {"start": "10:00", "end": "14:00"}
        self.step({"type": "settings", "stores": {"S1": {"time_windows": [window]}}})
        day = self.knowledge.clock.astimezone(SHANGHAI).date().isoformat()
        pay = {**data.draw(order_paid(self.knowledge, member="m2")), "store": "S1", "cashier": "K1"}
        self.step({**pay, "paid_at": f"{day}T{edge}+08:00"})

    @rule(data=st.data(), levels=st.lists(st.sampled_from([None, "gold", "silver", "bronze"]), min_size=2, max_size=3))
    def story_level_changes_at_one_instant(self, data: st.DataObject, levels: list[str | None]) -> None:
        at = self.knowledge.clock.isoformat()
        for level in levels:  # the later event wins a tie (scenario-format decision 8)
            self.step({"type": "member_level", "member": "m2", "level": level, "at": at})
        self.step({**data.draw(order_paid(self.knowledge, member="m2")), "paid_at": at})

    @rule(data=st.data(), toggle=st.sampled_from(["all_cashiers_queue", "random_return", "store"]))
    def story_random_group_abandoned(self, data: st.DataObject, toggle: str) -> None:
        shape = self.knowledge.shape
        if shape is None:
            return
        rr = {"group_size": shape[0], "cash_per_group": shape[1]}
        self.step({"type": "settings", "base": {"random_return": rr}, "stores": {"S1": {"random_return": "inherit"}}})
        pay = {**data.draw(order_paid(self.knowledge, member="m3")), "store": "S1", "cashier": "K1"}
        self.step(pay)
        if toggle == "store":
            changes = [{"stores": {"S1": {"random_return": rr}}}]
        elif toggle == "random_return":
            changes = [{"base": {"random_return": None}}, {"base": {"random_return": rr}}]
        else:  # there and back: the partition changed twice, the counter key is the same again
            flag = self.model.base.all_cashiers_queue
            changes = [{"base": {"all_cashiers_queue": not flag}}, {"base": {"all_cashiers_queue": flag}}]
        for change in changes:
            self.step({"type": "settings", **change})
        for _ in range(2):
            self.step({**pay, "order_id": self.knowledge.new_order_id()})

    @rule(data=st.data())
    def story_completion_reorders(self, data: st.DataObject) -> None:
        self.step({"type": "settings", "base": {"ordering_rule": "completed_first"}})
        late = {**data.draw(order_paid(self.knowledge, member="m4")), "completed": False}
        self.step(late)
        self.step({**data.draw(order_paid(self.knowledge, member="m5")), "completed": True})
        self.step({"type": "order_completed", "order_id": late["order_id"], "at": self.knowledge.clock.isoformat()})
        self.step({**data.draw(order_paid(self.knowledge, member=None)), "completed": True})

    @rule(data=st.data(), step=st.sampled_from([1, 250, 1000]))
    def story_draw_off_grid(self, data: st.DataObject, step: int) -> None:
        lottery = {"mode": "interval", "min_bp": 1000, "max_bp": 1000 + 4 * step, "step_bp": step}
        plain = {"level_entitlement_bp": {}, "cumulative_tiers": [], "lottery": lottery}
        self.step({"type": "settings", "stores": {"S1": plain}})
        pay = {**data.draw(order_paid(self.knowledge, member="ghost")), "store": "S1", "cashier": "K1"}
        self.step(pay)  # an unknown member has no level, no tiers: the store lottery wins the chain
        result = data.draw(st.sampled_from([999, 1000 + step // 2, 1000 + step, 1001, 1000 + 4 * step + 1]))
        self.step({"type": "lottery_draw", "order_id": pay["order_id"], "result_bp": result})

    @rule(data=st.data())
    def story_tiers_ignore_imported_entries(self, data: st.DataObject) -> None:
        imported = self.knowledge.header.get("imported_entries", [])
        if imported:
            entry = data.draw(st.sampled_from(imported))
            tiers = [{"days": 7, "threshold_fen": 1, "ratio_bp": 5000}]
            self.step({"type": "settings", "stores": {entry["store"]: {"cumulative_tiers": tiers}}})
            pay = data.draw(order_paid(self.knowledge, member=entry["member"]))
            self.step({**pay, "store": entry["store"], "cashier": entry["cashier"]})

    @rule(data=st.data(), leave=st.sampled_from(["policy", "reset"]))
    def story_carry_released(self, data: st.DataObject, leave: str) -> None:
        self.step({"type": "settings", "base": {"leftover_policy": "carry_forward", "refund_clawback": "received"}})
        self.step({**data.draw(order_paid(self.knowledge, member=None)), "paid_fen": 300_000, "completed": True})
        self.step({**data.draw(order_paid(self.knowledge)), "completed": True})  # may take from the carry
        if leave == "policy":
            self.step({"type": "settings", "base": {"leftover_policy": "retain"}})  # the carry is kept, recorded
        else:
            self.step(data.draw(reset(self.knowledge)))

    def refund_live_order(self, order_id: str, amount: int) -> None:
        self.knowledge.counter += 1
        self.step(
            {
                "type": "order_refunded",
                "order_id": order_id,
                "refund_id": f"S{self.knowledge.counter}",
                "amount_fen": amount,
                "at": self.knowledge.clock.isoformat(),
            }
        )

    @invariant()
    def replay_and_model_agree_on_rejections(self) -> None:
        if hasattr(self, "replay"):
            assert [r["event"] for r in self.replay.rejected] == [r["event"] for r in self.model.rejected]


TestRules = RulesMachine.TestCase


@settings(max_examples=40)
@given(scenario_documents())
def test_whole_scenario_documents_replay_like_the_naive_model(doc: dict[str, Any]) -> None:
    """The plain document strategy (the one the server replay tests reuse): `run` equals the naive model."""
    result = run(doc, MemoryBackend())
    model = NaiveModel({k: v for k, v in doc.items() if k != "events"})
    for event in doc["events"]:
        model.apply(event)
    assert comparable(result) == comparable(model.result())

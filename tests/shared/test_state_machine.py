"""Random event sequences of every type through the engine (in memory) and the naive model, side by side.

After every event: the same rejection code, the same result document (entries, payout lines, unallocated,
members, rejected) and the invariants of spec §19 (tests/shared/invariants.py).

    python -m pytest tests/shared/test_state_machine.py                                  # CI: ~150 × 40 steps
    PAIDUI_HYPOTHESIS_PROFILE=long python -m pytest tests/shared/test_state_machine.py   # long: 5000 random runs
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from shared.engine.memory_backend import MemoryBackend
from shared.scenario import Replay
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
    settings_change,
)


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
            e["order_id"] for e in self.before["entries"]
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

    @invariant()
    def replay_and_model_agree_on_rejections(self) -> None:
        if hasattr(self, "replay"):
            assert [r["event"] for r in self.replay.rejected] == [r["event"] for r in self.model.rejected]


TestRules = RulesMachine.TestCase

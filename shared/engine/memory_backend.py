"""Replay backend over the in-memory repository: the engine with nothing but Python containers."""

from __future__ import annotations

from ..errors import Code, RuleError
from ..scenario import Scenario, WalletEvent
from .commands import Command
from .engine import Engine
from .memory import MemoryRepository
from .randomness import RandomSource, ScriptedRandomSource


class MemoryBackend:
    def __init__(self, rng: RandomSource | None = None, *, transactional: bool = True) -> None:
        """`transactional=False` skips the per-event snapshot (a deep copy of the whole state, O(n²) over a long
        replay): safe because the engine validates every command before it writes; used by what-if simulation."""
        self.repo = MemoryRepository()
        self._rng = rng
        self._transactional = transactional
        self.engine = Engine(self.repo, rng)

    def setup(self, scenario: Scenario) -> None:
        self.repo.set_base(scenario.base)
        for store_id, tz, cashiers, settings in scenario.stores:
            self.repo.add_store(store_id, tz, cashiers, settings)
        for member_id, level in scenario.members:
            self.repo.add_member_level(member_id, level, None)
        self.engine = Engine(self.repo, self._rng or ScriptedRandomSource(scenario.arrangements))
        imports: list[Command] = [*scenario.imported_orders, *scenario.imported_entries]
        for command in imports:
            self.engine.apply(command)

    def apply(self, command: Command | WalletEvent) -> None:
        if isinstance(command, WalletEvent):
            raise RuleError(Code.INVALID_EVENT, "wallet events are replayed by the server (paidui-server replay)")
        if not self._transactional:
            self.engine.apply(command)
            return
        before = self.repo.snapshot()
        try:
            self.engine.apply(command)
        except RuleError:
            self.repo.restore(before)
            raise

    def apply_group(self, commands: list[Command | WalletEvent]) -> list[RuleError | None]:
        """Each command as `apply` does it: in memory a group is its commands one by one."""
        errors: list[RuleError | None] = []
        for command in commands:
            try:
                self.apply(command)
                errors.append(None)
            except RuleError as exc:
                errors.append(exc)
        return errors

    def read_model(self) -> MemoryRepository:
        return self.repo

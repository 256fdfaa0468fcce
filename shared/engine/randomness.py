"""Where the rules take chance from: injected, so that tests and replay fix it and production uses a CSPRNG."""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable
from typing import Protocol

from ..settings import Lottery


class ArrangementError(ValueError):
    """A scripted arrangement (replay) that does not fit the group shape in force."""


class RandomSource(Protocol):
    def draw(self, lottery: Lottery) -> int:
        """A ratio the lottery can give: weighted over a fixed set, uniform over an interval's grid (§9.1)."""
        ...

    def arrangement(self, group_size: int, cash_per_group: int) -> list[str]:
        """A uniform random order of `cash_per_group` "cash" and the rest "points" labels (§12)."""
        ...


class SystemRandomSource:
    """Draws from the given generator; by default the operating system's CSPRNG (server draws)."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng if rng is not None else secrets.SystemRandom()

    def draw(self, lottery: Lottery) -> int:
        if lottery.mode == "fixed":
            total = sum(o.weight for o in lottery.options)
            x = self._rng.randrange(total)
            for option in lottery.options:
                if x < option.weight:
                    return option.ratio_bp
                x -= option.weight
            raise AssertionError("unreachable: weights cover the range")
        outcomes = lottery.outcomes()
        return outcomes[self._rng.randrange(len(outcomes))]

    def arrangement(self, group_size: int, cash_per_group: int) -> list[str]:
        labels = ["cash"] * cash_per_group + ["points"] * (group_size - cash_per_group)
        self._rng.shuffle(labels)
        return labels


class ScriptedRandomSource:
    """Replay: arrangements come from the scenario in order; lottery results come with each draw event."""

    def __init__(self, arrangements: Iterable[list[str]] = (), fallback: RandomSource | None = None) -> None:
        self._arrangements = list(arrangements)
        self._fallback = fallback if fallback is not None else SystemRandomSource(random.Random(0))

    def draw(self, lottery: Lottery) -> int:
        return self._fallback.draw(lottery)

    def arrangement(self, group_size: int, cash_per_group: int) -> list[str]:
        if not self._arrangements:
            return self._fallback.arrangement(group_size, cash_per_group)
        labels = self._arrangements.pop(0)
        if len(labels) != group_size or labels.count("cash") != cash_per_group or set(labels) - {"cash", "points"}:
            raise ArrangementError(
                f"random_return_arrangements: {labels} does not fit groups of {group_size} with {cash_per_group} cash"
            )
        return list(labels)

"""The FIFO and money checkers against concurrent pushes into one queue (PostgreSQL, one server process with a
thread pool): the server as built passes; the NEGATIVE CONTROL, the same server reading the queue row without
`FOR UPDATE`, must be caught."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from . import scenarios
from .conftest import scale

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.slow]


@pytest.mark.parametrize("lock", [True, False], ids=["with_queue_lock", "negative_control_without_queue_lock"])
def test_concurrent_pushes_into_one_queue(tmp_path: Path, report: Callable[..., None], lock: bool) -> None:
    result = scenarios.concurrent_pushes(tmp=tmp_path, events=scale(160, 2000), tills=4, seed=31, lock=lock)
    fifo, money = result.problems["fifo"], result.problems["money"]
    report(
        f"{result.events} sales from 4 tills in {result.elapsed_s:.0f} s; FIFO violations {len(fifo)}, money "
        f"problems {len(money)}, e.g. {(fifo + money)[:1]}",
        fifo=len(fifo),
        money=len(money),
    )
    assert result.problems["exactly_once"] == []
    if lock:
        assert fifo == [] and money == []
    else:
        assert fifo and money

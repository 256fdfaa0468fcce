"""Till clocks hours off, and one set back to jump the queue: the queue is in order of arrival at the server
(spec §15), a sale stamped more than 5 minutes after its arrival is clamped to the arrival and flagged; and the
checker's negative controls (a server that queues by the till's clock, a server that does not clamp)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from . import scenarios
from .broken import no_clock_clamp, queue_by_till_clock
from .conftest import scale
from .server import in_process, serving

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_queue_order_is_arrival_order_whatever_the_till_clocks_say(tmp_path: Path, report: Callable[..., None]) -> None:
    with serving(tmp_path / "server", "sqlite") as server:
        result = scenarios.clock_skew(tmp=tmp_path, server_url=server.url, db=server.db, rounds=scale(40, 400), seed=21)
    report(
        f"{result.sales} sales ({result.member_sales} members'), {result.behind} stamped before sales already "
        f"queued, {result.clamped} stamped hours ahead; problems: {len(result.problems)}",
        problems=result.problems,
    )
    assert result.behind > 0 and result.clamped > 0
    assert result.problems == []


@pytest.mark.parametrize("broken", ["queue_by_till_clock", "no_clock_clamp"])
def test_negative_control_the_order_checker_finds_a_server_that_trusts_till_clocks(
    tmp_path: Path, report: Callable[..., None], broken: str
) -> None:
    breakage = queue_by_till_clock() if broken == "queue_by_till_clock" else no_clock_clamp()
    with breakage, in_process(tmp_path / "server", "sqlite") as (url, db):
        result = scenarios.clock_skew(tmp=tmp_path, server_url=url, db=db, rounds=16, seed=22)
    report(f"{broken}: found {len(result.problems)} problems, e.g. {result.problems[:1]}")
    want = "queue order differs" if broken == "queue_by_till_clock" else "stamped"
    assert any(want in p for p in result.problems), result.problems[:5]

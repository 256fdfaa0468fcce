"""A power cut during checkouts at the till, simulated below SQLite (tools/powercut: only fsync'ed bytes survive).

With the durability we ship (WAL + synchronous=FULL) no sale the cashier saw as done is lost. The negative control
runs the same app with synchronous=NORMAL: the checker must find lost sales (a plain kill -9 cannot tell the two
apart, see measured-facts).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from tools.powercut.harness import PowercutUnavailable

from .conftest import LONG, scale
from .powercut import run_cuts

pytestmark = [pytest.mark.slow]


def _cuts(mode: str, cuts: int, tmp: Path, seed: int, report: Callable[..., None]):  # type: ignore[no-untyped-def]
    try:
        # long runs hold up to 3 s, past the WAL's automatic checkpoint (1,000 pages), so some cuts land in one
        result = run_cuts(mode=mode, cuts=cuts, work=tmp, rng=random.Random(seed), hold=(0.02, 3.0 if LONG else 0.6))
    except PowercutUnavailable as exc:
        pytest.skip(str(exc))
    report(result.line(), cuts=result.cuts, reported=result.reported, lost=result.lost, problems=result.problems)
    return result


def test_no_sale_seen_as_done_is_lost_in_a_power_cut_with_wal_full(tmp_path: Path, report: Callable[..., None]) -> None:
    result = _cuts("full", scale(12, 100), tmp_path, 1, report)
    assert result.synchronous == "ready synchronous=2 journal_mode=wal"  # FULL, as shipped
    assert result.reported > result.cuts  # the cuts landed while sales were being made
    assert result.lost == 0 and result.problems == []


def test_negative_control_synchronous_normal_loses_sales_and_the_checker_finds_them(
    tmp_path: Path, report: Callable[..., None]
) -> None:
    result = _cuts("normal", scale(5, 100), tmp_path, 2, report)
    assert result.synchronous == "ready synchronous=1 journal_mode=wal"
    assert result.lost > 0 and result.cuts_with_loss >= result.cuts // 2
    assert result.problems == []  # lost, but never corrupt: WAL recovery keeps a consistent prefix

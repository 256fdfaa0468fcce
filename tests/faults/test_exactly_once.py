"""No sale lost or applied twice while the network between the tills and the server loses, duplicates and fails
requests; and the exactly-once checker's negative controls (a transport that fakes acknowledgements, a server that
applies resends again)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from . import scenarios
from .broken import AppliesResendsAgain
from .conftest import scale
from .server import in_process, serving
from .transport import FaultRates

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_no_sale_lost_or_applied_twice_through_a_faulty_transport(tmp_path: Path, report: Callable[..., None]) -> None:
    events = scale(600, 10_000)
    with serving(tmp_path / "server", "sqlite") as server:
        result = scenarios.transport_faults(
            tmp=tmp_path, server_url=server.url, db=server.db, events=events, tills=3, seed=7
        )
    faults = {k: v for k, v in result.injected.items() if k != "none"}
    report(
        f"{result.events} sales from 3 tills in {result.elapsed_s:.0f} s; requests faulted {faults} of "
        f"{sum(result.injected.values())}; {result.failed_rounds} failed sync rounds; problems: "
        f"{len(result.found)}",
        events=result.events,
        injected=dict(result.injected),
        problems=result.found,
    )
    assert result.recorded == events
    assert set(faults) == {"lose_request", "error_before", "duplicate", "lose_response", "error_after"}
    assert result.found == []


def test_negative_control_acknowledgements_never_sent_are_found_lost(
    tmp_path: Path, report: Callable[..., None]
) -> None:
    with serving(tmp_path / "server", "sqlite") as server:
        result = scenarios.acks_never_sent(tmp=tmp_path, server_url=server.url, db=server.db, events=60, seed=3)
    report(
        f"{result.injected['acked_without_sending']} events acknowledged without being sent; found: "
        f"{result.problems['exactly_once'][:2]}"
    )
    assert result.injected["acked_without_sending"] == 10
    lost = [p for p in result.problems["exactly_once"] if "not on the server" in p]
    assert len(lost) == 2 and all("5 sales" in p for p in lost)


def test_negative_control_a_server_applying_resends_again_is_found(tmp_path: Path, report: Callable[..., None]) -> None:
    with in_process(tmp_path / "server", "sqlite", push=AppliesResendsAgain) as (url, db):
        result = scenarios.transport_faults(
            tmp=tmp_path,
            server_url=url,
            db=db,
            events=120,
            tills=2,
            seed=5,
            rates=FaultRates(lose_request=0, error_before=0, duplicate=0.3, lose_response=0.3, error_after=0),
        )
    report(
        f"{result.injected['duplicate'] + result.injected['lose_response']} requests resent or duplicated; "
        f"found: {result.problems['exactly_once'][:2]}"
    )
    assert any("never made" in p for p in result.problems["exactly_once"])

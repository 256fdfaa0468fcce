"""Every field of the console's rules forms changes something (issue 12 item 2): a setting shown to a user must
change an outcome. Each input of `server/console/rules_form.py` has a probe here: the form's own reader turns the
inputs into settings, and the probe shows that typing the change alters a replayed outcome (the engine over a
scenario), the server's schedule, or a figure the member page displays. A field added to the form without a probe,
or a settings field neither on the form nor listed as not applicable, fails `test_every_field_has_a_probe`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from server.console import rules_form
from shared.engine.commands import PayOrder
from shared.engine.engine import Engine
from shared.engine.memory import MemoryRepository
from shared.engine.memory_backend import MemoryBackend
from shared.scenario import run
from shared.schedule import next_instant
from shared.settings import BaseSettings, ResetSchedule, StoreSettings, check_sale

from .console_support import sign_in
from .member_support import open_shop, queue_of_four
from .support import ADMIN_PASSWORD

CATALOG = {"gold": "金卡"}
LIMIT_AMOUNTS = (150_000, 250_000, 3_000_000, 6_000_000)
DAY = "2024-07-01T"


def _message(key: str, **params: Any) -> str:
    return key


def _sale(order: str, member: str | None, fen: int = 10_000, minute: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "type": "order_paid",
        "order_id": order,
        "store": "S1",
        "cashier": extra.pop("cashier", "K1"),
        "member": member,
        "paid_fen": fen,
        "paid_at": f"{DAY}10:{minute:02d}:00+08:00",
        "completed": extra.pop("completed", True),
        **extra,
    }


ONE = [_sale("A", "a")]
TWO = [_sale("A", "a"), _sale("B", "b", minute=1)]
EXCHANGE = [*TWO, {"type": "exchange", "order_id": "B", "into": "points"}]
VOUCHER = [*TWO, {"type": "exchange", "order_id": "B", "into": "voucher"}]


@dataclass
class Probe:
    """Inputs typed on top of the defaults on both sides (`common`), and the change typed on one side only."""

    scope: str  # "base" or "store"
    change: dict[str, str]
    events: list[dict[str, Any]] = field(default_factory=list)
    common: dict[str, str] = field(default_factory=dict)
    outcome: str = "replay"  # "replay", "completion", "schedule", "page"


PROBES: dict[str, Probe] = {
    # --- base form
    "enabled": Probe("base", {"enabled": ""}, ONE),
    "paused": Probe("base", {"paused": "1"}, ONE),
    "deduction_orders_join": Probe(
        "base",
        {"deduction_orders_join": ""},
        [_sale("A", "a", total_fen=12_000, deduction_points_fen=2_000)],
    ),
    "points_exchange_enabled": Probe("base", {"points_exchange_enabled": "1"}, EXCHANGE),
    "voucher_exchange_enabled": Probe("base", {"voucher_exchange_enabled": "1"}, VOUCHER),
    "all_cashiers_queue": Probe("base", {"all_cashiers_queue": "1"}, [_sale("A", "a"), _sale("B", "b", cashier="K2")]),
    "anonymous_orders_contribute": Probe("base", {"anonymous_orders_contribute": ""}, [*ONE, _sale("W", None)]),
    "display_name": Probe("base", {"display_name": "好运排队"}, outcome="page"),
    "exchange_button_name": Probe(
        "base", {"exchange_button_name": "换积分"}, common={"points_exchange_enabled": "1"}, outcome="page"
    ),
    "timezone": Probe(
        "base", {"timezone": "UTC"}, common={"reset-kind": "daily", "reset-time": "00:00"}, outcome="schedule"
    ),
    "extraction_bp": Probe("base", {"extraction_bp": "20"}, ONE),
    "default_entitlement_bp": Probe("base", {"default_entitlement_bp": "50"}, ONE),
    "voucher_ratio_bp": Probe("base", {"voucher_ratio_bp": "50"}, VOUCHER, common={"voucher_exchange_enabled": "1"}),
    "settlement_event": Probe("base", {"settlement_event": "on_pay"}, [_sale("A", "a", completed=False)]),
    "ordering_rule": Probe(
        "base",
        {"ordering_rule": "completed_first"},
        [_sale("A", "a", completed=False), _sale("B", "b", minute=1), _sale("C", "c", minute=2, completed=False)],
        common={"settlement_event": "on_pay"},
    ),
    "leftover_policy": Probe("base", {"leftover_policy": "carry_forward"}, [_sale("W", None), *ONE]),
    "refund_clawback": Probe(
        "base",
        {"refund_clawback": "none"},
        [
            *ONE,
            {
                "type": "order_refunded",
                "order_id": "A",
                "refund_id": "r",
                "amount_fen": 10_000,
                "at": f"{DAY}11:00:00+08:00",
            },
        ],
    ),
    "cashier_auto_complete_hours": Probe("base", {"cashier_auto_complete_hours": "2"}, outcome="completion"),
    "points_per_yuan": Probe("base", {"points_per_yuan": "2"}, EXCHANGE, common={"points_exchange_enabled": "1"}),
    "levels": Probe("base", {"levels-0-level": "gold", "levels-0-percent": "150"}, ONE),
    "lottery": Probe("base", {"lottery-mode": "fixed", "lottery_options-0-percent": "200"}, ONE),
    "random_return": Probe(
        "base", {"random_return-on": "1", "random_return-group_size": "1", "random_return-cash_per_group": "0"}, ONE
    ),
    "reset": Probe("base", {"reset-kind": "daily", "reset-time": "00:00"}, outcome="schedule"),
    **{f"display.{k}": Probe("base", {f"display.{k}": ""}, outcome="page") for k in rules_form.DISPLAY},
    # --- a store's form
    "store.enabled": Probe("store", {"enabled": ""}, ONE),
    "store.extraction_bp": Probe("store", {"extraction_bp": "20"}, ONE),
    "store.default_entitlement_bp": Probe("store", {"default_entitlement_bp": "50"}, ONE),
    "store.levels": Probe("store", {"levels-0-level": "gold", "levels-0-percent": "150"}, ONE),
    "store.tiers": Probe("store", {"tiers-0-days": "30", "tiers-0-threshold": "0", "tiers-0-percent": "50"}, ONE),
    "store.lottery": Probe("store", {"lottery-mode": "interval", "lottery-min": "50", "lottery-max": "150"}, ONE),
    "store.windows": Probe("store", {"windows-0-start": "18:00", "windows-0-end": "20:00"}, ONE),
    "store.daily_limit": Probe("store", {"daily_limit": "1"}, [*ONE, _sale("A2", "a", minute=1)]),
    "store.total_limit": Probe("store", {"total_limit": "1"}, [*ONE, _sale("A2", "a", minute=1)]),
    "store.sale_confirm": Probe("store", {"sale_confirm": "1000"}, outcome="limits"),
    "store.sale_max": Probe("store", {"sale_max": "20000"}, outcome="limits"),
    "store.random_return": Probe(
        "store",
        {"random_return-mode": "custom", "random_return-group_size": "1", "random_return-cash_per_group": "0"},
        ONE,
    ),
}


def _group(name: str) -> str:
    """The form field an input belongs to: a row or part input counts for its group."""
    head = re.split(r"-\d+-|-", name, maxsplit=1)[0]
    return {"lottery_options": "lottery", "reset_at": "reset"}.get(head, head)


def _inputs(html: str, form_id: str) -> set[str]:
    form = re.search(rf'<form[^>]*id="{form_id}".*?</form>', html, re.S)
    assert form is not None, form_id
    names = set(re.findall(r'name="([^"]+)"', form.group(0))) - {"csrf"}
    return {_group(n) for n in names if n != "add" and not n.startswith("extra-") and not n.endswith("-remove")}


def _read(probe: Probe, typed: dict[str, str]) -> dict[str, Any]:
    if probe.scope == "base":
        current = BaseSettings(enabled=True).model_dump(mode="json")
        values = {**rules_form.base_values(current), **probe.common, **typed}
        read = rules_form.read_base({k: v for k, v in values.items() if v != ""}, current, CATALOG, _message)
    else:
        current = StoreSettings(enabled=True).model_dump(mode="json")
        values = {**rules_form.store_values(current), **probe.common, **typed}
        read = rules_form.read_store({k: v for k, v in values.items() if v != ""}, current, CATALOG, _message)
    assert read.errors == {} and read.doc is not None, read.errors
    return read.doc


def _replay(base: dict[str, Any], store: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    doc = {
        "format": "paidui-scenario/1",
        "settings": base,
        "stores": [{"id": "S1", "cashiers": ["K1", "K2"], "cashier_settings": store}],
        "members": [{"id": "a", "level": "gold"}, {"id": "b"}, {"id": "c"}],
        "random_return_arrangements": [["points"]] * 4,
        "events": events,
    }
    return run(doc, MemoryBackend())


def _completion(base: dict[str, Any]) -> str:
    """A till's sale through the engine, the server deciding its completion (issue 12 item 1)."""
    repo = MemoryRepository()
    engine = Engine(repo)
    repo.set_base(BaseSettings.model_validate(base))
    repo.add_store("S1", "Asia/Shanghai", ["K1"], StoreSettings(enabled=True))
    at = dt.datetime(2024, 7, 1, 2, tzinfo=dt.UTC)
    engine.apply(PayOrder("O", "S1", "K1", "a", 10_000, at, received_at=at, completed=None))
    order = repo.order("O")
    assert order is not None
    return f"{order.status.value} {order.contribution.value}"


def _schedule(base: dict[str, Any]) -> dt.datetime | None:
    settings = BaseSettings.model_validate(base)
    reset: ResetSchedule | None = settings.reset
    return None if reset is None else next_instant(reset, settings.timezone, dt.datetime(2024, 7, 1, 12, tzinfo=dt.UTC))


OUTCOMES: dict[str, Callable[[Probe, dict[str, Any], dict[str, Any]], Any]] = {
    "replay": lambda p, base, store: _replay(base, store, p.events),
    "completion": lambda p, base, store: _completion(base),
    "schedule": lambda p, base, store: _schedule(base),
    # what the till does on Enter (PIN, refuse) and the server's refusal: shared.settings.check_sale
    "limits": lambda p, base, store: [check_sale(x, StoreSettings.model_validate(store)) for x in LIMIT_AMOUNTS],
}


def test_every_field_has_a_probe(app: FastAPI, http: httpx.Client) -> None:
    from .support import seed

    seed(app.state.db, stores={"S1": ["C1"]})
    sign_in(http, "admin", ADMIN_PASSWORD)
    base_inputs = _inputs(http.get("/console/rules").text, "base-form")
    store_inputs = _inputs(http.get("/console/rules/store/S1").text, "store-form")
    assert "all_stores_queue" not in base_inputs and "display.member_info" not in base_inputs
    probed = {k for k, p in PROBES.items() if p.scope == "base"}
    assert base_inputs == probed, base_inputs ^ probed
    assert {f"store.{n}" for n in store_inputs} == {k for k, p in PROBES.items() if p.scope == "store"}
    # every settings field is on the form, or listed as not applicable to a POS (and then not on it)
    renamed = {"points_per_yuan_x100": "points_per_yuan", "level_entitlement_bp": "levels"}
    on_form = {renamed.get(n, n) for n in BaseSettings.model_fields} - {"display"}
    on_form |= {f"display.{k}" for k in BaseSettings.model_fields["display"].default.model_dump()}
    assert on_form - set(rules_form.NOT_ON_FORM) - set(rules_form.ELSEWHERE) == probed
    store_fields = {
        {
            "cumulative_tiers": "tiers",
            "time_windows": "windows",
            "level_entitlement_bp": "levels",
            **{v: k for k, v in rules_form.SALE_LIMITS.items()},
        }.get(n, n)
        for n in StoreSettings.model_fields
    }
    assert store_fields == store_inputs


@pytest.mark.parametrize("name", [k for k, p in PROBES.items() if p.outcome != "page"])
def test_each_field_changes_a_replayed_outcome(name: str) -> None:
    probe = PROBES[name]
    outcome = OUTCOMES[probe.outcome]
    default_base = _read(Probe("base", {}, common=probe.common if probe.scope == "base" else {}), {})
    default_store = _read(Probe("store", {}, common=probe.common if probe.scope == "store" else {}), {})
    before = outcome(probe, default_base, default_store)
    changed = _read(probe, probe.change)
    after = outcome(probe, *((changed, default_store) if probe.scope == "base" else (default_base, changed)))
    assert before != after, f"{name}: typing {probe.change} changed nothing"


def test_each_display_field_changes_the_member_page(app: FastAPI, http: httpx.Client) -> None:
    from shared.engine.commands import ChangeSettings

    shop = open_shop(app, base={"points_exchange_enabled": True})
    queue_of_four(shop)
    link = f"/m/{shop.member_link('m1')}"

    def page(name: str, typed: dict[str, str]) -> str:
        probe = PROBES[name]
        doc = _read(probe, typed)
        shop.ingest.apply(ChangeSettings(at=shop.t0, base=doc, actor="test"))
        html = http.get(link).text
        return re.sub(r'<div id="member-code".*?</div>|name="[^"]*token[^"]*" value="[^"]*"', "", html, flags=re.S)

    for name in (k for k, p in PROBES.items() if p.outcome == "page"):
        assert page(name, {}) == page(name, {})  # the page is the same when nothing changed
        assert page(name, {}) != page(name, PROBES[name].change), f"{name} changed nothing on the member page"


def test_saving_the_rules_form_keeps_the_settings_other_pages_keep() -> None:
    """The wallet's and the notifications' settings are not on the rules form: a save of it leaves them as they are
    (before, a save put the notifications back to their defaults)."""
    current = BaseSettings.model_validate(
        {"enabled": True, "wallet": {"points_per_yuan": 7}, "notifications": {"rebate_threshold_fen": 4321}}
    ).model_dump(mode="json")
    values = {k: v for k, v in rules_form.base_values(current).items() if v != ""}
    read = rules_form.read_base(values, current, CATALOG, _message)
    assert read.errors == {} and read.doc is not None, read.errors
    assert (read.doc["wallet"]["points_per_yuan"], read.doc["notifications"]["rebate_threshold_fen"]) == (7, 4321)

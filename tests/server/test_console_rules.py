"""Rules in the console: changes through the engine (recorded in the history), refusals with the message next to
the field and nothing saved, the resolved ratio chain with the §5.2 warnings, and what a store manager may do."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from server.console import forms
from server.db import tables as t
from server.services import levels
from server.services.admin import store_settings
from shared.settings import BaseSettings, StoreSettings, parse_base

from .console_support import MANAGER_PASSWORD, add_manager, sign_in
from .support import ADMIN_PASSWORD, T0, seed


def form_of(
    specs: tuple[forms.Spec, ...], settings: BaseSettings | StoreSettings, csrf: str, **typed: Any
) -> dict[str, str]:
    """What the settings form posts when the user changed `typed` (checkboxes: only the ticked ones)."""
    doc = settings.model_dump(mode="json")
    data = {"csrf": csrf}
    for view in forms.views(specs, doc):
        value = typed.get(view.name.replace(".", "__"), view.value)
        if view.kind == "bool":
            if value:
                data[view.name] = "1"
        else:
            data[view.name] = str(value)
    return data


def _base(app: FastAPI) -> tuple[BaseSettings, int, int]:
    with app.state.db.connect() as conn:
        row = conn.execute(select(t.SettingsRow.base_json, t.SettingsRow.version)).one()
        history = conn.execute(select(func.count()).select_from(t.SettingsHistory)).scalar_one()
    return parse_base(json.loads(row.base_json)), int(row.version), int(history)


def test_a_valid_change_goes_through_the_engine_and_into_the_history(http: httpx.Client, app: FastAPI) -> None:
    seed(app.state.db, stores={"S1": ["C1"], "S2": ["C2"]})
    csrf = sign_in(http, "admin", ADMIN_PASSWORD)
    base, version, _ = _base(app)
    data = form_of(
        forms.BASE_FIELDS,
        base,
        csrf,
        extraction_bp="12.5",
        paused=True,
        display__member_info=True,
        reset='{"kind": "daily", "time": "03:00"}',
    )
    r = http.post("/console/rules/base", data=data)
    assert r.status_code == 303 and r.headers["location"] == "/console/rules?saved=base"
    after, new_version, _ = _base(app)
    assert (after.extraction_bp, after.paused, after.display.member_info) == (1250, True, True)
    assert after.reset is not None and after.reset.time.hour == 3
    assert new_version > version
    with app.state.db.connect() as conn:
        last = conn.execute(select(t.SettingsHistory).order_by(t.SettingsHistory.id.desc()).limit(1)).one()
    assert (last.actor, last.scope) == ("admin", "base")
    assert json.loads(last.before_json)["extraction_bp"] == 1000
    assert json.loads(last.after_json)["extraction_bp"] == 1250
    page = http.get("/console/history").text
    row = re.search(rf'data-record="{last.id}" data-key="extraction_bp".*?</tr>', page, re.S)
    assert row and "10%" in row.group(0) and "12.5%" in row.group(0) and "admin" in page
    assert "提取比例" in row.group(0)
    # posting the same form again changes nothing and records nothing
    count = _base(app)[2]
    again = http.post("/console/rules/base", data=form_of(forms.BASE_FIELDS, after, csrf))
    assert again.headers["location"] == "/console/rules?saved=none" and _base(app)[2] == count


def test_invalid_changes_are_refused_with_the_reason_next_to_the_field_and_nothing_saved(
    http: httpx.Client, app: FastAPI
) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    csrf = sign_in(http, "admin", ADMIN_PASSWORD)
    base, version, history = _base(app)
    cases = [
        ({"extraction_bp": "150"}, "extraction_bp", "不能大于 100%"),
        ({"extraction_bp": "abc"}, "extraction_bp", "百分数"),
        ({"extraction_bp": "12.345"}, "extraction_bp", "百分数"),
        ({"default_entitlement_bp": ""}, "default_entitlement_bp", "必填"),
        ({"lottery": '{"mode": "fixed", "options": []}'}, "lottery", "1 to 20 options"),
        ({"lottery": "{not json"}, "lottery", "JSON 无效"),
        ({"random_return": '{"group_size": 2, "cash_per_group": 3}'}, "random_return", "cash_per_group"),
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown time zone"),
        ({"cashier_auto_complete_hours": "-1"}, "cashier_auto_complete_hours", "不能小于 0"),
        ({"level_entitlement_bp": '{"gold": 1.5}'}, "level_entitlement_bp", "gold"),
    ]
    for typed, name, words in cases:
        # an invalid field among valid changes: none of them is saved
        r = http.post("/console/rules/base", data=form_of(forms.BASE_FIELDS, base, csrf, paused=True, **typed))
        assert r.status_code == 422, typed
        error = re.search(rf'id="error-{re.escape(name)}">(.*?)</p>', r.text, re.S)
        assert error and words in error.group(1), (typed, error and error.group(1))
        assert 'id="refused"' in r.text
        assert f'value="{typed[name]}"' in r.text or typed[name].replace('"', "&#34;") in r.text  # kept as typed
    # a combination the rules refuse (A25) is shown on top of the form
    r = http.post(
        "/console/rules/base",
        data=form_of(forms.BASE_FIELDS, base, csrf, refund_clawback="all", leftover_policy="carry_forward"),
    )
    assert r.status_code == 422 and "A25" in r.text
    assert _base(app) == (base, version, history)


def test_store_settings_and_their_chain_preview_with_warnings(http: httpx.Client, app: FastAPI) -> None:
    seed(app.state.db, stores={"S1": ["C1"], "S2": ["C2"]})
    csrf = sign_in(http, "admin", ADMIN_PASSWORD)
    with app.state.db.connect() as conn:
        current = store_settings(conn, "S1")
        levels.save(conn, level_id="gold", name_zh="金卡", actor="test", at=T0)
    data = form_of(
        forms.STORE_FIELDS,
        current,
        csrf,
        daily_limit="2",
        level_entitlement_bp='{"gold": 3000}',
        cumulative_tiers='[{"days": 30, "threshold_fen": 200000, "ratio_bp": 5000}]',
        default_entitlement_bp="",
    )
    r = http.post("/console/rules/store/S1", data=data)
    assert r.status_code == 303, r.text
    with app.state.db.connect() as conn:
        saved = store_settings(conn, "S1")
        scope = conn.execute(
            select(t.SettingsHistory.scope, t.SettingsHistory.actor).order_by(t.SettingsHistory.id.desc()).limit(1)
        ).one()
    assert saved.daily_limit == 2 and saved.level_entitlement_bp == {"gold": 3000}
    assert saved.cumulative_tiers[0].ratio_bp == 5000 and tuple(scope) == ("store:S1", "admin")
    page = http.get("/console/rules/store/S1").text
    assert 'data-warning="warn.tier_below"' in page and 'data-warning="warn.level_below"' in page
    preview = page[page.index('class="preview"') :]
    gold = re.search(r'<tr data-level="gold">(.*?)</tr>', preview, re.S)
    none = re.search(r'<tr data-level="">(.*?)</tr>', preview, re.S)
    assert gold and none
    # gold: level 1 (the store's level ratio) wins whatever the spend
    assert re.findall(r'data-bp="(\d+)" data-wins="(\d)"', gold.group(1)) == [("3000", "1"), ("3000", "1")]
    # no level: the base default with no spend, the tier (below the default: warned) with enough spend
    assert re.findall(r'data-bp="(\d+)" data-wins="(\d)"', none.group(1)) == [("10000", "7"), ("5000", "3")]
    # S2 has no warning; the overview shows both stores' chains
    overview = http.get("/console/rules").text
    s2 = overview[overview.index('<section class="preview" data-store="S2"') :]
    assert "data-warning" not in s2


def test_a_refused_store_change_keeps_what_was_typed(http: httpx.Client, app: FastAPI) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    csrf = sign_in(http, "admin", ADMIN_PASSWORD)
    with app.state.db.connect() as conn:
        current = store_settings(conn, "S1")
    bad = '[{"start": "25:00", "end": "14:00"}]'
    r = http.post(
        "/console/rules/store/S1", data=form_of(forms.STORE_FIELDS, current, csrf, time_windows=bad, daily_limit="5")
    )
    assert r.status_code == 422 and 'id="error-time_windows"' in r.text
    with app.state.db.connect() as conn:
        assert store_settings(conn, "S1") == current


def test_a_store_manager_reads_its_own_rules_and_changes_nothing(http: httpx.Client, app: FastAPI) -> None:
    seed(app.state.db, stores={"S1": ["C1"], "S2": ["C2"]})
    add_manager(app.state.db, "boss1", "S1")
    csrf = sign_in(http, "boss1", MANAGER_PASSWORD)
    rules = http.get("/console/rules")
    assert rules.status_code == 200 and 'id="save-base"' not in rules.text
    assert 'data-store="S2"' not in rules.text and 'data-store="S1"' in rules.text
    assert http.get("/console/rules/store/S1").status_code == 200
    assert http.get("/console/rules/store/S2").status_code == 404
    base, version, history = _base(app)
    with app.state.db.connect() as conn:
        current = store_settings(conn, "S1")
    assert http.post("/console/rules/base", data=form_of(forms.BASE_FIELDS, base, csrf, paused=True)).status_code == 403
    r = http.post("/console/rules/store/S1", data=form_of(forms.STORE_FIELDS, current, csrf, daily_limit="9"))
    assert r.status_code == 403
    assert _base(app) == (base, version, history)
    history_page = http.get("/console/history").text
    assert "store:S2" not in history_page and "store:S1" in history_page

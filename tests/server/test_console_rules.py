"""Rules in the console: changes through the engine (recorded in the history), refusals with the message next to
the field and nothing saved, the resolved ratio chain with the §5.2 warnings, and what a store manager may do."""

from __future__ import annotations

import json
import re

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from server.console import rules_form
from server.db import tables as t
from server.services import levels
from server.services.admin import store_settings
from shared.settings import BaseSettings, parse_base

from .console_support import MANAGER_PASSWORD, add_manager, sign_in
from .support import ADMIN_PASSWORD, T0, seed


def form_of(values: dict[str, str], csrf: str, **typed: str) -> dict[str, str]:
    """What the settings form posts when the user typed `typed` over what it showed (`__` stands for `.` and `-`
    in names: display__member_info, tiers__0__days); a checkbox typed "" is unticked, so not posted."""
    data = {**values, "csrf": csrf}
    for key, value in typed.items():
        data[key.replace("display__", "display.").replace("__", "-")] = value
    return {k: v for k, v in data.items() if v != "" or not (k in CHECKBOXES or k.endswith(("-on", "-remove")))}


CHECKBOXES = {*rules_form.BASE_BOOLS, *(f"display.{k}" for k in rules_form.DISPLAY), "enabled"}


def base_form(app: FastAPI, csrf: str, **typed: str) -> dict[str, str]:
    return form_of(rules_form.base_values(_base(app)[0].model_dump(mode="json")), csrf, **typed)


def store_form(app: FastAPI, store_id: str, csrf: str, **typed: str) -> dict[str, str]:
    with app.state.db.connect() as conn:
        current = store_settings(conn, store_id)
    return form_of(rules_form.store_values(current.model_dump(mode="json")), csrf, **typed)


def _shows(page: str, name: str, value: str) -> bool:
    """The form shows `value` in the input, select or checkbox `name`."""
    if f'name="{name}" value="{value}"' in page:
        return value != "1" or f'name="{name}" value="1" checked' in page or 'type="checkbox"' not in page
    select = re.search(rf'<select id="f-{re.escape(name)}" name="{re.escape(name)}".*?</select>', page, re.S)
    return bool(select and f'<option value="{value}" selected>' in select.group(0))


def _error(page: str, name: str) -> str | None:
    found = re.search(rf'id="error-{re.escape(name)}">(.*?)</p>', page, re.S)
    return found.group(1) if found else None


def _base(app: FastAPI) -> tuple[BaseSettings, int, int]:
    with app.state.db.connect() as conn:
        row = conn.execute(select(t.SettingsRow.base_json, t.SettingsRow.version)).one()
        history = conn.execute(select(func.count()).select_from(t.SettingsHistory)).scalar_one()
    return parse_base(json.loads(row.base_json)), int(row.version), int(history)


def test_a_valid_change_goes_through_the_engine_and_into_the_history(http: httpx.Client, app: FastAPI) -> None:
    seed(app.state.db, stores={"S1": ["C1"], "S2": ["C2"]})
    csrf = sign_in(http, "admin", ADMIN_PASSWORD)
    _, version, _ = _base(app)
    data = base_form(
        app,
        csrf,
        extraction_bp="12.5",
        paused="1",
        display__pending="",
        reset__kind="daily",
        reset__time="03:00",
        points_per_yuan="2.5",
    )
    r = http.post("/console/rules/base", data=data)
    assert r.status_code == 303 and r.headers["location"] == "/console/rules?saved=base"
    after, new_version, _ = _base(app)
    assert (after.extraction_bp, after.paused, after.display.pending) == (1250, True, False)
    assert after.reset is not None and after.reset.kind == "daily" and after.reset.time.hour == 3
    assert after.points_per_yuan_x100 == 250
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
    # the form shows what is stored, in percent and yuan; posting it again changes nothing and records nothing
    shown = http.get("/console/rules").text
    assert 'name="extraction_bp" value="12.5"' in shown and 'name="points_per_yuan" value="2.50"' in shown
    count = _base(app)[2]
    again = http.post("/console/rules/base", data=base_form(app, csrf))
    assert again.headers["location"] == "/console/rules?saved=none" and _base(app)[2] == count


def test_invalid_changes_are_refused_with_the_reason_next_to_the_field_and_nothing_saved(
    http: httpx.Client, app: FastAPI
) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    with app.state.db.connect() as conn:
        levels.save(conn, level_id="gold", name_zh="金卡", name_en="Gold", actor="test", at=T0)
    csrf = sign_in(http, "admin", ADMIN_PASSWORD)
    before = _base(app)
    cases = [
        ({"extraction_bp": "150"}, "extraction_bp", "不能大于 100%"),
        ({"extraction_bp": "abc"}, "extraction_bp", "必须是数字"),
        ({"extraction_bp": "12.345"}, "extraction_bp", "最多两位小数"),
        ({"extraction_bp": "-5"}, "extraction_bp", "不能是负数"),
        ({"default_entitlement_bp": ""}, "default_entitlement_bp", "必填"),
        ({"lottery__mode": "fixed"}, "lottery-mode", "固定选项抽奖需要 1 到 20 个选项"),
        (
            {"lottery__mode": "interval", "lottery__min": "80", "lottery__max": "20"},
            "lottery-mode",
            "最小比例不能大于最大比例",
        ),
        (
            {"random_return__on": "1", "random_return__group_size": "2", "random_return__cash_per_group": "3"},
            "random_return",
            "每组返现条目数不能大于每组条目数",
        ),
        ({"timezone": "Mars/Olympus"}, "timezone", "未知的时区"),
        ({"cashier_auto_complete_hours": "-1"}, "cashier_auto_complete_hours", "不能小于 0"),
        ({"levels__0__level": "glod", "levels__0__percent": "150"}, "levels-0-level", "未知的会员等级「glod」"),
        ({"levels__0__level": "gold", "levels__0__percent": "1.505"}, "levels-0-percent", "最多两位小数"),
        ({"reset__kind": "once", "reset__time": "03:00"}, "reset-kind", "请至少填一个清零时间"),
    ]
    for typed, name, words in cases:
        # an invalid field among valid changes: none of them is saved
        r = http.post("/console/rules/base", data=base_form(app, csrf, paused="1", **typed))
        assert r.status_code == 422, typed
        error = _error(r.text, name)
        assert error and words in error, (typed, error)
        assert 'id="refused"' in r.text
        for key, value in typed.items():  # kept as typed
            assert _shows(r.text, key.replace("__", "-"), value), (key, value)
    # a combination the rules refuse (A25) is shown on top of the form, in the user's words
    r = http.post(
        "/console/rules/base", data=base_form(app, csrf, refund_clawback="all", leftover_policy="carry_forward")
    )
    assert r.status_code == 422 and "「全部追回」不能与「结转给下一位」同时使用（A25）" in r.text
    # in English too
    http.get("/console/lang", params={"to": "en", "next": "/console/rules"})
    r = http.post("/console/rules/base", data=base_form(app, csrf, extraction_bp="12.345"))
    assert _error(r.text, "extraction_bp") == "Two decimals at most"
    r = http.post("/console/rules/base", data=base_form(app, csrf, levels__0__level="glod", levels__0__percent="1"))
    assert "Unknown member level &#39;glod&#39;" in (_error(r.text, "levels-0-level") or "")
    assert _base(app) == before


def test_a_row_is_added_without_javascript_and_nothing_is_saved(http: httpx.Client, app: FastAPI) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    csrf = sign_in(http, "admin", ADMIN_PASSWORD)
    before = _base(app)
    data = store_form(app, "S1", csrf, tiers__0__days="30", tiers__0__threshold="500", tiers__0__percent="120")
    r = http.post("/console/rules/store/S1", data={**data, "add": "tiers"})
    assert r.status_code == 200 and 'name="tiers-0-threshold" value="500"' in r.text  # what was typed stays
    assert re.findall(r'name="tiers-(\d+)-days"', r.text) == ["0", "1", "2"]  # the typed row and two blank ones
    assert 'name="extra-tiers" value="2"' in r.text
    assert _base(app) == before
    r = http.post(
        "/console/rules/store/S1",
        data={
            **data,
            "extra-tiers": "2",
            "tiers-2-days": "90",
            "tiers-2-threshold": "1000.5",
            "tiers-2-percent": "150.25",
        },
    )
    assert r.status_code == 303
    with app.state.db.connect() as conn:
        tiers = store_settings(conn, "S1").cumulative_tiers
    assert [(x.days, x.threshold_fen, x.ratio_bp) for x in tiers] == [(30, 50_000, 12_000), (90, 100_050, 15_025)]
    # a ticked row goes
    r = http.post("/console/rules/store/S1", data=store_form(app, "S1", csrf, tiers__0__remove="1"))
    assert r.status_code == 303
    with app.state.db.connect() as conn:
        assert [x.days for x in store_settings(conn, "S1").cumulative_tiers] == [90]


def test_store_settings_and_their_chain_preview_with_warnings(http: httpx.Client, app: FastAPI) -> None:
    seed(app.state.db, stores={"S1": ["C1"], "S2": ["C2"]})
    csrf = sign_in(http, "admin", ADMIN_PASSWORD)
    with app.state.db.connect() as conn:
        levels.save(conn, level_id="gold", name_zh="金卡", actor="test", at=T0)
    data = store_form(
        app,
        "S1",
        csrf,
        daily_limit="2",
        levels__0__level="gold",
        levels__0__percent="30",
        tiers__0__days="30",
        tiers__0__threshold="2000",
        tiers__0__percent="50",
        windows__0__start="10:00",
        windows__0__end="14:00",
        windows__0__d1="1",
        windows__0__d2="1",
        lottery__mode="interval",
        lottery__min="20",
        lottery__max="80",
        lottery__step="5",
        random_return__mode="off",
    )
    r = http.post("/console/rules/store/S1", data=data)
    assert r.status_code == 303, r.text
    with app.state.db.connect() as conn:
        saved = store_settings(conn, "S1")
        scope = conn.execute(
            select(t.SettingsHistory.scope, t.SettingsHistory.actor).order_by(t.SettingsHistory.id.desc()).limit(1)
        ).one()
    assert saved.daily_limit == 2 and saved.level_entitlement_bp == {"gold": 3000}
    assert saved.cumulative_tiers[0].ratio_bp == 5000 and saved.cumulative_tiers[0].threshold_fen == 200_000
    assert tuple(scope) == ("store:S1", "admin") and saved.random_return == "off"
    assert [(w.start.hour, w.end.hour, w.weekdays) for w in saved.time_windows] == [(10, 14, frozenset({1, 2}))]
    assert saved.lottery is not None and (saved.lottery.min_bp, saved.lottery.max_bp, saved.lottery.step_bp) == (
        2000,
        8000,
        500,
    )
    page = http.get("/console/rules/store/S1").text
    assert 'data-warning="warn.tier_below"' in page and 'data-warning="warn.level_below"' in page
    preview = page[page.index('class="preview"') :]
    gold = re.search(r'<tr data-level="gold">(.*?)</tr>', preview, re.S)
    none = re.search(r'<tr data-level="">(.*?)</tr>', preview, re.S)
    assert gold and none and "<td>金卡</td>" in gold.group(1)  # the level by its catalog name
    assert "「金卡」" in page  # the warning names it too
    # gold: level 1 (the store's level ratio) wins whatever the spend
    assert re.findall(r'data-bp="(\d+)" data-wins="(\d)"', gold.group(1)) == [("3000", "1"), ("3000", "1")]
    # no level: the store's lottery with no spend (provisionally the default until drawn), the tier (below the
    # default: warned) with enough spend
    assert re.findall(r'data-bp="(\d+)" data-wins="(\d)"', none.group(1)) == [("10000", "4"), ("5000", "3")]
    # S2 has no warning; the overview shows both stores' chains
    overview = http.get("/console/rules").text
    s2 = overview[overview.index('<section class="preview" data-store="S2"') :]
    assert "data-warning" not in s2


def test_a_refused_store_change_keeps_what_was_typed(http: httpx.Client, app: FastAPI) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    csrf = sign_in(http, "admin", ADMIN_PASSWORD)
    with app.state.db.connect() as conn:
        current = store_settings(conn, "S1")
    data = store_form(
        app,
        "S1",
        csrf,
        windows__0__start="25:00",
        windows__0__end="14:00",
        daily_limit="5",
        tiers__0__days="30",
        tiers__0__threshold="12.345",
        tiers__0__percent="10",
    )
    r = http.post("/console/rules/store/S1", data=data)
    assert r.status_code == 422
    assert _error(r.text, "windows-0-start") == "时间格式 HH:MM"
    assert _error(r.text, "tiers-0-threshold") == "最多两位小数"
    assert 'name="windows-0-start" value="25:00"' in r.text and 'name="daily_limit" value="5"' in r.text
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
    assert 'fieldset class="plain" disabled' in http.get("/console/rules/store/S1").text  # inputs read only
    assert http.post("/console/rules/base", data=base_form(app, csrf, paused="1")).status_code == 403
    r = http.post("/console/rules/store/S1", data=store_form(app, "S1", csrf, daily_limit="9"))
    assert r.status_code == 403
    assert _base(app) == (base, version, history)
    with app.state.db.connect() as conn:
        assert store_settings(conn, "S1") == current
    history_page = http.get("/console/history").text
    assert "store:S2" not in history_page and "store:S1" in history_page

"""Pieces of the console without a server: the word table, percent parsing, charts, exports, chain warnings."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from server.console import forms, pages_wallet, rules_form
from server.console import history as hist
from server.console.chains_view import preview, warnings
from server.console.charts import bars
from server.console.i18n import TEXT, translate
from server.services import exports
from server.services.liability import Settlement, Totals, estimate
from shared.engine.model import PointsKind, RebateKind
from shared.settings import BaseSettings, StoreSettings

TEMPLATES = Path(__file__).resolve().parents[2] / "server" / "console" / "templates"
CONSOLE = TEMPLATES.parent


def test_every_word_the_console_uses_is_in_the_table_in_both_languages() -> None:
    used = set()
    for path in [*TEMPLATES.glob("*.html"), *CONSOLE.glob("*.py"), CONSOLE.parent / "services" / "exports.py"]:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""t\(['"]([a-z_]+\.[a-z_.]+)['"]""", text))
        used |= set(re.findall(r'"((?:form|login|admin|simulate|warn|col|liability|error|unit)\.[a-z_]+)"', text))
    used -= {"error.html", "liability.html", "login.html", "simulate.html"}  # template names
    used -= {"base.display.", "lottery.off_", "wallet.kind.", "wallet.reason.", "wallet.set."}  # prefixes (`dynamic`)
    dynamic = {f"choice.{c}" for options in rules_form.CHOICES.values() for c in options}
    dynamic |= {f"base.display.{k}" for k in rules_form.DISPLAY} | {f"weekday.{d}" for d in rules_form.WEEKDAYS}
    dynamic |= {"lottery.off_base", "lottery.off_store"}
    dynamic |= {f"wallet.kind.{k}" for k in ("rebate", "points", "voucher")}
    dynamic |= {f"wallet.set.{k}" for k in (*pages_wallet.SETTINGS_INTS, "withdrawal_enabled")}
    dynamic |= {f"wallet.reason.{k.value}" for k in (*RebateKind, *PointsKind)}  # every ledger reason has words
    dynamic |= {f"wallet.reason.{k}" for k in ("issue", "spend", "void", "expiry", "refund")}  # voucher_ledger
    dynamic |= {f"error.{c}" for c in ("unknown_level", "level_in_use")}  # the registry's words (test_error_codes)
    dynamic |= {
        f"link.{n}"
        for n in (
            "cashier.level",
            "base.level",
            "cashier.tiers",
            "cashier.lottery",
            "base.lottery",
            "cashier.default",
            "base.default",
        )
    }
    dynamic |= {
        "role.hq_admin",
        "role.store_manager",
        "error.not_found",
        "error.csrf",
        "error.hq_only",
        "error.role",
        "error.invalid_request",
        "error.bad_date",
        "error.bad_period",
    }
    missing = sorted(k for k in used | dynamic if k not in TEXT)
    assert missing == []
    assert len(used) > 100
    for key, (zh, en) in TEXT.items():
        assert zh and en, key
        assert set(re.findall(r"\{(\w+)\}", zh)) == set(re.findall(r"\{(\w+)\}", en)), key


def test_words_never_promise_a_full_rebate() -> None:
    for zh, en in TEXT.values():
        assert "全返" not in zh and "full rebate" not in en.lower()


def test_translate_falls_back_and_fills_in() -> None:
    assert translate("zh", "liability.orders_n", n=12) == "12 单"
    assert translate("en", "liability.orders_n", n=12) == "12 orders"
    assert translate("zh", "no.such.key") == "no.such.key"
    assert translate("en", "no.such.key", default="x") == "x"


@pytest.mark.parametrize(
    ("text", "bp"),
    [("10", 1000), ("12.5", 1250), ("0.01", 1), ("100%", 10_000), ("0", 0), ("1000", 100_000), ("12.", 1200)],
)
def test_percent_is_parsed_exactly_into_basis_points(text: str, bp: int) -> None:
    assert forms.parse_percent(text) == bp


@pytest.mark.parametrize(
    ("text", "key"),
    [("-1", "form.negative"), ("1.234", "form.decimals"), ("abc", "form.number"), ("1e2", "form.number")],
)
def test_bad_percentages_are_refused_with_their_reason(text: str, key: str) -> None:
    with pytest.raises(forms.FieldError) as refused:
        forms.parse_percent(text)
    assert refused.value.key == key


@given(st.integers(min_value=0, max_value=10**14))
def test_yuan_and_percent_read_back_what_they_show(hundredths: int) -> None:
    """Exact both ways, for any amount: what a stored value shows as is read back as that value (no float)."""
    assert forms.parse_yuan(forms.show_yuan(hundredths)) == hundredths
    assert forms.parse_percent(forms.show_percent(hundredths)) == hundredths
    assert Decimal(forms.show_yuan(hundredths)) * 100 == hundredths


def _message(key: str, **params: object) -> str:
    return f"{key}:{params}" if params else key


def test_the_base_form_reads_back_into_what_changed() -> None:
    current = BaseSettings(level_entitlement_bp={"gold": 15_000}).model_dump(mode="json")
    values = rules_form.base_values(current)
    catalog = {"gold": "金卡", "silver": "银卡"}
    same = rules_form.read_base(values, current, catalog, _message)
    assert same.errors == {} and same.doc is not None and rules_form.patch_of(same.doc, current) == {}
    typed = {
        **values,
        "extraction_bp": "7.5",
        "enabled": "1",
        "display.member_info": "1",  # not on the form: ignored, the stored value kept
        "display.pending": "",
        "levels-5-level": "silver",
        "levels-5-percent": "120.25",
        "lottery-mode": "fixed",
        "lottery_options-0-percent": "50",
        "lottery_options-1-percent": "200",
        "lottery_options-1-weight": "3",
        "points_per_yuan": "2.5",
        "random_return-on": "1",
        "random_return-group_size": "3",
        "random_return-cash_per_group": "1",
        "reset-kind": "once",
        "reset-time": "03:00",
        "reset_at-0-at": "2026-04-01T03:00",
    }
    read = rules_form.read_base(typed, current, catalog, _message)
    assert read.errors == {} and read.doc is not None
    assert rules_form.patch_of(read.doc, current) == {
        "extraction_bp": 750,
        "enabled": True,
        "display": {**current["display"], "pending": False},
        "level_entitlement_bp": {"gold": 15_000, "silver": 12_025},
        "lottery": {
            "mode": "fixed",
            "options": [{"ratio_bp": 5000, "weight": 1}, {"ratio_bp": 20_000, "weight": 3}],
            "min_bp": None,
            "max_bp": None,
            "step_bp": 100,
        },
        "points_per_yuan_x100": 250,
        "random_return": {"group_size": 3, "cash_per_group": 1},
        "reset": {
            "kind": "once",
            "time": "03:00:00",
            "weekday": 1,
            "day_of_month": 1,
            "at": ["2026-04-01T03:00:00+08:00"],  # the chain's wall time, with its offset
        },
    }
    bad = rules_form.read_base(
        {**typed, "voucher_ratio_bp": "101", "levels-5-level": "glod", "lottery_options-1-weight": "x"},
        current,
        catalog,
        _message,
    )
    assert bad.doc is None
    assert bad.errors == {
        "levels-5-level": "form.unknown_level:{'level': 'glod'}",
        "lottery_options-1-weight": "form.integer",
    }
    zone = rules_form.read_base({**typed, "timezone": "Mars/Olympus"}, current, catalog, _message)
    assert zone.errors == {"timezone": "form.timezone"}  # and the one-off reset, read in no zone, is not a crash
    over = rules_form.read_base({**typed, "voucher_ratio_bp": "101"}, current, catalog, _message)
    assert over.errors == {"voucher_ratio_bp": "form.le:{'value': '100%'}"}  # a bound in percent, on its input


def test_the_store_form_rows_a_blank_row_is_no_row_and_remove_drops_one() -> None:
    current = StoreSettings().model_dump(mode="json")
    values = {
        **rules_form.store_values(current),
        "tiers-0-days": "30",
        "tiers-0-threshold": "2,000",
        "tiers-0-percent": "150",
        "tiers-1-days": "",
        "tiers-1-threshold": "",
        "tiers-1-percent": "",
        "tiers-2-days": "7",
        "tiers-2-threshold": "100",
        "tiers-2-percent": "120",
        "tiers-2-remove": "1",
        "windows-0-start": "22:00",
        "windows-0-end": "02:00",
        "windows-0-d6": "1",
        "windows-0-d7": "1",
        "random_return-mode": "custom",
        "random_return-group_size": "2",
        "random_return-cash_per_group": "3",
    }
    read = rules_form.read_store(values, current, {}, _message)
    assert read.doc is None and read.errors == {"random_return": "form.random_cash"}
    read = rules_form.read_store({**values, "random_return-cash_per_group": "1"}, current, {}, _message)
    assert read.errors == {} and read.doc is not None
    assert read.doc["cumulative_tiers"] == [{"days": 30, "threshold_fen": 200_000, "ratio_bp": 15_000}]
    assert read.doc["time_windows"] == [
        {"start": "22:00:00", "end": "02:00:00", "weekdays": [6, 7], "date_from": None, "date_to": None}
    ]
    state = forms.FormState(values, extra={"tiers": 2})
    assert state.rows("tiers") == [0, 1, 2, 3, 4] and state.blank("tiers", 3) and not state.blank("tiers", 2)


def test_charts_are_svg_bars_of_whole_numbers() -> None:
    days = [dt.date(2026, 3, 1) + dt.timedelta(days=i) for i in range(4)]
    svg = bars(days, [("in", [100, 0, 300, 50]), ("out", [50, -20, 0, 10])], label=str, chart_id="c", empty="none")
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" id="c"') and svg.endswith("</svg>")
    assert svg.count("<rect") == 4 * 2 + 2
    assert "." not in "".join(re.findall(r'(?:x|y|width|height)="([^"]+)"', svg))  # integer geometry
    zero = int(re.search(r'<line class="axis" x1="\d+" y1="(\d+)"', svg).group(1))  # type: ignore[union-attr]
    negative = re.search(r'<rect class="bar s1" x="\d+" y="(\d+)" width="\d+" height="(\d+)"><title>2026-03-02', svg)
    assert negative and int(negative.group(1)) == zero and int(negative.group(2)) > 0  # hangs below the axis
    named = bars(days, [("in", [1, 2, 3, 4])], label=str, chart_id="c", empty="", labelled_by="c-caption")
    assert 'role="img" aria-labelledby="c-caption">' in named  # the figcaption names the chart
    assert bars([], [], label=str, chart_id="c", empty="无数据") == '<p class="muted chart-empty" id="c">无数据</p>'
    assert "&lt;b&gt;" in bars(days[:1], [("<b>", [1])], label=str, chart_id="c", empty="")


def test_exports_never_let_a_spreadsheet_run_a_formula() -> None:
    table = exports.Table("t", [exports.Column("col.name"), exports.Column("col.amount", "fen")])
    table.rows.append(['=HYPERLINK("http://x")', -150])
    table.rows.append(["@SUM(A1)", 12345])
    text = exports.to_csv(table).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'@SUM" in text and "-150,-1.50" in text and "12345,123.45" in text
    book = load_workbook(io.BytesIO(exports.to_xlsx(table)))
    sheet = book.active
    assert sheet is not None
    cells = list(sheet.iter_rows(min_row=2))
    assert cells[0][0].data_type == "s" and cells[0][0].value == '=HYPERLINK("http://x")'
    assert (cells[0][1].value, cells[0][2].value) == (-150, -1.5)


def test_xlsx_yuan_are_exact_number_cells_and_times_are_the_chains() -> None:
    table = exports.Table(
        "t", [exports.Column("col.at", "datetime"), exports.Column("col.amount", "fen"), exports.Column("col.x", "bp")]
    )
    at = dt.datetime(2026, 3, 1, 17, 30, tzinfo=dt.UTC)  # 01:30 the next day in Shanghai
    table.rows.append([at, 123_456_789_012_345, 1250])
    table.rows.append([at, -7, None])
    body = exports.to_xlsx(table, zone="Asia/Shanghai")
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    head, first, second = list(sheet.iter_rows())
    assert head[0].value == "col.at (Asia/Shanghai UTC+08:00)"
    assert first[0].value == dt.datetime(2026, 3, 2, 1, 30) and first[0].number_format == "yyyy-mm-dd hh:mm:ss"
    assert first[1].value == 123_456_789_012_345
    yuan = first[2]
    assert yuan.data_type == "n" and yuan.number_format == "0.00"
    assert Decimal(str(second[2].value)) == Decimal("-0.07")
    assert first[3].value == 1250 and first[4].number_format == "0.00%" and first[4].value == 0.125
    # the exact decimal is what the file holds (a float of 1234567890123.45 would not round-trip through /100)
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<v>1234567890123.45</v>" in xml
    text = exports.to_csv(table, zone="Asia/Shanghai").decode("utf-8-sig").splitlines()
    assert text[0].startswith("col.at (Asia/Shanghai UTC+08:00),")
    assert text[1] == "2026-03-02 01:30:00,123456789012345,1234567890123.45,1250,12.5%"


def test_exported_times_name_every_offset_of_a_zone_that_changes_clocks() -> None:
    table = exports.Table("t", [exports.Column("col.at", "datetime")])
    table.rows += [[dt.datetime(2026, 1, 10, 12, tzinfo=dt.UTC)], [dt.datetime(2026, 7, 10, 12, tzinfo=dt.UTC)]]
    lines = exports.to_csv(table, zone="Europe/Berlin").decode("utf-8-sig").splitlines()
    assert lines == ["col.at (Europe/Berlin UTC+01:00/UTC+02:00)", "2026-01-10 13:00:00", "2026-07-10 14:00:00"]


def test_settlement_export_totals() -> None:
    found = Settlement(
        dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
        ["A", "B"],
        {("A", "A"): 100, ("A", "B"): 40, ("B", "A"): 10},
    )
    rows = exports.settlement_table(found, {"A": "甲", "B": "乙"}).rows
    assert rows[0] == ["A 甲", 100, 40, 140] and rows[1] == ["B 乙", 10, 0, 10]
    assert rows[2] == ["col.received_by", 110, 40, 150] and rows[3] == ["col.net", -30, 30, None]
    lines = exports.settlement_lines_table(found, {}, own="B", others=["A", "B"]).rows
    assert lines == [["A", 10, 40, 30]]


def test_the_estimate_is_rounded_up_and_absent_without_pace() -> None:
    week = Totals(orders=70, contributions_fen=7_000)
    assert estimate(1_001, week) is not None and estimate(1_001, week).orders == 11  # type: ignore[union-attr]
    assert estimate(0, week) is None and estimate(100, Totals()) is None


def test_warnings_of_section_5_2() -> None:
    base = BaseSettings(default_entitlement_bp=10_000, level_entitlement_bp={"vip": 8_000, "gold": 12_000})
    store = StoreSettings(
        level_entitlement_bp={"vip": 0}, cumulative_tiers=[{"days": 30, "threshold_fen": 100, "ratio_bp": 9_000}]
    )  # type: ignore
    keys = [w.key for w in warnings(base, store)]
    # the store's own vip ratio (0) hides the base one; gold is above the default
    assert keys == ["warn.level_zero", "warn.tier_below"]
    own_default = StoreSettings(default_entitlement_bp=5_000)
    assert [w.key for w in warnings(base, own_default)] == []  # 80% is above the store's 50% default
    shown = preview(base, "S1", "一号店", store, [None, "vip", "gold"])
    by_level = {r.level: (r.new.ratio_bp, r.new.level, r.top.ratio_bp, r.top.level) for r in shown.rows}
    assert by_level == {None: (10_000, 7, 9_000, 3), "vip": (0, 1, 0, 1), "gold": (12_000, 2, 12_000, 2)}


def test_a_catalog_change_in_the_history_is_the_levels_that_changed() -> None:
    """The catalog's documents are levels, not store settings: the first level is the only change, not every
    store setting's default."""
    gold = {"level_id": "gold", "name_zh": "金卡", "name_en": "Gold", "rank": 1}
    first = SimpleNamespace(scope="levels", before_json="{}", after_json=json.dumps({"gold": gold}))
    assert hist.changes(first) == [("gold", None, gold)]
    renamed = SimpleNamespace(
        scope="levels", before_json=first.after_json, after_json=json.dumps({"gold": {**gold, "name_zh": "黄金"}})
    )
    assert hist.changes(renamed) == [("gold", gold, {**gold, "name_zh": "黄金"})]

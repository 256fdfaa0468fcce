"""Pieces of the console without a server: the word table, percent parsing, charts, exports, chain warnings."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from server.console import forms
from server.console.chains_view import preview, warnings
from server.console.charts import bars
from server.console.i18n import TEXT, translate
from server.services import exports
from server.services.liability import Settlement, Totals, estimate
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
    dynamic = {f"base.{s.name}" for s in forms.BASE_FIELDS} | {f"store.{s.name}" for s in forms.STORE_FIELDS}
    dynamic |= {f"choice.{c}" for s in (*forms.BASE_FIELDS, *forms.STORE_FIELDS) for c in s.choices}
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
    ("text", "bp"), [("10", 1000), ("12.5", 1250), ("0.01", 1), ("100%", 10_000), ("0", 0), ("1000", 100_000)]
)
def test_percent_is_parsed_exactly_into_basis_points(text: str, bp: int) -> None:
    assert forms.parse_percent(text) == bp


@pytest.mark.parametrize("text", ["", "-1", "1.234", "abc", "1e2", "."])
def test_bad_percentages_are_refused(text: str) -> None:
    with pytest.raises(forms.FieldError):
        forms.parse_percent(text)


def test_a_form_reads_into_a_patch_of_what_changed() -> None:
    current = BaseSettings()
    form = {
        spec.name: str(forms.show(spec, v))
        for spec, v in ((s, forms._get(current.model_dump(mode="json"), s.name)) for s in forms.BASE_FIELDS)
        if spec.kind != "bool"
    }
    form |= {
        s.name: "1"
        for s in forms.BASE_FIELDS
        if s.kind == "bool" and forms._get(current.model_dump(mode="json"), s.name)
    }
    same = forms.parse(forms.BASE_FIELDS, form, current, BaseSettings, lambda k, **p: k)
    assert same.patch == {} and same.errors == {}
    changed = forms.parse(
        forms.BASE_FIELDS,
        {**form, "extraction_bp": "7.5", "enabled": "1", "display.member_info": "1"},
        current,
        BaseSettings,
        lambda k, **p: k,
    )
    assert changed.patch == {
        "extraction_bp": 750,
        "enabled": True,
        "display": {**current.display.model_dump(), "member_info": True},
    }
    bad = forms.parse(
        forms.BASE_FIELDS, {**form, "voucher_ratio_bp": "101"}, current, BaseSettings, lambda k, **p: f"{k}:{p}"
    )
    assert bad.patch == {} and bad.errors == {"voucher_ratio_bp": "form.le:{'value': '100%'}"}


def test_charts_are_svg_bars_of_whole_numbers() -> None:
    days = [dt.date(2026, 3, 1) + dt.timedelta(days=i) for i in range(4)]
    svg = bars(days, [("in", [100, 0, 300, 50]), ("out", [50, -20, 0, 10])], label=str, chart_id="c", empty="none")
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" id="c"') and svg.endswith("</svg>")
    assert svg.count("<rect") == 4 * 2 + 2
    assert "." not in "".join(re.findall(r'(?:x|y|width|height)="([^"]+)"', svg))  # integer geometry
    zero = int(re.search(r'<line class="axis" x1="\d+" y1="(\d+)"', svg).group(1))  # type: ignore[union-attr]
    negative = re.search(r'<rect class="bar s1" x="\d+" y="(\d+)" width="\d+" height="(\d+)"><title>2026-03-02', svg)
    assert negative and int(negative.group(1)) == zero and int(negative.group(2)) > 0  # hangs below the axis
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
    assert (cells[0][1].value, cells[0][2].value) == (-150, "-1.50")


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

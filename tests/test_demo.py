"""The demo (`python3 tasks.py demo`): it comes up with its data, answers health, serves console and member page
figures, enrols the till where there is a display, and stops cleanly on Ctrl-C. The README's first command itself,
`python3 tasks.py demo`, is run on a fresh clone by tests/test_fresh_clone.py."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from server import demo, demo_data
from tests.demo_support import free_port, interrupt, port_closed, running_demo

ROOT = Path(__file__).resolve().parent.parent
END = dt.datetime(2026, 3, 20, 7, 30, tzinfo=dt.UTC)  # 15:30 in Shanghai, a Friday


def check_served(d: object) -> None:
    """Health, the stores and three weeks of figures through the API as the admin, and the member page link."""
    from tests.demo_support import RunningDemo

    assert isinstance(d, RunningDemo)
    status, health = d.get("/api/v1/health")
    assert status == 200 and health["status"] == "ok" and health["database"] == "sqlite"
    token = d.token()
    status, stores = d.get("/api/v1/stores", token)
    assert status == 200
    names = {("S1", "人民广场店"), ("S2", "徐家汇店"), ("S3", "五角场店")}
    assert {(s["store_id"], s["name"]) for s in stores} == names
    assert {c for s in stores for c in s["cashier_ids"]} == {"S1-C1", "S1-C2", "S2-C1", "S2-C2", "S3-C1"}
    status, report = d.get("/api/v1/stores/S1/report", token)
    assert status == 200
    assert len(report["days"]) >= 18, "about three weeks of history"
    totals = report["totals"]
    assert totals["orders_count"] > 250 and totals["payouts_fen"] > 0 and totals["entries_completed"] > 0
    page = next(line.split()[-1] for line in d.lines if line.strip().startswith("member page"))
    assert page.startswith(f"{d.url}/m/PD1.")
    status, html = d.get(page.removeprefix(d.url))
    assert status == 200 and "¥" in html
    status, login = d.get("/console/login")
    assert status == 200 and "csrf" in login


def history_in(db: Path) -> dict[str, int]:
    con = sqlite3.connect(db)
    try:

        def one(sql: str) -> int:
            return int(con.execute(sql).fetchone()[0])

        return {
            "orders": one("SELECT count(*) FROM orders"),
            "days": one("SELECT count(DISTINCT date(paid_at)) FROM orders"),
            "members": one("SELECT count(*) FROM members WHERE phone IS NOT NULL"),
            "waiting": one("SELECT count(*) FROM entries WHERE status = 'waiting'"),
            "completed": one("SELECT count(*) FROM entries WHERE status = 'completed'"),
            "draws": one("SELECT count(*) FROM entries WHERE lottery_state = 'drawn'"),
        }
    finally:
        con.close()


@pytest.mark.e2e
@pytest.mark.slow
def test_demo_comes_up_with_its_data_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    data, port = tmp_path / "demo", free_port()
    argv = [sys.executable, "-m", "server.demo", "--no-app", "--port", str(port), "--data-dir", str(data)]
    with running_demo(argv, cwd=ROOT, data_dir=data, port=port) as d:
        assert "paidui-server init" in d.output and "sales" in d.output
        assert f"sign in as admin / {d.admin_password}" in d.output
        assert "13900000001" in d.output and "manager PIN 1234" in d.output
        assert "王芳" in d.output and "PIN 111111" in d.output and "PIN 909090" in d.output  # two employees
        check_served(d)
        assert interrupt(d) == 0, d.output
    assert "demo stopped (server exit 0)" in d.output
    assert port_closed(port)
    figures = history_in(data / "paidui.db")
    assert figures["orders"] > 600 and figures["days"] >= 20 and figures["members"] == 200
    assert figures["waiting"] > 0 and figures["completed"] > 0 and figures["draws"] > 0

    # A second start reuses the folder: no new init, the same admin password, the same history.
    password = d.admin_password
    with running_demo(argv, cwd=ROOT, data_dir=data, port=port) as again:
        assert "paidui-server init" not in again.output
        assert again.admin_password == password
        assert again.get("/api/v1/health")[0] == 200
        assert interrupt(again) == 0, again.output
    assert history_in(data / "paidui.db")["orders"] == figures["orders"]


@pytest.mark.e2e
@pytest.mark.slow
def test_where_there_is_a_display_the_till_is_enrolled_and_closed_with_the_demo(tmp_path: Path) -> None:
    """The till path of the demo, run offscreen: DISPLAY says "a desktop", QT_QPA_PLATFORM keeps it invisible."""
    data, port = tmp_path / "demo", free_port()
    env = {**os.environ, "DISPLAY": os.environ.get("DISPLAY", ":99"), "QT_QPA_PLATFORM": "offscreen"}
    argv = [sys.executable, "-m", "server.demo", "--port", str(port), "--data-dir", str(data)]
    with running_demo(argv, cwd=ROOT, data_dir=data, port=port, env=env) as d:
        assert "enrolled to store S1" in d.output
        token = d.token()
        deadline = time.monotonic() + 120
        while True:  # the app enrols, then its sync worker pulls: the server sees the terminal
            status, tills = d.get("/api/v1/terminals", token)
            assert status == 200
            if tills and tills[0]["last_seen_at"]:
                break
            assert time.monotonic() < deadline, f"the till never showed up:\n{(data / 'till1.log').read_text()}"
            time.sleep(0.5)
        assert [(t["store_id"], t["revoked_at"]) for t in tills] == [("S1", None)]
        assert interrupt(d) == 0, d.output
    assert "demo stopped (till exit 0, server exit 0)" in d.output
    assert (data / "till1" / "paidui-cashier.db").exists()


def test_history_is_fixed_by_seed_and_anchor() -> None:
    import random

    def once(seed: int) -> list[tuple[dt.datetime, object]]:
        rng = random.Random(seed)
        return demo_data.timeline(rng, demo_data.make_members(rng), end=END)

    first = once(7)
    assert first == once(7)
    assert first != once(8)
    times = [at for at, _ in first]
    assert times == sorted(times) and times[-1] <= END
    assert END - times[0] > dt.timedelta(days=19), "about three weeks"


def test_demo_members_are_valid_and_unique() -> None:
    import random

    people = demo_data.make_members(random.Random(1))
    assert len(people) == 200
    assert len({m.phone for m in people}) == 200 and len({m.member_id for m in people}) == 200
    assert people[: len(demo_data.TOUR_MEMBERS)] == demo_data.TOUR_MEMBERS
    assert all(m.phone.startswith("139") and len(m.phone) == 11 for m in people)


def test_a_folder_that_is_not_a_demo_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(SystemExit, match="not a finished demo folder"):
        demo.open_demo(tmp_path, reset=False, seed=1)
    assert (tmp_path / "notes.txt").exists()


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("linux", {}, False),
        ("linux", {"DISPLAY": ":0"}, True),
        ("linux", {"WAYLAND_DISPLAY": "wayland-0"}, True),
        ("win32", {}, True),
        ("darwin", {}, True),
    ],
)
def test_the_app_starts_only_where_there_is_a_display(
    monkeypatch: pytest.MonkeyPatch, platform: str, env: dict[str, str], expected: bool
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(sys, "platform", platform)
    assert demo.display_available() is expected


def test_the_demo_catalogue_has_50_products_two_outside_the_rebate() -> None:
    import csv
    import io

    from shared.catalogue import parse_products

    products = parse_products(list(csv.reader(io.StringIO(demo_data.catalogue_csv()))))
    assert len(products) == 50 and len({p.barcode for p in products}) == 50
    assert sorted(p.name for p in products if not p.participates) == ["中华香烟", "礼品卡 200 元"]
    for p in products:  # EAN-13 check digits a scanner accepts
        assert p.barcode is not None and len(p.barcode) == 13 and demo_data.ean13(p.barcode[:12]) == p.barcode

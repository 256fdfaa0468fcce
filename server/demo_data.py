"""Demo data for `python3 tasks.py demo`: three stores, ~200 members, rules, and three weeks of history.

The history goes through the real ingest path (`Ingest.apply` of PayOrder, RefundOrder, DrawLottery, Exchange), in
time order, so every ledger, running total and console figure is what the live server would have produced. A seed
fixes everything but the anchor (the last instant of history), so two runs with the same seed and anchor agree.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from shared.engine.commands import ChangeSettings, Command, DrawLottery, Exchange, PayOrder, RefundOrder
from shared.engine.randomness import SystemRandomSource
from shared.errors import RuleError
from shared.ids import CashierId, MemberId, OrderId, StoreId
from shared.phones import phone_keys

from .db.database import Database
from .db.settings import SettingsCache
from .services import admin, catalogue, employees, levels, members, values
from .services.ingest import Ingest

ZONE = ZoneInfo("Asia/Shanghai")
DAYS = 21
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "晓东",
    "海燕",
    "志强",
    "丹",
    "玉兰",
    "子涵",
    "浩然",
]

# store id -> (name, cashier ids, sales per weekday, per weekend day)
STORES: dict[str, tuple[str, list[str], int, int]] = {
    "S1": ("人民广场店", ["S1-C1", "S1-C2"], 16, 24),
    "S2": ("徐家汇店", ["S2-C1", "S2-C2"], 12, 18),
    "S3": ("五角场店", ["S3-C1"], 9, 14),
}

# two employees per store, signing in at the tills: (store, employee id, name, role, PIN) — the demo prints the PINs
EMPLOYEES = (
    ("S1", "e-s1-wang", "王芳", "cashier", "111111"),
    ("S1", "e-s1-zhao", "赵强", "manager", "909090"),
    ("S2", "e-s2-chen", "陈静", "cashier", "222222"),
    ("S2", "e-s2-sun", "孙伟", "manager", "808080"),
    ("S3", "e-s3-liu", "刘洋", "cashier", "333333"),
    ("S3", "e-s3-zhou", "周敏", "manager", "707070"),
)

# the level catalog: (id, Chinese name, English name, rank)
LEVELS = (("gold", "金卡会员", "Gold", 20), ("silver", "银卡会员", "Silver", 10))

BASE: dict[str, Any] = {
    "enabled": True,
    "display_name": "排队返利",
    "extraction_bp": 1200,  # 12% of each sale pays the queue
    "default_entitlement_bp": 5000,  # an entry waits for 50% of what the member paid
    "level_entitlement_bp": {"silver": 6000, "gold": 8000},
    "points_exchange_enabled": True,
    "points_per_yuan_x100": 100,
    "all_cashiers_queue": False,  # one queue per checkout point (the default)
    # the wallet (docs/wallet.md): points pay 100 a yuan; withdrawals on, so the console's queue has something
    "wallet": {"points_per_yuan": 100, "withdrawal_enabled": True, "withdrawal_min_fen": 1_000},
}
STORE_RULES: dict[StoreId, dict[str, Any]] = {
    StoreId("S1"): {"enabled": True},
    StoreId("S2"): {  # cumulative-spend tiers: the more a member spent here in 30 days, the larger the entry
        "enabled": True,
        "cumulative_tiers": [
            {"days": 30, "threshold_fen": 50_000, "ratio_bp": 6000},
            {"days": 30, "threshold_fen": 150_000, "ratio_bp": 7000},
        ],
    },
    StoreId("S3"): {  # a lottery on the member page: draw once for 30%, 60% or 100% instead of the provisional 50%
        "enabled": True,
        "extraction_bp": 1500,
        "lottery": {
            "mode": "fixed",
            "options": [
                {"ratio_bp": 3000, "weight": 5},
                {"ratio_bp": 6000, "weight": 3},
                {"ratio_bp": 10_000, "weight": 1},
            ],
        },
    },
}


@dataclass(frozen=True)
class DemoMember:
    member_id: MemberId
    phone: str
    name: str
    level: str | None
    home: str


# The members the tour names: typed at the till, or shown on the member page.
TOUR_MEMBERS = [
    DemoMember(MemberId("demo-m001"), "13900000001", "张伟", "gold", "S1"),
    DemoMember(MemberId("demo-m002"), "13900000002", "王芳", None, "S3"),
    DemoMember(MemberId("demo-m003"), "13900000003", "李娜", "silver", "S1"),
]
MEMBER_PAGE_MEMBER = TOUR_MEMBERS[1]  # buys in all three stores, one lottery still to draw
WALLET_MEMBER = TOUR_MEMBERS[0]  # has a rebate balance to spend at any till (typed by phone)


@dataclass
class Summary:
    products: int = 0
    stores: int = 0
    cashiers: int = 0
    members: int = 0
    orders: int = 0
    refunds: int = 0
    draws: int = 0
    exchanges: int = 0
    skipped: int = 0  # draws and exchanges the rules refused (the entry had completed meanwhile): expected
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    by_kind: dict[str, int] = field(default_factory=dict)
    wallet_fen: int = 0  # WALLET_MEMBER's rebate balance, to spend at a till
    withdrawal: str | None = None  # a withdrawal request waiting in the console


def make_members(rng: random.Random, count: int = 200) -> list[DemoMember]:
    out = list(TOUR_MEMBERS)
    stores = list(STORES)
    for i in range(len(out) + 1, count + 1):
        level = rng.choices([None, "silver", "gold"], weights=[70, 22, 8])[0]
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        out.append(DemoMember(MemberId(f"demo-m{i:03d}"), f"139{i:08d}", name, level, rng.choice(stores)))
    return out


def _amount_fen(rng: random.Random) -> int:
    """A till amount in whole fen: mostly everyday baskets, now and then a large one."""
    yuan = rng.randint(18, 160) if rng.random() < 0.85 else rng.randint(160, 900)
    return yuan * 100 + rng.choice((0, 0, 50, 80, 90))


def _local(day: dt.date, minute_of_day: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), ZONE) + dt.timedelta(minutes=minute_of_day)


def timeline(rng: random.Random, people: list[DemoMember], *, end: dt.datetime) -> list[tuple[dt.datetime, Command]]:
    """Every command of the history, sorted by time, none after `end`."""
    events: list[tuple[dt.datetime, Command]] = []
    by_home: dict[str, list[DemoMember]] = {}
    for m in people:
        by_home.setdefault(m.home, []).append(m)
    last_day = end.astimezone(ZONE).date()
    n = 0
    for back in range(DAYS - 1, -1, -1):
        day = last_day - dt.timedelta(days=back)
        weekend = day.isoweekday() >= 6
        for store_id, (_name, cashiers, weekday_sales, weekend_sales) in STORES.items():
            count = weekend_sales if weekend else weekday_sales
            for minute in sorted(rng.randrange(10 * 60, 21 * 60) for _ in range(count)):
                at = _local(day, minute).astimezone(dt.UTC)
                if at > end:
                    continue
                n += 1
                member: DemoMember | None = None
                if rng.random() < 0.75:  # a quarter are walk-ins: they contribute, they do not queue
                    pool = by_home[store_id] if rng.random() < 0.8 else people
                    member = rng.choice(pool)
                order_id = OrderId(f"demo-o{n:05d}")
                paid = _amount_fen(rng)
                events.append(
                    (
                        at,
                        PayOrder(
                            order_id=order_id,
                            store_id=StoreId(store_id),
                            cashier_id=CashierId(rng.choice(cashiers)),
                            member_id=member.member_id if member else None,
                            paid_fen=paid,
                            paid_at=at,
                            received_at=at,
                            completed=True,
                        ),
                    )
                )
                _follow_ups(rng, events, order_id, store_id, member, paid, at, end)
    events += _tour_sales(end)
    events.sort(key=lambda e: e[0])
    return events


def _follow_ups(
    rng: random.Random,
    events: list[tuple[dt.datetime, Command]],
    order_id: OrderId,
    store_id: str,
    member: DemoMember | None,
    paid: int,
    at: dt.datetime,
    end: dt.datetime,
) -> None:
    """What may happen after a sale: a refund, a lottery draw on the member page, an exchange into points."""
    roll = rng.random()
    if roll < 0.03:
        when = at + dt.timedelta(hours=rng.randint(1, 30))
        amount = paid if rng.random() < 0.6 else paid // 2
        if when <= end:
            events.append((when, RefundOrder(order_id, f"{order_id}-r", amount, when)))
        return
    if member is None:
        return
    if store_id == "S3" and member.level is None and roll < 0.7:
        when = at + dt.timedelta(minutes=rng.randint(5, 600))
        if when <= end:
            events.append((when, DrawLottery(order_id=order_id, at=when, member_id=member.member_id)))
    elif roll > 0.97:
        when = at + dt.timedelta(days=rng.randint(1, 5))
        if when <= end:
            events.append((when, Exchange(order_id=order_id, into="points", at=when, member_id=member.member_id)))


def _tour_sales(end: dt.datetime) -> list[tuple[dt.datetime, Command]]:
    """The member-page member's own purchases in every store, the last one at S3 recent and not drawn yet."""
    who = MEMBER_PAGE_MEMBER.member_id
    plan = [
        (19, "S1", "S1-C1", 8_800),
        (15, "S1", "S1-C2", 23_800),
        (8, "S2", "S2-C1", 41_500),
        (4, "S3", "S3-C1", 12_880),
        (1, "S1", "S1-C1", 6_650),
    ]
    out: list[tuple[dt.datetime, Command]] = []
    last_day = end.astimezone(ZONE).date()
    for i, (days_back, store, cashier, paid) in enumerate(plan, start=1):
        at = _local(last_day - dt.timedelta(days=days_back), 15 * 60 + 5 * i).astimezone(dt.UTC)
        out.append(
            (
                at,
                PayOrder(
                    order_id=OrderId(f"demo-tour-{i}"),
                    store_id=StoreId(store),
                    cashier_id=CashierId(cashier),
                    member_id=who,
                    paid_fen=paid,
                    paid_at=at,
                    received_at=at,
                    completed=True,
                ),
            )
        )
    at = end - dt.timedelta(minutes=30)
    out.append(
        (
            at,
            PayOrder(
                order_id=OrderId("demo-tour-lottery"),
                store_id=StoreId("S3"),
                cashier_id=CashierId("S3-C1"),
                member_id=who,
                paid_fen=18_800,
                paid_at=at,
                received_at=at,
                completed=True,
            ),
        )
    )
    return out


# The demo catalogue (issue 14 item 6): 50 products with EAN-13 barcodes; the cigarettes and the gift card do not
# take part in the rebate (docs/rules.md §8). S1 sells items; S2 and S3 keep typing amounts.
CATALOGUE_STORES = ("S1",)
_ITEMS = [
    ("面食", ["牛肉面", "阳春面", "炸酱面", "葱油拌面", "馄饨", "小笼包", "生煎包", "锅贴", "煎饺", "肉包"]),
    ("饮料", ["可乐", "雪碧", "橙汁", "矿泉水", "绿茶", "红茶", "酸梅汤", "豆浆", "牛奶", "咖啡"]),
    ("零食", ["薯片", "饼干", "巧克力", "口香糖", "瓜子", "花生", "牛肉干", "果冻", "蛋糕", "面包"]),
    ("日用", ["纸巾", "湿巾", "牙刷", "牙膏", "洗发水", "肥皂", "毛巾", "雨伞", "电池", "打火机"]),
    ("其他", ["鸡蛋", "大米", "食用油", "酱油", "醋", "盐", "白糖", "茶叶"]),
]
PRICE_RANGES = {"面食": (8, 28), "饮料": (3, 12), "零食": (4, 25), "日用": (3, 45), "其他": (5, 60)}
OUTSIDE_REBATE = [("T01", "中华香烟", 4_500, "烟草"), ("G01", "礼品卡 200 元", 20_000, "礼品卡")]


def ean13(stem12: str) -> str:
    """An EAN-13 barcode: the twelve digits and their check digit."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(stem12))
    return stem12 + str((10 - total % 10) % 10)


def catalogue_csv() -> str:
    """The demo catalogue as headquarters would import it (CSV, UTF-8)."""
    rows = ["sku,barcode,name,price,category,participates"]
    n = 0
    for category, names in _ITEMS:
        for name in names:
            n += 1
            low, high = PRICE_RANGES[category]  # yuan; prices on whole or half yuan
            price = (low * 2 + (n * 7) % ((high - low) * 2 + 1)) * 50
            rows.append(f"P{n:03d},{ean13(f'690{n:09d}')},{name},{price // 100}.{price % 100:02d},{category},yes")
    for i, (sku, name, price, category) in enumerate(OUTSIDE_REBATE):
        rows.append(f"{sku},{ean13(f'691{i:09d}')},{name},{price // 100}.{price % 100:02d},{category},no")
    return "\n".join(rows) + "\n"


def load(db: Database, *, end: dt.datetime, seed: int = 2026) -> Summary:
    """Stores, cashiers, members and rules as of three weeks before `end`, then the history up to `end`."""
    rng = random.Random(seed)
    start = _local(end.astimezone(ZONE).date() - dt.timedelta(days=DAYS), 9 * 60).astimezone(dt.UTC)
    summary = Summary()
    people = make_members(rng)
    with db.connect() as conn:
        for store_id, (name, cashiers, _weekday, _weekend) in STORES.items():
            admin.add_store(conn, store_id=store_id, name=name, timezone="Asia/Shanghai", at=start)
            summary.stores += 1
            for cashier in cashiers:
                admin.add_cashier(conn, cashier_id=cashier, store_id=store_id, name=f"{name} {cashier[-1]}号收银台")
                summary.cashiers += 1
        for store_id, employee_id, name, role, pin in EMPLOYEES:
            employees.add(conn, employee_id=employee_id, store_id=store_id, name=name, role=role, pin=pin, at=start)
        for level_id, name_zh, name_en, rank in LEVELS:
            levels.save(conn, level_id=level_id, name_zh=name_zh, name_en=name_en, rank=rank, actor="demo", at=start)
        imported = catalogue.import_file(conn, catalogue_csv().encode(), "demo.csv", now=start, replace=True)
        summary.products = imported.added
        for store_id in CATALOGUE_STORES:
            catalogue.set_store_catalogue(conn, store_id, enabled=True)
        cache = SettingsCache()  # this transaction's configuration, parsed once for the members below
        keys = phone_keys(values.phone_key_params(conn), [m.phone for m in people])  # ~33 ms each: in parallel
        for m, key in zip(people, keys, strict=True):
            members.add(
                conn,
                phone=m.phone,
                name=m.name,
                level=m.level,
                member_id=m.member_id,
                store_id=m.home,
                now=start,
                key=key,
                cache=cache,
            )
        summary.members = len(people)
    # A seeded source: the lottery draws of the history are part of what the seed fixes.
    ingest = Ingest(db, SystemRandomSource(random.Random(seed + 1)))
    ingest.apply(ChangeSettings(at=start, base=BASE, stores=STORE_RULES, actor="demo"))
    for at, command in timeline(rng, people, end=end):
        kind = type(command).__name__
        try:
            ingest.apply(command)
        except RuleError:
            # A draw or an exchange after its entry completed or was refunded: the rules refuse it, as they
            # would on the member page. Anything else is a bug in this generator.
            if not isinstance(command, DrawLottery | Exchange):
                raise
            summary.skipped += 1
            continue
        summary.by_kind[kind] = summary.by_kind.get(kind, 0) + 1
        summary.first = summary.first or at
        summary.last = at
    summary.orders = summary.by_kind.get("PayOrder", 0)
    summary.refunds = summary.by_kind.get("RefundOrder", 0)
    summary.draws = summary.by_kind.get("DrawLottery", 0)
    summary.exchanges = summary.by_kind.get("Exchange", 0)
    _wallets(db, summary, end)
    return summary


def _wallets(db: Database, summary: Summary, end: dt.datetime) -> None:
    """The wallet member's balance to spend, and one withdrawal request (the third tour member's) for the console."""
    from .db.settings import base_settings
    from .services import wallet, wallet_ops

    with db.connect() as conn:
        summary.wallet_fen = wallet.wallet_of(conn, WALLET_MEMBER.member_id).rebate_fen
        asker = TOUR_MEMBERS[2].member_id
        available = wallet.wallet_of(conn, asker).rebate_available_fen
        settings = base_settings(conn, None)
        amount = min(available, 2_000)
        if amount >= settings.wallet.withdrawal_min_fen:
            request = wallet_ops.request_withdrawal(
                conn, member_id=asker, amount_fen=amount, key="demo-withdrawal-1", settings=settings, now=end
            )
            summary.withdrawal = request.reference

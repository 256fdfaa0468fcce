"""Ratio chains of spec §5: the cashier chain (EX7), the store online-sales chain (EX22) and the mall chain."""

from __future__ import annotations

from typing import Any

import pytest

from shared.chains import (
    ChainError,
    DefaultLink,
    LotteryLink,
    ProductSettings,
    best_tier,
    cashier_chain,
    mall_product_chain,
    resolve,
    store_online_chain,
)
from shared.settings import BaseSettings, Lottery, StoreSettings, Tier

LOTTERY = Lottery(mode="fixed", options=[{"ratio_bp": 1000}, {"ratio_bp": 5000}])  # type: ignore[list-item]
OTHER_LOTTERY = Lottery(mode="interval", min_bp=2000, max_bp=8000, step_bp=100)


def spend_of(amount: int) -> Any:
    return lambda days: amount


# ---------------------------------------------------------------------------------------- EX22 (11 levels)

EX22_SPEND = spend_of(600_000)  # 30-day spend 6000.00


def _ex22(case: str) -> tuple[BaseSettings, StoreSettings, ProductSettings]:
    tier = Tier(days=30, threshold_fen=500_000, ratio_bp=6000)
    store_tier = Tier(days=30, threshold_fen=100_000, ratio_bp=8000)
    base_gold = BaseSettings(level_entitlement_bp={"gold": 13_000})
    store_gold = StoreSettings(level_entitlement_bp={"gold": 14_000})
    if case == "a":
        return base_gold, store_gold, ProductSettings(level_entitlement_bp={"gold": 15_000})
    if case == "b":
        return base_gold, store_gold, ProductSettings()
    if case == "c":
        return base_gold, StoreSettings(), ProductSettings(cumulative_tiers=[tier])
    if case == "d":
        return BaseSettings(), StoreSettings(cumulative_tiers=[store_tier]), ProductSettings(cumulative_tiers=[tier])
    if case == "e":
        unreached = Tier(days=30, threshold_fen=1_000_000, ratio_bp=6000)
        return (
            BaseSettings(),
            StoreSettings(cumulative_tiers=[store_tier]),
            ProductSettings(cumulative_tiers=[unreached]),
        )
    if case == "f":
        return (
            BaseSettings(),
            StoreSettings(lottery=LOTTERY, default_entitlement_bp=7000),
            ProductSettings(default_entitlement_bp=9000),
        )
    return BaseSettings(), StoreSettings(), ProductSettings()


@pytest.mark.parametrize(
    ("case", "level", "source", "ratio", "lottery"),
    [
        ("a", 1, "store_product.level", 15_000, False),
        ("b", 2, "store.level", 14_000, False),
        ("c", 3, "base.level", 13_000, False),  # levels beat tiers
        ("d", 4, "store_product.tiers", 6000, False),  # set and qualifying, though the store tier is higher
        ("e", 5, "store.tiers", 8000, False),
        ("f", 7, "store.lottery", 9000, True),  # provisional: the product default (level 9)
        ("g", 11, "base.default", 10_000, False),
    ],
)
def test_ex22_store_online_chain(case: str, level: int, source: str, ratio: int, lottery: bool) -> None:
    base, store, product = _ex22(case)
    res = resolve(store_online_chain(base, store, product), "gold", EX22_SPEND)
    assert (res.level, res.source, res.ratio_bp, res.lottery is not None) == (level, source, ratio, lottery)
    if lottery:
        assert res.lottery == LOTTERY


def test_store_online_chain_has_eleven_levels_in_order() -> None:
    names = [link.name for link in store_online_chain(BaseSettings(), StoreSettings(), ProductSettings())]
    assert names == [
        "store_product.level",
        "store.level",
        "base.level",
        "store_product.tiers",
        "store.tiers",
        "store_product.lottery",
        "store.lottery",
        "base.lottery",
        "store_product.default",
        "store.default",
        "base.default",
    ]


def test_store_online_lottery_precedence_and_provisional_fallbacks() -> None:
    product = ProductSettings(lottery=OTHER_LOTTERY)
    res = resolve(
        store_online_chain(BaseSettings(lottery=LOTTERY), StoreSettings(lottery=LOTTERY), product), None, spend_of(0)
    )
    assert (res.level, res.lottery, res.ratio_bp) == (6, OTHER_LOTTERY, 10_000)  # provisional: base default
    res = resolve(
        store_online_chain(
            BaseSettings(lottery=LOTTERY), StoreSettings(default_entitlement_bp=7000), ProductSettings()
        ),
        None,
        spend_of(0),
    )
    assert (res.level, res.source, res.ratio_bp) == (8, "base.lottery", 7000)  # provisional: store default (10)


# ---------------------------------------------------------------------------------------- EX7 (cashier, 7 levels)

EX7_BASE = BaseSettings(default_entitlement_bp=10_000, level_entitlement_bp={"gold": 15_000, "silver": 20_000})
EX7_STORE = StoreSettings(
    default_entitlement_bp=12_000,
    level_entitlement_bp={"silver": 11_000, "bronze": 0},
    cumulative_tiers=[Tier(days=30, threshold_fen=10_000, ratio_bp=9000)],
)


@pytest.mark.parametrize(
    ("member", "level_id", "spend", "level", "ratio"),
    [
        ("g", "gold", 0, 2, 15_000),  # base level: the cashier has no gold ratio
        ("s", "silver", 0, 1, 11_000),  # cashier level beats base silver 200%
        ("b", "bronze", 0, 1, 0),  # 0% is set: no entry, still contributes
        ("p", None, 30_000, 3, 9000),  # tier 300.00 >= 100.00 beats the 120% default
        ("n", None, 0, 6, 12_000),
    ],
)
def test_ex7_cashier_chain(member: str, level_id: str | None, spend: int, level: int, ratio: int) -> None:
    res = resolve(cashier_chain(EX7_BASE, EX7_STORE), level_id, spend_of(spend))
    assert (res.level, res.ratio_bp, res.lottery) == (level, ratio, None), member


def test_cashier_chain_lottery_levels_and_provisional_ratio() -> None:
    both = resolve(
        cashier_chain(BaseSettings(lottery=OTHER_LOTTERY), StoreSettings(lottery=LOTTERY)), None, spend_of(0)
    )
    assert (both.level, both.lottery, both.ratio_bp) == (4, LOTTERY, 10_000)
    base_only = resolve(
        cashier_chain(
            BaseSettings(lottery=OTHER_LOTTERY, default_entitlement_bp=4000), StoreSettings(default_entitlement_bp=3000)
        ),
        None,
        spend_of(0),
    )
    assert (base_only.level, base_only.lottery, base_only.ratio_bp) == (5, OTHER_LOTTERY, 3000)
    tier_wins = resolve(
        cashier_chain(
            BaseSettings(),
            StoreSettings(lottery=LOTTERY, cumulative_tiers=[Tier(days=1, threshold_fen=0, ratio_bp=2500)]),
        ),
        None,
        spend_of(0),
    )
    assert (tier_wins.level, tier_wins.lottery) == (3, None)  # a higher level wins: no lottery


def test_null_is_not_set_but_zero_is() -> None:
    store = StoreSettings(level_entitlement_bp={"gold": None}, default_entitlement_bp=None)
    assert resolve(cashier_chain(EX7_BASE, store), "gold", spend_of(0)).level == 2
    zero = resolve(cashier_chain(BaseSettings(default_entitlement_bp=0), StoreSettings()), None, spend_of(0))
    assert (zero.level, zero.ratio_bp) == (7, 0)


def test_tiers_take_the_maximum_qualifying_ratio_threshold_inclusive() -> None:
    tiers = [
        Tier(days=30, threshold_fen=200_000, ratio_bp=5000),
        Tier(days=30, threshold_fen=500_000, ratio_bp=6000),
        Tier(days=60, threshold_fen=1_000_000, ratio_bp=10_000),
    ]
    spends = {30: 200_000, 60: 870_000}
    assert best_tier(tiers, lambda days: spends[days]) == 5000  # EX8 o1
    spends = {30: 460_000, 60: 1_180_000}
    assert best_tier(tiers, lambda days: spends[days]) == 10_000  # EX8 o2
    assert best_tier(tiers, lambda days: 199_999) is None
    asked: list[int] = []
    best_tier(tiers, lambda days: asked.append(days) or 0)
    assert asked == [30, 60]  # one spend query per window length


# ---------------------------------------------------------------------------------------- mall / product (7)


def test_mall_product_chain() -> None:
    base = BaseSettings(level_entitlement_bp={"gold": 13_000}, lottery=LOTTERY, default_entitlement_bp=10_000)
    product = ProductSettings(
        level_entitlement_bp={"gold": 15_000},
        cumulative_tiers=[Tier(days=30, threshold_fen=1000, ratio_bp=7000)],
        default_entitlement_bp=8000,
    )
    assert [link.name for link in mall_product_chain(base, product)] == [
        "product.level",
        "base.level",
        "product.tiers",
        "product.lottery",
        "base.lottery",
        "product.default",
        "base.default",
    ]
    assert resolve(mall_product_chain(base, product), "gold", spend_of(0)).ratio_bp == 15_000
    assert resolve(mall_product_chain(base, ProductSettings()), "gold", spend_of(0)).level == 2
    assert resolve(mall_product_chain(base, product), None, spend_of(5000)).level == 3
    res = resolve(mall_product_chain(base, product), None, spend_of(0))
    assert (res.level, res.lottery, res.ratio_bp) == (5, LOTTERY, 8000)  # provisional: the independent ratio
    plain = resolve(mall_product_chain(BaseSettings(), ProductSettings(default_entitlement_bp=8000)), None, spend_of(0))
    assert (plain.level, plain.ratio_bp) == (6, 8000)


def test_a_chain_without_a_default_is_refused() -> None:
    with pytest.raises(ChainError):
        resolve([LotteryLink("x.lottery", LOTTERY)], None, spend_of(0))
    with pytest.raises(ChainError):
        resolve([DefaultLink("x.default", None)], None, spend_of(0))

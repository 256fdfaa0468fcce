"""Entitlement ratio chains of spec §5: the first link that is set wins.

A chain is a list of links; each link is a level ratio, a tier list, a lottery or a default. The cashier chain
(7 links) is what the POS uses; the store online-sales (11) and mall/product (7) chains are here for later online
orders and share the resolver.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from .settings import BaseSettings, Lottery, StoreSettings, Tier

SpendFn = Callable[[int], int]
"""spend(days) -> the member's qualifying spend in fen over the last `days` days (§5.4)."""


@dataclass(frozen=True, slots=True)
class LevelLink:
    name: str
    ratios: Mapping[str, int | None]


@dataclass(frozen=True, slots=True)
class TiersLink:
    name: str
    tiers: Sequence[Tier]


@dataclass(frozen=True, slots=True)
class LotteryLink:
    name: str
    lottery: Lottery | None


@dataclass(frozen=True, slots=True)
class DefaultLink:
    name: str
    ratio_bp: int | None


Link = LevelLink | TiersLink | LotteryLink | DefaultLink


@dataclass(frozen=True, slots=True)
class Resolution:
    ratio_bp: int
    source: str  # name of the winning link, e.g. "cashier.level"
    level: int  # 1-based position of the winning link in its chain
    lottery: Lottery | None  # set when a lottery link won: ratio_bp is then provisional


class ChainError(ValueError):
    pass


def best_tier(tiers: Sequence[Tier], spend: SpendFn) -> int | None:
    """Max ratio among qualifying tiers (threshold inclusive), or None when none qualifies (§5.4, A8)."""
    cache: dict[int, int] = {}
    best: int | None = None
    for tier in tiers:
        if tier.days not in cache:
            cache[tier.days] = spend(tier.days)
        if cache[tier.days] >= tier.threshold_fen and (best is None or tier.ratio_bp > best):
            best = tier.ratio_bp
    return best


def resolve(links: Sequence[Link], level_id: str | None, spend: SpendFn) -> Resolution:
    """Walk the chain; a lottery link wins with the provisional ratio of the first default that is set."""
    for position, link in enumerate(links, start=1):
        if isinstance(link, LevelLink):
            value = link.ratios.get(level_id) if level_id is not None else None
            if value is not None:
                return Resolution(value, link.name, position, None)
        elif isinstance(link, TiersLink):
            if link.tiers:
                tier_ratio = best_tier(link.tiers, spend)
                if tier_ratio is not None:
                    return Resolution(tier_ratio, link.name, position, None)
        elif isinstance(link, LotteryLink):
            if link.lottery is not None:
                return Resolution(_first_default(links), link.name, position, link.lottery)
        elif link.ratio_bp is not None:
            return Resolution(link.ratio_bp, link.name, position, None)
    raise ChainError("no link of the chain is set: the chain must end with a default that is always set")


def _first_default(links: Sequence[Link]) -> int:
    for link in links:
        if isinstance(link, DefaultLink) and link.ratio_bp is not None:
            return link.ratio_bp
    raise ChainError("a lottery needs a default ratio set after it for the provisional entitlement")


def cashier_chain(base: BaseSettings, store: StoreSettings) -> list[Link]:
    """The 7-level cashier queue chain (§5.1)."""
    return [
        LevelLink("cashier.level", store.level_entitlement_bp),
        LevelLink("base.level", base.level_entitlement_bp),
        TiersLink("cashier.tiers", store.cumulative_tiers),
        LotteryLink("cashier.lottery", store.lottery),
        LotteryLink("base.lottery", base.lottery),
        DefaultLink("cashier.default", store.default_entitlement_bp),
        DefaultLink("base.default", base.default_entitlement_bp),
    ]


@dataclass(frozen=True, slots=True)
class ProductSettings:
    """Per-product rebate settings (online orders; not used by the POS)."""

    level_entitlement_bp: Mapping[str, int | None] = field(default_factory=dict)
    cumulative_tiers: Sequence[Tier] = ()
    lottery: Lottery | None = None
    default_entitlement_bp: int | None = None  # the product's "independent ratio" in the mall chain


def store_online_chain(base: BaseSettings, store: StoreSettings, product: ProductSettings) -> list[Link]:
    """The 11-level store online-sales chain (§5.3)."""
    return [
        LevelLink("store_product.level", product.level_entitlement_bp),
        LevelLink("store.level", store.level_entitlement_bp),
        LevelLink("base.level", base.level_entitlement_bp),
        TiersLink("store_product.tiers", product.cumulative_tiers),
        TiersLink("store.tiers", store.cumulative_tiers),
        LotteryLink("store_product.lottery", product.lottery),
        LotteryLink("store.lottery", store.lottery),
        LotteryLink("base.lottery", base.lottery),
        DefaultLink("store_product.default", product.default_entitlement_bp),
        DefaultLink("store.default", store.default_entitlement_bp),
        DefaultLink("base.default", base.default_entitlement_bp),
    ]


def mall_product_chain(base: BaseSettings, product: ProductSettings) -> list[Link]:
    """The 7-level mall/product chain (§5.3, for reference)."""
    return [
        LevelLink("product.level", product.level_entitlement_bp),
        LevelLink("base.level", base.level_entitlement_bp),
        TiersLink("product.tiers", product.cumulative_tiers),
        LotteryLink("product.lottery", product.lottery),
        LotteryLink("base.lottery", base.lottery),
        DefaultLink("product.default", product.default_entitlement_bp),
        DefaultLink("base.default", base.default_entitlement_bp),
    ]

"""The 7-level cashier ratio chain (spec §5.1) of a store, resolved for each member level, and the §5.2 warnings.

Resolution goes through `shared.chains` (`cashier_chain` + `resolve`), the same code the engine uses, twice per
level: for a member with no qualifying spend, and for one who qualifies for every tier (the tiers are level 3,
between the level ratios and the lotteries).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.chains import DefaultLink, LevelLink, LotteryLink, Resolution, TiersLink, cashier_chain, resolve
from shared.money import format_bp, format_fen
from shared.settings import BaseSettings, StoreSettings

NO_SPEND = 0
ANY_SPEND = 10**15


@dataclass(frozen=True, slots=True)
class LinkView:
    position: int
    name: str
    value: str  # what the link holds, readable; "" when not set


@dataclass(frozen=True, slots=True)
class Row:
    level: str | None
    name: str | None  # the level's display name (the catalog's, or its id)
    new: Resolution  # no qualifying spend
    top: Resolution  # every tier qualifies


@dataclass(frozen=True, slots=True)
class Warning:
    key: str  # translation key
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StorePreview:
    store_id: str
    name: str
    default_bp: int
    links: list[LinkView]
    rows: list[Row]
    warnings: list[Warning]


def _link_text(link: Any, names: Mapping[str, str]) -> str:
    if isinstance(link, LevelLink):
        return ", ".join(f"{names.get(k, k)}: {format_bp(v)}" for k, v in sorted(link.ratios.items()) if v is not None)
    if isinstance(link, TiersLink):
        return "; ".join(f"{t.days}d ≥ ¥{format_fen(t.threshold_fen)} → {format_bp(t.ratio_bp)}" for t in link.tiers)
    if isinstance(link, LotteryLink):
        if link.lottery is None:
            return ""
        if link.lottery.mode == "fixed":
            return "{" + ", ".join(format_bp(o.ratio_bp) for o in link.lottery.options) + "}"
        assert link.lottery.min_bp is not None and link.lottery.max_bp is not None
        return f"[{format_bp(link.lottery.min_bp)}, {format_bp(link.lottery.max_bp)}]"
    assert isinstance(link, DefaultLink)
    return "" if link.ratio_bp is None else format_bp(link.ratio_bp)


def applicable_default(base: BaseSettings, store: StoreSettings) -> int:
    """The default a level or tier ratio is compared with: the store's default when set, else the base one."""
    return store.default_entitlement_bp if store.default_entitlement_bp is not None else base.default_entitlement_bp


def warnings(base: BaseSettings, store: StoreSettings, names: Mapping[str, str] | None = None) -> list[Warning]:
    """§5.2: levels 1–3 override whatever their value, so a ratio below the default gives loyal members less."""
    names = names or {}
    default = applicable_default(base, store)
    out = []
    for owner, ratios in (("store", store.level_entitlement_bp), ("base", base.level_entitlement_bp)):
        for level, ratio in sorted(ratios.items()):
            if ratio is None:
                continue
            if owner == "base" and store.level_entitlement_bp.get(level) is not None:
                continue  # the store's own ratio for the level wins first
            if ratio == 0:
                out.append(Warning("warn.level_zero", {"owner": owner, "level": names.get(level, level)}))
            elif ratio < default:
                out.append(
                    Warning(
                        "warn.level_below",
                        {
                            "owner": owner,
                            "level": names.get(level, level),
                            "ratio": format_bp(ratio),
                            "standard": format_bp(default),
                        },
                    )
                )
    for tier in store.cumulative_tiers:
        if tier.ratio_bp < default:
            out.append(
                Warning(
                    "warn.tier_below",
                    {
                        "days": tier.days,
                        "threshold": format_fen(tier.threshold_fen),
                        "ratio": format_bp(tier.ratio_bp),
                        "standard": format_bp(default),
                    },
                )
            )
    return out


def preview(
    base: BaseSettings,
    store_id: str,
    name: str,
    store: StoreSettings,
    levels: list[str | None],
    level_names: Mapping[str, str] | None = None,
) -> StorePreview:
    names = level_names or {}
    links = cashier_chain(base, store)
    rows = [
        Row(
            level,
            None if level is None else names.get(level, level),
            resolve(links, level, lambda _days: NO_SPEND),
            resolve(links, level, lambda _days: ANY_SPEND),
        )
        for level in levels
    ]
    return StorePreview(
        store_id=store_id,
        name=name,
        default_bp=applicable_default(base, store),
        links=[LinkView(i, link.name, _link_text(link, names)) for i, link in enumerate(links, start=1)],
        rows=rows,
        warnings=warnings(base, store, names),
    )


def levels_of(base: BaseSettings, stores: list[StoreSettings], member_levels: list[str]) -> list[str | None]:
    """Every level named by a setting or held by a member, and "no level" first."""
    named = set(base.level_entitlement_bp) | {lv for s in stores for lv in s.level_entitlement_bp} | set(member_levels)
    return [None, *sorted(named)]

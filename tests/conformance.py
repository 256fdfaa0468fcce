"""Compare a replay result with an expected result as the examples README says: what is compared, and how."""

from __future__ import annotations

from collections import Counter
from typing import Any

ENTRY_FIELDS = ("status", "entitlement_fen", "paid_fen", "queue", "label", "lottery_state")


def _members(doc: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    out = {}
    for member, b in doc.get("members", {}).items():
        triple = (b.get("rebate_fen", 0), b.get("points", 0), b.get("voucher_fen", 0))
        if triple != (0, 0, 0):
            out[member] = triple
    return out


def _unallocated(doc: dict[str, Any]) -> dict[str, int]:
    totals: Counter[str] = Counter()
    for u in doc.get("unallocated", []):
        totals[u["reason"]] += u["amount_fen"]
    return {k: v for k, v in totals.items() if v}


def differences(actual: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """Human-readable differences; empty when the result conforms."""
    diffs: list[str] = []
    got_order = [e["order_id"] for e in sorted(actual["entries"], key=lambda e: e["seq"])]
    want_order = [e["order_id"] for e in sorted(expected["entries"], key=lambda e: e["seq"])]
    if got_order != want_order:
        diffs.append(f"entry order: got {got_order}, want {want_order}")
    got = {e["order_id"]: e for e in actual["entries"]}
    for want in expected["entries"]:
        have = got.get(want["order_id"])
        if have is None:
            continue
        for name in ENTRY_FIELDS:
            if have.get(name) != want.get(name):
                diffs.append(f"entry {want['order_id']}.{name}: got {have.get(name)!r}, want {want.get(name)!r}")
    if _members(actual) != _members(expected):
        diffs.append(f"members: got {_members(actual)}, want {_members(expected)}")
    if _unallocated(actual) != _unallocated(expected):
        diffs.append(f"unallocated: got {_unallocated(actual)}, want {_unallocated(expected)}")
    got_rej = {r["event"] for r in actual.get("rejected", [])}
    want_rej = {r["event"] for r in expected.get("rejected", [])}
    if got_rej != want_rej:
        diffs.append(f"rejected: got {sorted(got_rej)}, want {sorted(want_rej)}")
    return diffs

"""Checkers of the fault suite. Each returns a list of problems (empty: it holds) instead of asserting, so that the
negative controls can show that a checker does find the breakage it exists for.

- `exactly_once`: every sale a till recorded is on the server once, with its amount; nothing else is; every outbox
  event was answered and logged once under its seq.
- `money`: the §19 money invariants on the server's tables (INV-1, 2, 4, 5, 6, 7, 9, 10) and the running totals
  against the ledgers (tests/server/totals.py).
- `fifo`: money went through each queue strictly first in, first out (INV-8 over the allocation stream).
- `ingestion_order`: queue order is the order in which the server received the sales, whatever the tills' clocks
  said; a sale stamped more than 5 minutes after its arrival was clamped to the arrival and flagged (spec §15).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, text

from shared.money import pct
from tests.server.totals import running_totals_differences

SKEW = dt.timedelta(minutes=5)


@dataclass
class LocalTill:
    """What a till holds after the run: its recorded sales and its outbox."""

    terminal_id: str
    orders: dict[str, int] = field(default_factory=dict)  # order id -> paid fen
    outbox_seqs: list[int] = field(default_factory=list)
    outbox_states: dict[str, int] = field(default_factory=dict)  # state -> count


def read_local_till(engine: object, terminal_id: str) -> LocalTill:
    """The till's own database, read with the app's engine."""
    from cashier_app.core.db import orders, outbox, reading

    till = LocalTill(terminal_id)
    with reading(engine) as conn:  # type: ignore[arg-type]
        till.orders = {r.order_id: r.paid_fen for r in conn.execute(orders.select())}
        rows = conn.execute(outbox.select().order_by(outbox.c.seq)).all()
    till.outbox_seqs = [r.seq for r in rows]
    for r in rows:
        till.outbox_states[r.state] = till.outbox_states.get(r.state, 0) + 1
    return till


def exactly_once(conn: Connection, tills: Iterable[LocalTill]) -> list[str]:
    problems: list[str] = []
    for till in tills:
        tid = till.terminal_id
        server = {
            r[0]: int(r[1])
            for r in conn.execute(text("SELECT order_id, paid_fen FROM orders WHERE terminal_id = :t"), {"t": tid})
        }
        lost = [o for o in till.orders if o not in server]
        extra = [o for o in server if o not in till.orders]
        changed = [o for o in till.orders if o in server and server[o] != till.orders[o]]
        if lost:
            problems.append(f"{tid}: {len(lost)} sales recorded at the till are not on the server, e.g. {lost[0]}")
        if extra:
            problems.append(f"{tid}: {len(extra)} orders on the server that the till never made, e.g. {extra[0]}")
        if changed:
            problems.append(f"{tid}: {len(changed)} sales with another amount on the server")
        local_sum, server_sum = sum(till.orders.values()), sum(server.values())
        if local_sum != server_sum:
            problems.append(f"{tid}: the till took {local_sum} fen, the server counts {server_sum} fen")
        seqs = [
            int(r[0])
            for r in conn.execute(
                text("SELECT terminal_seq FROM event_log WHERE terminal_id = :t ORDER BY terminal_seq"), {"t": tid}
            )
        ]
        if seqs != till.outbox_seqs:
            problems.append(
                f"{tid}: event_log holds {len(seqs)} events ({len(set(seqs))} seqs) for an outbox of "
                f"{len(till.outbox_seqs)}"
            )
        through = conn.execute(
            text("SELECT applied_through FROM terminals WHERE terminal_id = :t"), {"t": tid}
        ).scalar_one()
        if int(through) != len(till.outbox_seqs):
            problems.append(f"{tid}: applied_through {through} for an outbox of {len(till.outbox_seqs)}")
        unanswered = {s: n for s, n in till.outbox_states.items() if s != "done"}
        if unanswered:
            problems.append(f"{tid}: outbox events not done: {unanswered}")
    doubled = conn.execute(text("SELECT order_id, count(*) FROM entries GROUP BY order_id HAVING count(*) > 1")).all()
    if doubled:
        problems.append(f"{len(doubled)} orders with more than one entry (INV-10)")
    return problems


def money(conn: Connection) -> list[str]:
    problems: list[str] = []
    orders = conn.execute(
        text(
            "SELECT order_id, paid_fen, refunded_fen, extraction_bp, contribution, "
            "contribution_fen, settled FROM orders"
        )
    ).all()
    alloc_from: dict[str, int] = defaultdict(int)
    alloc_to_entry: dict[int, int] = defaultdict(int)
    alloc_to_member: dict[str, int] = defaultdict(int)
    for a in conn.execute(text("SELECT from_order, entry_seq, member_id, amount_fen FROM allocations")):
        alloc_from[a[0]] += int(a[3])
        alloc_to_entry[int(a[1])] += int(a[3])
        alloc_to_member[a[2]] += int(a[3])
    kept: dict[str, int] = defaultdict(int)
    for order_id, amount in conn.execute(text("SELECT order_id, amount_fen FROM unallocated")):
        kept[order_id] += int(amount)
    carry = int(conn.execute(text("SELECT coalesce(sum(carry_fen), 0) FROM queues")).scalar_one())
    for o in orders:  # INV-5
        if not o.settled:
            continue
        if o.contribution in ("allocated", "forfeited_paused") and (
            int(o.contribution_fen) != pct(int(o.paid_fen) - int(o.refunded_fen), int(o.extraction_bp))
        ):
            problems.append(f"INV-5: order {o.order_id} contributed {o.contribution_fen}")
        if alloc_from[o.order_id] + kept[o.order_id] != int(o.contribution_fen):
            problems.append(
                f"INV-5: order {o.order_id}: {alloc_from[o.order_id]} allocated + {kept[o.order_id]} "
                f"kept != contribution {o.contribution_fen}"
            )
    contributed = sum(int(o.contribution_fen) for o in orders)
    if contributed != sum(alloc_from.values()) + sum(kept.values()) + carry:  # INV-6
        problems.append(
            f"INV-6: contributions {contributed} != allocated {sum(alloc_from.values())} + kept "
            f"{sum(kept.values())} + carry {carry}"
        )
    entries = conn.execute(text("SELECT seq, entitlement_fen, paid_fen, status FROM entries")).all()
    for e in entries:  # INV-1, INV-2, INV-4
        if not 0 <= e.paid_fen <= e.entitlement_fen:
            problems.append(f"INV-1: entry {e.seq} paid {e.paid_fen} of {e.entitlement_fen}")
        if (e.status == "completed") != (e.paid_fen == e.entitlement_fen) and e.status in ("waiting", "completed"):
            problems.append(f"INV-2: entry {e.seq} {e.status} with {e.paid_fen} of {e.entitlement_fen}")
        if alloc_to_entry[int(e.seq)] != int(e.paid_fen):
            problems.append(f"INV-4: entry {e.seq} paid {e.paid_fen} but received {alloc_to_entry[int(e.seq)]}")
    seqs = [int(e.seq) for e in entries]
    if len(seqs) != len(set(seqs)):  # INV-9
        problems.append("INV-9: entry seqs repeat")
    ledger = {
        m: int(v)
        for m, v in conn.execute(
            text("SELECT member_id, sum(amount_fen) FROM rebate_ledger WHERE kind = 'rebate' GROUP BY member_id")
        )
        if v
    }
    if ledger != {m: v for m, v in alloc_to_member.items() if v}:  # INV-7
        problems.append("INV-7: the rebate ledger differs from the allocations per member")
    problems += [f"running totals: {d}" for d in running_totals_differences(conn)]
    return problems


def fifo(conn: Connection, *, all_cashiers_queue: bool = True) -> list[str]:
    """INV-8 over the allocation stream of each queue: entries filled one after another in seq order."""
    problems: list[str] = []
    entries = conn.execute(text("SELECT seq, cashier_id, entitlement_fen FROM entries ORDER BY seq")).all()
    queue_of = {int(e.seq): "ALL" if all_cashiers_queue else e.cashier_id for e in entries}
    entitlement = {int(e.seq): int(e.entitlement_fen) for e in entries}
    received: dict[int, int] = defaultdict(int)
    last: dict[str, int] = {}
    for seq, amount in conn.execute(text("SELECT entry_seq, amount_fen FROM allocations ORDER BY id")):
        seq = int(seq)
        queue = queue_of[seq]
        before = last.get(queue)
        if before is not None and seq != before:
            if seq < before:
                problems.append(f"FIFO: entry {seq} paid after entry {before} of queue {queue}")
            elif received[before] != entitlement[before]:
                problems.append(
                    f"FIFO: entry {before} left at {received[before]} of {entitlement[before]} before "
                    f"entry {seq} was paid"
                )
        received[seq] += int(amount)
        last[queue] = seq
    for queue in set(queue_of.values()):
        mine = [s for s in sorted(entitlement) if queue_of[s] == queue]
        full = [received[s] == entitlement[s] for s in mine]
        first_open = full.index(False) if False in full else len(full)
        if any(received[s] for s in mine[first_open + 1 :]):
            problems.append(f"FIFO: queue {queue} paid entries behind the first one still open ({mine[first_open]})")
    return problems


def _aware(value: dt.datetime | str) -> dt.datetime:
    when = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def ingestion_order(conn: Connection, pushed: Sequence[tuple[str, dt.datetime]]) -> list[str]:
    """`pushed`: (order id, the till's paid_at) of member sales, in the order the server received them."""
    problems: list[str] = []
    seq_of = {r[0]: int(r[1]) for r in conn.execute(text("SELECT order_id, seq FROM entries"))}
    queue = [order_id for order_id, _ in pushed]
    missing = [o for o in queue if o not in seq_of]
    if missing:
        problems.append(f"{len(missing)} member sales without an entry")
    placed = sorted((o for o in queue if o in seq_of), key=seq_of.__getitem__)
    if placed != [o for o in queue if o in seq_of]:
        first = next(i for i, (a, b) in enumerate(zip(placed, queue, strict=False)) if a != b)
        problems.append(f"queue order differs from ingestion order from place {first + 1} on")
    rows = {r[0]: r for r in conn.execute(text("SELECT order_id, paid_at, received_at, clock_skew FROM orders"))}
    for order_id, till_paid_at in pushed:
        row = rows.get(order_id)
        if row is None:
            continue
        paid_at, received_at = _aware(row.paid_at), _aware(row.received_at)
        ahead = till_paid_at > received_at + SKEW
        if ahead and (paid_at != received_at or not row.clock_skew):
            problems.append(
                f"order {order_id}: stamped {till_paid_at} > arrival {received_at} + 5 min, kept as "
                f"{paid_at} (clock_skew={row.clock_skew})"
            )
        if not ahead and (paid_at != till_paid_at or row.clock_skew):
            problems.append(
                f"order {order_id}: the till's time {till_paid_at} became {paid_at} (clock_skew={row.clock_skew})"
            )
    return problems

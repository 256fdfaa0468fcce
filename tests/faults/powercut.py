"""Power cuts during checkouts at the till, simulated below SQLite with tools/powercut (only synced bytes survive).

Each cut: mark every file of the till's data directory durable, start tests/faults/powercut_child.py under the
LD_PRELOAD library, let it record checkouts through the cashier core for a random moment, SIGKILL it, replace every
file by its durable image, then open the database as the app would after the power came back and look for every
sale the child reported done.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from cashier_app.core.credentials import InsecureFileStore, Secrets
from cashier_app.core.db import UnitOfWork, kv_set, make_engine
from cashier_app.core.migrate import migrate
from cashier_app.core.terminal import TerminalInfo
from shared.tokens import new_private_key, private_key_bytes
from tools.powercut.harness import build, cut_power, everything_synced, preload_env

ROOT = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).resolve().parent / "powercut_child.py"


@dataclass
class PowercutResult:
    mode: str
    cuts: int = 0
    reported: int = 0
    lost: int = 0
    cuts_with_loss: int = 0
    problems: list[str] = field(default_factory=list)  # anything else wrong after a cut (corruption, gaps)
    synchronous: str = ""

    def line(self) -> str:
        return (
            f"synchronous={self.mode.upper()}: {self.cuts} power cuts, {self.reported} sales reported done, "
            f"{self.lost} lost ({self.cuts_with_loss} cuts lost some), other problems: {len(self.problems)}"
        )


def make_till(data: Path, secrets_file: Path) -> None:
    """A till as enrolment leaves it (terminal identity, cashier, signing key), without a server."""
    data.mkdir(parents=True, exist_ok=True)
    db = data / "paidui-cashier.db"
    migrate(db)
    key = private_key_bytes(new_private_key())
    InsecureFileStore(secrets_file).save(Secrets("T-powercut", "S1", "pdt_unused", key))
    engine = make_engine(db)
    with UnitOfWork(engine) as uow:
        kv_set(uow.conn, "terminal", TerminalInfo("T-powercut", "S1", "http://127.0.0.1:9", "till").__dict__)
        kv_set(uow.conn, "cashier_id", "C1")
        uow.commit()
    engine.dispose()


def check_after_cut(db: Path, reported: list[str]) -> tuple[int, list[str]]:
    """(sales reported done but missing, other problems) in the database as the power came back."""
    con = sqlite3.connect(db)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        problems = []
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            problems.append(f"integrity_check: {integrity}")
        present = {r[0] for r in con.execute("SELECT order_id FROM orders")}
        seqs = [r[0] for r in con.execute("SELECT seq FROM outbox ORDER BY seq")]
        if seqs != list(range(1, len(seqs) + 1)):
            problems.append("the outbox has a gap")
        paid_events = {
            r[0] for r in con.execute("SELECT json_extract(body, '$.order_id') FROM outbox WHERE kind = 'order_paid'")
        }
        if paid_events != present:
            problems.append(f"{len(paid_events ^ present)} orders without their outbox event or the reverse")
    finally:
        con.close()
    return sum(1 for order_id in reported if order_id not in present), problems


def run_cuts(
    *, mode: str, cuts: int, work: Path, rng: random.Random, hold: tuple[float, float] = (0.02, 0.5)
) -> PowercutResult:
    """`cuts` power cuts of a till recording checkouts with synchronous=`mode` (full as shipped, or normal)."""
    work.mkdir(parents=True, exist_ok=True)
    lib = build(work)
    data, secrets_file = work / "till", work / "secrets.json"
    make_till(data, secrets_file)
    result = PowercutResult(mode)
    env = preload_env(lib, data) | {"PYTHONPATH": str(ROOT)}
    for _ in range(cuts):
        everything_synced(data)
        child = subprocess.Popen(
            [sys.executable, str(CHILD), str(data), str(secrets_file), mode],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        ready = child.stdout.readline().strip()
        if not ready.startswith("ready"):
            child.kill()
            raise RuntimeError(f"the child did not start: {ready!r} {child.communicate()[1][-2000:]}")
        result.synchronous = ready
        time.sleep(rng.uniform(*hold))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate(timeout=60)
        reported = [line.split()[1] for line in out.splitlines() if line.startswith("done ")]
        cut_power(data)
        lost, problems = check_after_cut(data / "paidui-cashier.db", reported)
        result.cuts += 1
        result.reported += len(reported)
        result.lost += lost
        result.cuts_with_loss += lost > 0
        result.problems += problems
    return result

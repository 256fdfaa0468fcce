"""`paidui-server replay`: a scenario through the server's own ingest services, on a throw-away database."""

from __future__ import annotations

import contextlib
import json
import secrets
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, text

from shared.engine.commands import ChangeSettings, Command
from shared.engine.randomness import ScriptedRandomSource
from shared.errors import RuleError
from shared.scenario import Scenario, ScenarioError, WalletEvent, run

from .db.database import Database
from .db.read_model import SqlReadModel
from .db.urls import normalise_url
from .services import admin, wallet_replay
from .services.ingest import CommandStep, Ingest


class ServerBackend:
    """Replay backend over a migrated database, applying every event through `Ingest` like the sync API does."""

    def __init__(self, db: Database, *, group_size: int = 50) -> None:
        self.db = db
        self.ingest = Ingest(db)
        self.group_size = group_size  # events per transaction in `apply_group` (1: one transaction each)
        self._conn: Connection | None = None

    def setup(self, scenario: Scenario) -> None:
        at = scenario.start_clock
        with self.db.connect() as conn:
            admin.set_base_settings(conn, scenario.base, actor="replay", at=at)
            for store_id, tz, cashiers, settings in scenario.stores:
                admin.add_store(conn, store_id=store_id, name=store_id, timezone=tz, settings=settings, at=at)
                for cashier in cashiers:
                    admin.add_cashier(conn, cashier_id=cashier, store_id=store_id, name=cashier)
            for member_id, level in scenario.members:
                admin.add_member(conn, member_id=member_id, level=level, at=at)
        self.ingest = Ingest(self.db, ScriptedRandomSource(scenario.arrangements))
        imported: list[Command] = [*scenario.imported_orders, *scenario.imported_entries]
        for command in imported:
            self.ingest.apply(command)

    def apply(self, command: Command | WalletEvent) -> None:
        if isinstance(command, WalletEvent):
            wallet_replay.apply(self.db, self.ingest, command.doc)
            return
        self.ingest.apply(command)

    def apply_group(self, commands: list[Command | WalletEvent]) -> list[RuleError | None]:
        """Groups of `group_size` commands, one transaction each (spec §15); a settings change alone (it takes the
        settings lock for itself), and a wallet event alone (the wallet's own services apply it)."""
        errors: list[RuleError | None] = []
        group: list[Command] = []

        def apply(commands: list[Command]) -> None:
            if commands:
                outcomes, _ = self.ingest.apply_group([CommandStep(c) for c in commands], gate=commands[0])
                errors.extend(o if isinstance(o, RuleError) else None for o in outcomes)

        for command in commands:
            if isinstance(command, ChangeSettings | WalletEvent):
                apply(group)
                group = []
                try:
                    self.apply(command)
                    errors.append(None)
                except RuleError as exc:
                    errors.append(exc)
                continue
            group.append(command)
            if len(group) >= self.group_size:
                apply(group)
                group = []
        apply(group)
        return errors

    def read_model(self) -> SqlReadModel:
        if self._conn is None:
            self._conn = self.db.engine.connect()
        return SqlReadModel(self._conn, self.db.settings_cache)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


@contextlib.contextmanager
def throwaway_database(url: str | None, *, prefix: str = "paidui_replay", pool_size: int = 1) -> Iterator[Database]:
    """A fresh, migrated database: a temporary SQLite file, or a temporary schema `<prefix>_<random>` in the
    PostgreSQL database, dropped afterwards (tests and benchmarks use it too, with their own prefix)."""
    if url is None:
        with tempfile.TemporaryDirectory(prefix="paidui-replay-") as tmp:
            db = Database(f"sqlite:///{Path(tmp) / 'replay.db'}")
            try:
                db.migrate()
                yield db
            finally:
                db.dispose()
        return
    url = normalise_url(url)
    if url.startswith("sqlite"):
        db = Database(url)
        try:
            db.migrate()
            yield db
        finally:
            db.dispose()
        return
    schema = f"{prefix}_{secrets.token_hex(6)}"
    admin_engine = create_engine(url)
    with admin_engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = Database(url, schema=schema, pool_size=pool_size)
    try:
        db.migrate()
        yield db
    finally:
        db.dispose()
        with admin_engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin_engine.dispose()


def replay_document(doc: Any, database_url: str | None = None) -> dict[str, Any]:
    with throwaway_database(database_url) as db:
        backend = ServerBackend(db)
        try:
            return run(doc, backend)
        finally:
            backend.close()


def main(path: str, database_url: str | None) -> int:
    """CLI body: print the result document; exit 2 with a message for a malformed scenario."""
    try:
        raw = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        print(f"paidui-server replay: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as exc:
        print(f"paidui-server replay: {path} is not JSON: {exc.msg} at line {exc.lineno}", file=sys.stderr)
        return 2
    try:
        result = replay_document(doc, database_url)
    except ScenarioError as exc:
        print(f"paidui-server replay: malformed scenario {path}: {exc}", file=sys.stderr)
        return 2
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0

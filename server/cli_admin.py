"""The administration commands of `paidui-server` (parsed in server/cli.py). Errors exit 2 with one clear line."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os
import sqlite3
import sys
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.engine import make_url

from shared.catalogue import CatalogueError
from shared.engine.commands import ChangeSettings, SetMemberLevel
from shared.errors import RuleError
from shared.settings import parse_base, parse_store

from .config import ServerSettings, load_settings
from .db import tables as t
from .db.database import Database
from .db.settings import read_configuration
from .db.urls import pg_dump_command, shown
from .errors import Refused
from .security import keys as keyfile
from .services import admin, catalogue, levels, members, terminals, users
from .services.ingest import Ingest
from .services.reports import stores


class CliError(Exception):
    pass


def guarded(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a command; a refusal is one line on stderr and exit status 2, never a traceback."""
    try:
        return handler(args)
    except (CliError, keyfile.KeyFileError, FileNotFoundError) as exc:
        print(f"paidui-server: {exc}", file=sys.stderr)
    except (RuleError, Refused) as exc:
        print(f"paidui-server: {exc.code.value}: {exc.detail}", file=sys.stderr)
    return 2


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def settings_of(args: argparse.Namespace, **overrides: Any) -> ServerSettings:
    return load_settings(getattr(args, "config", None), **overrides)


@contextmanager
def database(args: argparse.Namespace, *, check: bool = True, wait_s: float = 0) -> Iterator[Database]:
    settings = settings_of(args)
    db = Database(settings.resolved_database_url, schema=settings.database_schema, pool_size=0)
    try:
        if wait_s > 0:
            from .db.database import wait_until_reachable

            wait_until_reachable(db, timeout_s=wait_s)
        if check:
            from .db.schema import is_current

            if not is_current(db):
                raise CliError("the database is not initialised or not migrated: run `paidui-server init`")
        yield db
    finally:
        db.dispose()


def _emit(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _password(given: str | None, what: str) -> str:
    if given:
        return given
    if not sys.stdin.isatty():
        raise CliError(f"give the {what} password with --password / --admin-password (no terminal to ask on)")
    first = getpass.getpass(f"{what} password: ")
    if first != getpass.getpass("again: "):
        raise CliError("the passwords differ")
    return first


# ------------------------------------------------------------------------------------------------ init, serve


def init(args: argparse.Namespace) -> int:
    from .bootstrap import initialise

    settings = settings_of(args)
    for line in initialise(
        settings,
        admin_username=args.admin_username,
        now=now(),
        admin_password=lambda: _password(args.admin_password, "headquarters admin"),
    ):
        print(line)
    print(f"database ready: {shown(settings.resolved_database_url)}")
    return 0


KEEP_ALIVE_S = 65


def serve(args: argparse.Namespace) -> int:
    settings = settings_of(args, host=args.host, port=args.port, workers=args.workers)
    if settings.workers > 1 and settings.is_sqlite:
        raise CliError("--workers > 1 needs PostgreSQL (PAIDUI_DATABASE_URL): SQLite has a single writer")
    with database(args, wait_s=args.wait_for_database):
        pass
    keyfile.KeyRing(settings.resolved_key_file)  # refuse to start without a readable key file
    import uvicorn

    # Worker processes build their app from the environment: hand them the same configuration.
    if args.config:
        os.environ["PAIDUI_CONFIG"] = str(Path(args.config).resolve())
    for name in ("host", "port", "workers"):
        os.environ[f"PAIDUI_{name.upper()}"] = str(getattr(settings, name))
    uvicorn.run(
        "server.app:create_app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        proxy_headers=True,
        # A till pushes every few seconds on one kept-alive connection: uvicorn's default of 5 s closed it just as a
        # till sold every 5 s, and the push failed on the closed socket (benchmarks/chain_scale.py: 20–340 such
        # errors a run). Longer than any till's push interval, shorter than a proxy's usual 75 s.
        timeout_keep_alive=KEEP_ALIVE_S,
    )
    return 0


# ------------------------------------------------------------------------------------------------ reference data


def store_add(args: argparse.Namespace) -> int:
    with database(args) as db, db.connect() as conn:
        admin.add_store(conn, store_id=args.store_id, name=args.name, timezone=args.timezone, at=now())
    print(f"store {args.store_id} added (not taking part yet: `settings set --store {args.store_id}`)")
    return 0


def store_list(args: argparse.Namespace) -> int:
    with database(args) as db, db.connect() as conn:
        _emit([s.model_dump() for s in stores(conn, None)])
    return 0


def cashier_add(args: argparse.Namespace) -> int:
    with database(args) as db, db.connect() as conn:
        admin.add_cashier(conn, cashier_id=args.cashier_id, store_id=args.store, name=args.name or args.cashier_id)
    print(f"cashier {args.cashier_id} added to store {args.store}")
    return 0


def terminal_enroll(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    ttl = dt.timedelta(minutes=settings.enrolment_code_minutes)
    with database(args) as db, db.connect() as conn:
        code = terminals.create_enrolment_code(
            conn, store_id=args.store_id, now=now(), ttl=ttl, cashier_id=args.cashier
        )
    print(code)
    until = (now() + ttl).astimezone().strftime("%H:%M")
    print(f"one-time enrolment code for store {args.store_id}, valid until {until}", file=sys.stderr)
    return 0


def terminal_move(args: argparse.Namespace) -> int:
    with database(args) as db, db.connect() as conn:
        terminals.move(conn, terminal_id=args.terminal_id, cashier_id=args.cashier_id)
    print(f"terminal {args.terminal_id} now sells for checkout point {args.cashier_id}")
    return 0


def terminal_revoke(args: argparse.Namespace) -> int:
    with database(args) as db, db.connect() as conn:
        if not terminals.revoke(conn, terminal_id=args.terminal_id, now=now()):
            raise CliError(f"no terminal {args.terminal_id}")
    print(f"terminal {args.terminal_id} revoked")
    return 0


def terminal_list(args: argparse.Namespace) -> int:
    with database(args) as db, db.connect() as conn:
        rows = terminals.list_terminals(conn, store_id=args.store)
    if args.json:
        _emit(rows)
        return 0
    for r in rows:
        state = "revoked" if r["revoked_at"] else "active"
        seen = r["last_seen_at"].isoformat(timespec="seconds") if r["last_seen_at"] else "never"
        print(
            f"{r['terminal_id']}\t{r['store_id']}\t{state}\tlast seen {seen}\tsynced through {r['applied_through']}"
            f"\tbacklog {r['backlog']}\tcheckout point {r['cashier_id'] or '-'}\t{r['name']}"
        )
    return 0


def member_add(args: argparse.Namespace) -> int:
    with database(args) as db, db.connect() as conn:
        member_id = members.add(
            conn, phone=args.phone, name=args.name, level=args.level, member_id=args.member_id, now=now()
        )
    print(member_id)
    return 0


def member_import(args: argparse.Namespace) -> int:
    rows = members.read_csv(args.csv)
    with database(args) as db, db.connect() as conn:
        added = members.import_csv(conn, rows, now=now())
    print(f"{len(added)} members imported")
    return 0


def catalogue_import(args: argparse.Namespace) -> int:
    data = Path(args.file).read_bytes()
    try:
        with database(args) as db, db.connect() as conn:
            done = catalogue.import_file(conn, data, Path(args.file).name, now=now(), replace=args.replace)
    except CatalogueError as exc:
        for error in exc.errors:
            print(f"paidui-server: {args.file}: {error}", file=sys.stderr)
        print(f"paidui-server: nothing imported ({len(exc.errors)} problems)", file=sys.stderr)
        return 2
    print(
        f"catalogue version {done.version}: {done.added} added, {done.changed} changed, "
        f"{done.unchanged} unchanged, {done.removed} taken off"
    )
    return 0


def catalogue_store(args: argparse.Namespace) -> int:
    with database(args) as db, db.connect() as conn:
        catalogue.set_store_catalogue(conn, args.store_id, enabled=args.state == "on")
    print(f"store {args.store_id}: catalogue {args.state}")
    return 0


def member_level(args: argparse.Namespace) -> int:
    at = dt.datetime.fromisoformat(args.at) if args.at else now()
    if at.tzinfo is None:
        raise CliError("--at needs a time zone offset, e.g. 2026-01-01T00:00:00+08:00")
    level = None if args.level in ("-", "") else args.level
    with database(args) as db:
        with db.connect() as conn:
            if not members.exists(conn, args.member_id):
                raise CliError(f"no member {args.member_id}")
        levels.apply_checked(Ingest(db), SetMemberLevel(member_id=args.member_id, level=level, at=at), [level])
    print(f"member {args.member_id}: level {level or 'none'} from {at.isoformat()}")
    return 0


def level_list(args: argparse.Namespace) -> int:
    with database(args) as db, db.connect() as conn:
        _emit([asdict(lv) for lv in levels.catalog(conn, db.settings_cache)])
    return 0


def level_set(args: argparse.Namespace) -> int:
    actor, at = f"cli:{getpass.getuser()}", now()
    with database(args) as db, levels.locked(db, at=at) as conn:
        saved = levels.save(
            conn,
            level_id=args.level_id,
            name_zh=args.name_zh,
            name_en=args.name_en,
            rank=args.rank,
            actor=actor,
            at=at,
        )
    print(f"level {saved.level_id}: {saved.name_zh} / {saved.name_en}, rank {saved.rank}")
    return 0


def level_remove(args: argparse.Namespace) -> int:
    at = now()
    with database(args) as db, levels.locked(db, at=at) as conn:
        levels.remove(conn, level_id=args.level_id, actor=f"cli:{getpass.getuser()}", at=at)
    print(f"level {args.level_id} removed")
    return 0


def user_add(args: argparse.Namespace) -> int:
    password = _password(args.password, f"user {args.username}'s")
    with database(args) as db, db.connect() as conn:
        users.add_user(conn, username=args.username, password=password, role=args.role, store_id=args.store, now=now())
    print(f"user {args.username} ({args.role}{' of ' + args.store if args.store else ''}) added")
    return 0


# ------------------------------------------------------------------------------------------------ settings


def _settings_doc(conn: Connection, store: str | None) -> dict[str, Any]:
    config = read_configuration(conn, None)
    doc: dict[str, Any] = {"version": config.version, "base": config.base.model_dump(mode="json")}
    doc["stores"] = {
        sid: config.stores[sid].settings.model_dump(mode="json")
        for sid in config.store_ids()
        if store is None or sid == store
    }
    if store is not None and not doc["stores"]:
        raise CliError(f"no store {store}")
    return doc


def settings_show(args: argparse.Namespace) -> int:
    with database(args) as db, db.connect() as conn:
        _emit(_settings_doc(conn, args.store))
    return 0


def _parse_change(text: str, source: str) -> dict[str, Any]:
    try:
        doc: Any = json.loads(text)
    except json.JSONDecodeError:
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise CliError(f"{source} is neither JSON nor TOML: {exc}") from None
    if not isinstance(doc, dict) or not doc:
        raise CliError(f"{source} must be an object of settings keys")
    return doc


def settings_set(args: argparse.Namespace) -> int:
    if (args.file is None) == (args.inline is None):
        raise CliError("give the change as a FILE or with --inline, not both")
    if args.file is not None:
        path = Path(args.file)
        text = path.read_text(encoding="utf-8")
        change = tomllib.loads(text) if path.suffix == ".toml" else _parse_change(text, str(path))
    else:
        change = _parse_change(args.inline, "--inline")
    if args.replace:  # a whole document: what it leaves out goes back to the default
        change = (parse_store(change) if args.store else parse_base(change)).model_dump(mode="json")
    actor = args.actor or f"cli:{getpass.getuser()}"
    command = ChangeSettings(
        at=now(), base=None if args.store else change, stores={args.store: change} if args.store else {}, actor=actor
    )
    with database(args) as db:
        levels.apply_checked(Ingest(db), command)
        with db.connect() as conn:
            version = _settings_doc(conn, args.store)["version"]
    print(f"settings changed by {actor}; version {version}")
    return 0


def _history_doc(scope: str, raw: str | None) -> dict[str, Any]:
    doc = json.loads(raw or "{}")
    if scope == "levels":  # the level catalog: level id -> its names and rank, not a settings document
        return dict(doc)
    return (parse_base if scope == "base" else parse_store)(doc).model_dump(mode="json")


def settings_history(args: argparse.Namespace) -> int:
    h = t.SettingsHistory
    with database(args) as db, db.connect() as conn:
        rows = conn.execute(
            select(h.at, h.actor, h.scope, h.version, h.before_json, h.after_json)
            .order_by(h.id.desc())
            .limit(args.limit)
        ).all()
    out = []
    for r in rows:
        before, after = _history_doc(r.scope, r.before_json), _history_doc(r.scope, r.after_json)
        changed = {k: after.get(k) for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)}
        out.append(
            {"at": r.at.isoformat(), "actor": r.actor, "scope": r.scope, "version": r.version, "changed": changed}
        )
    _emit(out)
    return 0


# ------------------------------------------------------------------------------------------------ keys, backup


def keys_rotate(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    path = settings.resolved_key_file
    delay = dt.timedelta(0) if args.now else dt.timedelta(minutes=settings.key_activation_minutes)
    with database(args) as db:
        rotated = keyfile.rotate(keyfile.read_key_file(path), now(), delay=delay)
        with db.connect() as conn:
            keyfile.publish(conn, rotated)  # terminals may learn the public half before the file changes
        keyfile.write_key_file(path, rotated)
    fresh = rotated[-1]
    print(
        f"new signing key {fresh.kid}, signing from {fresh.activates_at.isoformat(timespec='seconds')}; "
        f"the previous key stays valid for the codes and links it signed"
    )
    return 0


def backup(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    url = make_url(settings.resolved_database_url)
    dest = Path(args.dest)
    if not settings.is_sqlite:
        print(pg_dump_command(settings.resolved_database_url, schema=settings.database_schema, dest=str(dest)))
        print(
            "(PostgreSQL: run the command above; pg_dump reads the password from ~/.pgpass or PGPASSWORD, never from "
            "this line; restore with pg_restore. Back up the key file too.)",
            file=sys.stderr,
        )
        return 0
    if dest.exists():
        raise CliError(f"{dest} exists already; choose a new file")
    source = sqlite3.connect(url.database or "")
    try:
        target = sqlite3.connect(dest)
        try:
            source.backup(target)  # SQLite's online backup: a consistent copy while the server writes
        finally:
            target.close()
    finally:
        source.close()
    print(f"database copied to {dest}; back up {settings.resolved_key_file} separately (it is secret)")
    return 0

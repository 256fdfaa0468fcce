"""`paidui-server`: the command line of the central server.

Every command but `replay` works on the configured database (`--config FILE`, PAIDUI_CONFIG, PAIDUI_* variables;
see server/config.py). Handlers live in server/cli_admin.py and are imported when a command runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

Handler = Callable[[argparse.Namespace], int]


def _replay(args: argparse.Namespace) -> int:
    from .replay import main as replay_main

    return replay_main(args.scenario, args.database_url)


def _admin(name: str) -> Handler:
    def run(args: argparse.Namespace) -> int:
        from . import cli_admin

        handler: Handler = getattr(cli_admin, name)
        return cli_admin.guarded(handler, args)

    return run


def _group(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_: str
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    parser = sub.add_parser(name, help=help_)
    return parser.add_subparsers(dest=f"{name}_command", required=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="paidui-server", description="Paidui central server")
    parser.add_argument("--config", help="TOML config file (default: $PAIDUI_CONFIG, then PAIDUI_* variables)")
    sub = parser.add_subparsers(dest="command", required=True)

    replay = sub.add_parser("replay", help="replay a paidui-scenario/1 document and print the result as JSON")
    replay.add_argument("scenario", help="scenario file, or - for standard input")
    replay.add_argument("--database-url", help="default: a throw-away SQLite file; postgresql+psycopg://... works")
    replay.set_defaults(handler=_replay)

    init = sub.add_parser("init", help="create or migrate the database, make the signing key, add the HQ admin")
    init.add_argument("--admin-username", default="admin")
    init.add_argument("--admin-password", help="default: asked for on the terminal")
    init.set_defaults(handler=_admin("init"))

    serve = sub.add_parser("serve", help="run the HTTP server (uvicorn)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, help="server processes; more than 1 needs PostgreSQL")
    serve.add_argument(
        "--wait-for-database",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="wait this long for a database that cannot take connections yet (default 60; 0: do not wait)",
    )
    serve.set_defaults(handler=_admin("serve"))

    store = _group(sub, "store", "stores")
    p = store.add_parser("add", help="add a store")
    p.add_argument("store_id")
    p.add_argument("--name", required=True)
    p.add_argument("--timezone", default="Asia/Shanghai")
    p.set_defaults(handler=_admin("store_add"))
    p = store.add_parser("list", help="list the stores")
    p.set_defaults(handler=_admin("store_list"))

    cashier = _group(sub, "cashier", "cashiers (checkout points; one queue each unless all_cashiers_queue)")
    p = cashier.add_parser("add", help="add a cashier to a store")
    p.add_argument("cashier_id")
    p.add_argument("--store", required=True)
    p.add_argument("--name", default="")
    p.set_defaults(handler=_admin("cashier_add"))

    terminal = _group(sub, "terminal", "terminals (the tills' computers)")
    p = terminal.add_parser("enroll", help="print a one-time enrolment code for a new terminal of STORE")
    p.add_argument("store_id")
    p.add_argument("--cashier", help="the checkout point the till sells for (default: the store's first)")
    p.set_defaults(handler=_admin("terminal_enroll"))
    p = terminal.add_parser("move", help="bind a terminal to another checkout point of its store")
    p.add_argument("terminal_id")
    p.add_argument("cashier_id")
    p.set_defaults(handler=_admin("terminal_move"))
    p = terminal.add_parser("revoke", help="revoke a terminal: its credential stops working at once")
    p.add_argument("terminal_id")
    p.set_defaults(handler=_admin("terminal_revoke"))
    p = terminal.add_parser("list", help="list terminals, when they were last seen and how far they synced")
    p.add_argument("--store")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_admin("terminal_list"))

    member = _group(sub, "member", "members")
    p = member.add_parser("add", help="add a member")
    p.add_argument("--phone", required=True)
    p.add_argument("--name", default="")
    p.add_argument("--level")
    p.add_argument("--id", dest="member_id")
    p.set_defaults(handler=_admin("member_add"))
    p = member.add_parser("import", help="add members from a CSV file (header: phone,name,level,member_id)")
    p.add_argument("csv")
    p.set_defaults(handler=_admin("member_import"))
    catalogue = _group(sub, "catalogue", "the product catalogue (items and barcodes)")
    p = catalogue.add_parser(
        "import", help="add or change products from a CSV (UTF-8 or GBK) or XLSX file: sku,barcode,name,price,..."
    )
    p.add_argument("file")
    p.add_argument("--replace", action="store_true", help="also take the products the file does not list off the tills")
    p.set_defaults(handler=_admin("catalogue_import"))
    p = catalogue.add_parser("store", help="switch the catalogue on or off for a store (off: plain amounts only)")
    p.add_argument("store_id")
    p.add_argument("state", choices=["on", "off"])
    p.set_defaults(handler=_admin("catalogue_store"))
    p = member.add_parser("level", help="change a member's level from now (or --at) on")
    p.add_argument("member_id")
    p.add_argument("level", help="the level id, or - for none")
    p.add_argument("--at", help="ISO 8601 time with offset (default: now)")
    p.set_defaults(handler=_admin("member_level"))

    level = _group(sub, "level", "the member level catalog (settings and members may name only its levels)")
    p = level.add_parser("list", help="print the catalog as JSON, highest rank first")
    p.set_defaults(handler=_admin("level_list"))
    p = level.add_parser("set", help="add a level, or rename or re-rank one")
    p.add_argument("level_id")
    p.add_argument("name_zh", help="the Chinese display name")
    p.add_argument("--en", dest="name_en", default="", help="the English display name (default: the Chinese one)")
    p.add_argument("--rank", type=int, default=0, help="higher is better (default 0)")
    p.set_defaults(handler=_admin("level_set"))
    p = level.add_parser("remove", help="take a level out of the catalog (refused while it is in use)")
    p.add_argument("level_id")
    p.set_defaults(handler=_admin("level_remove"))

    user = _group(sub, "user", "API users")
    p = user.add_parser("add", help="add a store manager (bound to --store) or a headquarters admin")
    p.add_argument("username")
    p.add_argument("--role", choices=["store_manager", "hq_admin"], default="store_manager")
    p.add_argument("--store")
    p.add_argument("--password", help="default: asked for on the terminal")
    p.set_defaults(handler=_admin("user_add"))

    settings = _group(sub, "settings", "rebate settings (spec §3)")
    p = settings.add_parser("show", help="print the settings in force as JSON")
    p.add_argument("--store")
    p.set_defaults(handler=_admin("settings_show"))
    p = settings.add_parser("set", help="change settings from a JSON or TOML file, or inline JSON/TOML")
    p.add_argument("file", nargs="?", help="a .json or .toml file of top-level keys to change")
    p.add_argument("--inline", help="the change as JSON or TOML text")
    p.add_argument("--store", help="change this store's cashier settings instead of the base settings")
    p.add_argument("--replace", action="store_true", help="keys not given go back to their defaults")
    p.add_argument("--actor", help="who makes the change (default: the login name)")
    p.set_defaults(handler=_admin("settings_set"))
    p = settings.add_parser("history", help="every settings change, with who and when")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(handler=_admin("settings_history"))

    keys = _group(sub, "keys", "member-code signing keys")
    p = keys.add_parser("rotate", help="make a new signing key; the old one is kept until its codes expire")
    p.add_argument("--now", action="store_true", help="sign with the new key at once (tills learn it at next pull)")
    p.set_defaults(handler=_admin("keys_rotate"))

    backup = sub.add_parser("backup", help="copy the SQLite database while it runs (PostgreSQL: prints pg_dump)")
    backup.add_argument("dest")
    backup.set_defaults(handler=_admin("backup"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())

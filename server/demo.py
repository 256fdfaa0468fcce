"""`python3 tasks.py demo`: the central server on SQLite with demo data, and a cashier app enrolled to it.

    python -m server.demo [--port 8000] [--data-dir var/demo] [--reset] [--no-app] [--seed N]

The first run makes the data folder: `paidui-server init` (an `admin` with a random password, kept in demo.json),
three stores, ~200 members, rules and three weeks of history (server/demo_data.py). Later runs reuse it; `--reset`
starts again. Then `paidui-server serve` runs in a subprocess, and — where a display is available — the cashier app
is enrolled to store S1 with a one-time code. Ctrl-C stops both and exits 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.money import format_fen

from . import demo_data
from .health_wait import ServerNotReady, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
MANAGER_PIN = "1234"
TILL_STORE = "S1"
POSIX = os.name == "posix"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python3 tasks.py demo", description="Paidui demo: server + cashier app")
    p.add_argument("--port", type=int, help="server port (default: the last one used, else 8000 or a free one)")
    p.add_argument("--data-dir", type=Path, default=ROOT / "var" / "demo", help="default: var/demo")
    p.add_argument("--reset", action="store_true", help="throw the demo data away and make it again")
    p.add_argument("--no-app", action="store_true", help="start the server only")
    p.add_argument("--seed", type=int, default=2026, help="seed of the generated history (with --reset)")
    return p.parse_args(argv)


def say(text: str = "") -> None:
    print(text, flush=True)


def port_free(port: int) -> bool:
    with socket.socket() as s:
        if POSIX:  # as uvicorn does: connections of a previous run in TIME_WAIT do not keep the port
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def any_free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def display_available() -> bool:
    """Linux and the BSDs need an X11 or Wayland session; Windows and macOS always have a desktop."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


# ------------------------------------------------------------------------------------------------ the data folder


@dataclass
class Demo:
    data_dir: Path
    state: dict[str, Any]

    @property
    def config(self) -> Path:
        return self.data_dir / "paidui.toml"

    @property
    def till_dir(self) -> Path:
        return self.data_dir / "till1"

    def save(self) -> None:
        path = self.data_dir / "demo.json"
        path.write_text(json.dumps(self.state, indent=2, ensure_ascii=False), encoding="utf-8")
        if POSIX:
            path.chmod(0o600)  # it holds the admin password

    def write_config(self, port: int) -> None:
        # Literal TOML strings ('...') take Windows paths as they are; as_posix() keeps them readable.
        self.config.write_text(
            "# Written by `python3 tasks.py demo` at every start; see docs/operations.md for every key.\n"
            f"data_dir = '{self.data_dir.resolve().as_posix()}'\n"
            "host = '127.0.0.1'\n"
            f"port = {port}\n"
            f"public_url = 'http://127.0.0.1:{port}'\n"
            "log_level = 'warning'\n",
            encoding="utf-8",
        )


def open_demo(data_dir: Path, *, reset: bool, seed: int) -> tuple[Demo, bool]:
    """The demo folder, made (init + data) when missing or when `reset`; (demo, made now)."""
    state_file = data_dir / "demo.json"
    if data_dir.exists() and (reset or not state_file.exists()):
        leftovers = {p.name for p in data_dir.iterdir()}
        if not reset and leftovers - {
            "paidui.db",
            "paidui.db-wal",
            "paidui.db-shm",
            "paidui.toml",
            "signing-keys.json",
            "server.log",
        }:
            sys.exit(f"{data_dir} is not a finished demo folder; use --reset to replace it or another --data-dir")
        say(f"removing {data_dir}")
        shutil.rmtree(data_dir)
    if state_file.exists():
        demo = Demo(data_dir, json.loads(state_file.read_text(encoding="utf-8")))
        initialise_database(demo)  # the code may be newer than the folder: migrate it forward, as after an upgrade
        return demo, False
    data_dir.mkdir(parents=True)
    demo = Demo(data_dir, {"admin_username": "admin", "admin_password": secrets.token_urlsafe(9), "seed": seed})
    make_data(demo)
    demo.save()
    return demo, True


def initialise_database(demo: Demo) -> None:
    """`paidui-server init`: create or migrate the database, the key file and the admin (only what is missing)."""
    from .bootstrap import initialise
    from .config import load_settings

    if not demo.config.exists():
        demo.write_config(8000)
    settings = load_settings(demo.config)
    for line in initialise(
        settings,
        admin_username=demo.state["admin_username"],
        now=dt.datetime.now(dt.UTC),
        admin_password=lambda: str(demo.state["admin_password"]),
    ):
        say(f"  {line}")


def make_data(demo: Demo) -> None:
    from .config import load_settings
    from .db.database import Database
    from .db.urls import shown

    demo.write_config(8000)
    settings = load_settings(demo.config)
    say(f"paidui-server init ({shown(settings.resolved_database_url)})")
    initialise_database(demo)
    now = dt.datetime.now(dt.UTC)
    say("demo data: 3 stores, 200 members, 50 products (S1 sells items), rules, three weeks of sales ...")
    started = time.monotonic()
    db = Database(settings.resolved_database_url, pool_size=0)
    try:
        summary = demo_data.load(db, end=now, seed=int(demo.state["seed"]))
    finally:
        db.dispose()
    demo.state["history"] = {
        "orders": summary.orders,
        "refunds": summary.refunds,
        "draws": summary.draws,
        "exchanges": summary.exchanges,
        "members": summary.members,
        "made_at": now.isoformat(timespec="seconds"),
    }
    say(
        f"  {summary.orders} sales, {summary.refunds} refunds, {summary.draws} lottery draws, "
        f"{summary.exchanges} exchanges in {time.monotonic() - started:.1f} s"
    )
    member = demo_data.WALLET_MEMBER
    say(f"  wallet: {member.name} ({member.phone}) has ¥{format_fen(summary.wallet_fen)} to spend at any till")


def member_page_link(demo: Demo) -> str:
    """A MEMBER_PAGE link for the tour member, signed with the server's own key as a sale's answer would be."""
    from .config import load_settings
    from .security.keys import KeyRing
    from .security.member_codes import issue_member_page_token

    settings = load_settings(demo.config)
    token = issue_member_page_token(
        KeyRing(settings.resolved_key_file),
        demo_data.MEMBER_PAGE_MEMBER.member_id,
        dt.datetime.now(dt.UTC),
        ttl=dt.timedelta(days=settings.member_page_days),
    )
    return f"{settings.public_url}/m/{token}"


def enrolment_code(demo: Demo) -> str:
    """A one-time code for a till of store S1, as `paidui-server terminal enroll S1` prints it."""
    from .config import load_settings
    from .db.database import Database
    from .services import terminals

    settings = load_settings(demo.config)
    db = Database(settings.resolved_database_url, pool_size=0)
    try:
        with db.connect() as conn:
            return terminals.create_enrolment_code(
                conn,
                store_id=TILL_STORE,
                now=dt.datetime.now(dt.UTC),
                ttl=dt.timedelta(minutes=settings.enrolment_code_minutes),
            )
    finally:
        db.dispose()


# ------------------------------------------------------------------------------------------------ processes


def spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    """A child in its own process group: Ctrl-C reaches only this script, which then stops each child once
    (a second SIGINT would make uvicorn skip its graceful shutdown)."""
    extra: dict[str, Any] = {"start_new_session": True}
    if sys.platform == "win32":
        extra = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("ab") as out:
        return subprocess.Popen(
            args, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env, **extra
        )


def stop(proc: subprocess.Popen[bytes], name: str, *, timeout: float = 20.0) -> int:
    if proc.poll() is None:
        if POSIX:
            proc.send_signal(signal.SIGINT)
        else:
            proc.send_signal(signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined]
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            say(f"{name} did not stop in {timeout:.0f} s: killed")
            proc.kill()
            proc.wait()
    return int(proc.returncode)


def choose_port(demo: Demo, asked: int | None) -> int:
    if asked is not None:
        if not port_free(asked):
            sys.exit(f"port {asked} is in use; choose another with --port")
        return asked
    for candidate in (demo.state.get("port"), 8000):
        if isinstance(candidate, int) and port_free(candidate):
            return candidate
    return any_free_port()


def move_stale_till(demo: Demo, url: str) -> None:
    """A till enrolled to another address (the port changed) is put aside, never deleted, and a new one enrolled."""
    if demo.till_dir.exists() and demo.state.get("till_server") not in (None, url):
        aside = demo.data_dir / f"till1.{time.strftime('%Y%m%d%H%M%S')}"
        demo.till_dir.rename(aside)
        say(f"the till was enrolled to {demo.state['till_server']}; kept in {aside}, enrolling a new one")


def tour(demo: Demo, url: str, page: str, app: str) -> str:
    people = demo_data.TOUR_MEMBERS
    cli = BIN_HINT + f" --config {demo.config}"
    return "\n".join(
        [
            "",
            "Paidui demo is running  (Ctrl-C stops it)",
            f"  server        {url}        health {url}/api/v1/health   API {url}/docs",
            f"  console       {url}/console/   sign in as {demo.state['admin_username']} / "
            f"{demo.state['admin_password']}",
            "                (liability, inter-store settlement, rules, what-if, stores, terminals, members, exports)",
            f"  member page   {page}",
            f"                ({demo_data.MEMBER_PAGE_MEMBER.name} {demo_data.MEMBER_PAGE_MEMBER.phone}: "
            "entries in three stores, a lottery to draw on the newest)",
            f"  sign-in       {url}/m/signin   with {demo_data.MEMBER_PAGE_MEMBER.phone}: the code is the last line "
            f"of {demo.data_dir / 'messages.jsonl'} (the demo's file sender)",
            f"  cashier app   {app}",
            f"  at the till   type a member's phone + Enter: {people[0].phone} ({people[0].name}, gold), "
            f"{people[1].phone} ({people[1].name}), {people[2].phone} ({people[2].name}, silver)",
            "                or Enter alone for a walk-in; then the amount (e.g. 88.50) + Enter records the sale.",
            "                F2 refund · F3 register a new phone · F4 X/Z report · F5 price lookup · F6 the store's "
            "queue · F9 drawer · F10 park · F12 recall",
            "                manager actions take a manager's own PIN (the till's shared "
            f"manager PIN {MANAGER_PIN} only where a store has no staff)",
            "  staff         the till asks who sells (F11 changes): "
            + ", ".join(
                f"{name} {'店长 manager' if role == 'manager' else '收银员 cashier'} PIN {pin}"
                for store, _id, name, role, pin in demo_data.EMPLOYEES
                if store == "S1"
            )
            + "; other stores: console → Staff",
            f"  command line  {cli} terminal list   (store list, member add, settings show, ...)",
            f"  files         {demo.data_dir} (server.log, till1.log, paidui.db); --reset makes the data again",
            "",
        ]
    )


BIN_HINT = str(Path(sys.executable).with_name("paidui-server" + (".exe" if os.name == "nt" else "")))


def start_app(demo: Demo, url: str, code: str) -> subprocess.Popen[bytes]:
    demo.till_dir.mkdir(parents=True, exist_ok=True)
    return spawn(
        [
            sys.executable,
            "-m",
            "cashier_app.main",
            "--server",
            url,
            "--enroll-code",
            code,
            "--data-dir",
            str(demo.till_dir),
            "--insecure-credential-file",
            "--manager-pin",
            MANAGER_PIN,
        ],
        demo.data_dir / "till1.log",
    )


def run(args: argparse.Namespace) -> int:
    demo, _made = open_demo(args.data_dir.resolve(), reset=args.reset, seed=args.seed)
    port = choose_port(demo, args.port)
    url = f"http://127.0.0.1:{port}"
    demo.write_config(port)
    demo.state["port"] = port
    demo.save()
    page = member_page_link(demo)
    server_log = demo.data_dir / "server.log"
    say(f"starting paidui-server serve on {url} (log: {server_log})")
    server = spawn([sys.executable, "-m", "server.cli", "--config", str(demo.config), "serve"], server_log)
    app: subprocess.Popen[bytes] | None = None
    status = 1
    try:
        try:
            wait_healthy(server, url, server_log)
        except ServerNotReady as exc:
            raise SystemExit(str(exc)) from None
        by_hand = ""
        if args.no_app:
            app_line = "not started (--no-app)"
        elif not display_available():
            app_line = "not started: no display (DISPLAY / WAYLAND_DISPLAY unset); to start it by hand, see below"
            by_hand = (
                f"To start the till by hand on a machine with a display (the code is valid for 10 minutes; "
                f"`{BIN_HINT} --config {demo.config} terminal enroll {TILL_STORE}` makes another):\n"
                f"    {sys.executable} -m cashier_app.main --server {url} --enroll-code {enrolment_code(demo)}"
                f" --data-dir {demo.till_dir} --insecure-credential-file --manager-pin {MANAGER_PIN}\n"
            )
        else:
            move_stale_till(demo, url)
            app = start_app(demo, url, enrolment_code(demo))
            demo.state["till_server"] = url
            demo.save()
            app_line = f"enrolled to store {TILL_STORE} (data {demo.till_dir}, log {demo.data_dir / 'till1.log'})"
        say(tour(demo, url, page, app_line))
        if by_hand:
            say(by_hand)
        say("demo ready")
        watch(server, app)
    except KeyboardInterrupt:
        say("\nstopping ...")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not cut the shutdown short
            signal.signal(sig, signal.SIG_IGN)
        till = f"till exit {stop(app, 'the cashier app')}, " if app is not None else ""
        status = stop(server, "the server")
    say(f"demo stopped ({till}server exit {status})")
    return 0 if status == 0 else 1


def watch(server: subprocess.Popen[bytes], app: subprocess.Popen[bytes] | None) -> None:
    told = False
    while True:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped by itself (exit {server.returncode}); see its log")
        if app is not None and app.poll() is not None and not told:
            told = True
            say(f"the cashier app closed (exit {app.returncode}); the server keeps running until Ctrl-C")
        time.sleep(0.3)


def _sigterm(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # `kill PID` stops the demo as Ctrl-C does


def main(argv: list[str] | None = None) -> int:
    # Python leaves SIGINT ignored when it started ignored (a background job of a script): take it back.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if POSIX:
        signal.signal(signal.SIGTERM, _sigterm)
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

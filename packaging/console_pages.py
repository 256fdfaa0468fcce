#!/usr/bin/env python3
"""The headquarters console on the demo chain, in headless Chromium: screenshots for the docs, and a Lighthouse
accessibility audit of every page.

    python packaging/console_pages.py screenshots [--out docs/screenshots] [--lang zh|en]
    python packaging/console_pages.py lighthouse --lighthouse /path/to/node_modules/.bin/lighthouse

It loads the demo chain (server/demo_data.py) into a throw-away SQLite database, serves the console on a loopback
port and signs in as headquarters. Chromium is Debian's /usr/bin/chromium. Lighthouse is not a dependency of the
project (npm, Node 20: `npm i -E lighthouse@12.2.3` in a scratch folder); the axe-core test in
tests/e2e/test_console_browser.py is what CI runs.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHROMIUM = "/usr/bin/chromium"
END = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
SHOTS = {  # file name -> (path, element the picture ends with, or None for the whole page)
    "console-rules.png": ("/console/rules", "#base-form"),
    "console-rules-store.png": ("/console/rules/store/S2", None),
    "console-levels.png": ("/console/levels", None),
}
AUDITED = (
    "/console/login",
    "/console/liability",
    "/console/settlement",
    "/console/rules",
    "/console/rules/store/S2",
    "/console/history",
    "/console/stores",
    "/console/stores/S1",
    "/console/members",
    "/console/levels",
    "/console/simulate",
)


@contextlib.contextmanager
def demo_console() -> Iterator[str]:
    """The console of the demo chain on a loopback port: its base URL."""
    from server import demo_data
    from server.app import create_app
    from server.clock import FixedClock
    from tests.server.support import init_server, live_server, make_settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = make_settings(Path(tmp), f"sqlite:///{tmp}/console.db", None)
        init_server(settings, now=END - dt.timedelta(days=40))
        app = create_app(settings, clock=FixedClock(END))
        demo_data.load(app.state.db, end=END)
        try:
            with live_server(app) as base:
                yield base
        finally:
            app.state.db.dispose()


def screenshots(out: Path, lang: str) -> None:
    from playwright.sync_api import sync_playwright

    from tests.server.support import ADMIN_PASSWORD

    out.mkdir(parents=True, exist_ok=True)
    with demo_console() as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page.goto(base + "/console/login")
        page.fill("#username", "admin")
        page.fill("#password", ADMIN_PASSWORD)
        page.click("#sign-in")
        page.wait_for_url(base + "/console/liability")
        if lang == "en":
            page.goto(base + "/console/lang?to=en&next=%2Fconsole%2Fliability")
        for name, (path, element) in SHOTS.items():
            page.goto(base + path)
            target = out / name
            if element is None:
                page.screenshot(path=str(target), full_page=True)
            else:  # the page from its top down to the end of `element`, at the desktop width
                box = page.locator(element).bounding_box()
                assert box is not None, element
                clip = {"x": 0, "y": 0, "width": 1280, "height": box["y"] + box["height"] + 16}
                page.screenshot(path=str(target), full_page=True, clip=clip)
            print(target)
        browser.close()


def lighthouse(binary: str) -> int:
    """Lighthouse's accessibility score of every console page (signed in through a session cookie)."""
    import httpx

    from tests.server.console_support import sign_in
    from tests.server.support import ADMIN_PASSWORD

    worst = 100
    with demo_console() as base, httpx.Client(base_url=base) as http:
        sign_in(http, "admin", ADMIN_PASSWORD)
        cookie = "; ".join(f"{name}={value}" for name, value in http.cookies.items())
        for path in AUDITED:
            headers = {} if path == "/console/login" else {"Cookie": cookie}
            with tempfile.NamedTemporaryFile(suffix=".json") as report:
                subprocess.run(
                    [
                        binary,
                        base + path,
                        "--only-categories=accessibility",
                        "--output=json",
                        f"--output-path={report.name}",
                        "--chrome-flags=--headless --no-sandbox --disable-gpu",
                        f"--extra-headers={json.dumps(headers)}",
                        "--quiet",
                    ],
                    check=True,
                    env={**os.environ, "CHROME_PATH": CHROMIUM},
                )
                found = json.loads(Path(report.name).read_text())
            score = round(found["categories"]["accessibility"]["score"] * 100)
            failing = [a for a, r in found["audits"].items() if r.get("score") == 0]
            worst = min(worst, score)
            print(f"{score:3d}  {path}  {' '.join(failing)}")
    return 0 if worst == 100 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("screenshots")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    p.add_argument("--lang", choices=["zh", "en"], default="zh")
    p = sub.add_parser("lighthouse")
    p.add_argument("--lighthouse", required=True, help="the lighthouse executable (npm)")
    args = parser.parse_args(argv)
    if args.command == "screenshots":
        screenshots(args.out, args.lang)
        return 0
    return lighthouse(args.lighthouse)


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
"""Screenshots of the headquarters console (desktop width), for the docs: the rules form and the level catalog.

    python packaging/console_screenshots.py [--out docs/screenshots] [--lang zh|en]

It loads the demo chain (server/demo_data.py) into a throw-away SQLite database, serves the console on a loopback
port, signs in as headquarters in headless Chromium (Debian's /usr/bin/chromium) and captures whole pages.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHROMIUM = "/usr/bin/chromium"
PAGES = {  # file name -> (path, element to capture or None for the whole page)
    "console-rules.png": ("/console/rules", "#base-form"),
    "console-rules-store.png": ("/console/rules/store/S2", None),
    "console-levels.png": ("/console/levels", None),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--lang", choices=["zh", "en"], default="zh")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    from server import demo_data
    from server.app import create_app
    from server.clock import FixedClock
    from tests.server.support import ADMIN_PASSWORD, init_server, live_server, make_settings

    end = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
    with tempfile.TemporaryDirectory() as tmp:
        settings = make_settings(Path(tmp), f"sqlite:///{tmp}/console.db", None)
        init_server(settings, now=end - dt.timedelta(days=40))
        app = create_app(settings, clock=FixedClock(end))
        demo_data.load(app.state.db, end=end)
        with live_server(app) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            page.goto(base + "/console/login")
            page.fill("#username", "admin")
            page.fill("#password", ADMIN_PASSWORD)
            page.click("#sign-in")
            page.wait_for_url(base + "/console/liability")
            if args.lang == "en":
                page.goto(base + "/console/lang?to=en&next=%2Fconsole%2Fliability")
            for name, (path, element) in PAGES.items():
                page.goto(base + path)
                target = args.out / name
                if element is None:
                    page.screenshot(path=str(target), full_page=True)
                else:
                    page.locator(element).screenshot(path=str(target))
                print(target)
            browser.close()
        app.state.db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

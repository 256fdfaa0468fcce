#!/usr/bin/env python3
"""Build the cashier app's translations: refresh the .ts from the sources (lupdate), compile .qm (lrelease).

    python packaging/i18n.py            update cashier_app/i18n/paidui_zh_CN.ts and compile paidui_zh_CN.qm
    python packaging/i18n.py --check    fail if a source string has no Chinese translation

Both tools ship with PySide6 (pyside6-lupdate / pyside6-lrelease beside the venv's python).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "cashier_app"
TS = APP / "i18n" / "paidui_zh_CN.ts"
QM = TS.with_suffix(".qm")


def tool(name: str) -> str:
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found (it ships with PySide6)")
    return found


def sources() -> list[str]:
    return sorted(str(p) for p in APP.rglob("*.py") if "migrations" not in p.parts and "core" not in p.parts)


def lupdate(ts: Path) -> None:
    subprocess.run(
        [tool("pyside6-lupdate"), "-silent", "-no-obsolete", "-locations", "none", *sources(), "-ts", str(ts)],
        check=True,
    )


def lrelease(ts: Path, qm: Path) -> None:
    subprocess.run([tool("pyside6-lrelease"), "-silent", str(ts), "-qm", str(qm)], check=True)


def untranslated(ts: Path) -> list[str]:
    missing = []
    for message in ET.parse(ts).getroot().iter("message"):
        source = message.findtext("source") or ""
        translation = message.find("translation")
        if (
            translation is None
            or not (translation.text or "").strip()
            or translation.get("type") in ("unfinished", "vanished", "obsolete")
        ):
            missing.append(source)
    return missing


def main(argv: list[str]) -> int:
    lupdate(TS)
    missing = untranslated(TS)
    if missing:
        print(f"{len(missing)} strings lack a Chinese translation:", *missing, sep="\n  ", file=sys.stderr)
        if "--check" in argv:
            return 1
    lrelease(TS, QM)
    print(f"wrote {QM.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Draw the cashier app's icon (a queue of four people in front of a till) and write it where it is used.

    python packaging/icon.py     writes cashier_app/resources/paidui-cashier.png (window icon, 256 px)
                                 and packaging/paidui-cashier.ico (the Windows executable's icon)

Shapes only, no text: the result does not depend on the fonts of the machine that draws it. The files are committed;
run this again only to change the icon.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PNG = ROOT / "cashier_app" / "resources" / "paidui-cashier.png"
ICO = ROOT / "packaging" / "paidui-cashier.ico"
RED = "#c8102e"


def draw(size: int = 256) -> object:
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QColor, QImage, QPainter

    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(RED))
    s = size / 256
    p.drawRoundedRect(QRectF(8 * s, 8 * s, 240 * s, 240 * s), 44 * s, 44 * s)
    p.setBrush(QColor("white"))
    # the till on the right, four heads and shoulders queueing towards it, smaller further back
    p.drawRoundedRect(QRectF(196 * s, 92 * s, 28 * s, 120 * s), 6 * s, 6 * s)
    for i, scale in enumerate((1.0, 0.86, 0.74, 0.64)):
        cx = (166 - 44 * i) * s
        r = 15 * scale * s
        top = 212 * s - 7 * r  # taller people in front, all standing on the floor line
        p.drawEllipse(QRectF(cx - r, top, 2 * r, 2 * r))
        p.drawRoundedRect(QRectF(cx - 1.2 * r, top + 2.3 * r, 2.4 * r, 4.7 * r), r, r)
    p.setBrush(QColor(255, 255, 255, 150))
    p.drawRect(QRectF(32 * s, 216 * s, 192 * s, 8 * s))  # the floor line the queue stands on
    p.end()
    return image


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    image = draw()
    PNG.parent.mkdir(parents=True, exist_ok=True)
    for path, fmt in ((PNG, "PNG"), (ICO, "ICO")):
        if not image.save(str(path), fmt):  # type: ignore[attr-defined]
            raise SystemExit(f"could not write {path} ({fmt}: is the imageformats plugin there?)")
        print(f"wrote {path.relative_to(ROOT)}")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())

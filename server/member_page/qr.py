"""QR codes as inline SVG, drawn on the server (no script, no external service).

The `qrcode` matrix is drawn as one path with a rectangle per run of dark modules: a few kilobytes instead of the
~30 kB of the library's SVG factories (one square per module). A fixed mask pattern skips the mask search, which
is three quarters of the time to make a code (measured: ~9 ms instead of ~40-60 ms) and does not hurt scanning.
"""

from __future__ import annotations

import qrcode
from qrcode.constants import ERROR_CORRECT_M

BORDER = 2
MASK = 4


def svg(data: str, *, label: str) -> str:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=BORDER, mask_pattern=MASK)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix)
    parts = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                parts.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" class="qr" role="img" '
        f'aria-label="{_attr(label)}" shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#fff"/><path fill="#000" d="{"".join(parts)}"/></svg>'
    )


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")

"""A QR code painted from the `qrcode` matrix (measured-facts: painting the matrix beats a PNG round trip).

The matrix of an order link (~260 characters) takes tens of milliseconds of pure Python even with a fixed mask,
so it is computed off the UI thread; the widget paints a one-pixel-per-module image scaled without smoothing.
"""

from __future__ import annotations

import qrcode
from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from .ops import run_op

# A fixed mask skips qrcode's search over eight masks (three quarters of its time); any mask is valid.
MASK_PATTERN = 2


def qr_matrix(text: str) -> list[list[bool]]:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_L, border=0, mask_pattern=MASK_PATTERN)
    code.add_data(text)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def matrix_image(matrix: list[list[bool]]) -> QImage:
    n = len(matrix)
    data = b"".join(bytes(0 if dark else 255 for dark in row) for row in matrix)
    image = QImage(data, n, n, n, QImage.Format.Format_Grayscale8)
    return image.copy()  # own the pixels (the bytes object above is temporary)


class QrWidget(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self.text = ""
        self.setMinimumSize(160, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_text(self, text: str) -> None:
        """Show `text` as a QR code as soon as its matrix is ready (computed on the thread pool)."""
        self.text = text
        self._image = None
        self.update()
        if text:
            run_op(lambda: (text, qr_matrix(text)), on_done=self._ready, on_failed=lambda _e: None)

    def set_matrix(self, text: str, matrix: list[list[bool]]) -> None:
        if text == self.text:  # a newer sale may have replaced the text meanwhile
            self._image = matrix_image(matrix)
            self.update()

    def _ready(self, result: tuple[str, list[list[bool]]]) -> None:
        self.set_matrix(*result)

    @property
    def ready(self) -> bool:
        return self._image is not None

    def sizeHint(self) -> QSize:
        return QSize(320, 320)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("white"))
        if self._image is not None:
            n = self._image.width()
            quiet = 4  # the quiet zone the standard asks for, in modules
            side = min(self.width(), self.height())
            module = max(1, side // (n + 2 * quiet))  # whole pixels per module: crisp edges for scanners
            size = module * n
            target = QRect((self.width() - size) // 2, (self.height() - size) // 2, size, size)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            painter.drawImage(target, self._image)
        painter.end()

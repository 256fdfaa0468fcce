# Types for the part of qrcode (8.x ships no py.typed) that Paidui uses: the matrix, never its image factories.
from qrcode import constants as constants
from qrcode import util as util
from qrcode.constants import ERROR_CORRECT_H as ERROR_CORRECT_H
from qrcode.constants import ERROR_CORRECT_L as ERROR_CORRECT_L
from qrcode.constants import ERROR_CORRECT_M as ERROR_CORRECT_M
from qrcode.constants import ERROR_CORRECT_Q as ERROR_CORRECT_Q
from qrcode.util import QRData

class QRCode:
    version: int | None
    def __init__(
        self,
        version: int | None = None,
        error_correction: int = ...,
        box_size: int = 10,
        border: int = 4,
        mask_pattern: int | None = None,
    ) -> None: ...
    def add_data(self, data: str | bytes | QRData, optimize: int = 20) -> None: ...
    def make(self, fit: bool = True) -> None: ...
    def best_fit(self, start: int | None = None) -> int: ...
    def get_matrix(self) -> list[list[bool]]: ...

MODE_NUMBER: int
MODE_ALPHA_NUM: int
MODE_8BIT_BYTE: int
MODE_KANJI: int

class QRData:
    mode: int
    data: bytes
    def __init__(self, data: str | bytes, mode: int | None = None, check_data: bool = True) -> None: ...

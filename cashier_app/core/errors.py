"""The till's refusals: each carries a stable `shared.errors.Code` (ui/words.py says it in words) and a detail."""

from __future__ import annotations

from shared.errors import Code


class TillError(Exception):
    """Refused or failed at the till; nothing was written, nothing was sent."""

    def __init__(self, code: Code, detail: str = "") -> None:
        super().__init__(f"{code.value}: {detail}" if detail else code.value)
        self.code = code
        self.detail = detail

"""Integers from text a client sent (a header, a query string, a form field), bounded before they are converted.

Python refuses to convert more than 4,300 digits (`sys.set_int_max_str_digits`): an unchecked `int(text)` on a
client's text is a 500 waiting for a long enough string. `str.isdigit` is no guard either: it accepts digits of every
script ("²", "١") that `int` then refuses or reads. So text is matched against ASCII digits of a bounded length
first, and only then converted.
"""

from __future__ import annotations

import re

MAX_DIGITS = 18  # every such integer fits a signed 64-bit column
_INT = re.compile(rf"-?[0-9]{{1,{MAX_DIGITS}}}")
_NATURAL = re.compile(rf"[0-9]{{1,{MAX_DIGITS}}}")


def parse_int(text: str, *, signed: bool = False) -> int | None:
    """The integer `text` spells in at most 18 ASCII digits (a leading minus when `signed`), else None."""
    text = text.strip()
    if (_INT if signed else _NATURAL).fullmatch(text) is None:
        return None
    return int(text)

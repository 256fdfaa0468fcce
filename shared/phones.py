"""Phone keys: how a till finds a typed phone number among the members it holds, without holding phone numbers.

A member's phone key is scrypt(phone, salt, n, r, p) — memory-hard (16 MiB with the parameters below), so trying
candidates costs each guesser what it costs the till once per typed number (about 33 ms on our 2-core development
machine). The server computes it when a phone is stored; a pull hands tills the keys and the parameters
(`shared.wire.PhoneLookup`), never a phone number or any of its digits. The cost of reversing them is worked out in
docs/sync-protocol.md "Phone keys".

scrypt rather than argon2id: it is in Python's standard library (OpenSSL), so the till and `shared/` need no new
dependency, and it is memory-hard in the same sense for this purpose.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from .wire import PhoneLookup

PHONE = re.compile(r"^1[3-9][0-9]{9}$")  # a mainland mobile number, ASCII digits (\d would accept any script)
N, R, P, LENGTH = 2**14, 8, 1, 16  # 16 MiB a key: ~33 ms on the development machine, within a till's 50 ms


def lookup(salt: str) -> PhoneLookup:
    """Today's parameters with the chain's salt."""
    return PhoneLookup(salt=salt, n=N, r=R, p=P, length=LENGTH)


def phone_key(params: PhoneLookup, phone: str) -> str:
    """The key of one phone number, as hex."""
    return hashlib.scrypt(
        phone.encode("ascii"),
        salt=params.salt.encode("ascii"),
        n=params.n,
        r=params.r,
        p=params.p,
        maxmem=2 * 128 * params.r * params.n * params.p + 1024 * 1024,
        dklen=params.length,
    ).hex()


def phone_keys(params: PhoneLookup, phones: Iterable[str], *, workers: int = 2) -> list[str]:
    """The keys of many numbers (an import, a migration), on `workers` threads: scrypt releases the GIL."""
    phones = list(phones)
    if len(phones) < 2 or workers < 2:
        return [phone_key(params, p) for p in phones]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda p: phone_key(params, p), phones))

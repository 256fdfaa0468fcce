"""The member's payment code (consent for a wallet spend): RFC 6238 codes, the window, and one hold per code."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyotp
import pytest

from server.db.database import Database
from server.security import keys as keyfile
from server.services import consent
from shared.ids import MemberId

T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
KEY = b"k" * 32
M1 = MemberId("m-1")


def test_the_code_is_eight_digits_and_changes_every_thirty_seconds() -> None:
    a = consent.payment_code(KEY, M1, T0)
    assert len(a) == 8 and a.isdigit()
    assert consent.payment_code(KEY, M1, T0 + dt.timedelta(seconds=29)) == a
    assert consent.payment_code(KEY, M1, T0 + dt.timedelta(seconds=30)) != a


def test_the_code_is_a_standard_totp_of_the_members_secret() -> None:
    """An authenticator app given the member's secret would show the same code (pyotp, RFC 6238)."""
    import base64
    import hashlib
    import hmac

    secret = base64.b32encode(hmac.new(KEY, b"pay:m-1", hashlib.sha256).digest()).decode()
    assert pyotp.TOTP(secret, digits=8, interval=30).at(T0) == consent.payment_code(KEY, M1, T0)


def test_one_step_either_side_is_accepted_and_no_more() -> None:
    code = consent.payment_code(KEY, M1, T0)
    for seconds, ok in ((-31, False), (-30, True), (0, True), (59, True), (60, False)):
        assert consent.verify_payment_code(KEY, M1, code, T0 + dt.timedelta(seconds=seconds)) is ok, seconds


def test_a_code_is_bound_to_its_member_and_key() -> None:
    code = consent.payment_code(KEY, M1, T0)
    assert not consent.verify_payment_code(KEY, MemberId("m-2"), code, T0)
    assert not consent.verify_payment_code(b"x" * 32, M1, code, T0)


@pytest.mark.parametrize("bad", ["", "1234567", "123456789", "abcdefgh", "１２３４５６７８", "1234 5678"])
def test_malformed_codes_are_refused(bad: str) -> None:
    assert not consent.verify_payment_code(KEY, M1, bad, T0)


def test_the_key_comes_from_the_servers_signing_key(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    keyfile.write_key_file(path, [keyfile.new_key(T0)])
    ring = keyfile.KeyRing(path)
    key = consent.consent_key(ring, T0)
    assert len(key) == 32
    assert consent.consent_key(keyfile.KeyRing(path), T0) == key  # every process derives the same key
    keyfile.write_key_file(tmp_path / "other.json", [keyfile.new_key(T0)])
    assert consent.consent_key(keyfile.KeyRing(tmp_path / "other.json"), T0) != key


def test_seconds_left_counts_down_to_the_next_step() -> None:
    assert consent.seconds_left(T0) == 30
    assert consent.seconds_left(T0 + dt.timedelta(seconds=29)) == 1


def test_a_code_authorises_one_hold_only(db: Database) -> None:
    code = consent.payment_code(KEY, M1, T0)
    with db.engine.begin() as conn:
        assert consent.consume_payment_code(conn, KEY, M1, code, T0)
        assert not consent.consume_payment_code(conn, KEY, M1, code, T0 + dt.timedelta(seconds=5))
        assert not consent.consume_payment_code(conn, KEY, M1, "00000000", T0)
    later = T0 + dt.timedelta(seconds=30)
    with db.engine.begin() as conn:  # the next code works, and the used one is still refused a step later
        assert not consent.consume_payment_code(conn, KEY, M1, code, later)
        assert consent.consume_payment_code(conn, KEY, M1, consent.payment_code(KEY, M1, later), later)
        m2 = MemberId("m-2")
        assert consent.consume_payment_code(conn, KEY, m2, consent.payment_code(KEY, m2, T0), T0)
    with db.engine.begin() as conn:
        assert consent.prune(conn, T0 + consent.KEEP + dt.timedelta(minutes=1)) == 3

"""The signing key file, rotation, and member codes / member-page tokens: forged, altered, expired, misdirected."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path

import pytest

from server.security import keys as keyfile
from server.security.member_codes import (
    issue_member_code,
    issue_member_page_token,
    verify_member_code,
    verify_member_page_token,
)
from shared.tokens import TokenError, b64d, b64e

T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def ring(tmp_path: Path) -> keyfile.KeyRing:
    path = tmp_path / "keys.json"
    keyfile.write_key_file(path, [keyfile.new_key(T0)])
    return keyfile.KeyRing(path)


def test_the_key_file_is_private_from_the_start(ring: keyfile.KeyRing) -> None:
    if os.name != "nt":
        assert stat.S_IMODE(ring.path.stat().st_mode) == 0o600
    assert keyfile.file_is_private(ring.path)
    assert len(keyfile.read_key_file(ring.path)) == 1


def test_a_member_code_round_trips_and_expires(ring: keyfile.KeyRing) -> None:
    code = issue_member_code(ring, "m-42", T0)
    assert verify_member_code(ring, code, T0 + dt.timedelta(minutes=4)) == "m-42"
    with pytest.raises(TokenError) as exc:
        verify_member_code(ring, code, T0 + dt.timedelta(minutes=5))
    assert exc.value.code == "token_expired"


def _altered(token: str) -> str:
    prefix, body, sig = token.split(".")
    payload = json.loads(b64d(body))
    payload["m"] = "m-someone-else"
    return ".".join([prefix, b64e(json.dumps(payload, separators=(",", ":")).encode()), sig])


@pytest.mark.parametrize(
    ("mangle", "code"),
    [
        (_altered, "token_bad_signature"),
        (lambda tok: tok[:-3] + ("AAA" if tok[-3:] != "AAA" else "BBB"), "token_bad_signature"),
        (lambda tok: "PD1.garbage", "token_malformed"),
        (lambda tok: "x" * 2000, "token_malformed"),
    ],
)
def test_altered_or_forged_codes_are_refused(ring: keyfile.KeyRing, mangle, code: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TokenError) as exc:
        verify_member_code(ring, mangle(issue_member_code(ring, "m-1", T0)), T0)
    assert exc.value.code == code


def test_a_code_signed_by_another_key_or_for_another_purpose_is_refused(ring: keyfile.KeyRing, tmp_path: Path) -> None:
    stranger_path = tmp_path / "other.json"
    keyfile.write_key_file(stranger_path, [keyfile.new_key(T0)])
    stranger = keyfile.KeyRing(stranger_path)
    with pytest.raises(TokenError) as exc:
        verify_member_code(ring, issue_member_code(stranger, "m-1", T0), T0)
    assert exc.value.code == "token_unknown_key"
    with pytest.raises(TokenError) as exc:
        verify_member_code(ring, issue_member_page_token(ring, "m-1", T0), T0)
    assert exc.value.code == "token_wrong_purpose"
    page = issue_member_page_token(ring, "m-1", T0)
    assert verify_member_page_token(ring, page, T0 + dt.timedelta(days=29)) == "m-1"
    with pytest.raises(TokenError):
        verify_member_page_token(ring, page, T0 + dt.timedelta(days=30))


def test_rotation_publishes_first_signs_later_and_keeps_the_old_key_while_needed(ring: keyfile.KeyRing) -> None:
    old = ring.keys()[0]
    old_page = issue_member_page_token(ring, "m-1", T0)
    rotated = keyfile.rotate(ring.keys(), T0, delay=dt.timedelta(minutes=10))
    keyfile.write_key_file(ring.path, rotated)
    os.utime(ring.path, ns=(1, 1))  # a different stamp even within one clock tick
    fresh = rotated[-1]
    assert ring.signing_key(T0 + dt.timedelta(minutes=9)).kid == old.kid  # re-read from disk
    assert ring.signing_key(T0 + dt.timedelta(minutes=10)).kid == fresh.kid
    assert rotated[0].retired_at == T0 + dt.timedelta(minutes=10)
    later = T0 + dt.timedelta(minutes=12)
    assert set(ring.verification_keys(later, dt.timedelta(minutes=5))) == {old.kid, fresh.kid}
    assert set(ring.verification_keys(T0 + dt.timedelta(minutes=16), dt.timedelta(minutes=5))) == {fresh.kid}
    assert verify_member_page_token(ring, old_page, T0 + dt.timedelta(days=20)) == "m-1"


def test_a_broken_key_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    with pytest.raises(keyfile.KeyFileError, match="does not exist"):
        keyfile.KeyRing(path)
    path.write_text('{"format": 1, "keys": []}')
    with pytest.raises(keyfile.KeyFileError, match="no key"):
        keyfile.KeyRing(path)
    path.write_text("not json")
    with pytest.raises(keyfile.KeyFileError):
        keyfile.read_key_file(path)

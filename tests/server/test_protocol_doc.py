"""docs/sync-protocol.md is executable (issue 15 item 11): every JSON example validates against the model its fence
names, the phone-key test vector computes, and the tables of codes, statuses, limits and versions are the code's."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from server.api import auth
from server.api.errors import STATUS
from server.bodylimits import BODY_LIMITS, DEFAULT_BODY_LIMIT
from server.config import ServerSettings
from shared import wire
from shared.errors import Code
from shared.phones import phone_key

DOC = Path(__file__).resolve().parents[2] / "docs" / "sync-protocol.md"
TEXT = DOC.read_text(encoding="utf-8")
EXAMPLE = re.compile(r'```json title="(\w+)"\n(.*?)\n```', re.S)
MODELS: dict[str, type[BaseModel]] = {
    name: model
    for name, model in vars(wire).items()
    if isinstance(model, type) and issubclass(model, BaseModel) and model.__module__ == wire.__name__
}
MODELS |= {"TokenRequest": auth.TokenRequest, "TokenResponse": auth.TokenResponse}
EXAMPLES = EXAMPLE.findall(TEXT)


def _section(title: str) -> str:
    start = TEXT.index(f"\n## {title}\n")
    end = TEXT.find("\n## ", start + 1)
    return TEXT[start : end if end != -1 else len(TEXT)]


def _rows(text: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("| ") and not line.startswith("|---")
    ]


@pytest.mark.parametrize(("title", "body"), EXAMPLES, ids=[f"{i}-{t}" for i, (t, _) in enumerate(EXAMPLES)])
def test_every_json_example_is_valid_on_the_wire(title: str, body: str) -> None:
    if title == "PhoneKeyExample":
        _check_vector(body)
        return
    assert title in MODELS, f"{title}: no such model in shared/wire.py (or the auth models)"
    MODELS[title].model_validate_json(body)  # raises on any field, type or rule the model refuses


def _check_vector(raw: str) -> None:
    vector = json.loads(raw)
    params = wire.PhoneLookup(salt=vector["salt"], n=vector["n"], r=vector["r"], p=vector["p"], length=vector["length"])
    assert phone_key(params, vector["phone"]) == vector["phone_key"]


def test_the_examples_cover_the_protocol() -> None:
    titles = {title for title, _ in EXAMPLES}
    wanted = {
        "OutboxEvent",
        "OrderCompleted",
        "OrderRefunded",
        "MemberRegistered",
        "PushRequest",
        "PushResponse",
        "EventResult",
        "PullResponse",
        "PhoneLookup",
        "EnrollRequest",
        "EnrollResponse",
        "RotateResponse",
        "SigningKey",
        "ErrorBody",
        "TokenRequest",
        "TokenResponse",
        "PhoneKeyExample",
    }
    assert wanted <= titles, wanted - titles


def test_every_request_code_is_documented_with_its_status() -> None:
    documented = {}
    for row in _rows(_section("Error codes")):
        if len(row) >= 3 and row[1].isdigit():
            documented[row[0].strip("`")] = int(row[1])
    assert documented == {code.value: status for code, status in STATUS.items()}


def test_every_event_code_is_a_registered_code() -> None:
    events = _section("Error codes").split("Refusals of one event")[1]
    codes = {row[0].strip("`") for row in _rows(events) if row[0].startswith("`")}
    assert codes <= {c.value for c in Code}
    assert {"conflicting_duplicate", "conflicting_member", "unknown_member", "invalid_event"} <= codes


def test_the_limits_are_the_servers() -> None:
    limits = _section("Limits")
    api = {path: size for method, path, size in BODY_LIMITS if path.startswith("/api/")}
    for path, size in api.items():
        assert re.search(rf"`POST {re.escape(path)}` \| [^|]*\({size:,} bytes\)", limits), path
    assert f"({DEFAULT_BODY_LIMIT:,} bytes)" in limits
    assert f"| {wire.MAX_BATCH} |" in limits
    defaults = ServerSettings.model_fields
    for name in ("rate_push_per_minute", "rate_pull_per_minute", "rate_auth_per_minute"):
        assert f"{defaults[name].default} a minute (`{name}`" in limits, name


def test_the_version_table_ends_at_the_current_version() -> None:
    versions = [int(row[0]) for row in _rows(_section("Versions")) if row[0].isdigit()]
    assert versions == sorted(wire.SUPPORTED_VERSIONS) and versions[-1] == wire.PROTOCOL_VERSION
    assert TEXT.startswith(f"# Sync protocol (terminal ⇄ central server), version {wire.PROTOCOL_VERSION}\n")

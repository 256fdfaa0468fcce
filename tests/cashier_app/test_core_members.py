from __future__ import annotations

import pytest

from cashier_app.core.checkout import CheckoutError, register_member
from cashier_app.core.db import UnitOfWork, reading
from cashier_app.core.members import IdentifyError, identify
from shared.tokens import Purpose, new_private_key, sign

from .conftest import Till
from .test_core_checkout import sell


def ident(till: Till, text: str):
    with reading(till.engine) as conn:
        return identify(conn, text, now=till.clock())


def test_scanned_member_code_is_verified_offline(till: Till) -> None:
    code = till.toy.member_code("M1", now=till.clock().timestamp())
    till.toy.down = True  # offline: verification needs only the pulled public key
    view = ident(till, code)
    assert (view.member.member_id, view.member.display_name, view.member.level) == ("M1", "张*", "gold")
    assert view.level_names == ("金卡", "Gold card")  # the level catalog came with the pull


def test_forged_code_is_refused(till: Till) -> None:
    forged = sign(
        key=new_private_key(),
        kid="mk1",
        purpose=Purpose.MEMBER_CODE,
        expires=int(till.clock().timestamp()) + 300,
        claims={"m": "M1"},
    )
    with pytest.raises(IdentifyError) as exc:
        ident(till, forged)
    assert exc.value.code == "token_bad_signature"


def test_expired_and_wrong_purpose_codes_are_refused(till: Till) -> None:
    old = till.toy.member_code("M1", expires_in=60, now=till.clock().timestamp() - 120)
    with pytest.raises(IdentifyError) as exc:
        ident(till, old)
    assert exc.value.code == "token_expired"
    page = sign(
        key=till.toy.member_key,
        kid="mk1",
        purpose=Purpose.MEMBER_PAGE,
        expires=int(till.clock().timestamp()) + 60,
        claims={"m": "M1"},
    )
    with pytest.raises(IdentifyError) as exc:
        ident(till, page)
    assert exc.value.code == "token_wrong_purpose"


def test_phone_lookup_and_unknown_phone(till: Till) -> None:
    assert ident(till, "13800001234").member.member_id == "M1"
    with pytest.raises(IdentifyError) as exc:
        ident(till, "13900000000")
    assert exc.value.code == "unknown_phone"
    with pytest.raises(IdentifyError) as exc:
        ident(till, "hello")
    assert exc.value.code == "not_a_code"


def test_member_registered_at_the_till_can_buy_at_once_and_is_synced(till: Till) -> None:
    with UnitOfWork(till.engine) as uow:
        member = register_member(uow=uow, phone="13912345678", clock=till.clock)
    view = ident(till, "13912345678")
    assert view.member.member_id == member.member_id and view.pending_registration
    assert view.member.display_name == "139****5678"
    sell(till, 1000, member=member)
    till.sync.run_once()
    assert member.member_id in till.toy.members
    assert ident(till, "13912345678").pending_registration is False
    with UnitOfWork(till.engine) as uow, pytest.raises(CheckoutError) as exc:
        register_member(uow=uow, phone="13912345678", clock=till.clock)
    assert exc.value.code == "member_exists"


def test_member_view_lists_waiting_entries_from_the_snapshot(till: Till) -> None:
    from cashier_app.core.checkout import MemberRef

    sell(till, 3000, member=MemberRef("M1", "张*"))
    till.sync.run_once()
    view = ident(till, "13800001234")
    assert [(e.entitlement_fen, e.position) for e in view.waiting] == [(3000, 1)]

"""Staff (issue 14 item 4) on the server: employees managed in the console, handed to the store's tills in the pull
(on request) as argon2id hashes, and the employee of each sale and refund kept from the push."""

from __future__ import annotations

import httpx
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import select

from server.db import tables as t

from .console_support import MANAGER_PASSWORD, add_manager, sign_in
from .support import ADMIN_PASSWORD, T0, Till, enrolment_code, paid, refunded, seed


def test_headquarters_and_a_store_manager_keep_the_staff(http: httpx.Client, app: FastAPI) -> None:
    seed(app.state.db, stores={"S1": ["C1"], "S2": ["C2"]})
    add_manager(app.state.db, "boss1", "S1")
    csrf = sign_in(http, "admin", ADMIN_PASSWORD)
    add = {"csrf": csrf, "store_id": "S1", "name": "王芳", "role": "cashier", "pin": "111111"}
    r = http.post("/console/employees", data=add)
    assert r.status_code == 303, r.text
    r = http.post("/console/employees", data=add | {"pin": "12a"})
    assert r.status_code == 422 and "4 至 12 位数字" in r.text and "12a" not in r.text  # a PIN is never echoed
    with app.state.db.connect() as conn:
        [row] = conn.execute(select(t.Employee)).all()
    assert (row.store_id, row.name, row.role, row.active) == ("S1", "王芳", "cashier", True)
    assert row.pin_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$") and "111111" not in row.pin_hash
    assert PasswordHasher().verify(row.pin_hash, "111111")
    page = http.get("/console/employees", params={"store": "S1"}).text
    assert f'data-employee="{row.employee_id}"' in page and "王芳" in page
    # promoted, same PIN (the field left empty)
    edit = {"csrf": csrf, "store_id": "S1", "employee_id": row.employee_id, "name": "王芳", "role": "manager"}
    assert http.post("/console/employees", data=edit | {"pin": "", "active": "yes"}).status_code == 303
    with app.state.db.connect() as conn:
        after = conn.execute(select(t.Employee)).one()
    assert after.role == "manager" and after.pin_hash == row.pin_hash
    # a store manager: their own store only
    http.post("/console/logout", data={"csrf": csrf})
    csrf = sign_in(http, "boss1", MANAGER_PASSWORD)
    assert "王芳" in http.get("/console/employees").text
    assert http.get("/console/employees", params={"store": "S2"}).status_code == 404
    r = http.post("/console/employees", data=add | {"csrf": csrf, "store_id": "S2", "name": "x"})
    assert r.status_code == 404
    r = http.post("/console/employees", data=add | {"csrf": csrf, "name": "李雷"})
    assert r.status_code == 303


def _till(app: FastAPI, http: httpx.Client, checkout: str | None = None) -> Till:
    till = Till(http)
    assert till.enroll(enrolment_code(app.state.db, "S1", now=T0, cashier_id=checkout)).status_code == 200
    return till


def test_the_pull_hands_the_store_staff_to_a_till_that_asks(http: httpx.Client, app: FastAPI) -> None:
    from server.services import employees

    seed(app.state.db, stores={"S1": ["C1"], "S2": ["C2"]})
    with app.state.db.connect() as conn:
        employees.add(conn, employee_id="e-1", store_id="S1", name="王芳", role="cashier", pin="111111", at=T0)
        employees.add(conn, employee_id="e-2", store_id="S2", name="陈静", role="cashier", pin="222222", at=T0)
    till = _till(app, http)
    plain = till.pull().json()
    assert "employees" not in plain  # a till of before gets the answer of before
    asked = http.get("/api/v1/sync/pull", params={"employees": "true"}, headers=till.auth).json()
    [one] = asked["employees"]
    assert (one["employee_id"], one["name"], one["role"], one["active"]) == ("e-1", "王芳", "cashier", True)
    assert PasswordHasher().verify(one["pin_hash"], "111111")


def test_the_employee_of_a_sale_and_a_refund_is_kept(http: httpx.Client, app: FastAPI) -> None:
    seed(app.state.db, stores={"S1": ["C1"]})
    till = _till(app, http)
    sale = paid("C1", 5_000) | {"employee_id": "e-1"}
    refund = refunded(sale["order_id"], 1_000) | {"employee_id": "e-2"}
    body = till.push([till.event(sale), till.event(refund)]).json()
    assert [r["status"] for r in body["results"]] == ["accepted", "accepted"]
    with app.state.db.connect() as conn:
        assert conn.execute(select(t.OrderRow.employee_id)).scalar_one() == "e-1"
        assert conn.execute(select(t.RefundEmployee.refund_id, t.RefundEmployee.employee_id)).one() == (
            refund["refund_id"],
            "e-2",
        )


def test_the_counter_report_groups_by_checkout_point_till_and_employee(http: httpx.Client, app: FastAPI) -> None:
    from server.services import employees

    seed(app.state.db, stores={"S1": ["C1", "C2"]})
    with app.state.db.connect() as conn:
        employees.add(conn, employee_id="e-1", store_id="S1", name="王芳", role="cashier", pin="111111", at=T0)
        employees.add(conn, employee_id="e-2", store_id="S1", name="赵强", role="manager", pin="909090", at=T0)
    one, two = _till(app, http, "C1"), _till(app, http, "C2")  # the server takes the checkout point from the till
    a = paid("C1", 1_000) | {"employee_id": "e-1"}
    b = paid("C1", 2_000) | {"employee_id": "e-1"}
    c = paid("C2", 4_000) | {"employee_id": "e-2"}
    d = paid("C2", 8_000)  # a till of a store without a sign-in then
    z = {
        "type": "shift_closed",
        "z_id": "0192f3a4-5b6c-7d8e-9f00-0000000000a1",
        "shift_no": 3,
        "opened_at": T0.isoformat(),
        "closed_at": T0.isoformat(),
        "employee_id": "e-2",
        "sales_count": 2,
        "paid_fen": 3_000,
        "refunds_fen": 0,
        "opening_float_fen": 10_000,
        "cash_expected_fen": 13_000,
        "cash_counted_fen": 12_900,
    }
    assert all(r["status"] == "accepted" for r in one.push([one.event(x) for x in (a, b, z)]).json()["results"])
    refund = refunded(c["order_id"], 500) | {"employee_id": "e-2"}
    assert all(r["status"] == "accepted" for r in two.push([two.event(x) for x in (c, d, refund)]).json()["results"])
    sign_in(http, "admin", ADMIN_PASSWORD)
    page = http.get("/console/stores/S1/counter", params={"from": "2020-01-01", "to": "2099-12-31"}).text

    def section(id_: str) -> str:
        start = page.index(f'id="{id_}"')
        return page[start : page.index("</table>", start)]

    point = section("by-point")
    assert "C1" in point and "¥30.00" not in point  # money is shown without the sign: figures, not prices
    assert "30.00" in point and "120.00" in point  # C1: 10 + 20; C2: 40 + 80
    till = section("by-till")
    assert till.count("data-key=") == 2 and "30.00" in till and "120.00" in till
    staff = section("by-employee")
    assert "王芳" in staff and "30.00" in staff and "赵强" in staff and "40.00" in staff
    assert "5.00" in staff  # the refund 赵强 allowed
    assert "未记录" in staff  # the sale without an employee
    zs = section("z-reports")
    assert "129.00" in zs and "130.00" in zs and "-1.00" in zs and "赵强" in zs

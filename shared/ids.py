"""Typed ids: the same string means different things as a member, an order or a store id; mypy keeps them apart.

A `NewType` costs nothing at run time (`MemberId("m1")` is the string "m1"); it is a promise made where an id enters
the system (a parsed wire body, a database row, a command-line argument) and checked everywhere it travels.
"""

from __future__ import annotations

from typing import NewType

MemberId = NewType("MemberId", str)
OrderId = NewType("OrderId", str)  # an order's UUID in its canonical text form (server), or a replay's own name
StoreId = NewType("StoreId", str)
CashierId = NewType("CashierId", str)  # a checkout point (收银台) of a store; queues are per cashier id
TerminalId = NewType("TerminalId", str)  # a device running the till; never defines a queue

__all__ = ["CashierId", "MemberId", "OrderId", "StoreId", "TerminalId"]

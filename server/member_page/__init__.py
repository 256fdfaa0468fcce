"""The member page (`/m/<token>`): a member's own queue entries, rewards, lottery and exchange, and member code; and
sign-in by phone and one-time code (`/m/signin`) to the signed-in page (`/m/me`).

`router` is what `server.app.create_app` includes.
"""

from __future__ import annotations

from fastapi import APIRouter

from . import account, routes, wallet_routes
from .routes import refusal_page

router = APIRouter()
router.include_router(account.router)  # first: /m/signin and /m/me are not link tokens
router.include_router(wallet_routes.router)
router.include_router(routes.router)

__all__ = ["refusal_page", "router"]

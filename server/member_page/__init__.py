"""The member page (`/m/<token>`): a member's own queue entries, rewards, lottery and exchange, and member code.

`router` is what `server.app.create_app` includes.
"""

from __future__ import annotations

from .routes import refusal_page, router

__all__ = ["refusal_page", "router"]

"""The member page (`/m/<token>`): a member's own queue entries, rewards, lottery and exchange, and member code.

`router` is picked up by `server.app.create_app` (OPTIONAL_ROUTERS).
"""

from __future__ import annotations

from .routes import router

__all__ = ["router"]

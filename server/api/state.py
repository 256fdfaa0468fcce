"""The routes reach what `create_app` composed (`server.services.context.Services`) through the request."""

from __future__ import annotations

from fastapi import Request

from ..services.context import Services

__all__ = ["Services", "services"]


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc

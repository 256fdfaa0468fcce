"""What `create_app` composes and keeps on `app.state`: one object per process, reached from a request."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from ..clock import Clock
from ..config import ServerSettings
from ..db.database import Database
from ..ratelimit import Limiter
from ..security.keys import KeyRing
from ..services.ingest import Ingest
from ..services.pull import PullService
from ..services.sync import PushService


@dataclass
class Services:
    settings: ServerSettings
    db: Database
    ingest: Ingest
    keys: KeyRing
    clock: Clock
    push: PushService
    pull: PullService
    auth_limiter: Limiter  # password logins and enrolment attempts, per client address


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc

"""What `create_app` composes for one process: one object of each, handed to the routes through `app.state`."""

from __future__ import annotations

from dataclasses import dataclass

from ..admission import Admission
from ..clock import Clock
from ..config import ServerSettings
from ..db.database import Database
from ..ratelimit import Limiter, Limits, TerminalLimits
from ..security.keys import KeyRing
from .holds import HoldService
from .ingest import Ingest
from .pull import PullService
from .sender import Sender
from .signin import SignInPolicy
from .sync import PushService


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
    member_limits: Limits  # the member page's page views and actions, per client address and per member
    terminal_limits: TerminalLimits  # pushes and pulls, per terminal
    holds: HoldService  # the wallet's hold API (server/services/holds.py)
    admission: Admission  # pushes applied at once, and waiting, in this process
    signin: SignInPolicy  # the user-wide wait after failed password sign-ins (server/services/signin.py)
    sender: Sender  # sign-in codes and notifications to members' phones (server/services/sender.py)

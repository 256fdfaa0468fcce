"""Where the terminal's secrets live: the credential and its Ed25519 signing key.

The OS keyring is the only store for production. A machine without a usable keyring is told so plainly
(`CredentialStoreUnavailable`); the secrets are never written to a plain file behind the cashier's back.
`InsecureFileStore` exists only for demos on such machines and only when asked for by an explicit option.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

SERVICE = "paidui-cashier"


class CredentialStoreUnavailable(RuntimeError):
    """No secure place for secrets on this machine (e.g. no Secret Service on D-Bus)."""


@dataclass(frozen=True)
class Secrets:
    terminal_id: str
    store_id: str
    credential: str
    private_key: bytes  # raw Ed25519 private key

    def to_json(self) -> str:
        return json.dumps({"terminal_id": self.terminal_id, "store_id": self.store_id, "credential": self.credential,
                           "private_key": base64.b64encode(self.private_key).decode()})

    @classmethod
    def from_json(cls, text: str) -> Secrets:
        d = json.loads(text)
        return cls(d["terminal_id"], d["store_id"], d["credential"], base64.b64decode(d["private_key"]))


class CredentialStore(Protocol):
    def load(self) -> Secrets | None: ...
    def save(self, secrets: Secrets) -> None: ...
    def clear(self) -> None: ...


class MemoryStore:
    """A real store that keeps the secrets in memory (tests, and nothing else)."""

    def __init__(self, secrets: Secrets | None = None) -> None:
        self._secrets = secrets

    def load(self) -> Secrets | None:
        return self._secrets

    def save(self, secrets: Secrets) -> None:
        self._secrets = secrets

    def clear(self) -> None:
        self._secrets = None


class KeyringStore:
    """The OS keyring (Windows Credential Manager, macOS Keychain, Secret Service)."""

    def __init__(self, data_dir: Path) -> None:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
            raise CredentialStoreUnavailable(
                f"no usable OS keyring on this machine ({type(backend).__module__}.{type(backend).__name__})"
            )
        self._keyring = keyring
        # One entry per data directory, so two terminals' data on one PC never share a credential.
        self._user = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]

    def load(self) -> Secrets | None:
        text = self._keyring.get_password(SERVICE, self._user)
        return None if text is None else Secrets.from_json(text)

    def save(self, secrets: Secrets) -> None:
        self._keyring.set_password(SERVICE, self._user, secrets.to_json())

    def clear(self) -> None:
        import contextlib

        import keyring.errors

        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            self._keyring.delete_password(SERVICE, self._user)


class InsecureFileStore:
    """Secrets in a 0600 file: ONLY for a demo on a machine without a keyring, chosen explicitly, warned loudly."""

    def __init__(self, path: Path) -> None:
        self._path = path
        log.warning("INSECURE: the terminal credential is kept in a plain file %s (demo only)", path)

    def load(self) -> Secrets | None:
        return Secrets.from_json(self._path.read_text()) if self._path.exists() else None

    def save(self, secrets: Secrets) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.to_json())

    def clear(self) -> None:
        self._path.unlink(missing_ok=True)

"""Where the terminal's secrets live: the credential and its Ed25519 signing key.

The OS keyring is the only store for production. A machine without a usable keyring is told so plainly
(`CredentialStoreUnavailable`); the secrets are never written to a plain file behind the cashier's back.
`InsecureFileStore` exists only for demos on such machines and only when asked for by an explicit option.

Reading the keyring is I/O (D-Bus, perhaps an unlock prompt): the app does it on the sync worker's thread, never on
the UI thread.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from shared.ids import StoreId, TerminalId

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)

SERVICE = "paidui-cashier"

# The OS keyring backends of each platform, as keyring ranks them. Naming them spares keyring's own search, which
# imports every backend it knows (plugins too) and whose macOS backend runs ctypes.util.find_library -- gcc -- on
# Linux: 0.35-0.45 s of every start. Elsewhere than Windows and macOS: the freedesktop ones.
PLATFORM_BACKENDS: dict[str, tuple[str, ...]] = {
    "win32": ("keyring.backends.Windows.WinVaultKeyring",),
    "darwin": ("keyring.backends.macOS.Keyring",),
}
FREEDESKTOP_BACKENDS = (
    "keyring.backends.SecretService.Keyring",
    "keyring.backends.kwallet.DBusKeyring",
    "keyring.backends.libsecret.Keyring",
)


class CredentialStoreUnavailable(RuntimeError):
    """No secure place for secrets on this machine (e.g. no Secret Service on D-Bus)."""


class SecretsMissing(RuntimeError):
    """The store has no secrets for an enrolled till (keyring emptied, data directory moved): enrol again."""


@dataclass(frozen=True)
class Secrets:
    terminal_id: TerminalId
    store_id: StoreId
    credential: str
    private_key: bytes  # raw Ed25519 private key

    def to_json(self) -> str:
        return json.dumps(
            {
                "terminal_id": self.terminal_id,
                "store_id": self.store_id,
                "credential": self.credential,
                "private_key": base64.b64encode(self.private_key).decode(),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Secrets:
        d = json.loads(text)
        return cls(
            TerminalId(d["terminal_id"]), StoreId(d["store_id"]), d["credential"], base64.b64decode(d["private_key"])
        )


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


def os_keyring(platform: str = sys.platform) -> KeyringBackend:
    """This machine's OS keyring, chosen without keyring's search; CredentialStoreUnavailable if there is none.

    A backend named by the user for keyring (PYTHON_KEYRING_BACKEND, or keyringrc.cfg) is taken as keyring would take
    it; otherwise the platform's backends are asked whether they work here and the one keyring ranks highest is used.
    Either way a backend of no priority (keyring's "fail" and "null" ones) is refused, never replaced by a file.
    """
    from keyring import core
    from keyring.backends import fail

    try:
        backend = core.load_env() or core.load_config()
    except Exception as exc:  # keyring passes on what the named backend raises when it cannot work here
        raise CredentialStoreUnavailable(f"the keyring configured for keyring cannot be used: {exc}") from None
    if backend is not None:
        priority = getattr(backend, "priority", 1)
    else:
        best: tuple[float, type[KeyringBackend]] | None = None
        reasons = []
        for name in PLATFORM_BACKENDS.get(platform, FREEDESKTOP_BACKENDS):
            module, _, class_name = name.rpartition(".")
            try:
                cls = getattr(importlib.import_module(module), class_name)
                found = float(cls.priority)  # raises when the backend cannot work here (no daemon, no library)
            except Exception as exc:
                reasons.append(f"{name}: {exc}")
                continue
            if best is None or found > best[0]:
                best = (found, cls)
        if best is None:
            raise CredentialStoreUnavailable(f"no usable OS keyring on this machine ({'; '.join(reasons)})")
        priority, backend = best[0], best[1]()
    if isinstance(backend, fail.Keyring) or priority <= 0:
        raise CredentialStoreUnavailable(
            f"no usable OS keyring on this machine ({type(backend).__module__}.{type(backend).__name__})"
        )
    return backend


class KeyringStore:
    """The OS keyring (Windows Credential Manager, macOS Keychain, Secret Service)."""

    def __init__(self, data_dir: Path, *, backend: KeyringBackend | None = None) -> None:
        self._backend = backend if backend is not None else os_keyring()
        # One entry per data directory, so two terminals' data on one PC never share a credential.
        self._user = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]

    def load(self) -> Secrets | None:
        text = self._backend.get_password(SERVICE, self._user)
        return None if text is None else Secrets.from_json(text)

    def save(self, secrets: Secrets) -> None:
        self._backend.set_password(SERVICE, self._user, secrets.to_json())

    def clear(self) -> None:
        import contextlib

        import keyring.errors

        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            self._backend.delete_password(SERVICE, self._user)


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

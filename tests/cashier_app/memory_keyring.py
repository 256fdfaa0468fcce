"""A keyring backend in memory, for naming in PYTHON_KEYRING_BACKEND as a user would name their own backend."""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class Keyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]  # keyring reads it as a class property

    def __init__(self) -> None:
        super().__init__()
        self.stored: dict[tuple[str, str], str] = {}  # per instance: nothing outlives the store that made it

    def get_password(self, service: str, username: str) -> str | None:
        return self.stored.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.stored[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.stored.pop((service, username), None) is None:
            raise PasswordDeleteError(username)

"""Server configuration, declared once (pydantic-settings): defaults < TOML config file < PAIDUI_* environment.

The config file is named by `--config FILE` or `PAIDUI_CONFIG`; its keys are the field names below
(`database_url = "postgresql+psycopg://..."`). Nothing here opens a database or reads a key: `create_app` does.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from .db.urls import normalise_url

ENV_PREFIX = "PAIDUI_"
CONFIG_ENV = "PAIDUI_CONFIG"


class ServerSettings(BaseSettings):
    """Every knob of the central server, typed, with its default."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    data_dir: Path = Path("var")
    database_url: str | None = None  # default: SQLite file <data_dir>/paidui.db
    database_schema: str | None = None  # PostgreSQL schema (search_path) to use instead of the default
    key_file: Path | None = None  # default: <data_dir>/signing-keys.json (Ed25519 private keys, mode 0600)
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    workers: int = Field(1, ge=1, le=64)  # several only on PostgreSQL
    pool_size: int = Field(5, ge=0, le=100)  # database connections per process (0: no pool)
    public_url: str = "http://127.0.0.1:8000"  # how members' phones reach the server (links in QR codes)
    log_level: str = "info"

    enrolment_code_minutes: int = Field(10, ge=1, le=24 * 60)
    api_token_minutes: int = Field(60, ge=1, le=24 * 60)
    member_code_seconds: int = Field(300, ge=30, le=3600)
    member_page_days: int = Field(30, ge=1, le=366)
    key_activation_minutes: int = Field(10, ge=0, le=24 * 60)  # `keys rotate`: publish first, sign later
    snapshot_limit: int = Field(200, ge=1, le=5000)  # entries in a queue snapshot
    members_page: int = Field(1000, ge=1, le=10_000)  # member changes per pull

    # rate limits (requests per minute per client address); used by server.ratelimit
    rate_member_page_per_minute: int = Field(60, ge=1)
    rate_draw_per_minute: int = Field(10, ge=1)
    rate_auth_per_minute: int = Field(30, ge=1)  # password logins and enrolment attempts per client address
    rate_push_per_minute: int = Field(600, ge=1)  # pushes per terminal (a catch-up sends batches back to back)
    rate_pull_per_minute: int = Field(600, ge=1)  # pulls per terminal (a first pull pages through every member)
    # Overload (server/admission.py): pushes applied at once per process, pushes that may wait for a turn, how long
    # one waits, and the Retry-After of a `503 busy`
    push_running: int = Field(2, ge=1)
    push_waiting: int = Field(8, ge=0)
    push_wait_seconds: float = Field(2.0, ge=0)
    push_retry_after_seconds: int = Field(2, ge=1)

    # member sign-in by phone and one-time code, and the sender of codes and notifications (services/sender.py)
    sender: Literal["file", "log", "webhook"] = "file"
    sender_file: Path | None = None  # file sender: default <data_dir>/messages.jsonl
    sender_webhook_url: str | None = None  # webhook sender: where to POST (an SMS gateway's adapter)
    sender_webhook_secret: SecretStr | None = None  # webhook sender: the HMAC-SHA256 key (PAIDUI_SENDER_WEBHOOK_SECRET)
    sign_in_code_minutes: int = Field(5, ge=1, le=30)  # a code's life
    member_session_hours: int = Field(168, ge=1, le=24 * 90)  # a signed-in session, from its last use

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        v = v.lower()
        if v not in {"critical", "error", "warning", "info", "debug", "trace"}:
            raise ValueError("log_level is one of critical, error, warning, info, debug, trace")
        return v

    @model_validator(mode="after")
    def _webhook(self) -> ServerSettings:
        if self.sender == "webhook" and (not self.sender_webhook_url or self.sender_webhook_secret is None):
            raise ValueError("sender = webhook needs sender_webhook_url and sender_webhook_secret")
        if self.sender_webhook_url and not self.sender_webhook_url.startswith(("https://", "http://")):
            raise ValueError("sender_webhook_url is an http(s) URL")
        return self

    # ------------------------------------------------------------------ derived

    @property
    def resolved_sender_file(self) -> Path:
        return self.sender_file if self.sender_file is not None else self.data_dir / "messages.jsonl"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return normalise_url(self.database_url)
        return f"sqlite:///{(self.data_dir / 'paidui.db').resolve()}"

    @property
    def resolved_key_file(self) -> Path:
        return self.key_file if self.key_file is not None else self.data_dir / "signing-keys.json"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")


def load_settings(config: str | Path | None = None, **overrides: Any) -> ServerSettings:
    """Settings from the environment and a TOML file (`config`, else PAIDUI_CONFIG); `overrides` win over both."""
    named = config if config is not None else os.environ.get(CONFIG_ENV) or None
    path = Path(named) if named is not None else None
    if path is not None and not path.is_file():
        raise FileNotFoundError(f"config file {path} does not exist")
    values = {k: v for k, v in overrides.items() if v is not None}
    if path is None:
        return _NoFile(**values)
    toml_path = path

    class _FromFile(ServerSettings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=toml_path)

    return _FromFile(**values)


class _NoFile(ServerSettings):
    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings

"""Settings base: one env prefix per process, with a common `CDV_` fallback for values shared by all."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SecretsSettingsSource,
    SettingsConfigDict,
)

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = ROOT / "var"
DEV_SECRET = "dev-only-identity-secret-change-me"


class KernelSettings(BaseSettings):
    """Settings every process has. Subclasses set `service_name` and `model_config.env_prefix`.

    Precedence: init kwargs > `CDV_<SERVICE>_X` > `CDV_X` > files of those names in the folder
    `CDV_SECRETS_DIR` names (Docker and Kubernetes secrets) > the same two in a `.env` file > defaults.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")
    service_name: ClassVar[str] = "kernel"
    default_port: ClassVar[int] = 8000

    environment: Literal["development", "test", "production"] = "development"
    var_dir: Path = VAR_DIR  # where SQLite files and local state live by default
    host: str = "127.0.0.1"
    port: int = 0
    database_url: str = ""
    nats_url: str = "nats://127.0.0.1:4222"
    nats_user: str | None = None
    nats_password: str | None = None
    # First token of every NATS subject and prefix of stream names; tests use their own to stay isolated.
    event_namespace: str = "cdv"
    stream_replicas: int = 1
    consumer_max_deliver: int = 5
    relay_batch_size: int = 200
    relay_poll_seconds: float = 1.0
    otel_exporter: Literal["none", "console", "otlp"] = "none"
    otel_endpoint: str | None = None
    log_level: str = "INFO"
    log_json: bool = True
    identity_secret: str = DEV_SECRET
    # A signed identity is good for one service and this many seconds (signed per call, checked on arrival).
    identity_ttl_seconds: int = 10
    shutdown_timeout_seconds: float = 10.0
    # A service's `/docs` and `/openapi.json`; None: served in development and test, not in production.
    api_docs: bool | None = None

    @property
    def serves_api_docs(self) -> bool:
        return self.api_docs if self.api_docs is not None else self.environment != "production"

    def model_post_init(self, __context: Any) -> None:
        if not self.port:
            self.port = self.default_port
        if not self.database_url:
            self.var_dir.mkdir(parents=True, exist_ok=True)
            self.database_url = f"sqlite+aiosqlite:///{self.var_dir / (self.service_name + '.db')}"
        if self.environment == "production" and self.identity_secret == DEV_SECRET:
            raise ValueError("CDV_IDENTITY_SECRET must be set to a real secret in production")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        shared = EnvSettingsSource(settings_cls, env_prefix="CDV_", case_sensitive=False)
        shared_dotenv = DotEnvSettingsSource(settings_cls, env_file=".env", env_prefix="CDV_", case_sensitive=False)
        # Secrets as files (a database URL with its password, the identity secret…), never in the environment
        # listing of a container: a file per setting, named like its variable.
        secrets_dir = os.environ.get("CDV_SECRETS_DIR")
        files: tuple[PydanticBaseSettingsSource, ...] = ()
        if secrets_dir:
            files = (SecretsSettingsSource(settings_cls, secrets_dir=secrets_dir, case_sensitive=False),
                     SecretsSettingsSource(settings_cls, secrets_dir=secrets_dir, env_prefix="CDV_",
                                           case_sensitive=False))
        return init_settings, env_settings, shared, *files, dotenv_settings, shared_dotenv

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from kernel.settings import KernelSettings


class Settings(KernelSettings):
    model_config = SettingsConfigDict(env_prefix="CDV_NOTIFICATIONS_", env_file=".env", extra="ignore")
    service_name: ClassVar[str] = "notifications"
    default_port: ClassVar[int] = 8104

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    mail_from: str = "contrat-de-ville@nantesmetropole.example"

    # Webhooks (see docs/integration.md, « Webhooks »).
    # Origin named in the CloudEvents validation handshake (`WebHook-Request-Origin`) and on every delivery.
    webhook_origin: str = "contrat-de-ville.nantesmetropole.example"
    # Loopback, private and link-local addresses are refused unless this is set (tests and `make run` set it).
    webhook_allow_private_addresses: bool = False
    webhook_timeout_seconds: float = 10.0  # whole request, answer included
    webhook_poll_seconds: float = 1.0
    webhook_batch_size: int = 50
    webhook_max_attempts: int = 12  # per delivery, then it is given up (replayable from the admin page)
    webhook_backoff_base_seconds: float = 30.0  # 30 s, 1 min, 2 min… with jitter
    webhook_backoff_max_seconds: float = 21600.0
    webhook_disable_after_failures: int = 10  # consecutive failed attempts to one endpoint
    webhook_log_days: int = 90  # deliveries and their attempts are kept this long (the replay horizon)

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

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from kernel.settings import KernelSettings


class Settings(KernelSettings):
    model_config = SettingsConfigDict(env_prefix="CDV_INDICATEURS_", env_file=".env", extra="ignore")
    service_name: ClassVar[str] = "indicateurs"
    default_port: ClassVar[int] = 8102


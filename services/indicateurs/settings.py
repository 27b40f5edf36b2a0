from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from kernel.settings import KernelSettings


class Settings(KernelSettings):
    model_config = SettingsConfigDict(env_prefix="CDV_INDICATEURS_", env_file=".env", extra="ignore")
    service_name: ClassVar[str] = "indicateurs"
    default_port: ClassVar[int] = 8102

    # How often campaigns whose closing day has passed are closed on record (the lock itself is immediate).
    campaign_sweep_seconds: float = 300.0
    # Largest file (CSV or .xlsx) accepted by POST /api/v1/imports (10,000 lines are about 1 MB); 413 past it.
    import_max_bytes: int = 20_000_000

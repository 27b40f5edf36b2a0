from pathlib import Path
from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from kernel.settings import KernelSettings


class Settings(KernelSettings):
    model_config = SettingsConfigDict(env_prefix="CDV_PARTICIPATION_", env_file=".env", extra="ignore")
    service_name: ClassVar[str] = "participation"
    default_port: ClassVar[int] = 8103

    # Where people open the platform: links carried by events (meeting page, documents, pack) start with it.
    public_base_url: str = "http://127.0.0.1:8100"

    # Days before a meeting its agenda must go out, per kind of body (publishing later needs a reason).
    lead_time_copil: int = 15
    lead_time_gtc: int = 10
    lead_time_groupe_thematique: int = 10
    lead_time_interbailleurs: int = 10
    lead_time_inter_associatif: int = 10
    lead_time_conseil_citoyen: int = 7
    lead_time_rdv_politique_de_la_ville: int = 30
    # The meeting page warns once the agenda's deadline is this close (days).
    lead_time_warning_days: int = 5

    # Days a pilot has to answer a conseil citoyen's opinion, until the secretariat sets another delay.
    opinion_answer_days: int = 30

    # Uploaded documents: where they are kept (default <var_dir>/participation-files) and their largest size.
    files_dir: Path | None = None
    upload_max_bytes: int = 10_000_000

    # The inter-associatif's public application form: applications per client address and window, and how long the
    # e-mailed confirmation link works.
    application_rate_limit: int = 5
    application_rate_window_minutes: int = 60
    application_confirm_hours: int = 48
    # Mandats citoyens: days an answering organisation has by default to answer a recommendation.
    recommendation_answer_days: int = 60

    def lead_time(self, body_kind: str) -> int:
        """Required lead time in days for a kind of body (`copil`, `groupe-thematique`…)."""
        return int(getattr(self, "lead_time_" + body_kind.replace("-", "_"), self.lead_time_gtc))

    def documents_dir(self) -> Path:
        path = self.files_dir or self.var_dir / "participation-files"
        path.mkdir(parents=True, exist_ok=True)
        return path

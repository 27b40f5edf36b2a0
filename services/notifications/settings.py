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
    # --- mail out (aiosmtplib) -------------------------------------------------------------------------------------
    mail_from_name: str = "Contrat de ville — Nantes Métropole"
    territory: str = "Agglomération nantaise"  # shown in the e-mails' header
    smtp_starttls: bool = False  # upgrade the connection with STARTTLS (port 587)
    smtp_implicit_tls: bool = False  # TLS from the first byte (port 465)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_seconds: float = 30.0
    # Links in e-mails point to the gateway, the only public site.
    public_url: str = "http://127.0.0.1:8100"
    # --- deliveries --------------------------------------------------------------------------------------------------
    delivery_poll_seconds: float = 1.0  # how often the queue is looked at when idle
    delivery_max_attempts: int = 5
    delivery_backoff_seconds: float = 60.0  # first retry after this, doubled each time…
    delivery_backoff_max_seconds: float = 3600.0  # …up to this
    send_rate_per_second: float = 0.0  # 0: as fast as the SMTP server takes them (some providers limit)
    address_wait_seconds: float = 600.0  # a member's address may arrive shortly after the agenda event
    # --- reminders and digests ---------------------------------------------------------------------------------------
    reminder_sweep_seconds: float = 60.0
    agenda_reminder_days: int = 3  # before the agenda's due day, if it is not published yet
    proposal_reminder_days: int = 5  # before the agenda's due day, members may still propose items
    decision_reminder_days: int = 7  # before a decision's follow-up is due
    campaign_reminder_days: tuple[int, ...] = (7, 2)  # before a collection campaign closes
    reminder_hour: int = 9  # Paris time at which reminders of a day leave
    digest_hour: int = 8  # Paris time at which daily digests leave

    @property
    def mail_domain(self) -> str:
        return self.mail_from.rpartition("@")[2] or "localhost"

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
    recommendation_reminder_days: tuple[int, ...] = (14, 3)  # before a mandat citoyen's recommendation's answer is due
    campaign_reminder_days: tuple[int, ...] = (7, 2)  # before a collection campaign closes
    reminder_hour: int = 9  # Paris time at which reminders of a day leave
    digest_hour: int = 8  # Paris time at which daily digests leave

    @property
    def mail_domain(self) -> str:
        return self.mail_from.rpartition("@")[2] or "localhost"

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

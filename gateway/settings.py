"""Settings of the gateway (prefix `CDV_GATEWAY_`, with the shared `CDV_` fallback of the kernel)."""

from datetime import date
from pathlib import Path
from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from gateway.processes import GATEWAY, SERVICES
from kernel.settings import KernelSettings


class Settings(KernelSettings):
    model_config = SettingsConfigDict(env_prefix="CDV_GATEWAY_", env_file=".env", extra="ignore")
    service_name: ClassVar[str] = "gateway"
    default_port: ClassVar[int] = GATEWAY.port

    # Shown in the header and titles (the contract itself is data: another agglomeration loads its own).
    territory: str = "Agglomération nantaise"
    # The date of the last COPIL when participation records none (Mes engagements' filter « pas mis à jour depuis le
    # dernier COPIL » takes the last COPIL meeting held there first; the page lets a person give another date).
    last_copil_date: date | None = None
    # Largest request body the gateway reads (an uploaded file): 413 past it, checked while it streams in.
    upload_max_bytes: int = 20_000_000

    # The NATS address integrators are given (in the AsyncAPI document's servers); unset, the NATS URL in force
    # (CDV_NATS_URL). Set it when integrators reach NATS by another name than the services (e.g. tls://…).
    public_nats_url: str | None = None

    # Where the services answer (the gateway is the only one that calls them over HTTP); unset, 127.0.0.1 on
    # the service's port in `gateway.processes`.
    engagements_url: str | None = None
    indicateurs_url: str | None = None
    participation_url: str | None = None
    notifications_url: str | None = None
    service_timeout_seconds: float = 10.0
    # Connections kept to each service, and how long a request waits for a free one before the gateway answers
    # « très sollicité » (503, nothing sent): under overload, a fast clear refusal rather than a queue that grows
    # until requests reach the service older than their signed identity (`identity_ttl_seconds`) and fail.
    service_connections: int = 16
    service_queue_seconds: float = 2.0
    # Connections for the calls a service holds open (the live notices: one per open notification centre).
    service_wait_connections: int = 256
    health_timeout_seconds: float = 2.0
    # The services' answers a page reads are kept in memory until their data changes (`gateway.cache`): a change
    # made elsewhere (an event, another gateway) shows at most this long after it commits. 0: every read is fresh.
    read_memo_seconds: float = 1.0

    # Sessions: a random token in an HttpOnly cookie, its digest in the database.
    session_idle_minutes: int = 120
    session_max_hours: int = 12
    # None: Secure everywhere except in development (plain http://127.0.0.1 while developing).
    cookie_secure: bool | None = None

    # Login throttling: failures counted over a sliding window, per e-mail and per client address.
    login_window_minutes: int = 15
    login_max_failures: int = 5  # per e-mail
    login_max_failures_per_ip: int = 20  # per address: an organisation's staff often share one behind a proxy
    # Reverse proxies (addresses or networks, e.g. ["10.0.0.5"]) whose X-Forwarded-For and X-Forwarded-Proto are
    # believed; empty: none, the peer's own address is the client's (a header anyone can write counts for nothing).
    trusted_proxies: list[str] = []

    @property
    def secure_cookies(self) -> bool:
        return self.cookie_secure if self.cookie_secure is not None else self.environment != "development"

    def service_urls(self) -> dict[str, str]:
        return {p.name: getattr(self, f"{p.name}_url", None) or f"http://127.0.0.1:{p.port}" for p in SERVICES}

    # --- notifications (set-password links, notification centre, caught mails) ---------------------------------------
    # The address people reach the gateway at, for links in e-mails; None: the address of the request.
    public_url: str | None = None
    invitation_hours: int = 72  # an invitation to a new account stays valid this long
    reset_minutes: int = 60  # a "mot de passe oublié" link stays valid this long
    notices_wait_seconds: float = 8.0  # each long-poll of the live notices (below service_timeout_seconds)
    notices_stream_seconds: float = 300.0  # a live stream then ends; the browser reconnects (and is re-checked)
    # Development only: the Maildir of `make run`'s SMTP sink, shown to administrators (None: <var_dir>/mail).
    dev_mail_dir: Path | None = None

    @property
    def caught_mail_dir(self) -> Path | None:
        if self.environment != "development":
            return None
        return self.dev_mail_dir or self.var_dir / "mail"

"""The processes of the platform, written once: the launcher (`make run`), the gateway's service clients, the
integrators' page and the tests all read this list.

Standard library only, and no import of a service: the launcher reads it before anything else is loaded. Each
service's own `settings.py` keeps its default port (a service never imports the gateway); a test checks that
both agree.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Process:
    """One process: `python -m <module>`, settings prefixed `CDV_<NAME>_`, listening on `port` by default."""

    name: str
    module: str
    port: int
    label: str  # its name in French, on the pages (the home page's health panel, error messages)
    readiness: str = "/readyz"  # answers 200 once the process can serve (database, NATS…)

    @property
    def prefix(self) -> str:
        """The settings prefix without `CDV_` and the trailing `_`: `ENGAGEMENTS` (`CDV_ENGAGEMENTS_PORT`)."""
        return self.name.upper()

    @property
    def settings_prefix(self) -> str:
        """`CDV_ENGAGEMENTS_`, the `env_prefix` of the process's settings."""
        return f"CDV_{self.prefix}_"

    @property
    def events_module(self) -> str:
        """The module where a service publishes its events (the integrators' contract)."""
        return f"{self.module}.events"


SERVICES: tuple[Process, ...] = (
    Process("engagements", "services.engagements", 8101, "Engagements"),
    Process("indicateurs", "services.indicateurs", 8102, "Indicateurs"),
    Process("participation", "services.participation", 8103, "Participation"),
    Process("notifications", "services.notifications", 8104, "Notifications"),
)
GATEWAY = Process("gateway", "gateway", 8100, "Passerelle")
PROCESSES: tuple[Process, ...] = (*SERVICES, GATEWAY)
SERVICE_NAMES: tuple[str, ...] = tuple(p.name for p in SERVICES)


def service(name: str) -> Process:
    """The service called `name` (KeyError if there is none)."""
    for process in SERVICES:
        if process.name == name:
            return process
    raise KeyError(name)

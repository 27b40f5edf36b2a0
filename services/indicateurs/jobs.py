"""Periodic jobs of indicateurs, started with the service (`ServiceSpec.background`)."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from kernel.app import ServiceRuntime
from services.indicateurs import service

log = logging.getLogger(__name__)


def campaign_sweeper(every: float) -> Callable[[ServiceRuntime], Awaitable[None]]:
    async def sweep_campaigns(runtime: ServiceRuntime) -> None:
        """Closes on record (with its event) each campaign whose closing day has passed, every `every` seconds."""
        while True:
            try:
                async with runtime.db.session() as session:
                    closed = await service.close_due_campaigns(session, runtime.outbox)
                if closed:
                    log.info("%s campaign(s) closed at their date", closed)
            except Exception:
                log.exception("campaign sweep failed; will retry")
            await asyncio.sleep(every)

    return sweep_campaigns

"""Long-running jobs of the notifications service, started through `ServiceSpec.background`."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from kernel.app import ServiceRuntime
from services.notifications import webhook_http
from services.notifications.settings import Settings
from services.notifications.webhook_dispatch import Dispatcher

log = logging.getLogger(__name__)
PRUNE_EVERY_SECONDS = 3600


def webhook_sender(settings: Settings) -> Callable[[ServiceRuntime], Awaitable[None]]:
    async def send_webhooks(runtime: ServiceRuntime) -> None:
        """Sends due webhook deliveries, polling the queue every `webhook_poll_seconds` when it is empty."""
        last_prune = 0.0
        async with webhook_http.client(settings.webhook_timeout_seconds) as http:
            dispatcher = Dispatcher(runtime.db, http, settings)
            try:
                while True:
                    claimed = 0
                    try:
                        claimed = await dispatcher.run_once()
                        if time.monotonic() - last_prune > PRUNE_EVERY_SECONDS:
                            last_prune = time.monotonic()
                            await dispatcher.prune()
                    except Exception:
                        log.exception("webhook sending failed; will retry")
                    if claimed < settings.webhook_batch_size:
                        await asyncio.sleep(settings.webhook_poll_seconds)
            except asyncio.CancelledError:
                await dispatcher.release_unsent()  # stopping: requests cut short go again at the next start
                raise

    return send_webhooks

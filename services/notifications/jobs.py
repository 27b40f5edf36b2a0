"""The service's long-running jobs (started through `ServiceSpec.background`):

- the delivery worker sends queued e-mails one by one over a reused SMTP connection, with retries and
  backoff, and settles the rows a killed process left mid-way;
- the reminder sweep sends the reminders whose moment has come;
- the digest job queues each person's daily digest once the digest hour has passed;
- the webhook sender posts due webhook deliveries to the integrators' endpoints (`webhook_dispatch`).

Each reads the clock (`now()`) at every turn and keeps its state in the database, so a restart resumes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import date

from kernel.app import ServiceRuntime
from services.notifications import deliveries, digests, messages, people, reminders, webhook_http
from services.notifications.base import now
from services.notifications.mailer import InDoubt, Mailer, Refused, SmtpConfig, Unreachable, Unsendable
from services.notifications.settings import Settings
from services.notifications.webhook_dispatch import Dispatcher

log = logging.getLogger(__name__)
PRUNE_EVERY_SECONDS = 3600
Job = Callable[[ServiceRuntime], Awaitable[None]]


def smtp_config(settings: Settings) -> SmtpConfig:
    return SmtpConfig(host=settings.smtp_host, port=settings.smtp_port, starttls=settings.smtp_starttls,
                      implicit_tls=settings.smtp_implicit_tls, username=settings.smtp_username,
                      password=settings.smtp_password, timeout=settings.smtp_timeout_seconds)


async def send_one(runtime: ServiceRuntime, mailer: Mailer, settings: Settings) -> bool:
    """Sends the next due delivery, if any; False when there was none."""
    db, outbox = runtime.db, runtime.outbox
    lease = settings.smtp_timeout_seconds * 3 + 10
    row = await deliveries.claim_next(db, lease_seconds=lease)
    if row is None:
        return False
    async with db.session() as session:
        recipient = await people.resolve(session, row.recipient_id)
    retry = {"max_attempts": settings.delivery_max_attempts, "backoff_seconds": settings.delivery_backoff_seconds,
             "backoff_max_seconds": settings.delivery_backoff_max_seconds}
    if not recipient.email:
        waited = (now() - row.created_at).total_seconds()
        if recipient.name is None and not recipient.recipient_id.startswith("user:") \
                and waited < settings.address_wait_seconds:
            await deliveries.postpone(db, row.id, min(5.0, settings.address_wait_seconds))
        else:
            reason = ("compte désactivé ou inconnu" if recipient.recipient_id.startswith("user:")
                      else "aucune adresse de courriel connue pour ce membre")
            await deliveries.mark_attempt_failed(db, outbox, row.id, reason=reason, retry=False, **retry)
        return True
    try:
        body = messages.build(row, recipient, settings)
    except Exception as exc:  # noqa: BLE001 - never a stuck row: a message that cannot be built fails, with why
        reason = exc.reason if isinstance(exc, messages.Unbuildable) else f"message impossible à composer ({exc})"
        log.warning("delivery %s to %s failed: %s", row.id, row.recipient_id, reason)
        await deliveries.mark_attempt_failed(db, outbox, row.id, reason=reason, retry=False, **retry)
        return True
    try:
        response = await mailer.send(sender=settings.mail_from, recipient=recipient.email, message=body,
                                     handing_over=lambda: deliveries.mark_handed_over(db, row.id, recipient.email))
    except (Refused, Unreachable) as exc:
        final = await deliveries.mark_attempt_failed(db, outbox, row.id, reason=exc.reason, **retry)
        log.warning("delivery %s to %s %s: %s", row.id, row.recipient_id,
                    "failed" if final else "will be retried", exc.reason)
        return True
    except Unsendable as exc:
        await deliveries.mark_attempt_failed(db, outbox, row.id, reason=exc.reason, retry=False, **retry)
        log.warning("delivery %s to %s failed: %s", row.id, row.recipient_id, exc.reason)
        return True
    except InDoubt as exc:  # handed over, unanswered: sending again could deliver it twice
        log.warning("delivery %s to %s: %s", row.id, row.recipient_id, exc.reason)
        response = exc.reason
    await deliveries.mark_sent(db, outbox, row.id, response=response, address=recipient.email)
    return True


def delivery_worker(settings: Settings) -> Job:
    async def send_deliveries(runtime: ServiceRuntime) -> None:
        """Sends what is due, then waits a little; survives any error (the row stays queued)."""
        mailer = Mailer(smtp_config(settings))
        pause = 1 / settings.send_rate_per_second if settings.send_rate_per_second > 0 else 0
        try:
            while True:
                try:
                    await deliveries.recover(runtime.db, runtime.outbox)
                    while await send_one(runtime, mailer, settings):
                        if pause:
                            await asyncio.sleep(pause)
                    await mailer.close()  # idle: no connection kept open to the server
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("delivery worker failed; will retry")
                await asyncio.sleep(settings.delivery_poll_seconds)
        finally:
            await mailer.close()

    return send_deliveries


def reminder_sweeper(settings: Settings) -> Job:
    async def sweep_reminders(runtime: ServiceRuntime) -> None:
        """Sends due reminders every `reminder_sweep_seconds`."""
        while True:
            try:
                async with runtime.db.session() as session:
                    await reminders.send_due(session, at=now(), settings=settings)
            except Exception:
                log.exception("reminder sweep failed; will retry")
            await asyncio.sleep(settings.reminder_sweep_seconds)

    return sweep_reminders


def digest_sender(settings: Settings) -> Job:
    async def send_daily_digests(runtime: ServiceRuntime) -> None:
        """Once the digest hour has passed each day, queues the day's digests (idempotent per person and day)."""
        done: date | None = None
        while True:
            at = now()
            today = at.astimezone(digests.PARIS).date()
            if done != today and digests.digest_due(at, settings.digest_hour):
                try:
                    async with runtime.db.session() as session:
                        count = await digests.send_digests(session, at=at, domain=settings.mail_domain)
                    done = today
                    if count:
                        log.info("%s daily digest(s) queued", count)
                except Exception:
                    log.exception("digest job failed; will retry")
            await asyncio.sleep(min(settings.reminder_sweep_seconds, 300))

    return send_daily_digests


def webhook_sender(settings: Settings) -> Job:
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


def background_jobs(settings: Settings) -> list[Job]:
    return [delivery_worker(settings), reminder_sweeper(settings), digest_sender(settings), webhook_sender(settings)]

"""Pages of the notifications domain: the notification centre, e-mail preferences and one-click unsubscribe,
set-password links (invitation, reset), the mails caught in development, and the integrators' webhooks (admin)."""

from fastapi import APIRouter

from gateway.pages.notifications import centre, mailbox, passwords, preferences, webhooks

router = APIRouter()
for module in (centre, passwords, preferences, mailbox, webhooks):
    router.include_router(module.router)

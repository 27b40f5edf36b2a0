"""Pages of the notifications domain: the notification centre, e-mail preferences and one-click unsubscribe,
set-password links (invitation, reset), and the mails caught in development."""

from fastapi import APIRouter

from gateway.pages.notifications import centre, mailbox, passwords, preferences

router = APIRouter()
for module in (centre, passwords, preferences, mailbox):
    router.include_router(module.router)

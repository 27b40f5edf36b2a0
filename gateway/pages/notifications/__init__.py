"""Pages of the notifications domain: the notification centre, e-mail preferences and one-click unsubscribe,
set-password links (invitation, reset), and the mails caught in development."""

"""Notifications: consumes the other services' events into an activity feed (e-mail and digests come next)."""

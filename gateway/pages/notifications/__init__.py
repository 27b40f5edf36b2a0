"""Pages of the notifications domain (webhooks administration)."""

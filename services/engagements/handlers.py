"""Engagements consumes no event: it is the source of the catalogue."""

from kernel.consumer import Subscription

SUBSCRIPTIONS: list[Subscription] = []

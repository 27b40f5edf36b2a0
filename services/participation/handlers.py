"""Participation consumes no event yet."""

from kernel.consumer import Subscription

SUBSCRIPTIONS: list[Subscription] = []

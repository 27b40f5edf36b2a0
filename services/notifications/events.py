"""Notifications publishes no event yet; its stream exists for the deliveries it will report."""

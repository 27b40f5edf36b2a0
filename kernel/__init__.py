"""Shared kernel: the mechanics every service and the gateway use (settings, DB, events, NATS, tracing).

Generic code only: it takes parameters and reads no settings at import time. Domain logic stays in the services.
"""

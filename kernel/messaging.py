"""NATS connection and JetStream streams."""

from __future__ import annotations

import asyncio
import logging

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig, StreamSource
from nats.js.errors import NotFoundError

log = logging.getLogger(__name__)

DEAD_LETTER_SERVICE = "dlq"
# Integrators read a mirror of each public stream (`CDV_ENGAGEMENTS_PUBLIC`): their consumers live there, apart
# from the services' own consumers, which they can then neither bind nor change nor delete.
PUBLIC_MIRROR_SUFFIX = "_PUBLIC"


def inbox_prefix(user: str) -> str:
    """Each service gets its replies (API answers, fetched messages) on its own inbox prefix, which a NATS
    permission can reserve to it: no other client may subscribe there and read its messages."""
    return f"_INBOX_{user}"


async def connect(url: str, *, name: str, user: str | None = None, password: str | None = None,
                  attempts: int = 10, inbox_prefix: str = "_INBOX") -> Client:
    """Connects, retrying a few times at start-up; reconnects forever afterwards."""
    delay = 0.2
    for attempt in range(1, attempts + 1):
        try:
            # A comma-separated URL names the servers of a cluster.
            servers = [u.strip() for u in url.split(",") if u.strip()]
            return await nats.connect(servers, name=name, user=user, password=password, inbox_prefix=inbox_prefix,
                                      max_reconnect_attempts=-1, reconnect_time_wait=1, connect_timeout=2)
        except Exception as exc:
            if attempt == attempts:
                raise RuntimeError(f"NATS unreachable at {url}: {exc}") from exc
            log.warning("NATS not reachable at %s (attempt %s): %s", url, attempt, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 3)
    raise AssertionError("unreachable")


def stream_config(name: str, subjects: list[str], replicas: int = 1) -> StreamConfig:
    """A long-retention event log: integrators replay it from the start; duplicates dropped by Nats-Msg-Id."""
    return StreamConfig(
        name=name,
        subjects=subjects,
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        max_age=0,
        num_replicas=replicas,
        duplicate_window=600.0,
    )


def mirror_config(name: str, source: str, replicas: int = 1) -> StreamConfig:
    """A read-only copy of `source` (every message, from the first): what integrators consume."""
    return StreamConfig(name=name, mirror=StreamSource(name=source), retention=RetentionPolicy.LIMITS,
                        storage=StorageType.FILE, discard=DiscardPolicy.OLD, max_age=0, num_replicas=replicas)


async def ensure_stream(js: JetStreamContext, config: StreamConfig) -> None:
    """Creates the stream, or updates it to this configuration (idempotent at every start-up)."""
    try:
        await js.stream_info(config.name)  # type: ignore[arg-type]
    except NotFoundError:
        await js.add_stream(config)
        log.info("stream %s created", config.name)
        return
    await js.update_stream(config)

"""The walking event: an engagement update reaches the notifications feed once, through outbox and NATS."""

from __future__ import annotations

import asyncio

from tests.conftest import auth, identity
from tests.kernel.test_outbox import wait_for

PROGRESS = "cdv.engagements.engagement.progress_updated_v2"


async def test_progress_update_appears_once_in_the_activity_feed(stack) -> None:
    # Engagement 42, Rezé's part: touched by no other test, so the feed count is this test's alone.
    referent = identity("ville-reze", "referent", name="Robin Rezé")
    engagements, feed = stack["engagements"].client, stack["notifications"].client

    async def entries_for_42() -> list[dict]:
        entries = (await feed.get("/api/v1/activity", params={"event_type": PROGRESS, "limit": 500},
                                  headers=auth(referent))).json()
        return [e for e in entries if e["subject"] == "engagement/42" and e["organisation_id"] == "ville-reze"]

    await wait_for(lambda: _settled(stack))
    before = len(await entries_for_42())
    detail = (await engagements.get("/api/v1/engagements/42", headers=auth(referent))).json()
    version = next(p for p in detail["parts"] if p["organisation_id"] == "ville-reze")["version"]
    r = await engagements.patch("/api/v1/engagements/42/parts/ville-reze", headers=auth(referent),
                                json={"version": version, "status": "en_cours", "progress": 55, "comment": "Ateliers"})
    assert r.status_code == 200

    async def one_more() -> bool:
        return len(await entries_for_42()) == before + 1

    await wait_for(one_more)
    newest = (await entries_for_42())[0]
    assert "Favoriser l'éducation artistique et culturelle" in newest["summary"]
    # Running the relay again (as after a restart) publishes nothing twice; the feed keeps one entry per event.
    await stack["engagements"].runtime.relay.flush()
    await asyncio.sleep(0.5)
    assert len(await entries_for_42()) == before + 1
    assert (await feed.get("/api/v1/activity")).status_code == 401


async def _settled(stack) -> bool:
    return await stack["engagements"].runtime.relay.backlog() == 0


async def test_the_shared_stack_mails_its_own_smtp_server_never_the_default_one(stack, stack_smtp_port) -> None:
    """A developer's `make run` mailbox listens on the default port: the tests' stack must not send there."""
    from services.notifications.settings import Settings

    port = stack["notifications"].runtime.settings.smtp_port  # type: ignore[attr-defined]
    assert port == stack_smtp_port and port != Settings.model_fields["smtp_port"].default

"""Webhooks end to end: real events from the indicateurs service, through NATS and the notifications service's
queue, to a real HTTP receiver that verifies each signature with the `standardwebhooks` library."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from kernel.events import CloudEvent, stream_name, subject_for
from kernel.messaging import ensure_stream, stream_config
from services.indicateurs.events import CampaignClosed
from tests.conftest import ADMIN, auth, identity
from tests.kernel.test_outbox import wait_for
from tests.notifications.webhooks.conftest import FAST, SECRETARIAT, open_campaign, register, wait_until
from tests.notifications.webhooks.receiver import ORIGIN, Receiver

pytestmark = pytest.mark.usefixtures("hooks")


def header(request: Any, name: str) -> str:
    return {k.lower(): v for k, v in request.headers.items()}[name.lower()]


async def deliveries(notif: Any, endpoint_id: str) -> list[dict[str, Any]]:
    r = await notif.client.get(f"/api/v1/webhooks/{endpoint_id}/deliveries", headers=auth(ADMIN))
    assert r.status_code == 200, r.text
    return r.json()


async def all_delivered(notif: Any, endpoint_id: str, count: int) -> list[dict[str, Any]]:
    """The endpoint's log once `count` deliveries are recorded as delivered (the receiver sees each one just
    before the platform records its answer)."""
    async def done() -> bool:
        return sum(d["status"] == "delivered" for d in await deliveries(notif, endpoint_id)) == count

    await wait_for(done)
    return await deliveries(notif, endpoint_id)


async def test_real_event_arrives_signed_in_cloudevents_structured_mode(hooks, receivers) -> None:
    notif, ind = hooks["notifications"], hooks["indicateurs"]
    receiver = receivers()
    endpoint = await register(notif, receiver, "cdv.indicateurs.campaign.*")
    assert endpoint["validated"] and endpoint["secret"].startswith("whsec_")
    # The handshake came first, as the CloudEvents webhook spec asks.
    [options] = receiver.requests
    assert options.method == "OPTIONS" and header(options, "WebHook-Request-Origin") == ORIGIN
    # The secret is shown once: never listed again.
    listed = (await notif.client.get("/api/v1/webhooks", headers=auth(ADMIN))).text
    assert endpoint["secret"] not in listed and '"secret"' not in listed

    campaign = await open_campaign(ind)
    await wait_until(lambda: len(receiver.events) == 1)
    [post] = receiver.posts()
    assert post.status == 204  # the example receiver verified the signature before accepting
    event = receiver.events[0]
    assert event["type"] == "cdv.indicateurs.campaign.opened_v2" and event["specversion"] == "1.0"
    assert event["data"]["period"] == campaign["period"] and event["source"] == "/cdv/indicateurs"
    assert header(post, "Content-Type").startswith("application/cloudevents+json")
    assert header(post, "webhook-id") == event["id"]
    assert header(post, "WebHook-Request-Origin") == ORIGIN

    signer = Webhook(receiver.secret)
    assert signer.verify(post.body, post.headers)["id"] == event["id"]
    tampered = post.body.replace(campaign["period"].encode(), b"1999")
    with pytest.raises(WebhookVerificationError):
        signer.verify(tampered, post.headers)
    with pytest.raises(WebhookVerificationError):  # another key
        Webhook("whsec_" + "A" * 43).verify(post.body, post.headers)
    # A captured message replayed ten minutes later: its signature is genuine, its timestamp too old.
    later = datetime.now(UTC) - timedelta(minutes=10)
    replayed = {"webhook-id": event["id"], "webhook-timestamp": str(int(later.timestamp())),
                "webhook-signature": signer.sign(event["id"], later, post.body.decode()),
                "Content-Type": "application/cloudevents+json"}
    with pytest.raises(WebhookVerificationError, match="too old"):
        signer.verify(post.body, replayed)
    async with httpx.AsyncClient() as http:
        assert (await http.post(receiver.url, content=post.body, headers=replayed)).status_code == 401
        moved = {**post.headers, "webhook-timestamp": str(int(datetime.now(UTC).timestamp()) + 1)}
        assert (await http.post(receiver.url, content=post.body, headers=moved)).status_code == 401
    assert len(receiver.events) == 1

    [logged] = await all_delivered(notif, endpoint["id"], 1)
    assert logged["attempts"] == 1 and logged["event_id"] == event["id"]
    detail = (await notif.client.get(f"/api/v1/webhooks/deliveries/{logged['id']}", headers=auth(ADMIN))).json()
    [attempt] = detail["attempt_log"]
    assert attempt["ok"] and attempt["status_code"] == 204 and attempt["duration_ms"] >= 0
    assert json.loads(detail["body"])["id"] == event["id"]


async def test_same_event_delivered_twice_by_nats_is_sent_once(hooks, hooks_namespace, receivers, js) -> None:
    notif = hooks["notifications"]
    receiver = receivers()
    endpoint = await register(notif, receiver, "cdv.indicateurs.campaign.closed_v2")
    closed = [CloudEvent.wrap(CampaignClosed(campaign_id=900 + i, title="Collecte", period="2030",
                                             closes_on="2030-12-31", automatic=True),
                              source="/cdv/indicateurs", subject=f"campaign/{900 + i}") for i in range(2)]
    subject = subject_for(closed[0].type, hooks_namespace)
    # Without Nats-Msg-Id JetStream keeps both copies, as after a re-publish past its deduplication window.
    for envelope in (closed[0], closed[0], closed[1]):
        await js.publish(subject, envelope.model_dump_json().encode())
    await wait_until(lambda: len(receiver.events) == 2)  # the second event comes after the copies, in order
    await asyncio.sleep(0.5)
    assert [e["id"] for e in receiver.events] == [closed[0].id, closed[1].id]
    assert len(await deliveries(notif, endpoint["id"])) == 2


async def test_receiver_down_gets_the_delivery_later(hooks, receivers) -> None:
    notif, ind = hooks["notifications"], hooks["indicateurs"]
    receiver = receivers()
    endpoint = await register(notif, receiver, "cdv.indicateurs.campaign.opened_v2")
    receiver.stop()
    await open_campaign(ind)

    async def failed_once() -> bool:
        found = await deliveries(notif, endpoint["id"])
        return bool(found) and found[0]["attempts"] >= 1

    await wait_for(failed_once)
    [waiting] = await deliveries(notif, endpoint["id"])
    assert waiting["status"] == "pending" and "Connexion impossible" in waiting["last_error"]
    receiver.start()  # back on the same port
    await wait_until(lambda: len(receiver.events) == 1)
    await all_delivered(notif, endpoint["id"], 1)
    detail = (await notif.client.get(f"/api/v1/webhooks/deliveries/{waiting['id']}", headers=auth(ADMIN))).json()
    assert detail["status"] == "delivered"
    log = detail["attempt_log"]  # newest first
    assert log[0]["ok"] and log[0]["status_code"] == 204
    assert all(not a["ok"] and a["status_code"] is None and "Connexion impossible" in a["error"] for a in log[1:])
    assert len(log) >= 2


async def test_endpoint_refusing_the_handshake_receives_nothing(hooks, receivers) -> None:
    notif, ind = hooks["notifications"], hooks["indicateurs"]
    refusing, control = receivers(consent=False), receivers()
    refused = await register(notif, refusing, "cdv.indicateurs.>")
    assert not refused["validated"] and "WebHook-Allowed-Origin" in refused["handshake"]
    await register(notif, control, "cdv.indicateurs.>")
    await open_campaign(ind)
    await wait_until(lambda: len(control.events) == 1)
    await asyncio.sleep(0.5)
    assert [r.method for r in refusing.requests] == ["OPTIONS"]
    assert await deliveries(notif, refused["id"]) == []
    # Once the receiver consents, revalidation lets the next events through.
    refusing.consent = True
    r = await notif.client.post(f"/api/v1/webhooks/{refused['id']}/validate", headers=auth(ADMIN))
    assert r.status_code == 200 and r.json()["validated"]
    await open_campaign(ind)
    await wait_until(lambda: len(refusing.events) == 1)


async def test_endpoint_disabled_after_repeated_failures_with_a_notice(hooks, receivers) -> None:
    notif, ind = hooks["notifications"], hooks["indicateurs"]
    receiver = receivers(answer=500)
    endpoint = await register(notif, receiver, "cdv.indicateurs.campaign.opened_v2")
    await open_campaign(ind)

    async def disabled() -> bool:
        r = await notif.client.get(f"/api/v1/webhooks/{endpoint['id']}", headers=auth(ADMIN))
        return not r.json()["enabled"]

    await wait_for(disabled, timeout=20)
    failures = FAST["webhook_disable_after_failures"]
    state = (await notif.client.get(f"/api/v1/webhooks/{endpoint['id']}", headers=auth(ADMIN))).json()
    assert f"{failures} échecs consécutifs" in state["disabled_reason"] and state["counts"]["pending"] == 1
    notices = (await notif.client.get("/api/v1/webhooks/notices", headers=auth(ADMIN))).json()
    [notice] = [n for n in notices if n["endpoint_id"] == endpoint["id"]]
    assert notice["kind"] == "endpoint_disabled" and receiver.url in notice["message"]
    [waiting] = await deliveries(notif, endpoint["id"])
    detail = (await notif.client.get(f"/api/v1/webhooks/deliveries/{waiting['id']}", headers=auth(ADMIN))).json()
    assert len(detail["attempt_log"]) == failures
    assert all(a["status_code"] == 500 and a["answer"].startswith("Erreur interne") and len(a["answer"]) == 1000
               for a in detail["attempt_log"])
    await asyncio.sleep(1.5)
    assert len(receiver.posts()) == failures  # nothing more is tried while disabled

    receiver.answer = None  # repaired
    r = await notif.client.post(f"/api/v1/webhooks/{endpoint['id']}/enable", headers=auth(ADMIN))
    assert r.status_code == 200 and r.json()["enabled"]
    await wait_until(lambda: len(receiver.events) == 1)  # what waited goes out
    r = await notif.client.post(f"/api/v1/webhooks/notices/{notice['id']}/dismiss", headers=auth(ADMIN))
    assert r.status_code == 204
    notices = (await notif.client.get("/api/v1/webhooks/notices", headers=auth(ADMIN))).json()
    assert notice["id"] not in [n["id"] for n in notices]


async def test_replay_one_delivery_and_a_type_since_a_date(hooks, receivers) -> None:
    notif, ind = hooks["notifications"], hooks["indicateurs"]
    receiver = receivers()
    endpoint = await register(notif, receiver, "cdv.indicateurs.campaign.opened_v2",
                              "cdv.indicateurs.campaign.closed_v2")
    since = datetime.now(UTC) - timedelta(seconds=1)
    campaign = await open_campaign(ind)
    r = await ind.client.post(f"/api/v1/campaigns/{campaign['id']}/close", headers=auth(SECRETARIAT),
                              json={"reason": "Collecte terminée"})
    assert r.status_code == 200, r.text
    await wait_until(lambda: len(receiver.events) == 2)
    opened = next(d for d in await all_delivered(notif, endpoint["id"], 2) if d["event_type"].endswith("opened_v2"))

    r = await notif.client.post(f"/api/v1/webhooks/deliveries/{opened['id']}/replay", headers=auth(ADMIN))
    assert r.status_code == 200 and r.json()["replays"] == 1
    await wait_until(lambda: len(receiver.events) == 3)
    assert receiver.events[2]["id"] == opened["event_id"]
    assert header(receiver.posts()[2], "webhook-id") == opened["event_id"]  # same id: receivers can dedupe

    r = await notif.client.post(f"/api/v1/webhooks/{endpoint['id']}/replay", headers=auth(ADMIN),
                                json={"event_type": "cdv.indicateurs.campaign.>", "since": since.isoformat()})
    assert r.status_code == 200 and r.json() == {"count": 2}
    await wait_until(lambda: len(receiver.events) == 5)
    assert sorted(e["type"] for e in receiver.events[3:]) == ["cdv.indicateurs.campaign.closed_v2",
                                                              "cdv.indicateurs.campaign.opened_v2"]
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    r = await notif.client.post(f"/api/v1/webhooks/{endpoint['id']}/replay", headers=auth(ADMIN),
                                json={"event_type": "cdv.indicateurs.>", "since": later})
    assert r.json() == {"count": 0}
    r = await notif.client.post(f"/api/v1/webhooks/{endpoint['id']}/replay", headers=auth(ADMIN),
                                json={"event_type": "cdv.participation-internal.>", "since": later})
    assert r.status_code == 422 and "internes" in r.json()["message"]


async def test_bad_registrations_are_refused_with_a_clear_message(hooks, stack, receivers) -> None:
    notif = hooks["notifications"]
    receiver = receivers()
    cases = [
        ({"url": "ftp://example.org/hooks", "event_types": ["cdv.indicateurs.>"]}, "https://"),
        ({"url": receiver.url, "event_types": []}, "au moins un type"),
        ({"url": receiver.url, "event_types": ["cdv.participation-internal.person.changed"]}, "internes"),
        ({"url": receiver.url, "event_types": ["cdv.inconnu.>"]}, "service inconnu"),
        ({"url": receiver.url, "event_types": ["cdv.indicateurs.>.x"]}, "dernier élément"),
    ]
    for body, expected in cases:
        r = await notif.client.post("/api/v1/webhooks", headers=auth(ADMIN), json=body)
        assert r.status_code == 422 and expected in r.json()["message"], (body, r.text)
    referent = identity("ville-nantes", "referent")
    r = await notif.client.post("/api/v1/webhooks", headers=auth(referent),
                                json={"url": receiver.url, "event_types": ["cdv.indicateurs.>"]})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert (await notif.client.get("/api/v1/webhooks", headers=auth(referent))).status_code == 403
    assert (await notif.client.get("/api/v1/webhooks")).status_code == 401
    # By default (the stack's settings) internal addresses are refused, before any request leaves.
    for url in (receiver.url, "http://localhost:9/x", "http://10.1.2.3/x", "http://[::1]/x", "http://169.254.169.254/"):
        r = await stack["notifications"].client.post("/api/v1/webhooks", headers=auth(ADMIN),
                                                     json={"url": url, "event_types": ["cdv.indicateurs.>"]})
        assert r.status_code == 422 and "adresse interne" in r.json()["message"], (url, r.text)
    assert receiver.requests == []
    assert (await notif.client.get("/api/v1/webhooks", headers=auth(ADMIN))).json() == []


async def test_queue_survives_a_restart_on_postgresql(service_runner, namespaces, database_factory, js) -> None:
    ns = await namespaces()
    url = database_factory("postgres", "hooks_restart")
    await ensure_stream(js, stream_config(stream_name(ns, "indicateurs"), [f"{ns}.indicateurs.>"]))
    receiver = Receiver().start()
    try:
        async with service_runner("notifications", backend="postgres", database_url=url, event_namespace=ns,
                                  **FAST) as notif:
            endpoint = await register(notif, receiver, "cdv.indicateurs.>")
            receiver.stop()
            event = CloudEvent.wrap(CampaignClosed(campaign_id=1, title="Collecte", period="2030",
                                                   closes_on="2030-12-31", automatic=True),
                                    source="/cdv/indicateurs", subject="campaign/1")
            await js.publish(subject_for(event.type, ns), event.model_dump_json().encode(),
                             headers={"Nats-Msg-Id": event.id})

            async def tried() -> bool:
                found = await deliveries(notif, endpoint["id"])
                return bool(found) and found[0]["attempts"] >= 1

            await wait_for(tried)
        receiver.start()
        async with service_runner("notifications", backend="postgres", database_url=url, event_namespace=ns,
                                  **FAST):
            await wait_until(lambda: len(receiver.events) == 1)
        assert receiver.events[0]["id"] == event.id
    finally:
        receiver.stop()


async def test_slow_receiver_times_out_and_gets_it_later(hooks, receivers) -> None:
    notif, ind = hooks["notifications"], hooks["indicateurs"]
    receiver = receivers(delay=FAST["webhook_timeout_seconds"] + 1.5)
    endpoint = await register(notif, receiver, "cdv.indicateurs.campaign.opened_v2")
    await open_campaign(ind)

    async def timed_out() -> bool:
        found = await deliveries(notif, endpoint["id"])
        return bool(found) and "Délai dépassé" in (found[0]["last_error"] or "")

    await wait_for(timed_out)
    receiver.delay = 0
    await wait_until(lambda: len(receiver.events) >= 1)
    [done] = await all_delivered(notif, endpoint["id"], 1)
    assert done["attempts"] >= 2


async def test_gone_disables_at_once(hooks, receivers) -> None:
    notif, ind = hooks["notifications"], hooks["indicateurs"]
    receiver = receivers(answer=410)
    endpoint = await register(notif, receiver, "cdv.indicateurs.campaign.opened_v2")
    await open_campaign(ind)

    async def disabled() -> bool:
        return not (await notif.client.get(f"/api/v1/webhooks/{endpoint['id']}", headers=auth(ADMIN))).json()["enabled"]

    await wait_for(disabled)
    state = (await notif.client.get(f"/api/v1/webhooks/{endpoint['id']}", headers=auth(ADMIN))).json()
    assert "410" in state["disabled_reason"] and len(receiver.posts()) == 1


async def test_rotated_secret_signs_with_both_keys_for_a_while(hooks, receivers) -> None:
    notif, ind = hooks["notifications"], hooks["indicateurs"]
    receiver = receivers()
    endpoint = await register(notif, receiver, "cdv.indicateurs.campaign.opened_v2")
    old = receiver.secret
    r = await notif.client.post(f"/api/v1/webhooks/{endpoint['id']}/rotate-secret", headers=auth(ADMIN))
    assert r.status_code == 200
    new = r.json()["secret"]
    assert new != old and new.startswith("whsec_")
    await open_campaign(ind)
    await wait_until(lambda: len(receiver.events) == 1)  # the receiver still holds the old secret
    [post] = receiver.posts()
    assert len(header(post, "webhook-signature").split(" ")) == 2
    for key in (old, new):
        assert Webhook(key).verify(post.body, post.headers)["id"] == receiver.events[0]["id"]

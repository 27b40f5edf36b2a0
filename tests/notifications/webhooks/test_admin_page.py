"""The webhooks admin page through the gateway, onto the real notifications service: register (secret shown
once, CSRF required), follow the delivery log, replay; administrators only."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from gateway.app import create_app
from tests.conftest import Running
from tests.gateway.conftest import Gateway, gateway_settings
from tests.notifications.webhooks.conftest import open_campaign, wait_until

SECRET = re.compile(r'<code class="secret">(whsec_[^<]+)</code>')


@pytest.fixture
async def gateway(hooks: dict[str, Running], tmp_path: Path) -> AsyncIterator[Gateway]:
    settings = gateway_settings(tmp_path)
    transports = {"notifications": httpx.ASGITransport(app=hooks["notifications"].app, raise_app_exceptions=False)}
    app = create_app(settings, transports=transports)
    async with app.router.lifespan_context(app):
        yield Gateway(app, settings)


async def test_admin_registers_follows_and_replays_a_webhook(gateway, hooks, receivers) -> None:
    receiver = receivers()
    admin = await gateway.account(None, "admin", name="Alex Admin")
    async with gateway.client() as browser:
        csrf = await gateway.logged_in(browser, admin)
        page = await browser.get("/admin/webhooks")
        assert page.status_code == 200 and "<h1>Webhooks</h1>" in page.text
        assert 'href="/admin/webhooks" aria-current="page"' in page.text  # in the admin nav
        assert "cdv.participation-internal" not in page.text  # internal types are never offered
        form = {"url": receiver.url, "description": "Observatoire",
                "event_types": ["cdv.indicateurs.campaign.opened_v2"],
                "other_types": ""}

        refused = await browser.post("/admin/webhooks", data=form)  # no CSRF token
        assert refused.status_code == 403 and receiver.requests == []

        bad = await browser.post("/admin/webhooks", data={**form, "url": "ftp://x", "csrf_token": csrf})
        assert bad.status_code == 422 and "https://" in html.unescape(bad.text) and 'aria-invalid="true"' in bad.text

        created = await browser.post("/admin/webhooks", data={**form, "csrf_token": csrf})
        assert created.status_code == 201, created.text
        assert "enregistré et validé" in html.unescape(created.text)
        receiver.secret = SECRET.search(created.text)[1]  # type: ignore[index]
        listing = await browser.get("/admin/webhooks")
        assert receiver.url in listing.text and receiver.secret not in listing.text  # shown once
        endpoint_id = re.search(r'href="/admin/webhooks/([0-9a-f]{32})"', listing.text)[1]  # type: ignore[index]

        await open_campaign(hooks["indicateurs"])
        await wait_until(lambda: len(receiver.events) == 1)
        journal = await browser.get(f"/admin/webhooks/{endpoint_id}")
        assert "cdv.indicateurs.campaign.opened_v2" in journal.text and ">remise<" in journal.text
        delivery_id = re.search(r'href="/admin/webhooks/livraisons/(\d+)"', journal.text)[1]  # type: ignore[index]
        detail = await browser.get(f"/admin/webhooks/livraisons/{delivery_id}")
        assert ">réussie<" in detail.text and "204" in detail.text and receiver.events[0]["id"] in detail.text

        replayed = await browser.post(f"/admin/webhooks/livraisons/{delivery_id}/renvoyer", data={"csrf_token": csrf})
        assert replayed.status_code == 303 and replayed.headers["location"].endswith("maj=renvoi")
        await wait_until(lambda: len(receiver.events) == 2)
        assert receiver.events[1]["id"] == receiver.events[0]["id"]

        today = (await browser.get(f"/admin/webhooks/{endpoint_id}")).text
        since = re.search(r'name="since" type="date" max="([0-9-]+)"', today)[1]  # type: ignore[index]
        bulk = await browser.post(f"/admin/webhooks/{endpoint_id}/rejouer",
                                  data={"csrf_token": csrf, "event_type": "cdv.indicateurs.>", "since": since})
        assert bulk.status_code == 200 and "1 livraison de « cdv.indicateurs.> »" in html.unescape(bulk.text)
        await wait_until(lambda: len(receiver.events) == 3)

        off = await browser.post(f"/admin/webhooks/{endpoint_id}/desactiver", data={"csrf_token": csrf})
        assert off.status_code == 303
        assert ">désactivé<" in (await browser.get(f"/admin/webhooks/{endpoint_id}")).text
        gone = await browser.post(f"/admin/webhooks/{endpoint_id}/supprimer", data={"csrf_token": csrf})
        assert gone.status_code == 303
        assert receiver.url not in (await browser.get("/admin/webhooks")).text

    referent = await gateway.account("ville-nantes", "referent")
    async with gateway.client() as browser:
        await gateway.logged_in(browser, referent)
        denied = await browser.get("/admin/webhooks")
        assert denied.status_code == 403 and 'href="/admin/webhooks"' not in denied.text


async def test_integrations_page_explains_webhooks(gateway) -> None:
    async with gateway.client() as browser:
        page = html.unescape((await browser.get("/integrations")).text)
    assert 'id="webhooks"' in page and "WebHook-Allowed-Origin" in page
    assert "from standardwebhooks import Webhook" in page and "application/cloudevents+json" in page

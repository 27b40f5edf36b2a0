"""In real Chromium: a referent logs in, sees only its organisation's engagements, updates one inline, sees the
new history entry; an integrator's NATS subscriber receives the matching CloudEvent."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import nats
import pytest
import uvicorn

from gateway import accounts
from gateway.app import create_app
from tests.components import IN_CI, free_port
from tests.conftest import auth, identity
from tests.gateway.conftest import PASSWORD, gateway_settings, transports_for

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CDV_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _chromium() -> str:
    path = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not path:
        message = f"Chromium unavailable: nothing at {CHROMIUM} nor on the PATH"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


async def _serve(app: Any) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            return server, task, f"http://127.0.0.1:{port}"
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    raise RuntimeError("the gateway did not start")


async def test_a_referent_updates_an_engagement_in_chromium(stack, nats_url, namespace, tmp_path) -> None:
    from playwright.async_api import async_playwright, expect

    executable = _chromium()
    engagements_api = stack["engagements"].client
    expected = [e["number"] for e in (await engagements_api.get(
        "/api/v1/engagements", params={"pilot": "ville-nantes"}, headers=auth(identity("ville-nantes")))).json()]

    app = create_app(gateway_settings(tmp_path), transports=transports_for(stack))
    server, task, base = await _serve(app)
    received: list[dict[str, Any]] = []
    arrived = asyncio.Event()

    async def on_event(msg: Any) -> None:
        event = json.loads(msg.data)
        data = event.get("data", {})  # the public view has no comment: this part's next version is ours
        if (data.get("engagement_number"), data.get("organisation_id"), data.get("version")) == (
                number, "ville-nantes", current["version"] + 1):
            received.append(event)
            arrived.set()

    nc = await nats.connect(nats_url)
    try:
        async with app.state.db.session() as session:
            await accounts.create_account(session, email="lea.moreau@nantes.test", name="Léa Moreau",
                                          password=PASSWORD, roles=["referent"], organisation_id="ville-nantes",
                                          organisation_name="Ville de Nantes")
        number = expected[0]
        detail = (await engagements_api.get(f"/api/v1/engagements/{number}", headers=auth(identity()))).json()
        current = next(p for p in detail["parts"] if p["organisation_id"] == "ville-nantes")
        chosen = "realise" if current["status"] != "realise" else "en_cours"
        comment = f"Mis à jour depuis Chromium (version {current['version']})."
        # The integrator subscribes before anyone acts (core NATS sees what the services publish to JetStream).
        await nc.subscribe(f"{namespace}.engagements.engagement.progress_updated_v2", cb=on_event)
        await nc.flush()

        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            page = await browser.new_page()
            # Every Content-Security-Policy violation of every page is counted (htmx must need no exception).
            await page.add_init_script("window.__csp = []; document.addEventListener('securitypolicyviolation',"
                                       " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")
            problems: list[str] = []
            expected_422 = "the server responded with a status of 422"  # the invalid value below, on purpose
            page.on("console", lambda m: problems.append(m.text)
                    if m.type == "error" and expected_422 not in m.text else None)
            page.on("pageerror", lambda e: problems.append(str(e)))

            await page.goto(f"{base}/mes-engagements")  # anonymous: sent to the login page
            await expect(page).to_have_url(f"{base}/connexion?next=/mes-engagements")
            await page.get_by_label("Adresse e-mail").fill("lea.moreau@nantes.test")
            await page.get_by_label("Mot de passe").fill(PASSWORD)
            await page.get_by_role("button", name="Se connecter").click()
            await expect(page).to_have_url(f"{base}/mes-engagements")
            await expect(page.get_by_role("heading", name="Mes engagements", level=1)).to_be_visible()

            shown = await page.locator("article.card").evaluate_all("cards => cards.map(c => c.id)")
            assert sorted(int(s.removeprefix("engagement-")) for s in shown) == sorted(expected)

            await page.evaluate("window.__sameDocument = true")  # gone if the page reloads
            card = page.locator(f"#engagement-{number}")
            await card.get_by_role("link", name=re.compile("Mettre à jour la part de la Ville de Nantes")).click()
            # A value out of range first: the French message shows next to the field, nothing is saved.
            await card.get_by_label("Avancement estimé (%)").fill("150")
            await card.get_by_role("button", name="Enregistrer").click()
            progress = card.get_by_label("Avancement estimé (%)")
            await expect(progress).to_have_attribute("aria-invalid", "true")
            await expect(page.locator(f"#p{number}-ville-nantes-progress-erreur")).to_have_text(
                "Erreur : L'avancement doit être compris entre 0 et 100 %.")
            await card.get_by_label("Statut", exact=True).select_option(chosen)
            await card.get_by_label("Avancement estimé (%)").fill("65")
            await card.get_by_label("Commentaire", exact=True).fill(comment)
            await card.get_by_role("button", name="Enregistrer").click()
            notice = page.locator(f"#engagement-{number} .notice--success")
            await expect(notice).to_contain_text("Votre mise à jour est enregistrée")
            await expect(notice).to_be_focused()
            await expect(page.locator(f"#engagement-{number} .facts")).to_contain_text("65 %")
            assert await page.evaluate("window.__sameDocument === true"), "the page reloaded instead of a swap"
            assert await page.evaluate("window.__csp") == []

            await page.get_by_role("link", name=f"n° {number} {detail['title']}").click()
            await expect(page).to_have_url(f"{base}/engagements/{number}")
            latest = page.locator(".timeline__item").first
            await expect(latest).to_contain_text("Léa Moreau (Ville de Nantes)")
            await expect(latest).to_contain_text(comment)
            status_word = {"realise": "Réalisé", "en_cours": "En cours"}[chosen]
            # "→" is shown, "devient" is what a screen reader says
            changes = latest.locator(".changes")
            await expect(changes).to_contain_text(
                re.compile(rf"Statut : {re.escape(current['status_label'])} →devient {status_word}"))
            await expect(changes).to_contain_text(
                re.compile(rf"Avancement : {current['progress']} % →devient 65 %"))
            await browser.close()
        assert problems == []  # no script error, no asset or CSP violation

        await asyncio.wait_for(arrived.wait(), timeout=5)
        event = received[0]
        assert event["specversion"] == "1.0"
        assert event["type"] == "cdv.engagements.engagement.progress_updated_v2"
        assert event["data"]["engagement_number"] == number
        assert event["data"]["organisation_id"] == "ville-nantes"
        assert "actor_name" not in event["data"] and "Léa Moreau" not in json.dumps(event)  # the public view
        assert event["data"]["after"]["status"] == chosen and event["data"]["after"]["progress"] == 65
        assert event["data"]["before"]["status"] == current["status"]
    finally:
        await nc.close()
        server.should_exit = True
        await task

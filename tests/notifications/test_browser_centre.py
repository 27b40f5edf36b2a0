"""In real Chromium: a referent keeps the notification centre open; a value of hers is sent back; the notice
arrives live (server-sent events, no reload), the header's unread count follows, and she marks it as read."""

from __future__ import annotations

import pytest

from gateway import notify
from gateway.app import create_app
from services.indicateurs import events as ie
from tests.gateway.conftest import PASSWORD, gateway_settings, transports_for
from tests.gateway.test_browser import CHROMIUM_ARGS, _chromium, _serve

pytestmark = pytest.mark.browser


def submission(event_cls, *, state: str, actor: str, **extra):  # type: ignore[no-untyped-def]
    return event_cls(submission_id=1, contract_id="nm", indicator_id=9101, indicator_label="Chantiers éducatifs",
                     engagement_number=21, period="2026", qpv_id=None, qpv_code=None, value=14, unit="nombre",
                     qualification="provisoire", state=state, organisation_id="ville-reze", actor_name=actor,
                     actor_organisation_id="ville-reze" if state == "soumis" else None, version=1, **extra)


async def test_a_notice_arrives_live_in_the_notification_centre(stack, notifications, bus, tmp_path) -> None:
    from playwright.async_api import async_playwright, expect

    executable = _chromium()
    settings = gateway_settings(tmp_path, notices_wait_seconds=1.0, notices_stream_seconds=60)
    app = create_app(settings, transports=transports_for({**stack, "notifications": notifications}))
    server, task, base = await _serve(app)
    try:
        from gateway import accounts

        async with app.state.db.session() as session:
            ines = await accounts.create_account(session, email="ines.live@exemple.test", name="Inès Direct",
                                                 password=PASSWORD, roles=["referent"],
                                                 organisation_id="ville-reze", organisation_name="Ville de Rezé")
        assert await notify.sync_accounts(app.state.clients, [ines])

        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            page = await browser.new_page()
            await page.add_init_script("window.__csp = []; document.addEventListener('securitypolicyviolation',"
                                       " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
                                       "document.addEventListener('htmx:sseOpen',"
                                       " () => document.documentElement.dataset.sse = 'ouvert');")
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))

            await page.goto(f"{base}/connexion?next=/notifications")
            await page.get_by_label("Adresse e-mail").fill("ines.live@exemple.test")
            await page.get_by_label("Mot de passe").fill(PASSWORD)
            await page.get_by_role("button", name="Se connecter").click()
            await expect(page).to_have_url(f"{base}/notifications")
            await expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
            await expect(page.get_by_text("Aucune notification pour l'instant.")).to_be_visible()
            await page.evaluate("window.__sameDocument = true")
            # The live stream is open before anything happens.
            await expect(page.locator("html[data-sse='ouvert']")).to_have_count(1)

            await bus.publish(submission(ie.SubmissionSubmitted, state="soumis", actor="Inès Direct"))
            await bus.publish(submission(ie.SubmissionRejected, state="a_reprendre", actor="Claire Secrétariat",
                                         reason="Compter les chantiers terminés seulement."))

            item = page.locator(".notice-item").first
            await expect(item).to_contain_text("Valeur à reprendre : Chantiers éducatifs (2026)", timeout=15000)
            await expect(item).to_contain_text("Compter les chantiers terminés seulement.")
            await expect(page.locator("#non-lus")).to_contain_text("1")  # the header's count, live too
            await expect(page.locator("#centre-non-lus")).to_have_text("1")
            assert await page.evaluate("window.__sameDocument === true"), "the page reloaded"

            await item.get_by_role("button", name="Marquer comme lu").click()
            await expect(page.locator(".notice-item--unread")).to_have_count(0)
            await expect(page.locator("#non-lus")).to_have_text("")
            assert await page.evaluate("window.__csp") == []
            await browser.close()
        assert problems == []
    finally:
        server.should_exit = True
        await task

"""In real Chromium, on a 390 px phone screen: a conseil citoyen's member publishes an opinion on an engagement,
then a referent of the engagement's pilot answers it from the engagement page; the answer shows under the opinion
on its public page. No script error, no Content-Security-Policy violation."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest

from gateway import accounts
from gateway.app import create_app
from tests.conftest import auth, paris_today
from tests.gateway.conftest import PASSWORD, gateway_settings, transports_for
from tests.gateway.test_browser import CHROMIUM_ARGS, _chromium, _serve
from tests.gateway.test_conseils_pages import _pilots
from tests.participation.conftest import SECRETARIAT

pytestmark = pytest.mark.browser
CONSEIL = "cc-plaisance"


async def _login(page, base: str, email: str) -> None:
    await page.goto(f"{base}/connexion")
    await page.get_by_label("Adresse e-mail").fill(email)
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()


async def test_a_conseil_citoyen_gives_its_opinion_and_the_pilot_answers_in_chromium(stack, tmp_path) -> None:
    from playwright.async_api import async_playwright, expect

    executable = _chromium()
    tag = uuid.uuid4().hex[:6]
    member_email, pilot_email = f"habitante.{tag}@test.example", f"pilote.{tag}@test.example"
    seated = await stack["participation"].client.post(
        f"/api/v1/bodies/{CONSEIL}/members", headers=auth(SECRETARIAT),
        json={"person": {"name": f"Inès Habitante{tag}", "email": member_email},
              "organisation_id": "conseils-citoyens", "starts_on": str(paris_today() - timedelta(days=5))})
    assert seated.status_code == 201, seated.text
    pilot_org = (await _pilots(stack, 30))[0]
    app = create_app(gateway_settings(tmp_path), transports=transports_for(stack))
    server, task, base = await _serve(app)
    opinion = f"Le city-stade de Plaisance doit être éclairé le soir ({tag})."
    answer = f"L'éclairage sera installé avant l'hiver ({tag})."
    try:
        async with app.state.db.session() as session:
            await accounts.create_account(session, email=member_email, name=f"Inès Habitante{tag}",
                                          password=PASSWORD, roles=["membre"])
            await accounts.create_account(session, email=pilot_email, name="Paul Pilote", password=PASSWORD,
                                          roles=["referent"], organisation_id=pilot_org,
                                          organisation_name=pilot_org)
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            problems: list[str] = []
            for who in ("member", "pilot"):
                context = await browser.new_context(viewport={"width": 390, "height": 844})
                page = await context.new_page()
                await page.add_init_script("window.__csp = []; document.addEventListener('securitypolicyviolation',"
                                           " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")
                page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: problems.append(str(e)))
                if who == "member":
                    await _login(page, base, member_email)
                    await page.goto(f"{base}/conseils-citoyens/{CONSEIL}")
                    form = page.locator("#avis-nouveau")
                    await form.get_by_label("Un engagement du contrat").check()
                    await form.get_by_label("Numéro de l'engagement").fill("30")
                    await form.get_by_label("Avis du conseil").fill(opinion)
                    await form.get_by_role("button", name="Publier l'avis").click()
                    await expect(page).to_have_url(re.compile(r"/avis/[0-9a-f]{32}\?fait=publie$"))
                    await expect(page.locator(".notice--success")).to_contain_text("L'avis est publié")
                    await expect(page.locator("#avis")).to_contain_text(opinion)
                    await expect(page.locator("#avis")).to_contain_text("Réponse attendue")
                    opinion_url = page.url.split("?")[0]
                else:
                    await _login(page, base, pilot_email)
                    await page.goto(f"{base}/engagements/30")
                    card = page.locator(".opinion", has_text=opinion)
                    await card.get_by_label("Réponse de votre organisation").fill(answer)
                    await card.get_by_role("button", name="Publier la réponse").click()
                    await expect(page).to_have_url(re.compile(r"/engagements/30\?avis=repondu#avis-"))
                    await expect(page.locator(".notice--success")).to_contain_text("Votre réponse est publiée")
                    await page.goto(opinion_url)
                    await expect(page.locator(".opinion__answer")).to_contain_text(answer)
                    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
                assert await page.evaluate("window.__csp") == []
                await context.close()
            # The public reads the opinion and its answer, without the member's name.
            context = await browser.new_context(viewport={"width": 390, "height": 844})
            page = await context.new_page()
            await page.goto(opinion_url)
            await expect(page.locator(".opinion__answer")).to_contain_text(answer)
            assert f"Habitante{tag}" not in await page.content()
            await browser.close()
        assert problems == []
    finally:
        server.should_exit = True
        await task

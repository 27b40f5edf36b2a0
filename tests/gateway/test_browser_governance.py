"""In real Chromium, the COPIL secretariat's path: schedule a meeting, compose its agenda, publish it late with a
reason, revise it and see what changed, write the minutes with a decision, and find the decision on the
engagement page. No script error, no Content-Security-Policy violation."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gateway import accounts
from gateway.app import create_app
from tests.gateway.conftest import PASSWORD, gateway_settings, transports_for
from tests.gateway.test_browser import CHROMIUM_ARGS, _chromium, _serve

pytestmark = pytest.mark.browser


async def test_the_secretariat_prepares_a_copil_in_chromium(stack, tmp_path) -> None:
    from playwright.async_api import async_playwright, expect

    executable = _chromium()
    app = create_app(gateway_settings(tmp_path), transports=transports_for(stack))
    server, task, base = await _serve(app)
    # The meeting took place earlier today: its agenda goes out late, its minutes can be published.
    start = datetime.now(ZoneInfo("Europe/Paris")) - timedelta(hours=3)
    end = start + timedelta(hours=1)
    decision = f"Ouvrir une permanence emploi dans chaque QPV ({start:%H%M%S})"
    try:
        async with app.state.db.session() as session:
            await accounts.create_account(session, email="claire.dubois@nantes.test", name="Claire Dubois",
                                          password=PASSWORD, roles=["secretariat"],
                                          organisation_id="nantes-metropole", organisation_name="Nantes Métropole")
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            page = await browser.new_page()
            await page.add_init_script("window.__csp = []; document.addEventListener('securitypolicyviolation',"
                                       " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")
            problems: list[str] = []
            expected = "the server responded with a status of 422"  # the late publication refused on purpose
            page.on("console", lambda m: problems.append(m.text)
                    if m.type == "error" and expected not in m.text else None)
            page.on("pageerror", lambda e: problems.append(str(e)))

            await page.goto(f"{base}/connexion?next=/reunions")
            await page.get_by_label("Adresse e-mail").fill("claire.dubois@nantes.test")
            await page.get_by_label("Mot de passe").fill(PASSWORD)
            await page.get_by_role("button", name="Se connecter").click()
            await expect(page).to_have_url(f"{base}/reunions")

            # Schedule.
            await page.get_by_label("Instance").select_option("copil")
            await page.get_by_label("Titre").fill("COPIL de test")
            await page.get_by_label("Date").fill(start.date().isoformat())
            await page.get_by_label("Heure de début (heure de Paris)").fill(start.strftime("%H:%M"))
            await page.get_by_label("Heure de fin").fill(end.strftime("%H:%M") if end.date() == start.date()
                                                         else "23:59")
            await page.get_by_label("Lieu").fill("Hôtel de Métropole, salle 1")
            await page.get_by_role("button", name="Programmer la réunion").click()
            await expect(page.locator(".notice--success")).to_contain_text("La réunion est programmée")
            await expect(page.locator(".lead-time")).to_contain_text("Échéance dépassée")
            meeting_url = page.url.split("?")[0]

            # Compose.
            for title, engagements in (("Point emploi des jeunes", "17"), ("Point santé", "")):
                form = page.locator("form[action$='/points']")
                await form.get_by_label("Titre du point").fill(title)
                await form.get_by_label("Engagements liés (numéros)").fill(engagements)
                await form.get_by_label("Durée (minutes)").fill("20")
                await form.get_by_role("button", name="Ajouter le point").click()
                await expect(page.locator(".notice--success")).to_contain_text("Le point est enregistré")
            await expect(page.locator(".agenda--draft .agenda__title")).to_have_text(
                ["Point emploi des jeunes", "Point santé"])

            # Publish late: refused without a reason, accepted with one; the reason is shown.
            await page.get_by_role("button", name="Publier l'ordre du jour").click()
            await expect(page.locator("#publication .notice--error")).to_contain_text("Publication tardive")
            await page.get_by_label("Raison du retard").fill("Ordre du jour arrêté en bureau le jour même.")
            await page.get_by_role("button", name="Publier l'ordre du jour").click()
            await expect(page.locator(".notice--success")).to_contain_text("L'ordre du jour est publié")
            await expect(page.locator("#ordre-du-jour-publie")).to_contain_text(
                "Raison donnée par le secrétariat : Ordre du jour arrêté en bureau le jour même.")

            # Revise: move an item up, add one, see what changed, publish version 2.
            await page.get_by_role("button", name="Monter « Point santé »").click()
            await expect(page.locator(".notice--success")).to_contain_text("L'ordre des points est modifié")
            form = page.locator("form[action$='/points']")
            await form.get_by_label("Titre du point").fill("Questions diverses")
            await form.get_by_role("button", name="Ajouter le point").click()
            pending = page.locator("#publication .agenda-changes")
            await expect(pending).to_contain_text("Déplacé Point santé : passe de la position 2 à la position 1")
            await expect(pending).to_contain_text("Ajouté Questions diverses : point ajouté en position 3")
            await page.get_by_label("Raison du retard").fill("Point santé avancé à la demande de l'ARS.")
            await page.get_by_role("button", name="Publier la version 2").click()
            await expect(page.locator(".notice--success")).to_contain_text("La nouvelle version de l'ordre du jour")
            published = page.locator("#ordre-du-jour-publie")
            await expect(published).to_contain_text("Version 2")
            await expect(published.locator(".agenda__title")).to_have_text(
                ["Point santé", "Point emploi des jeunes", "Questions diverses"])
            await published.get_by_text("Ce qui a changé depuis la version 1").click()
            await expect(published.locator(".agenda-changes")).to_contain_text("passe de la position 2 à la position 1")
            await published.get_by_role("link", name="v1").click()
            await expect(page.locator("h1")).to_contain_text("version 1")
            await expect(page.locator(".agenda__title")).to_have_text(["Point emploi des jeunes", "Point santé"])
            await page.goto(meeting_url)

            # Minutes with a decision.
            decisions = page.locator("#decisions")
            await decisions.get_by_label("Décision", exact=True).fill(decision)
            await decisions.get_by_label("Engagements concernés (numéros)").fill("17")
            await decisions.get_by_label("Organisation chargée du suivi").select_option("pole-emploi")
            await decisions.get_by_label("Échéance").fill((start.date() + timedelta(days=60)).isoformat())
            await decisions.get_by_role("button", name="Inscrire la décision").click()
            await expect(page.locator(".notice--success")).to_contain_text("La décision est inscrite au registre")
            await page.get_by_label("Texte du compte rendu").fill("Le COPIL a examiné l'emploi des jeunes.")
            await page.get_by_role("button", name="Publier le compte rendu et ses décisions").click()
            await expect(page.locator(".notice--success")).to_contain_text("Le compte rendu est publié")
            await expect(page.locator("#compte-rendu")).to_contain_text("Le COPIL a examiné l'emploi des jeunes.")

            # The decision on the engagement page.
            await page.get_by_role("link", name="engagement n° 17").first.click()
            await expect(page).to_have_url(re.compile(r"/engagements/17$"))
            await expect(page.locator("#decisions-instances")).to_contain_text(decision)
            await expect(page.locator("#decisions-instances")).to_contain_text("Pôle emploi")
            assert await page.evaluate("window.__csp") == []
            await browser.close()
        assert problems == []
    finally:
        server.should_exit = True
        await task

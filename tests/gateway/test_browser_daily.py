"""In real Chromium, the daily work: the secretariat's validation queue (filter, a selection approved after its
confirmation, one value sent back with a reason, with the keyboard where it matters), then the referent finding the
value sent back on the home page login lands on (« Ce qui vous attend », with its reason), correcting it on the
indicator page and submitting it. No script error, no
Content-Security-Policy violation. Screenshots at 1280 px and 390 px (the queue, Mes engagements with a card open,
the import preview, the home page's service status) go to /tmp/daily-shots/ for a person to look at."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from gateway import accounts
from gateway.app import create_app
from tests.conftest import auth, identity, paris_today
from tests.gateway.conftest import PASSWORD, gateway_settings, transports_for
from tests.gateway.indicator_helpers import SECRETARIAT, definition
from tests.gateway.test_browser import CHROMIUM_ARGS, _chromium, _serve
from tests.gateway.test_browser_indicators import _login, _watch

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("CDV_SHOTS", "/tmp/daily-shots"))
PERIOD = "2037"


async def _shoot(page: Any, name: str) -> None:
    for width, height in ((1280, 900), (390, 844)):
        await page.set_viewport_size({"width": width, "height": height})
        await page.wait_for_timeout(150)
        await page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        await page.screenshot(path=str(SHOTS / f"{name}-{width}-ecran.png"))  # what the first screen shows
    await page.set_viewport_size({"width": 1280, "height": 900})


async def _values(stack: dict[str, Any]) -> dict[str, Any]:
    """Four values waiting for validation (CAF: two; Ville de Nantes: two, one a large jump from last year)."""
    client = stack["indicateurs"].client
    # Indicators no other test of the shared stack uses, so that counts stay each test's own.
    places = await definition(stack, 21, "Nombre de permanences")
    aides = await definition(stack, 23, "Nombre d'espaces de vie sociale")
    children = await definition(stack, 7, "Nombre d'aires de jeux rénovées")
    marches = await definition(stack, 7, "Nombre de temps forts tenus")
    beneficiaries = await definition(stack, 9, "Nombre de rencontres avec les habitants")
    caf, nantes = identity("caf", name="Claude CAF"), identity("ville-nantes", name="Léa Moreau")
    campaign = await client.post("/api/v1/campaigns", headers=auth(SECRETARIAT), json={
        "title": f"Bilan {PERIOD}", "period": PERIOD, "closes_on": (paris_today() + timedelta(days=30)).isoformat()})
    assert campaign.status_code in (201, 409), campaign.text

    async def submit(who: Any, d: dict[str, Any], period: str, value: float, **extra: Any) -> dict[str, Any]:
        r = await client.post("/api/v1/submissions", headers=auth(who),
                              json={"indicator_id": d["id"], "period": period, "value": value, **extra})
        assert r.status_code == 201, r.text
        return r.json()

    past = await submit(nantes, children, str(int(PERIOD) - 1), 40)
    assert (await client.post(f"/api/v1/submissions/{past['id']}/approve", headers=auth(SECRETARIAT))).status_code \
        == 200
    qpv = (aides["qpv"] or [q["id"] for q in (await client.get("/api/v1/qpv", headers=auth(caf))).json()])[0]
    return {"caf_places": await submit(caf, places, PERIOD, 120), "caf_aides": await submit(
                caf, aides, PERIOD, 35, qpv_id=qpv) if aides["by_qpv"] else await submit(caf, aides, PERIOD, 35),
            "nantes_children": await submit(nantes, children, PERIOD, 95, comment="Nouvelle école ouverte."),
            "nantes_marches": await submit(nantes, marches, PERIOD, 6), "to_send_back": beneficiaries}


async def test_the_secretariat_s_queue_and_a_referent_correcting_a_value_sent_back(stack, tmp_path) -> None:
    from playwright.async_api import async_playwright, expect

    executable = _chromium()
    SHOTS.mkdir(parents=True, exist_ok=True)
    values = await _values(stack)
    children = values["to_send_back"]
    app = create_app(gateway_settings(tmp_path, last_copil_date=paris_today()), transports=transports_for(stack))
    server, task, base = await _serve(app)
    try:
        async with app.state.db.session() as session:
            await accounts.create_account(session, email="lea.moreau@nantes.test", name="Léa Moreau",
                                          password=PASSWORD, roles=["referent"], organisation_id="ville-nantes",
                                          organisation_name="Ville de Nantes")
            await accounts.create_account(session, email="claire.dubois@metropole.test", name="Claire Dubois",
                                          password=PASSWORD, roles=["secretariat"],
                                          organisation_id="nantes-metropole", organisation_name="Nantes Métropole")
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            problems: list[str] = []
            secretariat = await (await browser.new_context(viewport={"width": 1280, "height": 900},
                                                           locale="fr-FR")).new_page()
            referent = await (await browser.new_context(viewport={"width": 1280, "height": 900},
                                                        locale="fr-FR")).new_page()
            await _watch(secretariat, problems)
            await _watch(referent, problems, ("the server responded with a status of 404",))

            # --- the secretariat filters the queue ---------------------------------------------------------
            await _login(secretariat, base, "claire.dubois@metropole.test", "/indicateurs/validation")
            await secretariat.evaluate("window.__sameDocument = true")
            queue = secretariat.locator("#file-attente")
            await secretariat.get_by_label("Période").select_option(PERIOD)
            await secretariat.get_by_label("Organisation").select_option("ville-nantes")
            rows = queue.locator("tbody tr")
            await expect(rows).to_have_count(2)
            jump = queue.locator(f"#valeur-{values['nantes_children']['id']}")
            await expect(jump).to_have_class(re.compile("queue__row--flag"))
            await expect(jump).to_contain_text("forte variation")
            await expect(jump).to_contain_text("+138 %")
            await _shoot(secretariat, "file-de-validation")

            # --- a selection, with the keyboard: focus a checkbox, Space ----------------------------------
            await secretariat.get_by_label("Sélectionner : Nombre de temps forts tenus", exact=False).focus()
            await secretariat.keyboard.press("Space")
            await secretariat.get_by_label("Sélectionner : Nombre d'aires de jeux rénovées", exact=False).focus()
            await secretariat.keyboard.press("Space")
            await queue.get_by_role("button", name="Approuver la sélection…").first.click()
            heading = secretariat.get_by_role("heading", name="Approuver 2 valeurs ?")
            await expect(heading).to_be_focused()
            await _shoot(secretariat, "file-de-validation-confirmation")
            await secretariat.keyboard.press("Tab")
            await expect(secretariat.get_by_role("button", name="Oui, approuver ces 2 valeurs")).to_be_focused()
            await secretariat.keyboard.press("Enter")
            done = queue.locator(".notice--success")
            await expect(done).to_contain_text("2 valeurs approuvées")
            await expect(done).to_be_focused()
            await expect(rows).to_have_count(0)

            # --- the CAF's values: one sent back with a reason ---------------------------------------------
            await secretariat.get_by_label("Organisation").select_option("caf")
            await expect(rows).to_have_count(2)
            places_id = values["caf_places"]["id"]
            row = queue.locator(f"#valeur-{places_id}")
            await row.get_by_text("Renvoyer", exact=False).first.click()
            await row.get_by_label("Motif du renvoi").fill("Le chiffre de 2036 était de 60 : vérifiez la source.")
            await row.get_by_role("button", name=re.compile("Renvoyer à la Caisse d'allocations")).click()
            await expect(queue.locator(".notice--success")).to_contain_text("Valeur renvoyée à la Caisse")
            await expect(rows).to_have_count(1)
            assert await secretariat.evaluate("window.__sameDocument === true"), "the page reloaded"

            # --- the secretariat sends back a new value of Nantes, for the referent -----------------------
            fresh = await stack["indicateurs"].client.post("/api/v1/submissions", headers=auth(
                identity("ville-nantes", name="Léa Moreau")), json={
                    "indicator_id": children["id"], "period": PERIOD, "value": 9.5})
            assert fresh.status_code == 201, fresh.text
            await secretariat.get_by_label("Organisation").select_option("ville-nantes")
            row = queue.locator(f"#valeur-{fresh.json()['id']}")
            await row.get_by_text("Renvoyer", exact=False).first.click()
            await row.get_by_label("Motif du renvoi").fill("95 ou 9,5 ? La virgule semble déplacée.")
            await row.get_by_role("button", name=re.compile("Renvoyer à la Ville de Nantes")).click()
            await expect(queue.locator(".notice--success")).to_contain_text("Valeur renvoyée à la Ville de Nantes")

            # --- the referent's morning: home → the value sent back → corrected → submitted ------------------
            await referent.goto(f"{base}/connexion")
            await referent.get_by_label("Adresse e-mail").fill("lea.moreau@nantes.test")
            await referent.get_by_label("Mot de passe").fill(PASSWORD)
            await referent.get_by_role("button", name="Se connecter").click()
            await referent.wait_for_url(f"{base}/accueil")  # login lands on « Ce qui vous attend »
            returned = referent.get_by_role("region", name=re.compile("Valeurs renvoyées à reprendre"))
            await expect(returned).to_contain_text("Motif : 95 ou 9,5 ? La virgule semble déplacée.")
            await expect(referent.get_by_role("region", name="Valeurs à saisir")).to_contain_text(
                "avant le")  # the open campaign's deadline
            await _shoot(referent, "ce-qui-vous-attend")
            await returned.get_by_role("link", name=re.compile(children["label"])).click()
            await expect(referent).to_have_url(re.compile(rf"/indicateurs/{children['id']}\?periode={PERIOD}"))
            card = referent.locator(f"#valeur-{PERIOD}")
            await expect(card).to_contain_text("95 ou 9,5 ? La virgule semble déplacée.")
            await expect(card.locator(".badge")).to_have_text("À reprendre")
            await card.get_by_label("Valeur").fill("96")
            await card.get_by_label("Commentaire").fill("Recompté : 96 inscrits.")
            await card.get_by_role("button", name="Soumettre la correction").click()
            await expect(referent.locator(f"#valeur-{PERIOD} .notice--success")).to_contain_text(
                "Correction enregistrée")
            await expect(referent.locator(f"#valeur-{PERIOD} .badge").first).to_have_text("Soumis")
            await referent.get_by_role("navigation").get_by_role("link", name="Accueil", exact=True).click()
            await expect(referent.get_by_role("heading", name="Ce qui vous attend")).to_be_visible()
            await expect(referent.get_by_role("region", name=re.compile("Valeurs renvoyées"))).to_have_count(0)

            # --- pages for a person to look at ------------------------------------------------------------
            await referent.goto(f"{base}/mes-engagements")
            first = referent.locator("article.card").first
            await first.get_by_role("link", name=re.compile("Mettre à jour la part de la Ville de Nantes")).click()
            await expect(first.locator("form.part-form")).to_have_count(1)
            await expect(first.get_by_label("Statut", exact=True)).to_be_focused()
            await _shoot(referent, "mes-engagements")
            await referent.goto(f"{base}/")
            await expect(referent.locator(".health__item")).to_have_count(5)
            overflow = await referent.evaluate(
                "Array.from(document.querySelectorAll('.health__item')).filter(i => i.scrollWidth > i.clientWidth)"
                ".length")
            assert overflow == 0, "a service status chip overflows at 1280 px"
            await _shoot(referent, "accueil")
            assert await referent.evaluate("window.__csp") == []
            assert await secretariat.evaluate("window.__csp") == []
            await browser.close()
        assert problems == [], problems
        for name in ("file-de-validation", "mes-engagements", "accueil", "ce-qui-vous-attend"):
            assert (SHOTS / f"{name}-1280.png").stat().st_size > 0
    finally:
        server.should_exit = True
        await task

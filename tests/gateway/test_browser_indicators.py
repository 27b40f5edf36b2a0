"""In real Chromium: a referent submits a value on an indicator page, the secretariat (another browser context)
approves it, and the value appears in the data table and as a point of the SVG chart. No script error, no
Content-Security-Policy violation. Screenshots of the indicator page, the import errors and the campaigns page at
1280 px and 390 px go to /tmp/ind-shots/ for a person to look at."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from gateway import accounts
from gateway.app import create_app
from tests.conftest import auth, identity
from tests.gateway.conftest import PASSWORD, gateway_settings, transports_for
from tests.gateway.indicator_helpers import SECRETARIAT, definition
from tests.gateway.test_browser import CHROMIUM_ARGS, _chromium, _serve

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("CDV_SHOTS", "/tmp/ind-shots"))
WATCH_CSP = ("window.__csp = []; document.addEventListener('securitypolicyviolation',"
             " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")


async def _history(stack: dict[str, Any], indicator_id: int) -> None:
    """Approved values of Ville de Nantes for 2019-2023 and a target, so that the chart has a past."""
    client = stack["indicateurs"].client
    nantes = identity("ville-nantes", "referent", name="Historique Nantes")
    for year, value in zip(range(2019, 2024), (310, 335, 298, 362, 401), strict=True):
        r = await client.post("/api/v1/submissions", headers=auth(nantes),
                              json={"indicator_id": indicator_id, "period": str(year), "value": value,
                                    "qualification": "definitif", "source": "Bilan annuel PRE"})
        assert r.status_code == 201, r.text
        r = await client.post(f"/api/v1/submissions/{r.json()['id']}/approve", headers=auth(SECRETARIAT))
        assert r.status_code == 200, r.text
    d = (await client.get(f"/api/v1/definitions/{indicator_id}", headers=auth(SECRETARIAT))).json()
    r = await client.patch(f"/api/v1/definitions/{indicator_id}", headers=auth(SECRETARIAT),
                           json={"version": d["version"], "target": 450, "unit": "personnes"})
    assert r.status_code == 200, r.text


async def _watch(page: Any, problems: list[str], expected: tuple[str, ...] = ()) -> None:
    await page.add_init_script(WATCH_CSP)
    page.on("console", lambda m: problems.append(m.text)
            if m.type == "error" and not any(e in m.text for e in expected) else None)
    page.on("pageerror", lambda e: problems.append(str(e)))


async def _shoot(page: Any, name: str) -> None:
    for width, height in ((1280, 900), (390, 844)):
        await page.set_viewport_size({"width": width, "height": height})
        await page.wait_for_timeout(150)
        await page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    await page.set_viewport_size({"width": 1280, "height": 900})


async def _login(page: Any, base: str, email: str, target: str) -> None:
    await page.goto(f"{base}{target}")
    await page.get_by_label("Adresse e-mail").fill(email)
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url(f"{base}{target}")


async def test_a_value_is_submitted_then_approved_and_charted_in_chromium(stack, tmp_path) -> None:
    from playwright.async_api import async_playwright, expect

    executable = _chromium()
    SHOTS.mkdir(parents=True, exist_ok=True)
    d = await definition(stack, 26, "Nombre d'enfants bénéficiaires")
    await _history(stack, d["id"])
    app = create_app(gateway_settings(tmp_path), transports=transports_for(stack))
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
            referent_ctx = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
            secretariat_ctx = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
            problems: list[str] = []
            # The import below is refused on purpose (422): its console line is expected.
            expected = ("the server responded with a status of 422",)
            referent = await referent_ctx.new_page()
            secretariat = await secretariat_ctx.new_page()
            await _watch(referent, problems, expected)
            await _watch(secretariat, problems)
            page_url = f"/indicateurs/{d['id']}"

            # --- the referent submits a value ------------------------------------------------------------
            await _login(referent, base, "lea.moreau@nantes.test", page_url)
            await expect(referent.get_by_role("heading", level=1)).to_contain_text(d["label"])
            await referent.evaluate("window.__sameDocument = true")
            form = referent.locator("#f-nouvelle")
            # a draft first: kept for the organisation, not sent to the secretariat
            await form.get_by_label("Période").select_option("2025")
            await form.get_by_label("Valeur (personnes)").fill("12,5")
            await form.get_by_role("button", name="Enregistrer en brouillon").click()
            await expect(referent.locator("#valeur-2025 .badge")).to_have_text("Brouillon")
            await expect(referent.locator("#valeur-2025 .notice--success")).to_contain_text(
                "Valeur enregistrée en brouillon (2025 : 12,5\u00a0personnes)")
            await form.get_by_label("Période").select_option("2024")
            await form.get_by_label("Valeur (personnes)").fill("432")
            await form.get_by_label("Provisoire").check()
            await form.get_by_label("Commentaire").fill("Chiffre de la rentrée, à consolider.")
            await form.get_by_label("Source").fill("Tableau de bord PRE")
            await form.get_by_role("button", name="Soumettre au secrétariat").click()
            notice = referent.locator("#valeur-2024 .notice--success")
            await expect(notice).to_contain_text("Valeur enregistrée et soumise au secrétariat")
            await expect(notice).to_be_focused()
            card = referent.locator("#valeur-2024")
            await expect(card.locator(".badge")).to_have_text("Soumis")
            await expect(card).to_contain_text("432\u00a0personnes")
            assert await referent.evaluate("window.__sameDocument === true"), "the page reloaded instead of a swap"

            # --- the secretariat approves it, in another browser context ---------------------------------
            await _login(secretariat, base, "claire.dubois@metropole.test", page_url)
            await secretariat.evaluate("window.__sameDocument = true")
            pending = secretariat.locator("#validation .value-card")
            await expect(pending).to_have_count(1)
            await expect(pending).to_contain_text("Ville de Nantes — 2024")
            await _shoot(secretariat, "indicateur-secretariat-avant-validation")
            await secretariat.get_by_role("button", name="Approuver la valeur de la Ville de Nantes pour 2024").click()
            done = secretariat.locator("#validation .notice--success")
            await expect(done).to_contain_text("Valeur approuvée (2024 : 432\u00a0personnes, Ville de Nantes)")
            await expect(done).to_be_focused()
            row = secretariat.locator("#tableau-serie tbody tr").filter(has=secretariat.get_by_role(
                "rowheader", name="2024", exact=True))
            await expect(row).to_contain_text("432")
            await expect(row.locator("td")).to_contain_text("provisoire")
            point = secretariat.locator('svg.chart .chart__point[data-period="2024"]')
            await expect(point).to_have_count(1)
            assert await point.get_attribute("data-value") == "432.0"
            await expect(point.locator("title")).to_have_text("2024 : 432\u00a0personnes (provisoire)")
            # the point sits higher than 2023's (401) and below the target line (450)
            y_2024 = float(await point.get_attribute("cy"))
            y_2023 = float(await secretariat.locator('svg.chart .chart__point[data-period="2023"]').get_attribute("cy"))
            y_target = float(await secretariat.locator("svg.chart .chart__target").get_attribute("y1"))
            assert y_target < y_2024 < y_2023
            svg = secretariat.locator("svg.chart")
            await expect(svg).to_have_attribute("role", "img")
            await expect(svg).to_have_accessible_name(f"Graphique : {d['label']}")
            await expect(svg).to_have_accessible_description(re.compile(
                r"de 2019 à 2024 .* la cible, 450\u00a0personnes\. Les valeurs exactes figurent dans le tableau"))
            assert await secretariat.evaluate("window.__sameDocument === true")
            await _shoot(secretariat, "indicateur-secretariat")

            # --- the referent sees it approved, in the table too ------------------------------------------
            await referent.reload()
            await expect(referent.locator("#valeur-2024 .badge")).to_have_text("Approuvé")
            await expect(referent.locator("#tableau-serie")).to_contain_text("432")
            await _shoot(referent, "indicateur-referent")

            # --- import errors (referent) ------------------------------------------------------------------
            await referent.goto(f"{base}/indicateurs/import")
            lines = ["indicateur;periode;qpv;valeur;qualification;commentaire;source",
                     f"{d['id']};2025;;120;définitif;;",
                     "99999;2025;;5;provisoire;;",
                     f"{d['id']};2025-S1;;5;provisoire;;",
                     f"{d['id']};2016;;beaucoup;provisoire;;",
                     f"{d['id']};2015;;-3;estimé;;",
                     f"{d['id']};2025;;121;définitif;;"]
            await referent.get_by_label("Fichier (.xlsx ou .csv)").set_input_files(
                {"name": "valeurs-pre.csv", "mimeType": "text/csv", "buffer": ("\n".join(lines) + "\n").encode()})
            await referent.get_by_role("button", name="Vérifier le fichier", exact=True).click()
            refused = referent.locator("#resultat-import .notice--error")
            await expect(refused).to_contain_text("Fichier refusé : 5 lignes invalides")
            await expect(refused).to_be_focused()
            await expect(referent.locator("#resultat-import tbody tr")).to_have_count(5)
            await _shoot(referent, "import-erreurs")

            # --- campaigns (secretariat) -------------------------------------------------------------------
            await secretariat.goto(f"{base}/indicateurs/campagnes")
            await secretariat.get_by_label("Intitulé").fill("Bilan 2034")
            await secretariat.get_by_label("Période").fill("2034")
            await secretariat.get_by_label("Date de clôture").fill("2099-03-31")
            await secretariat.get_by_role("button", name="Ouvrir la campagne").click()
            opened = secretariat.locator(".notice--success")
            await expect(opened).to_contain_text("La campagne « Bilan 2034 » est ouverte jusqu'au 31 mars 2099")
            await _shoot(secretariat, "campagnes")

            assert await referent.evaluate("window.__csp") == []
            assert await secretariat.evaluate("window.__csp") == []
            await browser.close()
        assert problems == [], problems  # no script error, no asset or CSP violation
        for name in ("indicateur-secretariat", "indicateur-referent", "import-erreurs", "campagnes"):
            for width in (1280, 390):
                assert (SHOTS / f"{name}-{width}.png").stat().st_size > 0
    finally:
        server.should_exit = True
        await task

"""In real Chromium, without an account: the resident's path (home → my QPV → an engagement → download the data) on
a 390 px phone, and an axe-core check (vendored in tests/vendor, offline) of the main public pages: no serious or
critical violation, and none wider than a phone, even with what someone typed as one 2,000-character word."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from gateway.app import create_app
from services.participation.models import metadata
from tests.conftest import auth
from tests.gateway.conftest import gateway_settings, transports_for
from tests.gateway.test_browser import CHROMIUM_ARGS, _chromium, _serve
from tests.gateway.test_browser_phone import WIDE_ELEMENTS
from tests.participation.conftest import SECRETARIAT
from tests.participation.test_authorization import PUBLIC
from tests.participation.test_inter_associatif import VALID

pytestmark = pytest.mark.browser
AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe.min.js"
MAIN_PAGES = ("/", "/contrat/engagements", "/contrat/engagements/3", "/quartiers", "/quartiers/malakoff",
              "/actualites", "/ressources", "/donnees-ouvertes", "/inter-associatif")
AXE_RUN = """async () => {
  const result = await axe.run(document);
  return {passed: result.passes.length, serious: result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))};
}"""


async def test_a_resident_goes_from_the_home_to_their_qpv_an_engagement_and_the_data(stack, tmp_path) -> None:
    from playwright.async_api import async_playwright, expect

    executable = _chromium()
    app = create_app(gateway_settings(tmp_path), transports=transports_for(stack))
    server, task, base = await _serve(app)
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            try:
                context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR",
                                                    accept_downloads=True)
                page = await context.new_page()
                await page.goto(base + "/")
                await expect(page.get_by_role("heading", level=1)).to_have_text("Le contrat de ville en un coup d'œil")
                await page.get_by_label("Mon quartier").select_option(label="Malakoff")
                await page.get_by_role("button", name="Voir mon quartier").click()
                await expect(page.get_by_role("heading", level=1)).to_have_text("Malakoff")
                assert await page.evaluate("document.documentElement.scrollWidth") <= 390, \
                    await page.evaluate(WIDE_ELEMENTS)
                await expect(page.get_by_role("heading", name="Le conseil citoyen")).to_be_visible()
                await page.locator("#eng-titre + ul a").first.click()
                await expect(page.get_by_role("heading", level=1)).to_contain_text("Engagement n°")
                await expect(page.get_by_role("heading", name="Les pilotes et leur avancement")).to_be_visible()
                assert await page.evaluate("document.documentElement.scrollWidth") <= 390, \
                    await page.evaluate(WIDE_ELEMENTS)
                await page.get_by_role("link", name="Télécharger les données (CSV, JSON)").click()
                await expect(page.get_by_role("heading", level=1)).to_have_text("Données ouvertes")
                async with page.expect_download() as info:
                    await page.get_by_role("link", name="Télécharger en CSV : Engagements et leur statut").click()
                download = await info.value
                saved = tmp_path / download.suggested_filename
                await download.save_as(saved)
                assert saved.name == "engagements.csv"
                text = saved.read_bytes().decode("utf-8-sig")
                assert text.startswith("number;title;") and "Réussite éducative" in text
            finally:
                await browser.close()
    finally:
        server.should_exit = True
        await task


async def _member_with_one_long_word(stack: dict[str, Any]) -> None:
    """An association of the inter-associatif whose description is one 2,000-character word (the form's limit)."""
    part = stack["participation"]
    applied = await part.client.post("/api/v1/applications", headers=auth(PUBLIC), json=VALID | {
        "association_name": "Mots sans fin", "identifier": "W442000042", "purpose": "x" * 2000,
        "client_address": "203.0.113.42"})
    assert applied.status_code == 202, applied.text
    async with part.runtime.db.session() as session:
        envelopes = (await session.exec(select(metadata.tables["outbox"].c.envelope))).all()
    [link] = [e["data"]["link"] for e in (json.loads(r) for r in envelopes)
              if e["data"].get("application_id") == applied.json()["id"] and "link" in e["data"]]
    confirmed = await part.client.post("/api/v1/applications/confirm", headers=auth(PUBLIC),
                                       json={"token": link.rsplit("/", 1)[1]})
    assert confirmed.status_code == 200, confirmed.text
    accepted = await part.client.post(f"/api/v1/applications/{applied.json()['id']}/decision",
                                      headers=auth(SECRETARIAT),
                                      json={"accepted": True, "version": 2})  # applied, then confirmed
    assert accepted.status_code == 200, accepted.text


async def test_the_main_public_pages_have_no_serious_accessibility_violation(stack, tmp_path) -> None:
    from playwright.async_api import async_playwright

    await _member_with_one_long_word(stack)

    executable = _chromium()
    app = create_app(gateway_settings(tmp_path), transports=transports_for(stack))
    server, task, base = await _serve(app)
    found: dict[str, list[str]] = {}
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            try:
                for width in (1280, 390):
                    # The page's CSP allows no inline script: axe is injected with the CSP set aside for the test.
                    page = await (await browser.new_context(viewport={"width": width, "height": 900},
                                                            locale="fr-FR", bypass_csp=True)).new_page()
                    for path in MAIN_PAGES:
                        response = await page.goto(base + path)
                        assert response is not None and response.status == 200, path
                        await page.add_script_tag(path=str(AXE))
                        result = await page.evaluate(AXE_RUN)
                        assert result["passed"] > 10, (path, result)  # axe did check the page
                        if result["serious"]:
                            found[f"{path} @ {width}px"] = result["serious"]
                        if width == 390:
                            assert await page.evaluate("document.documentElement.scrollWidth") <= 390, \
                                (path, await page.evaluate(WIDE_ELEMENTS))
            finally:
                await browser.close()
    finally:
        server.should_exit = True
        await task
    assert found == {}, found

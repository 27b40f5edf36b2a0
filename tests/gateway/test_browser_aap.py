"""In real Chromium, on a 390 px phone: a resident without an account opens the funded projects from the menu,
filters them by neighbourhood, opens one project and downloads the data; nothing sticks out sideways."""

from __future__ import annotations

import pytest

from gateway.app import create_app
from tests.gateway.conftest import gateway_settings, transports_for
from tests.gateway.test_aap_pages import _year_with_projects
from tests.gateway.test_browser import CHROMIUM_ARGS, _chromium, _serve
from tests.gateway.test_browser_phone import WIDE_ELEMENTS

pytestmark = pytest.mark.browser


async def test_a_resident_opens_the_funded_projects_and_one_project(stack, tmp_path) -> None:
    from playwright.async_api import async_playwright

    await _year_with_projects(stack, 2034)
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
                await page.get_by_role("link", name="Projets financés").click()
                await page.get_by_role("link", name="Appel à projets 2034").click()
                await page.wait_for_url("**/projets-finances/2034")
                assert await page.get_by_role("heading", name="Projets financés en 2034").is_visible()
                assert await page.get_by_text("Projet en attente").count() == 0
                assert await page.get_by_text("Projet n° 2").count() == 0
                width = await page.evaluate("document.documentElement.scrollWidth")
                assert width <= 390, f"the funded projects are {width} px wide: {await page.evaluate(WIDE_ELEMENTS)}"

                await page.get_by_label("Quartier", exact=True).select_option(label="Malakoff")
                await page.get_by_role("button", name="Filtrer").click()
                await page.wait_for_url("**qpv=malakoff**")
                await page.get_by_role("link", name="Théâtre forum à Malakoff").click()
                assert await page.get_by_role("heading", level=1, name="Théâtre forum à Malakoff").is_visible()
                funding = page.get_by_role("row", name="Nantes Métropole")
                assert "5\u202f000 €" in await funding.inner_text()
                assert await page.evaluate("document.documentElement.scrollWidth") <= 390

                await page.get_by_role("link", name="Projets financés en 2034").click()
                async with page.expect_download() as download_info:
                    await page.get_by_role("link", name="tous les projets financés (CSV)").click()
                download = await download_info.value
                text = (await download.path()).read_text(encoding="utf-8")  # type: ignore[union-attr]
                assert download.suggested_filename == "projets-finances.csv"
                # a byte-order mark first, so that a spreadsheet opens it with its accents intact
                assert text.startswith("\ufeffannee;projet_id;association;") and "Théâtre forum à Malakoff" in text
            finally:
                await browser.close()
    finally:
        server.should_exit = True
        await task

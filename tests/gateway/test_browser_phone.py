"""In real Chromium on a phone-sized screen: public pages fit the width (no sideways scrolling)."""

from __future__ import annotations

import pytest

from gateway.app import create_app
from tests.gateway.conftest import gateway_settings, transports_for
from tests.gateway.test_browser import CHROMIUM_ARGS, _chromium, _serve

pytestmark = pytest.mark.browser
WIDE_ELEMENTS = """[...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > 392 && !e.closest('pre, .table-scroll')).slice(0, 8)
    .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


async def test_the_integrations_page_fits_a_390_px_phone(stack, tmp_path) -> None:
    """Long event type names (cdv.participation.agenda_item.decided…) wrap instead of widening the page."""
    from playwright.async_api import async_playwright

    executable = _chromium()
    app = create_app(gateway_settings(tmp_path), transports=transports_for(stack))
    server, task, base = await _serve(app)
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            try:
                page = await (await browser.new_context(viewport={"width": 390, "height": 844},
                                                        locale="fr-FR")).new_page()
                response = await page.goto(base + "/integrations")
                assert response is not None and response.status == 200
                assert await page.locator("code", has_text="cdv.participation.").count() > 0
                width = await page.evaluate("document.documentElement.scrollWidth")
                wide = await page.evaluate(WIDE_ELEMENTS)  # what sticks out, to say so when it fails
                assert width <= 390, f"/integrations is {width} px wide on a 390 px screen: {wide}"
            finally:
                await browser.close()
    finally:
        server.should_exit = True
        await task

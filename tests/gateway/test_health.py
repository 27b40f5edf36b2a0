"""The gateway's own probes, the services' health panel, and what every page is served with."""

from __future__ import annotations

import asyncio
import html
import re
import time

import fastapi.routing
import httpx

from gateway.app import create_app
from kernel.startup import build_routes
from tests.gateway.conftest import gateway_settings, transports_for


async def test_probes(gateway) -> None:
    async with gateway.client() as client:
        assert (await client.get("/healthz")).json() == {"status": "ok", "service": "gateway"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["database"] is True


async def test_the_home_page_shows_each_service_as_available(gateway) -> None:
    # Logged in, `/` is the platform's welcome page with the health panel (without an account: the public portal).
    async with gateway.client() as client:
        await gateway.logged_in(client, await gateway.account("ville-nantes"))
        home = await client.get("/")
        panel = await client.get("/fragments/health", headers={"HX-Request": "true"})
    assert 'hx-get="/fragments/health" hx-trigger="load, every 10s"' in home.text
    pattern = r'data-service="(\w+)">.*?<span class="health__state">(\w+)</span>'
    states = dict(re.findall(pattern, panel.text, re.DOTALL))
    assert states == {"gateway": "disponible", "engagements": "disponible", "indicateurs": "disponible",
                      "participation": "disponible", "notifications": "disponible"}


async def test_a_service_that_does_not_answer_is_shown_unavailable(stack, tmp_path) -> None:
    transports = transports_for(stack)
    del transports["notifications"]  # its URL then points at a closed port
    app = create_app(gateway_settings(tmp_path, notifications_url="http://127.0.0.1:9"), transports=transports)
    async with app.router.lifespan_context(app), \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://gateway") as client:
        panel = (await client.get("/fragments/health")).text
    states = dict(re.findall(r'data-service="(\w+)">.*?<span class="health__state">(\w+)</span>', panel, re.DOTALL))
    assert states["notifications"] == "indisponible" and states["engagements"] == "disponible"
    assert "Certains services ne répondent pas" in panel


async def test_pages_are_served_with_local_assets_and_protective_headers(gateway) -> None:
    async with gateway.client() as client:
        home = await client.get("/")
        assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', home.text)
        for asset in assets:
            assert (await client.get(asset)).status_code == 200, asset
        missing = await client.get("/nulle-part")
    assert any("htmx.min.js" in a for a in assets)
    assert not re.search(r'(?:src|href)="https?://', home.text)  # no CDN
    assert '<html lang="fr">' in home.text and 'href="#contenu"' in home.text
    assert "default-src 'self'" in home.headers["content-security-policy"]
    assert home.headers["x-frame-options"] == "DENY"
    assert missing.status_code == 404 and "Page introuvable" in missing.text


async def test_a_page_whose_service_is_down_says_so_in_french(stack, tmp_path) -> None:
    from tests.gateway.conftest import Gateway

    transports = transports_for(stack)
    del transports["engagements"]
    app = create_app(gateway_settings(tmp_path, engagements_url="http://127.0.0.1:9"), transports=transports)
    async with app.router.lifespan_context(app):
        gateway = Gateway(app, app.state.settings)
        who = await gateway.account("ville-nantes")
        async with gateway.client() as client:
            await gateway.login(client, who.email, who.password)
            page = await client.get("/mes-engagements")
    assert page.status_code == 503
    assert "Le service « Engagements » ne répond pas pour le moment" in html.unescape(page.text)


async def test_a_service_too_busy_to_take_a_request_gets_a_quick_clear_refusal(stack, tmp_path) -> None:
    """Every connection to engagements is taken by a request it does not answer: the next request waits
    `service_queue_seconds` for one, then gets « très sollicité » (503) rather than queueing until its signed
    identity expires."""
    from tests.gateway.conftest import Gateway

    held: list[asyncio.StreamWriter] = []

    async def never_answers(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # reads nothing, answers nothing: the connection stays busy

    server = await asyncio.start_server(never_answers, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transports = transports_for(stack)
    del transports["engagements"]
    settings = gateway_settings(tmp_path, engagements_url=f"http://127.0.0.1:{port}", service_connections=1,
                                service_queue_seconds=0.3, service_timeout_seconds=3, read_memo_seconds=0)
    app = create_app(settings, transports=transports)
    try:
        async with app.router.lifespan_context(app):
            gateway = Gateway(app, app.state.settings)
            who = await gateway.account("ville-nantes")
            async with gateway.client() as client:
                await gateway.login(client, who.email, who.password)
                first = asyncio.create_task(client.get("/engagements/1"))
                while not held:  # the first request holds the only connection
                    await asyncio.sleep(0.01)
                second = await client.get("/engagements/2")
                assert not first.done()  # still waiting for its answer: the second one did not wait for it
                first_page = await first
    finally:
        server.close()
        for writer in held:
            writer.close()
    assert second.status_code == 503 and second.headers["retry-after"] == "5"
    words = html.unescape(second.text)
    assert "Plateforme très sollicitée" in words
    assert "Le service « Engagements » est très sollicité en ce moment" in words and "rien n'a été enregistré" in words
    assert first_page.status_code == 503  # no answer within service_timeout_seconds
    assert "Le service « Engagements » ne répond pas pour le moment" in html.unescape(first_page.text)


async def test_a_call_that_reaches_its_service_after_its_identity_expired_says_the_platform_is_overloaded(
        gateway, monkeypatch) -> None:
    """Requests queued longer than a signed identity lasts (overload): the service refuses them before doing
    anything, and the person reads that the platform is very busy and nothing was saved, not an unexpected
    error."""
    import itsdangerous.timed

    from gateway import clients
    from kernel.identity import sign_identity

    def signed_long_ago(identity, secret, audience):  # as if the call had waited 20 s before reaching the service
        with monkeypatch.context() as m:
            m.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 20)
            return sign_identity(identity, secret, audience)

    async with gateway.client() as client:
        await gateway.logged_in(client, await gateway.account("ville-nantes"))
        monkeypatch.setattr(clients, "sign_identity", signed_long_ago)
        page = await client.get("/engagements/1")
    assert page.status_code == 503 and page.headers["retry-after"] == "5"
    words = html.unescape(page.text)
    assert "Plateforme très sollicitée" in words and "Erreur inattendue" not in words
    assert "Le service « Engagements » est très sollicité en ce moment" in words and "rien n'a été enregistré" in words


async def test_calls_held_open_by_a_service_do_not_take_the_pages_connections(tmp_path) -> None:
    """Each open notification centre holds a call to notifications for seconds (the live notices). They have a
    pool of their own: with every one of the pages' connections would-be taken by them, a page's call to the same
    service still goes through at once."""
    from gateway.clients import ServiceClients
    from tests.conftest import identity

    held: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            if b"/api/v1/notices/wait" in head.split(b"\r\n", 1)[0]:
                held.append(writer)  # held open, as the service does until a notice comes
                return
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n"
                         b'{"unread":0}')
            await writer.drain()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings = gateway_settings(tmp_path, notifications_url=f"http://127.0.0.1:{port}", service_connections=1,
                                service_queue_seconds=0.3, service_timeout_seconds=5)
    clients = ServiceClients(settings)
    calls = clients.on_behalf_of(identity("ville-nantes"))
    try:
        waits = [asyncio.create_task(calls.wait("notifications", "/api/v1/notices/wait", after=0, timeout=8))
                 for _ in range(3)]
        deadline = time.monotonic() + 3
        while len(held) < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert len(held) == 3, "the three waits are held at once"
        assert await calls.get("notifications", "/api/v1/notices/unread") == {"unread": 0}
        assert not any(w.done() for w in waits)
        for w in waits:
            w.cancel()
        await asyncio.gather(*waits, return_exceptions=True)
    finally:
        await clients.aclose()
        server.close()
        for writer in held:
            writer.close()


async def test_once_its_routes_are_built_no_request_works_one_out(monkeypatch, tmp_path) -> None:
    # `kernel.startup.build_routes`, on the gateway's own routers: an unknown address is looked for in every one
    # of them, so without the build this request would work out all 171 routes (a third of a second).
    app = create_app(gateway_settings(tmp_path))
    assert build_routes(app) > 150  # every domain's pages, not only the app's own routes

    def building(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a route worked out during a request")

    monkeypatch.setattr(fastapi.routing, "get_dependant", building)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
        page = await client.get("/page-qui-n-existe-pas")
    assert page.status_code == 404 and "Page introuvable" in page.text

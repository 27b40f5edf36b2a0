"""Logging in and out: sessions, CSRF, throttling, redirection of anonymous visitors."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from gateway.models import WebSession, aware, now
from tests.gateway.conftest import csrf_of

PROTECTED = ("/mes-engagements", "/vue-d-ensemble", "/admin/comptes")  # /engagements/N: see test_public_portal


def _session_cookie(response) -> str | None:  # type: ignore[no-untyped-def]
    return next((h for h in response.headers.get_list("set-cookie") if h.startswith("cdv_session=")), None)


async def test_login_opens_a_session_in_a_protected_cookie(gateway) -> None:
    who = await gateway.account("ville-nantes", name="Léa Moreau")
    async with gateway.client() as client:
        response = await gateway.login(client, who.email.upper(), who.password)  # e-mail in any case
        assert response.status_code == 303
        assert response.headers["location"] == "/accueil"
        cookie = _session_cookie(response)
        assert cookie is not None
        assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Secure" in cookie
        page = await client.get("/mes-engagements")
        assert page.status_code == 200
        assert "Léa Moreau" in page.text and "Se déconnecter" in page.text


async def test_a_wrong_password_or_unknown_email_is_refused_in_french(gateway) -> None:
    who = await gateway.account("ville-nantes")
    async with gateway.client() as client:
        for email, password in ((who.email, "pas-le-bon-mot-de-passe"), ("personne@test.example", who.password)):
            response = await gateway.login(client, email, password)
            assert response.status_code == 401
            assert "Adresse e-mail ou mot de passe incorrect" in response.text
            assert _session_cookie(response) is None
        assert (await client.get("/mes-engagements")).status_code == 303


async def test_five_failures_suspend_logins_for_that_email(gateway) -> None:
    who = await gateway.account("ville-nantes")
    other = await gateway.account("nantes-metropole")
    async with gateway.client() as client:
        statuses = [(await gateway.login(client, who.email, f"mauvais-{i}")).status_code for i in range(5)]
        assert statuses == [401, 401, 401, 401, 429]
        # Even the right password is refused now, with a French explanation and no session.
        response = await gateway.login(client, who.email, who.password)
        assert response.status_code == 429
        assert "Trop de tentatives de connexion" in response.text
        assert "réessayez dans 15 minutes" in response.text
        assert int(response.headers["retry-after"]) > 0
        assert _session_cookie(response) is None
        assert (await client.get("/mes-engagements")).status_code == 303
        # Someone else, from the same address, still logs in (the address limit is higher).
        assert (await gateway.login(client, other.email, other.password)).status_code == 303


async def test_the_login_form_needs_its_csrf_token(gateway) -> None:
    who = await gateway.account("ville-nantes")
    async with gateway.client() as client:
        await client.get("/connexion")
        response = await client.post("/connexion", data={"email": who.email, "password": who.password})
        assert response.status_code == 403
        assert "Vérification de sécurité échouée" in response.text
        assert _session_cookie(response) is None


async def test_logout_needs_the_csrf_token_then_ends_the_session(gateway) -> None:
    who = await gateway.account("ville-nantes")
    async with gateway.client() as client:
        token = await gateway.logged_in(client, who)
        refused = await client.post("/deconnexion")
        assert refused.status_code == 403
        assert (await client.get("/mes-engagements")).status_code == 200  # still logged in
        response = await client.post("/deconnexion", data={"csrf_token": token})
        assert response.status_code == 303 and response.headers["location"] == "/?deconnexion=1"
        assert "Vous êtes déconnecté" in (await client.get("/?deconnexion=1")).text
        assert (await client.get("/mes-engagements")).status_code == 303


async def test_anonymous_visitors_are_sent_to_the_login_page_and_back(gateway) -> None:
    who = await gateway.account("ville-nantes")
    async with gateway.client() as client:
        assert (await client.get("/")).status_code == 200
        for path in PROTECTED:
            response = await client.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"] == f"/connexion?next={path}"
        # An htmx request is told where to go instead (htmx follows HX-Redirect with a full page load).
        response = await client.get("/vue-d-ensemble", headers={"HX-Request": "true"})
        assert response.headers["HX-Redirect"] == "/connexion?next=/vue-d-ensemble"
        # A POST without a session changes nothing and leads to the login page.
        response = await client.post("/engagements/1/parts/ville-nantes", data={"status": "realise"})
        assert response.status_code == 303 and response.headers["location"].startswith("/connexion")
        page = await client.get("/connexion?next=/engagements/7")
        response = await client.post("/connexion", data={"email": who.email, "password": who.password,
                                                          "next": "/engagements/7",
                                                          "csrf_token": csrf_of(page.text)})
        assert response.headers["location"] == "/engagements/7"


async def test_login_never_redirects_to_another_site(gateway) -> None:
    who = await gateway.account("ville-nantes")
    async with gateway.client() as client:
        page = await client.get("/connexion")
        response = await client.post("/connexion", data={"email": who.email, "password": who.password,
                                                          "next": "//evil.example/", "csrf_token": csrf_of(page.text)})
        assert response.headers["location"] == "/accueil"


async def test_a_deactivated_account_loses_its_session_and_cannot_log_in(gateway) -> None:
    from gateway import accounts

    who = await gateway.account("ville-nantes")
    async with gateway.client() as client:
        await gateway.logged_in(client, who)
        async with gateway.app.state.db.session() as session:
            account = await accounts.get_account(session, who.account.id)
            await accounts.set_active(session, account=account, active=False)
        assert (await client.get("/mes-engagements")).status_code == 303
        assert (await gateway.login(client, who.email, who.password)).status_code == 401


async def test_a_session_in_use_stays_open_and_an_idle_one_ends(gateway) -> None:
    """The idle timer moves when a page is used (its write comes behind the request, every few seconds); a
    session unused past the idle limit sends its holder back to the login page."""
    idle = timedelta(minutes=gateway.settings.session_idle_minutes)

    async def set_last_seen(account_id: str, ago: timedelta) -> None:
        async with gateway.app.state.db.session() as session:
            for row in (await session.exec(select(WebSession).where(WebSession.account_id == account_id))).all():
                row.last_seen_at = now() - ago
                session.add(row)
            await session.commit()

    async def last_seen(account_id: str) -> timedelta:
        async with gateway.app.state.db.session() as session:
            row = (await session.exec(select(WebSession).where(WebSession.account_id == account_id))).one()
            return now() - aware(row.last_seen_at)

    busy = await gateway.account("ville-nantes", name="Léa Moreau")
    idler = await gateway.account("caf", name="Karim Référent")
    async with gateway.client() as client, gateway.client() as other:
        await gateway.logged_in(client, busy)
        await gateway.logged_in(other, idler)
        await set_last_seen(busy.account.id, idle - timedelta(minutes=5))  # close to the limit, still open
        await set_last_seen(idler.account.id, idle + timedelta(minutes=1))  # past it
        assert (await client.get("/mes-engagements")).status_code == 200
        async with gateway.app.state.db.session() as session:  # what the app does every few seconds
            await gateway.app.state.session_activity.flush(session)
        assert await last_seen(busy.account.id) < timedelta(minutes=1), "used: its idle timer starts again"
        gone = await other.get("/mes-engagements")
        assert gone.status_code == 303 and gone.headers["location"].startswith("/connexion")

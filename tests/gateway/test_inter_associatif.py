"""Acceptance of the inter-associatif's « appel à participation », end to end on real components: the gateway,
the four services in a namespace of their own (real NATS, SQLite), and a real SMTP server (aiosmtpd).

A resident with no account applies for an association; the confirmation mail arrives; the secretariat accepts;
the association is on the public list, an event is published and the indicator « Nombre d'associations actives »
changes in indicateurs. Bad input, duplicates, oversized forms and the robots' trap; who may do what."""

from __future__ import annotations

import asyncio
import html
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import nats
import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from gateway.app import create_app
from gateway.contract import loader, validation
from services.participation.service.applications import Application
from tests.components import free_port
from tests.conftest import ADMIN, DEFAULT_CONTRACT, Running, auth
from tests.gateway.conftest import Gateway, csrf_of, gateway_settings, transports_for
from tests.notifications.conftest import Sink, link_in, wait_until

INDICATOR = "Nombre d'associations actives dans l'inter-associatif"
APPLICATION = {"association_name": "Quartiers en Musique", "identifier": "W442011223", "qpv_id": "dervallieres",
               "purpose": "Chorale et ateliers de percussions pour les enfants du quartier.",
               "contact_name": "Yasmina Benkacem", "contact_email": "yasmina@asso-musique.test", "consent": "oui"}


@dataclass
class Residents:
    portal: Gateway
    sink: Sink
    services: dict[str, Running]
    namespace: str
    nats_url: str


@pytest.fixture(scope="module")
async def residents(service_runner: Any, namespaces: Any, nats_url: str,
                    tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Residents]:
    """The whole platform with its own namespace and SMTP server (the shared stack's mail is discarded)."""
    ns = await namespaces()
    sink = Sink()
    sink.port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        async with service_runner("engagements", event_namespace=ns) as eng, \
                service_runner("participation", event_namespace=ns, public_base_url="https://cdv.test") as part, \
                service_runner("indicateurs", event_namespace=ns) as ind, \
                service_runner("notifications", event_namespace=ns, smtp_port=sink.port, public_url="https://cdv.test",
                               delivery_poll_seconds=0.1, mail_from="secretariat@cdv.test",
                               reminder_sweep_seconds=3600) as notif:
            await loader.load(validation.load_file(DEFAULT_CONTRACT), participation=part.client,
                              engagements=eng.client, headers=auth(ADMIN))
            services = {"engagements": eng, "participation": part, "indicateurs": ind, "notifications": notif}

            async def definitions_known() -> bool:  # as in production, the contract is read before anyone applies
                found = (await ind.client.get("/api/v1/definitions", params={"engagement": 47},
                                              headers=auth(ADMIN))).json()
                return any(d["label"].startswith(INDICATOR) for d in found)

            await wait_until_async(definitions_known, what="engagement 47's indicators in indicateurs")
            settings = gateway_settings(tmp_path_factory.mktemp("portal"), public_url="https://cdv.test")
            app = create_app(settings, transports=transports_for(services))
            async with app.router.lifespan_context(app):
                yield Residents(Gateway(app, settings), sink, services, ns, nats_url)
    finally:
        controller.stop()


async def _indicator_values(r: Residents) -> list[float]:
    client = r.services["indicateurs"].client
    found = (await client.get("/api/v1/definitions", params={"engagement": 47}, headers=auth(ADMIN))).json()
    definition = next((d for d in found if d["label"].startswith(INDICATOR)), None)
    if definition is None:  # indicateurs has not read the contract's definitions yet
        return []
    values = (await client.get("/api/v1/exports/values.json", params={"indicator": definition["id"]},
                               headers=auth(ADMIN))).json()["values"]
    return [v["value"] for v in values]


async def _applications(r: Residents, name: str) -> list[Application]:
    async with r.services["participation"].runtime.db.session() as session:
        return list((await session.exec(select(Application).where(Application.association_name == name))).all())


async def test_a_resident_applies_confirms_and_is_accepted(residents: Residents) -> None:
    r = residents
    nc = await nats.connect(r.nats_url)
    changes: asyncio.Queue = asyncio.Queue()
    await nc.subscribe(f"{r.namespace}.participation.association.membership_changed", cb=changes.put)
    try:
        async with r.portal.client() as visitor:
            form = await visitor.get("/inter-associatif/candidater")
            assert form.status_code == 200 and "Rejoindre l'inter-associatif" in form.text
            sent = await visitor.post("/inter-associatif/candidater",
                                      data=APPLICATION | {"csrf_token": csrf_of(form.text)})
            assert sent.status_code == 200 and "Vérifiez votre messagerie" in sent.text, sent.text
        await wait_until(lambda: r.sink.to(APPLICATION["contact_email"]), what="the confirmation e-mail")
        [mail] = r.sink.to(APPLICATION["contact_email"])
        assert mail["Subject"] == "Confirmez la candidature de « Quartiers en Musique » à l'inter-associatif"
        link = link_in(mail, "https://cdv.test/inter-associatif/confirmer/")

        async with r.portal.client() as visitor:
            page = await visitor.get(link)
            assert page.status_code == 200 and "Je confirme ma candidature" in page.text
            confirmed = await visitor.post(link, data={"csrf_token": csrf_of(page.text)})
            assert confirmed.status_code == 200 and "C'est confirmé" in confirmed.text, confirmed.text
            public = await visitor.get("/inter-associatif")
            assert "Quartiers en Musique" not in public.text  # not a member yet

        secretariat = await r.portal.account("nantes-metropole", "secretariat", name="Claire Secrétariat")
        async with r.portal.client() as client:
            token = await r.portal.logged_in(client, secretariat)
            home = html.unescape((await client.get("/accueil")).text)  # where the secretariat learns of it
            assert "1 candidature</strong> d'association attend une réponse" in home
            assert 'href="/inter-associatif/candidatures"' in home
            listing = await client.get("/inter-associatif/candidatures")
            assert "Quartiers en Musique" in listing.text and "yasmina@asso-musique.test" in listing.text
            [application] = await _applications(r, "Quartiers en Musique")
            decided = await client.post(f"/inter-associatif/candidatures/{application.id}/decision", data={
                "csrf_token": token, "accepted": "oui", "version": str(application.version), "reason": ""})
            assert decided.status_code == 303, decided.text
            done = await client.get(decided.headers["location"])
            assert "La candidature est acceptée" in done.text
            assert "Candidatures à l'inter-associatif" not in (await client.get("/accueil")).text  # answered

        async with r.portal.client() as visitor:
            public = await visitor.get("/inter-associatif")
            assert "Quartiers en Musique" in public.text and "Yasmina" not in public.text
        event = json.loads((await asyncio.wait_for(changes.get(), 15)).data)
        assert event["data"]["name"] == "Quartiers en Musique" and event["data"]["active_count"] == 1
        assert "yasmina" not in json.dumps(event).lower()

        async def counted() -> bool:
            return await _indicator_values(r) == [1.0]

        await wait_until_async(counted, what="the count of active associations in indicateurs")
        await wait_until(lambda: len(r.sink.to(APPLICATION["contact_email"])) == 2, what="the decision e-mail")
        answer = r.sink.to(APPLICATION["contact_email"])[1]
        assert "acceptée" in answer["Subject"]
    finally:
        await nc.close()


async def wait_until_async(predicate: Any, timeout: float = 20.0, what: str = "condition") -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, f"{what} not reached in time"
        await asyncio.sleep(0.2)


async def _post_form(r: Residents, **changes: str) -> Any:
    async with r.portal.client() as visitor:
        form = await visitor.get("/inter-associatif/candidater")
        data = APPLICATION | {"csrf_token": csrf_of(form.text)} | changes
        return await visitor.post("/inter-associatif/candidater", data=data)


async def test_bad_applications_get_clear_french_errors_and_robots_get_nothing(residents: Residents) -> None:
    r = residents
    bad = await _post_form(r, identifier="W1234", association_name="Asso RNA faux")
    assert bad.status_code == 422 and "Numéro RNA invalide : « W1234 »" in bad.text
    assert 'aria-invalid="true"' in bad.text and 'value="Asso RNA faux"' in bad.text  # what was typed is kept
    siren = await _post_form(r, identifier="732829321", association_name="Asso SIREN faux")
    assert siren.status_code == 422 and "clé de contrôle" in siren.text
    big = await _post_form(r, purpose="x" * 20_000, association_name="Asso bavarde")
    assert big.status_code == 413 and "trop long" in big.text
    long = await _post_form(r, purpose="x" * 2_500, association_name="Asso longue")
    assert long.status_code == 422 and "2000 caractères au plus" in long.text
    robot = await _post_form(r, site_web="http://spam.example", association_name="Robot SARL",
                             identifier="W442099999", contact_email="robot@spam.test")
    assert robot.status_code == 200 and "Vérifiez votre messagerie" in robot.text
    async with r.portal.client() as visitor:
        forged = await visitor.post("/inter-associatif/candidater",
                                    data=APPLICATION | {"csrf_token": "faux", "association_name": "Asso sans jeton"})
        assert forged.status_code == 403 and "Le formulaire a expiré" in forged.text
    for name in ("Asso RNA faux", "Asso SIREN faux", "Asso bavarde", "Asso longue", "Robot SARL", "Asso sans jeton"):
        assert await _applications(r, name) == [], name
    await asyncio.sleep(1)
    assert r.sink.to("robot@spam.test") == []

    duplicate = {"identifier": "W442055555", "association_name": "Asso en double", "contact_email": "d@asso.test"}
    assert (await _post_form(r, **duplicate)).status_code == 200
    [first] = await _applications(r, "Asso en double")
    async with r.services["participation"].runtime.db.session() as session:  # as if the link had been opened
        first.status, first.live_key = "pending", "W442055555"
        session.add(first)
        await session.commit()
    again = await _post_form(r, **duplicate)
    assert again.status_code == 422
    assert "Une candidature de l'association n° W442055555 attend déjà une décision" in html.unescape(again.text)


async def test_who_may_open_the_application_pages(residents: Residents) -> None:
    r = residents
    async with r.portal.client() as visitor:
        assert (await visitor.get("/inter-associatif")).status_code == 200
        assert (await visitor.get("/inter-associatif/candidater")).status_code == 200
        login = await visitor.get("/inter-associatif/candidatures")
        assert login.status_code == 303 and login.headers["location"].startswith("/connexion")
        post = await visitor.post("/inter-associatif/candidatures/x/decision", data={"accepted": "oui"})
        assert post.status_code == 303 and post.headers["location"].startswith("/connexion")
    outsider = await r.portal.account("ville-reze", "referent", name="Référent Rezé")
    coordinator = await r.portal.account("inter-associatif", "referent", name="Coordinatrice")
    member = await r.portal.account(None, "membre", name="Habitante")
    for who in (outsider, member):
        async with r.portal.client() as client:
            token = await r.portal.logged_in(client, who)
            page = await client.get("/inter-associatif/candidatures")
            assert page.status_code == 403 and "coordinateurs de l'inter-associatif" in html.unescape(page.text)
            refused = await client.post("/inter-associatif/candidatures/x/decision",
                                        data={"csrf_token": token, "accepted": "oui", "version": "1"})
            assert refused.status_code in (403, 404)
    async with r.portal.client() as client:
        await r.portal.logged_in(client, coordinator)
        page = await client.get("/inter-associatif/candidatures")
        assert page.status_code == 200 and "Candidatures à l'inter-associatif" in page.text
        assert "Traiter les candidatures" in (await client.get("/inter-associatif")).text

"""Mes engagements at real volume: the biggest pilot's list is compact (no form rendered up front, under 150 KB),
filtered by status, theme (shown with its axis when two share a name), QPV, « not updated since the last COPIL »
and a search; a card opens its form on demand (htmx, or a plain link)."""

from __future__ import annotations

import html
import re

from tests.conftest import auth, identity
from tests.gateway.indicator_helpers import SECRETARIAT
from tests.gateway.test_engagements import HTMX, form, part, piloted_by

CARD = re.compile(r'<article class="card card--compact" id="engagement-(\d+)"')


def cards(text: str) -> list[int]:
    return [int(n) for n in CARD.findall(text)]


async def test_the_biggest_pilot_s_list_is_compact_and_under_150_kb(gateway, stack) -> None:
    expected = await piloted_by(stack, "ville-nantes")
    assert len(expected) == 38, "Ville de Nantes pilots 38 engagements in the default contract"
    who = await gateway.account("ville-nantes", name="Léa Moreau")
    async with gateway.client() as client:
        await gateway.logged_in(client, who)
        page = await client.get("/mes-engagements", headers={"Accept-Encoding": "identity"})
    assert page.status_code == 200
    assert sorted(cards(page.text)) == sorted(expected)
    assert len(page.content) < 150_000, f"Mes engagements weighs {len(page.content)} bytes"
    assert 'class="part-form"' not in page.text, "no form is rendered until a card asks for it"
    assert page.text.count('href="/mes-engagements/') >= 38  # each card's « Mettre à jour » link (no-JS fallback)


async def test_filters_status_theme_qpv_and_search(gateway, stack) -> None:
    numbers = await piloted_by(stack, "ville-reze")
    engagements = stack["engagements"].client
    everything = (await engagements.get("/api/v1/engagements", headers=auth(identity("ville-reze")))).json()
    mine = {e["number"]: e for e in everything if e["number"] in numbers}
    qpv = (await stack["participation"].client.get("/api/v1/qpv", headers=auth(identity()))).json()[0]
    first, second = numbers[0], numbers[1]
    who = await gateway.account("ville-reze", name="Robin Rezé")
    async with gateway.client() as client:
        token = await gateway.logged_in(client, who)
        before = await part(stack, first, "ville-reze")
        await client.post(f"/engagements/{first}/parts/ville-reze", headers={**HTMX, "X-CSRF-Token": token},
                          data={**form(before["version"], status="realise", progress="100"), "qpv": [qpv["id"]]})
        done = await client.get("/mes-engagements?statut=realise", headers={**HTMX, "HX-Target": "resultats"})
        by_qpv = await client.get(f"/mes-engagements?qpv={qpv['id']}")
        theme = mine[second]["theme_id"]
        by_theme = await client.get(f"/mes-engagements?theme={theme}")
        searched = await client.get("/mes-engagements", params={"q": mine[second]["title"].split()[0].upper()})
        by_number = await client.get("/mes-engagements", params={"q": str(second)})
        nothing = await client.get("/mes-engagements", params={"q": "zzzz introuvable"})
        page = (await client.get("/mes-engagements")).text
    assert done.text.lstrip().startswith('<div id="resultats"'), "htmx gets the results alone"
    assert cards(done.text) == [first] and "1 engagement sur" in done.text
    assert cards(by_qpv.text) == [first]
    assert sorted(cards(by_theme.text)) == sorted(n for n, e in mine.items() if e["theme_id"] == theme)
    assert second in cards(searched.text)
    assert cards(by_number.text) == [second]
    assert cards(nothing.text) == [] and "Aucun de vos engagements ne correspond" in nothing.text
    # Two themes share a name in the contract: each is listed with its axis.
    options = re.findall(r'<option value="[^"]+">(Développement économique, emploi, formation[^<]*)</option>',
                         html.unescape(page))
    assert len(options) == 2 and len(set(options)) == 2 and all("(axe " in o for o in options), options


async def test_not_updated_since_the_last_copil(gateway, stack) -> None:
    numbers = await piloted_by(stack, "ville-saint-herblain")
    who = await gateway.account("ville-saint-herblain")
    async with gateway.client() as client:
        token = await gateway.logged_in(client, who)
        before = await part(stack, numbers[0], "ville-saint-herblain")
        await client.post(f"/engagements/{numbers[0]}/parts/ville-saint-herblain",
                          headers={**HTMX, "X-CSRF-Token": token}, data=form(before["version"], progress="12"))
        today = (await part(stack, numbers[0], "ville-saint-herblain"))["updated_at"][:10]
        stale = await client.get(f"/mes-engagements?retard=1&depuis={today}")
        long_ago = await client.get("/mes-engagements?retard=1&depuis=2000-01-01")
    assert numbers[0] not in cards(stale.text) and len(cards(stale.text)) == len(numbers) - 1
    never = [n for n in numbers if (await part(stack, n, "ville-saint-herblain"))["updated_at"] is None]
    assert sorted(cards(long_ago.text)) == sorted(never), "a part never updated counts as not updated"


async def test_a_card_opens_its_form_on_demand_with_or_without_javascript(gateway, stack) -> None:
    number = (await piloted_by(stack, "ville-orvault"))[0]
    who = await gateway.account("ville-orvault")
    async with gateway.client() as client:
        await gateway.logged_in(client, who)
        opened = await client.get(f"/mes-engagements/{number}/modifier", headers=HTMX)
        closed = await client.get(f"/mes-engagements/{number}/carte", headers=HTMX)
        plain = await client.get(f"/mes-engagements/{number}/modifier?statut=a_lancer")
        page = await client.get(plain.headers["location"].split("#")[0])
        other = await client.get("/mes-engagements/9999/modifier", headers=HTMX)
    assert opened.text.lstrip().startswith(f'<article class="card card--compact" id="engagement-{number}"')
    assert opened.text.count('class="part-form"') == 1 and "autofocus" in opened.text
    assert "Fermer sans enregistrer" in opened.text
    assert 'class="part-form"' not in closed.text and cards(closed.text) == [number]
    assert plain.status_code == 303
    assert plain.headers["location"] == f"/mes-engagements?statut=a_lancer&modifier={number}#engagement-{number}"
    assert page.text.count('class="part-form"') == 1, "without JavaScript: the list with that card's form open"
    assert "Mettre à jour la part de la Ville d&#39;Orvault" in page.text or \
        "Mettre à jour la part de la Ville d'Orvault" in page.text
    assert other.status_code == 404


async def test_extraction_notes_are_shown_to_the_secretariat_only(gateway, stack) -> None:
    note = "Le texte dit « Villes » : développé en Nantes, Orvault, Rezé et Saint-Herblain."
    referent = await gateway.account("ville-orvault")
    secretariat = await gateway.account("nantes-metropole", "secretariat")
    async with gateway.client() as ref, gateway.client() as sec:
        await gateway.logged_in(ref, referent)
        await gateway.logged_in(sec, secretariat)
        seen_by_referent = html.unescape((await ref.get("/engagements/48")).text)
        seen_by_secretariat = html.unescape((await sec.get("/engagements/48")).text)
    assert note not in seen_by_referent and 'class="note"' not in seen_by_referent
    assert note in seen_by_secretariat


async def test_the_last_copil_held_comes_from_participation(gateway, stack) -> None:
    participation = stack["participation"].client
    bodies = (await participation.get("/api/v1/bodies", headers=auth(SECRETARIAT))).json()
    copil = next(b for b in bodies if b["kind"] == "copil")
    for day, title in (("2021-03-04", "COPIL de printemps"), ("2021-11-18", "COPIL d'automne")):
        r = await participation.post("/api/v1/meetings", headers=auth(SECRETARIAT), json={
            "body_id": copil["id"], "title": title, "starts_at": f"{day}T14:00"})
        assert r.status_code == 201, r.text
    later = await participation.post("/api/v1/meetings", headers=auth(SECRETARIAT), json={
        "body_id": copil["id"], "title": "COPIL annulé", "starts_at": "2021-12-02T14:00"})
    cancelled = await participation.post(f"/api/v1/meetings/{later.json()['id']}/cancel", headers=auth(SECRETARIAT),
                                         json={"reason": "Report"})
    assert cancelled.status_code == 200, cancelled.text
    who = await gateway.account("nantes-metropole", "secretariat")
    async with gateway.client() as client:
        await gateway.logged_in(client, who)
        page = html.unescape((await client.get("/mes-engagements")).text)
    held = sorted(m["local_start"][:10] for m in (await participation.get(
        "/api/v1/meetings", params={"body_id": copil["id"]}, headers=auth(SECRETARIAT))).json()
        if m["status"] != "cancelled" and m["phase"] == "past")[-1]
    assert held >= "2021-11-18"
    assert f'name="depuis" type="date" value="{held}"' in page, "the filter starts from the last COPIL held"


def card_text(text: str, number: int) -> str:
    start = text.index(f'id="engagement-{number}"')
    return text[start:text.index("</article>", start)]


async def test_the_list_s_kept_cards_follow_every_change_and_filter(gateway, stack) -> None:
    # Closed cards are kept rendered by what they show (`rendering.KeptMacro`): a card is never shown stale, and
    # its links keep the filters of the list it is on.
    number = (await piloted_by(stack, "ville-nantes"))[0]
    before = await part(stack, number, "ville-nantes")
    who = await gateway.account("ville-nantes", name="Léa Moreau")
    async with gateway.client() as client:
        token = await gateway.logged_in(client, who)
        first = (await client.get("/mes-engagements")).text
        again = (await client.get("/mes-engagements")).text
        saved = await client.post(f"/engagements/{number}/parts/ville-nantes",
                                  data=form(before["version"], status="en_cours", progress="73"),
                                  headers={**HTMX, "X-CSRF-Token": token})
        after = (await client.get("/mes-engagements")).text
        searched = (await client.get(f"/mes-engagements?q={number}")).text
    assert saved.status_code == 200, saved.text
    assert card_text(again, number) == card_text(first, number)
    assert "73 %" not in card_text(first, number) and "73 %" in card_text(after, number)
    assert "Léa Moreau" in card_text(after, number)
    assert f'href="/mes-engagements/{number}/modifier"' in card_text(after, number)
    assert f'href="/mes-engagements/{number}/modifier?q={number}"' in card_text(searched, number)

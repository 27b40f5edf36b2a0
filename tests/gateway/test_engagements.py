"""Mes engagements, the engagement page and inline updates, through the gateway onto the real services."""

from __future__ import annotations

import html
import re
from typing import Any

from tests.conftest import auth, identity
from tests.gateway.conftest import PASSWORD

HTMX = {"HX-Request": "true"}


async def piloted_by(stack: dict[str, Any], org: str) -> list[int]:
    response = await stack["engagements"].client.get("/api/v1/engagements", params={"pilot": org},
                                                     headers=auth(identity(org)))
    return [e["number"] for e in response.json()]


async def engagement(stack: dict[str, Any], number: int) -> dict[str, Any]:
    response = await stack["engagements"].client.get(f"/api/v1/engagements/{number}",
                                                     headers=auth(identity("ville-nantes")))
    return response.json()


async def part(stack: dict[str, Any], number: int, org: str) -> dict[str, Any]:
    return next(p for p in (await engagement(stack, number))["parts"] if p["organisation_id"] == org)


def form(version: int, **values: Any) -> dict[str, Any]:
    body = {"version": str(version), "status": "en_cours", "progress": "40", "comment": "", "next_milestone": "",
            "next_milestone_date": ""}
    body.update(values)
    return body


async def test_mes_engagements_lists_exactly_what_the_organisation_pilots(gateway, stack) -> None:
    for org in ("ville-nantes", "etat-ddsp"):
        who = await gateway.account(org)
        async with gateway.client() as client:
            await gateway.logged_in(client, who)
            page = (await client.get("/mes-engagements")).text
        shown = [int(n) for n in re.findall(r'<article class="card card--compact" id="engagement-(\d+)"', page)]
        expected = await piloted_by(stack, org)
        assert expected, org
        assert sorted(shown) == sorted(expected)
        assert len(shown) == len(set(shown))
        # grouped by axis then theme, in the contract's order
        axes = [int(n) for n in re.findall(r'<h2 id="axe-(\d+)"', page)]
        assert axes == sorted(axes)


async def test_a_pilot_referent_updates_its_part_inline(gateway, stack) -> None:
    number = (await piloted_by(stack, "ville-nantes"))[0]
    before = await part(stack, number, "ville-nantes")
    who = await gateway.account("ville-nantes", name="Léa Moreau")
    async with gateway.client() as client:
        token = await gateway.logged_in(client, who)
        response = await client.post(f"/engagements/{number}/parts/ville-nantes",
                                     data=form(before["version"], status="en_cours", progress="45",
                                               comment="Premier comité de suivi réuni."),
                                     headers={**HTMX, "X-CSRF-Token": token})
    assert response.status_code == 200, response.text
    fragment = response.text
    assert fragment.lstrip().startswith(f'<article class="card card--compact" id="engagement-{number}"')  # the card
    assert "<html" not in fragment
    assert "Votre mise à jour est enregistrée" in fragment
    assert "En cours" in fragment and "45 %" in fragment and "Léa Moreau" in fragment
    after = await part(stack, number, "ville-nantes")
    assert (after["status"], after["progress"], after["comment"]) == ("en_cours", 45, "Premier comité de suivi réuni.")
    assert after["version"] == before["version"] + 1
    latest = (await engagement(stack, number))["history"][0]
    assert (latest["actor_name"], latest["actor_organisation_id"]) == ("Léa Moreau", "ville-nantes")


async def test_an_update_without_the_csrf_token_is_refused_and_changes_nothing(gateway, stack) -> None:
    number = (await piloted_by(stack, "ville-nantes"))[1]
    before = await part(stack, number, "ville-nantes")
    who = await gateway.account("ville-nantes")
    async with gateway.client() as client:
        await gateway.logged_in(client, who)
        url = f"/engagements/{number}/parts/ville-nantes"
        missing = await client.post(url, data=form(before["version"], status="realise"), headers=HTMX)
        wrong = await client.post(url, data=form(before["version"], status="realise"),
                                  headers={**HTMX, "X-CSRF-Token": "jeton-invente"})
        plain = await client.post(url, data=form(before["version"], status="realise", csrf_token="jeton-invente"))
    for response in (missing, wrong, plain):
        assert response.status_code == 403
        assert "Vérification de sécurité échouée" in response.text
    assert await part(stack, number, "ville-nantes") == before


async def test_a_referent_of_another_organisation_is_refused(gateway, stack) -> None:
    ville = await piloted_by(stack, "ville-nantes")
    caf = set(await piloted_by(stack, "caf"))
    number = next(n for n in ville if n not in caf)
    before = await part(stack, number, "ville-nantes")
    intruder = await gateway.account("caf", name="Intrus CAF")
    async with gateway.client() as client:
        token = await gateway.logged_in(client, intruder)
        fiche = (await client.get(f"/engagements/{number}")).text
        assert f'action="/engagements/{number}/parts/ville-nantes"' not in fiche  # no form offered
        response = await client.post(f"/engagements/{number}/parts/ville-nantes",
                                     data=form(before["version"], status="abandonne", progress="0"),
                                     headers={**HTMX, "X-CSRF-Token": token})
    assert number in ville
    assert response.status_code == 403
    assert "Modification refusée : seul un référent de la Ville de Nantes" in html.unescape(response.text)
    assert await part(stack, number, "ville-nantes") == before


async def test_the_secretariat_may_update_any_part(gateway, stack) -> None:
    number = (await piloted_by(stack, "etat-ddsp"))[0]
    before = await part(stack, number, "etat-ddsp")
    secretariat = await gateway.account("nantes-metropole", "secretariat", name="Claire Dubois")
    async with gateway.client() as client:
        token = await gateway.logged_in(client, secretariat)
        response = await client.post(f"/engagements/{number}/parts/etat-ddsp",
                                     data=form(before["version"], status="reporte", progress="10",
                                               comment="Reporté au second semestre (secrétariat).", vue="fiche"),
                                     headers={**HTMX, "X-CSRF-Token": token})
    assert response.status_code == 200, response.text
    assert response.text.lstrip().startswith('<section id="suivi"')
    assert "Reporté au second semestre (secrétariat)." in response.text
    after = await part(stack, number, "etat-ddsp")
    assert (after["status"], after["progress"]) == ("reporte", 10)
    latest = (await engagement(stack, number))["history"][0]
    assert (latest["actor_name"], latest["actor_organisation_id"], latest["organisation_id"]) == \
        ("Claire Dubois", "nantes-metropole", "etat-ddsp")


async def test_a_stale_version_gets_the_conflict_message_and_the_newer_value(gateway, stack) -> None:
    number = (await piloted_by(stack, "ville-nantes"))[2]
    read = await part(stack, number, "ville-nantes")
    first = await gateway.account("ville-nantes", name="Première Personne")
    second = await gateway.account("ville-nantes", name="Seconde Personne")
    async with gateway.client() as a, gateway.client() as b:
        token_a = await gateway.logged_in(a, first)
        token_b = await gateway.logged_in(b, second)
        won = await a.post(f"/engagements/{number}/parts/ville-nantes",
                           data=form(read["version"], status="realise", progress="100", comment="Terminé."),
                           headers={**HTMX, "X-CSRF-Token": token_a})
        lost = await b.post(f"/engagements/{number}/parts/ville-nantes",
                            data=form(read["version"], status="abandonne", progress="5", comment="Abandon ?"),
                            headers={**HTMX, "X-CSRF-Token": token_b})
    assert won.status_code == 200
    assert lost.status_code == 409
    text = html.unescape(lost.text)
    assert "Quelqu'un a modifié cette part entre-temps" in text and "Première Personne" in text
    assert "Version actuelle (enregistrée)" in text and "Terminé." in text
    assert "Votre saisie (non enregistrée)" in text and "Abandon ?" in text
    # the form keeps what was typed, now on the version stored: sending it again is a choice made knowing it
    assert f'name="version" value="{read["version"] + 1}"' in text
    assert '<option value="abandonne" selected>' in text and ">Abandon ?</textarea>" in text
    after = await part(stack, number, "ville-nantes")
    assert (after["status"], after["comment"], after["version"]) == ("realise", "Terminé.", read["version"] + 1)


async def test_invalid_values_are_explained_next_to_their_field(gateway, stack) -> None:
    number = (await piloted_by(stack, "ville-nantes"))[3]
    before = await part(stack, number, "ville-nantes")
    who = await gateway.account("ville-nantes")
    async with gateway.client() as client:
        token = await gateway.logged_in(client, who)
        response = await client.post(f"/engagements/{number}/parts/ville-nantes",
                                     data=form(before["version"], status="inconnu", progress="150",
                                               next_milestone_date="31/02/2025"),
                                     headers={**HTMX, "X-CSRF-Token": token})
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert "Votre mise à jour n'a pas été enregistrée" in text
    pid = f"p{number}-ville-nantes"
    assert re.search(rf'id="{pid}-progress"[^>]*aria-describedby="{pid}-progress-aide {pid}-progress-erreur"'
                     rf'[^>]*aria-invalid="true"', text)
    assert f'id="{pid}-progress-erreur"><span class="visually-hidden">Erreur : </span>' \
           "L'avancement doit être compris entre 0 et 100 %." in text
    assert "Choisissez un statut dans la liste." in text
    assert "Saisissez une date valide" in text
    assert 'value="150"' in text  # what was typed stays in the form
    assert await part(stack, number, "ville-nantes") == before


async def test_without_javascript_a_plain_form_post_works_too(gateway, stack) -> None:
    number = (await piloted_by(stack, "ville-nantes"))[4]
    before = await part(stack, number, "ville-nantes")
    who = await gateway.account("ville-nantes")
    async with gateway.client() as client:
        token = await gateway.logged_in(client, who)
        response = await client.post(f"/engagements/{number}/parts/ville-nantes",
                                     data=form(before["version"], progress="30", csrf_token=token))
        assert response.status_code == 303
        assert response.headers["location"] == f"/mes-engagements?maj={number}#engagement-{number}"
        page = await client.get(f"/mes-engagements?maj={number}")
        refused = await client.post(f"/engagements/{number}/parts/ville-nantes",
                                    data=form(before["version"] + 1, progress="150", csrf_token=token))
    assert "Votre mise à jour est enregistrée" in page.text
    assert (await part(stack, number, "ville-nantes"))["progress"] == 30
    # an invalid value comes back as the whole page, the message next to the field, nothing saved
    assert refused.status_code == 422 and "<html" in refused.text
    assert "L'avancement doit être compris entre 0 et 100 %." in html.unescape(refused.text)
    assert (await part(stack, number, "ville-nantes"))["progress"] == 30


async def test_the_engagement_page_shows_parts_qpv_and_history(gateway, stack) -> None:
    qpv = (await stack["participation"].client.get("/api/v1/qpv", headers=auth(identity()))).json()[0]
    number = (await piloted_by(stack, "ville-nantes"))[5]
    before = await part(stack, number, "ville-nantes")
    who = await gateway.account("ville-nantes", name="Léa Moreau")
    async with gateway.client() as client:
        token = await gateway.logged_in(client, who)
        await client.post(f"/engagements/{number}/parts/ville-nantes",
                          data={**form(before["version"], status="en_cours", progress="20",
                                       comment="Lancement avec les associations.", next_milestone="Bilan d'étape",
                                       next_milestone_date="2025-06-30"), "qpv": [qpv["id"]]},
                          headers={**HTMX, "X-CSRF-Token": token})
        page = html.unescape((await client.get(f"/engagements/{number}")).text)
    detail = await engagement(stack, number)
    assert detail["title"] in page and detail["theme_title"] in page
    for objective in detail["objectives"][:2]:
        assert objective in page
    for pilot in detail["parts"]:
        assert pilot["organisation_name"] in page
    assert qpv["name"] in page and "Bilan d'étape" in page and "30 juin 2025" in page
    history = page.split('id="historique-titre"')[1]
    assert "<strong>Léa Moreau</strong> (Ville de Nantes)" in history
    assert re.search(r"Statut : <span class=\"before\">[^<]+</span>.*<span class=\"after\">En cours</span>", history)
    assert "Lancement avec les associations." in history
    assert f'action="/engagements/{number}/parts/ville-nantes"' in page  # the pilot may edit here too


async def test_the_overview_filters_and_summarises(gateway, stack) -> None:
    who = await gateway.account("etat-ddsp")
    async with gateway.client() as client:
        await gateway.logged_in(client, who)
        full = (await client.get("/vue-d-ensemble")).text
        filtered = await client.get("/vue-d-ensemble?pilote=etat-ddsp", headers=HTMX)
        bogus = await client.get("/vue-d-ensemble?statut=n-importe-quoi&axe=99")
    rows = re.findall(r'<td data-label="N°">(\d+)</td>', full)
    assert sorted(map(int, rows)) == list(range(1, 51))
    total_row = re.search(r'<tr class="total"><th scope="row">Total</th>(.*?)</tr>', full, re.DOTALL)[1]
    assert re.findall(r"<td>(\d+)</td>", total_row)[-1] == "50"
    assert filtered.status_code == 200
    assert "<html" not in filtered.text and filtered.text.lstrip().startswith('<div id="resultats"')
    shown = sorted(map(int, re.findall(r'<td data-label="N°">(\d+)</td>', filtered.text)))
    assert shown == sorted(await piloted_by(stack, "etat-ddsp"))
    assert f"{len(shown)} engagement" in filtered.text
    assert bogus.status_code == 200 and len(re.findall(r'<td data-label="N°">', bogus.text)) == 50


async def test_the_admin_page_is_refused_to_a_referent(gateway) -> None:
    who = await gateway.account("ville-nantes")
    async with gateway.client() as client:
        token = await gateway.logged_in(client, who)
        page = await client.get("/admin/comptes")
        create = await client.post("/admin/comptes", data={"csrf_token": token, "email": "x@test.example",
                                                           "name": "X", "roles": "admin"})
    assert page.status_code == 403 and "réservée aux administrateurs" in page.text
    assert create.status_code == 403


async def test_an_administrator_creates_then_deactivates_an_account(gateway) -> None:
    admin = await gateway.account(None, "admin", name="Alex Admin")
    async with gateway.client() as client:
        token = await gateway.logged_in(client, admin)
        page = (await client.get("/admin/comptes")).text
        assert '<option value="etat-ddsp">' in page  # organisations from participation
        created = await client.post("/admin/comptes", data={
            "csrf_token": token, "email": "Sophie.LeGall@test.example", "name": "Sophie Le Gall",
            "organisation_id": "etat-ddsp", "roles": ["referent"], "password": PASSWORD})
        assert created.status_code == 201
        password = PASSWORD  # without one, an invitation is e-mailed (tests/notifications/test_password_links.py)
        refused = await client.post("/admin/comptes", data={
            "csrf_token": token, "email": "sans.orga@test.example", "name": "Sans Orga", "roles": ["referent"]})
        assert refused.status_code == 422 and "Un référent doit être rattaché à une organisation." in refused.text
        duplicate = await client.post("/admin/comptes", data={
            "csrf_token": token, "email": "sophie.legall@test.example", "name": "Doublon",
            "organisation_id": "etat-ddsp", "roles": ["referent"]})
        assert duplicate.status_code == 422 and "Un compte existe déjà avec cette adresse e-mail." in duplicate.text
    async with gateway.client() as sophie:
        assert (await gateway.login(sophie, "sophie.legall@test.example", password)).status_code == 303
        assert "Direction départementale de la sécurité publique" in (await sophie.get("/mes-engagements")).text
    async with gateway.client() as client:
        token = await gateway.logged_in(client, admin)
        page = (await client.get("/admin/comptes")).text
        account_id = re.search(r'<td data-label="E-mail">sophie.legall@test.example</td>.*?'
                               r'action="/admin/comptes/([0-9a-f]+)/desactiver"', page, re.DOTALL)[1]
        done = await client.post(f"/admin/comptes/{account_id}/desactiver", data={"csrf_token": token})
        assert done.status_code == 303
        assert "Le compte de Sophie Le Gall est désactivé" in (await client.get(done.headers["location"])).text
    async with gateway.client() as sophie:
        assert (await gateway.login(sophie, "sophie.legall@test.example", password)).status_code == 401


async def test_pilot_reports_per_action_on_the_engagement_page(gateway, stack) -> None:
    """The engagement page offers a status per action, recorded in the part and shown on the page."""
    referent = await gateway.account("ville-nantes", "referent", name="Ana Détail")
    async with gateway.client() as client:
        csrf = await gateway.logged_in(client, referent)
        page = await client.get("/engagements/9")
        assert "Détail par action (facultatif)" in page.text
        engagements = stack["engagements"].client
        detail = (await engagements.get("/api/v1/engagements/9", headers=auth(identity("ville-nantes")))).json()
        part = next(p for p in detail["parts"] if p["organisation_id"] == "ville-nantes")
        form = {"csrf_token": csrf, "version": str(part["version"]), "vue": "fiche", "status": "en_cours",
                "progress": "20", "comment": "", "action_1_status": "realise",
                "action_1_comment": "Rencontres avec les gendarmes", "action_2_status": ""}
        r = await client.post("/engagements/9/parts/ville-nantes", data=form, headers={"HX-Request": "true"})
        assert r.status_code == 200, r.text
        assert "Action 2 : Réalisé — Rencontres avec les gendarmes" in r.text
        after = (await engagements.get("/api/v1/engagements/9", headers=auth(identity("ville-nantes")))).json()
        mine = next(p for p in after["parts"] if p["organisation_id"] == "ville-nantes")
        assert mine["actions"] == [{"index": 1, "status": "realise", "comment": "Rencontres avec les gendarmes"}]

        # The list's form (opened on demand) carries the recorded detail, so an update from there keeps it.
        listing = await client.get("/mes-engagements/9/modifier", headers={"HX-Request": "true"})
        assert 'name="action_1_comment" type="text" placeholder="Commentaire (facultatif)" ' \
               'value="Rencontres avec les gendarmes"' in listing.text


async def test_a_long_history_shows_its_latest_changes_and_the_older_ones_on_demand(gateway, stack) -> None:
    """The history grows with every update: the page shows the latest 20 and how many there are in all, and a
    link brings the older ones."""
    number = (await piloted_by(stack, "ville-nantes"))[7]
    eng, nantes = stack["engagements"].client, identity("ville-nantes", "referent", name="Léa Moreau")
    total = (await engagement(stack, number))["history_total"]
    for _ in range(21):  # one more than a page shows
        version = (await part(stack, number, "ville-nantes"))["version"]
        r = await eng.patch(f"/api/v1/engagements/{number}/parts/ville-nantes", headers=auth(nantes),
                            json={"version": version, "status": "en_cours", "progress": 1 + total % 99,
                                  "comment": f"Point n° {total + 1}"})
        assert r.status_code == 200, r.text
        total += 1
    who = await gateway.account("caf", name="Karim Référent")
    async with gateway.client() as client:
        await gateway.logged_in(client, who)
        page = html.unescape((await client.get(f"/engagements/{number}")).text)
        history = page.split('id="historique-titre"')[1]
        assert history.count('class="timeline__item"') == 20
        oldest_left_out = f'<q class="after">Point n° {total - 20}</q>'  # the 21st latest: not shown
        assert f'<q class="after">Point n° {total}</q>' in history and oldest_left_out not in history
        assert f"20 modifications les plus récentes sur {total}." in history
        more = re.search(r'href="(/engagements/\d+\?historique=\d+)#historique-titre">Afficher les modifications '
                         r'plus anciennes', history)
        assert more, history[:2000]
        older = html.unescape((await client.get(more[1])).text).split('id="historique-titre"')[1]
        assert older.count('class="timeline__item"') == total and "Afficher les modifications plus" not in older
        assert oldest_left_out in older

"""The indicator pages through the gateway, onto the real indicateurs service: the list, an indicator's page,
entry, validation, correction, rights, the definition refined by the secretariat, the engagement page's latest
values.

The `stack` is shared by the whole run: each test works on its own indicator and period.
"""

from __future__ import annotations

import asyncio
import html
import re

from tests.conftest import ADMIN, auth
from tests.gateway.indicator_helpers import (
    HTMX,
    NNBSP,
    definition,
    definitions_ready,
    series_rows,
    submissions,
    text_of,
    value_form,
    words_of,
)

# --- list and page -------------------------------------------------------------------------------------------

async def test_the_list_groups_indicators_by_engagement_and_filters(gateway, stack) -> None:
    defs = await definitions_ready(stack)
    who = await gateway.account("caf")
    async with gateway.client() as client:
        await gateway.logged_in(client, who)
        page = await client.get("/indicateurs")
        filtered = await client.get("/indicateurs", params={"engagement": "24"}, headers=HTMX)
        mine = await client.get("/indicateurs", params={"organisation": "caf"})
        missing = await client.get("/indicateurs/999999")
    assert page.status_code == 200
    assert '<a href="/indicateurs" aria-current="page">Indicateurs</a>' in page.text  # main navigation
    assert len(re.findall(r'<a href="/indicateurs/\d+">', page.text)) == len(defs)
    engagements = [int(n) for n in re.findall(r'<h2 id="eng-(\d+)"', page.text)]
    assert engagements == sorted(set(engagements))
    # htmx: just the results, the engagement's three indicators
    assert filtered.text.lstrip().startswith('<div id="resultats"') and "<html" not in filtered.text
    assert re.findall(r'<h2 id="eng-(\d+)"', filtered.text) == ["24"]
    expected = [d["id"] for d in defs if d["engagement_number"] == 24]
    assert [int(i) for i in re.findall(r'<a href="/indicateurs/(\d+)">', filtered.text)] == expected
    assert "3 indicateurs sur" in text_of(filtered)
    caf = {d["id"] for d in defs if "caf" in d["responsible"]}
    assert missing.status_code == 404 and "L'indicateur n° 999999 n'existe pas." in text_of(missing)
    assert {int(i) for i in re.findall(r'<a href="/indicateurs/(\d+)">', mine.text)} == caf


async def test_anonymous_visitors_are_sent_to_the_login_page(gateway, stack) -> None:
    async with gateway.client() as client:
        for path in ("/indicateurs", "/indicateurs/1", "/indicateurs/a-renseigner", "/indicateurs/campagnes",
                     "/indicateurs/exports/valeurs.csv"):
            response = await client.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/connexion?next=")


# --- entry, validation, correction ---------------------------------------------------------------------------

async def test_a_referent_submits_a_value_and_sees_it_submitted(gateway, stack) -> None:
    d = await definition(stack, 42, "Nombre d'enfants inscrits")
    who = await gateway.account("ville-nantes", name="Léa Moreau")
    async with gateway.client() as client:
        token = await gateway.logged_in(client, who)
        page = await client.get(f"/indicateurs/{d['id']}")
        assert f'action="/indicateurs/{d["id"]}/valeurs"' in page.text  # the entry form is offered
        assert '<option value="2016"' in page.text
        response = await client.post(f"/indicateurs/{d['id']}/valeurs", headers={**HTMX, "X-CSRF-Token": token},
                                     data=value_form(token, "2016", "1 234", comment="Rentrée 2016",
                                                     source="Fichier des inscriptions"))
    assert response.status_code == 201, response.text
    assert response.text.lstrip().startswith('<div id="fiche"') and "<html" not in response.text
    text = text_of(response)
    assert "Valeur enregistrée et soumise au secrétariat (2016 : 1 234). État : Soumis." in text
    card = re.search(r'<li class="value-card value-card--soumis" id="valeur-2016">(.*?)</li>\s*(?:<li|</ul>)',
                     response.text, re.DOTALL)
    assert card, "the value's card"
    card_text = html.unescape(card[1]).replace(NNBSP, " ")
    assert ">Soumis<" in card_text and "1 234" in card_text and "Rentrée 2016" in card_text
    assert "Fichier des inscriptions" in card_text and "par Léa Moreau" in card_text
    [recorded] = await submissions(stack, d["id"], period="2016")
    assert (recorded["state"], recorded["value"], recorded["organisation_id"], recorded["version"]) == \
        ("soumis", 1234, "ville-nantes", 1)
    assert recorded["qualification"] == "definitif" and recorded["comment"] == "Rentrée 2016"


async def test_a_computed_indicator_offers_no_entry_form(gateway, stack) -> None:
    """The coverage of the QPV by conseils citoyens is computed by the platform: Ville de Nantes, a pilot of
    engagement 47, reads it and is not asked to type it."""
    d = await definition(stack, 47, "Taux de couverture")
    for _ in range(200):  # the contract's load computed it; indicateurs may still be recording it
        d = (await stack["indicateurs"].client.get(f"/api/v1/definitions/{d['id']}", headers=auth(ADMIN))).json()
        if d["computed"]:
            break
        await asyncio.sleep(0.1)
    assert d["computed"] and "ville-nantes" in d["responsible"]
    who = await gateway.account("ville-nantes")
    async with gateway.client() as client:
        await gateway.logged_in(client, who)
        page = await client.get(f"/indicateurs/{d['id']}")
    assert page.status_code == 200
    assert f'action="/indicateurs/{d["id"]}/valeurs"' not in page.text and "Saisir une valeur" not in page.text
    assert "la plateforme le calcule automatiquement" in text_of(page)


async def test_without_javascript_a_draft_is_saved_then_submitted(gateway, stack) -> None:
    d = await definition(stack, 42, "Nombre d'enfants inscrits")
    who = await gateway.account("ville-nantes")
    async with gateway.client() as client:
        token = await gateway.logged_in(client, who)
        saved = await client.post(f"/indicateurs/{d['id']}/valeurs",
                                  data=value_form(token, "2017", "87,5", action="brouillon"))
        assert saved.status_code == 303
        assert saved.headers["location"].startswith(f"/indicateurs/{d['id']}?fait=brouillon&valeur=")
        assert saved.headers["location"].endswith("#valeur-2017")
        page = await client.get(saved.headers["location"].split("#")[0])
        [draft] = await submissions(stack, d["id"], period="2017")
        sent = await client.post(f"/indicateurs/{d['id']}/valeurs/{draft['id']}/soumettre",
                                 data={"csrf_token": token, "formulaire": "valeur-2017"})
        after = await client.get(sent.headers["location"].split("#")[0])
    assert "Valeur enregistrée en brouillon (2017 : 87,5)" in text_of(page)
    assert draft["state"] == "brouillon" and draft["value"] == 87.5
    assert sent.status_code == 303
    assert "Brouillon soumis au secrétariat (2017 : 87,5). État : Soumis." in text_of(after)
    assert [s["state"] for s in await submissions(stack, d["id"], period="2017")] == ["soumis"]


async def test_the_secretariat_approves_and_the_value_joins_the_series(gateway, stack) -> None:
    d = await definition(stack, 41, "Nombre de jumelages")
    referent = await gateway.account("ville-nantes", name="Léa Moreau")
    secretariat = await gateway.account("nantes-metropole", "secretariat", name="Claire Dubois")
    async with gateway.client() as ref, gateway.client() as sec:
        token = await gateway.logged_in(ref, referent)
        sent = await ref.post(f"/indicateurs/{d['id']}/valeurs", headers={**HTMX, "X-CSRF-Token": token},
                              data=value_form(token, "2018", "14"))
        assert sent.status_code == 201, sent.text
        sec_token = await gateway.logged_in(sec, secretariat)
        before = await sec.get(f"/indicateurs/{d['id']}")
        to_review = await sec.get("/indicateurs", params={"a_valider": "1"})
        [pending] = await submissions(stack, d["id"], period="2018")
        assert f'id="attente-{pending["id"]}"' in before.text
        assert "Approuver la valeur de la Ville de Nantes pour 2018" in words_of(before)
        # the secretariat finds the indicators with values to validate from the list
        assert "attend" in words_of(to_review) and "votre validation" in words_of(to_review)
        assert re.search(rf'<a class="badge badge--etat-soumis" href="/indicateurs/{d["id"]}#validation">\d+ à valider',
                         to_review.text)
        assert all(f'href="/indicateurs/{x}#validation"' in to_review.text
                   for x in re.findall(r'<a href="/indicateurs/(\d+)">', to_review.text))
        assert "2018" not in (series_rows(before.text) if 'id="tableau-serie"' in before.text else {})
        approved = await sec.post(f"/indicateurs/{d['id']}/valeurs/{pending['id']}/approuver",
                                  headers={**HTMX, "X-CSRF-Token": sec_token})
        referent_view = await ref.get(f"/indicateurs/{d['id']}")
        correcting = await ref.get(f"/indicateurs/{d['id']}", params={"corriger": "valeur-2018"})
    assert approved.status_code == 200, approved.text
    text = text_of(approved)
    assert "Valeur approuvée (2018 : 14, Ville de Nantes) : elle figure désormais dans la série." in text
    assert f'id="attente-{pending["id"]}"' not in approved.text  # no longer pending
    rows = series_rows(html.unescape(approved.text))
    assert "14" in rows["2018"] and "définitif" in rows["2018"]
    # the chart has a point for it, with its words for a hover
    assert re.search(r'class="chart__point"[^>]*data-period="2018" data-value="14.0"><title>2018 : 14 \(définitif\)',
                     html.unescape(approved.text))
    assert 'role="img" aria-labelledby="graphique-titre" aria-describedby="graphique-desc"' in approved.text
    assert "14" in series_rows(html.unescape(referent_view.text))["2018"]
    # the referent's approved value is a row of its table, with a link to correct it
    row = re.search(r'<tr id="valeur-2018">(.*?)</tr>', referent_view.text, re.DOTALL)
    assert row and ">Approuvé<" in row[1]
    assert f'href="/indicateurs/{d["id"]}?corriger=valeur-2018#valeur-2018"' in row[1]
    card = re.search(r'<li class="value-card value-card--approuve" id="valeur-2018">.*?</form>', correcting.text,
                     re.DOTALL)
    assert card and re.search(r'<details class="edit" open>\s*<summary>Corriger cette valeur', card[0])
    assert 'name="version" value="1"' in card[0]
    [done] = await submissions(stack, d["id"], period="2018")
    assert (done["state"], done["reviewed_by_name"]) == ("approuve", "Claire Dubois")


async def test_a_value_returned_with_a_reason_is_corrected_and_both_versions_stay_visible(gateway, stack) -> None:
    d = await definition(stack, 41, "Nombre de jumelages")
    referent = await gateway.account("ville-nantes", name="Léa Moreau")
    secretariat = await gateway.account("nantes-metropole", "secretariat", name="Claire Dubois")
    async with gateway.client() as ref, gateway.client() as sec:
        token = await gateway.logged_in(ref, referent)
        await ref.post(f"/indicateurs/{d['id']}/valeurs", headers={**HTMX, "X-CSRF-Token": token},
                       data=value_form(token, "2019", "9", comment="Premier comptage"))
        [first] = await submissions(stack, d["id"], period="2019")
        sec_token = await gateway.logged_in(sec, secretariat)
        url = f"/indicateurs/{d['id']}/valeurs/{first['id']}/renvoyer"
        blank = await sec.post(url, data={"reason": "  "}, headers={**HTMX, "X-CSRF-Token": sec_token})
        returned = await sec.post(url, data={"reason": "Il manque les jumelages de Bellevue."},
                                  headers={**HTMX, "X-CSRF-Token": sec_token})
        page = await ref.get(f"/indicateurs/{d['id']}")
        corrected = await ref.post(f"/indicateurs/{d['id']}/valeurs", headers={**HTMX, "X-CSRF-Token": token},
                                   data=value_form(token, "2019", "11", key="valeur-2019", version=1,
                                                   comment="Bellevue inclus"))
    # a return needs its reason: said next to the field, nothing changed
    assert blank.status_code == 422
    blank_text = text_of(blank)
    assert re.search(rf'id="motif-{first["id"]}"[^>]*aria-describedby="motif-{first["id"]}-aide '
                     rf'motif-{first["id"]}-erreur"[^>]*aria-invalid="true"', blank.text)
    assert "Indiquez le motif du renvoi : il sera montré au référent qui a saisi la valeur." in blank_text
    assert returned.status_code == 200
    assert "Valeur renvoyée à la Ville de Nantes pour reprise (2019 : 9), avec votre motif." in text_of(returned)
    # the referent sees the outcome and the reason, the correction form open
    shown = text_of(page)
    assert "À reprendre" in shown and "Motif du renvoi par le secrétariat : Il manque les jumelages de Bellevue." \
        in re.sub(r"<[^>]+>", "", shown)
    assert re.search(r'<details class="edit" open>\s*<summary>Corriger cette valeur', page.text)
    assert corrected.status_code == 201, corrected.text
    text = text_of(corrected)
    assert "Correction enregistrée : version 2 (2019 : 11), soumise au secrétariat." in text
    card = re.search(r'id="valeur-2019">(.*?)</li>\s*</ol>', corrected.text, re.DOTALL)
    assert card
    versions = html.unescape(card[1])
    assert "Bellevue inclus" in versions and ">Soumis<" in versions
    assert "Version 1</strong> : 9, définitif" in versions and "À reprendre" in versions
    assert "motif du renvoi : Il manque les jumelages de Bellevue." in versions
    every = await submissions(stack, d["id"], period="2019", all_versions=True)
    assert [(s["version"], s["value"], s["state"]) for s in every] == [(2, 11, "soumis"), (1, 9, "a_reprendre")]


async def test_a_second_first_value_for_the_same_period_is_a_conflict(gateway, stack) -> None:
    d = await definition(stack, 42, "Nombre d'enfants inscrits")
    who = await gateway.account("ville-nantes", name="Léa Moreau")
    async with gateway.client() as client:
        token = await gateway.logged_in(client, who)
        await client.post(f"/indicateurs/{d['id']}/valeurs", headers={**HTMX, "X-CSRF-Token": token},
                          data=value_form(token, "2018", "300"))
        again = await client.post(f"/indicateurs/{d['id']}/valeurs", headers={**HTMX, "X-CSRF-Token": token},
                                  data=value_form(token, "2018", "310", comment="Autre chiffre"))
        invalid = await client.post(f"/indicateurs/{d['id']}/valeurs", headers={**HTMX, "X-CSRF-Token": token},
                                    data=value_form(token, "2015", "douze"))
        negative = await client.post(f"/indicateurs/{d['id']}/valeurs", headers={**HTMX, "X-CSRF-Token": token},
                                     data=value_form(token, "2015", "-4"))
    assert again.status_code == 409
    text = text_of(again)
    assert "Votre organisation a déjà une valeur pour 2018 : 300 (version 1" in text
    assert "Version actuelle (enregistrée)" in text and "Votre saisie (non enregistrée)" in text
    assert "Autre chiffre" in text
    # what was typed stays in the value's correction form, on the version stored, ready to send knowingly
    kept = again.text.split('id="f-valeur-2018"')[1].split("</form>")[0]
    assert 'value="310"' in kept and ">Autre chiffre</textarea>" in kept and 'name="version" value="1"' in kept
    assert [s["value"] for s in await submissions(stack, d["id"], period="2018", all_versions=True)] == [300]
    assert invalid.status_code == 422
    assert "Saisissez un nombre, par exemple 1 234,5" in text_of(invalid) and 'value="douze"' in invalid.text
    assert negative.status_code == 422
    assert "Une valeur négative est impossible" in text_of(negative)
    assert await submissions(stack, d["id"], period="2015") == []


async def test_a_referent_of_another_organisation_has_no_form_and_is_refused(gateway, stack) -> None:
    d = await definition(stack, 42, "Nombre d'enfants inscrits")
    assert "caf" not in d["responsible"]
    intruder = await gateway.account("caf", name="Intrus CAF")
    async with gateway.client() as client:
        token = await gateway.logged_in(client, intruder)
        page = await client.get(f"/indicateurs/{d['id']}")
        refused = await client.post(f"/indicateurs/{d['id']}/valeurs", headers={**HTMX, "X-CSRF-Token": token},
                                    data=value_form(token, "2020", "5"))
        plain = await client.post(f"/indicateurs/{d['id']}/valeurs", data=value_form(token, "2020", "5"))
    assert f'action="/indicateurs/{d["id"]}/valeurs"' not in page.text
    assert "Votre organisation n'est pas chargée de renseigner cet indicateur" in text_of(page)
    for response in (refused, plain):
        assert response.status_code == 403
        assert "n'est pas chargée de renseigner" in text_of(response) and "Rien n'a été enregistré." in \
            text_of(response)
    assert await submissions(stack, d["id"], period="2020") == []


async def test_a_referent_cannot_approve(gateway, stack) -> None:
    d = await definition(stack, 41, "Nombre de jumelages")
    who = await gateway.account("ville-nantes")
    async with gateway.client() as client:
        token = await gateway.logged_in(client, who)
        await client.post(f"/indicateurs/{d['id']}/valeurs", headers={**HTMX, "X-CSRF-Token": token},
                          data=value_form(token, "2020", "3"))
        [mine] = await submissions(stack, d["id"], period="2020")
        page = await client.get(f"/indicateurs/{d['id']}")
        response = await client.post(f"/indicateurs/{d['id']}/valeurs/{mine['id']}/approuver",
                                     headers={**HTMX, "X-CSRF-Token": token})
        rejected = await client.post(f"/indicateurs/{d['id']}/valeurs/{mine['id']}/renvoyer",
                                     data={"csrf_token": token, "reason": "Non"})
    assert "/approuver" not in page.text and 'id="validation"' not in page.text
    assert response.status_code == 403 and rejected.status_code == 403
    assert "Seul le secrétariat peut valider une valeur." in text_of(response)
    assert [s["state"] for s in await submissions(stack, d["id"], period="2020")] == ["soumis"]


async def test_a_value_without_the_csrf_token_is_refused(gateway, stack) -> None:
    d = await definition(stack, 42, "Nombre d'enfants inscrits")
    who = await gateway.account("ville-nantes")
    async with gateway.client() as client:
        token = await gateway.logged_in(client, who)
        missing = await client.post(f"/indicateurs/{d['id']}/valeurs", headers=HTMX,
                                    data={**value_form(token, "2021", "5"), "csrf_token": ""})
        wrong = await client.post(f"/indicateurs/{d['id']}/valeurs",
                                  data={**value_form(token, "2021", "5"), "csrf_token": "jeton-invente"})
    for response in (missing, wrong):
        assert response.status_code == 403 and "Vérification de sécurité échouée" in response.text
    assert await submissions(stack, d["id"], period="2021") == []


# --- the definition ------------------------------------------------------------------------------------------

async def test_the_secretariat_refines_a_definition_and_a_stale_form_gets_the_conflict(gateway, stack) -> None:
    d = await definition(stack, 45, "Nombre de nouveaux inscrits")
    first = await gateway.account("nantes-metropole", "secretariat", name="Claire Dubois")
    second = await gateway.account("nantes-metropole", "secretariat", name="Paul Martin")
    form = {"version": str(d["version"]), "unit": "personnes", "periodicity": d["periodicity"], "target": "1 500",
            "responsible": d["responsible"]}
    async with gateway.client() as a, gateway.client() as b:
        token_a = await gateway.logged_in(a, first)
        token_b = await gateway.logged_in(b, second)
        page = await a.get(f"/indicateurs/{d['id']}")
        won = await a.post(f"/indicateurs/{d['id']}/definition", data=form, headers={**HTMX, "X-CSRF-Token": token_a})
        lost = await b.post(f"/indicateurs/{d['id']}/definition", data={**form, "target": "900", "unit": "nombre"},
                            headers={**HTMX, "X-CSRF-Token": token_b})
        empty = await b.post(f"/indicateurs/{d['id']}/definition",
                             data={**form, "version": str(d["version"] + 1), "responsible": []},
                             headers={**HTMX, "X-CSRF-Token": token_b})
    assert "Préciser la définition" in page.text
    assert won.status_code == 200, won.text
    text = text_of(won)
    assert f"La définition est mise à jour (version {d['version'] + 1})." in text
    assert "<dt>Cible</dt><dd>1 500 personnes</dd>" in text and "<dt>Unité</dt><dd>personnes</dd>" in text
    assert lost.status_code == 409
    lost_text = text_of(lost)
    assert "Quelqu'un a modifié cette définition entre-temps (Claire Dubois" in lost_text
    assert "Cible : 1 500 personnes" in lost_text and "Cible : 900" in lost_text
    assert f'name="version" value="{d["version"] + 1}"' in lost.text  # the form now on the newer version
    assert empty.status_code == 422 and "Cochez au moins une organisation responsable." in text_of(empty)
    after = (await stack["indicateurs"].client.get(f"/api/v1/definitions/{d['id']}", headers=auth(ADMIN))).json()
    assert (after["unit"], after["target"], after["version"]) == ("personnes", 1500, d["version"] + 1)
    assert after["history"][0]["actor_name"] == "Claire Dubois"


# --- the engagement page -------------------------------------------------------------------------------------

async def test_the_engagement_page_links_its_indicators_with_their_latest_values(gateway, stack) -> None:
    d = await definition(stack, 33, "Montant de soutien")
    referent = await gateway.account("ville-nantes")
    secretariat = await gateway.account("nantes-metropole", "secretariat")
    async with gateway.client() as ref, gateway.client() as sec:
        token = await gateway.logged_in(ref, referent)
        await ref.post(f"/indicateurs/{d['id']}/valeurs", headers={**HTMX, "X-CSRF-Token": token},
                       data=value_form(token, "2019", "25000"))
        sec_token = await gateway.logged_in(sec, secretariat)
        [s] = await submissions(stack, d["id"], period="2019")
        await sec.post(f"/indicateurs/{d['id']}/valeurs/{s['id']}/approuver",
                       headers={**HTMX, "X-CSRF-Token": sec_token})
        page = await ref.get("/engagements/33")
    text = text_of(page)
    assert f'<a href="/indicateurs/{d["id"]}">{d["label"]}</a>' in html.unescape(page.text)
    assert re.search(r"Dernière valeur approuvée \(2019\) : <span class=\"num\">25 000", text)

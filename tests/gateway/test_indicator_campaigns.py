"""Campaigns through the gateway: the secretariat opens, closes and reopens them (with a reason); a referent sees
what its organisation owes; a closed period refuses values."""

from __future__ import annotations

import html
import re
from typing import Any

from tests.conftest import ADMIN, auth
from tests.gateway.indicator_helpers import (
    HTMX,
    definition,
    definitions_ready,
    text_of,
    value_form,
    words_of,
)

# --- campaigns and to-do lists -------------------------------------------------------------------------------

def todo_section(response: Any, title: str) -> str:
    """The part of the to-do page about one campaign."""
    sections = re.findall(r'<section class="panel" aria-labelledby="todo-\d+">.*?</section>', response.text, re.DOTALL)
    found = [s for s in sections if "<h2 id=\"todo-" in s and f">{title} <" in s]
    assert len(found) == 1, f"one section for {title}"
    return found[0]


async def test_the_secretariat_opens_a_campaign_and_a_referent_sees_what_it_owes(gateway, stack) -> None:
    d = await definition(stack, 28, "Nombre de collèges")
    secretariat = await gateway.account("nantes-metropole", "secretariat", name="Claire Dubois")
    referent = await gateway.account("etat-dsden", name="Alix DSDEN")
    async with gateway.client() as sec, gateway.client() as ref:
        sec_token = await gateway.logged_in(sec, secretariat)
        ref_token = await gateway.logged_in(ref, referent)
        form = await sec.get("/indicateurs/campagnes")
        invalid = await sec.post("/indicateurs/campagnes", headers={**HTMX, "X-CSRF-Token": sec_token},
                                 data={"title": "", "period": "2031", "closes_on": "31/02/2032"})
        opened = await sec.post("/indicateurs/campagnes", headers={**HTMX, "X-CSRF-Token": sec_token},
                                data={"title": "Bilan 2031", "period": "2031", "closes_on": "31/03/2099"})
        twice = await sec.post("/indicateurs/campagnes", headers={**HTMX, "X-CSRF-Token": sec_token},
                               data={"title": "Encore", "period": "2031", "closes_on": "31/03/2099"})
        refused = await ref.post("/indicateurs/campagnes", headers={**HTMX, "X-CSRF-Token": ref_token},
                                 data={"title": "Bilan 2032", "period": "2032", "closes_on": "31/03/2099"})
        campaigns_for_referent = await ref.get("/indicateurs/campagnes")
        todo = await ref.get("/indicateurs/a-renseigner")
        # the referent enters one of the values it owes: it leaves the to-do list
        await ref.post(f"/indicateurs/{d['id']}/valeurs", headers={**HTMX, "X-CSRF-Token": ref_token},
                       data=value_form(ref_token, "2031", "4"))
        todo_after = await ref.get("/indicateurs/a-renseigner")
        overview = await sec.get("/indicateurs/a-renseigner", params={"periode": "2031"})
        swapped = await sec.get("/indicateurs/a-renseigner", params={"periode": "2031", "organisation": "etat-dsden"},
                                headers={**HTMX, "HX-Target": "completude"})
    assert "Ouvrir une campagne" in form.text
    assert invalid.status_code == 422
    assert "Indiquez un intitulé" in text_of(invalid) and "Saisissez une date valide" in text_of(invalid)
    assert opened.status_code == 200, opened.text
    assert "La campagne « Bilan 2031 » est ouverte jusqu'au 31 mars 2099" in text_of(opened)
    assert twice.status_code == 409 and "Une campagne existe déjà pour la période 2031" in text_of(twice)
    assert refused.status_code == 403 and "Seul le secrétariat peut ouvrir une campagne." in text_of(refused)
    assert "Bilan 2031" in campaigns_for_referent.text and "Ouvrir une campagne" not in campaigns_for_referent.text
    todo_text = text_of(todo)
    assert "Bilan 2031" in todo_text
    assert f'href="/indicateurs/{d["id"]}?periode=2031#nouvelle-valeur"' in todo.text
    expected = [x for x in await definitions_ready(stack) if "etat-dsden" in x["responsible"]]
    section = todo_section(todo, "Bilan 2031")
    assert len(re.findall(r'\?periode=2031#nouvelle-valeur"', section)) == len(expected), "one line per value owed"
    section_after = todo_section(todo_after, "Bilan 2031")
    assert f'href="/indicateurs/{d["id"]}?periode=2031#nouvelle-valeur"' not in section_after
    assert f"1 valeur sur {len(expected)}" in html.unescape(section_after)
    overview_words = words_of(overview)
    assert "Valeurs manquantes par organisation" in overview_words
    dsden = re.search(r"<tr>\s*<td data-label=\"Organisation\"><a href=\"[^\"]*organisation=etat-dsden\">(.*?)</a></td>"
                      r"\s*<td data-label=\"Manquantes\">(\d+)</td>", text_of(overview))
    assert dsden, "the DSDEN's row in the secretariat's overview"
    assert dsden[1].startswith("État – Direction des services départementaux")
    assert int(dsden[2]) == len(expected) - 1
    # htmx: the period or organisation chosen swaps just the results
    assert swapped.text.lstrip().startswith('<div id="completude">') and "<html" not in swapped.text
    assert f"2031 : 1 valeur reçue sur {len(expected)} attendues" in text_of(swapped)


async def test_closing_locks_the_period_and_reopening_needs_a_reason(gateway, stack) -> None:
    d = await definition(stack, 28, "Nombre de collégiens")
    secretariat = await gateway.account("nantes-metropole", "secretariat", name="Claire Dubois")
    referent = await gateway.account("etat-dsden", name="Alix DSDEN")
    async with gateway.client() as sec, gateway.client() as ref:
        sec_token = await gateway.logged_in(sec, secretariat)
        ref_token = await gateway.logged_in(ref, referent)
        await sec.post("/indicateurs/campagnes", headers={**HTMX, "X-CSRF-Token": sec_token},
                       data={"title": "Bilan 2033", "period": "2033", "closes_on": "2099-03-31"})
        campaign = next(c for c in (await stack["indicateurs"].client.get(
            "/api/v1/campaigns", headers=auth(ADMIN))).json() if c["period"] == "2033")
        closed = await sec.post(f"/indicateurs/campagnes/{campaign['id']}/clore",
                                data={"csrf_token": sec_token, "reason": "Bilan arrêté"})
        locked = await ref.post(f"/indicateurs/{d['id']}/valeurs", headers={**HTMX, "X-CSRF-Token": ref_token},
                                data=value_form(ref_token, "2033", "4"))
        no_reason = await sec.post(f"/indicateurs/campagnes/{campaign['id']}/rouvrir",
                                   headers={**HTMX, "X-CSRF-Token": sec_token}, data={"reason": ""})
        reopened = await sec.post(f"/indicateurs/campagnes/{campaign['id']}/rouvrir",
                                  headers={**HTMX, "X-CSRF-Token": sec_token},
                                  data={"reason": "Oubli de la DSDEN", "closes_on": ""})
        accepted = await ref.post(f"/indicateurs/{d['id']}/valeurs", headers={**HTMX, "X-CSRF-Token": ref_token},
                                  data=value_form(ref_token, "2033", "4"))
    assert closed.status_code == 303
    assert closed.headers["location"] == f"/indicateurs/campagnes?fait=close&campagne={campaign['id']}" \
                                         f"#campagne-{campaign['id']}"
    assert locked.status_code == 409 and "Période 2033 verrouillée" in text_of(locked)
    assert "Rien n'a été enregistré." in text_of(locked)
    assert no_reason.status_code == 422 and "Indiquez le motif" in text_of(no_reason)
    assert reopened.status_code == 200 and "La campagne « Bilan 2033 » est rouverte" in text_of(reopened)
    history = text_of(reopened)
    assert "Réouverture par Claire Dubois" in history and "Motif : Oubli de la DSDEN" in history
    assert "Clôture par Claire Dubois" in history and "Motif : Bilan arrêté" in history
    assert accepted.status_code == 201

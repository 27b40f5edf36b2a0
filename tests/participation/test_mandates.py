"""Mandats citoyens in the participation service: who opens, composes, publishes and answers; overdue answers;
what the public sees of the members; the demo."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import select

from services.participation.demo import seed
from services.participation.models import metadata
from services.participation.service.catalogue import record_engagement
from tests.conftest import paris_today
from tests.participation.conftest import SECRETARIAT, person
from tests.participation.test_authorization import PUBLIC


async def _types(gov) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    outbox = metadata.tables["outbox"]
    async with gov.running.runtime.db.session() as session:
        rows = (await session.exec(select(outbox.c.envelope).order_by(outbox.c.position))).all()
    return [(e["type"], e["data"]) for e in (json.loads(r) for r in rows)]


async def _mandate(gov, member_email: str, *, public_name: bool = False) -> dict:  # type: ignore[no-untyped-def]
    mandate = await gov.ok("POST", "/mandates", json={"title": "Propreté des pieds d'immeubles",
                                                      "engagements": [5, 48], "qpv_ids": ["malakoff"],
                                                      "ends_on": str(paris_today() + timedelta(days=90))})
    await gov.ok("POST", f"/mandates/{mandate['id']}/members", json={"person": {
        "name": "Awa Résidente", "email": member_email, "public_name": public_name}})
    return mandate


async def test_roles_of_a_mandate_from_opening_to_the_answer(gov) -> None:
    resident = person("Awa Résidente", None)
    resident = resident.model_copy(update={"roles": ["membre"]})
    pilot = person("Référente Ville", "ville-nantes")
    other = person("Référent Rezé", "ville-reze")
    for who in (PUBLIC, resident, pilot):
        refused = await gov.call("POST", "/mandates", who, json={"title": "X"})
        assert refused.status_code == 403 and "secrétariat du COPIL" in refused.json()["message"]
    bad = await gov.call("POST", "/mandates", json={"title": "X", "engagements": [51]})
    assert bad.status_code == 422 and bad.json()["message"] == "Engagement inconnu : n° 51."
    mandate = await _mandate(gov, resident.email)
    mid = mandate["id"]
    [seat] = (await gov.ok("GET", f"/mandates/{mid}"))["members"]
    for who in (PUBLIC, resident, pilot):
        attempts = {
            "membre": await gov.call("POST", f"/mandates/{mid}/members", who, json={"person": {"name": "Intrus"}}),
            "retrait": await gov.call("POST", f"/mandates/{mid}/members/{seat['id']}/remove", who),
            "état": await gov.call("PATCH", f"/mandates/{mid}", who, json={"status": "termine", "version": 1}),
        }
        for action, response in attempts.items():
            assert response.status_code == 403 and "secrétariat du COPIL" in response.json()["message"], action

    for who in (PUBLIC, pilot):
        refused = await gov.call("POST", f"/mandates/{mid}/findings", who, json={"text": "Constat"})
        assert refused.status_code == 403 and "membres de ce mandat" in refused.json()["message"]
    await gov.ok("POST", f"/mandates/{mid}/findings", resident, json={"text": "Les bacs débordent le lundi."})
    past = await gov.call("POST", f"/mandates/{mid}/recommendations", resident, json={
        "text": "X", "organisation_id": "ville-nantes", "due_on": str(paris_today() - timedelta(days=1))})
    assert past.status_code == 422 and "passée" in past.json()["message"]
    rec = await gov.ok("POST", f"/mandates/{mid}/recommendations", resident, json={
        "text": "Une collecte de plus le lundi.", "organisation_id": "ville-nantes"})
    assert rec["due_on"] == str(paris_today() + timedelta(days=60)) and not rec["overdue"]

    for who in (PUBLIC, resident, other):
        refused = await gov.call("POST", f"/recommendations/{rec['id']}/answer", who,
                                 json={"answer": "acceptee", "text": "Oui", "version": 1})
        assert refused.status_code == 403 and "organisation à qui la préconisation" in refused.json()["message"]
    empty = await gov.call("POST", f"/recommendations/{rec['id']}/answer", pilot,
                           json={"answer": "acceptee", "text": " ", "version": 1})
    assert empty.status_code == 422 and "Réponse : champ obligatoire" in empty.json()["message"]
    await gov.ok("POST", f"/recommendations/{rec['id']}/answer", pilot,
                 json={"answer": "partielle", "text": "Le lundi seulement en été.", "version": 1})
    twice = await gov.call("POST", f"/recommendations/{rec['id']}/answer", SECRETARIAT,
                           json={"answer": "refusee", "text": "Non", "version": 2})
    assert twice.status_code == 422 and "déjà reçu sa réponse" in twice.json()["message"]

    public = await gov.ok("GET", f"/mandates/{mid}", PUBLIC)
    [shown] = public["recommendations"]
    assert (shown["answer_label"], shown["answer_text"]) == ("Acceptée en partie", "Le lundi seulement en été.")
    assert public["members"][0]["person"]["name"] is None  # did not agree to be named
    assert not public["may_publish"] and public["answerable"] == []
    assert (await gov.ok("GET", f"/mandates/{mid}", resident))["may_publish"]
    events = await _types(gov)
    published = [t for t, _ in events if t.startswith("cdv.participation.") and ("mandate" in t or "recommendation"
                                                                                  in t or "finding" in t)]
    assert published == ["cdv.participation.mandate.opened", "cdv.participation.finding.published",
                         "cdv.participation.recommendation.published", "cdv.participation.recommendation.answered"]
    public_text = json.dumps([d for t, d in events if t.startswith("cdv.participation.")], ensure_ascii=False)
    assert "Awa" not in public_text and resident.email not in public_text

    ended = await gov.ok("PATCH", f"/mandates/{mid}", json={"status": "termine", "version": 1})
    assert ended["status"] == "termine"
    closed = await gov.call("POST", f"/mandates/{mid}/findings", resident, json={"text": "Encore"})
    assert closed.status_code == 422 and "terminé" in closed.json()["message"]


async def test_the_demo_shows_an_answered_and_an_overdue_recommendation(gov) -> None:
    async with gov.running.runtime.db.session() as session:  # as if engagements had defined n° 47 (its opinions)
        await record_engagement(session, number=47, title="Engagement 47", theme_id="", theme_title="",
                                pilots=["nantes-metropole"])
        await session.commit()
    message = await seed(gov.running.runtime.settings)
    assert "un mandat citoyen avec deux préconisations" in message
    assert "deux avis (un avec réponse, un en retard)" in message
    [mandate] = await gov.ok("GET", "/mandates", PUBLIC)
    assert (mandate["recommendations"], mandate["unanswered"], mandate["overdue"], mandate["demo"]) == (2, 1, 1, True)
    detail = await gov.ok("GET", f"/mandates/{mandate['id']}", PUBLIC)
    answered, overdue = detail["recommendations"]
    assert answered["answer"] == "partielle" and not answered["overdue"]
    assert overdue["answer"] is None and overdue["overdue"]
    assert [m["person"]["name"] for m in detail["members"]] == ["Amina Démo-Mandat", None, None]
    associations = await gov.ok("GET", "/associations", PUBLIC)
    assert associations["active_count"] == 5 and all(a["demo"] for a in associations["members"])
    [pending] = await gov.ok("GET", "/applications", params={"status": "pending"})
    assert pending["demo"] and pending["name"] == "Bottière Ensemble (démo)"
    again = await seed(gov.running.runtime.settings)  # idempotent: nothing more
    assert again.startswith("Démo de la gouvernance déjà chargée : rien à faire.")
    assert (await gov.ok("GET", "/associations", PUBLIC))["active_count"] == 5

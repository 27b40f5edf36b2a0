"""Who may do what in governance, role by role: the secretariat, a member of the body, a referent who is not a
member, the organisation responsible for a follow-up, and a visitor without an account."""

from __future__ import annotations

from datetime import timedelta

from kernel.identity import Identity
from services.participation.service.common import PUBLIC_USER
from tests.conftest import paris_today
from tests.participation.conftest import SECRETARIAT, day_at, person

PUBLIC = Identity(user_id=PUBLIC_USER, email="", name="Public", roles=[])


async def test_only_the_secretariat_runs_meetings_minutes_and_decisions(gov) -> None:
    member = person("Membre Copil", "caf")
    outsider = person("Référent Extérieur", "ville-reze")
    await gov.seat("copil", member)
    meeting = await gov.meeting("copil", days_ahead=-1, title="COPIL passé")
    mid = meeting["id"]
    for who in (member, outsider, PUBLIC):
        attempts = {
            "programmer": await gov.call("POST", "/meetings", who, json={"body_id": "copil", "title": "X",
                                                                         "starts_at": day_at(30)}),
            "composer": await gov.call("POST", f"/meetings/{mid}/items", who, json={"title": "X", "draft_rev": 0}),
            "publier": await gov.call("POST", f"/meetings/{mid}/publish", who, json={"draft_rev": 0,
                                                                                   "late_reason": "x"}),
            "présences": await gov.call("PUT", f"/meetings/{mid}/attendance", who, json={"lines": []}),
            "compte rendu": await gov.call("PUT", f"/meetings/{mid}/minutes", who, json={"text": "x"}),
            "décision": await gov.call("POST", f"/meetings/{mid}/decisions", who, json={"text": "x"}),
            "membres": await gov.call("POST", "/bodies/copil/members", who, json={"person": {"name": "X"}}),
            "renommer": await gov.call("PATCH", "/bodies/gtt-emploi", who, json={"name": "X"}),
            "déplacer": await gov.call("POST", f"/meetings/{mid}/move", who, json={"starts_at": day_at(9)}),
            "annuler": await gov.call("POST", f"/meetings/{mid}/cancel", who, json={"reason": "x"}),
        }
        for action, response in attempts.items():
            assert response.status_code == 403, (who.name, action, response.text)
            assert "secrétariat du COPIL" in response.json()["message"]
    view = await gov.view(mid)
    assert view["draft"]["items"] == [] and view["decisions"] == [] and view["minutes"]["text"] is None

    await gov.item(mid, "Point")
    assert (await gov.publish(mid, reason="Réunion passée")).status_code == 201
    assert (await gov.call("PUT", f"/meetings/{mid}/attendance", json={"lines": [
        {"person_id": (await gov.view(mid))["members"][0]["person"]["id"], "status": "present"}]})).status_code == 200
    assert (await gov.call("POST", f"/meetings/{mid}/decisions", json={"text": "Décidé"})).status_code == 201
    assert (await gov.call("PUT", f"/meetings/{mid}/minutes", json={"text": "CR", "publish": True})).status_code == 200


async def test_only_members_propose_and_see_members_only_documents(gov) -> None:
    member = person("Membre GTC", "caf")
    outsider = person("Pas membre", "caf")
    await gov.seat("gtc", member)
    meeting = await gov.meeting("gtc", days_ahead=30)
    mid = meeting["id"]
    item = await gov.item(mid, "Point avec annexes")
    rev = (await gov.view(mid))["meeting"]["draft_rev"]
    private = await gov.ok("POST", f"/meetings/{mid}/documents", params={
        "title": "Note interne", "draft_rev": rev, "item_id": item["id"], "public": "false", "filename": "note.pdf"},
        content=b"%PDF-1.4\n% note interne\n", headers={"Content-Type": "application/pdf"})
    public = await gov.ok("POST", f"/meetings/{mid}/documents", params={
        "title": "Diaporama", "draft_rev": rev + 1, "filename": "diapo.pdf"},
        content=b"%PDF-1.4\n% diaporama\n", headers={"Content-Type": "application/pdf"})

    # Before publication: only the secretariat reads the files; the public does not even see the meeting.
    assert (await gov.call("GET", f"/documents/{public['id']}/content", member)).status_code == 403
    assert (await gov.call("GET", f"/meetings/{mid}", PUBLIC)).status_code == 403
    await gov.publish(mid)

    for who, expected in ((member, 200), (outsider, 403), (PUBLIC, 403), (SECRETARIAT, 200)):
        response = await gov.call("GET", f"/documents/{private['id']}/content", who)
        assert response.status_code == expected, who.name
        if expected == 200:
            assert response.content.startswith(b"%PDF") and response.headers["content-type"] == "application/pdf"
    assert (await gov.call("GET", f"/documents/{public['id']}/content", PUBLIC)).status_code == 200
    public_view = await gov.view(mid, PUBLIC)
    assert [d["title"] for d in public_view["latest"]["items"][0]["documents"]] == []
    member_view = await gov.view(mid, member)
    assert [d["title"] for d in member_view["latest"]["items"][0]["documents"]] == ["Note interne"]

    refused = await gov.call("POST", f"/meetings/{mid}/proposals", outsider, json={"title": "Mon point"})
    assert refused.status_code == 403 and "membres de l'instance" in refused.json()["message"]
    assert (await gov.call("POST", f"/meetings/{mid}/proposals", PUBLIC, json={"title": "x"})).status_code == 403
    accepted = await gov.call("POST", f"/meetings/{mid}/proposals", member, json={"title": "Mon point"})
    assert accepted.status_code == 201


async def test_only_the_responsible_organisation_updates_a_follow_up(gov) -> None:
    meeting = await gov.meeting("copil", days_ahead=-2, title="COPIL passé")
    decision = await gov.ok("POST", f"/meetings/{meeting['id']}/decisions", json={
        "text": "Ouvrir une permanence emploi", "responsible_organisation_id": "pole-emploi",
        "due_on": str(paris_today() - timedelta(days=3)), "engagements": [17]})
    referent = person("Référente Pôle emploi", "pole-emploi")
    other = person("Référent CAF", "caf")
    for who in (other, PUBLIC):
        refused = await gov.call("POST", f"/decisions/{decision['id']}/follow-up", who,
                                 json={"status": "en_cours", "comment": "x", "version": 1})
        assert refused.status_code == 403 and "organisation chargée du suivi" in refused.json()["message"]
    done = await gov.ok("POST", f"/decisions/{decision['id']}/follow-up", referent,
                        json={"status": "en_cours", "comment": "Local trouvé", "version": 1})
    assert done["status"] == "en_cours" and done["version"] == 2
    stale = await gov.call("POST", f"/decisions/{decision['id']}/follow-up", SECRETARIAT,
                           json={"status": "fait", "comment": "Ouvert", "version": 1})
    assert stale.status_code == 409 and stale.json()["current"]["status"] == "en_cours"
    register = await gov.ok("GET", "/decisions", PUBLIC, params={"overdue": True})
    assert [d["id"] for d in register] == [decision["id"]] and register[0]["overdue"] is True
    assert register[0]["history"][0]["comment"] == "Local trouvé"
    assert register[0]["history"][0]["actor_name"] is None  # the public sees the organisation, not the person


async def test_internal_decisions_stay_out_of_the_public_register(gov, nats_url, namespace) -> None:
    member = person("Membre COPIL", "caf")
    await gov.seat("copil", member)
    meeting = await gov.meeting("copil", days_ahead=-2)
    await gov.ok("POST", f"/meetings/{meeting['id']}/decisions", json={"text": "Décision publique", "engagements": [3]})
    await gov.ok("POST", f"/meetings/{meeting['id']}/decisions", json={"text": "Décision interne", "internal": True,
                                                                        "engagements": [3]})
    public = [d["text"] for d in await gov.ok("GET", "/decisions", PUBLIC, params={"engagement": 3})]
    insider = [d["text"] for d in await gov.ok("GET", "/decisions", member, params={"engagement": 3})]
    outsider = [d["text"] for d in await gov.ok("GET", "/decisions", person("X", "caf"), params={"engagement": 3})]
    assert public == outsider == ["Décision publique"]
    assert sorted(insider) == ["Décision interne", "Décision publique"]


async def test_interbailleurs_members_write_their_joint_contribution(gov) -> None:
    landlord_a = person("Bailleur A", "vilogia")
    landlord_b = person("Bailleur B", "habitat-44")
    copil_member = person("Membre COPIL", "caf")
    await gov.seat("interbailleurs", landlord_a)
    await gov.seat("interbailleurs", landlord_b)
    await gov.seat("copil", copil_member)
    meeting = await gov.meeting("copil", days_ahead=30)
    item = await gov.item(meeting["id"], "Tranquillité publique")
    await gov.publish(meeting["id"])
    path = f"/meetings/{meeting['id']}/items/{item['id']}/contribution"
    refused = await gov.call("PUT", path, copil_member, json={"body_id": "interbailleurs", "text": "x"})
    assert refused.status_code == 403 and "membres de « Interbailleurs" in refused.json()["message"]
    not_a_contributor = await gov.call("PUT", path, copil_member, json={"body_id": "copil", "text": "x"})
    assert not_a_contributor.status_code == 422
    first = await gov.ok("PUT", path, landlord_a, json={"body_id": "interbailleurs", "text": "Premier jet"})
    second = await gov.ok("PUT", path, landlord_b, json={"body_id": "interbailleurs", "text": "Version commune",
                                                         "version": first["version"]})
    stale = await gov.call("PUT", path, landlord_a, json={"body_id": "interbailleurs", "text": "Écrasement",
                                                          "version": first["version"]})
    assert stale.status_code == 409 and stale.json()["current"]["text"] == "Version commune"
    seen = await gov.view(meeting["id"], copil_member)
    assert [(c["body_id"], c["text"]) for c in seen["contributions"]] == [("interbailleurs", "Version commune")]
    assert second["updated_by"] == "Bailleur B"

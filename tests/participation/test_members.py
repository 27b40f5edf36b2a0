"""Bodies and their members: seats announced, names kept private unless agreed, removal anonymises the history,
"mes instances" links an account to its member record, uploads are checked."""

from __future__ import annotations

import asyncio
import json

import nats

from tests.participation.conftest import SECRETARIAT, person
from tests.participation.test_authorization import PUBLIC


async def test_bodies_come_from_the_contract_and_can_be_renamed(gov) -> None:
    bodies = {b["id"]: b for b in await gov.ok("GET", "/bodies", PUBLIC)}
    assert bodies["copil"]["kind"] == "copil" and bodies["rdv-politique-de-la-ville"]["engagements"] == [47]
    assert len([b for b in bodies.values() if b["kind"] == "groupe-thematique"]) == 9
    assert len([b for b in bodies.values() if b["kind"] == "conseil-citoyen"]) == 8
    assert bodies["gtt-culture"]["uncertain"] is False and bodies["gtt-emploi"]["uncertain"] is True
    renamed = await gov.ok("PATCH", "/bodies/gtt-emploi", json={"name": "Groupe emploi et insertion"})
    assert renamed["name"] == "Groupe emploi et insertion" and renamed["renamed"] is True
    assert renamed["contract_name"].startswith("Groupe technique thématique")


async def test_seats_are_announced_and_names_stay_private_unless_agreed(gov, nats_url, namespace) -> None:
    nc = await nats.connect(nats_url)
    public_q: asyncio.Queue = asyncio.Queue()
    internal_q: asyncio.Queue = asyncio.Queue()
    await nc.subscribe(f"{namespace}.participation.membership.changed", cb=public_q.put)
    await nc.subscribe(f"{namespace}.participation-internal.person.changed", cb=internal_q.put)
    try:
        private = person("Nadia Discrète", "caf", email="nadia.discrete@test.example")
        seat = await gov.seat("interbailleurs", private, org="nantes-metropole-habitat")
        agreed = await gov.ok("POST", "/bodies/interbailleurs/members", json={
            "person": {"name": "Paul Public", "email": "paul.public@test.example", "public_name": True},
            "organisation_id": "vilogia", "seat": "suppleant"})
        duplicate = await gov.call("POST", "/bodies/copil/members", json={
            "person": {"name": "Autre", "email": "NADIA.discrete@test.example"}})
        assert duplicate.status_code == 422 and "déjà l'adresse" in duplicate.json()["message"]

        events = [json.loads((await asyncio.wait_for(public_q.get(), 10)).data) for _ in range(2)]
        first = next(e["data"] for e in events if e["data"]["membership_id"] == seat["id"])
        assert first["organisation_id"] == "nantes-metropole-habitat" and first["public_name"] is None
        assert "Nadia" not in json.dumps(events[0]) + json.dumps(events[1]).replace("Paul Public", "")
        person_event = json.loads((await asyncio.wait_for(internal_q.get(), 10)).data)
        assert person_event["type"] == "cdv.participation-internal.person.changed"
        assert person_event["data"]["email"] == "nadia.discrete@test.example"

        public_view = await gov.ok("GET", "/bodies/interbailleurs", PUBLIC)
        names = {s["organisation_id"]: s["person"]["name"] for s in public_view["seats"]}
        assert names == {"nantes-metropole-habitat": None, "vilogia": "Paul Public"}
        assert all("email" not in s["person"] for s in public_view["seats"])
        secretariat_view = await gov.ok("GET", "/bodies/interbailleurs")
        assert {s["person"]["email"] for s in secretariat_view["seats"]} == {"nadia.discrete@test.example",
                                                                              "paul.public@test.example"}

        # Removing Nadia: her seat ends, her name and address go, the body's history stays readable.
        removed = await gov.ok("DELETE", f"/people/{seat['person']['id']}")
        assert removed["name"] == "Personne anonymisée" and removed["email"] is None
        history = await gov.ok("GET", "/bodies/interbailleurs")
        gone = next(s for s in history["seats"] if s["id"] == seat["id"])
        assert gone["active"] is False and gone["person"]["name"] == "Personne anonymisée"
        assert gone["organisation_id"] == "nantes-metropole-habitat"
        anonymised = json.loads((await asyncio.wait_for(internal_q.get(), 10)).data)
        while anonymised["data"]["member_id"] != seat["person"]["id"] or not anonymised["data"]["anonymised"]:
            anonymised = json.loads((await asyncio.wait_for(internal_q.get(), 10)).data)
        assert anonymised["data"]["email"] is None
        assert agreed["active"] is True
    finally:
        await nc.close()


async def test_my_bodies_link_the_account_by_address(gov, nats_url, namespace) -> None:
    nc = await nats.connect(nats_url)
    internal_q: asyncio.Queue = asyncio.Queue()
    await nc.subscribe(f"{namespace}.participation-internal.person.changed", cb=internal_q.put)
    try:
        member = person("Léa Compte", "ville-nantes", email="lea.compte@test.example")
        await gov.seat("gtc", member)
        await gov.seat("copil", member)
        await gov.meeting("gtc", days_ahead=12, title="GTC à venir")
        mine = await gov.ok("GET", "/me", member)
        assert sorted(s["body_id"] for s in mine["seats"]) == ["copil", "gtc"]
        assert [m["title"] for m in mine["meetings"]] == ["GTC à venir"]
        linked = None
        while linked is None or linked["data"]["account_id"] is None:
            linked = json.loads((await asyncio.wait_for(internal_q.get(), 10)).data)
        assert linked["data"]["account_id"] == member.user_id
        assert (await gov.ok("GET", "/me", person("Personne", "caf")))["seats"] == []
    finally:
        await nc.close()


async def test_uploads_are_size_limited_and_typed_by_content(gov_factory, tmp_path) -> None:
    files = tmp_path / "files"
    async with gov_factory(files_dir=files, upload_max_bytes=2000) as gov:
        meeting = await gov.meeting("gtc", days_ahead=30)
        mid = meeting["id"]

        async def upload(content: bytes, name: str) -> object:
            rev = (await gov.view(mid))["meeting"]["draft_rev"]
            return await gov.call("POST", f"/meetings/{mid}/documents", params={
                "title": name, "draft_rev": rev, "filename": name}, content=content)

        big = await upload(b"%PDF-1.4\n" + b"x" * 5000, "gros.pdf")
        assert big.status_code == 413 and big.json()["code"] == "too_large"
        assert big.json()["message"] == "Fichier trop volumineux : 2 ko au plus. Rien n'a été enregistré."
        huge = await gov.call("POST", f"/meetings/{mid}/items", json={"title": "x" * 100_000, "draft_rev": 0})
        assert huge.status_code == 413 and huge.json()["code"] == "too_large", "any body past the limit"
        exe = await upload(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\xff\xff", "rapport.pdf")
        assert exe.status_code == 422 and "Type de fichier non accepté" in exe.json()["message"]
        assert list(files.iterdir()) == [] and (await gov.view(mid))["draft"]["documents"] == []

        png = await upload(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "plan.pdf")
        assert png.status_code == 201
        assert png.json()["content_type"] == "image/png" and png.json()["filename"] == "plan.png"
        csv = await upload("commune;valeur\nRezé;12\n".encode(), "donnees.csv")
        assert csv.status_code == 201 and csv.json()["filename"] == "donnees.csv"
        link = await gov.call("POST", f"/meetings/{mid}/links", json={
            "title": "Site", "url": "javascript:alert(1)", "draft_rev": (await gov.view(mid))["meeting"]["draft_rev"]})
        assert link.status_code == 422 and link.json()["field"] == "url"
        assert len((await gov.view(mid, SECRETARIAT))["draft"]["documents"]) == 2

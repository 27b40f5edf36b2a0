"""The portal's part of participation: the 15 QPV (the 6 the text does not name marked so) named by the
secretariat with a national code in the national format, kept across a contract reload; news and resources."""

from __future__ import annotations

import pytest

from gateway.contract import loader, validation
from services.participation import qpv_codes
from tests.conftest import ADMIN, DEFAULT_CONTRACT, auth, identity
from tests.participation.conftest import SECRETARIAT


@pytest.mark.parametrize("code", ["QP044001", "qp 044 017", "QN04404M", "QN02A01M", "QP974012", "QN97101I"])
def test_national_qpv_codes_of_both_generations_are_accepted(code: str) -> None:
    assert qpv_codes.is_valid(qpv_codes.normalise(code))


@pytest.mark.parametrize("code", ["QP44001", "QP0440011", "QN0440M", "QN04404", "QX044001", "QP000001", "QN04404MM",
                                  "44001", ""])
def test_anything_else_is_refused(code: str) -> None:
    assert not qpv_codes.is_valid(qpv_codes.normalise(code))


async def test_the_secretariat_names_a_qpv_with_a_checked_code_and_a_reload_keeps_it(gov) -> None:
    c = gov.running.client
    qpv = (await c.get("/api/v1/qpv", headers=auth(identity("caf")))).json()
    assert len(qpv) == 15
    unnamed = [q for q in qpv if not q["named"]]
    assert len(unnamed) == 6 and all("non nommé" in q["name"] for q in unnamed)
    target = unnamed[0]["id"]
    url = f"/api/v1/qpv/{target}"
    refused = await c.patch(url, headers=auth(identity("ville-nantes")), json={"name": "Port-Boyer"})
    assert refused.status_code == 403
    bad = await c.patch(url, headers=auth(SECRETARIAT), json={"name": "Port-Boyer", "code": "QP44-12"})
    assert bad.status_code == 422 and "QP044001" in bad.json()["message"] and bad.json()["field"] == "code"
    assert next(q for q in (await c.get("/api/v1/qpv", headers=auth(SECRETARIAT))).json()
                if q["id"] == target)["named"] is False  # nothing written
    good = await c.patch(url, headers=auth(SECRETARIAT), json={"name": "Port-Boyer", "code": "qp044 025",
                                                              "cities": ["Nantes"]})
    assert good.status_code == 200, good.text
    assert good.json()["code"] == "QP044025" and good.json()["named"] is True
    taken = await c.patch("/api/v1/qpv/malakoff", headers=auth(SECRETARIAT), json={"name": "Malakoff",
                                                                                    "code": "QP044025"})
    assert taken.status_code == 422 and "Port-Boyer" in taken.json()["message"]
    body = loader.participation_part(validation.load_file(DEFAULT_CONTRACT))
    assert (await c.put("/api/v1/registry", json=body, headers=auth(ADMIN))).status_code == 200
    kept = next(q for q in (await c.get("/api/v1/qpv", headers=auth(SECRETARIAT))).json() if q["id"] == target)
    assert (kept["name"], kept["code"], kept["cities"], kept["named"]) == ("Port-Boyer", "QP044025", ["Nantes"], True)


async def test_news_are_published_by_the_secretariat_and_read_by_everyone(gov) -> None:
    c = gov.running.client
    public = identity(None, name="Visiteur")
    refused = await c.post("/api/v1/news", headers=auth(identity("ville-nantes")), json={"title": "X", "body": "Y"})
    assert refused.status_code == 403
    no_link = await c.post("/api/v1/news", headers=auth(SECRETARIAT), json={"kind": "ressource", "title": "Guide"})
    assert no_link.status_code == 422 and no_link.json()["field"] == "url"
    script = await c.post("/api/v1/news", headers=auth(SECRETARIAT), json={
        "kind": "ressource", "title": "Guide", "url": "javascript:alert(1)"})
    assert script.status_code == 422
    made = await c.post("/api/v1/news", headers=auth(SECRETARIAT), json={
        "kind": "ressource", "title": "Guide des conseils citoyens", "url": "https://exemple.fr/guide.pdf"})
    assert made.status_code == 201
    listed = (await c.get("/api/v1/news", headers=auth(public), params={"kind": "ressource"})).json()
    assert [n["title"] for n in listed] == ["Guide des conseils citoyens"]
    withdrawn = await c.post(f"/api/v1/news/{made.json()['id']}/withdraw", headers=auth(SECRETARIAT))
    assert withdrawn.status_code == 200
    assert (await c.get("/api/v1/news", headers=auth(public))).json() == []
    assert (await c.get(f"/api/v1/news/{made.json()['id']}", headers=auth(public))).status_code == 404

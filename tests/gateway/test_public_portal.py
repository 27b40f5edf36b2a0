"""The public portal without an account: a crawl from `/` reaches the home, every engagement, every QPV and the open
data, and nothing private shows; the open-data package validates with frictionless and its CSV keep their
accents; pages answer 304 to a browser that has them, until the data changes."""

from __future__ import annotations

import asyncio
import html
import json
import re
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from frictionless import Package, validate

from tests.conftest import ADMIN, auth, identity, paris_today
from tests.gateway.indicator_helpers import SECRETARIAT, definition

MARK = uuid.uuid4().hex[:8]
REFERENT = identity("ville-nantes", "referent", name=f"Rémi Référent {MARK}")
EMAIL = re.compile(r"(?<![\w.+:-])[\w.+-]+@[\w-]+\.[\w.-]+")  # not a URL's user:password@host
LINK = re.compile(r'href="([^"#]+)')


async def _seed(stack) -> dict[str, str]:
    """Public and private data side by side: what the crawl must show, and what it must never show."""
    ind, eng, part = (stack[s].client for s in ("indicateurs", "engagements", "participation"))
    d = await definition(stack, 10, "Nombre de halls")
    approved = (await ind.post("/api/v1/submissions", headers=auth(REFERENT), json={
        "indicator_id": d["id"], "period": "2019", "value": 4321, "qualification": "definitif",
        "comment": f"commentaire-interne-{MARK}", "qpv_id": "malakoff" if d["by_qpv"] else None})).json()
    assert (await ind.post(f"/api/v1/submissions/{approved['id']}/approve", headers=auth(SECRETARIAT))).status_code \
        == 200
    draft = await ind.post("/api/v1/submissions", headers=auth(REFERENT), json={
        "indicator_id": d["id"], "period": "2018", "value": 98765, "draft": True,
        "qpv_id": "malakoff" if d["by_qpv"] else None})
    assert draft.status_code == 201, draft.text
    part_now = next(p for p in (await eng.get("/api/v1/engagements/10", headers=auth(REFERENT))).json()["parts"]
                    if p["organisation_id"] == "ville-nantes")
    updated = await eng.patch("/api/v1/engagements/10/parts/ville-nantes", headers=auth(REFERENT), json={
        "version": part_now["version"], "status": "en_cours", "progress": 40, "comment": f"note-interne-{MARK}",
        "qpv": ["malakoff"], "next_milestone": f"jalon-interne-{MARK}"})
    assert updated.status_code == 200, updated.text
    seated = await part.post("/api/v1/bodies/cc-malakoff/members", headers=auth(SECRETARIAT), json={
        "person": {"name": f"Zoé Anonyme{MARK}", "email": f"zoe{MARK}@exemple.fr", "public_name": False},
        "starts_on": str(paris_today() - timedelta(days=3))})
    assert seated.status_code == 201, seated.text
    news = await part.post("/api/v1/news", headers=auth(SECRETARIAT), json={
        "kind": "actualite", "title": f"Le bilan {MARK} est paru", "summary": "Un été à Malakoff : l'équipe répond.",
        "body": "Premier paragraphe.\n\nSecond paragraphe."})
    assert news.status_code == 201, news.text
    return {"value": "4 321", "private": [f"commentaire-interne-{MARK}", "98 765", "98765", f"note-interne-{MARK}",
                                          f"jalon-interne-{MARK}", f"Zoé Anonyme{MARK}", f"Rémi Référent {MARK}",
                                          f"zoe{MARK}@exemple.fr"]}


async def _crawl(client, start: str = "/", limit: int = 400) -> dict[str, str]:
    """Every page reachable from `start` by same-site links, as an anonymous visitor (downloads kept as text)."""
    seen: dict[str, str] = {}
    queue = [start]
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        response = await client.get(path)
        if response.status_code in (301, 302, 303, 307):
            seen[path] = ""
            continue  # a page that needs an account sends to the login page
        assert response.status_code == 200, (path, response.status_code)
        seen[path] = response.text
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        for href in LINK.findall(response.text):
            target = urlsplit(urljoin("https://gateway" + path, html.unescape(href)))
            if target.netloc != "gateway" or target.path.startswith(("/static/", "/connexion", "/fragments/")):
                continue
            link = target.path + (f"?{target.query}" if target.query else "")
            if link not in seen and link not in queue:
                queue.append(link)
    return seen


async def test_an_anonymous_crawl_reaches_everything_public_and_nothing_private(gateway, stack) -> None:
    seeded = await _seed(stack)
    await asyncio.sleep(0.5)  # events reach participation's and indicateurs' copies
    async with gateway.client() as client:
        pages = await _crawl(client)
    reached = set(pages)
    assert "/" in reached and "/donnees-ouvertes" in reached and "/donnees-ouvertes/datapackage.json" in reached
    assert {f"/contrat/engagements/{n}" for n in range(1, 51)} <= reached
    qpv = [p for p in reached if re.fullmatch(r"/quartiers/[a-z0-9-]+", p) and p != "/quartiers/aller"]
    assert len(qpv) == 15, sorted(qpv)
    assert "/donnees-ouvertes/valeurs-indicateurs.csv" in reached and "/actualites.atom" in reached
    text = {path: html.unescape(body).replace("\u202f", " ").replace("\u00a0", " ") for path, body in pages.items()}
    assert seeded["value"] in text["/contrat/engagements/10"]
    assert "Le bilan" in text["/"] and "Conseil citoyen de Malakoff" in text["/quartiers/malakoff"]
    # The one address the public may see: the contact a conseil citoyen publishes (the secretariat enters it on
    # the conseil's public profile); any other address on a public page is a leak.
    listed = await stack["participation"].client.get("/api/v1/conseils-citoyens", headers=auth(ADMIN))
    conseils = listed.json()["conseils"]
    published = {m.group(0) for c in conseils for m in EMAIL.finditer(c.get("contact") or "")}
    for path, body in text.items():
        for private in seeded["private"]:
            assert private not in body, (path, private)
        leaked = {m.group(0) for m in EMAIL.finditer(body.replace("@context", ""))} - published
        assert not leaked, (path, leaked)
        assert "badge--etat-brouillon" not in body and "etat-soumis" not in body, path
        if path.startswith(("/contrat/", "/quartiers")) or path == "/":  # the contract file's extraction notes
            assert "Le texte dit « Villes »" not in body, path


async def test_a_visitor_following_a_partners_link_to_an_engagement_reads_its_public_page(gateway) -> None:
    """Public pages and mails may name the partners' page of an engagement: a visitor lands on its public twin,
    which offers the login that leads back; a partner goes straight to the partners' page."""
    async with gateway.client() as visitor:
        moved = await visitor.get("/engagements/19")
        assert (moved.status_code, moved.headers["location"]) == (303, "/contrat/engagements/19")
        page = await visitor.get("/contrat/engagements/19")
        assert 'href="/connexion?next=/engagements/19"' in page.text
        listed = await visitor.get("/engagements")
        assert (listed.status_code, listed.headers["location"]) == (303, "/contrat/engagements")
        other = await visitor.get("/mes-engagements")  # no public twin: to the login form, then back
        assert other.headers["location"] == "/connexion?next=/mes-engagements"
    who = await gateway.account("ville-nantes", "referent")
    async with gateway.client() as partner:
        await gateway.logged_in(partner, who)
        assert (await partner.get("/engagements/19")).status_code == 200
        assert (await partner.get("/engagements")).headers["location"] == "/vue-d-ensemble"
        assert 'href="/engagements/19"' in (await partner.get("/contrat/engagements/19")).text


async def test_the_open_data_package_validates_and_its_csv_keep_their_accents(gateway, tmp_path: Path) -> None:
    async with gateway.client() as client:
        package = (await client.get("/donnees-ouvertes/datapackage.json")).json()
        (tmp_path / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
        for resource in package["resources"]:
            response = await client.get(f"/donnees-ouvertes/{resource['path']}")
            assert response.headers["content-type"].startswith("text/csv")
            (tmp_path / resource["path"]).write_bytes(response.content)
        as_json = (await client.get("/donnees-ouvertes/engagements.json")).json()
    assert package["licenses"][0]["name"] == "etalab-2.0"
    assert {r["name"] for r in package["resources"]} >= {"engagements", "valeurs-indicateurs", "decisions"}
    report = validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])[:10]
    raw = (tmp_path / "engagements.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs to read UTF-8
    header, first = raw[3:].decode("utf-8").split("\r\n")[:2]
    assert header.startswith("number;title;axis_number")
    assert "Réussite éducative, enfance, jeunesse" in raw.decode("utf-8-sig")
    rows = Package(str(tmp_path / "datapackage.json")).get_resource("engagements").read_rows()
    assert len(rows) == 50 == as_json["count"] and rows[0]["number"] == 1


async def test_public_pages_answer_304_until_the_data_changes(gateway, stack) -> None:
    async with gateway.client() as client:
        first = await client.get("/contrat/engagements/3")
        etag = first.headers["etag"]
        assert first.headers["cache-control"] == "public, no-cache"
        again = await client.get("/contrat/engagements/3", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        news = await stack["participation"].client.post("/api/v1/news", headers=auth(SECRETARIAT), json={
            "kind": "ressource", "title": "Guide des conseils citoyens", "url": "https://exemple.fr/guide.pdf"})
        assert news.status_code == 201
        await asyncio.sleep(1.1)  # the gateway asks the services' state keys at most once a second
        changed = await client.get("/contrat/engagements/3", headers={"If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["etag"] != etag
        resources = await client.get("/ressources")
        assert "Guide des conseils citoyens" in resources.text


async def test_the_secretariat_names_a_qpv_and_publishes_news_from_its_page(gateway) -> None:
    secretariat = await gateway.account("nantes-metropole", "secretariat", name="Claire Secrétariat")
    referent = await gateway.account("ville-nantes")
    async with gateway.client() as client:
        token = await gateway.logged_in(client, referent)
        assert (await client.get("/admin/portail")).status_code == 403
        refused = await client.post("/admin/portail/actualites", data={"csrf_token": token, "title": "X", "body": "Y"})
        assert refused.status_code == 403
    async with gateway.client() as client:
        token = await gateway.logged_in(client, secretariat)
        page = await client.get("/admin/portail")
        assert page.status_code == 200 and page.text.count("non nommé dans le contrat") >= 1
        bad = await client.post("/admin/portail/quartiers/qpv-non-nomme-15", data={
            "csrf_token": token, "name": "Quartier Test", "code": "44-001", "cities": "Nantes"})
        assert bad.status_code == 422
        assert "n'est pas un code national de QPV" in html.unescape(bad.text)
        assert 'value="Quartier Test"' in bad.text  # what was typed stays in the form
        good = await client.post("/admin/portail/quartiers/qpv-non-nomme-15", data={
            "csrf_token": token, "name": "Quartier Test", "code": "QN04415M", "cities": "Nantes, Rezé"})
        assert good.status_code == 303
        published = await client.post("/admin/portail/actualites", data={
            "csrf_token": token, "kind": "actualite", "title": "Réunion publique à Bellevue",
            "summary": "Le 12 juin, à la maison de quartier.", "body": "", "url": ""})
        assert published.status_code == 303
    await asyncio.sleep(1.1)  # the portal reads the services' state keys at most once a second
    async with gateway.client() as anonymous:
        qpv = await anonymous.get("/quartiers/qpv-non-nomme-15")
        feed = await anonymous.get("/actualites.atom")
    assert "Quartier Test" in qpv.text and "QN04415M" in qpv.text and "sans le nommer" not in qpv.text
    assert feed.headers["content-type"].startswith("application/atom+xml")
    assert "<title>Réunion publique à Bellevue</title>" in feed.text
    assert 'xmlns="http://www.w3.org/2005/Atom"' in feed.text

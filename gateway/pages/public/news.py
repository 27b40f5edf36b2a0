"""News and resources of the portal (the « espace ressources » of engagement 47) and the Atom feed of the news
(RFC 4287), all read from participation, which the secretariat publishes to."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.deps import OptionalViewer
from gateway.pages.public.caching import cached
from gateway.pages.public.store import store
from gateway.rendering import render

router = APIRouter()
ATOM = "http://www.w3.org/2005/Atom"


@router.get("/actualites")
async def news(request: Request, _viewer: OptionalViewer) -> Response:
    """The news, newest first."""

    async def make() -> Response:
        items = await store(request).news(kind="actualite")
        return render(request, "public/actualites.html", {"page_title": "Actualités", "nav": "actualites",
                                                          "items": items, "kind": "actualite"})

    return await cached(request, make)


@router.get("/ressources")
async def resources(request: Request, _viewer: OptionalViewer) -> Response:
    """The resources: documents of the contract, reports, guides."""

    async def make() -> Response:
        items = await store(request).news(kind="ressource")
        return render(request, "public/actualites.html", {"page_title": "Ressources", "nav": "actualites",
                                                          "items": items, "kind": "ressource"})

    return await cached(request, make)


@router.get("/actualites.atom")
async def feed(request: Request) -> Response:
    """The Atom feed of the news (and resources), for feed readers and other sites."""

    async def make() -> Response:
        items = await store(request).news(limit=30)
        base = str(request.base_url).rstrip("/")
        root = ET.Element("feed", xmlns=ATOM)
        root.set("xml:lang", "fr")
        ET.SubElement(root, "title").text = f"Contrat de ville · {request.app.state.settings.territory} — actualités"
        ET.SubElement(root, "id").text = f"{base}/actualites"
        ET.SubElement(root, "link", rel="self", href=f"{base}/actualites.atom")
        ET.SubElement(root, "link", rel="alternate", type="text/html", href=f"{base}/actualites")
        newest = max((i["published_at"] for i in items), default=datetime(2019, 1, 1, tzinfo=UTC).isoformat())
        ET.SubElement(root, "updated").text = newest
        ET.SubElement(ET.SubElement(root, "author"), "name").text = "Secrétariat du contrat de ville"
        for i in items:
            entry = ET.SubElement(root, "entry")
            ET.SubElement(entry, "title").text = i["title"]
            ET.SubElement(entry, "id").text = f"{base}/actualites/{i['id']}"
            ET.SubElement(entry, "link", rel="alternate", type="text/html", href=f"{base}/actualites/{i['id']}")
            ET.SubElement(entry, "updated").text = i["published_at"]
            ET.SubElement(entry, "published").text = i["published_at"]
            ET.SubElement(entry, "category", term=i["kind"],
                          label="Ressource" if i["kind"] == "ressource" else "Actualité")
            if i.get("summary"):
                ET.SubElement(entry, "summary").text = i["summary"]
            if i.get("body"):
                ET.SubElement(entry, "content", type="text").text = i["body"]
        body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        return Response(body, media_type="application/atom+xml; charset=utf-8")

    return await cached(request, make)


@router.get("/actualites/{news_id}")
async def news_item(news_id: str, request: Request, _viewer: OptionalViewer) -> Response:
    """One news item or resource."""

    async def make() -> Response:
        item = await store(request).get("participation", f"/api/v1/news/{news_id}")
        return render(request, "public/actualite.html", {"page_title": item["title"], "nav": "actualites",
                                                         "item": item})

    return await cached(request, make)

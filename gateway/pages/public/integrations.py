"""For integrators (public): the AsyncAPI document of every event, and a French page that explains it."""

from __future__ import annotations

import importlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from gateway.processes import SERVICES
from gateway.rendering import render
from kernel import asyncapi
from kernel.messaging import PUBLIC_MIRROR_SUFFIX

router = APIRouter(prefix="/integrations")
EXAMPLE_CONSUMER = Path(__file__).resolve().parents[3] / "docs" / "examples" / "integrator_consumer.py"
EXAMPLE_RECEIVER = EXAMPLE_CONSUMER.with_name("webhook_receiver.py")
# The event models are the contract: importing them (schemas only, no service code runs) fills the catalogue.
EVENT_MODULES = [service.events_module for service in SERVICES]


def servers(nats_url: str) -> dict[str, Any]:
    """The AsyncAPI servers of a NATS URL as the settings give it (a comma-separated list names a cluster);
    credentials written in the URL are never shown."""
    found: dict[str, Any] = {}
    urls = [u.strip() for u in nats_url.split(",") if u.strip()]
    for n, url in enumerate(urls, start=1):
        parts = urlsplit(url if "://" in url else f"nats://{url}")
        name = "production" if len(urls) == 1 else f"nats-{n}"
        found[name] = {"host": f"{parts.hostname}:{parts.port or 4222}",
                       "protocol": "tls" if parts.scheme == "tls" else "nats",
                       "description": "NATS JetStream : un flux par service, rétention longue ; les intégrateurs "
                                      "lisent les miroirs publics CDV_<SERVICE>_PUBLIC avec leur utilisateur NATS."}
    return found


@lru_cache(maxsize=4)
def document(nats_url: str) -> dict[str, Any]:
    for module in EVENT_MODULES:
        importlib.import_module(module)
    return asyncapi.build(title="Contrat de ville — événements", version="1.0.0", servers=servers(nats_url))


def advertised_url(request: Request) -> str:
    """The NATS address integrators are given: CDV_GATEWAY_PUBLIC_NATS_URL, else the NATS URL in force."""
    settings = request.app.state.settings
    return settings.public_nats_url or settings.nats_url


def _fields(schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", []))
    rows = []
    for name, prop in schema.get("properties", {}).items():
        kind = prop.get("type") or next((o.get("type") for o in prop.get("anyOf", []) if o.get("type") != "null"),
                                        None) or ("objet" if "$ref" in prop else "")
        if "$ref" in prop or any("$ref" in o for o in prop.get("anyOf", [])):
            kind = "objet"
        rows.append({"name": name, "type": kind, "required": name in required,
                     "description": prop.get("description", "")})
    return rows


@router.get("/asyncapi.json")
async def asyncapi_json(request: Request) -> JSONResponse:
    """The AsyncAPI 3 document, generated from the services' event models."""
    return JSONResponse(document(advertised_url(request)))


@router.get("")
async def integrations_page(request: Request) -> Response:
    """Subjects, payload schemas, example payloads and a runnable example consumer."""
    doc = document(advertised_url(request))
    components = doc["components"]
    events = []
    for key, message in sorted(components["messages"].items()):
        payload_ref = message["payload"]["properties"]["data"]["$ref"].rsplit("/", 1)[1]
        envelope = {name: asyncapi.example(prop, components, name)
                    for name, prop in message["payload"]["properties"].items()}
        envelope["type"] = message["name"]
        events.append({
            "type": message["name"], "summary": message["summary"], "anchor": key,
            "stream": "CDV_" + message["name"].split(".")[1].upper() + PUBLIC_MIRROR_SUFFIX,
            "retired": message.get("description") if message.get("x-retired") else None,
            "fields": _fields(components["schemas"][payload_ref]),
            "example": json.dumps(envelope, ensure_ascii=False, indent=2),
        })
    return render(request, "public/integrations.html", {
        "page_title": "Intégrer les événements", "nav": "integrations",
        "events": [e for e in events if not e["retired"]], "retired": [e for e in events if e["retired"]],
        "servers": doc["servers"],
        "consumer_source": EXAMPLE_CONSUMER.read_text(encoding="utf-8"),
        "receiver_source": EXAMPLE_RECEIVER.read_text(encoding="utf-8"),
    })

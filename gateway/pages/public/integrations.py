"""For integrators (public): the AsyncAPI document of every event, and a French page that explains it."""

from __future__ import annotations

import importlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from gateway.processes import SERVICES
from gateway.rendering import render
from kernel import asyncapi

router = APIRouter(prefix="/integrations")
EXAMPLE_CONSUMER = Path(__file__).resolve().parents[3] / "docs" / "examples" / "integrator_consumer.py"
EXAMPLE_RECEIVER = EXAMPLE_CONSUMER.with_name("webhook_receiver.py")
# The event models are the contract: importing them (schemas only, no service code runs) fills the catalogue.
EVENT_MODULES = [service.events_module for service in SERVICES]


@lru_cache(maxsize=4)
def document(nats_url: str) -> dict[str, Any]:
    for module in EVENT_MODULES:
        importlib.import_module(module)
    return asyncapi.build(
        title="Contrat de ville — événements", version="1.0.0",
        servers={"production": {"host": nats_url.split("://", 1)[-1], "protocol": "nats",
                                "description": "NATS JetStream : un flux par service, rétention longue"}},
    )


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
    return JSONResponse(document(request.app.state.settings.public_nats_url))


@router.get("")
async def integrations_page(request: Request) -> Response:
    """Subjects, payload schemas, example payloads and a runnable example consumer."""
    doc = document(request.app.state.settings.public_nats_url)
    components = doc["components"]
    events = []
    for key, message in sorted(components["messages"].items()):
        payload_ref = message["payload"]["properties"]["data"]["$ref"].rsplit("/", 1)[1]
        envelope = {name: asyncapi.example(prop, components, name)
                    for name, prop in message["payload"]["properties"].items()}
        envelope["type"] = message["name"]
        events.append({
            "type": message["name"], "summary": message["summary"], "anchor": key,
            "stream": "CDV_" + message["name"].split(".")[1].upper(),
            "fields": _fields(components["schemas"][payload_ref]),
            "example": json.dumps(envelope, ensure_ascii=False, indent=2),
        })
    return render(request, "public/integrations.html", {
        "page_title": "Intégrer les événements", "nav": "integrations", "events": events,
        "consumer_source": EXAMPLE_CONSUMER.read_text(encoding="utf-8"),
        "receiver_source": EXAMPLE_RECEIVER.read_text(encoding="utf-8"),
    })

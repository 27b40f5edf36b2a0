"""The AsyncAPI document covers every event type and describes what is really published."""

from __future__ import annotations

import importlib
import json
import re

import jsonschema
import pytest

from kernel import asyncapi
from kernel.events import CATALOGUE, is_internal

for service in ("engagements", "indicateurs", "participation", "notifications"):
    importlib.import_module(f"services.{service}.events")


def test_every_registered_event_has_a_channel_and_message() -> None:
    doc = asyncapi.build(title="t", version="1")
    assert doc["asyncapi"] == "3.0.0"
    # Internal events (personal data) stay out of the integrators' document; the test run's document has them all.
    assert {c["address"] for c in doc["channels"].values()} == {t for t in CATALOGUE if not is_internal(t)}
    internal = asyncapi.build(title="t", version="1", internal=True)
    assert {c["address"] for c in internal["channels"].values()} == set(CATALOGUE)
    assert any(is_internal(t) for t in CATALOGUE)  # participation's person.changed at least
    for key, channel in doc["channels"].items():
        assert channel["messages"][key]["$ref"] == f"#/components/messages/{key}"
        assert doc["operations"][f"publish_{key}"]["action"] == "send"


def test_a_wrong_payload_is_refused() -> None:
    doc = asyncapi.build(title="t", version="1")
    event = {"specversion": "1.0", "id": "x", "source": "/cdv/engagements", "time": "2026-01-01T00:00:00Z",
             "type": "cdv.engagements.contract.loaded", "datacontenttype": "application/json",
             "data": {"contract_id": "c", "title": "t", "version": "1", "engagements": "cinquante",
                      "added": [], "changed": []}}
    with pytest.raises(jsonschema.ValidationError):
        asyncapi.validate_event(doc, event)
    event["data"]["engagements"] = 50
    asyncapi.validate_event(doc, event)
    with pytest.raises(jsonschema.ValidationError):
        asyncapi.validate_event(doc, {**event, "type": "cdv.engagements.contract.exploded"})


def test_every_field_of_every_public_event_is_described() -> None:
    """Integrators read the meaning of each field in the document (and on /integrations), nested objects included."""
    doc = asyncapi.build(title="t", version="1")
    missing = [f"{name}.{field}" for name, schema in doc["components"]["schemas"].items()
               for field, prop in schema.get("properties", {}).items() if not prop.get("description")]
    assert missing == [], "fields without a description: " + ", ".join(missing)


def test_retired_types_are_documented_as_such_and_their_replacements_exist() -> None:
    doc = asyncapi.build(title="t", version="1")
    retired = {m["name"]: m for m in doc["components"]["messages"].values() if m.get("x-retired")}
    assert {"cdv.indicateurs.submission.validated", "cdv.engagements.engagement.progress_updated",
            "cdv.notifications.delivery.sent"} <= set(retired)
    for type_, message in retired.items():
        assert message["description"].startswith("Type retiré. Plus publié"), type_
        replacements = [t for t in CATALOGUE if t in message["description"] and t != type_]
        assert all(not CATALOGUE[t].__retired__ for t in replacements), type_
    assert "cdv.indicateurs.value.approved" in retired["cdv.indicateurs.submission.validated"]["description"]


def test_no_public_event_type_has_a_field_for_a_person_a_comment_or_an_unapproved_state() -> None:
    from tests.public_view import FORBIDDEN_FIELDS, PUBLIC_COMMENTS

    doc = asyncapi.build(title="t", version="1")
    schemas = doc["components"]["schemas"]

    def fields(schema: dict) -> set[str]:
        names = set(schema.get("properties", {}))
        for ref in re.findall(r"#/components/schemas/(\w+)", json.dumps(schema)):
            names |= fields(schemas[ref])
        return names

    for message in doc["components"]["messages"].values():
        if message.get("x-retired"):
            continue
        payload = schemas[message["payload"]["properties"]["data"]["$ref"].rsplit("/", 1)[1]]
        found = fields(payload) & (FORBIDDEN_FIELDS | ({"comment"} - ({"comment"} if message["name"] in
                                                                      PUBLIC_COMMENTS else set())))
        assert not found, (message["name"], found)

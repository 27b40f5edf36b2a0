"""The AsyncAPI document covers every event type and describes what is really published."""

from __future__ import annotations

import importlib

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

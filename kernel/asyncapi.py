"""The AsyncAPI 3 document of the system's events, generated from the registered payload models."""

from __future__ import annotations

import copy
from typing import Any

from kernel.events import CATALOGUE, EventPayload, is_internal
from kernel.messaging import PUBLIC_MIRROR_SUFFIX

ENVELOPE_FIELDS = {
    "specversion": {"type": "string", "const": "1.0"},
    "id": {"type": "string", "description": "Identifiant unique, stable d'une tentative à l'autre "
                                           "(aussi en-tête Nats-Msg-Id)."},
    "source": {"type": "string", "description": "Service émetteur, ex. /cdv/engagements."},
    "type": {"type": "string"},
    "subject": {"type": ["string", "null"], "description": "Entité concernée, ex. engagement/12."},
    "time": {"type": "string", "format": "date-time"},
    "datacontenttype": {"type": "string", "const": "application/json"},
    "traceparent": {"type": ["string", "null"], "description": "Contexte de trace W3C de la requête d'origine."},
}


def _hoist(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """Moves pydantic's local $defs into components/schemas and rewrites the references."""
    schema = copy.deepcopy(schema)
    for name, sub in schema.pop("$defs", {}).items():
        defs[name] = sub

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: (v.replace("#/$defs/", "#/components/schemas/") if k == "$ref" else rewrite(v))
                    for k, v in node.items()}
        if isinstance(node, list):
            return [rewrite(v) for v in node]
        return node

    for name in list(defs):
        defs[name] = rewrite(defs[name])
    return rewrite(schema)


def _example(model: type[EventPayload]) -> dict[str, Any] | None:
    examples = model.model_config.get("json_schema_extra") or {}
    return examples.get("example") if isinstance(examples, dict) else None


def build(*, title: str, version: str, servers: dict[str, Any] | None = None,
          catalogue: dict[str, type[EventPayload]] | None = None, internal: bool = False) -> dict[str, Any]:
    """The AsyncAPI document of the catalogue; services' internal events only when `internal` (tests, ops)."""
    catalogue = CATALOGUE if catalogue is None else catalogue
    catalogue = {t: m for t, m in catalogue.items() if internal or not is_internal(t)}
    schemas: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for type_, model in sorted(catalogue.items()):
        key = type_.replace(".", "_")
        payload_name = model.__name__
        schemas[payload_name] = _hoist(model.model_json_schema(ref_template="#/$defs/{model}"), schemas)
        envelope = {
            "type": "object",
            "required": ["specversion", "id", "source", "type", "time", "datacontenttype", "data"],
            "properties": {**ENVELOPE_FIELDS, "type": {"type": "string", "const": type_},
                           "data": {"$ref": f"#/components/schemas/{payload_name}"}},
        }
        retired = model.__retired__
        messages[key] = {
            "name": type_,
            "title": type_,
            "summary": model.__summary__,
            **({"description": f"Type retiré. {retired}", "x-retired": True} if retired else {}),
            "contentType": "application/cloudevents+json",
            "headers": {"type": "object", "properties": {
                "Nats-Msg-Id": {"type": "string", "description": "= id de l'événement (dédoublonnage)"},
                "traceparent": {"type": "string"}}},
            "payload": envelope,
        }
        service = type_.split(".")[1]
        stream = f"CDV_{service.upper().replace('-', '_')}"
        where = (f"Flux interne JetStream {stream} (sujets cdv.{service}.>) : lu par les services seulement, "
                 "jamais par les intégrateurs." if is_internal(type_) else
                 f"Flux JetStream {stream} (sujets cdv.{service}.>) ; les intégrateurs le lisent par son miroir "
                 f"{stream}{PUBLIC_MIRROR_SUFFIX}, avec leurs propres consommateurs.")
        channels[key] = {
            "address": type_,
            "title": type_,
            "description": where + (f" Retiré : plus publié. {retired}" if retired else ""),
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
        }
        operations[f"publish_{key}"] = {
            "action": "send",
            "title": f"Publication de {type_}",
            "summary": model.__summary__,
            "channel": {"$ref": f"#/channels/{key}"},
            "messages": [{"$ref": f"#/channels/{key}/messages/{key}"}],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": title, "version": version,
                 "description": "Événements du contrat de ville (CloudEvents 1.0, mode structuré JSON) publiés "
                                "sur NATS JetStream. Les événements publics suivent la vue publique : valeurs "
                                "approuvées seulement, ni nom ni adresse de personne, ni commentaire interne ; le "
                                "détail (valeurs en attente, commentaires, qui a agi, accusés de remise) circule "
                                "sur les flux internes cdv.<service>-internal.*, réservés aux services. Un "
                                "changement incompatible crée un nouveau type (ex. suffixe _v2) ; l'ancien, retiré, "
                                "reste décrit ici car les flux gardent ses événements passés."},
        "defaultContentType": "application/cloudevents+json",
        "servers": servers or {},
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


def envelope_schema(document: dict[str, Any], type_: str) -> dict[str, Any]:
    """A standalone JSON Schema for one event type's envelope, resolvable against the document."""
    key = type_.replace(".", "_")
    message = document["components"]["messages"][key]
    return {**message["payload"], "components": document["components"]}


def validate_event(document: dict[str, Any], event: dict[str, Any]) -> None:
    """Raises jsonschema.ValidationError when an event does not match its declared type in the document."""
    import jsonschema

    if event.get("type", "").replace(".", "_") not in document["components"]["messages"]:
        raise jsonschema.ValidationError(f"type not in the AsyncAPI document: {event.get('type')}")
    jsonschema.validate(event, envelope_schema(document, event["type"]))



def example(schema: dict[str, Any], components: dict[str, Any], name: str = "") -> Any:
    """A plausible example value for a JSON Schema (for the integrators' page), following references."""
    if "$ref" in schema:
        return example(components["schemas"][schema["$ref"].rsplit("/", 1)[1]], components, name)
    if "examples" in schema:
        return schema["examples"][0]
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return example(options[0], components, name)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        return {k: example(v, components, k) for k, v in schema.get("properties", {}).items()}
    if kind == "array":
        return [example(schema.get("items", {}), components, name)]
    if kind == "integer":
        return 12 if "number" in name else 1
    if kind == "number":
        return 42.5
    if kind == "boolean":
        return False
    if schema.get("format") == "date-time":
        return "2026-11-25T14:03:12Z"
    if schema.get("format") == "date":
        return "2027-03-15"
    return f"<{name or 'texte'}>"

"""Out-of-range ids are not found (404), never a database overflow (502): every integer parameter of every
route of the gateway and the services is bounded (`kernel.ids`), and the probes of the security review answer
404 through the real stack. An integer of a request's body past the bounds is a 422 naming the field."""

from __future__ import annotations

import importlib
import typing
from pathlib import Path
from typing import Any

import pytest
from annotated_types import Interval, Le
from fastapi.routing import APIRoute
from pydantic import BeforeValidator

from gateway.processes import SERVICE_NAMES
from kernel.ids import MAX_ID
from tests.conftest import ADMIN, auth, identity

NINES_50 = "9" * 50


def _apps(tmp_path: Path) -> dict[str, Any]:
    from gateway.app import create_app
    from gateway.settings import Settings

    apps = {"gateway": create_app(Settings(environment="test", database_url=f"sqlite+aiosqlite:///{tmp_path}/g.db"))}
    for name in SERVICE_NAMES:
        settings = importlib.import_module(f"services.{name}.settings").Settings(
            environment="test", database_url=f"sqlite+aiosqlite:///{tmp_path}/{name}.db")
        apps[name] = importlib.import_module(f"services.{name}.app").create_app(settings)
    return apps


def _bounded(metadata: list[Any]) -> bool:
    for m in metadata:
        if isinstance(m, BeforeValidator) and m.func.__module__ == "kernel.ids":
            return True
        if isinstance(m, Interval) and m.le is not None and m.le <= MAX_ID:
            return True
        if isinstance(m, Le) and m.le <= MAX_ID:
            return True
    return False


def _routes(routes: list[Any]) -> list[APIRoute]:
    """Every route, those of included routers too."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):  # an included router (FastAPI keeps it whole)
            found.extend(_routes(route.original_router.routes))
        elif hasattr(route, "routes"):
            found.extend(_routes(route.routes))
    return found


def test_every_integer_parameter_of_every_route_is_bounded(tmp_path: Path) -> None:
    unbounded, seen = [], 0
    for app_name, app in _apps(tmp_path).items():
        for route in _routes(app.routes):
            for param in route.dependant.path_params + route.dependant.query_params:
                annotation = param.field_info.annotation
                if int not in (annotation, *typing.get_args(annotation)):
                    continue
                seen += 1
                if not _bounded(param.field_info.metadata):
                    unbounded.append(f"{app_name} {route.path} {param.name}")
    assert seen > 40, "the walk found the routes' integer parameters"
    assert not unbounded, "integer parameters without bounds (use kernel.ids.Id or Cursor):\n" + "\n".join(unbounded)


def _integers_without_bounds(schema: dict[str, Any], where: str, components: dict[str, Any],
                              seen: set[str]) -> tuple[int, list[str]]:
    """The integers of a body's JSON schema (nested models, lists and unions too): how many, and those with no
    maximum within MAX_ID."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return 0, []
        seen.add(name)
        return _integers_without_bounds(components[name], where, components, seen)
    count, unbounded = 0, []
    if schema.get("type") == "integer":
        count = 1
        if schema.get("maximum", MAX_ID + 1) > MAX_ID:
            unbounded.append(where)
    parts = [(f"{where}.{k}", v) for k, v in schema.get("properties", {}).items()]
    parts += [(f"{where}[]", schema["items"])] if isinstance(schema.get("items"), dict) else []
    parts += [(where, v) for k in ("anyOf", "oneOf", "allOf") for v in schema.get(k, [])]
    for part_where, part in parts:
        c, u = _integers_without_bounds(part, part_where, components, seen)
        count, unbounded = count + c, unbounded + u
    return count, unbounded


def test_every_integer_of_every_request_body_is_bounded(tmp_path: Path) -> None:
    unbounded, seen = [], 0
    for app_name, app in _apps(tmp_path).items():
        spec = app.openapi()
        components = spec.get("components", {}).get("schemas", {})
        for path, operations in spec["paths"].items():
            for method, operation in operations.items():
                for content in operation.get("requestBody", {}).get("content", {}).values():
                    count, found = _integers_without_bounds(content["schema"], f"{app_name} {method} {path}",
                                                            components, set())
                    seen += count
                    unbounded += found
    assert seen > 40, "the walk found the bodies' integers"
    assert not unbounded, "body integers without bounds (use kernel.ids.Ref or Cursor):\n" + "\n".join(unbounded)


@pytest.mark.parametrize(("service", "path"), [
    ("engagements", f"/api/v1/engagements/{NINES_50}"),
    ("engagements", "/api/v1/engagements/0"),
    ("indicateurs", f"/api/v1/definitions/{'9' * 30}"),
    ("indicateurs", f"/api/v1/exports/values.csv?engagement={'9' * 40}"),
    ("indicateurs", f"/api/v1/submissions?indicator={'9' * 25}"),
    ("indicateurs", f"/api/v1/campaigns/{'9' * 20}"),
    ("participation", f"/api/v1/decisions?engagement={'9' * 40}"),
    ("notifications", f"/api/v1/webhooks/deliveries/{'9' * 19}"),
])
async def test_a_service_answers_an_id_past_the_databases_as_not_found(stack, service: str, path: str) -> None:
    r = await stack[service].client.get(path, headers=auth(ADMIN))
    assert r.status_code == 404, r.text
    assert r.json()["code"] == "not_found" and r.json()["message"]


@pytest.mark.parametrize("path", [
    f"/engagements/{NINES_50}",
    f"/indicateurs/{'9' * 30}",
    f"/indicateurs/exports/valeurs.csv?engagement={'9' * 40}",
    f"/indicateurs/exports/valeurs.xlsx?indicator={'9' * 40}",
    f"/mes-engagements/{NINES_50}/carte",
])
async def test_the_gateway_shows_not_found_for_an_id_past_the_databases(gateway, path: str) -> None:
    who = await gateway.account("ville-nantes", "referent", "secretariat")
    async with gateway.client() as client:
        await gateway.logged_in(client, who)
        r = await client.get(path)
    assert r.status_code == 404, r.text[:500]
    assert "introuvable" in r.text.lower() or "aucune ressource" in r.text.lower()


async def test_a_referent_filter_past_the_databases_is_not_found_too(stack) -> None:
    r = await stack["indicateurs"].client.get(f"/api/v1/latest-values?engagement={NINES_50}",
                                               headers=auth(identity("caf")))
    assert r.status_code == 404 and r.json()["code"] == "not_found", r.text


@pytest.mark.parametrize(("service", "method", "path", "who", "body", "field"), [
    ("indicateurs", "POST", "/api/v1/submissions", identity("ville-nantes"),
     {"indicator_id": int(NINES_50), "period": "2025", "value": 1.0}, "indicator_id"),
    ("indicateurs", "POST", "/api/v1/submissions", identity("ville-nantes"),
     {"indicator_id": 1, "period": "2025", "value": 1.0, "version": 2**63}, "version"),
    ("engagements", "PATCH", "/api/v1/engagements/9/parts/ville-nantes", identity("ville-nantes"),
     {"version": int(NINES_50), "status": "en_cours", "progress": 10}, "version"),
    ("participation", "POST", "/api/v1/opinions", ADMIN,
     {"body_id": "cc-malakoff", "engagement_number": 2**31, "text": "Un avis."}, "engagement_number"),
])
async def test_a_body_integer_past_the_databases_is_refused_by_name(stack, service: str, method: str, path: str,
                                                                     who: Any, body: dict[str, Any],
                                                                     field: str) -> None:
    r = await stack[service].client.request(method, path, headers=auth(who), json=body)
    assert r.status_code == 422, r.text  # refused before the endpoint runs: nothing read, nothing written
    assert r.json()["code"] == "invalid" and [e["field"] for e in r.json()["errors"]] == [field], r.text

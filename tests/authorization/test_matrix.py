"""Every gateway route and every service endpoint, times every role: allowed or denied as `policies.py` says,
checked against the real apps (an isolated stack: its own databases and NATS namespace, the default contract and
the demo governance year).

Allowed: a read answers 2xx or 3xx (never the login page); a change is not refused (no 401, 403, nor the login
page; an empty form or a generated body may still be invalid). Denied: 401, 403, 404, the login page, for a page
a redirect elsewhere, for a change an answer « invalid » (400, 409, 413, 422); and in every case nothing written
(no audit entry by that caller, in any service). A route whose object is a placeholder (no such object: a token,
a webhook, a mail, a campaign) only tells refused from not refused.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import _IncludedRouter
from sqlalchemy import text

from gateway.app import create_app as create_gateway
from gateway.contract import loader, validation
from kernel.identity import Identity
from services.participation import demo
from tests.authorization.policies import COMMON, GATEWAY, POLICIES, ROLES, SERVICES, parse
from tests.conftest import ADMIN, DEFAULT_CONTRACT, Running, auth
from tests.conftest import SERVICES as SERVICE_NAMES
from tests.gateway.conftest import Gateway, csrf_of, gateway_settings, transports_for

PILOT_ORG, OTHER_ORG = "ville-nantes", "ville-reze"
PLACEHOLDER = "999999"
AAP_YEAR, CONSEIL = "2025", "cc-malakoff"  # the demo's appel à projets, a conseil citoyen of the pilot's city
# Path parameters no real object stands behind in the matrix (their routes answer 404 to anyone not refused).
PLACEHOLDERS = {"token", "key", "notice_id", "endpoint_id", "delivery_id", "preview_id", "import_id",
                "document_id", "proposal_id", "campaign_id", "version", "attachment_id"}
# Required query parameters with a meaningful value (others get a value generated from the schema).
QUERY = {"period": "2024", "engagement": "9", "since": "1", "timeout": "0", "funder_id": PILOT_ORG}
OPTIONAL = {"timeout": "0"}  # optional parameters still given: a long poll answers at once, not after 20 s
# Parameters whose name means another object under some paths: (path fragment, parameter, what fills it).
RENAMED = (("/versions/{number}", "{number}", "{version}"),  # no version yet: the meeting is a draft
           ("/conseils-citoyens/{body_id}", "{body_id}", "{conseil_id}"),
           ("/memberships/{membership_id}/display", "{membership_id}", "{conseil_seat_id}"),
           ("/affichage/{membership_id}", "{membership_id}", "{conseil_seat_id}"),
           ("/invitation/{membership_id}", "{membership_id}", "{conseil_seat_id}"),
           ("/{news_id}/retrait", "{news_id}", "{withdrawn_news_id}"),  # another item than the one read
           ("/{news_id}/withdraw", "{news_id}", "{withdrawn_news_id}"))
# Streams that never end under an in-process client: their entry is checked, their answer is not.
STREAMS = {("gateway", "GET", "/notifications/flux")}
# Forms before login (and the public forms of the inter-associatif) carry the token of their double-submit cookie.
LOGIN_FORMS = {"/connexion", "/mot-de-passe-oublie", "/mot-de-passe/{token}", "/inter-associatif/candidater",
               "/inter-associatif/confirmer/{token}"}


def routes_of(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route of the app, through included routers; mounts (static files) left out."""
    out: set[tuple[str, str]] = set()

    def walk(routes: Any) -> None:
        for route in routes:
            if isinstance(route, _IncludedRouter):
                walk(route.effective_candidates())
                continue
            original = getattr(route, "original_route", route)
            for method in getattr(original, "methods", None) or ():
                if method != "HEAD":
                    out.add((method, route.path))

    walk(app.routes)
    return out


def service_table(name: str) -> dict[tuple[str, str], str]:
    return parse(COMMON) | parse(SERVICES[name])


def test_every_route_has_a_policy(tmp_path: Path) -> None:
    import importlib

    gateway = routes_of(create_gateway(gateway_settings(tmp_path)))
    problems = [f"gateway {m} {p}: no policy" for m, p in sorted(gateway - parse(GATEWAY).keys())]
    problems += [f"gateway {m} {p}: no such route" for m, p in sorted(parse(GATEWAY).keys() - gateway)]
    for name in SERVICE_NAMES:
        settings = importlib.import_module(f"services.{name}.settings").Settings(environment="test")
        routes = routes_of(importlib.import_module(f"services.{name}.app").create_app(settings))
        problems += [f"{name} {m} {p}: no policy" for m, p in sorted(routes - service_table(name).keys())]
        problems += [f"{name} {m} {p}: no such route" for m, p in sorted(service_table(name).keys() - routes)]
    assert not problems, "tests/authorization/policies.py is out of date:\n" + "\n".join(problems)


@dataclass
class World:
    services: dict[str, Running]
    gateway: Gateway
    identities: dict[str, Identity]  # role -> identity for the services
    clients: dict[str, httpx.AsyncClient]  # role -> logged-in gateway client (anonymous: none)
    csrf: dict[str, str]
    params: dict[str, str]
    user_ids: dict[str, set[str]] = field(default_factory=dict)  # role -> the actor ids its changes would carry


@pytest.fixture(scope="module")
async def world(service_runner: Any, namespaces: Any, stack_smtp_port: int,
                tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    ns = await namespaces()
    async with service_runner("engagements", event_namespace=ns) as eng, \
            service_runner("participation", event_namespace=ns) as part, \
            service_runner("indicateurs", event_namespace=ns) as ind, \
            service_runner("notifications", event_namespace=ns, smtp_port=stack_smtp_port) as notif:
        services = {"engagements": eng, "participation": part, "indicateurs": ind, "notifications": notif}
        contract = validation.load_file(DEFAULT_CONTRACT)
        await loader.load(contract, participation=part.client, engagements=eng.client, headers=auth(ADMIN))
        await demo.seed(part.runtime.settings)

        tmp = tmp_path_factory.mktemp("matrix-gateway")
        settings = gateway_settings(tmp)
        app = create_gateway(settings, transports=transports_for(services))
        async with app.router.lifespan_context(app):
            gw = Gateway(app, settings)
            copil = (await part.client.get("/api/v1/bodies/copil", headers=auth(ADMIN))).json()
            free = [s for s in copil["seats"] if s["active"] and not s["person"]["account_id"]
                    and s["organisation_id"] not in (PILOT_ORG, OTHER_ORG)]
            seat, ended = free[0], free[-1]  # the member's seat; another one the matrix may end and anonymise
            logins = {
                "pilot": await gw.account(PILOT_ORG, "referent", name="Pilote Matrice"),
                "other": await gw.account(OTHER_ORG, "referent", name="Autre Matrice"),
                "member": await gw.account(seat["organisation_id"], "referent", name="Membre Matrice"),
                "secretariat": await gw.account("nantes-metropole", "secretariat", name="Secrétariat Matrice"),
                "admin": await gw.account(None, "admin", name="Admin Matrice"),
                "integrator": await gw.account(None, "integrator", name="Intégrateur Matrice"),
            }
            async with app.state.db.session() as session:  # the member's account carries the seat's address
                account = logins["member"].account
                account.email = seat["person"]["email"]
                session.add(account)
                await session.commit()
            logins["member"].email = seat["person"]["email"]
            spare = await gw.account(OTHER_ORG, "referent", name="Compte de rechange")

            def ident(role: str, org: str | None, *roles: str, email: str | None = None) -> Identity:
                return Identity(user_id=f"matrix-{role}-{uuid.uuid4().hex[:6]}", name=f"{role} (matrice)",
                                email=email or f"{role}-{uuid.uuid4().hex[:6]}@test.example", organisation_id=org,
                                organisation_name=org, roles=list(roles))  # type: ignore[arg-type]

            identities = {
                "anonymous": Identity(user_id="public", email="", name="Visiteur", roles=[]),
                "pilot": ident("pilot", PILOT_ORG, "referent"),
                "other": ident("other", OTHER_ORG, "referent"),
                "member": ident("member", seat["organisation_id"], "referent", email=seat["person"]["email"]),
                "secretariat": ident("secretariat", "nantes-metropole", "secretariat"),
                "admin": ident("admin", None, "admin"),
                "integrator": ident("integrator", None, "integrator"),
            }
            params = await _params(services, identities, ended, spare.account.id)

            clients: dict[str, httpx.AsyncClient] = {}
            csrf: dict[str, str] = {}
            opened = []
            for role in ROLES:
                cm = gw.client()
                client = await cm.__aenter__()
                opened.append(cm)
                clients[role] = client
                if role == "anonymous":  # the login form's token (its double-submit cookie)
                    csrf[role] = csrf_of((await client.get("/connexion")).text)
                else:
                    csrf[role] = await gw.logged_in(client, logins[role])
            user_ids = {role: {identities[role].user_id} | ({logins[role].account.id} if role in logins else set())
                        for role in ROLES}
            try:
                yield World(services, gw, identities, clients, csrf, params, user_ids)
            finally:
                for cm in opened:
                    await cm.__aexit__(None, None, None)


async def _params(services: dict[str, Running], who: dict[str, Identity], seat: dict[str, Any],
                  account_id: str) -> dict[str, str]:
    """Path parameters: the pilot organisation's own objects, the COPIL of the demo and its meetings."""
    part, ind = services["participation"].client, services["indicateurs"].client
    definitions = (await ind.get("/api/v1/definitions", headers=auth(who["secretariat"]))).json()
    indicator = next(d for d in definitions if PILOT_ORG in d["responsible"])
    submission = None
    for period in ("2024", "2024-S1", "2024-T1", "2024-01"):
        r = await ind.post("/api/v1/submissions", headers=auth(who["pilot"]),
                           json={"indicator_id": indicator["id"], "period": period, "value": 1, "draft": True})
        if r.status_code == 201 or r.status_code == 200:
            submission = r.json()["id"]
            break
    assert submission is not None, "the pilot could not record a draft value"
    meetings = (await part.get("/api/v1/meetings", headers=auth(who["secretariat"]))).json()
    meeting = next(m for m in meetings if m["body_id"] == "copil" and not m.get("published_version"))
    detail = (await part.get(f"/api/v1/meetings/{meeting['id']}", headers=auth(who["secretariat"]))).json()
    decisions = (await part.get("/api/v1/decisions", headers=auth(who["secretariat"]))).json()
    decision = next(d for d in decisions if d["responsible_organisation_id"] == PILOT_ORG)
    return {**await _resident_params(part, who), **await _aap_params(part, who),
        "number": "9", "organisation_id": PILOT_ORG,
        "contract_id": "x",  # as in the generated body: an administrator gets past the check that they match
        "indicator_id": str(indicator["id"]), "submission_id": str(submission),
        "body_id": "copil", "membership_id": seat["id"], "person_id": seat["person"]["id"],
        "meeting_id": meeting["id"], "item_id": detail["items"][0]["id"] if detail.get("items") else PLACEHOLDER,
        "decision_id": decision["id"], "account_id": account_id, "user_id": who["pilot"].user_id,
        **dict.fromkeys(PLACEHOLDERS, PLACEHOLDER),
    }


async def _aap_params(part: httpx.AsyncClient, who: dict[str, Identity]) -> dict[str, str]:
    """The demo call (2025) and one of its projects the pilot organisation funded, in one of its QPV."""
    projects = (await part.get(f"/api/v1/aap/calls/{AAP_YEAR}/projects", headers=auth(who["secretariat"]))).json()
    project = next(p for p in projects if any(f["funder_id"] == PILOT_ORG and f["decision"] == "accorde"
                                              for f in p["fundings"]))
    return {"year": AAP_YEAR, "project_id": project["id"], "funder_id": PILOT_ORG}


async def _resident_params(part: httpx.AsyncClient, who: dict[str, Identity]) -> dict[str, str]:
    """The demo's conseil citoyen of Malakoff and a seat in it, an opinion, the inter-associatif's pending
    application and one of its associations, the demo mandate (a member, its recommendation to the pilot
    organisation), a news item, the QPV of Malakoff, a dataset of the open data."""
    secretariat = auth(who["secretariat"])
    conseil = (await part.get(f"/api/v1/bodies/{CONSEIL}", headers=secretariat)).json()
    opinions = (await part.get("/api/v1/opinions", headers=secretariat)).json()
    applications = (await part.get("/api/v1/applications", headers=secretariat)).json()
    associations = (await part.get("/api/v1/associations", headers=secretariat)).json()["members"]
    mandate_id = (await part.get("/api/v1/mandates", headers=secretariat)).json()[0]["id"]
    mandate = (await part.get(f"/api/v1/mandates/{mandate_id}", headers=secretariat)).json()
    news = (await part.get("/api/v1/news", headers=secretariat)).json()
    return {
        "conseil_id": CONSEIL, "conseil_seat_id": next(s["id"] for s in conseil["seats"] if s["active"]),
        "opinion_id": next(o["id"] for o in opinions if not o.get("answer")),
        "application_id": next(a["id"] for a in applications if a["status"] != "accepted"),
        "association_id": associations[0]["id"], "mandate_id": mandate_id, "member_id": mandate["members"][0]["id"],
        "recommendation_id": next(r["id"] for r in mandate["recommendations"] if r["organisation_id"] == PILOT_ORG),
        "news_id": news[0]["id"], "withdrawn_news_id": news[-1]["id"], "qpv_id": "malakoff", "name": "engagements",
        "kind": "csv",
    }


def fill(path: str, params: dict[str, str]) -> tuple[str, bool]:
    """The path with its parameters; whether one of them is a placeholder."""
    placeholder = False
    out = path
    for fragment, name, other in RENAMED:
        if fragment in out:
            out = out.replace(fragment, fragment.replace(name, other))
    while "{" in out:
        start = out.index("{")
        end = out.index("}", start)
        name = out[start + 1:end].split(":")[0]
        placeholder = placeholder or name in PLACEHOLDERS
        out = out[:start] + params[name] + out[end + 1:]
    return out, placeholder


async def audit_marks(services: dict[str, Running]) -> dict[str, int]:
    marks = {}
    for name, running in services.items():
        async with running.runtime.db.engine.connect() as conn:
            marks[name] = (await conn.execute(text("SELECT coalesce(max(id), 0) FROM audit_entry"))).scalar_one()
    return marks


async def written_by(services: dict[str, Running], since: dict[str, int], actors: set[str]) -> list[str]:
    found = []
    for name, running in services.items():
        async with running.runtime.db.engine.connect() as conn:
            rows = (await conn.execute(text("SELECT actor_id, table_name, operation FROM audit_entry WHERE id > :m"),
                                       {"m": since[name]})).all()
        found += [f"{name}: {r.operation} {r.table_name}" for r in rows if r.actor_id in actors]
    return found


def judge(role: str, policy: str, method: str, response: httpx.Response, placeholder: bool) -> str | None:
    """Why the answer does not match the policy for this role (None when it does)."""
    status = response.status_code
    if status >= 500:
        return f"{status} (server error)"
    redirect = status in (301, 302, 303, 307)
    refused = status in (401, 403) or (redirect and response.headers.get("location", "").startswith("/connexion"))
    if role in POLICIES[policy]:
        if refused:
            return f"refused ({status})"
        if policy == "dev-admin":
            return None if status == 404 else f"{status}: expected 404 outside development"
        if method == "GET" and not placeholder and status >= 400:
            return f"read failed ({status})"
        return None
    if refused or status == 404:
        return None
    if method == "GET" and redirect:
        return None  # sent elsewhere (a form the caller may not open: back to the page)
    if method != "GET" and status in (400, 409, 413, 422):
        return None  # turned back as invalid; the audit log shows nothing was written
    return f"allowed ({status})"


def order(table: dict[tuple[str, str], str]) -> list[tuple[str, str, str]]:
    """Reads first; logging out last (it ends the session the other checks use)."""
    rows = [(m, p, policy) for (m, p), policy in table.items()]
    return sorted(rows, key=lambda r: (r[0] != "GET", r[1] == "/deconnexion", r[1]))


async def test_gateway_routes_answer_each_role_as_their_policy_says(world: World) -> None:
    problems = []
    for method, path, policy in order(parse(GATEWAY)):
        if ("gateway", method, path) in STREAMS:
            continue
        url, placeholder = fill(path, world.params)
        denied = [r for r in ROLES if r not in POLICIES[policy]]
        mark = await audit_marks(world.services) if method != "GET" else {}
        for role in denied + [r for r in ROLES if r in POLICIES[policy]]:
            if method == "GET":
                response = await world.clients[role].get(url)
            else:
                client = world.clients[role]
                token = world.csrf[role]
                if path in LOGIN_FORMS:  # the form's own token, tied to its double-submit cookie
                    form = await client.get(url)
                    token = csrf_of(form.text) if 'name="csrf_token"' in form.text else token
                response = await client.request(method, url, data={"csrf_token": token})
            why = judge(role, policy, method, response, placeholder)
            if why:
                problems.append(f"{method} {path} [{policy}] as {role}: {why}")
        actors = set().union(*(world.user_ids[r] for r in denied)) if denied else set()
        problems += [f"{method} {path} [{policy}]: a denied caller wrote {w}"
                     for w in await written_by(world.services, mark, actors)] if mark else []
    assert not problems, "gateway authorization matrix:\n" + "\n".join(problems)


async def test_service_endpoints_answer_each_role_as_their_policy_says(world: World) -> None:
    problems = []
    for name, running in world.services.items():
        schema = running.app.openapi()
        for method, path, policy in order(service_table(name)):
            if (name, method, path) in STREAMS:
                continue
            url, placeholder = fill(path, world.params)
            operation = schema["paths"].get(path, {}).get(method.lower(), {})
            query = {p["name"]: QUERY.get(p["name"], example(p.get("schema", {}), schema))
                     for p in operation.get("parameters", []) if p["in"] == "query" and p.get("required")}
            query |= {p["name"]: OPTIONAL[p["name"]] for p in operation.get("parameters", [])
                      if p["in"] == "query" and p["name"] in OPTIONAL}
            body = _body(operation, schema)
            denied = [r for r in ROLES if r not in POLICIES[policy]]
            mark = await audit_marks(world.services) if method != "GET" else {}
            if policy != "open":  # no identity at all: only health, readiness and the API documentation answer
                r = await running.client.request(method, url, params=query, json=body)
                if r.status_code != 401:
                    problems.append(f"{name} {method} {path}: {r.status_code} without an identity, expected 401")
            for role in denied + [r for r in ROLES if r in POLICIES[policy]]:
                r = await running.client.request(method, url, params=query, json=body,
                                                 headers=auth(world.identities[role]))
                why = judge(role, policy, method, r, placeholder)
                if why:
                    problems.append(f"{name} {method} {path} [{policy}] as {role}: {why}")
            actors = set().union(*(world.user_ids[r] for r in denied)) if denied else set()
            problems += [f"{name} {method} {path} [{policy}]: a denied caller wrote {w}"
                         for w in await written_by(world.services, mark, actors)] if mark else []
    assert not problems, "services authorization matrix:\n" + "\n".join(problems)


# --- a valid-looking body from the OpenAPI schema: a denied caller must be refused, not told the body is wrong ---

def _resolve(node: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def example(node: dict[str, Any], schema: dict[str, Any]) -> Any:
    node = _resolve(node, schema)
    if "default" in node and node["default"] is not None:
        return node["default"]
    if "enum" in node:
        return node["enum"][0]
    if "const" in node:
        return node["const"]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in node:
            options = [o for o in node[key] if _resolve(o, schema).get("type") != "null"]
            return example(options[0], schema) if options else None
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        return {k: example(v, schema) for k, v in node.get("properties", {}).items()
                if k in node.get("required", [])}
    if kind == "array":
        return [example(node.get("items", {}), schema) for _ in range(node.get("minItems", 0))]
    if kind == "integer":
        return max(1, node.get("minimum", 1))
    if kind == "number":
        return max(1, node.get("minimum", 1))
    if kind == "boolean":
        return False
    if kind == "string":
        fmt = node.get("format")
        if fmt == "date":
            return "2031-01-15"
        if fmt == "date-time":
            return "2031-01-15T10:00:00"
        if fmt == "email":
            return "personne@test.example"
        return "x" * max(1, node.get("minLength", 1))
    return None


def _body(operation: dict[str, Any], schema: dict[str, Any]) -> Any:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return example(content["application/json"].get("schema", {}), schema)

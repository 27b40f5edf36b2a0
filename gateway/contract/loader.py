"""Sends each service the part of a validated contract it owns, through its own API.

participation gets the organisations and QPV (`PUT /api/v1/registry`); engagements gets the catalogue
(`PUT /api/v1/contracts/{id}`) and announces it with `cdv.engagements.engagement.defined` events, from which
indicateurs builds its indicator definitions. Both calls are idempotent: loading the same file again changes
nothing, and a failed load can simply be run again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from gateway.contract.model import ContractFile


class LoadFailed(Exception):
    pass


def participation_part(contract: ContractFile) -> dict[str, Any]:
    return {"organisations": [o.model_dump() for o in contract.organisations],
            "qpv": [q.model_dump() for q in contract.qpv],
            "bodies": [b.model_dump() for b in contract.bodies]}


def engagements_part(contract: ContractFile) -> dict[str, Any]:
    info = contract.contract
    return {
        "id": info.id, "title": info.title, "territory": info.territory, "version": info.version,
        "organisations": [o.model_dump(include={"id", "name", "short_name", "kind"}) for o in contract.organisations],
        "qpv": [{"id": q.id, "name": q.name} for q in contract.qpv],
        "axes": [a.model_dump() for a in contract.axes],
        "engagements": [e.model_dump() for e in contract.engagements],
    }


async def load(contract: ContractFile, *, participation: httpx.AsyncClient, engagements: httpx.AsyncClient,
               headers: dict[str, str] | Callable[[str], dict[str, str]]) -> dict[str, Any]:
    """Loads a validated contract; returns what each service reports it changed. `headers` may be a function
    of the service's name (a signed identity names the one service it is for)."""
    reports: dict[str, Any] = {}
    for name, client, method, url, body in (
        ("participation", participation, "PUT", "/api/v1/registry", participation_part(contract)),
        ("engagements", engagements, "PUT", f"/api/v1/contracts/{contract.contract.id}", engagements_part(contract)),
    ):
        sent = headers(name) if callable(headers) else headers
        response = await client.request(method, url, json=body, headers=sent, timeout=60)
        if response.status_code >= 400:
            raise LoadFailed(f"{name} a refusé le contrat ({response.status_code}) : {response.text[:2000]}")
        reports[name] = response.json()
    return reports

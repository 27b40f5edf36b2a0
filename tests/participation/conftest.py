"""The participation service in-process (real NATS, SQLite or PostgreSQL) with the default contract's registry
and its copy of the contract's engagements (1 to 50, as their events would leave it), and helpers to seat people
and schedule meetings through its API."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

import httpx
import pytest

from gateway.contract import loader, validation
from gateway.contract.model import ContractFile
from kernel.identity import Identity
from tests.conftest import ADMIN, DEFAULT_CONTRACT, Running, auth, paris_today

SECRETARIAT = Identity(user_id="secretariat-1", email="secretariat@test.example", name="Claire Secrétariat",
                       organisation_id="nantes-metropole", organisation_name="Nantes Métropole",
                       roles=["secretariat"])


def person(name: str, org: str | None = "ville-nantes", *, email: str | None = None) -> Identity:
    """An account holder (a referent) whose address matches a member record."""
    return Identity(user_id=uuid.uuid4().hex, email=email or f"{uuid.uuid4().hex[:8]}@test.example", name=name,
                    organisation_id=org, organisation_name=org, roles=["referent"])


def day_at(days_ahead: int, hour: int = 9, minute: int = 30) -> str:
    """A Paris wall-clock time `days_ahead` days from today (ISO, no offset)."""
    return datetime.combine(paris_today() + timedelta(days=days_ahead), time(hour, minute)).isoformat()


@dataclass
class Gov:
    running: Running
    people: dict[str, str] = field(default_factory=dict)  # e-mail -> person id

    @property
    def client(self) -> httpx.AsyncClient:
        return self.running.client

    async def call(self, method: str, path: str, who: Identity = SECRETARIAT, **kwargs: Any) -> httpx.Response:
        headers = {**kwargs.pop("headers", {}), **auth(who)}
        return await self.client.request(method, "/api/v1" + path, headers=headers, **kwargs)

    async def ok(self, method: str, path: str, who: Identity = SECRETARIAT, **kwargs: Any) -> Any:
        response = await self.call(method, path, who, **kwargs)
        assert response.status_code < 300, response.text
        return response.json() if response.status_code != 204 else None

    async def seat(self, body_id: str, who: Identity, org: str | None = None, seat: str = "titulaire") -> dict:
        """Seats the person of `who` (created with their address) in a body."""
        known = self.people.get(who.email)
        out = await self.ok("POST", f"/bodies/{body_id}/members", json={
            **({"person_id": known} if known else {"person": {"name": who.name, "email": who.email}}),
            "organisation_id": org or who.organisation_id, "seat": seat,
            "starts_on": str(paris_today() - timedelta(days=365))})
        self.people[who.email] = out["person"]["id"]
        return out

    async def meeting(self, body_id: str = "copil", days_ahead: int = 30, **extra: Any) -> dict:
        return await self.ok("POST", "/meetings", json={"body_id": body_id, "title": extra.pop("title", "Réunion"),
                                                        "starts_at": day_at(days_ahead), "place": "Hôtel de Métropole",
                                                        **extra})

    async def view(self, meeting_id: str, who: Identity = SECRETARIAT, **params: Any) -> dict:
        return await self.ok("GET", f"/meetings/{meeting_id}", who, params=params)

    async def item(self, meeting_id: str, title: str, **fields: Any) -> dict:
        rev = (await self.view(meeting_id))["meeting"]["draft_rev"]
        return await self.ok("POST", f"/meetings/{meeting_id}/items",
                             json={"title": title, "draft_rev": rev, **fields})

    async def publish(self, meeting_id: str, reason: str | None = None) -> httpx.Response:
        rev = (await self.view(meeting_id))["meeting"]["draft_rev"]
        return await self.call("POST", f"/meetings/{meeting_id}/publish",
                               json={"draft_rev": rev, "late_reason": reason})


async def seed_catalogue(running: Running, contract: ContractFile) -> None:
    """Participation's copy of the contract's engagements, as `engagement.defined` events would leave it."""
    from services.participation.service.catalogue import record_engagement

    themes = {t.id: t.title for axis in contract.axes for t in axis.themes}
    async with running.runtime.db.session() as session:
        for e in contract.engagements:
            await record_engagement(session, number=e.number, title=e.title, theme_id=e.theme,
                                    theme_title=themes[e.theme], pilots=[p.organisation for p in e.pilots])
        await session.commit()


@pytest.fixture
async def gov_factory(service_runner: Any) -> Any:
    """`async with gov_factory(backend, **settings) as gov`: participation with the contract's registry loaded."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def make(backend: str = "sqlite", **overrides: Any) -> AsyncIterator[Gov]:
        async with service_runner("participation", backend=backend, **overrides) as running:
            contract = validation.load_file(DEFAULT_CONTRACT)
            response = await running.client.put("/api/v1/registry", json=loader.participation_part(contract),
                                                headers=auth(ADMIN))
            assert response.status_code == 200, response.text
            await seed_catalogue(running, contract)
            yield Gov(running)

    return make


@pytest.fixture
async def gov(gov_factory: Any, tmp_path: Any) -> AsyncIterator[Gov]:
    async with gov_factory(files_dir=tmp_path / "files") as g:
        yield g

"""The gateway in-process, its service clients bound to the `stack` services (real NATS, real SQLite)."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gateway import accounts
from gateway.app import create_app
from gateway.models import Account
from gateway.settings import Settings
from tests.conftest import SECRET, Running

PASSWORD = "mot-de-passe-de-test-solide"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = _CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found[1]


def gateway_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"environment": "test", "var_dir": tmp_path,
                              "database_url": f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}",
                              "identity_secret": SECRET, "log_json": False}
    values.update(overrides)
    return Settings(**values)


def transports_for(stack: dict[str, Running]) -> dict[str, httpx.AsyncBaseTransport]:
    # As over the network: a service that fails answers 500, its exception stays on its side.
    return {name: httpx.ASGITransport(app=running.app, raise_app_exceptions=False) for name, running in stack.items()}


@dataclass
class Login:
    email: str
    password: str
    account: Account


@dataclass
class Gateway:
    app: FastAPI
    settings: Settings

    @asynccontextmanager
    async def client(self) -> AsyncIterator[httpx.AsyncClient]:
        """A browser-like client: keeps cookies, does not follow redirects (tests look at them)."""
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="https://gateway") as client:
            yield client

    async def account(self, org: str | None, *roles: str, name: str = "Camille Référente",
                      password: str = PASSWORD) -> Login:
        email = f"{uuid.uuid4().hex[:8]}@test.example"
        async with self.app.state.db.session() as session:
            account = await accounts.create_account(session, email=email, name=name, password=password,
                                                    roles=list(roles or ("referent",)), organisation_id=org,
                                                    organisation_name=org)
        return Login(email, password, account)

    async def login(self, client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
        page = await client.get("/connexion")
        return await client.post("/connexion", data={"email": email, "password": password,
                                                     "csrf_token": csrf_of(page.text)})

    async def logged_in(self, client: httpx.AsyncClient, who: Login) -> str:
        """Logs in; returns the session's CSRF token."""
        response = await self.login(client, who.email, who.password)
        assert response.status_code == 303, response.text
        page = await client.get("/vue-d-ensemble")
        return csrf_of(page.text)


@pytest.fixture
async def gateway(stack: dict[str, Running], tmp_path: Path) -> AsyncIterator[Gateway]:
    settings = gateway_settings(tmp_path)
    app = create_app(settings, transports=transports_for(stack))
    async with app.router.lifespan_context(app):
        yield Gateway(app, settings)

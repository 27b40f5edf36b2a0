"""The login throttle holds under parallel attempts (the try is taken before the password is checked), and
`X-Forwarded-For` counts only from a configured proxy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import func, select

from gateway import security
from gateway.app import create_app
from gateway.models import LoginAttempt
from gateway.settings import Settings
from kernel.db import Database
from kernel.migrations import upgrade
from tests.conftest import ROOT
from tests.gateway.conftest import Gateway, csrf_of, gateway_settings, transports_for


async def _attempts(gateway: Gateway, email: str) -> dict[str, int]:
    async with gateway.app.state.db.session() as session:
        rows = (await session.exec(select(LoginAttempt.outcome, func.count()).where(LoginAttempt.email == email)
                                   .group_by(LoginAttempt.outcome))).all()
    return dict(rows)


async def _parallel_logins(gateway: Gateway, email: str, passwords: list[str]) -> list[httpx.Response]:
    async with gateway.client() as client:
        token = csrf_of((await client.get("/connexion")).text)

        async def attempt(password: str) -> httpx.Response:
            return await client.post("/connexion", data={"email": email, "password": password, "csrf_token": token})

        return list(await asyncio.gather(*(attempt(p) for p in passwords)))


async def test_thirty_parallel_wrong_passwords_get_five_checked_and_then_nobody_gets_in(gateway) -> None:
    who = await gateway.account("ville-nantes")
    answers = await _parallel_logins(gateway, who.email, [f"mauvais-{i}" for i in range(30)])
    assert all(r.status_code in (401, 429) for r in answers)
    assert await _attempts(gateway, who.email) == {"failure": 5, "refused": 25}, "exactly the limit was checked"
    # Now the right password, mixed with wrong ones in parallel, opens nothing.
    answers = await _parallel_logins(gateway, who.email, [who.password, "mauvais"] * 8)
    assert [r.status_code for r in answers] == [429] * 16
    assert not any("cdv_session=" in h for r in answers for h in r.headers.get_list("set-cookie"))
    assert (await _attempts(gateway, who.email)).get("success") is None
    assert (await _attempts(gateway, who.email))["failure"] == 5


async def test_right_and_wrong_passwords_in_parallel_never_check_more_than_the_limit_of_failures(gateway) -> None:
    who = await gateway.account("ville-nantes")
    answers = await _parallel_logins(gateway, who.email, ["mauvais"] * 20 + [who.password] * 10)
    counts = await _attempts(gateway, who.email)
    successes = sum(r.status_code == 303 for r in answers)
    assert counts.get("success", 0) == successes
    # Each success forgives the e-mail's failures before it; between two successes at most 5 failures ran.
    assert counts.get("failure", 0) <= 5 * (successes + 1)
    assert counts.get("failure", 0) + counts.get("success", 0) + counts.get("refused", 0) == 30


@asynccontextmanager
async def _gateway(stack: dict[str, Any], tmp_path: Path, **overrides: Any) -> AsyncIterator[Gateway]:
    tmp_path.mkdir()
    settings = gateway_settings(tmp_path, login_max_failures_per_ip=3, **overrides)
    app = create_app(settings, transports=transports_for(stack))
    async with app.router.lifespan_context(app):
        yield Gateway(app, settings)


async def _wrong_from(gw: Gateway, forwarded: list[str]) -> list[int]:
    """One wrong password each for a new e-mail, with these X-Forwarded-For headers; the statuses."""
    statuses = []
    async with gw.client() as client:
        for i, header in enumerate(forwarded):
            token = csrf_of((await client.get("/connexion")).text)
            r = await client.post("/connexion", headers={"X-Forwarded-For": header},
                                  data={"email": f"inconnu-{i}@test.example", "password": "x" * 12,
                                        "csrf_token": token})
            statuses.append(r.status_code)
    return statuses


async def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_configured_proxy(stack, tmp_path: Path) -> None:
    rotating = [f"198.51.100.{i}" for i in range(5)]
    async with _gateway(stack, tmp_path / "direct") as gw:  # default: no trusted proxy
        assert await _wrong_from(gw, rotating) == [401, 401, 429, 429, 429], "one address: the peer's"
    async with _gateway(stack, tmp_path / "proxied", trusted_proxies=["127.0.0.1"]) as gw:
        assert await _wrong_from(gw, rotating) == [401] * 5, "behind the proxy, each client is counted apart"
        # A client cannot escape by writing its own entries: the proxy appends the address it saw, last.
        spoofed = [f"10.9.9.{i}, 203.0.113.7" for i in range(5)]
        assert await _wrong_from(gw, spoofed) == [401, 401, 429, 429, 429]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_the_counter_gives_exactly_the_limit_to_parallel_tries_on_both_databases(backend: str,
                                                                                        database_factory) -> None:
    url = database_factory(backend, "throttle")
    await asyncio.to_thread(upgrade, url, ROOT / "gateway" / "migrations")
    db = Database(url)
    settings = Settings(environment="test", database_url=url, login_max_failures=5, login_max_failures_per_ip=8)
    try:
        async def attempt(i: int) -> Any:
            async with db.session() as session:
                return await security.take_try(session, email=f"p{i % 2}@test.example", ip="192.0.2.1",
                                               settings=settings)

        results = await asyncio.gather(*(attempt(i) for i in range(30)))
        assert sum(r is None for r in results) == 8, "the address's 8 tries, shared by two e-mails (5 each)"
        assert all(r.minutes == 15 for r in results if r is not None)
    finally:
        await db.dispose()

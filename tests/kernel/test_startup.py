"""Once a process is ready, FastAPI's routes are already worked out (`kernel.startup.build_routes`): the first
request through an included router no longer pays for all of that router's routes (30 to 70 ms for a service
here, a third of a second for the gateway's), with the requests behind it waiting."""

from __future__ import annotations

from typing import Annotated, Any

import fastapi.routing
import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI

from kernel.startup import build_routes


def page_size(size: int = 10) -> int:
    return size


async def item(number: int, size: Annotated[int, Depends(page_size)]) -> dict[str, int]:
    return {"number": number, "size": size}


async def other() -> dict[str, str]:
    return {}


def make_app() -> FastAPI:
    router = APIRouter()
    router.add_api_route("/items/{number}", item)
    router.add_api_route("/other", other)
    app = FastAPI()
    app.include_router(router, prefix="/api")
    return app


def forbid_building(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    built: list[str] = []

    def recorded(*_args: Any, path: str = "", **_kwargs: Any) -> Any:
        built.append(path)
        raise AssertionError(f"route {path} worked out during a request")

    monkeypatch.setattr(fastapi.routing, "get_dependant", recorded)
    return built


async def get(app: FastAPI, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        return await client.get(path)


async def test_after_building_the_first_request_works_nothing_out(monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app()
    assert build_routes(app) == 2
    forbid_building(monkeypatch)
    answer = await get(app, "/api/items/3?size=5")
    assert answer.status_code == 200 and answer.json() == {"number": 3, "size": 5}


async def test_without_it_the_first_request_works_out_its_router_s_routes(monkeypatch: pytest.MonkeyPatch) -> None:
    # What the module is for: if FastAPI works its routes out when they are declared, this fails and
    # `build_routes` can go.
    app = make_app()
    built = forbid_building(monkeypatch)
    with pytest.raises(AssertionError):
        await get(app, "/api/items/3")
    assert built


"""The gateway's wire to its services (`gateway.transport`), against a real uvicorn server over TCP: what a page or
a form sends arrives whole and its answer comes back whole, connections are reused, one the service closed while
idle is never used again, and a call given up or timed out leaves nothing behind for the next one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse

from gateway.transport import ServiceTransport
from tests.components import free_port


def service() -> tuple[FastAPI, list[int]]:
    """A small service that says which client port each request came from (one port: one connection)."""
    app = FastAPI()
    ports: list[int] = []

    @app.middleware("http")
    async def note_port(request: Request, call_next: Any) -> Any:
        assert request.client is not None
        ports.append(request.client.port)
        return await call_next(request)

    @app.patch("/parts/{n}")
    async def patch(n: int, body: dict[str, Any]) -> dict[str, Any]:
        return {"n": n, "echo": body}

    @app.post("/uploads")
    async def upload(request: Request) -> dict[str, Any]:
        data = await request.body()
        return {"size": len(data), "chunked": request.headers.get("transfer-encoding"), "tail": data[-5:].decode()}

    @app.get("/export")
    async def export() -> StreamingResponse:
        async def rows() -> AsyncIterator[bytes]:
            for i in range(500):
                yield f"ligne {i};valeur {i * 2}\n".encode()

        return StreamingResponse(rows(), media_type="text/csv")

    @app.get("/slow")
    async def slow() -> dict[str, str]:
        await asyncio.sleep(5)
        return {"late": "yes"}

    @app.get("/empty", status_code=204)
    async def empty() -> None:
        return None

    return app, ports


@pytest.fixture
async def running() -> AsyncIterator[tuple[str, list[int]]]:
    app, ports = service()
    port = free_port()
    # A short keep-alive, so that the test sees the service close an idle connection.
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           timeout_keep_alive=1))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}", ports
    server.should_exit = True
    await task


def client(base: str, *, connections: int = 4, **timeouts: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base, transport=ServiceTransport(connections),
                             timeout=httpx.Timeout(timeouts.get("read", 5.0), pool=timeouts.get("pool", 2.0)))


async def test_requests_and_answers_arrive_whole_over_kept_connections(running) -> None:
    base, ports = running
    async with client(base) as http:
        for n in range(5):
            answer = await http.patch(f"/parts/{n}", json={"progress": n, "comment": "Réunion tenue à Bellevue"},
                                      params={"history": 0})
            assert answer.status_code == 200
            assert answer.json() == {"n": n, "echo": {"progress": n, "comment": "Réunion tenue à Bellevue"}}
        assert len(set(ports)) == 1, "one connection carried the five calls"

        async def pieces() -> AsyncIterator[bytes]:  # an upload streamed on, as the gateway does with a file
            for i in range(50):
                yield (f"{i:04d};" * 200).encode()
            yield b"fin!\n"

        upload = (await http.post("/uploads", content=pieces())).json()
        assert upload == {"size": 50 * 1000 + 5, "chunked": "chunked", "tail": "fin!\n"}

        export = await http.get("/export")  # a chunked answer, as a CSV export comes
        assert export.headers["content-type"].startswith("text/csv")
        lines = export.text.splitlines()
        assert len(lines) == 500 and lines[-1] == "ligne 499;valeur 998"

        empty = await http.get("/empty")
        assert empty.status_code == 204 and empty.content == b""
        assert (await http.patch("/parts/9", json={"after": "a 204"})).json()["n"] == 9


async def test_a_connection_the_service_closed_while_idle_is_not_used_again(running) -> None:
    base, ports = running
    async with client(base) as http:
        assert (await http.patch("/parts/1", json={})).status_code == 200
        await asyncio.sleep(1.5)  # the service closes the idle connection after 1 s
        assert (await http.patch("/parts/2", json={})).json() == {"n": 2, "echo": {}}
        assert len(set(ports)) == 2, "a new connection for the call after the close"


async def test_a_call_given_up_or_timed_out_leaves_the_next_one_unharmed(running) -> None:
    base, ports = running
    async with client(base, connections=1, read=1.0, pool=0.3) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get("/slow")
        call = asyncio.create_task(http.get("/slow", timeout=10))
        while len(ports) < 2:  # it holds the only connection
            await asyncio.sleep(0.01)
        # While the only connection is taken, another call waits its turn, then is refused as busy.
        with pytest.raises(httpx.PoolTimeout):
            await http.patch("/parts/3", json={})
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        # Neither the timed-out nor the cancelled call's connection carries the next answer (theirs would come
        # first on it): the next call is answered with its own.
        answer = await http.patch("/parts/4", json={"x": 1}, timeout=10)
        assert answer.json() == {"n": 4, "echo": {"x": 1}}
        assert len(set(ports)) == 3


async def test_a_service_that_is_not_there_is_a_connect_error() -> None:
    async with client(f"http://127.0.0.1:{free_port()}") as http:
        with pytest.raises(httpx.ConnectError):
            await http.get("/parts/1")

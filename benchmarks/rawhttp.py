"""A bare HTTP/1.1 client over kept-alive connections, for the load process's write phases.

The load process runs on the same two cores as the platform it measures. httpx costs about 1.5 ms of CPU per
request (its pool, its models, anyio): at 200 writes/s, 60 to 70 % of a core taken from the platform. This client
formats the request itself and reads the answer with asyncio's streams: a tenth of that. It speaks only what the
gateway answers (a status line, headers, a body by Content-Length or chunked) and reports anything else as an
error rather than guessing.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlencode, urlsplit

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]
# uvicorn closes a connection idle for 5 s; one idle for longer than this is not reused.
IDLE_SECONDS = 4.0


class HttpError(Exception):
    """The connection failed or the answer was not HTTP/1.1 as the gateway writes it."""


class Closed(HttpError):
    """The server had closed the connection before answering: the request was not read."""


class RawClient:
    def __init__(self, base_url: str, max_connections: int = 256) -> None:
        url = urlsplit(base_url)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self.idle: list[tuple[Connection, float]] = []  # with when each was last used
        self.slots = asyncio.Semaphore(max_connections)

    async def post_form(self, path: str, form: dict[str, object], headers: dict[str, str]) -> tuple[int, str]:
        """POSTs `form` (lists as repeated fields, as a browser sends a multiple select); the status and body."""
        body = urlencode(form, doseq=True).encode()
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        request = (f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{head}"
                   f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
                   ).encode() + body
        async with self.slots:
            while True:
                held = self._reusable()
                reader, writer = held or await self._connect()
                try:
                    writer.write(request)
                    status, text, keep = await self._answer(reader)
                    break
                except Closed:  # a kept connection the server closed before our request: again on a new one
                    writer.close()
                    if held is None:
                        raise
                    self._drop_idle()
                except BaseException:  # given up or broken mid-answer: this connection cannot carry another
                    writer.close()
                    raise
            if keep:
                self.idle.append(((reader, writer), time.monotonic()))
            else:
                writer.close()
            return status, text

    def _reusable(self) -> Connection | None:
        while self.idle:
            connection, used = self.idle.pop()
            if time.monotonic() - used < IDLE_SECONDS:
                return connection
            connection[1].close()
        return None

    def _drop_idle(self) -> None:
        for (_, writer), _used in self.idle:
            writer.close()
        self.idle.clear()

    async def _connect(self) -> Connection:
        try:
            return await asyncio.open_connection(self.host, self.port)
        except OSError as exc:
            raise HttpError(f"connect: {exc}") from exc

    @staticmethod
    async def _answer(reader: asyncio.StreamReader) -> tuple[int, str, bool]:
        try:
            status_line = await reader.readline()
            if not status_line:
                raise Closed("connection closed before the answer")
            parts = status_line.split(b" ", 2)
            if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
                raise HttpError(f"not an HTTP answer: {status_line[:60]!r}")
            headers: dict[bytes, bytes] = {}
            while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip()
            if b"content-length" in headers:
                body = await reader.readexactly(int(headers[b"content-length"]))
            elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
                chunks = []
                while size := int((await reader.readline()).split(b";")[0], 16):
                    chunks.append(await reader.readexactly(size))
                    await reader.readline()
                await reader.readline()
                body = b"".join(chunks)
            else:
                raise HttpError("answer without a length")
        except (asyncio.IncompleteReadError, ConnectionError, ValueError) as exc:
            raise HttpError(f"{type(exc).__name__}: {exc}") from exc
        keep = headers.get(b"connection", b"").lower() != b"close"
        return int(parts[1]), body.decode("utf-8", "replace"), keep

    async def aclose(self) -> None:
        self._drop_idle()

"""Request bodies with a size limit enforced while they arrive, and uploads kept in temporary files.

`BodyLimit` is an ASGI middleware: a request whose `Content-Length` exceeds the limit, or whose body grows past
it while streaming in, makes the app's first (or next) read raise `TooLarge` (413, `{code: "too_large"}`), so
nothing past the limit is read, held or written. `spool_body` copies a raw body into a temporary file (in memory
up to 1 MB, on disk beyond) instead of one bytes object; multipart forms are spooled the same way by Starlette.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from tempfile import SpooledTemporaryFile
from typing import IO, Any

from starlette.exceptions import HTTPException
from starlette.requests import Request

from kernel.errors import DomainError, Invalid

SPOOL_IN_MEMORY = 1024 * 1024
MULTIPART_SLACK = 64 * 1024  # a form's boundaries and other fields around a file at the limit
CHUNK = 64 * 1024


class TooLarge(DomainError, HTTPException):
    """Also an HTTPException: FastAPI re-raises those from a JSON body's read (any other error there becomes
    its own 400), so a JSON body past the limit gets the same 413 as a file."""

    status_code = 413
    code = "too_large"

    def __init__(self, message: str, **details: Any) -> None:
        HTTPException.__init__(self, status_code=413, detail=message)
        self.message = message
        self.details = details


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.0f} Mo" if size >= 1_000_000 else f"{size // 1000} ko"


def too_large(limit: int) -> TooLarge:
    return TooLarge(f"Fichier trop volumineux : {megabytes(limit)} au plus. Rien n'a été enregistré.", limit=limit)


class BodyLimit:
    """Refuses, with `TooLarge` raised from the app's read, every request body past `limit` bytes."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit
        declared = next((v for k, v in scope.get("headers", []) if k == b"content-length"), None)
        received = 0

        async def limited_receive() -> dict:
            nonlocal received
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise too_large(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise too_large(limit)
            return message

        await self.app(scope, limited_receive, send)


async def spool_body(request: Request, limit: int) -> IO[bytes]:
    """The request's raw body in a temporary file (rewound), refused past `limit` bytes."""
    spooled: IO[bytes] = SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - the caller closes it
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            spooled.write(chunk)
    except BaseException:
        spooled.close()
        raise
    spooled.seek(0)
    return spooled


async def file_chunks(file: Any, size: int = CHUNK) -> AsyncIterator[bytes]:
    """An uploaded file's content in chunks (to send it on without holding it whole)."""
    await file.seek(0)
    while chunk := await file.read(size):
        yield chunk


async def received_file(request: Request, limit: int) -> tuple[bytes, str | None]:
    """The file sent: the request body, or the `file` field of a form. Either is streamed to a temporary file
    with the limit enforced while it arrives (413 past it), never read whole into memory first."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()  # file parts spool to disk past 1 MB; BodyLimit bounds the whole body
        upload: Any = form.get("file")
        if upload is None or isinstance(upload, str):
            raise Invalid("Joignez le fichier (CSV ou .xlsx) dans le champ « file ».", field="file")
        if (upload.size or 0) > limit:
            raise too_large(limit)
        await upload.seek(0)
        return await upload.read(), upload.filename
    with await spool_body(request, limit) as spooled:
        return spooled.read(), None

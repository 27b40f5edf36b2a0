"""HTTP caching of the public pages: an ETag from the services' state keys (`store.PublicStore.etag`), a `304`
when the browser already has it, and `Cache-Control: no-cache` so that every view revalidates (cheap: no service
call past the keys, no rendering). Only for visitors without an account: a logged-in page carries a CSRF token
and the person's name, and stays `no-store`."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import Response

from gateway.pages.public.store import store
from kernel import french

BOOT = str(time.time())  # a new gateway (new templates) gives new ETags
PUBLIC_CACHE = "public, no-cache"


async def cached(request: Request, make: Callable[[], Awaitable[Response]]) -> Response:
    """The response of `make()` with its ETag, or a `304` if the browser's copy is still good."""
    if getattr(request.state, "viewer", None) is not None:
        return await make()
    # The day is part of it: an answer owed becomes overdue at midnight, with no change in any service.
    etag = await store(request).etag(BOOT, french.today().isoformat(), request.url.path, request.url.query,
                                     request.headers.get("HX-Request", ""))
    headers = {"ETag": etag, "Cache-Control": PUBLIC_CACHE, "Vary": "HX-Request, Cookie"}
    given = request.headers.get("If-None-Match", "")
    if etag in {t.strip().removeprefix("W/") for t in given.split(",")}:
        return Response(status_code=304, headers=headers)
    response = await make()
    if response.status_code == 200:
        response.headers.update(headers)
    return response

"""The gateway process: pages, login and sessions, and the calls to the services on behalf of people."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from gateway import cache, notify, rendering, security
from gateway.clients import ServiceClients, ServiceError, ServiceUnavailable
from gateway.deps import AccessDenied, CsrfRejected, LoginRequired, csrf_guard
from gateway.pages import aap, admin, engagements, home, indicateurs, notifications, participation, public
from gateway.rendering import is_htmx, render
from gateway.settings import Settings
from kernel import startup
from kernel.db import Database
from kernel.ids import names_nothing
from kernel.logs import Summarised, setup_logging
from kernel.migrations import upgrade
from kernel.tracing import FASTAPI_TELEMETRY, setup_tracing
from kernel.uploads import MULTIPART_SLACK, BodyLimit, TooLarge

log = logging.getLogger(__name__)
UNAVAILABLE = Summarised(log)  # under overload, one per refused request: a line every 10 s, with the count
HERE = Path(__file__).resolve().parent

# Assets are all served from here (no CDN); htmx swaps HTML, it needs no inline script or eval.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


class SecurityHeaders:
    """Pure ASGI middleware adding the usual protective headers to every response."""

    HEADERS = (
        (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    )

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: dict) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                # A response that sets one of these itself keeps its own (a caught mail shown in a frame).
                own = {name.lower() for name, _ in message["headers"]}
                message["headers"] = [*message["headers"], *(h for h in self.HEADERS if h[0] not in own)]
            await send(message)

        await self.app(scope, receive, send_wrapper)


def _error_page(request: Request, status_code: int, title: str, message: str,
                headers: dict[str, str] | None = None) -> Response:
    return render(request, "layout/erreur.html", {"title": title, "message": message, "status_code": status_code},
                  block="message" if is_htmx(request) else None, status_code=status_code, headers=headers)


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    if is_htmx(request):  # htmx follows HX-Redirect with a full page load
        return Response(status_code=401, headers={"HX-Redirect": exc.location})
    return RedirectResponse(exc.location, status_code=303)


async def _access_denied(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AccessDenied)
    return _error_page(request, 403, "Accès refusé", exc.message)


async def _csrf_rejected(request: Request, _exc: Exception) -> Response:
    return _error_page(request, 403, "Vérification de sécurité échouée",
                       "Ce formulaire n'a pas pu être vérifié (jeton de sécurité absent ou périmé). "
                       "Rechargez la page, puis recommencez. Rien n'a été enregistré.")


async def _service_unavailable(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceUnavailable)
    UNAVAILABLE.warning(f"{exc.service} {exc.busy}", "service %s unavailable: %s", exc.service, exc.reason)
    if exc.busy:  # turned back under overload, before anything was done
        return _error_page(request, 503, "Plateforme très sollicitée",
                           f"Le service « {exc.label} » est très sollicité en ce moment : votre demande n'a pas pu "
                           "être traitée et rien n'a été enregistré. Réessayez dans quelques secondes.",
                           headers={"Retry-After": "5"})
    return _error_page(request, 503, "Service momentanément indisponible",
                       f"Le service « {exc.label} » ne répond pas pour le moment. Réessayez dans quelques "
                       "instants ; si le problème persiste, prévenez l'administrateur de la plateforme.",
                       headers={"Retry-After": "30"})


async def _database_unavailable(request: Request, exc: Exception) -> Response:
    log.warning("gateway database unavailable: %s", exc)
    return _error_page(request, 503, "Service momentanément indisponible",
                       "La plateforme ne peut pas joindre sa base de données pour le moment. Réessayez dans quelques "
                       "instants.", headers={"Retry-After": "5"})


async def _service_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    if exc.status_code == 404:
        return _error_page(request, 404, "Page introuvable", exc.message or "Ce que vous cherchez n'existe pas.")
    if exc.status_code == 403:
        return _error_page(request, 403, "Accès refusé", exc.message or "Cette action ne vous est pas permise.")
    log.error("service %s answered %s: %s", exc.service, exc.status_code, exc.body)
    return _error_page(request, 502, "Erreur inattendue",
                       "Un service a renvoyé une erreur inattendue. Réessayez ; si le problème persiste, "
                       "prévenez l'administrateur de la plateforme.")


async def _too_large(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TooLarge)
    return _error_page(request, 413, "Fichier trop volumineux", exc.message)


def _page_above(request: Request) -> str | None:
    """The nearest address above this one that is a page: a form's address opened directly (a refused form's page
    reloaded, a bookmark) leads back to the page the form is on, e.g. /reunions/<id>/points to /reunions/<id>."""
    parts = request.url.path.rstrip("/").split("/")
    while len(parts) > 1:
        parts.pop()
        scope = {"type": "http", "path": "/".join(parts) or "/", "method": "GET", "root_path": ""}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            return scope["path"]
    return None


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return _error_page(request, 404, "Page introuvable",
                           "Cette adresse ne correspond à aucune page. Vérifiez-la, ou repartez de l'accueil.")
    if exc.status_code == 405 and request.method in ("GET", "HEAD") and (page := _page_above(request)):
        return RedirectResponse(page, status_code=303)
    if exc.status_code == 405:
        return _error_page(request, 405, "Action impossible", "Cette adresse ne permet pas cette action.")
    return _error_page(request, exc.status_code, "Erreur", str(exc.detail))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if names_nothing(list(exc.errors())) or any(e.get("loc", [None])[0] == "path" for e in exc.errors()):
        return await _http_error(request, StarletteHTTPException(404))
    return _error_page(request, 400, "Demande incorrecte", "Les informations envoyées sont incomplètes ou invalides.")


async def _flush_session_activity(app: FastAPI) -> None:
    try:
        async with app.state.db.session() as session:
            await app.state.session_activity.flush(session)
    except Exception:
        log.warning("web sessions' last activity not written", exc_info=True)


async def _write_session_activity(app: FastAPI) -> None:
    while True:
        await asyncio.sleep(security.SessionActivity.FLUSH_SECONDS)
        await _flush_session_activity(app)


def create_app(settings: Settings | None = None,
               transports: dict[str, httpx.AsyncBaseTransport] | None = None) -> FastAPI:
    """The gateway app; `transports` binds service clients elsewhere than their URLs (tests)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.environment != "test":  # under pytest, keep pytest's log capture
            setup_logging("gateway", settings.log_level, settings.log_json)
        setup_tracing("gateway", settings.otel_exporter, settings.otel_endpoint)
        await asyncio.to_thread(upgrade, settings.database_url, HERE / "migrations")
        app.state.db = Database(settings.database_url)
        app.state.clients = ServiceClients(settings, transports)
        cache.shared(app.state.clients)  # the pages' reads go through its memo
        account_sync = asyncio.create_task(notify.keep_in_sync(app.state.db, app.state.clients))
        app.state.session_activity = security.SessionActivity()
        activity = asyncio.create_task(_write_session_activity(app))
        rendering.compile_all()
        if settings.environment != "test":  # under pytest, many apps share one process: nothing to build or freeze
            startup.ready(app)
        log.info("gateway ready on port %s", settings.port)
        try:
            yield
        finally:
            account_sync.cancel()
            activity.cancel()
            await asyncio.gather(account_sync, activity, return_exceptions=True)
            await _flush_session_activity(app)
            await app.state.clients.aclose()
            await app.state.db.dispose()
            log.info("gateway stopped")

    app = FastAPI(title="Contrat de ville — passerelle", lifespan=lifespan, telemetry=FASTAPI_TELEMETRY,
                  docs_url=None, redoc_url=None, openapi_url=None, exception_handlers={
                      LoginRequired: _login_required, AccessDenied: _access_denied, CsrfRejected: _csrf_rejected,
                      ServiceUnavailable: _service_unavailable, ServiceError: _service_error,
                      StarletteHTTPException: _http_error, RequestValidationError: _validation_error,
                      TooLarge: _too_large, OperationalError: _database_unavailable,
                  })
    app.state.settings = settings
    app.add_middleware(BodyLimit, limit=settings.upload_max_bytes + MULTIPART_SLACK)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=6)  # 9 costs twice the time for ~2 % less
    if settings.trusted_proxies:  # outermost: the address and scheme are the forwarded ones for all that follows
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/healthz", tags=["santé"])
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok", "service": "gateway"}

    @app.get("/readyz", tags=["santé"])
    async def readyz(request: Request) -> JSONResponse:
        """The gateway's own database answers (the services report their own readiness)."""
        checks: dict[str, Any] = {"database": False}
        db: Database | None = getattr(request.app.state, "db", None)
        if db is not None:
            try:
                await db.ping()
                checks["database"] = True
            except Exception as exc:  # noqa: BLE001 - reported, not raised
                checks["database_error"] = str(exc)
        ready = checks["database"]
        return JSONResponse({"status": "ready" if ready else "not ready", "service": "gateway", **checks},
                            status_code=200 if ready else 503)

    # Each domain's package gathers its pages' routes.
    for domain in (public, home, engagements, admin, indicateurs, participation, notifications, aap):
        app.include_router(domain.router, dependencies=[Depends(csrf_guard)])
    return app

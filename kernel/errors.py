"""Domain errors that every service turns into the same structured JSON answer."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kernel.ids import names_nothing

log = logging.getLogger(__name__)


class DomainError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class Unauthenticated(DomainError):
    status_code = 401
    code = "unauthenticated"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class Invalid(DomainError):
    status_code = 422
    code = "invalid"


class TooManyRequests(DomainError):
    """Too many attempts from one client in a while (public forms)."""

    status_code = 429
    code = "too_many_requests"


class InvalidRows(DomainError):
    """A file refused whole: `errors` lists every bad line as `{line, reason}` in French."""

    status_code = 422
    code = "invalid_rows"


async def domain_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return JSONResponse({"code": exc.code, "message": exc.message, **exc.details}, status_code=exc.status_code)


# pydantic error types, in French (templates take the error's `ctx`).
FRENCH = {
    "missing": "champ obligatoire absent",
    "extra_forbidden": "champ inconnu",
    "string_type": "texte attendu",
    "int_type": "nombre entier attendu",
    "int_parsing": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "float_type": "nombre attendu",
    "float_parsing": "nombre attendu",
    "finite_number": "nombre fini attendu",
    "bool_type": "vrai ou faux attendu",
    "bool_parsing": "vrai ou faux attendu",
    "date_parsing": "date attendue (AAAA-MM-JJ)",
    "date_from_datetime_parsing": "date attendue (AAAA-MM-JJ)",
    "date_type": "date attendue (AAAA-MM-JJ)",
    "date_from_datetime_inexact": "date attendue (AAAA-MM-JJ)",
    "datetime_parsing": "date et heure attendues (AAAA-MM-JJ HH:MM)",
    "datetime_from_date_parsing": "date et heure attendues (AAAA-MM-JJ HH:MM)",
    "datetime_type": "date et heure attendues (AAAA-MM-JJ HH:MM)",
    "time_parsing": "heure attendue (HH:MM)",
    "time_type": "heure attendue (HH:MM)",
    "timezone_aware": "date et heure avec fuseau horaire attendues",
    "timezone_naive": "date et heure sans fuseau horaire attendues",
    "decimal_parsing": "nombre attendu",
    "decimal_type": "nombre attendu",
    "uuid_parsing": "identifiant invalide",
    "uuid_type": "identifiant invalide",
    "url_parsing": "adresse web invalide",
    "url_type": "adresse web invalide",
    "url_scheme": "adresse web invalide (attendu : {expected_schemes})",
    "bytes_type": "contenu attendu",
    "none_required": "aucune valeur attendue",
    "list_type": "liste attendue",
    "dict_type": "objet attendu",
    "model_type": "objet attendu",
    "model_attributes_type": "objet attendu",
    "json_invalid": "JSON invalide",
    "enum": "valeur non permise (attendu : {expected})",
    "literal_error": "valeur non permise (attendu : {expected})",
    "string_pattern_mismatch": "format invalide (attendu : {pattern})",
    "string_too_short": "texte trop court ({min_length} caractères au moins)",
    "string_too_long": "texte trop long ({max_length} caractères au plus)",
    "too_short": "au moins {min_length} éléments attendus",
    "too_long": "au plus {max_length} élément(s)",
    "greater_than_equal": "doit être supérieur ou égal à {ge}",
    "greater_than": "doit être supérieur à {gt}",
    "less_than_equal": "doit être inférieur ou égal à {le}",
    "less_than": "doit être inférieur à {lt}",
}


def french_message(error: Any) -> str:
    """A pydantic error in French."""
    if error.get("type") == "value_error":
        return str(error.get("msg", "")).removeprefix("Value error, ")
    if error.get("type") in ("string_too_short", "too_short") and (error.get("ctx") or {}).get("min_length") == 1:
        return "champ obligatoire" if error["type"] == "string_too_short" else "au moins un élément attendu"
    template = FRENCH.get(error.get("type", ""))
    if template is None:  # pydantic's own text is English: never shown
        return "valeur invalide"
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return template.split(" (")[0]


def _plain(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)


async def validation_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 in the shape of domain errors: `{code, message, errors: [{field, type, message, ctx}]}`."""
    assert isinstance(exc, RequestValidationError)
    if names_nothing(list(exc.errors())):
        return JSONResponse({"code": NotFound.code, "message": "Aucune ressource ne porte cet identifiant."},
                            status_code=NotFound.status_code)
    errors = [{"field": ".".join(str(p) for p in e["loc"] if p not in ("body", "query", "path")) or "corps",
               "type": e.get("type"), "message": french_message(e),
               "ctx": {k: _plain(v) for k, v in (e.get("ctx") or {}).items()}} for e in exc.errors()]
    message = "Requête invalide : " + " ; ".join(f"{e['field']} : {e['message']}" for e in errors) + "."
    return JSONResponse({"code": "invalid", "message": message, "errors": errors}, status_code=422)


# Framework errors (a body that is not JSON, an unknown route or method) in the same shape, in French.
HTTP_ERRORS = {
    400: ("invalid", "Requête illisible : le corps doit être du JSON valide."),
    404: ("not_found", "Adresse inconnue."),
    405: ("method_not_allowed", "Méthode non permise pour cette adresse."),
    413: ("too_large", "Requête trop volumineuse."),
    415: ("unsupported_media_type", "Type de contenu non pris en charge."),
}


async def http_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    """Starlette's `HTTPException` (`{"detail": ...}`) as `{code, message}`, keeping its status and headers."""
    assert isinstance(exc, StarletteHTTPException)
    code, message = HTTP_ERRORS.get(exc.status_code, ("error", str(exc.detail)))
    return JSONResponse({"code": code, "message": message}, status_code=exc.status_code,
                        headers=getattr(exc, "headers", None))


async def database_unavailable_handler(request: Request, exc: Exception) -> JSONResponse:
    """The database went away mid-request (a restart, a failover): a clear 503 the client may retry, not a crash.
    What was being written is rolled back, unless the commit itself was under way: a retry then meets the change
    already made (a version conflict, never a duplicate)."""
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    return JSONResponse({"code": "unavailable", "message": "La base de données du service ne répond pas pour le "
                         "moment : réessayez dans un instant."}, status_code=503, headers={"Retry-After": "2"})

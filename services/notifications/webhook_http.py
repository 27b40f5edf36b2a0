"""Webhooks over HTTP: which URLs are allowed, the CloudEvents validation handshake, the Standard Webhooks
signature, and one delivery POST. No database here: `webhooks.py` decides what to send and records the outcome.

- Handshake: CloudEvents "HTTP 1.1 Web Hooks", section 4 (abuse protection): an OPTIONS request carrying
  `WebHook-Request-Origin`; the target consents by answering 2xx with `WebHook-Allowed-Origin` equal to our origin
  or `*`. A target that does not consent receives nothing.
- Delivery: CloudEvents HTTP binding, structured mode (`Content-Type: application/cloudevents+json`, the event as
  the body), signed with `webhook-id`, `webhook-timestamp`, `webhook-signature` (package `standardwebhooks`).
  Redirections are never followed (the webhook spec forbids it, and it would dodge the address checks).
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx
from standardwebhooks import Webhook

CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
USER_AGENT = "contrat-de-ville-webhooks/1.0"
KEPT_ANSWER = 1000  # characters of a receiver's answer kept in the delivery log
REQUEST_RATE = "120"  # requests per minute asked in the handshake


def new_secret() -> str:
    """A signing secret in the Standard Webhooks form: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def url_problem(url: str) -> str | None:
    """What is wrong with a webhook URL before any network is involved, in French; None when it is fine."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        return "L'adresse doit commencer par https:// (ou http://)."
    if not parts.hostname:
        return "L'adresse ne comporte pas de nom de serveur."
    if parts.username or parts.password:
        return "N'incluez pas d'identifiants dans l'adresse : chaque envoi est signé avec le secret."
    if parts.fragment:
        return "L'adresse ne doit pas comporter de fragment (#…)."
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return "Le port de l'adresse est invalide."
    return None


def _internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


async def address_problem(url: str, *, allow_private: bool) -> str | None:
    """Refuses a host that resolves to a loopback, private, link-local or reserved address (server-side request
    forgery), unless private addresses are allowed. Checked at registration and again before each delivery."""
    if allow_private:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return f"Le nom « {host} » ne se résout pas."
    for info in infos:
        if _internal(str(info[4][0])):
            return (f"« {host} » désigne une adresse interne ({info[4][0]}) : les webhooks ne partent que vers "
                    "des adresses publiques.")
    return None


def client(timeout: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False, headers={"User-Agent": USER_AGENT})


@dataclass(frozen=True)
class Handshake:
    ok: bool
    message: str  # French, shown to the administrator


async def handshake(http: httpx.AsyncClient, url: str, *, origin: str, timeout: float) -> Handshake:
    """The CloudEvents validation request: does the target agree to receive our deliveries?"""
    try:
        async with asyncio.timeout(timeout):
            answer = await http.options(url, headers={"WebHook-Request-Origin": origin,
                                                      "WebHook-Request-Rate": REQUEST_RATE})
    except TimeoutError:
        return Handshake(False, f"Le point de terminaison n'a pas répondu à la validation en {timeout:g} s.")
    except httpx.HTTPError as exc:
        return Handshake(False, f"Le point de terminaison est injoignable ({_reason(exc)}).")
    allowed = answer.headers.get("WebHook-Allowed-Origin", "").strip()
    if answer.is_success and allowed in (origin, "*"):
        return Handshake(True, f"Validation acceptée (WebHook-Allowed-Origin : {allowed}).")
    if not allowed:
        return Handshake(False, f"Validation refusée : la réponse ({answer.status_code}) ne contient pas "
                                f"l'en-tête WebHook-Allowed-Origin autorisant « {origin} ».")
    return Handshake(False, f"Validation refusée : la réponse ({answer.status_code}) autorise « {allowed[:100]} », "
                            f"pas « {origin} ».")


def signature_headers(secrets_: list[str], *, msg_id: str, at: datetime, body: str) -> dict[str, str]:
    """Standard Webhooks headers; during a secret rotation the body is signed with each secret (space-separated)."""
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": " ".join(Webhook(s).sign(msg_id, at, body) for s in secrets_)}


@dataclass(frozen=True)
class Outcome:
    """What one delivery attempt got back."""

    ok: bool
    status_code: int | None
    answer: str | None  # start of the receiver's answer
    error: str | None  # French, when it failed
    duration_ms: int
    retry_after: float | None = None  # seconds the receiver asked us to wait (429, 503)
    gone: bool = False  # 410: the target is retired


async def deliver(http: httpx.AsyncClient, url: str, *, body: str, msg_id: str, secrets_: list[str], origin: str,
                  timeout: float, allow_private: bool) -> Outcome:
    """POSTs one CloudEvent, signed now; never raises for a network or receiver failure."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    problem = await address_problem(url, allow_private=allow_private)
    if problem:
        return Outcome(False, None, None, problem, elapsed())
    headers = {"Content-Type": CONTENT_TYPE, "WebHook-Request-Origin": origin,
               **signature_headers(secrets_, msg_id=msg_id, at=datetime.now(UTC), body=body)}
    try:
        async with asyncio.timeout(timeout), http.stream("POST", url, content=body.encode(), headers=headers) as r:
            answer = await _read_start(r)
    except TimeoutError:
        return Outcome(False, None, None, f"Délai dépassé : pas de réponse complète en {timeout:g} s.", elapsed())
    except httpx.HTTPError as exc:
        return Outcome(False, None, None, f"Connexion impossible ({_reason(exc)}).", elapsed())
    if r.is_success:
        return Outcome(True, r.status_code, answer, None, elapsed())
    if r.is_redirect:
        error = "Redirection refusée : les webhooks ne suivent pas les redirections ; enregistrez l'adresse finale."
    elif r.status_code == 410:
        error = "Le point de terminaison a répondu 410 (Gone) : il ne veut plus rien recevoir."
    else:
        error = f"Le point de terminaison a répondu {r.status_code}."
    return Outcome(False, r.status_code, answer, error, elapsed(), retry_after=_retry_after(r),
                   gone=r.status_code == 410)


async def _read_start(response: httpx.Response) -> str:
    """The start of the answer, without reading a huge body."""
    kept = b""
    async for chunk in response.aiter_bytes():
        kept += chunk
        if len(kept) >= KEPT_ANSWER * 4:
            break
    return kept.decode("utf-8", errors="replace")[:KEPT_ANSWER]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value or response.status_code not in (429, 503):
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__} : {text[:200]}" if text else type(exc).__name__

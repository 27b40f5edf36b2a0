"""The caller's identity, signed by the gateway and verified by each service.

The gateway puts a short-lived token in `X-Cdv-Identity` (HMAC-SHA256 over the identity, with a timestamp),
signed for one service, its audience: a service accepts it only if the signature matches its own copy of the
secret, the token names that service and is a few seconds old at most (`identity_ttl_seconds`). A token taken
from one call cannot be replayed against another service, nor later. Each service then applies its own rules
to its own data.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import Depends, Request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pydantic import BaseModel

from kernel import audit
from kernel.errors import Unauthenticated
from kernel.logs import Summarised

log = logging.getLogger(__name__)
LATE_CALLS = Summarised(log)  # under overload every call is late: a line every 10 s, with the count

HEADER = "X-Cdv-Identity"
AUDIENCE = "aud"  # the key of the service a token is meant for, beside the identity's fields
Role = Literal["referent", "secretariat", "admin", "integrator", "membre"]  # membre: a resident or an association


class Identity(BaseModel):
    user_id: str
    email: str
    name: str
    organisation_id: str | None = None
    organisation_name: str | None = None
    roles: list[Role] = []

    def has(self, role: Role) -> bool:
        return role in self.roles

    @property
    def is_secretariat(self) -> bool:
        return "secretariat" in self.roles or "admin" in self.roles


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="cdv-identity")


def sign_identity(identity: Identity, secret: str, audience: str) -> str:
    """A token for one call to the service named `audience`."""
    return _serializer(secret).dumps({**identity.model_dump(mode="json"), AUDIENCE: audience})


class ExpiredIdentity(ValueError):
    """A genuine token that arrived too late: the call waited longer than a token lasts (overload)."""


def verify_identity(token: str, secret: str, max_age: int, audience: str) -> Identity:
    """Raises ValueError with a reason when the token is forged, altered, too old (`ExpiredIdentity`) or meant
    for another service."""
    try:
        data, signed_at = _serializer(secret).loads(token, max_age=max_age, return_timestamp=True)
    except SignatureExpired as exc:
        raise ExpiredIdentity("identité expirée") from exc
    except BadSignature as exc:
        raise ValueError("identité invalide") from exc
    if not isinstance(data, dict) or data.get(AUDIENCE) != audience:
        raise ValueError(f"identité destinée à un autre service que « {audience} »")
    age = (datetime.now(UTC) - signed_at).total_seconds()
    if age > max_age / 2:  # calls are queueing: said before they start to fail as expired
        LATE_CALLS.warning(audience, "a call to %s arrived %.0f s after the gateway signed it (identity valid %s s): "
                           "requests are queueing", audience, age, max_age)
    return Identity.model_validate(data)


async def current_identity(request: Request) -> Identity:
    """FastAPI dependency: the verified caller, or 401 `{code: "unauthenticated", message}`.

    Async so that it runs in the request's own task: the audit log's actor, set here, stays for the endpoint."""
    token = request.headers.get(HEADER)
    if not token:
        raise Unauthenticated("Identité manquante.")
    settings = request.app.state.runtime.settings
    try:
        who = verify_identity(token, settings.identity_secret, settings.identity_ttl_seconds, settings.service_name)
    except ValueError as exc:
        # An expired token is a genuine call that waited too long (overload, not an attack): said apart, so that
        # the gateway can tell the person the platform is overloaded and nothing was done.
        details = {"reason": "expired"} if isinstance(exc, ExpiredIdentity) else {}
        raise Unauthenticated(str(exc).capitalize() + ".", **details) from exc
    audit.set_actor(audit.Actor(who.name or who.user_id, user_id=who.user_id, organisation_id=who.organisation_id))
    return who


IdentityDep = Annotated[Identity, Depends(current_identity)]

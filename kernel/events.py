"""The integrators' contract: CloudEvents 1.0 envelope and typed payloads.

A payload is a pydantic model registered with `@event_type("cdv.<service>.<entity>.<event>", ...)`. The type is
also the NATS subject (its first token replaced by the deployment's namespace). Payload models are the
source of the published AsyncAPI document.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

CANONICAL_NAMESPACE = "cdv"


class EventPayload(BaseModel):
    """Base of every event payload. `__event_type__` and `__summary__` are set by `@event_type`."""

    model_config = ConfigDict(extra="forbid")
    __event_type__: ClassVar[str]
    __summary__: ClassVar[str]
    __retired__: ClassVar[str | None] = None


P = TypeVar("P", bound=type[EventPayload])

# type -> payload model: every event the system can publish.
CATALOGUE: dict[str, type[EventPayload]] = {}


def event_type(type_: str, summary: str, *, retired: str | None = None) -> Any:
    """Registers a payload model under its CloudEvents type (also its subject).

    `retired` (in French: since when, why, what replaces it) marks a type no longer published: it stays in the
    catalogue and the AsyncAPI document, since the streams keep its past events for replay.
    """
    parts = type_.split(".")
    if len(parts) != 4 or parts[0] != CANONICAL_NAMESPACE:
        raise ValueError(f"event type must read cdv.<service>.<entity>.<event>: {type_}")

    def register(cls: P) -> P:
        cls.__event_type__ = type_
        cls.__summary__ = summary
        cls.__retired__ = retired
        CATALOGUE[type_] = cls
        return cls

    return register


class CloudEvent(BaseModel):
    """CloudEvents 1.0, JSON structured mode, with the `traceparent` extension."""

    model_config = ConfigDict(extra="allow")
    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    source: str
    type: str
    subject: str | None = None
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    datacontenttype: Literal["application/json"] = "application/json"
    traceparent: str | None = None
    data: dict[str, Any]

    @classmethod
    def wrap(cls, payload: EventPayload, *, source: str, subject: str | None,
             traceparent: str | None = None) -> CloudEvent:
        return cls(source=source, type=payload.__event_type__, subject=subject, traceparent=traceparent,
                   data=payload.model_dump(mode="json"))

    def payload(self) -> EventPayload:
        """The typed payload, validated against its registered model."""
        return CATALOGUE[self.type].model_validate(self.data)


def subject_for(type_: str, namespace: str) -> str:
    """NATS subject (or subject filter) of a canonical `cdv.…` one in a deployment namespace (`cdv` in production)."""
    return namespace + type_[len(CANONICAL_NAMESPACE):]


def type_for(subject: str, namespace: str) -> str:
    return CANONICAL_NAMESPACE + subject[len(namespace):]


# Public events follow the public view: approved values, no person's name or e-mail, no internal comment.
# Events carrying more (personal data, values awaiting validation, comments) go to a service's internal stream,
# named `cdv.<service>-internal.<entity>.<event>`: services read it, integrators' NATS users do not. A service
# often publishes a detailed internal event and its public projection for one change.
INTERNAL = "-internal"


def is_internal(type_: str) -> bool:
    return type_.split(".")[1].endswith(INTERNAL)


def is_retired(type_: str) -> bool:
    return CATALOGUE[type_].__retired__ is not None


def stream_name(namespace: str, service: str) -> str:
    return f"{namespace}_{service}".upper().replace("-", "_").replace(".", "_")

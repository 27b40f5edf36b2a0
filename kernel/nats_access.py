"""Who may do what on NATS: one user per service, one for integrators, written as a nats-server configuration.

Permissions are derived from what each service really does (its `ServiceSpec`): it publishes its own subjects
(`cdv.<svc>.>`, `cdv.<svc>-internal.>`) and dead letters, creates its own streams (public, internal, the public
mirror and the shared dead-letter stream), and creates, reads and acknowledges its own durable consumers, named
one by one. Integrators read the public mirror streams (`CDV_<SVC>_PUBLIC`) only: every consumer there is
theirs, so they cannot bind, change or delete a service's consumer, which lives on the service streams.

NATS permissions match whole subject tokens (`CDV_*` is no prefix wildcard, nor `integ_*`), hence the names
written out and the separate mirror streams rather than a consumer-name prefix.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from kernel.consumer import Subscription, durable_name
from kernel.events import INTERNAL, stream_name
from kernel.messaging import DEAD_LETTER_SERVICE, PUBLIC_MIRROR_SUFFIX, inbox_prefix

INTEGRATOR = "integrator"


@dataclass(frozen=True)
class ServiceAccess:
    """What one service does on NATS, read from its `ServiceSpec`."""

    name: str
    subscriptions: Sequence[Subscription] = ()
    internal_stream: bool = False


@dataclass(frozen=True)
class User:
    name: str
    password: str  # a literal, or `$ENV_VAR` for a configuration that reads it from the environment
    publish: list[str]
    subscribe: list[str]
    deny_publish: list[str] = field(default_factory=list)


def service_user(access: ServiceAccess, password: str, namespace: str = "cdv") -> User:
    ns, svc = namespace, access.name
    own_streams = [stream_name(ns, svc), stream_name(ns, svc) + PUBLIC_MIRROR_SUFFIX,
                   stream_name(ns, DEAD_LETTER_SERVICE)]
    if access.internal_stream:
        own_streams.insert(1, stream_name(ns, svc + INTERNAL))
    publish = [f"{ns}.{svc}.>", f"{ns}.{svc}{INTERNAL}.>",
               # Dead letters are named after the consumer (`cdv.dlq.<durable>`), one token: no narrower rule.
               f"{ns}.{DEAD_LETTER_SERVICE}.>", "$JS.API.INFO"]
    for stream in own_streams:
        publish += [f"$JS.API.STREAM.{op}.{stream}" for op in ("INFO", "CREATE", "UPDATE")]
    for sub in access.subscriptions:
        stream, durable = stream_name(ns, sub.service), durable_name(ns, sub.durable)
        publish += [f"$JS.API.CONSUMER.INFO.{stream}.{durable}",
                    f"$JS.API.CONSUMER.CREATE.{stream}.{durable}",
                    f"$JS.API.CONSUMER.CREATE.{stream}.{durable}.>",  # the filter subject follows the name
                    f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.{durable}",
                    f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}",
                    f"$JS.ACK.{stream}.{durable}.>"]
    return User(svc, password, publish=list(dict.fromkeys(publish)), subscribe=[inbox_prefix(svc) + ".>"])


def integrator_user(services: Iterable[str], password: str, namespace: str = "cdv") -> User:
    publish = ["$JS.API.INFO"]
    for svc in services:
        mirror = stream_name(namespace, svc) + PUBLIC_MIRROR_SUFFIX
        publish += [f"$JS.API.STREAM.INFO.{mirror}", f"$JS.API.CONSUMER.NAMES.{mirror}",
                    f"$JS.API.CONSUMER.LIST.{mirror}"]
        publish += [f"$JS.API.CONSUMER.{op}.{mirror}.>"
                    for op in ("CREATE", "DURABLE.CREATE", "INFO", "DELETE", "MSG.NEXT")]
        publish.append(f"$JS.ACK.{mirror}.>")
    # Redundant with the allow list (anything not allowed is refused), written out as a statement.
    deny = [f"{namespace}.>", "$JS.API.STREAM.CREATE.>", "$JS.API.STREAM.UPDATE.>", "$JS.API.STREAM.DELETE.>",
            "$JS.API.STREAM.PURGE.>"]
    return User(INTEGRATOR, password, publish=publish, subscribe=["_INBOX.>"], deny_publish=deny)


def _quote(value: str) -> str:
    # `$NAME` stays bare: nats-server expands it from the environment. Anything else is a JSON string.
    return value if value.startswith("$") else json.dumps(value)


def _list(items: Sequence[str], indent: str) -> str:
    return "[\n" + "".join(f"{indent}  {json.dumps(i)}\n" for i in items) + f"{indent}]"


def server_config(users: Sequence[User], *, listen: str, store_dir: str, header: str,
                  server_name: str = "cdv") -> str:
    """A nats-server configuration: JetStream, and these users only (no anonymous client)."""
    blocks = []
    for u in users:
        publish = f"allow: {_list(u.publish, '          ')}"
        if u.deny_publish:
            publish += f"\n          deny: {_list(u.deny_publish, '          ')}"
        blocks.append(
            f"    {{\n      user: {json.dumps(u.name)}\n      password: {_quote(u.password)}\n"
            f"      permissions: {{\n        publish: {{\n          {publish}\n        }}\n"
            f"        subscribe: {{\n          allow: {_list(u.subscribe, '          ')}\n        }}\n"
            f"      }}\n    }}\n")
    return (f"{header.rstrip()}\n\nserver_name: {server_name}\nlisten: {listen}\n\n"
            f"jetstream {{\n  store_dir: {json.dumps(store_dir)}\n}}\n\n"
            "# Users of the global account: no `accounts {}` block, so JetStream data written before this file\n"
            "# existed (anonymous `make run`) stays where it was. Users exist, so anonymous clients are refused.\n"
            "authorization {\n  users: [\n" + "".join(blocks) + "  ]\n}\n")

"""Property-based tests of every service's HTTP API (schemathesis): requests generated from each service's own
OpenAPI document, valid and invalid, never get a server error, and every error is a structured JSON body
(`{code, message}`).

The services run in-process on an isolated stack (own databases, own NATS namespace, the default contract
loaded) since the generated requests change data: an administrator's identity reaches every endpoint's code.
The number of examples is bounded (`EXAMPLES` per operation and mode) to keep the run near a minute;
`CDV_SCHEMATHESIS_EXAMPLES` raises it for a longer hunt.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from gateway.contract import loader, validation
from tests.conftest import ADMIN, DEFAULT_CONTRACT, SERVICES, Running, auth

EXAMPLES = int(os.environ.get("CDV_SCHEMATHESIS_EXAMPLES", "4"))
# Not generated: the long-poll waits up to its timeout by design (its parameters are checked by the others).
SKIPPED = {("GET", "/api/v1/notices/wait")}


@pytest.fixture(scope="module")
async def isolated(service_runner: Any, namespaces: Any, stack_smtp_port: int) -> AsyncIterator[dict[str, Running]]:
    ns = await namespaces()
    async with service_runner("engagements", event_namespace=ns) as eng, \
            service_runner("participation", event_namespace=ns) as part, \
            service_runner("indicateurs", event_namespace=ns) as ind, \
            service_runner("notifications", event_namespace=ns, smtp_port=stack_smtp_port) as notif:
        contract = validation.load_file(DEFAULT_CONTRACT)
        await loader.load(contract, participation=part.client, engagements=eng.client, headers=auth(ADMIN))
        yield {"engagements": eng, "participation": part, "indicateurs": ind, "notifications": notif}


def structured_error(response: Any) -> str | None:
    """Why an error answer is not the structured JSON every API error is (None when it is)."""
    try:
        body = response.json()
    except ValueError:
        return f"not JSON: {response.text[:120]!r}"
    if not isinstance(body, dict) or not isinstance(body.get("code"), str) or not isinstance(body.get("message"), str):
        return f"no code/message: {str(body)[:120]}"
    return None


@pytest.mark.parametrize("name", SERVICES)
async def test_generated_requests_get_no_server_error_and_structured_errors(isolated: dict[str, Running],
                                                                            name: str) -> None:
    running = isolated[name]
    schema = schemathesis.openapi.from_dict(running.app.openapi())
    headers = auth(ADMIN)
    failures: list[str] = []

    requests: list[tuple[str, Any]] = []

    def prepare(case: Any) -> None:
        kwargs = case.as_transport_kwargs(base_url=f"http://{name}", headers=headers)
        kwargs.pop("cookies", None)
        try:
            request = running.client.build_request(**kwargs)
            request.read()  # encodes the body now (a multipart body is encoded lazily otherwise)
        except (TypeError, ValueError, AttributeError):
            return  # a generated case HTTP cannot carry (a multipart "file" that is a number): nothing to send
        requests.append((f"{case.method} {case.formatted_path} {kwargs.get('params') or ''}", request))

    def run_all() -> int:
        count = 0
        for result in schema.get_all_operations():
            operation = result.ok()
            if (operation.method.upper(), operation.path) in SKIPPED:
                continue
            strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                                 operation.as_strategy(GenerationMode.NEGATIVE))

            # Failures are collected, not raised: no shrinking, no explaining (whose tracing and source parsing
            # also race with the event loop's thread on CPython 3.11's `ast`).
            @settings(max_examples=EXAMPLES * 2, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
            @given(case=strategy)
            def check(case: Any) -> None:
                prepare(case)

            check()
            count += 1
        return count

    # Hypothesis generates every case first, in this thread (a second thread raced with CPython 3.11's `ast`);
    # then each request is sent to the service on this loop.
    operations = run_all()
    assert operations >= 5, "the OpenAPI document lists the service's endpoints"
    for where, request in requests:
        response = await running.client.send(request)
        if response.status_code >= 500:
            failures.append(f"{where}: {response.status_code} {response.text[:200]}")
        elif response.status_code >= 400 and (why := structured_error(response)):
            failures.append(f"{where}: {response.status_code} {why}")
    unique = sorted(set(failures))
    assert not unique, f"{name}: {len(unique)} bad answer(s):\n" + "\n".join(unique[:40])

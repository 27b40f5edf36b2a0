from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway.contract import loader, validation
from tests.conftest import ADMIN, DEFAULT_CONTRACT, Running, auth


@pytest.fixture(scope="session")
def default_contract() -> Any:
    return validation.load_file(DEFAULT_CONTRACT)


@pytest.fixture(params=["sqlite", "postgres"])
async def engagements(request: pytest.FixtureRequest, service_runner: Any,
                      default_contract: Any) -> AsyncIterator[Running]:
    """The engagements service alone, on a fresh SQLite or PostgreSQL database, with the default contract."""
    async with service_runner("engagements", backend=request.param) as running:
        response = await running.client.put(f"/api/v1/contracts/{default_contract.contract.id}",
                                            json=loader.engagements_part(default_contract), headers=auth(ADMIN))
        assert response.status_code == 200, response.text
        yield running

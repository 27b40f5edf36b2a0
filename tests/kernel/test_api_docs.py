"""A service's API map (`/docs`, `/redoc`, `/openapi.json`) is for developers: not served in production unless
asked for (`CDV_API_DOCS=true`)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from services.indicateurs.app import create_app
from services.indicateurs.settings import Settings


async def _statuses(tmp_path: Path, **settings: object) -> list[int]:
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/i.db", identity_secret="s" * 40,
                              **settings))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://indicateurs") as client:
        return [(await client.get(path)).status_code for path in ("/docs", "/redoc", "/openapi.json")]


@pytest.mark.parametrize(("settings", "expected"), [
    ({"environment": "production"}, [404, 404, 404]),
    ({"environment": "production", "api_docs": True}, [200, 200, 200]),
    ({"environment": "development"}, [200, 200, 200]),
    ({"environment": "test", "api_docs": False}, [404, 404, 404]),
])
async def test_the_api_map_is_served_only_outside_production_or_when_asked(tmp_path: Path, settings: dict,
                                                                           expected: list[int]) -> None:
    assert await _statuses(tmp_path, **settings) == expected

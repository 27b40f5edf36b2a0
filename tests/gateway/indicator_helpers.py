"""What the tests of the indicator pages share: the definitions the default contract gives, once indicateurs has
built them; a value's form; the text a reader of a page gets."""

from __future__ import annotations

import asyncio
import html
import re
from typing import Any

from gateway.contract import validation
from tests.conftest import ADMIN, DEFAULT_CONTRACT, auth, identity

HTMX = {"HX-Request": "true"}
SECRETARIAT = identity("nantes-metropole", "secretariat", name="Sacha Secrétariat")
NNBSP = "\u202f"
_EXPECTED: list[int] = []


def expected_definitions() -> int:
    """How many indicator definitions the default contract gives (its distinct labels per engagement)."""
    if not _EXPECTED:
        contract = validation.load_file(DEFAULT_CONTRACT)
        _EXPECTED.append(sum(len({i.label for i in e.indicators}) for e in contract.engagements))
    return _EXPECTED[0]


async def definitions_ready(stack: dict[str, Any]) -> list[dict[str, Any]]:
    """The indicator definitions, once indicateurs has built them from the contract's events."""
    client = stack["indicateurs"].client
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        found = (await client.get("/api/v1/definitions", headers=auth(ADMIN))).json()
        orgs = (await stack["participation"].client.get("/api/v1/organisations", headers=auth(ADMIN))).json()
        if len(found) == expected_definitions():
            try:  # organisations are known to indicateurs too (checked when refining a definition)
                probe = found[0]
                r = await client.patch(f"/api/v1/definitions/{probe['id']}", headers=auth(SECRETARIAT),
                                       json={"version": probe["version"], "responsible": probe["responsible"]})
                if r.status_code == 200 and orgs:
                    return found
            except KeyError:
                pass
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("indicator definitions not built in time")
        await asyncio.sleep(0.1)


async def definition(stack: dict[str, Any], engagement: int, label_start: str) -> dict[str, Any]:
    found = await definitions_ready(stack)
    return next(d for d in found if d["engagement_number"] == engagement and d["label"].startswith(label_start))


async def submissions(stack: dict[str, Any], indicator_id: int, **params: Any) -> list[dict[str, Any]]:
    response = await stack["indicateurs"].client.get("/api/v1/submissions", headers=auth(SECRETARIAT),
                                                     params={"indicator": indicator_id, **params})
    return response.json()


def value_form(token: str, period: str, value: str, *, key: str = "nouvelle", version: int = 0,
               action: str = "soumettre", **fields: str) -> dict[str, str]:
    return {"csrf_token": token, "formulaire": key, "version": str(version), "period": period, "value": value,
            "qualification": "definitif", "comment": "", "source": "", "action": action, **fields}


def text_of(response: Any) -> str:
    return html.unescape(response.text).replace(NNBSP, " ").replace("\u00a0", " ")


def words_of(response: Any) -> str:
    """What a reader of the page gets: its text without the tags, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text_of(response)))


def series_rows(page: str) -> dict[str, str]:
    """The data table of the series: period label -> the row's text."""
    table = re.search(r'<table class="table table--data" id="tableau-serie">(.*?)</table>', page, re.DOTALL)
    assert table, "no data table"
    rows = re.findall(r'<tr>\s*<th scope="row">(.*?)</th>(.*?)</tr>', table[1], re.DOTALL)
    return {period: re.sub(r"<[^>]+>", " ", cells) for period, cells in rows}

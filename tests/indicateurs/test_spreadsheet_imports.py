"""Imports as spreadsheets really are: the template filled the way Excel users do it (Windows-1252, `;`, decimal
comma, other lines blank; or the same as .xlsx) is previewed, confirmed and recorded with one event per value; a
bad line writes nothing and is named; a file past the limit is refused while it streams in (413)."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
from openpyxl import Workbook

from tests.conftest import auth
from tests.indicateurs.conftest import CAF, NANTES, SECRETARIAT, not_computed, wait_for
from tests.indicateurs.test_events import published

HEADER = ["indicateur", "libellé", "engagement", "unité", "periode", "qpv", "quartier", "valeur", "qualification",
          "commentaire", "source"]


async def template_lines(c: httpx.AsyncClient, who: Any, period: str = "2020") -> list[list[str]]:
    """One line per value the organisation owes (per QPV when broken down), as the gateway's template has them."""
    definitions = [d for d in (await c.get("/api/v1/definitions", headers=auth(who))).json()
                   if who.organisation_id in d["responsible"]]
    qpv = (await c.get("/api/v1/qpv", headers=auth(who))).json()
    lines = []
    for d in definitions:
        for q in ([x for x in qpv if not d["qpv"] or x["id"] in d["qpv"]] if d["by_qpv"] else [None]):
            lines.append([str(d["id"]), d["label"], str(d["engagement_number"]), d["unit"], period,
                          q["id"] if q else "", q["name"] if q else "", "", "provisoire", "", ""])
    return lines


def fill(lines: list[list[str]], values: dict[int, tuple[str, str]]) -> list[list[str]]:
    """The template with some lines given a value and a comment (by index), the others left blank."""
    filled = [list(line) for line in lines]
    for index, (value, comment) in values.items():
        filled[index][7], filled[index][9] = value, comment
    return filled


def excel_csv(lines: list[list[str]]) -> bytes:
    """What French Excel saves as « CSV (séparateur : point-virgule) »: Windows-1252, `;`, CRLF."""
    return "\r\n".join(";".join(cells) for cells in [HEADER, *lines]).encode("cp1252") + b"\r\n"


def excel_xlsx(lines: list[list[str]]) -> bytes:
    """The same lines in a workbook, numbers typed as numbers, as a person fills the cells."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Valeurs"
    ws.append(HEADER)
    for cells in lines:
        row: list[Any] = list(cells)
        row[0], row[2], row[4] = int(cells[0]), int(cells[2]), int(cells[4])
        row[7] = float(cells[7].replace(",", ".")) if cells[7] else None
        ws.append([None if v == "" else v for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


async def preview(c: httpx.AsyncClient, who: Any, content: bytes, name: str) -> httpx.Response:
    return await c.post("/api/v1/imports/previews", headers=auth(who), files={"file": (name, content)})


async def submission_events(indicateurs: Any, nats_url: str) -> Counter:
    async def all_sent() -> bool:
        return await indicateurs.runtime.relay.backlog() == 0

    await wait_for(all_sent, what="the outbox emptied")
    return Counter(e.type for _, e in await published(nats_url, indicateurs.namespace, "indicateurs-internal")
                   if e.type.startswith(("cdv.indicateurs-internal.submission.", "cdv.indicateurs-internal.import."))
                   and e.data["organisation_id"] == CAF.organisation_id)  # not the coverage computed at the load


async def test_the_template_filled_in_excel_is_previewed_then_recorded_one_event_per_value(indicateurs,
                                                                                           nats_url) -> None:
    c = indicateurs.client
    lines = await template_lines(c, CAF)
    assert len(lines) > 6
    values = {0: ("1 234,5", "Été 2020 – recompté"), 2: ("12,75", ""), len(lines) - 1: ("0", "")}
    content = excel_csv(fill(lines, values))

    r = await preview(c, CAF, content, "modele-caf.csv")
    assert r.status_code == 201, r.text
    report = r.json()
    assert (report["lines"], report["rows"], report["skipped"]) == (len(lines), 3, len(lines) - 3)
    assert (report["recorded"], report["corrected"], report["unchanged"]) == (3, 0, 0)
    assert [v["line"] for v in report["values"]] == [2, 4, len(lines) + 1]
    assert report["values"][0]["value"] == 1234.5 and report["values"][0]["kind"] == "nouvelle"
    assert (await c.get("/api/v1/submissions", headers=auth(CAF))).json() == [], "a preview records nothing"

    other = await c.post(f"/api/v1/imports/previews/{report['preview_id']}/confirm", headers=auth(NANTES))
    assert other.status_code == 404, "a preview is its sender's only"
    done = await c.post(f"/api/v1/imports/previews/{report['preview_id']}/confirm", headers=auth(CAF))
    assert done.status_code == 201, done.text
    assert (done.json()["recorded"], done.json()["skipped"]) == (3, len(lines) - 3)
    recorded = (await c.get("/api/v1/submissions", headers=auth(CAF))).json()
    assert sorted(v["value"] for v in recorded) == [0.0, 12.75, 1234.5]
    assert any(v["comment"] == "Été 2020 – recompté" for v in recorded), "Windows-1252 read as such"
    again = await c.post(f"/api/v1/imports/previews/{report['preview_id']}/confirm", headers=auth(CAF))
    assert again.status_code == 404, "a confirmed preview is gone"
    run = (await c.get(f"/api/v1/imports/{done.json()['import_id']}", headers=auth(CAF))).json()
    assert (run["recorded"], run["skipped"], run["filename"]) == (3, len(lines) - 3, "modele-caf.csv")

    events = await submission_events(indicateurs, nats_url)
    assert events == {"cdv.indicateurs-internal.submission.recorded": 3, "cdv.indicateurs-internal.import.completed": 1}


async def test_the_same_template_as_xlsx_is_recorded_too(indicateurs, nats_url) -> None:
    c = indicateurs.client
    lines = await template_lines(c, CAF, period="2021")
    content = excel_xlsx(fill(lines, {1: ("48", "tableau CAF"), 3: ("7,5", "")}))
    r = await preview(c, CAF, content, "modele-caf.xlsx")
    assert r.status_code == 201, r.text
    assert (r.json()["rows"], r.json()["skipped"]) == (2, len(lines) - 2)
    done = await c.post(f"/api/v1/imports/previews/{r.json()['preview_id']}/confirm", headers=auth(CAF))
    assert done.status_code == 201, done.text
    recorded = (await c.get("/api/v1/submissions", headers=auth(CAF))).json()
    assert sorted((v["period"], v["value"]) for v in recorded) == [("2021", 7.5), ("2021", 48.0)]
    assert (await submission_events(indicateurs, nats_url))["cdv.indicateurs-internal.submission.recorded"] == 2


async def test_one_bad_line_writes_nothing_and_is_named_with_the_file_s_counts(indicateurs) -> None:
    c = indicateurs.client
    lines = await template_lines(c, CAF)
    filled = fill(lines, {0: ("10", ""), 1: ("beaucoup", ""), 2: ("12", "")})
    for content, name in ((excel_csv(filled), "modele.csv"), (excel_csv(filled), None)):
        if name:
            r = await preview(c, CAF, content, name)
        else:
            r = await c.post("/api/v1/imports", headers={**auth(CAF), "Content-Type": "text/csv"}, content=content)
        assert r.status_code == 422, r.text
        body = r.json()
        assert body["code"] == "invalid_rows"
        assert body["errors"] == [{"line": 3, "reason": "valeur non numérique « beaucoup »"}]
        assert (body["lines"], body["skipped"]) == (len(lines), len(lines) - 3)
    assert not_computed((await c.get("/api/v1/submissions", headers=auth(SECRETARIAT))).json()) == [], \
        "nothing recorded (the secretariat sees only the computed coverage)"


async def test_a_field_longer_than_the_csv_reader_s_default_limit_is_a_line_error(indicateurs) -> None:
    c = indicateurs.client
    [first, *_] = await template_lines(c, CAF)
    text = "indicateur;periode;qpv;valeur;commentaire\n" + f"{first[0]};2020;;5;{'x' * 140_000}\n"
    r = await c.post("/api/v1/imports", headers={**auth(CAF), "Content-Type": "text/csv"}, content=text.encode())
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [{"line": 2, "reason": "commentaire trop long (140000 caractères, 4000 au plus)"}]


class Counting:
    """A request body sent in 64 KB chunks that counts how much of it the server pulled."""

    def __init__(self, size: int) -> None:
        self.size, self.sent = size, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.sent < self.size:
            chunk = b"1;2020;;1;provisoire\n" * 3000  # 63 KB
            self.sent += len(chunk)
            yield chunk


async def test_a_file_past_the_limit_is_refused_while_it_streams_in(service_runner, namespaces) -> None:
    limit = 1_000_000
    async with service_runner("indicateurs", event_namespace=await namespaces(), import_max_bytes=limit) as ind:
        body = Counting(50_000_000)
        r = await ind.client.post("/api/v1/imports", content=body,
                                  headers={**auth(CAF), "Content-Type": "text/csv"})
        assert r.status_code == 413, r.text
        assert r.json()["code"] == "too_large" and "1 Mo au plus" in r.json()["message"]
        assert body.sent < 2 * limit, f"the service read {body.sent} bytes of a 50 MB body before refusing it"

        declared = await ind.client.post("/api/v1/imports", headers={**auth(CAF), "Content-Type": "text/csv",
                                                                     "Content-Length": str(30_000_000)},
                                         content=b"x" * 10)
        assert declared.status_code == 413
        form = await ind.client.post("/api/v1/imports/previews", headers=auth(CAF),
                                     files={"file": ("gros.csv", b"x" * (limit + 10))})
        assert form.status_code == 413 and form.json()["code"] == "too_large"

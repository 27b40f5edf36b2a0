"""Every change is published on the service's JetStream streams as a CloudEvent of a registered type: in detail on
the internal stream, and as the public view (approved values, no person, no comment) on the public one."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import jsonschema
import nats

from kernel.events import CATALOGUE, CloudEvent, stream_name, type_for
from services.indicateurs.labels import COMPUTED_BY
from services.indicateurs.service import common
from tests.conftest import auth
from tests.indicateurs.conftest import CAF, COVERAGE, SECRETARIAT, find_definition, refine, submit, wait_for


async def published(nats_url: str, namespace: str, service: str = "indicateurs") -> list[tuple[dict, CloudEvent]]:
    """Every message of a stream, in order, read as a CloudEvent published on its type's subject."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        stream = stream_name(namespace, service)
        found = []
        for seq in range(1, (await js.stream_info(stream)).state.messages + 1):
            msg = await js.get_msg(stream, seq)
            event = CloudEvent.model_validate(json.loads(msg.data))
            assert type_for(msg.subject, namespace) == event.type
            found.append((msg.headers or {}, event))
        return found
    finally:
        await nc.close()


async def test_every_change_publishes_a_valid_cloudevent(indicateurs, nats_url) -> None:
    c = indicateurs.client
    places = await refine(c, await find_definition(c, 24, "Nombre de places"), target=150)
    first = await submit(c, CAF, places["id"], "2020", 10)
    second = await submit(c, CAF, places["id"], "2020", 12, version=1)
    await c.post(f"/api/v1/submissions/{second['id']}/reject", headers=auth(SECRETARIAT), json={"reason": "Source ?"})
    third = await submit(c, CAF, places["id"], "2020", 12, version=2, source="Fichier CAF", draft=True)
    await c.post(f"/api/v1/submissions/{third['id']}/submit", headers=auth(CAF))
    await c.post(f"/api/v1/submissions/{third['id']}/approve", headers=auth(SECRETARIAT))
    csv = "indicateur;periode;qpv;valeur;qualification\n" + "".join(
        f"{places['id']};{year};;{year - 2000};provisoire\n" for year in range(2010, 2015))
    imported = (await c.post("/api/v1/imports", headers={**auth(CAF), "Content-Type": "text/csv"},
                             content=csv)).json()
    r = await c.post("/api/v1/campaigns", headers=auth(SECRETARIAT),
                     json={"title": "Bilan 2021", "period": "2021",
                           "closes_on": (common.today() + timedelta(days=5)).isoformat()})
    campaign = r.json()
    await c.post(f"/api/v1/campaigns/{campaign['id']}/close", headers=auth(SECRETARIAT), json={})
    await c.post(f"/api/v1/campaigns/{campaign['id']}/reopen", headers=auth(SECRETARIAT), json={"reason": "Oubli"})

    async def all_sent() -> bool:
        return await indicateurs.runtime.relay.backlog() == 0  # type: ignore[union-attr]

    await wait_for(all_sent, what="the outbox emptied")
    public = await published(nats_url, indicateurs.namespace)
    internal = await published(nats_url, indicateurs.namespace, "indicateurs-internal")
    events = public + internal
    for headers, event in events:
        assert headers["Nats-Msg-Id"] == event.id
        assert event.specversion == "1.0" and event.source == "/cdv/indicateurs"
        assert event.datacontenttype == "application/json" and event.time.tzinfo is not None
        model = CATALOGUE[event.type]
        model.model_validate(event.data)
        jsonschema.validate(event.data, model.model_json_schema())
    assert len({e.id for _, e in events}) == len(events)

    # The contract's load recorded the coverage the platform computes, approved at once: validated and public.
    coverage = await find_definition(c, 47, "Taux de couverture")
    computed = [e for _, e in events if e.data.get("organisation_id") == COMPUTED_BY]
    assert sorted(e.type for e in computed) == ["cdv.indicateurs-internal.submission.validated",
                                               "cdv.indicateurs.value.approved"]
    assert {(e.subject, e.data["indicator_label"], e.data["value"], e.data["version"]) for e in computed} == {
        (f"indicator/{coverage['id']}", COVERAGE, 53.3, 1)}, "8 QPV of 15 have a conseil citoyen"

    types = Counter(e.type for _, e in events if e.data.get("organisation_id") != COMPUTED_BY)
    assert types["cdv.indicateurs-internal.submission.recorded"] == 1 + 5
    assert types["cdv.indicateurs-internal.submission.corrected"] == 2
    assert types["cdv.indicateurs-internal.submission.rejected"] == 1
    assert types["cdv.indicateurs-internal.submission.submitted"] == 1
    assert types["cdv.indicateurs-internal.submission.validated"] == 1
    assert types["cdv.indicateurs-internal.import.completed"] == 1
    for kind in ("opened", "closed", "reopened"):
        assert types[f"cdv.indicateurs.campaign.{kind}_v2"] == 1
    defined = [e for _, e in public if e.type == "cdv.indicateurs.definition.defined_v2"]
    assert len(defined) > 100 and any(e.data["changed"] == ["target"] for e in defined)
    assert not any(CATALOGUE[e.type].__retired__ for _, e in events), "retired types are no longer published"

    # The public stream: the one approved value of the CAF, whole (beside the computed coverage); nothing awaiting
    # validation, no person, no comment.
    campaigns = {f"cdv.indicateurs.campaign.{k}_v2" for k in ("opened", "closed", "reopened")}
    assert {e.type for _, e in public} == {"cdv.indicateurs.definition.defined_v2", "cdv.indicateurs.value.approved",
                                          *campaigns}
    approved = [e for _, e in public if e.type == "cdv.indicateurs.value.approved"
                and e.data["organisation_id"] != COMPUTED_BY]
    assert [(e.data["submission_id"], e.data["value"], e.data["version"], e.data["source"], e.subject)
            for e in approved] == [(third["id"], 12, 3, "Fichier CAF", f"indicator/{places['id']}")]
    raw = "\n".join(e.model_dump_json() for _, e in public)
    for private in ("Claude CAF", "Sacha Secrétariat", "Source ?", "Oubli", "actor_name", "a_reprendre", "soumis",
                    "comment", "@"):
        assert private not in raw, private

    by_id = {e.data.get("submission_id"): e for _, e in events if e.type.endswith(".recorded")}
    recorded = by_id[first["id"]]
    assert recorded.subject == f"indicator/{places['id']}"
    data = recorded.payload()
    assert (data.indicator_id, data.indicator_label, data.engagement_number, data.period, data.value, data.unit,
            data.qualification, data.state, data.organisation_id, data.actor_name, data.version) == \
        (places["id"], "Nombre de places", 24, "2020", 10, "nombre", "provisoire", "soumis", "caf", "Claude CAF", 1)
    rejected = next(e for _, e in events if e.type.endswith(".rejected"))
    assert rejected.data["reason"] == "Source ?" and rejected.data["actor_name"] == "Sacha Secrétariat"
    assert rejected.data["state"] == "a_reprendre" and rejected.data["version"] == 2
    corrections = [e.data for _, e in events if e.type.endswith(".corrected")]
    assert [(x["previous_version"], x["version"], x["previous_state"]) for x in corrections] == [
        (1, 2, "soumis"), (2, 3, "a_reprendre")]
    from_import = [e.data for _, e in events if e.type.endswith(".recorded") and e.data["import_id"]]
    assert len(from_import) == 5 and {x["import_id"] for x in from_import} == {imported["import_id"]}
    summary = next(e.data for _, e in events if e.type.endswith("import.completed"))
    assert (summary["rows"], summary["recorded"], summary["periods"]) == (5, 5, [str(y) for y in range(2010, 2015)])
    closed = next(e.data for _, e in events if e.type.endswith("campaign.closed_v2"))
    assert closed["automatic"] is False and closed["period"] == "2021"

"""The participation service's registry: organisations and QPV from the contract, loaded idempotently."""

from __future__ import annotations

import asyncio
import json

import nats

from gateway.contract import loader, validation
from tests.conftest import ADMIN, DEFAULT_CONTRACT, auth, identity


async def test_registry_loads_once_and_announces_changes(service_runner, nats_url, namespace) -> None:
    contract = validation.load_file(DEFAULT_CONTRACT)
    body = loader.participation_part(contract)
    nc = await nats.connect(nats_url)
    events: asyncio.Queue = asyncio.Queue()
    await nc.subscribe(f"{namespace}.participation.>", cb=events.put)
    try:
        async with service_runner("participation", backend="postgres") as part:
            c = part.client
            refused = await c.put("/api/v1/registry", json=body, headers=auth(identity("ville-nantes")))
            assert refused.status_code == 403
            first = (await c.put("/api/v1/registry", json=body, headers=auth(ADMIN))).json()
            assert len(first["organisations_changed"]) == len(contract.organisations)
            assert len(first["qpv_changed"]) == len(contract.qpv)
            again = (await c.put("/api/v1/registry", json=body, headers=auth(ADMIN))).json()
            assert again == {"organisations_changed": [], "qpv_changed": [], "bodies_changed": []}
            assert len(first["bodies_changed"]) == len(contract.bodies)

            body["organisations"][0]["name"] = "Nantes Métropole (nouveau nom)"
            third = (await c.put("/api/v1/registry", json=body, headers=auth(ADMIN))).json()
            assert third["organisations_changed"] == [body["organisations"][0]["id"]]

            orgs = (await c.get("/api/v1/organisations", params={"kind": "bailleur"},
                                headers=auth(identity("caf")))).json()
            assert orgs and all(o["kind"] == "bailleur" for o in orgs)
            qpv = (await c.get("/api/v1/qpv", headers=auth(identity("caf")))).json()
            assert {"grand-bellevue", "malakoff"} <= {q["id"] for q in qpv}

            # Each organisation and QPV, the renamed organisation, and the coverage of the QPV by conseils
            # citoyens measured once (the first load changed the QPV and bodies; the others did not).
            expected = len(contract.organisations) + len(contract.qpv) + 2
            received = []
            while len(received) < expected:
                received.append(json.loads((await asyncio.wait_for(events.get(), 10)).data))
            measures = [e for e in received if e["type"] == "cdv.participation.measure.computed"]
            assert [m["data"]["engagement_number"] for m in measures] == [47]
            renamed = [e for e in received if e not in measures][-1]
            assert renamed["type"] == "cdv.participation.organisation.registered"
            assert renamed["data"]["name"] == "Nantes Métropole (nouveau nom)"
    finally:
        await nc.close()

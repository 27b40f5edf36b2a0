"""The example consumer shipped to integrators really runs: it replays every public stream from the start, an
engagement update included, and sees nothing internal."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.conftest import auth, identity
from tests.kernel.test_outbox import wait_for

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "integrator_consumer.py"
SERVICES = ("engagements", "indicateurs", "participation", "notifications")


async def test_example_consumer_replays_every_public_stream(stack, nats_url, namespace, js) -> None:
    # An engagement update (engagement 7, Saint-Herblain's part, touched by no other test).
    referent = identity("ville-saint-herblain", "referent", name="Dominique Herblinois")
    engagements = stack["engagements"].client
    detail = (await engagements.get("/api/v1/engagements/7", headers=auth(referent))).json()
    part = next(p for p in detail["parts"] if p["organisation_id"] == "ville-saint-herblain")
    r = await engagements.patch("/api/v1/engagements/7/parts/ville-saint-herblain", headers=auth(referent),
                                json={"version": part["version"], "status": "en_cours", "progress": 35,
                                      "comment": "Commentaire du pilote"})
    assert r.status_code == 200, r.text

    async def mirrored() -> bool:
        info = await js.stream_info(f"{namespace}_ENGAGEMENTS_PUBLIC".upper())
        source = await js.stream_info(f"{namespace}_ENGAGEMENTS".upper())
        return info.state.last_seq == source.state.last_seq and await stack["engagements"].runtime.relay.backlog() == 0

    await wait_for(mirrored)
    env = {**os.environ, "NATS_URL": nats_url, "CDV_NAMESPACE": namespace, "DURABLE": "exemple_doc",
           "REPLAY_ONLY": "1", "WAIT": "2"}
    proc = await asyncio.create_subprocess_exec(sys.executable, str(EXAMPLE), env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, err.decode()
    lines = out.decode().splitlines()
    types = {line.split(" ")[1] for line in lines}
    assert {t.split(".")[1] for t in types} >= {"engagements", "indicateurs", "participation"}
    update = [line for line in lines if " cdv.engagements.engagement.progress_updated_v2 engagement/7 " in line]
    assert update and '"progress": 35' in update[-1]
    assert not any("-internal." in t for t in types)
    assert "Commentaire du pilote" not in out.decode() and "Dominique" not in out.decode()
    for service in SERVICES:
        await js.delete_consumer(f"{namespace}_{service}_PUBLIC".upper(), f"exemple_doc_{service}")

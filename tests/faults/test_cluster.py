"""A 3-node JetStream cluster started from the project's own files (`infra/nats/nats-cluster-{1,2,3}.conf`:
`sync_interval: always`), every stream at replication 3: a burst of indicator submissions while one node is
killed with SIGKILL, then another once the first is back. Every accepted write reaches its stream exactly once,
and the services reconnect by themselves to whichever node is up (each was connected to one of the three)."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from typing import Any

import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from gateway.contract import loader, validation
from kernel.events import stream_name
from tests import components
from tests.conftest import ADMIN, DEFAULT_CONTRACT, ROOT, auth, identity
from tests.kernel.test_outbox import wait_for

PORTS = {1: 4231, 2: 4232, 3: 4233}
CLUSTER_URL = ",".join(f"nats://127.0.0.1:{p}" for p in PORTS.values())
NANTES = identity("ville-nantes", "referent", name="Camille Nantes")
WRITES = 240


class Cluster:
    """The three nodes, each a nats-server process in the same working directory (their store_dir is relative)."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="cdv-cluster-")
        self.nodes: dict[int, subprocess.Popen[bytes]] = {}

    def start(self, n: int) -> None:
        conf = ROOT / "infra" / "nats" / f"nats-cluster-{n}.conf"
        self.nodes[n] = subprocess.Popen([self.binary, "-c", str(conf)], cwd=self.dir, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while not components.answers("127.0.0.1", PORTS[n], 0.2):
            assert self.nodes[n].poll() is None and time.monotonic() < deadline, f"node {n} did not start"
            time.sleep(0.1)

    def kill(self, n: int) -> None:
        self.nodes[n].send_signal(signal.SIGKILL)
        self.nodes[n].wait(10)

    def stop(self) -> None:
        for node in self.nodes.values():
            if node.poll() is None:
                node.terminate()
                node.wait(10)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    binary = components.nats_server_binary()
    if binary is None:
        components.missing("nats-server", "no binary in .venv or on the PATH")
    busy = [p for p in PORTS.values() if components.answers("127.0.0.1", p, 0.2)]
    assert not busy, f"ports {busy} are taken: a local cluster from infra/nats is already running"
    c = Cluster(binary)  # type: ignore[arg-type]
    for n in PORTS:
        c.start(n)
    yield c
    c.stop()


async def _ready(url: str) -> None:
    """Waits until the cluster has elected its JetStream meta leader (an R3 stream can be created)."""
    deadline = asyncio.get_running_loop().time() + 60
    name = f"PROBE_{uuid.uuid4().hex[:8].upper()}"
    while True:
        nc = await nats.connect(url.split(","), connect_timeout=2, max_reconnect_attempts=1)
        try:
            js = nc.jetstream(timeout=5)
            await js.add_stream(name=name, subjects=[f"probe.{name}"], num_replicas=3)
            await js.delete_stream(name)
            return
        except Exception:  # not elected yet: any JetStream error means "try again"
            if asyncio.get_running_loop().time() > deadline:
                raise
        finally:
            await nc.close()
        await asyncio.sleep(0.5)


async def _read_recorded(url: str, namespace: str) -> list[str]:
    nc = await nats.connect(url.split(","))
    try:
        js = nc.jetstream(timeout=10)
        sub = await js.pull_subscribe(f"{namespace}.indicateurs-internal.submission.recorded", durable=None,
                                      stream=stream_name(namespace, "indicateurs-internal"),
                                      config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL,
                                                            ack_policy=AckPolicy.NONE))
        ids: list[str] = []
        while True:
            try:
                batch = await sub.fetch(200, timeout=3)
            except TimeoutError:  # nats-py raises its own and asyncio's: both mean "nothing more came"
                return ids
            ids += [json.loads(m.data)["id"] for m in batch]
    finally:
        await nc.close()


async def _recorded(url: str, namespace: str, expected: int) -> list[str]:
    """The ids of the `submission.recorded` events in indicateurs' internal stream, read from the start; read
    again while the stream elects its leader after the restarts (a fetch then fails or stops short), until at
    least `expected` came or 90 s passed. The last read is returned for the caller to judge."""
    deadline = asyncio.get_running_loop().time() + 90
    ids: list[str] = []
    while True:
        try:
            ids = await _read_recorded(url, namespace)
        except (TimeoutError, nats.js.errors.ServiceUnavailableError):
            if asyncio.get_running_loop().time() > deadline:
                raise
        if len(ids) >= expected or asyncio.get_running_loop().time() > deadline:
            return ids
        await asyncio.sleep(1)


async def test_a_node_killed_then_another_during_a_burst_loses_nothing(cluster: Cluster, service_runner: Any) -> None:
    await _ready(CLUSTER_URL)
    ns = f"cl{uuid.uuid4().hex[:10]}"
    cluster_settings = {"nats_url": CLUSTER_URL, "stream_replicas": 3, "event_namespace": ns}
    contract = validation.load_file(DEFAULT_CONTRACT)
    async with service_runner("engagements", **cluster_settings) as eng, \
            service_runner("participation", **cluster_settings) as part, \
            service_runner("indicateurs", **cluster_settings) as ind:
        await loader.load(contract, participation=part.client, engagements=eng.client, headers=auth(ADMIN))

        async def annual_indicators() -> list[dict[str, Any]]:
            found = (await ind.client.get("/api/v1/definitions", headers=auth(ADMIN))).json()
            return [d for d in found if "ville-nantes" in d["responsible"] and not d["by_qpv"]
                    and d["periodicity"] == "annuelle"]

        async def defined() -> bool:
            return len(await annual_indicators()) >= 3

        await wait_for(defined, timeout=120)
        slots = [(d["id"], str(year)) for d in (await annual_indicators())[:3] for year in range(2001, 2081)]

        accepted = refused = 0

        async def write(indicator_id: int, period: str) -> None:
            nonlocal accepted, refused
            r = await ind.client.post("/api/v1/submissions", headers=auth(NANTES),
                                      json={"indicator_id": indicator_id, "period": period, "value": 1.0})
            if r.status_code == 201:
                accepted += 1
            else:
                refused += 1

        for i, (indicator_id, period) in enumerate(slots[:WRITES]):
            if i == WRITES // 4:
                cluster.kill(1)
            if i == WRITES // 2:
                cluster.start(1)
                await _ready(CLUSTER_URL)
            if i == 3 * WRITES // 4:
                cluster.kill(2)
            await write(indicator_id, period)
        cluster.start(2)

        async def drained() -> bool:
            return await ind.runtime.relay.backlog() == 0

        await wait_for(drained, timeout=180)
        ids = await _recorded(CLUSTER_URL, ns, WRITES)
        print(f"\ncluster burst: {accepted} writes accepted, {refused} refused, {len(ids)} events in the "
              f"stream, {len(ids) - len(set(ids))} duplicates, outbox left {await ind.runtime.relay.backlog()}")
        assert (accepted, refused) == (WRITES, 0)
        assert len(ids) == len(set(ids)) == WRITES  # nothing lost, nothing twice


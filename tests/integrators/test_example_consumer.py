"""The example consumer shipped to integrators really runs and replays the history."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "integrator_consumer.py"


async def test_example_consumer_replays_from_the_start(stack, nats_url, namespace, js) -> None:
    env = {**os.environ, "NATS_URL": nats_url, "CDV_NAMESPACE": namespace, "DURABLE": "exemple_doc", "LIMIT": "5"}
    proc = await asyncio.create_subprocess_exec(sys.executable, str(EXAMPLE), env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, err.decode()
    lines = out.decode().splitlines()
    assert len(lines) == 5 and all(" cdv.indicateurs." in line for line in lines)
    await js.delete_consumer(f"{namespace}_INDICATEURS".upper(), "exemple_doc")

"""Exemple d'intégrateur : rejoue tout l'historique public de chaque service, puis suit les nouveaux événements.

    pip install nats-py
    NATS_URL=nats://nats.example:4222 NATS_USER=integrator NATS_PASSWORD=... python integrator_consumer.py

Un consommateur durable par flux public (engagements, indicateurs, participation, notifications), sur son
miroir `CDV_<SERVICE>_PUBLIC` : il reprend où il s'était arrêté, lit depuis le début du flux et accuse
réception après traitement. Un événement non accusé est relivré : le traitement doit être idempotent (clé : `id`).
Avec REPLAY_ONLY=1, chaque flux s'arrête quand son historique est rejoué (rien de nouveau pendant WAIT secondes).
"""

import asyncio
import json
import os

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

NATS_URL = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")
NATS_USER = os.environ.get("NATS_USER") or None
NATS_PASSWORD = os.environ.get("NATS_PASSWORD") or None
NAMESPACE = os.environ.get("CDV_NAMESPACE", "cdv")  # premier jeton des sujets
SERVICES = os.environ.get("SERVICES", "engagements indicateurs participation notifications").split()
DURABLE = os.environ.get("DURABLE", "observatoire")  # préfixe : un consommateur par flux
REPLAY_ONLY = os.environ.get("REPLAY_ONLY") == "1"
WAIT = float(os.environ.get("WAIT", "5"))


async def follow(js, service: str) -> None:
    """Lit un flux public depuis le début, dans l'ordre, et accuse chaque événement après l'avoir traité."""
    sub = await js.pull_subscribe(
        f"{NAMESPACE}.{service}.>",
        durable=f"{DURABLE}_{service}",
        stream=f"{NAMESPACE}_{service}_PUBLIC".upper(),
        config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL, ack_policy=AckPolicy.EXPLICIT),
    )
    while True:
        try:
            messages = await sub.fetch(100, timeout=WAIT)
        except TimeoutError:
            if REPLAY_ONLY:
                return  # historique rejoué
            continue  # rien de nouveau : on attend
        for msg in messages:
            event = json.loads(msg.data)  # CloudEvent 1.0 : id, type, time, subject, data
            print(event["time"], event["type"], event["subject"], json.dumps(event["data"], ensure_ascii=False))
            await msg.ack()


async def main() -> None:
    nc = await nats.connect(NATS_URL, user=NATS_USER, password=NATS_PASSWORD)
    js = nc.jetstream()
    await asyncio.gather(*(follow(js, service) for service in SERVICES))
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main())

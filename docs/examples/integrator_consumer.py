"""Exemple d'intégrateur : rejoue tout l'historique des indicateurs puis suit les nouveaux événements.

    pip install nats-py
    NATS_URL=nats://integrator:MOT_DE_PASSE@nats.example:4222 python integrator_consumer.py

Consommateur durable (il reprend où il s'était arrêté), lecture depuis le début du flux, accusé explicite
après traitement : un événement non accusé est relivré, donc le traitement doit être idempotent (clé : `id`).
"""

import asyncio
import json
import os

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

NATS_URL = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")
NAMESPACE = os.environ.get("CDV_NAMESPACE", "cdv")  # premier jeton des sujets
DURABLE = os.environ.get("DURABLE", "observatoire")
LIMIT = int(os.environ.get("LIMIT", "0"))  # 0 : sans fin


async def main() -> None:
    nc = await nats.connect(NATS_URL)
    js = nc.jetstream()
    sub = await js.pull_subscribe(
        f"{NAMESPACE}.indicateurs.>",
        durable=DURABLE,
        stream=f"{NAMESPACE}_INDICATEURS".upper(),
        config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL, ack_policy=AckPolicy.EXPLICIT),
    )
    seen = 0
    while not LIMIT or seen < LIMIT:
        try:
            messages = await sub.fetch(min(50, LIMIT - seen) if LIMIT else 50, timeout=5)
        except TimeoutError:
            continue  # rien de nouveau : on attend
        for msg in messages:
            event = json.loads(msg.data)  # CloudEvent 1.0 : id, type, time, subject, data
            print(event["time"], event["type"], event["subject"], json.dumps(event["data"], ensure_ascii=False))
            await msg.ack()
            seen += 1
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main())

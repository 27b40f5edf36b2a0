"""The integrators' page and AsyncAPI document are public and cover every event of the system, except the
services' internal events (personal data), which stay out of them."""

from __future__ import annotations

from kernel.events import CATALOGUE, is_internal


async def test_asyncapi_document_and_page(gateway) -> None:
    async with gateway.client() as gateway_client:  # anonymous: the integrators' documentation is public
        doc = (await gateway_client.get("/integrations/asyncapi.json")).json()
        page = await gateway_client.get("/integrations")
    assert doc["asyncapi"] == "3.0.0"
    addresses = {c["address"] for c in doc["channels"].values()}
    assert "cdv.engagements.engagement.progress_updated" in addresses
    public = {type_ for type_ in CATALOGUE if not is_internal(type_)}
    assert addresses == public and len(public) < len(CATALOGUE)
    assert page.status_code == 200
    html = page.text
    for type_ in CATALOGUE:
        assert (f"<code>{type_}</code>" in html) is (type_ in public), type_
    assert "deliver_policy=DeliverPolicy.ALL" in html and "await msg.ack()" in html
    assert "&#34;specversion&#34;: &#34;1.0&#34;" in html or '"specversion": "1.0"' in html


async def test_asyncapi_servers_are_the_nats_in_force_without_credentials(gateway) -> None:
    settings = gateway.app.state.settings
    settings.nats_url = "nats://engagements:s3cret@nats-a.example:4333,tls://nats-b.example"
    settings.public_nats_url = None
    async with gateway.client() as client:
        doc = (await client.get("/integrations/asyncapi.json")).json()
        page = (await client.get("/integrations")).text
    assert {name: (s["host"], s["protocol"]) for name, s in doc["servers"].items()} == {
        "nats-1": ("nats-a.example:4333", "nats"), "nats-2": ("nats-b.example:4222", "tls")}
    assert "s3cret" not in str(doc) and "s3cret" not in page and "nats://nats-a.example:4333" in page
    settings.public_nats_url = "tls://nats.contrat-de-ville.example:4443"  # what integrators are told, when set
    async with gateway.client() as client:
        doc = (await client.get("/integrations/asyncapi.json")).json()
    assert doc["servers"] == {"production": {**doc["servers"]["production"],
                                             "host": "nats.contrat-de-ville.example:4443", "protocol": "tls"}}
    # Retired types stay documented, marked, with what replaces them.
    retired = doc["components"]["messages"]["cdv_indicateurs_submission_validated"]
    assert retired["x-retired"] and "cdv.indicateurs.value.approved" in retired["description"]
    assert "Types retirés (plus publiés)" in page

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

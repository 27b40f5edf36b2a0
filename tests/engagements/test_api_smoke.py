from tests.conftest import auth, identity


async def test_default_contract_loaded_and_readable(stack):
    eng = stack["engagements"].client
    r = await eng.get("/api/v1/engagements", headers=auth(identity("ville-nantes")))
    assert r.status_code == 200, r.text
    assert len(r.json()) == 50

"""The gateway's command line: demo accounts (idempotent), contract loading (all errors, or all loaded)."""

from __future__ import annotations

import stat
from pathlib import Path

import yaml

from gateway import accounts, cli
from tests.conftest import DEFAULT_CONTRACT, auth, identity
from tests.gateway.conftest import transports_for


def _logins(lines: list[str]) -> list[str]:
    return [line.strip() for line in lines if line.count(" / ") >= 3 and "@" in line]


async def test_demo_accounts_are_created_once_with_stable_passwords(gateway, stack) -> None:
    first: list[str] = []
    second: list[str] = []
    assert await cli.demo_accounts(gateway.settings, transports=transports_for(stack), out=first.append) == 0
    assert await cli.demo_accounts(gateway.settings, transports=transports_for(stack), out=second.append) == 0
    logins = _logins(first)
    assert logins == _logins(second)  # same accounts, same passwords
    assert "6 créé(s), 0 déjà présent(s)" in first[0] and "0 créé(s), 6 déjà présent(s)" in second[0]
    roles = [line.split(" / ")[2] for line in logins]
    assert roles.count("administrateur") == 1 and roles.count("secrétariat COPIL") == 1
    organisations = {line.split(" / ")[3] for line in logins if line.split(" / ")[2] == "référent"}
    assert {"Ville de Nantes", "Nantes Métropole"} <= organisations and len(organisations) >= 3
    async with gateway.app.state.db.session() as session:
        emails = [a.email for a in await accounts.list_accounts(session)]
    assert len(emails) == len(set(emails)) == 6
    kept = Path(gateway.settings.var_dir) / "demo-logins.json"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    # a printed login really works
    email, password = logins[2].split(" / ")[:2]
    async with gateway.client() as client:
        assert (await gateway.login(client, email, password)).status_code == 303


async def test_a_broken_contract_is_refused_with_every_error_and_nothing_loaded(gateway, stack, tmp_path) -> None:
    data = yaml.safe_load(DEFAULT_CONTRACT.read_text(encoding="utf-8"))
    data["engagements"][12]["pilots"][0]["organisation"] = "Vile de Nantes"
    data["engagements"][3]["theme"] = "theme-qui-n-existe-pas"
    data["contract"]["version"] = "2019-bis"  # would be a new version, if it loaded
    broken = tmp_path / "contrat.yaml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    eng = stack["engagements"].client
    before = (await eng.get("/api/v1/contract", headers=auth(identity()))).json()
    out: list[str] = []
    assert await cli.load_contract(broken, gateway.settings, transports=transports_for(stack), out=out.append) == 1
    text = "\n".join(out)
    assert "Rien n'a été chargé" in text
    assert 'engagements[12].pilots[0] : organisation inconnue « Vile de Nantes »' in text
    assert "engagements[3].theme : thème inconnu « theme-qui-n-existe-pas »" in text
    assert (await eng.get("/api/v1/contract", headers=auth(identity()))).json() == before


async def test_loading_the_same_contract_again_changes_nothing(gateway, stack) -> None:
    out: list[str] = []
    code = await cli.load_contract(DEFAULT_CONTRACT, gateway.settings, transports=transports_for(stack),
                                   out=out.append)
    assert code == 0, out
    assert "Contrat valide" in out[0] and "50 engagements" in out[0]
    assert out[-1] == "Aucun changement : ce contrat était déjà chargé tel quel."


async def test_create_account_from_the_command_line(gateway, stack) -> None:
    out: list[str] = []
    assert await cli.create_account(gateway.settings, email="Chef@Test.example", name="Cheffe de projet",
                                    roles=["admin"], organisation=None, password=None,
                                    transports=transports_for(stack), out=out.append) == 0
    assert out[-1].startswith("Compte créé : chef@test.example / ") and out[-1].endswith("/ administrateur / —")
    refused: list[str] = []
    assert await cli.create_account(gateway.settings, email="x@test.example", name="X", roles=["referent"],
                                    organisation="vile-de-nantes", password=None,
                                    transports=transports_for(stack), out=refused.append) == 1
    assert "Organisation inconnue : « vile-de-nantes »" in refused[-1]

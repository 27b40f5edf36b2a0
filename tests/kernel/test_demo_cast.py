"""The demo cast follows the contract: Nantes keeps its demo people; another agglomeration gets its own."""

from __future__ import annotations

import copy
from pathlib import Path

from kernel.demo_cast import cast_from_contract, load_cast, read_contract

BELMONT = Path(__file__).resolve().parents[1] / "fixtures" / "belmont-2024.yaml"


def _accounts(cast) -> list[tuple[str, str, str | None]]:  # type: ignore[no-untyped-def]
    return [(p.email.split("@")[0], p.role, p.organisation_id) for p in cast.people]


def test_nantes_keeps_its_demo_accounts() -> None:
    cast = load_cast()
    assert cast.lead == "nantes-metropole"
    assert _accounts(cast) == [
        ("admin", "admin", None), ("secretariat.copil", "secretariat", "nantes-metropole"),
        ("referent.ville-nantes", "referent", "ville-nantes"),
        ("referent.nantes-metropole", "referent", "nantes-metropole"),
        ("referent.etat-ddsp", "referent", "etat-ddsp"), ("referent.pole-emploi", "referent", "pole-emploi")]
    assert cast.referent("small").bodies == ("copil", "gtt-emploi")  # type: ignore[union-attr]
    assert cast.referent("state").bodies == ("gtc", "gtt-tranquillite")  # type: ignore[union-attr]
    assert cast.representatives("interbailleurs")[0] == "nantes-metropole-habitat"
    assert cast.representatives("conseil-citoyen") == ["conseils-citoyens", "conseils-citoyens"]


def test_another_contract_gets_a_cast_of_its_own_organisations_and_bodies() -> None:
    data = read_contract(BELMONT)
    cast = cast_from_contract(data)
    organisations = {o["id"] for o in data["organisations"]}
    bodies = {b["id"] for b in data["bodies"]}
    assert cast.lead == "belmont-agglo"  # the organisation the territory names
    assert cast.secretariat.organisation_id == "belmont-agglo"
    assert {p.organisation_id for p in cast.referents} == {"ville-belmont", "belmont-agglo", "etat-police",
                                                           "france-travail"}
    for person in cast.referents:
        assert person.bodies and set(person.bodies) <= bodies
    for kind in ("copil", "gtc", "groupe-thematique", "conseil-citoyen", "interbailleurs", "inter-associatif"):
        seated = cast.representatives(kind)
        assert len(seated) >= 2 and set(seated) <= organisations, kind
    assert "nantes" not in repr(cast).replace("Nantes", "").lower()


def test_without_a_territory_naming_an_organisation_the_biggest_collectivite_leads() -> None:
    data = copy.deepcopy(read_contract(BELMONT))
    data["contract"]["territory"] = "Val-de-Brenne"
    cast = cast_from_contract(data)
    assert cast.lead == "ville-belmont"
    assert cast.secretariat.organisation_id == "ville-belmont"
    referents = [p.organisation_id for p in cast.referents]
    assert "ville-belmont" in referents and len(set(referents)) == len(referents) >= 3  # nobody twice

"""The default contract, read from the signed 2019 amendment, and the file format's validation."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from gateway.contract.validation import SCHEMA_PATH, ContractErrors, json_schema, load_file, validate
from tests.conftest import DEFAULT_CONTRACT


def test_default_contract_has_five_axes_and_fifty_engagements_with_known_pilots(default_contract) -> None:
    c = default_contract
    assert [a.number for a in c.axes] == [1, 2, 3, 4, 5]
    assert sorted(e.number for e in c.engagements) == list(range(1, 51))
    org_ids = {o.id for o in c.organisations}
    for e in c.engagements:
        assert e.pilots, f"engagement {e.number} has no pilot"
        assert {p.organisation for p in e.pilots} <= org_ids


def test_default_contract_matches_the_signed_text(default_contract) -> None:
    by_number = {e.number: e for e in default_contract.engagements}
    pilots = {n: {p.organisation for p in e.pilots} for n, e in by_number.items()}
    labels = {n: [i.label for i in e.indicators] for n, e in by_number.items()}

    assert by_number[9].title == "Déployer la police de sécurité du quotidien dans tous les quartiers."
    assert "etat-ddsp" in pilots[9]
    assert any(label.startswith("Nombre de délégués") for label in labels[9])
    assert by_number[24].title == "Favoriser les gardes d'enfants." and pilots[24] == {"caf"}
    assert labels[24] == ["Nombre de places"] or labels[24][0].startswith("Nombre de places")
    assert pilots[28] == {"etat-dsden"}
    assert "Nombre de jumelages" in labels[41] and "etat-drac" in pilots[41]
    assert by_number[12].title.startswith("Définir un plan d'action local de prévention")
    assert pilots[12] == {"etat-prefecture"}
    assert "pole-emploi" in pilots[19] and "pole-emploi" in pilots[13]
    assert set(by_number[5].qpv) == {"dervallieres", "chateau-reze"}
    assert by_number[47].theme == "gouvernance-participation" and by_number[47].axis == 5


def test_organisations_spelled_several_ways_are_one(default_contract) -> None:
    pole = [o for o in default_contract.organisations if o.id == "pole-emploi"]
    assert len(pole) == 1
    assert {"Pôle Emploi", "Péle Emploi"} <= set(pole[0].aliases)  # the OCR's spelling maps to the same id
    assert len({o.id for o in default_contract.organisations}) == len(default_contract.organisations)


def test_uncertain_assignments_are_recorded_not_hidden(default_contract) -> None:
    uncertain = [(e.number, i.label) for e in default_contract.engagements for i in e.indicators if i.uncertain]
    uncertain += [(e.number, p.organisation) for e in default_contract.engagements for p in e.pilots if p.uncertain]
    assert uncertain, "the OCR's doubtful assignments are flagged in the file"


def test_published_json_schema_is_current_and_accepts_the_default_file() -> None:
    published = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert published == json_schema(), "run: python -m gateway.cli schema > contracts/contract.schema.json"
    jsonschema.validate(yaml.safe_load(DEFAULT_CONTRACT.read_text(encoding="utf-8")), published)


def _raw() -> dict:
    return yaml.safe_load(DEFAULT_CONTRACT.read_text(encoding="utf-8"))


def test_malformed_contract_lists_every_error_with_its_path() -> None:
    data = _raw()
    data["engagements"][12]["pilots"][0]["organisation"] = "Vile de Nantes"
    data["engagements"][13]["number"] = data["engagements"][14]["number"]
    data["engagements"][20]["theme"] = "image-des-quartiers"
    data["engagements"][30]["qpv"] = ["quartier-imaginaire"]
    with pytest.raises(ContractErrors) as caught:
        validate(data)
    errors = caught.value.errors
    assert 'engagements[12].pilots[0] : organisation inconnue « Vile de Nantes »' in errors
    assert f'engagements[14] : numéro « {data["engagements"][14]["number"]} » en double' in errors
    wrong_axis = "engagements[20].theme : le thème « image-des-quartiers » appartient à l'axe 1"
    assert any(e.startswith(wrong_axis) for e in errors)
    assert 'engagements[30].qpv[0] : QPV inconnu « quartier-imaginaire »' in errors
    assert len(errors) == 4


def test_structural_errors_are_reported_with_paths() -> None:
    data = _raw()
    del data["engagements"][3]["title"]
    data["engagements"][7]["pilots"] = []
    data["organisations"][0]["kind"] = "ministère"
    with pytest.raises(ContractErrors) as caught:
        validate(data)
    errors = caught.value.errors
    assert "engagements[3].title : champ obligatoire absent" in errors
    assert "engagements[7].pilots : au moins un élément attendu" in errors
    assert any(e.startswith("organisations[0].kind : valeur non permise (attendu : 'etat'") for e in errors)


def test_pilots_may_be_named_by_any_known_spelling(tmp_path: Path) -> None:
    data = _raw()
    data["engagements"][0]["pilots"] = [{"organisation": "Péle Emploi"}, {"organisation": "VILLE DE NANTES"}]
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    contract = load_file(path)
    assert [p.organisation for p in contract.engagements[0].pilots] == ["pole-emploi", "ville-nantes"]


def _write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "contrat.yaml"
    path.write_bytes(text.encode(encoding))
    return path


def test_a_file_not_in_utf8_is_refused_in_french_with_its_line(tmp_path: Path) -> None:
    text = "contract:\n  id: nantes\n  title: Contrat de ville de Nantes Métropole\n"
    with pytest.raises(ContractErrors) as caught:
        load_file(_write(tmp_path, text, "latin-1"))
    assert caught.value.errors == ["ligne 3 : encodage non reconnu (octet 0xE9) : enregistrez le fichier en UTF-8"]


def test_a_key_given_twice_is_refused_not_silently_overwritten(tmp_path: Path) -> None:
    text = DEFAULT_CONTRACT.read_text(encoding="utf-8")
    first = text.index("\n  title:")  # the contract's title, given again on the next line
    line = text[:first].count("\n") + 2
    end = text.index("\n", first + 1)
    twice = text[:end] + "\n  title: Un autre titre" + text[end:]
    with pytest.raises(ContractErrors) as caught:
        load_file(_write(tmp_path, twice))
    assert caught.value.errors == [f"ligne {line + 1} : clé « title » en double (une seule valeur par clé)"]
    dup_json = tmp_path / "c.json"
    dup_json.write_text('{"contract": {"id": "a", "id": "b"}}', encoding="utf-8")
    with pytest.raises(ContractErrors) as caught:
        load_file(dup_json)
    assert caught.value.errors == ["(fichier) : clé « id » en double (une seule valeur par clé)"]


def test_yaml_syntax_errors_are_explained_in_french_with_their_place(tmp_path: Path) -> None:
    with pytest.raises(ContractErrors) as caught:
        load_file(_write(tmp_path, "contract:\n  id: nantes\n  title: Contrat : avenant: 2019\n"))
    assert caught.value.errors == ["ligne 3, colonne 18 : syntaxe YAML invalide : « : » inattendu (une valeur "
                                   "contenant « : » doit être entre guillemets)"]
    with pytest.raises(ContractErrors) as caught:
        load_file(_write(tmp_path, "contract:\n\tid: nantes\n"))
    assert caught.value.errors[0].startswith("ligne 2, colonne 1 : syntaxe YAML invalide : tabulation interdite")


def test_schema_and_reference_errors_of_one_file_are_all_reported_at_once() -> None:
    data = _raw()
    del data["engagements"][3]["title"]  # schema
    data["organisations"][1]["kind"] = "ministère"  # schema (its own pilots are not reported as unknown too)
    data["engagements"][12]["pilots"][0]["organisation"] = "Vile de Nantes"  # reference
    data["engagements"][30]["qpv"] = ["quartier-imaginaire"]  # reference
    with pytest.raises(ContractErrors) as caught:
        validate(data)
    errors = caught.value.errors
    assert "engagements[3].title : champ obligatoire absent" in errors
    assert any(e.startswith("organisations[1].kind : valeur non permise") for e in errors)
    assert "engagements[12].pilots[0] : organisation inconnue « Vile de Nantes »" in errors
    assert "engagements[30].qpv[0] : QPV inconnu « quartier-imaginaire »" in errors
    assert len(errors) == 4, errors

"""Validates a contract file and reports every error with its path; nothing is loaded when one exists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from gateway.contract.model import ContractFile
from kernel.demo_cast import spelling_key
from kernel.errors import french_message

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "contracts" / "contract.schema.json"


class ContractErrors(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def json_schema() -> dict[str, Any]:
    schema = ContractFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://contrat-de-ville.example/contracts/contract.schema.json"
    return schema


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(racine)"


def read(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise ContractErrors([f"(fichier) : lecture impossible : {exc}"]) from exc


def validate(data: Any) -> ContractFile:
    """Returns the contract with pilots resolved to organisation ids, or raises ContractErrors listing all."""
    try:
        contract = ContractFile.model_validate(data)
    except ValidationError as exc:
        raise ContractErrors([f"{_path(e['loc'])} : {french_message(e)}" for e in exc.errors()]) from exc

    errors: list[str] = []
    names: dict[str, str] = {}
    for i, org in enumerate(contract.organisations):
        for spelling in [org.id, org.name, org.short_name, *org.aliases]:
            if not spelling:
                continue
            key = spelling_key(spelling)
            if key in names and names[key] != org.id:
                errors.append(f"organisations[{i}] : « {spelling} » désigne déjà l'organisation « {names[key]} »")
            names[key] = org.id
    _duplicates(errors, "organisations", [o.id for o in contract.organisations])
    _duplicates(errors, "qpv", [q.id for q in contract.qpv])
    _duplicates(errors, "axes", [a.number for a in contract.axes], what="numéro")
    theme_axis = {}
    for a_i, axis in enumerate(contract.axes):
        for t_i, theme in enumerate(axis.themes):
            if theme.id in theme_axis:
                errors.append(f"axes[{a_i}].themes[{t_i}].id : thème « {theme.id} » en double")
            theme_axis[theme.id] = axis.number
    _duplicates(errors, "engagements", [e.number for e in contract.engagements], what="numéro")
    qpv_ids = {q.id for q in contract.qpv}
    for e_i, e in enumerate(contract.engagements):
        where = f"engagements[{e_i}]"
        if e.theme not in theme_axis:
            errors.append(f"{where}.theme : thème inconnu « {e.theme} »")
        elif theme_axis[e.theme] != e.axis:
            errors.append(f"{where}.theme : le thème « {e.theme} » appartient à l'axe {theme_axis[e.theme]}, "
                          f"pas à l'axe {e.axis}")
        seen: set[str] = set()
        for p_i, pilot in enumerate(e.pilots):
            org_id = names.get(spelling_key(pilot.organisation))
            if org_id is None:
                errors.append(f"{where}.pilots[{p_i}] : organisation inconnue « {pilot.organisation} »")
                continue
            if org_id in seen:
                errors.append(f"{where}.pilots[{p_i}] : organisation « {org_id} » citée deux fois")
            seen.add(org_id)
            pilot.organisation = org_id
        for q_i, q in enumerate(e.qpv):
            if q not in qpv_ids:
                errors.append(f"{where}.qpv[{q_i}] : QPV inconnu « {q} »")
    _bodies(errors, contract, names, qpv_ids, theme_axis)
    if errors:
        raise ContractErrors(errors)
    return contract


def _bodies(errors: list[str], contract: ContractFile, names: dict[str, str], qpv_ids: set[str],
            theme_axis: dict[str, int]) -> None:
    """Bodies refer to known organisations, QPV, themes and engagement numbers."""
    _duplicates(errors, "bodies", [b.id for b in contract.bodies])
    numbers = {e.number for e in contract.engagements}
    for b_i, body in enumerate(contract.bodies):
        where = f"bodies[{b_i}]"
        if body.organisation is not None:
            org_id = names.get(spelling_key(body.organisation))
            if org_id is None:
                errors.append(f"{where}.organisation : organisation inconnue « {body.organisation} »")
            else:
                body.organisation = org_id
        if body.qpv is not None and body.qpv not in qpv_ids:
            errors.append(f"{where}.qpv : QPV inconnu « {body.qpv} »")
        errors.extend(f"{where}.engagements : engagement n° {n} inconnu" for n in body.engagements if n not in numbers)
        errors.extend(f"{where}.themes : thème inconnu « {t} »" for t in body.themes if t not in theme_axis)


def _duplicates(errors: list[str], field: str, values: list[Any], what: str = "identifiant") -> None:
    seen: set[Any] = set()
    for i, value in enumerate(values):
        if value in seen:
            errors.append(f"{field}[{i}] : {what} « {value} » en double")
        seen.add(value)


def load_file(path: Path) -> ContractFile:
    return validate(read(path))

"""Validates a contract file and reports every error with its path; nothing is loaded when one exists."""

from __future__ import annotations

import json
from collections.abc import Callable
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


# PyYAML's problems, in French (the rest keep PyYAML's words after a French lead).
YAML_PROBLEMS = {
    "mapping values are not allowed here": "« : » inattendu (une valeur contenant « : » doit être entre guillemets)",
    "could not find expected ':'": "« : » attendu après une clé",
    "found character '\\t' that cannot start any token": "tabulation interdite (indentez avec des espaces)",
    "found undefined alias": "alias inconnu",
    "found unexpected end of stream": "fin de fichier inattendue (guillemet ou crochet non fermé ?)",
    "found unknown escape character": "séquence d'échappement inconnue",
    "did not find expected key": "clé attendue (indentation incohérente ?)",
    "did not find expected node content": "valeur attendue",
    "did not find expected '-' indicator": "élément de liste « - » attendu (indentation incohérente ?)",
    "found duplicate anchor": "ancre en double",
    "expected <block end>, but found": "indentation incohérente (fin de bloc attendue)",
    "expected ',' or ']', but got": "« , » ou « ] » attendu",
    "expected ',' or '}', but got": "« , » ou « } » attendu",
}
LISTS = ("organisations", "qpv", "axes", "engagements", "bodies")


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that notes every key given twice in one mapping (PyYAML keeps the last, silently)."""

    duplicates: list[str]

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
            if isinstance(key, (str, int, float, bool)) and key in seen:
                self.duplicates.append(f"ligne {key_node.start_mark.line + 1} : clé « {key} » en double "
                                       "(une seule valeur par clé)")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _yaml_error(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f"ligne {mark.line + 1}, colonne {mark.column + 1}" if mark is not None else "(fichier)"
    problem = str(getattr(exc, "problem", "") or "")
    french = YAML_PROBLEMS.get(problem) or next((v for k, v in YAML_PROBLEMS.items() if problem.startswith(k)), None)
    return f"{where} : syntaxe YAML invalide : " + (french or f"{problem or 'erreur'} (message de l'analyseur)")


def _json_pairs(duplicates: list[str]) -> Any:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        duplicates.extend(f"(fichier) : clé « {k} » en double (une seule valeur par clé)"
                          for k in dict.fromkeys(k for k in keys if keys.count(k) > 1))
        return dict(pairs)
    return hook


def read(path: Path) -> Any:
    """The file's data; ContractErrors (French, with lines) for a wrong encoding, a syntax error or a key
    given twice."""
    content = path.read_bytes()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[:exc.start].count(b"\n") + 1
        raise ContractErrors([f"ligne {line} : encodage non reconnu (octet 0x{content[exc.start]:02X}) : "
                              "enregistrez le fichier en UTF-8"]) from exc
    duplicates: list[str] = []
    try:
        if path.suffix == ".json":
            data = json.loads(text, object_pairs_hook=_json_pairs(duplicates))
        else:
            loader = _UniqueKeyLoader(text)
            loader.duplicates = duplicates
            try:
                data = loader.get_single_data()
            finally:
                loader.dispose()  # type: ignore[no-untyped-call]
    except yaml.YAMLError as exc:
        raise ContractErrors([_yaml_error(exc)]) from exc
    except json.JSONDecodeError as exc:
        raise ContractErrors([f"ligne {exc.lineno}, colonne {exc.colno} : JSON invalide ({exc.msg})"]) from exc
    if duplicates:
        raise ContractErrors(duplicates)
    return data


def _prune(data: Any, errors: list[dict[str, Any]]) -> tuple[Any, dict[str, list[int]], dict[str, list[Any]]] | None:
    """The data without the list elements the schema refused, the original position of each kept element,
    and the refused ones; None when an error is elsewhere (nothing more can be checked)."""
    if not isinstance(data, dict):
        return None
    refused: dict[str, set[int]] = {name: set() for name in LISTS}
    for e in errors:
        loc = e["loc"]
        if len(loc) < 2 or loc[0] not in LISTS or not isinstance(loc[1], int):
            return None
        refused[loc[0]].add(loc[1])
    pruned, positions, dropped = dict(data), {}, {}
    for name in LISTS:
        items = data.get(name) if isinstance(data.get(name), list) else []
        positions[name] = [i for i in range(len(items)) if i not in refused[name]]
        dropped[name] = [items[i] for i in sorted(refused[name]) if i < len(items)]
        if name in data:
            pruned[name] = [items[i] for i in positions[name]]
    return pruned, positions, dropped


def validate(data: Any) -> ContractFile:
    """Returns the contract with pilots resolved to organisation ids, or raises ContractErrors listing all: the
    schema's errors and, on the elements the schema accepts, the cross-references' errors."""
    try:
        return _check(ContractFile.model_validate(data), None, None)
    except ValidationError as exc:
        schema_errors = [f"{_path(e['loc'])} : {french_message(e)}" for e in exc.errors()]
        pruned = _prune(data, list(exc.errors()))
        if pruned is None:
            raise ContractErrors(schema_errors) from exc
        rest, positions, dropped = pruned
        try:
            _check(ContractFile.model_validate(rest), positions, dropped)
        except ValidationError:  # e.g. a list left empty: the schema's errors say it already
            raise ContractErrors(schema_errors) from exc
        except ContractErrors as more:
            raise ContractErrors(schema_errors + more.errors) from exc
        raise ContractErrors(schema_errors) from exc


def _raw_strings(item: Any, *keys: str) -> list[str]:
    """Strings under `keys` of a raw (refused) element, to keep references to it from being reported too."""
    if not isinstance(item, dict):
        return []
    found: list[Any] = []
    for key in keys:
        value = item.get(key)
        if isinstance(value, list):
            found += [v for v in value if isinstance(v, str)]
        elif isinstance(value, (str, int)):
            found.append(value)
    return [str(v) for v in found]


def _check(contract: ContractFile, positions: dict[str, list[int]] | None,
           dropped: dict[str, list[Any]] | None) -> ContractFile:
    """The cross-references of a contract the schema accepted; elements the schema refused (`dropped`) still
    count as known names, so that only their own errors are reported."""

    def at(field: str, i: int) -> str:
        return f"{field}[{positions[field][i] if positions else i}]"

    dropped = dropped or {name: [] for name in LISTS}
    errors: list[str] = []
    names: dict[str, str] = {}
    for i, org in enumerate(contract.organisations):
        for spelling in [org.id, org.name, org.short_name, *org.aliases]:
            if not spelling:
                continue
            key = spelling_key(spelling)
            if key in names and names[key] != org.id:
                errors.append(f"{at('organisations', i)} : « {spelling} » désigne déjà l'organisation « {names[key]} »")
            names[key] = org.id
    unknown_orgs = {spelling_key(s) for o in dropped["organisations"]
                    for s in _raw_strings(o, "id", "name", "short_name", "aliases")}
    _duplicates(errors, "organisations", [o.id for o in contract.organisations], at)
    _duplicates(errors, "qpv", [q.id for q in contract.qpv], at)
    _duplicates(errors, "axes", [a.number for a in contract.axes], at, what="numéro")
    theme_axis: dict[str, int] = {}
    for a_i, axis in enumerate(contract.axes):
        for t_i, theme in enumerate(axis.themes):
            if theme.id in theme_axis:
                errors.append(f"{at('axes', a_i)}.themes[{t_i}].id : thème « {theme.id} » en double")
            theme_axis[theme.id] = axis.number
    unknown_themes = {t for a in dropped["axes"] if isinstance(a, dict) for th in a.get("themes") or []
                      for t in _raw_strings(th, "id")}
    _duplicates(errors, "engagements", [e.number for e in contract.engagements], at, what="numéro")
    qpv_ids = {q.id for q in contract.qpv} | {s for q in dropped["qpv"] for s in _raw_strings(q, "id")}
    for e_i, e in enumerate(contract.engagements):
        where = at("engagements", e_i)
        if e.theme not in theme_axis:
            if e.theme not in unknown_themes:
                errors.append(f"{where}.theme : thème inconnu « {e.theme} »")
        elif theme_axis[e.theme] != e.axis:
            errors.append(f"{where}.theme : le thème « {e.theme} » appartient à l'axe {theme_axis[e.theme]}, "
                          f"pas à l'axe {e.axis}")
        seen: set[str] = set()
        for p_i, pilot in enumerate(e.pilots):
            org_id = names.get(spelling_key(pilot.organisation))
            if org_id is None:
                if spelling_key(pilot.organisation) not in unknown_orgs:
                    errors.append(f"{where}.pilots[{p_i}] : organisation inconnue « {pilot.organisation} »")
                continue
            if org_id in seen:
                errors.append(f"{where}.pilots[{p_i}] : organisation « {org_id} » citée deux fois")
            seen.add(org_id)
            pilot.organisation = org_id
        for q_i, q in enumerate(e.qpv):
            if q not in qpv_ids:
                errors.append(f"{where}.qpv[{q_i}] : QPV inconnu « {q} »")
    numbers = {e.number for e in contract.engagements} | {
        int(n) for e in dropped["engagements"] for n in _raw_strings(e, "number") if str(n).isdigit()}
    _bodies(errors, contract, names, qpv_ids, theme_axis, numbers, at)
    if errors:
        raise ContractErrors(errors)
    return contract


def _bodies(errors: list[str], contract: ContractFile, names: dict[str, str], qpv_ids: set[str],
            theme_axis: dict[str, int], numbers: set[int], at: Callable[[str, int], str]) -> None:
    """Bodies refer to known organisations, QPV, themes and engagement numbers."""
    _duplicates(errors, "bodies", [b.id for b in contract.bodies], at)
    for b_i, body in enumerate(contract.bodies):
        where = at("bodies", b_i)
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


def _duplicates(errors: list[str], field: str, values: list[Any], at: Callable[[str, int], str],
                what: str = "identifiant") -> None:
    seen: set[Any] = set()
    for i, value in enumerate(values):
        if value in seen:
            errors.append(f"{at(field, i)} : {what} « {value} » en double")
        seen.add(value)


def load_file(path: Path) -> ContractFile:
    return validate(read(path))

"""What changed between two versions of an agenda: items added, removed, moved, changed; documents added or
removed. Pure functions on the versions' items (as published), so they are tested on cases.

An item keeps its id from one version to the next. "Moved" means its order relative to the other items changed:
an item that only shifts because another was added or removed above it has not moved. The items that stay in
place are the longest run that keeps its old order; every other common item moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Item = dict[str, Any]

FIELDS = (
    ("title", "titre"),
    ("theme", "thème"),
    ("description", "présentation"),
    ("engagements", "engagements liés"),
    ("presenter_organisation_name", "présenté par"),
    ("duration_minutes", "durée"),
)
MEETING_DOCUMENTS = "documents de la réunion"


def _show(field: str, value: Any) -> str:
    if value in (None, "", []):
        return "—"
    if field == "engagements":
        return ", ".join(f"n° {n}" for n in value)
    if field == "duration_minutes":
        return f"{value} min"
    return f"« {value} »"


def _stable(order: Sequence[int]) -> set[int]:
    """Indexes (into `order`) of a longest strictly increasing subsequence: the items that kept their order."""
    if not order:
        return set()
    tails: list[int] = []  # index in `order` of the smallest tail of an increasing run of each length
    parent = [-1] * len(order)
    for i, value in enumerate(order):
        lo, hi = 0, len(tails)
        while lo < hi:
            mid = (lo + hi) // 2
            if order[tails[mid]] < value:
                lo = mid + 1
            else:
                hi = mid
        parent[i] = tails[lo - 1] if lo else -1
        if lo == len(tails):
            tails.append(i)
        else:
            tails[lo] = i
    keep, i = set(), tails[-1]
    while i != -1:
        keep.add(i)
        i = parent[i]
    return keep


def _doc_key(doc: dict[str, Any]) -> tuple[str, str]:
    return (doc.get("title", ""), doc.get("url", ""))


def _documents(item_id: str, title: str, before: list[dict], after: list[dict]) -> list[dict[str, str]]:
    old, new = {_doc_key(d) for d in before}, {_doc_key(d) for d in after}
    changes = [{"kind": "document_added", "item_id": item_id, "title": title, "detail": f"document ajouté : « {d[0]} »"}
               for d in (_doc_key(x) for x in after) if d not in old]
    changes += [{"kind": "document_removed", "item_id": item_id, "title": title,
                 "detail": f"document retiré : « {d[0]} »"} for d in (_doc_key(x) for x in before) if d not in new]
    return changes


def diff(before: list[Item], after: list[Item], *, before_documents: list[dict] | None = None,
         after_documents: list[dict] | None = None) -> list[dict[str, str]]:
    """The changes from `before` to `after` (lists of items in agenda order), in the order of the new agenda,
    removals last. Each change: kind, item_id, title, detail (French)."""
    old = {i["item_id"]: (pos, i) for pos, i in enumerate(before, 1)}
    new_ids = {i["item_id"] for i in after}
    common = [i for i in after if i["item_id"] in old]
    stable = _stable([old[i["item_id"]][0] for i in common])
    moved = {i["item_id"] for k, i in enumerate(common) if k not in stable}
    changes: list[dict[str, str]] = []
    for pos, item in enumerate(after, 1):
        item_id, title = item["item_id"], item["title"]
        if item_id not in old:
            changes.append({"kind": "added", "item_id": item_id, "title": title,
                            "detail": f"point ajouté en position {pos}"})
            changes += _documents(item_id, title, [], item.get("documents") or [])
            continue
        was_pos, was = old[item_id]
        if item_id in moved:
            changes.append({"kind": "moved", "item_id": item_id, "title": title,
                            "detail": f"passe de la position {was_pos} à la position {pos}"})
        edits = [f"{label} : {_show(field, was.get(field))} → {_show(field, item.get(field))}"
                 for field, label in FIELDS if (was.get(field) or None) != (item.get(field) or None)]
        if edits:
            changes.append({"kind": "changed", "item_id": item_id, "title": title, "detail": " ; ".join(edits)})
        changes += _documents(item_id, title, was.get("documents") or [], item.get("documents") or [])
    for pos, item in enumerate(before, 1):
        if item["item_id"] not in new_ids:
            changes.append({"kind": "removed", "item_id": item["item_id"], "title": item["title"],
                            "detail": f"point retiré (était en position {pos})"})
    changes += _documents("", MEETING_DOCUMENTS, before_documents or [], after_documents or [])
    return changes


def since(versions: list[dict[str, Any]], received: int) -> list[dict[str, str]]:
    """What changed from version `received` to the latest of `versions` (each {number, items, documents})."""
    by_number = {v["number"]: v for v in versions}
    if not by_number:  # nothing published yet: nothing changed since any version
        return []
    latest = max(by_number)
    if received not in by_number or received >= latest:
        return []
    a, b = by_number[received], by_number[latest]
    return diff(a["items"], b["items"], before_documents=a.get("documents"), after_documents=b.get("documents"))

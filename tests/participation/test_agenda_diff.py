"""What changed between two agenda versions, on cases: additions, removals, reorderings, edits, documents."""

from __future__ import annotations

from services.participation.service.agenda_diff import diff, since


def items(*titles: str, **fields: dict) -> list[dict]:
    out = []
    for title in titles:
        out.append({"item_id": title.lower(), "title": title, "theme": None, "engagements": [],
                    "duration_minutes": 20, "documents": [], **fields.get(title.lower(), {})})
    return out


def kinds(changes: list[dict]) -> list[tuple[str, str]]:
    return [(c["kind"], c["item_id"]) for c in changes]


def test_identical_versions_have_no_change() -> None:
    assert diff(items("A", "B", "C"), items("A", "B", "C")) == []


def test_an_added_item_is_added_and_shifts_nothing_else() -> None:
    changes = diff(items("A", "B", "C"), items("A", "X", "B", "C"))
    assert kinds(changes) == [("added", "x")]
    assert changes[0]["detail"] == "point ajouté en position 2"


def test_a_removed_item_is_removed_and_moves_nothing_else() -> None:
    changes = diff(items("A", "B", "C", "D"), items("A", "C", "D"))
    assert kinds(changes) == [("removed", "b")]
    assert changes[0]["detail"] == "point retiré (était en position 2)"


def test_moving_one_item_up_reports_only_that_item() -> None:
    changes = diff(items("A", "B", "C", "D"), items("D", "A", "B", "C"))
    assert kinds(changes) == [("moved", "d")]
    assert changes[0]["detail"] == "passe de la position 4 à la position 1"


def test_swapping_two_neighbours_moves_one_of_them() -> None:
    changes = diff(items("A", "B", "C"), items("A", "C", "B"))
    assert len(changes) == 1 and changes[0]["kind"] == "moved"
    assert changes[0]["item_id"] in {"b", "c"}


def test_reversing_moves_all_but_one() -> None:
    changes = diff(items("A", "B", "C", "D"), items("D", "C", "B", "A"))
    assert [c["kind"] for c in changes] == ["moved"] * 3


def test_edited_fields_are_each_described() -> None:
    before = items("A", "B")
    after = items("A", "B", b={"title": "B bis", "duration_minutes": 45, "engagements": [12, 47]})
    after[1]["item_id"] = "b"
    changes = diff(before, after)
    assert kinds(changes) == [("changed", "b")]
    detail = changes[0]["detail"]
    assert "titre : « B » → « B bis »" in detail
    assert "durée : 20 min → 45 min" in detail
    assert "engagements liés : — → n° 12, n° 47" in detail


def test_documents_added_and_removed_on_an_item_and_on_the_meeting() -> None:
    doc = {"title": "Bilan 2024", "url": "http://x/documents/1", "public": True}
    new = {"title": "Note", "url": "http://x/documents/2", "public": False}
    changes = diff(items("A", a={"documents": [doc]}), items("A", a={"documents": [new]}),
                   before_documents=[], after_documents=[doc])
    assert kinds(changes) == [("document_added", "a"), ("document_removed", "a"), ("document_added", "")]
    assert changes[0]["detail"] == "document ajouté : « Note »"
    assert changes[2]["title"] == "documents de la réunion"


def test_combined_changes_in_one_revision() -> None:
    before = items("A", "B", "C", "D")
    after = items("C", "A", "New", "D", c={"theme": "Emploi"})
    changes = diff(before, after)
    assert kinds(changes) == [("moved", "c"), ("changed", "c"), ("added", "new"), ("removed", "b")]


def test_since_compares_the_received_version_with_the_latest() -> None:
    versions = [{"number": 1, "items": items("A", "B")}, {"number": 2, "items": items("A", "B", "C")},
                {"number": 3, "items": items("B", "A", "C")}]
    assert kinds(since(versions, 1)) == [("moved", "b"), ("added", "c")]
    assert kinds(since(versions, 2)) == [("moved", "b")]
    assert since(versions, 3) == []

"""What an integrator-visible (public) event must never carry: the public view has approved values only, no
person's name or e-mail address, no internal comment (docs/integration.md, « Ce que disent les événements »)."""

from __future__ import annotations

import re
from typing import Any

from kernel.events import CATALOGUE, is_internal

# Field names that mean a person, an unapproved state, or a mail server's reply (which may quote an address).
FORBIDDEN_FIELDS = {"actor_name", "email", "smtp_response", "submitted_by_name", "reviewed_by_name", "state",
                    "submitted_by"}
# A comment is internal, except the public follow-up of a public decision (written for the public register).
PUBLIC_COMMENTS = {"cdv.participation.decision.follow_up_updated"}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def leaks(event: dict[str, Any]) -> list[str]:
    """What is wrong with a published event on a public subject (empty when nothing)."""
    type_ = event.get("type", "")
    if is_internal(type_):
        return []
    found = [f"{type_}: retired type published"] if type_ in CATALOGUE and CATALOGUE[type_].__retired__ else []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in FORBIDDEN_FIELDS or (key == "comment" and type_ not in PUBLIC_COMMENTS):
                    found.append(f"{type_}: field {path}{key}")
                walk(value, f"{path}{key}.")
        elif isinstance(node, list):
            for item in node:
                walk(item, path)
        elif isinstance(node, str) and EMAIL.search(node):
            found.append(f"{type_}: an e-mail address in {path.rstrip('.')}")

    walk(event.get("data", {}), "")
    return found

"""The themes as the filters list them: two themes may share a name in different axes (« Développement
économique, emploi, formation »), so such a name is shown with its axis."""

from __future__ import annotations

from collections import Counter
from typing import Any


def theme_choices(axes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """[{id, label, axis_number}] in the contract's order; a name shared by several themes names its axis."""
    names = Counter(t["title"] for a in axes for t in a["themes"])
    return [{"id": t["id"], "axis_number": a["number"],
             "label": f"{t['title']} (axe {a['number']})" if names[t["title"]] > 1 else t["title"]}
            for a in axes for t in a["themes"]]

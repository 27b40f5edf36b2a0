"""The import rules of the architecture, checked on source files (used by tests/test_boundaries.py).

- a service never imports another service (they talk through events);
- the kernel imports neither services nor the gateway (it is generic);
- services never import the gateway.
"""

from __future__ import annotations

import ast
from pathlib import Path


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            # `from services import engagements` names a service too
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def violations(root: Path) -> list[str]:
    problems: dict[str, str] = {}  # one report per import statement
    services_dir = root / "services"
    services = sorted(p.name for p in services_dir.iterdir() if (p / "__init__.py").exists()) \
        if services_dir.exists() else []
    for package, allowed_services in [("kernel", set())] + [(f"services/{s}", {s}) for s in services]:
        for path in sorted((root / package).rglob("*.py")):
            for line, module in imported_modules(path):
                parts = module.split(".")
                where = f"{path.relative_to(root)}:{line}"
                if parts[0] == "services" and len(parts) > 1 and parts[1] in services \
                        and parts[1] not in allowed_services:
                    problems.setdefault(where, f"{where} imports {module}")
                elif parts[0] == "gateway":
                    problems.setdefault(where, f"{where} imports {module}")
    return sorted(problems.values())

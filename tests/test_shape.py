"""The shape the code keeps: no Python module over 500 lines (migrations excepted).

A service grows by adding an aggregate module, never by lengthening one file (docs/architecture.md); this test
names the module that broke the rule and its length.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 500

def python_modules() -> dict[str, int]:
    """Every Python module of the repository, outside hidden folders (.venv, .git…) and migrations: its lines."""
    found = {}
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if any(part.startswith(".") or part == "migrations" for part in relative.parts[:-1]):
            continue
        found[relative.as_posix()] = len(path.read_text(encoding="utf-8").splitlines())
    return found


def test_no_python_module_is_over_500_lines() -> None:
    modules = python_modules()
    assert "services/indicateurs/api.py" in modules and "kernel/rows.py" in modules, "the walk sees the tree"
    too_long = {name: lines for name, lines in modules.items() if lines > MAX_LINES}
    assert not too_long, f"modules over {MAX_LINES} lines (split them, one module per aggregate):\n" + "\n".join(
        f"  {name}: {lines} lines" for name, lines in sorted(too_long.items()))


"""The architecture's import rules are import-linter contracts in pyproject.toml; `make lint` checks them.

Here the same contracts run on the real tree, and on a small tree that breaks each of them, to show they bite.
"""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")], cwd=root,
                          capture_output=True, text=True, timeout=120)


def test_the_tree_keeps_every_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _module(root: Path, dotted: str, body: str = "") -> None:
    path = root.joinpath(*dotted.split("."))
    for parent in [root.joinpath(*dotted.split(".")[:i]) for i in range(1, dotted.count(".") + 1)]:
        parent.mkdir(exist_ok=True)
        (parent / "__init__.py").touch()
    path.with_suffix(".py").write_text(body)


def test_each_contract_reports_its_violation(tmp_path: Path) -> None:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for name in ("engagements", "indicateurs", "participation", "notifications"):
        _module(tmp_path, f"services.{name}.events")
        _module(tmp_path, f"services.{name}.models")
    _module(tmp_path, "gateway.app", "import services.indicateurs.events\nimport services.indicateurs.models\n")
    _module(tmp_path, "kernel.db", "import gateway.app\n")
    _module(tmp_path, "services.indicateurs.service", "import services.engagements.models\n")
    _module(tmp_path, "services.participation.service", "import gateway.app\n")
    result = lint_imports(tmp_path)
    out = result.stdout
    assert result.returncode == 1
    assert "Contracts: 0 kept, 4 broken." in out
    assert "kernel.db -> gateway.app" in out
    assert "services.indicateurs.service -> services.engagements.models" in out
    assert "services.participation.service -> gateway.app" in out
    gateway_report = out[out.rindex("The gateway imports only"):]
    assert "gateway.app -> services.indicateurs.models" in gateway_report
    assert "services.indicateurs.events" not in gateway_report, "published modules stay allowed"

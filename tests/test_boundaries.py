"""Services never import each other; the kernel stays generic."""

from pathlib import Path

from tests.architecture import violations

ROOT = Path(__file__).resolve().parent.parent


def test_the_tree_respects_the_boundaries() -> None:
    assert violations(ROOT) == []


def _service(root: Path, name: str, body: str = "") -> None:
    pkg = root / "services" / name
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "service.py").write_text(body)


def test_a_service_importing_another_is_reported(tmp_path: Path) -> None:
    (tmp_path / "kernel").mkdir()
    (tmp_path / "kernel" / "__init__.py").write_text("")
    _service(tmp_path, "engagements", "from services.engagements.models import X\nfrom kernel.db import Database\n")
    _service(tmp_path, "indicateurs", "import json\nfrom services.engagements.models import Engagement\n")
    _service(tmp_path, "participation", "from services import notifications\n")
    _service(tmp_path, "notifications")
    found = violations(tmp_path)
    assert found == [
        "services/indicateurs/service.py:2 imports services.engagements.models",
        "services/participation/service.py:1 imports services.notifications",
    ]


def test_the_kernel_importing_a_service_or_the_gateway_is_reported(tmp_path: Path) -> None:
    (tmp_path / "kernel").mkdir()
    (tmp_path / "kernel" / "__init__.py").write_text("")
    (tmp_path / "kernel" / "bad.py").write_text("import gateway.app\nfrom services.engagements import api\n")
    _service(tmp_path, "engagements")
    assert violations(tmp_path) == ["kernel/bad.py:1 imports gateway.app",
                                    "kernel/bad.py:2 imports services.engagements"]

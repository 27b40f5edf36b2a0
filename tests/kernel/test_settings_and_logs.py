"""Settings: a prefix per service over a shared `CDV_` fallback; production refuses the dev secret. Logs: JSON
lines carrying the trace id; warnings repeated under overload summarised."""

from __future__ import annotations

import json
import logging

import pytest
from opentelemetry import trace

from kernel import logs
from kernel.logs import JsonFormatter
from services.engagements.settings import Settings as EngagementsSettings
from services.notifications.settings import Settings as NotificationsSettings


def test_service_prefix_wins_over_shared_value(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("CDV_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("CDV_NATS_URL", "nats://shared:4222")
    monkeypatch.setenv("CDV_ENGAGEMENTS_NATS_URL", "nats://engagements-only:4222")
    assert EngagementsSettings().nats_url == "nats://engagements-only:4222"
    assert NotificationsSettings().nats_url == "nats://shared:4222"
    assert EngagementsSettings().port == 8101 and NotificationsSettings().port == 8104
    assert EngagementsSettings().database_url == f"sqlite+aiosqlite:///{tmp_path / 'engagements.db'}"


def test_production_refuses_the_development_secret(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("CDV_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("CDV_ENVIRONMENT", "production")
    monkeypatch.delenv("CDV_IDENTITY_SECRET", raising=False)
    with pytest.raises(ValueError, match="CDV_IDENTITY_SECRET"):
        EngagementsSettings()
    monkeypatch.setenv("CDV_IDENTITY_SECRET", "a-real-secret-from-the-vault")
    assert EngagementsSettings().environment == "production"


def test_json_log_lines_carry_the_trace_id() -> None:
    formatter = JsonFormatter("engagements")
    with trace.get_tracer("test").start_as_current_span("request") as span:
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "engagement %s mis à jour", (12,), None)
        line = json.loads(formatter.format(record))
    assert line["message"] == "engagement 12 mis à jour"
    assert line["service"] == "engagements"
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")


def test_shared_value_in_a_dotenv_file_applies_to_every_service(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CDV_NATS_URL", raising=False)
    (tmp_path / ".env").write_text("CDV_NATS_URL=nats://from-dotenv:4222\nCDV_NOTIFICATIONS_PORT=9104\n")
    monkeypatch.setenv("CDV_VAR_DIR", str(tmp_path))
    assert EngagementsSettings().nats_url == "nats://from-dotenv:4222"
    assert NotificationsSettings().port == 9104


def test_a_warning_repeated_under_overload_is_summarised(monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    """A thousand late calls are not a thousand lines: the first is said, the next ones counted and said with
    the next line, at most one every 10 s per key; another key is said on its own."""
    clock = [1000.0]
    monkeypatch.setattr(logs.time, "monotonic", lambda: clock[0])
    summary = logs.Summarised(logging.getLogger("test.summary"), every=10)
    with caplog.at_level(logging.WARNING, logger="test.summary"):
        for _ in range(5):
            summary.warning("engagements", "late call to %s", "engagements")
        summary.warning("indicateurs", "late call to %s", "indicateurs")
        clock[0] += 11
        summary.warning("engagements", "late call to %s", "engagements")
    assert [r.getMessage() for r in caplog.records] == [
        "late call to engagements", "late call to indicateurs",
        "late call to engagements (and 4 more like it in the last 11 s)"]

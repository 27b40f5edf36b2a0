"""Structured (JSON) logs that carry the trace id, so a log line leads to its trace."""

from __future__ import annotations

import json
import logging
import math
import time
from datetime import UTC, datetime

from opentelemetry import trace


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        ctx = trace.get_current_span().get_span_context()
        if ctx.is_valid:
            entry["trace_id"] = format(ctx.trace_id, "032x")
            entry["span_id"] = format(ctx.span_id, "016x")
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(service: str, level: str = "INFO", as_json: bool = True) -> None:
    handler = logging.StreamHandler()
    if as_json:
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(logging.Formatter(f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request at INFO: for the gateway that is each of a page's calls to the services, a line
    # each, formatted and written on the request's path. Failures still reach the logs (as errors of the caller).
    for chatty in ("httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))


class Summarised:
    """A warning that comes once per call under overload (a late call, a busy service): said at once, then at
    most once every `every` seconds per key, with how many times it came in between. A thousand late calls in
    ten seconds are two lines, not a thousand."""

    def __init__(self, logger: logging.Logger, every: float = 10.0) -> None:
        self.logger = logger
        self.every = every
        self._state: dict[str, tuple[int, float]] = {}  # key -> (times held back, when last said)

    def warning(self, key: str, message: str, *args: object) -> None:
        now = time.monotonic()
        held, said = self._state.get(key, (0, -math.inf))
        if now - said < self.every:
            self._state[key] = (held + 1, said)
            return
        if held:
            message += f" (and {held} more like it in the last {now - said:.0f} s)"
        self.logger.warning(message, *args)
        self._state[key] = (0, now)

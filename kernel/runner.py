"""Runs one process with uvicorn; SIGTERM/SIGINT trigger the graceful shutdown of the lifespan."""

from __future__ import annotations

from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from kernel.settings import KernelSettings


def serve(app_factory: Callable[[], FastAPI], settings: KernelSettings) -> None:
    uvicorn.run(app_factory(), host=settings.host, port=settings.port, log_config=None,
                timeout_graceful_shutdown=int(settings.shutdown_timeout_seconds), access_log=False,
                # uvicorn would believe X-Forwarded-For from any local client; the gateway decides (trusted_proxies).
                proxy_headers=False)

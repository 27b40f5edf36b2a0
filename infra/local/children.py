"""The launcher's output and child processes: each child's lines go to the console (prefixed with its name), to
var/log/<name>.log and to a short tail shown when it fails; children are stopped by process group."""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


class Console:
    """Thread-safe, line-oriented printing with an optional coloured `name |` prefix."""

    COLOURS = ("36", "32", "33", "35", "34", "96", "92", "93")

    def __init__(self) -> None:
        # Reentrant: the signal handler prints from the main thread, possibly while it already holds the lock.
        self._lock = threading.RLock()
        self._colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        self._assigned: dict[str, str] = {}

    def line(self, name: str, text: str) -> None:
        prefix = f"{name:<13}|"
        if self._colour:
            code = self._assigned.setdefault(name, self.COLOURS[len(self._assigned) % len(self.COLOURS)])
            prefix = f"\033[{code}m{prefix}\033[0m"
        with self._lock:
            print(f"{prefix} {text}", flush=True)

    def info(self, text: str) -> None:
        self.line("run", text)

    def warn(self, text: str) -> None:
        self.line("run", f"ATTENTION : {text}")

    def block(self, text: str) -> None:
        with self._lock:
            print(text, flush=True)


console = Console()


class LaunchError(Exception):
    """A start-up failure with a message meant for the person who typed `make run`."""


@dataclass
class Child:
    """A supervised process: its output goes to var/log/<name>.log, to the console, and to a short tail."""

    name: str
    proc: subprocess.Popen[str]
    log_path: Path
    echo: bool = True
    tail: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=40))
    lines: list[str] | None = None  # kept whole for short commands whose output we parse
    reader: threading.Thread | None = None

    @classmethod
    def start(cls, name: str, argv: list[str], env: dict[str, str], log_dir: Path, *, cwd: Path, echo: bool = True,
              keep_lines: bool = False) -> Child:
        log_path = log_dir / f"{name}.log"
        proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, errors="replace", bufsize=1,
            process_group=0,  # out of the terminal's group: Ctrl-C reaches the launcher only
        )
        child = cls(name, proc, log_path, echo=echo, lines=[] if keep_lines else None)
        child.reader = threading.Thread(target=child._pump, name=f"log-{name}", daemon=True)
        child.reader.start()
        return child

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        with self.log_path.open("a", encoding="utf-8") as log:
            log.write(f"===== {datetime.now().isoformat(timespec='seconds')} {' '.join(self.proc.args)}\n")
            for raw in self.proc.stdout:
                line = raw.rstrip("\n")
                log.write(line + "\n")
                log.flush()
                self.tail.append(line)
                if self.lines is not None:
                    self.lines.append(line)
                if self.echo:
                    console.line(self.name, line)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal(self, sig: signal.Signals) -> None:
        """Signals the child's whole process group (it leads it), ignoring one that already ended."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def last_lines(self, count: int = 20) -> str:
        lines = list(self.tail)[-count:] or ["(aucune sortie)"]
        return "\n".join(f"    {line}" for line in lines)

    def finish(self) -> None:
        if self.reader is not None:
            self.reader.join(timeout=2)


def stop_children(children: list[Child], grace: float, force: threading.Event) -> None:
    """SIGTERM, wait up to `grace` seconds (less if asked to force), then SIGKILL what is left."""
    running = [c for c in children if c.alive]
    for child in running:
        child.signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(c.alive for c in running) and time.monotonic() < deadline and not force.is_set():
        time.sleep(0.1)
    for child in running:
        if child.alive:
            console.warn(f"{child.name} ne s'est pas arrêté à temps : SIGKILL")
            child.signal(signal.SIGKILL)
    for child in running:
        try:
            child.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            console.warn(f"{child.name} (pid {child.proc.pid}) ne répond même pas à SIGKILL")
        child.finish()


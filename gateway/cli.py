"""Command line of the gateway.

    python -m gateway.cli load-contract FICHIER [--check]   valide puis charge un contrat dans les services
    python -m gateway.cli demo-accounts [--contract FICHIER] crée les comptes de démonstration (pris dans ce
                                                             contrat), affiche leurs accès
    python -m gateway.cli create-account --email … --name … [--org …] --role … [--password …]
    python -m gateway.cli schema                             écrit le schéma JSON du format de contrat

The contract goes to the services through their own APIs, signed as a system administrator identity.
Accounts are written to the gateway's own database (migrations applied first).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway import accounts, notify
from gateway.clients import ServiceClients, ServiceError, ServiceUnavailable
from gateway.contract import loader, validation
from gateway.contract.validation import ContractErrors
from gateway.demo import ensure_demo_accounts, logins_path
from gateway.settings import Settings
from kernel.db import Database
from kernel.demo_cast import DEFAULT_CONTRACT, cast_from_contract
from kernel.identity import HEADER, Identity, sign_identity
from kernel.migrations import upgrade
from kernel.tracing import inject_headers

HERE = Path(__file__).resolve().parent
SYSTEM_ADMIN = Identity(user_id="system:cli", email="cli@localhost", name="Administration (ligne de commande)",
                        roles=["admin"])
ROLE_WORDS = {"admin": "administrateur", "secretariat": "secrétariat COPIL", "referent": "référent",
              "integrator": "intégrateur", "membre": "membre (habitant, association)"}

Out = Callable[[str], None]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n > 1 else ''}"


def _numbers(values: list[int]) -> str:
    return ", ".join(str(v) for v in sorted(values))


async def load_contract(path: Path, settings: Settings, *,
                        transports: dict[str, httpx.AsyncBaseTransport] | None = None,
                        check_only: bool = False, out: Out = print) -> int:
    """Validates a contract file (every error, with its path) and loads it; returns the exit code."""
    try:
        contract = validation.load_file(path)
    except FileNotFoundError:
        out(f"Fichier introuvable : {path}")
        return 1
    except ContractErrors as exc:
        out(f"Contrat refusé ({path}) : {_plural(len(exc.errors), 'erreur')}. Rien n'a été chargé.")
        for error in exc.errors:
            out(f"  - {error}")
        return 1
    info = contract.contract
    out(f"Contrat valide : « {info.title} », version {info.version} — {_plural(len(contract.axes), 'axe')}, "
        f"{_plural(len(contract.engagements), 'engagement')}, {_plural(len(contract.organisations), 'organisation')}, "
        f"{len(contract.qpv)} QPV.")
    if check_only:
        return 0
    clients = ServiceClients(settings, transports)

    def headers(service: str) -> dict[str, str]:
        return inject_headers({HEADER: sign_identity(SYSTEM_ADMIN, settings.identity_secret, service)})

    try:
        reports = await loader.load(contract, participation=clients.clients["participation"],
                                    engagements=clients.clients["engagements"], headers=headers)
    except loader.LoadFailed as exc:
        out(f"Chargement interrompu : {exc}")
        out("Le chargement est idempotent : corrigez la cause, puis relancez la même commande.")
        return 2
    except httpx.HTTPError as exc:
        out(f"Un service ne répond pas ({type(exc).__name__} : {exc}). Démarrez les services, puis relancez.")
        return 2
    finally:
        await clients.aclose()
    p, e = reports["participation"], reports["engagements"]
    if not (p["organisations_changed"] or p["qpv_changed"] or p.get("bodies_changed") or e["added"] or e["changed"]):
        out("Aucun changement : ce contrat était déjà chargé tel quel.")
        return 0
    out("Chargé.")
    out(f"  participation : {_plural(len(p['organisations_changed']), 'organisation')} ajoutée(s) ou modifiée(s)"
        f"{' (' + ', '.join(p['organisations_changed']) + ')' if p['organisations_changed'] else ''}, "
        f"{len(p['qpv_changed'])} QPV ajouté(s) ou modifié(s)"
        f"{' (' + ', '.join(p['qpv_changed']) + ')' if p['qpv_changed'] else ''}, "
        f"{len(p.get('bodies_changed', []))} instance(s) ajoutée(s) ou modifiée(s)")
    out(f"  engagements : {len(e['added'])} ajouté(s){' (n° ' + _numbers(e['added']) + ')' if e['added'] else ''}, "
        f"{len(e['changed'])} modifié(s){' (n° ' + _numbers(e['changed']) + ')' if e['changed'] else ''}, "
        f"{e['unchanged']} inchangé(s) ; l'avancement et l'historique sont conservés.")
    return 0


async def organisation_names(settings: Settings, transports: dict[str, httpx.AsyncBaseTransport] | None = None,
                             out: Out = print) -> dict[str, str]:
    """Organisation names from participation; from the default contract file if it does not answer."""
    clients = ServiceClients(settings, transports)
    try:
        orgs = await clients.on_behalf_of(SYSTEM_ADMIN).get("participation", "/api/v1/organisations")
        if orgs:
            return {o["id"]: o["name"] for o in orgs}
    except (ServiceError, ServiceUnavailable):
        out("(Le service Participation ne répond pas : noms d'organisations pris dans le contrat par défaut.)")
    finally:
        await clients.aclose()
    try:
        return {o.id: o.name for o in validation.load_file(DEFAULT_CONTRACT).organisations}
    except (ContractErrors, FileNotFoundError):
        return {}


async def _database(settings: Settings) -> Database:
    await asyncio.to_thread(upgrade, settings.database_url, HERE / "migrations")
    return Database(settings.database_url)


async def _tell_notifications(settings: Settings, session: AsyncSession,
                              transports: dict[str, httpx.AsyncBaseTransport] | None) -> None:
    """Notifications learns the accounts (their addresses reach referents and the secretariat)."""
    clients = ServiceClients(settings, transports)
    try:
        await notify.sync_accounts(clients, await accounts.list_accounts(session))
    finally:
        await clients.aclose()


async def demo_accounts(settings: Settings, *, transports: dict[str, httpx.AsyncBaseTransport] | None = None,
                        contract: Path = DEFAULT_CONTRACT, out: Out = print) -> int:
    """Creates the demo accounts of the contract's demo cast (idempotent) and prints their logins."""
    try:
        cast = cast_from_contract(validation.load_file(contract).model_dump())
    except (ContractErrors, FileNotFoundError) as exc:
        out(f"Contrat illisible ({contract}) : {exc}. Aucun compte de démonstration créé.")
        return 1
    names = await organisation_names(settings, transports, out)
    db = await _database(settings)
    try:
        async with db.session() as session:
            logins = await ensure_demo_accounts(session, var_dir=settings.var_dir, organisation_names=names,
                                                cast=cast)
            await _tell_notifications(settings, session, transports)
    finally:
        await db.dispose()
    created = sum(1 for login in logins if login.created)
    out(f"Comptes de démonstration ({created} créé(s), {len(logins) - created} déjà présent(s)) ; "
        f"accès conservés dans {logins_path(settings.var_dir)} :")
    out("  e-mail / mot de passe / rôle / organisation")
    for login in logins:
        out(f"  {login.email} / {login.password} / {ROLE_WORDS.get(login.role, login.role)} / "
            f"{login.organisation_name or '—'}")
    return 0


async def create_account(settings: Settings, *, email: str, name: str, roles: list[str], organisation: str | None,
                         password: str | None, transports: dict[str, httpx.AsyncBaseTransport] | None = None,
                         out: Out = print) -> int:
    """Creates one account (any role, administrators included); prints the password if it was generated."""
    organisation_name = None
    if organisation:
        names = await organisation_names(settings, transports, out)
        if organisation not in names:
            known = ", ".join(sorted(names)) or "aucun"
            out(f"Organisation inconnue : « {organisation} ». Identifiants connus : {known}.")
            return 1
        organisation_name = names[organisation]
    initial = password or secrets.token_urlsafe(12)
    db = await _database(settings)
    try:
        async with db.session() as session:
            account = await accounts.create_account(session, email=email, name=name, password=initial, roles=roles,
                                                    organisation_id=organisation, organisation_name=organisation_name)
            await _tell_notifications(settings, session, transports)
    except accounts.AccountError as exc:
        out(f"Compte refusé : {exc.message}")
        return 1
    finally:
        await db.dispose()
    out(f"Compte créé : {account.email} / {initial if not password else '(mot de passe fourni)'} / "
        f"{', '.join(ROLE_WORDS.get(r, r) for r in account.roles)} / {account.organisation_name or '—'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.cli", description="Administration de la plateforme.")
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("load-contract", help="valide un fichier de contrat et le charge dans les services")
    load.add_argument("file", type=Path, nargs="?", default=DEFAULT_CONTRACT,
                      help=f"fichier YAML ou JSON (par défaut : {DEFAULT_CONTRACT.relative_to(HERE.parent)})")
    load.add_argument("--check", action="store_true", help="valider seulement, sans rien charger")
    demo = commands.add_parser("demo-accounts", help="crée les comptes de démonstration et affiche leurs accès")
    demo.add_argument("--contract", type=Path, default=DEFAULT_CONTRACT,
                      help="contrat chargé : les comptes sont ceux de ses organisations (par défaut : Nantes)")
    commands.add_parser("schema", help="écrit sur la sortie le schéma JSON du format de contrat")
    create = commands.add_parser("create-account", help="crée un compte (administrateur compris)")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--org", help="identifiant de l'organisation (ex. ville-nantes)")
    create.add_argument("--role", action="append", required=True, choices=accounts.ROLES,
                        help="rôle ; à répéter pour en donner plusieurs")
    create.add_argument("--password", help="mot de passe (12 caractères au moins) ; généré et affiché sinon")
    args = parser.parse_args(argv)
    settings = Settings()
    if args.command == "load-contract":
        return asyncio.run(load_contract(args.file, settings, check_only=args.check))
    if args.command == "schema":
        print(json.dumps(validation.json_schema(), ensure_ascii=False, indent=2))
        return 0
    if args.command == "demo-accounts":
        return asyncio.run(demo_accounts(settings, contract=args.contract))
    return asyncio.run(create_account(settings, email=args.email, name=args.name, roles=args.role,
                                      organisation=args.org, password=args.password))


if __name__ == "__main__":
    sys.exit(main())

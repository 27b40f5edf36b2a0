"""Demo accounts: one administrator, the COPIL secretariat and referents of several organisations, taken from the
demo cast of the contract loaded (`kernel.demo_cast`: the secretariat of its lead organisation, referents of its
biggest pilot, of the lead, of a State service and of a smaller pilot).

Idempotent: passwords are drawn at random on first creation and kept in `<var_dir>/demo-logins.json`
(readable by its owner only), so that later runs print the same logins and they keep working.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from gateway import accounts
from kernel.demo_cast import DemoCast, load_cast


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    role: str
    organisation_name: str | None
    created: bool


def logins_path(var_dir: Path) -> Path:
    return Path(var_dir) / "demo-logins.json"


def _read(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def _write(path: Path, logins: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(logins, f, ensure_ascii=False, indent=2)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


async def ensure_demo_accounts(session: AsyncSession, *, var_dir: Path, organisation_names: dict[str, str],
                               cast: DemoCast | None = None) -> list[DemoLogin]:
    """Creates the cast's demo accounts that are missing; makes the kept passwords work; returns every login."""
    path = logins_path(var_dir)
    stored = _read(path)
    result = []
    for spec in (cast or load_cast()).people:
        password = stored.get(spec.email) or secrets.token_urlsafe(12)
        org_name = organisation_names.get(spec.organisation_id or "", spec.organisation_id)
        account = await accounts.get_by_email(session, spec.email)
        created = account is None
        if account is None:
            await accounts.create_account(session, email=spec.email, name=spec.name, password=password,
                                          roles=[spec.role], organisation_id=spec.organisation_id,
                                          organisation_name=org_name)
        else:
            if not await accounts.password_matches(account, password):
                await accounts.set_password(session, account=account, password=password)
            if not account.active:
                await accounts.set_active(session, account=account, active=True)
        stored[spec.email] = password
        result.append(DemoLogin(spec.email, password, spec.role, org_name, created))
    _write(path, stored)
    return result

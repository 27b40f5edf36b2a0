"""HTTP API of the participation service."""

from fastapi import APIRouter

from kernel.app import RuntimeDep, SessionDep
from kernel.errors import Forbidden
from kernel.identity import IdentityDep
from services.participation import service
from services.participation.models import Organisation, Qpv
from services.participation.schemas import RegistryIn, RegistryReport

router = APIRouter(prefix="/api/v1", tags=["participation"])


@router.put("/registry")
async def load_registry(registry: RegistryIn, session: SessionDep, runtime: RuntimeDep,
                        who: IdentityDep) -> RegistryReport:
    """Loads the organisations and QPV of a contract. Administrators only."""
    if not who.has("admin"):
        raise Forbidden("Seul un administrateur peut charger le référentiel.")
    return await service.load_registry(session, runtime.outbox, registry)


@router.get("/organisations")
async def organisations(session: SessionDep, _who: IdentityDep, kind: str | None = None) -> list[Organisation]:
    """The organisations of the contract."""
    return await service.list_organisations(session, kind)


@router.get("/qpv")
async def qpv(session: SessionDep, _who: IdentityDep) -> list[Qpv]:
    """The priority neighbourhoods (QPV)."""
    return await service.list_qpv(session)

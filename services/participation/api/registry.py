"""Routes of the registry: loading a contract's organisations, QPV and bodies; reading organisations and QPV."""

from fastapi import APIRouter

from kernel.app import RuntimeDep, SessionDep
from kernel.errors import Forbidden
from kernel.identity import IdentityDep
from services.participation.schemas import QpvUpdate, RegistryIn, RegistryReport
from services.participation.service import registry as service
from services.participation.service.registry import Organisation, Qpv

router = APIRouter(prefix="/api/v1", tags=["référentiel"])


@router.put("/registry")
async def load_registry(registry: RegistryIn, session: SessionDep, runtime: RuntimeDep,
                        who: IdentityDep) -> RegistryReport:
    """Loads the organisations, QPV and governance bodies of a contract. Administrators only."""
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


@router.patch("/qpv/{qpv_id}", responses={403: {"description": "Pas secrétariat"},
                                          422: {"description": "Nom ou code refusé"}})
async def update_qpv(qpv_id: str, data: QpvUpdate, session: SessionDep, runtime: RuntimeDep,
                     who: IdentityDep) -> Qpv:
    """The secretariat names a QPV and enters its national code (format checked: `qpv_codes`)."""
    return await service.update_qpv(session, runtime.outbox, who, qpv_id, data)

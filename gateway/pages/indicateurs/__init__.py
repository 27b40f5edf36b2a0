"""The indicators' pages: their list and each indicator's page (series, values, validation, definition), what is
owed and the campaigns, the secretariat's validation queue, the import of a file and the open-data exports."""

from fastapi import APIRouter

from gateway.pages.indicateurs import (
    campaigns,
    csv_import,
    definition,
    exports,
    indicator,
    listing,
    owed,
    queue,
    submissions,
)

router = APIRouter()
for module in (listing, indicator, submissions, definition, owed, queue, campaigns, csv_import, exports):
    router.include_router(module.router)

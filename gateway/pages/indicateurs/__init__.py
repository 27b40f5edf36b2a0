"""The indicators' pages: their list and each indicator's page (series, values, validation, definition), what is
owed and the campaigns, the CSV import and the open-data exports."""

from fastapi import APIRouter

from gateway.pages.indicateurs import campaigns, csv_import, indicator

router = APIRouter()
for module in (indicator, campaigns, csv_import):
    router.include_router(module.router)

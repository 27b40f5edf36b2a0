"""The domain of indicateurs, one module per aggregate (its service functions; its tables are in `models`, its
events in `events`, its routes in `api`):

- `definitions`: indicator definitions, one per label of an engagement, refined by the secretariat, versioned;
- `submissions`: values per period and QPV, their versions (corrections) and their validation;
- `imports`: a file of values (CSV or .xlsx) checked whole and recorded at once (its format: `csv_format`);
- `previews`: a checked file kept for its referent to confirm before it is recorded;
- `validation`: the secretariat's queue of submitted values across indicators, and approval of a selection;
- `campaigns`: collection windows per period, and the periods they lock once closed;
- `completeness`: what is owed, per organisation for a campaign and per indicator for a period;
- `measures`: values the platform computes from other services' data, recorded as approved;
- `series`: approved values, for charts, the engagement page and the open-data exports;
- `reference`: this service's copies of participation's QPV and organisations;
- `common`: the clock and the small rules the others share.

Every change writes its event in the outbox in the same transaction. A new aggregate gets a module of its own
here, never a longer one. The names below are what `api`, `handlers` and `jobs` call.
"""

from services.indicateurs.service.campaigns import (
    close_campaign,
    close_due_campaigns,
    get_campaign,
    list_campaigns,
    open_campaign,
    reopen_campaign,
)
from services.indicateurs.service.completeness import completeness, todo
from services.indicateurs.service.definitions import (
    get_definition,
    list_definitions,
    sync_engagement,
    update_definition,
)
from services.indicateurs.service.imports import get_import, import_csv
from services.indicateurs.service.measures import record_measure
from services.indicateurs.service.previews import confirm_import, preview_import
from services.indicateurs.service.reference import list_qpv, upsert_organisation, upsert_qpv
from services.indicateurs.service.series import approved_values, latest_values, series
from services.indicateurs.service.submissions import (
    approve,
    get_submission,
    list_submissions,
    reject,
    submit_draft,
    submit_value,
)
from services.indicateurs.service.validation import approve_many, queue

__all__ = [
    "approve", "approve_many", "approved_values", "close_campaign", "close_due_campaigns", "completeness",
    "confirm_import", "get_campaign", "record_measure", "preview_import", "queue",
    "get_definition", "get_import", "get_submission", "import_csv", "latest_values", "list_campaigns",
    "list_definitions", "list_qpv", "list_submissions", "open_campaign", "reject", "reopen_campaign", "series",
    "submit_draft", "submit_value", "sync_engagement", "todo", "update_definition", "upsert_organisation",
    "upsert_qpv",
]

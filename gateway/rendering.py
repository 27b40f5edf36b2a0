"""Templates (Jinja2 with jinja2-fragments): the filters and names every template may use, and `render`.

A page template has named blocks; an htmx request gets just the block it needs (`block=`), a plain request the
whole page, so every page also works without JavaScript. Templates live per domain (`engagements/`,
`indicateurs/`, `participation/`, `admin/`, `public/`), with the shared `layout/` and `components/`.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
import orjson
from jinja2_fragments.fastapi import Jinja2Blocks
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from gateway import formatting, labels
from kernel import french

HERE = Path(__file__).resolve().parent
_asset_versions: dict[str, str] = {}


def static(path: str) -> str:
    """URL of a static asset, with a content hash so browsers may cache it and still get a new version."""
    if path not in _asset_versions:
        try:
            _asset_versions[path] = hashlib.sha256((HERE / "static" / path).read_bytes()).hexdigest()[:10]
        except OSError:
            _asset_versions[path] = "0"
    return f"/static/{path}?v={_asset_versions[path]}"


DICT_ATTRIBUTES = frozenset(dir(dict))


class PageEnvironment(jinja2.Environment):
    """Jinja's environment, quicker on the services' answers: `e.number` on a dict first tries the attribute,
    which fails with an exception before the key is read (a tenth of a long list's rendering). A dict's key is
    read first unless the name is one of dict's own attributes, which is the same outcome as Jinja's."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


class KeptMacro:
    """A macro's HTML kept by its arguments, whole (the least recently used going first past `size`), for a list
    whose items seldom change from one view to the next: Mes engagements renders the same cards view after view,
    and rendering them was two fifths of the gateway's CPU for the page. An item whose data changed has other
    arguments, so it is rendered afresh: nothing kept is ever stale.

    The macro is called without the page's context: it must read nothing but its arguments (a name of the page
    would be undefined here, hence empty)."""

    def __init__(self, template: str, macro: str, size: int = 1000) -> None:  # about 2 MB of HTML
        self.template, self.macro, self.size = template, macro, size
        self._kept: OrderedDict[bytes, Markup] = OrderedDict()

    def __call__(self, *args: Any, **kwargs: Any) -> Markup:
        key = hashlib.blake2b(orjson.dumps([args, kwargs]), digest_size=16).digest()
        html = self._kept.get(key)
        if html is not None:
            self._kept.move_to_end(key)
            return html
        html = Markup(getattr(templates.env.get_template(self.template).module, self.macro)(*args, **kwargs))
        self._kept[key] = html
        if len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return html


templates = Jinja2Blocks(env=PageEnvironment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                                             autoescape=jinja2.select_autoescape()))
templates.env.filters.update(
    day_fr=french.day_fr, datetime_fr=french.datetime_fr, iso_local=formatting.iso_local,
    time_fr=french.time_fr,
    number_fr=french.number_fr, with_unit=formatting.with_unit, period_fr=formatting.period_fr,
    of_org=formatting.of_org, to_org=formatting.to_org,
)
templates.env.globals.update(
    STATUSES=labels.STATUSES, FIELD_LABELS=labels.FIELD_LABELS, ORGANISATION_KINDS=labels.ORGANISATION_KINDS,
    QUALIFICATIONS=labels.QUALIFICATIONS, PERIODICITIES=labels.PERIODICITIES, PERIOD_FORMATS=labels.PERIOD_FORMATS,
    OWED=labels.OWED, BODY_KINDS=labels.BODY_KINDS, BODY_KIND_HEADINGS=labels.BODY_KIND_HEADINGS,
    SEATS=labels.SEATS, PRESENCES=labels.PRESENCES, FOLLOW_UPS=labels.FOLLOW_UPS, AGENDA_CHANGES=labels.AGENDA_CHANGES,
    ACTIVITIES=labels.ACTIVITIES, DISPLAYS=labels.DISPLAYS,
    change_value=formatting.change_value, choices=formatting.choices, static=static,
    my_card_closed=KeptMacro("engagements/_my_card.html", "my_card"),
)
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True
# Templates ship with the code: no check of each file's date at every include (a page includes dozens).
templates.env.auto_reload = False


def compile_all() -> int:
    """Compiles every template once, at start-up: Jinja compiles a template at its first use, 10 to 20 ms each
    here, so the first visitor of a page after a restart waited for a dozen of them (a quarter of a second for an
    engagement's page, with the requests behind it). A template that does not compile stops the start-up instead.
    Returns how many there are."""
    names = templates.env.list_templates(extensions=["html"])
    for name in names:
        templates.env.get_template(name)
    return len(names)


def is_htmx(request: Request) -> bool:
    """An htmx request that wants a fragment (a history restore wants the whole page)."""
    return request.headers.get("HX-Request") == "true" and "HX-History-Restore-Request" not in request.headers


def render(request: Request, name: str, context: dict[str, Any] | None = None, *, block: str | None = None,
           status_code: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """Renders a page, or one of its blocks; the viewer (or None) is always in the context."""
    ctx = {"viewer": getattr(request.state, "viewer", None), "territory": request.app.state.settings.territory,
           **(context or {})}
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code, headers=headers,
                                          block_name=block)
    response.headers["Vary"] = "HX-Request, Cookie"
    response.headers.setdefault("Cache-Control", "no-store")
    return response

"""What the public reads of the appel à projets (the transparency engagement 49 promises): the funded projects of a
year, filtered by QPV, theme and funder, with their totals, each funder's envelope against what it granted and paid,
and its payment delays; a project's own page; the open-data rows. Only granted funding is shown: a project pending
or refused, or a funder's refusal of a funded project, is never public."""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.participation.service import aap_measures, catalogue
from services.participation.service.aap_calls import call_out, get_call, list_calls
from services.participation.service.aap_fundings import AapGrant, funding_out, grants_of, payments_of
from services.participation.service.aap_projects import AapProject, project_out
from services.participation.service.registry import Qpv, organisation_names


def _public_project(p: AapProject, grants: list[AapGrant], payments: dict, names: dict[str, str]) -> dict:
    granted = [g for g in grants if g.decision == "accorde"]
    out = project_out(p)
    out.pop("version")
    out["fundings"] = [funding_out(g, payments.get(g.id, []), names, public=True) for g in granted]
    out["amount_granted"] = sum(g.amount_granted for g in granted)
    out["paid_total"] = sum(f["paid_total"] for f in out["fundings"])
    return out


async def funded_project(session: AsyncSession, project: AapProject) -> dict:
    """A funded project's public view: its granted fundings and their payments only."""
    grants = (await grants_of(session, [project.id])).get(project.id, [])
    payments = await payments_of(session, [g.id for g in grants])
    return _public_project(project, grants, payments, await organisation_names(session))


async def funded_projects(session: AsyncSession, *, year: int | None = None, qpv: str | None = None,
                          theme: str | None = None, funder: str | None = None) -> list[dict]:
    """The funded projects (all years, or one), by association then title, with their granted fundings."""
    query = select(AapProject).where(AapProject.status == "accorde")
    if year is not None:
        query = query.where(AapProject.call_year == year)
    projects = [p for p in (await session.exec(query.order_by(AapProject.call_year.desc(),  # type: ignore[attr-defined]
                                                              AapProject.association_name, AapProject.title))).all()
                if (not qpv or qpv in p.qpv) and (not theme or theme in p.themes)]
    grants = await grants_of(session, [p.id for p in projects])
    payments = await payments_of(session, [g.id for gs in grants.values() for g in gs])
    names = await organisation_names(session)
    out = [_public_project(p, grants.get(p.id, []), payments, names) for p in projects]
    if funder:
        out = [o for o in out if any(f["funder_id"] == funder for f in o["fundings"])]
        for o in out:  # the amounts of that funder only
            o["fundings"] = [f for f in o["fundings"] if f["funder_id"] == funder]
            o["amount_granted"] = sum(f["amount_granted"] for f in o["fundings"])
            o["paid_total"] = sum(f["paid_total"] for f in o["fundings"])
    return out


async def funded_year(session: AsyncSession, year: int, *, qpv: str | None = None, theme: str | None = None,
                      funder: str | None = None) -> dict:
    """A year's public page: its call, its funded projects (filtered), totals, and the breakdowns by funder (with
    envelope and payment delays), QPV and theme. A project in several QPV or themes counts in each of their lines;
    the totals count it once."""
    call = await get_call(session, year)
    names = await organisation_names(session)
    projects = await funded_projects(session, year=year, qpv=qpv, theme=theme, funder=funder)
    qpv_names = {q.id: q.name for q in (await session.exec(select(Qpv))).all()}
    theme_names = await catalogue.themes(session)
    by_funder: dict[str, dict] = {f: {"funder_id": f, "funder_name": names.get(f, f), "envelope": a, "granted": 0,
                                      "paid": 0, "projects": 0} for f, a in call.envelopes.items()}
    by_qpv: dict[str, dict] = defaultdict(lambda: {"projects": 0, "granted": 0})
    by_theme: dict[str, dict] = defaultdict(lambda: {"projects": 0, "granted": 0})
    for p in projects:
        for f in p["fundings"]:
            line = by_funder.setdefault(f["funder_id"], {"funder_id": f["funder_id"], "funder_name": f["funder_name"],
                                                         "envelope": 0, "granted": 0, "paid": 0, "projects": 0})
            line["granted"] += f["amount_granted"]
            line["paid"] += f["paid_total"]
            line["projects"] += 1
        for key, table in ((p["qpv"], by_qpv), (p["themes"], by_theme)):
            for k in key:
                table[k]["projects"] += 1
                table[k]["granted"] += p["amount_granted"]
    delays = await aap_measures.first_payment_delays(session, year)
    for f, line in by_funder.items():
        stats = aap_measures.delay_stats(delays.get(f, []))
        line.update(delay_count=stats.count, delay_median=stats.median, delay_p90=stats.p90)
    overall = aap_measures.delay_stats([d for ds in delays.values() for d in ds])
    return {
        "call": call_out(call, names), "projects": projects,
        "totals": {"projects": len(projects), "granted": sum(p["amount_granted"] for p in projects),
                   "paid": sum(p["paid_total"] for p in projects), "envelope": sum(call.envelopes.values()),
                   "delay_median": overall.median, "delay_p90": overall.p90, "delay_count": overall.count,
                   "new_cpo": sum(1 for p in projects if p["cpo"] == "nouvelle")},
        "by_funder": sorted(by_funder.values(), key=lambda x: -x["envelope"]),
        "by_qpv": [{"qpv_id": k, "qpv_name": qpv_names.get(k, k), **v}
                   for k, v in sorted(by_qpv.items(), key=lambda kv: qpv_names.get(kv[0], kv[0]))],
        "by_theme": [{"theme_id": k, "theme_title": theme_names.get(k, k), **v}
                     for k, v in sorted(by_theme.items(), key=lambda kv: theme_names.get(kv[0], kv[0]))],
        "qpv_names": qpv_names, "theme_names": theme_names, "funder_names": {f: names.get(f, f) for f in by_funder},
    }


async def years(session: AsyncSession) -> list[dict]:
    """Every call with its count of funded projects and total granted (the public index)."""
    names = await organisation_names(session)
    out = []
    for call in await list_calls(session):
        projects = await funded_projects(session, year=call.year)
        out.append({**call_out(call, names), "funded_projects": len(projects),
                    "granted": sum(p["amount_granted"] for p in projects)})
    return out


async def open_data_rows(session: AsyncSession) -> list[dict]:
    """One row per funded project and funder, every year (the open dataset « projets financés »)."""
    rows = []
    for p in await funded_projects(session):
        for f in p["fundings"]:
            rows.append({"annee": p["call_year"], "projet_id": p["id"], "association": p["association_name"],
                         "rna_siren": p["association_id"], "titre": p["title"], "resume": p["summary"] or "",
                         "qpv": "|".join(p["qpv"]), "themes": "|".join(p["themes"]),
                         "engagements": "|".join(str(n) for n in p["engagements"]), "financeur_id": f["funder_id"],
                         "financeur": f["funder_name"], "montant_demande": p["amount_asked"],
                         "montant_accorde": f["amount_granted"], "date_decision": f["decided_on"].isoformat(),
                         "montant_verse": f["paid_total"],
                         "date_premier_versement": f["payments"][0]["paid_on"].isoformat() if f["payments"] else "",
                         "cpo": p["cpo"], "demo": p["demo"]})
    return rows

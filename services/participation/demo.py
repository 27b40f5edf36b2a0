"""Demo governance year for `make run`: fictional members in every body, a past COPIL with its minutes and five
decisions (two overdue), a GTC whose agenda is published, a COPIL three weeks ahead with a draft agenda ready.

    python -m services.participation.demo [--contract FICHIER]

Its organisations, people and bodies come from the demo cast of the contract loaded (`kernel.demo_cast`). Then,
where the contract has Nantes' bodies, the residents' side: the inter-associatif's associations and a mandat
citoyen (`demo_associations`), the conseils citoyens and their opinions (`demo_residents`), and news.

Everything goes through the service's own functions, so every event is written to the outbox and published by
the running service's relay (the GTC agenda is circulated by notifications at start-up). Idempotent: nothing is
done if the demo members are already there. The people are fictional ("Démo" names, addresses on a reserved
domain that receives no mail)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlmodel import select

import services.participation.service  # noqa: F401 - registers every table
from kernel.db import Database
from kernel.demo_cast import DEFAULT_CONTRACT, DEMO_DOMAIN, CastOrganisation, DemoCast, load_cast
from kernel.identity import Identity
from kernel.migrations import upgrade
from kernel.outbox import Outbox
from services.participation import demo_aap, demo_associations
from services.participation.demo_residents import seed_residents
from services.participation.models import metadata
from services.participation.schemas import (
    AttendanceIn,
    AttendanceLine,
    DecisionIn,
    FollowUpIn,
    ItemIn,
    MeetingIn,
    MembershipIn,
    MinutesIn,
    NewsIn,
    PersonIn,
    PublishIn,
)
from services.participation.service import agendas, bodies, catalogue, decisions, meetings, members, minutes, news
from services.participation.service.common import PARIS
from services.participation.service.people import Person
from services.participation.settings import Settings

DOMAIN = DEMO_DOMAIN  # as the gateway's demo accounts: a reserved domain
FIRST = ("Alice", "Bruno", "Chloé", "David", "Emma", "Farid", "Gaëlle", "Hugo", "Inès", "Julien", "Karine", "Louis",
         "Maëlle", "Nicolas", "Océane", "Pierre", "Rania", "Samuel", "Yasmine", "Zoé")


def secretariat_identity(cast: DemoCast) -> Identity:
    person = cast.secretariat
    return Identity(user_id="demo", email=person.email, name=f"{person.name} (démo)",
                    organisation_id=person.organisation_id, roles=["secretariat"])


def demo_address(first: str, n: int) -> str:
    """`chloe.demo3@…`: accents folded, as real municipal addresses are (many mail servers refuse others)."""
    folded = unicodedata.normalize("NFKD", first).encode("ascii", "ignore").decode()
    return f"{folded.lower()}.demo{n}@{DOMAIN}"


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute))


async def _members(session, outbox, cast: DemoCast, secretariat: Identity, today: date) -> int:  # type: ignore[no-untyped-def]
    count, n = 0, 0
    start = today - timedelta(days=300)
    known = {b.id for b in await bodies.list_bodies(session)}
    for referent in cast.referents:  # people who also have a demo account (same address): "Mes instances"
        person_id = None
        for body_id in (b for b in referent.bodies if b in known):
            data = MembershipIn(person_id=person_id, organisation_id=referent.organisation_id, starts_on=start,
                                person=None if person_id else PersonIn(name=referent.name, email=referent.email))
            person_id = (await members.add_member(session, outbox, secretariat, body_id, data)).person_id
            count += 1
    for body in await bodies.list_bodies(session):
        for i, org in enumerate(cast.representatives(body.kind)):
            first = FIRST[n % len(FIRST)]
            n += 1
            person = PersonIn(name=f"{first} Démo", email=demo_address(first, n),
                              public_name=n % 3 == 0)
            await members.add_member(session, outbox, secretariat, body.id, MembershipIn(
                person=person, organisation_id=org, seat="suppleant" if i and i % 3 == 0 else "titulaire",
                starts_on=start))
            count += 1
    return count


async def _item(session, who: Identity, meeting_id: str, title: str, **fields) -> None:  # type: ignore[no-untyped-def]
    meeting = await meetings.get_meeting(session, meeting_id)
    await agendas.add_item(session, who, meeting_id, ItemIn(title=title, draft_rev=meeting.draft_rev, **fields))


async def _publish(session, outbox, settings, who: Identity, meeting_id: str,  # type: ignore[no-untyped-def]
                   at: datetime) -> None:
    meeting = await meetings.get_meeting(session, meeting_id)
    await agendas.publish(session, outbox, settings, who, meeting_id, PublishIn(draft_rev=meeting.draft_rev), at=at)


async def seed(settings: Settings, cast: DemoCast | None = None) -> str:
    """The governance demo of the contract's cast (the default contract's when none is given), then the appel à
    projets demo (each idempotent)."""
    governance = await _governance(settings, cast or load_cast())
    db = Database(settings.database_url)
    try:
        aap = await demo_aap.seed(db, Outbox(metadata.tables["outbox"], source="/cdv/participation",
                                             namespace=settings.event_namespace))
    finally:
        await db.dispose()
    return f"{governance} {aap}".strip()


async def _governance(settings: Settings, cast: DemoCast) -> str:
    await asyncio.to_thread(upgrade, settings.database_url, Path(__file__).parent / "migrations")
    db = Database(settings.database_url)
    outbox = Outbox(metadata.tables["outbox"], source="/cdv/participation", namespace=settings.event_namespace)
    today = datetime.now(PARIS).date()
    try:
        async with db.session() as session:
            if not await bodies.list_bodies(session):
                return "Aucune instance : chargez d'abord le contrat (gateway.cli load-contract)."
            if (await session.exec(select(Person).where(Person.email.like(f"%@{DOMAIN}")))).first():  # type: ignore[union-attr]
                residents = await _associations(session, outbox, settings, today)  # added later: on its own
                return residents or "Démo de la gouvernance déjà chargée : rien à faire."
            copil = cast.body("copil")
            if copil is None or await session.get(bodies.Body, copil.id) is None:
                return "Ce contrat ne décrit pas de COPIL : pas d'année de démonstration de la gouvernance."
        if not await _catalogue_known(db, set(cast.engagement_themes)):
            return ("Les engagements du contrat ne sont pas encore connus du service participation (il les lit dans "
                    "les événements du service engagements) : relancez la démo dans un instant.")
        async with db.session() as session:
            said = [await _year(session, settings, cast, copil.id)]
            await _news(session, outbox, secretariat_identity(cast))
            said.append("Deux actualités et deux ressources sur le portail public.")
            said.append(await _associations(session, outbox, settings, today) or "")
            conseils = await session.get(bodies.Body, CONSEIL_OF_THE_DEMO) is not None
        if conseils:
            said.append(f"Conseils citoyens : {await seed_residents(db, outbox, settings, today)}.")
        return " ".join(part for part in said if part)
    finally:
        await db.dispose()


async def _catalogue_known(db: Database, numbers: set[int], wait_seconds: float = 30) -> bool:
    """Whether the running service has read every engagement of the contract (the demo's items, decisions and
    mandate name some, and participation takes only the engagements it knows), waiting for it a while."""
    for _ in range(int(wait_seconds * 5) + 1):
        async with db.session() as session:
            if numbers <= set(await catalogue.engagements(session)):
                return True
        await asyncio.sleep(0.2)
    return False


# The residents' demo (inter-associatif, mandat citoyen, conseils citoyens and their opinions) names Nantes' bodies
# and QPV: another contract gets its governance year without it.
CONSEIL_OF_THE_DEMO = "cc-malakoff"


async def _associations(session, outbox, settings: Settings, today: date) -> str | None:  # type: ignore[no-untyped-def]
    if await session.get(bodies.Body, "inter-associatif") is None:
        return None
    return await demo_associations.seed(session, outbox, settings, today)


async def _news(session, outbox, who: Identity) -> None:  # type: ignore[no-untyped-def]
    """Two news items and two resources on the public portal (marked as demo)."""
    for data in (
        NewsIn(kind="actualite", title="Démo — Le bilan 2024 des engagements est en ligne",
               summary="Où en sont les engagements du contrat ? Le bilan présenté au COPIL, quartier par quartier.",
               body="Le secrétariat du contrat publie chaque année l'avancement des engagements.\n\n"
                    "Les chiffres validés sont aussi téléchargeables dans les données ouvertes."),
        NewsIn(kind="actualite", title="Démo — Les conseils citoyens se réunissent en juin",
               summary="Les réunions publiques des conseils citoyens sont annoncées sur la page de chaque quartier."),
        NewsIn(kind="ressource", title="Démo — Avenant au contrat de ville (texte signé)",
               url="https://exemple.invalid/avenant.pdf"),
        NewsIn(kind="ressource", title="Démo — Guide des conseils citoyens", url="https://exemple.invalid/guide.pdf"),
    ):
        await news.publish(session, outbox, who, data)


async def _year(session, settings: Settings, cast: DemoCast, copil_id: str) -> str:  # type: ignore[no-untyped-def]
    outbox = Outbox(metadata.tables["outbox"], source="/cdv/participation", namespace=settings.event_namespace)
    today = datetime.now(PARIS).date()
    secretariat = secretariat_identity(cast)
    seats = await _members(session, outbox, cast, secretariat, today)
    lead, biggest, state, small = (cast.pilot(slot) for slot in ("lead", "biggest", "state", "small"))
    bailleur = next(iter(cast.of_kind("bailleur")), lead)
    copil_body = cast.body("copil")
    governance = list((copil_body.engagements if copil_body else ()) or lead.engagements[-2:])
    place = f"{lead.name}, salle du conseil"

    def themed(org: CastOrganisation) -> str:
        return cast.theme_of(org.engagements[0] if org.engagements else None) or "Engagements"

    # A past COPIL: agenda sent on time, attendance, minutes, five decisions (two overdue).
    past_day = today - timedelta(days=70)
    past = await meetings.schedule_meeting(session, outbox, settings, secretariat, MeetingIn(
        body_id=copil_id, title="COPIL du contrat de ville — bilan annuel", starts_at=_local(past_day, 9, 30),
        ends_at=_local(past_day, 12), place=place))
    await _item(session, secretariat, past.id, "Bilan annuel des engagements", engagements=governance,
                presenter_organisation_id=lead.id, duration_minutes=45)
    await _item(session, secretariat, past.id, f"{themed(small)} : point d'étape",
                engagements=list(small.engagements[:2]), presenter_organisation_id=small.id, duration_minutes=30,
                theme=themed(small))
    await _item(session, secretariat, past.id, f"{themed(state)} : retour des bailleurs",
                engagements=list(state.engagements[:1]), presenter_organisation_id=bailleur.id, duration_minutes=30)
    await _publish(session, outbox, settings, secretariat, past.id,
                   datetime.combine(past_day - timedelta(days=20), time(9), PARIS))
    day_members = await members.active_members(session, copil_id, past_day)
    statuses = ["present", "present", "excuse", "present", "represente", "absent"]
    await minutes.record_attendance(session, secretariat, past.id, AttendanceIn(lines=[
        AttendanceLine(person_id=p.id, status=statuses[i % len(statuses)],  # type: ignore[arg-type]
                       represented_by="Un collègue (démo)" if statuses[i % len(statuses)] == "represente"
                       else None) for i, (_, p) in enumerate(day_members)]))
    plan = [
        (f"Organiser une rencontre « {themed(small)} » dans chaque QPV avant l'été", small.engagements[:1], small.id,
         -20, None),
        (f"Présenter au prochain COPIL le bilan « {themed(state)} »", state.engagements[:1], state.id, -5,
         "en_cours"),
        ("Transmettre les ordres du jour des COPIL quinze jours à l'avance", governance[:1], lead.id, -30, "fait"),
        ("Associer les conseils citoyens à l'évaluation du contrat", governance[-1:], lead.id, 60, None),
        ("Élargir l'inter-associatif à de nouvelles associations", governance, biggest.id, 90, "en_cours"),
    ]
    for text, engagements, org, due, status in plan:
        d = await decisions.record_decision(session, outbox, secretariat, past.id, DecisionIn(
            text=text, engagements=list(engagements), responsible_organisation_id=org,
            due_on=today + timedelta(days=due)))
        if status:
            actor = Identity(user_id="demo-" + org, email="", name="Référent (démo)", organisation_id=org,
                             roles=["referent"])
            await decisions.update_follow_up(session, outbox, actor, d.id, FollowUpIn(
                status=status, comment="Point d'étape (donnée de démonstration).", version=d.version))
    await minutes.write_minutes(session, outbox, settings, secretariat, past.id, MinutesIn(
        text="Le COPIL a fait le bilan annuel des engagements.\n\nLes bailleurs ont présenté leur retour sur "
             f"« {themed(state)} » ; {small.name} a présenté un point d'étape « {themed(small)} ».\n\n"
             "(Compte rendu de démonstration.)", publish=True))

    # A GTC in twelve days, its agenda published now (on time): notifications circulates it.
    gtc_body = cast.body("gtc")
    if gtc_body is not None:
        gtc_day = today + timedelta(days=12)
        gtc = await meetings.schedule_meeting(session, outbox, settings, secretariat, MeetingIn(
            body_id=gtc_body.id, title="GTC — préparation du COPIL de printemps", starts_at=_local(gtc_day, 14),
            ends_at=_local(gtc_day, 16, 30), place=f"{lead.name}, salle 3",
            video_url="https://visio.exemple.invalid/gtc"))
        await _item(session, secretariat, gtc.id, "Suivi des décisions du dernier COPIL", engagements=governance[:1],
                    duration_minutes=30)
        await _item(session, secretariat, gtc.id, f"Avancement des engagements « {themed(biggest)} »",
                    engagements=list(biggest.engagements[:3]), duration_minutes=45, presenter_organisation_id=lead.id)
        await _item(session, secretariat, gtc.id, "Ordre du jour du COPIL de printemps", duration_minutes=20)
        await _publish(session, outbox, settings, secretariat, gtc.id, datetime.now(UTC))

    # A COPIL three weeks ahead, its draft agenda ready to publish.
    copil_day = today + timedelta(days=21)
    copil = await meetings.schedule_meeting(session, outbox, settings, secretariat, MeetingIn(
        body_id=copil_id, title="COPIL de printemps", starts_at=_local(copil_day, 9, 30),
        ends_at=_local(copil_day, 12), place=place, proposals_until=today + timedelta(days=4)))
    await _item(session, secretariat, copil.id, "Suivi des décisions et des engagements en retard",
                engagements=governance[:1], duration_minutes=30)
    await _item(session, secretariat, copil.id, f"{themed(small)} : point d'étape",
                engagements=list(small.engagements[:2]), presenter_organisation_id=small.id, duration_minutes=30)
    interbailleurs = cast.body("interbailleurs")
    await _item(session, secretariat, copil.id, "Contribution de l'interbailleurs", duration_minutes=20,
                presenter_organisation_id=(interbailleurs and interbailleurs.organisation) or bailleur.id)
    await _item(session, secretariat, copil.id, "Évaluation du contrat de ville", engagements=governance[-1:],
                duration_minutes=30)
    return (f"Démo de la gouvernance chargée : {seats} mandats, un COPIL passé avec compte rendu et 5 décisions, "
            f"{'un GTC à l’ordre du jour publié, ' if gtc_body else ''}"
            "un COPIL dans trois semaines en préparation.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.participation.demo",
                                     description="Charge une année de démonstration de la gouvernance.")
    parser.add_argument("--contract", type=Path, default=DEFAULT_CONTRACT,
                        help="fichier du contrat chargé : la démo en prend ses organisations et ses instances")
    args = parser.parse_args(argv)
    print(asyncio.run(seed(Settings(), load_cast(args.contract))))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Demo governance year for `make run`: fictional members in every body, a past COPIL with its minutes and five
decisions (two overdue), a GTC whose agenda is published, a COPIL three weeks ahead with a draft agenda ready.

    python -m services.participation.demo

Everything goes through the service's own functions, so every event is written to the outbox and published by
the running service's relay (the GTC agenda is circulated by notifications at start-up). Idempotent: nothing is
done if the demo members are already there. The people are fictional ("Démo" names, addresses on a reserved
domain that receives no mail)."""

from __future__ import annotations

import asyncio
import sys
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlmodel import select

import services.participation.service  # noqa: F401 - registers every table
from kernel.db import Database
from kernel.identity import Identity
from kernel.migrations import upgrade
from kernel.outbox import Outbox
from services.participation import demo_aap
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
    PersonIn,
    PublishIn,
)
from services.participation.service import agendas, bodies, decisions, meetings, members, minutes
from services.participation.service.common import PARIS
from services.participation.service.people import Person
from services.participation.settings import Settings

DOMAIN = "cdv-demo.test"  # as the gateway's demo accounts: a reserved domain
SECRETARIAT = Identity(user_id="demo", email=f"secretariat.copil@{DOMAIN}", name="Claire Dubois (démo)",
                       organisation_id="nantes-metropole", roles=["secretariat"])
# People who also have a demo account in the gateway (same address): they see "Mes instances".
ACCOUNT_HOLDERS = {
    "Léa Moreau": ("referent.ville-nantes", "ville-nantes", ["copil", "gtc", "gtt-reussite-educative"]),
    "Karim Benali": ("referent.nantes-metropole", "nantes-metropole", ["copil", "gtc", "gtt-cadre-de-vie"]),
    "Sophie Le Gall": ("referent.etat-ddsp", "etat-ddsp", ["gtc", "gtt-tranquillite"]),
    "Thomas Guérin": ("referent.pole-emploi", "pole-emploi", ["copil", "gtt-emploi"]),
}
FIRST = ("Alice", "Bruno", "Chloé", "David", "Emma", "Farid", "Gaëlle", "Hugo", "Inès", "Julien", "Karine", "Louis",
         "Maëlle", "Nicolas", "Océane", "Pierre", "Rania", "Samuel", "Yasmine", "Zoé")
# A representative organisation per kind of body (the contract's ids).
REPRESENTS = {
    "copil": ["etat-prefecture", "departement-loire-atlantique", "caf", "ars", "nantes-metropole-habitat",
              "inter-associatif", "conseils-citoyens"],
    "gtc": ["etat-prefecture", "ville-reze", "ville-saint-herblain", "caf", "inter-bailleurs"],
    "groupe-thematique": ["ville-nantes", "etat-prefecture", "inter-associatif"],
    "interbailleurs": ["nantes-metropole-habitat", "cdc-habitat-social", "harmonie-habitat", "aiguillon-construction",
                       "la-nantaise-d-habitations", "atlantique-habitations", "habitat-44", "vilogia"],
    "inter-associatif": ["accoord", "reso-villes", "inter-associatif"],
    "conseil-citoyen": ["conseils-citoyens", "conseils-citoyens"],
    "rdv-politique-de-la-ville": ["nantes-metropole", "reso-villes", "inter-associatif"],
}


def demo_address(first: str, n: int) -> str:
    """`chloe.demo3@…`: accents folded, as real municipal addresses are (many mail servers refuse others)."""
    folded = unicodedata.normalize("NFKD", first).encode("ascii", "ignore").decode()
    return f"{folded.lower()}.demo{n}@{DOMAIN}"


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute))


async def _members(session, outbox, today: date) -> int:  # type: ignore[no-untyped-def]
    count, n = 0, 0
    start = today - timedelta(days=300)
    seated: dict[str, str] = {}
    for name, (local, org, body_ids) in ACCOUNT_HOLDERS.items():
        for body_id in body_ids:
            data = MembershipIn(person_id=seated.get(name), organisation_id=org, starts_on=start,
                                person=None if name in seated else PersonIn(name=name, email=f"{local}@{DOMAIN}"))
            seat = await members.add_member(session, outbox, SECRETARIAT, body_id, data)
            seated[name] = seat.person_id
            count += 1
    for body in await bodies.list_bodies(session):
        for i, org in enumerate(REPRESENTS.get(body.kind, ["nantes-metropole"])):
            first = FIRST[n % len(FIRST)]
            n += 1
            person = PersonIn(name=f"{first} Démo", email=demo_address(first, n),
                              public_name=n % 3 == 0)
            await members.add_member(session, outbox, SECRETARIAT, body.id, MembershipIn(
                person=person, organisation_id=org, seat="suppleant" if i and i % 3 == 0 else "titulaire",
                starts_on=start))
            count += 1
    return count


async def _item(session, meeting_id: str, title: str, **fields) -> None:  # type: ignore[no-untyped-def]
    meeting = await meetings.get_meeting(session, meeting_id)
    await agendas.add_item(session, SECRETARIAT, meeting_id, ItemIn(title=title, draft_rev=meeting.draft_rev, **fields))


async def _publish(session, outbox, settings, meeting_id: str, at: datetime) -> None:  # type: ignore[no-untyped-def]
    meeting = await meetings.get_meeting(session, meeting_id)
    await agendas.publish(session, outbox, settings, SECRETARIAT, meeting_id, PublishIn(draft_rev=meeting.draft_rev),
                          at=at)


async def seed(settings: Settings) -> str:
    """The governance demo, then the appel à projets demo (each idempotent)."""
    governance = await _governance(settings)
    db = Database(settings.database_url)
    try:
        aap = await demo_aap.seed(db, Outbox(metadata.tables["outbox"], source="/cdv/participation",
                                             namespace=settings.event_namespace))
    finally:
        await db.dispose()
    return f"{governance} {aap}"


async def _governance(settings: Settings) -> str:
    await asyncio.to_thread(upgrade, settings.database_url, Path(__file__).parent / "migrations")
    db = Database(settings.database_url)
    outbox = Outbox(metadata.tables["outbox"], source="/cdv/participation", namespace=settings.event_namespace)
    today = datetime.now(PARIS).date()
    try:
        async with db.session() as session:
            if (await session.exec(select(Person).where(Person.email.like(f"%@{DOMAIN}")))).first():  # type: ignore[union-attr]
                return "Démo de la gouvernance déjà chargée : rien à faire."
            if await session.get(bodies.Body, "copil") is None:
                return "Aucune instance : chargez d'abord le contrat (gateway.cli load-contract)."
            seats = await _members(session, outbox, today)

            # A past COPIL: agenda sent on time, attendance, minutes, five decisions (two overdue).
            past_day = today - timedelta(days=70)
            past = await meetings.schedule_meeting(session, outbox, settings, SECRETARIAT, MeetingIn(
                body_id="copil", title="COPIL du contrat de ville — bilan annuel", starts_at=_local(past_day, 9, 30),
                ends_at=_local(past_day, 12), place="Nantes Métropole, 2 cours du Champ de Mars"))
            await _item(session, past.id, "Bilan annuel des engagements", engagements=[47, 48],
                        presenter_organisation_id="nantes-metropole", duration_minutes=45)
            await _item(session, past.id, "Emploi des jeunes des quartiers", engagements=[17, 18],
                        presenter_organisation_id="pole-emploi", duration_minutes=30, theme="Emploi")
            await _item(session, past.id, "Tranquillité publique : retour des bailleurs", engagements=[9],
                        presenter_organisation_id="nantes-metropole-habitat", duration_minutes=30)
            await _publish(session, outbox, settings, past.id,
                           datetime.combine(past_day - timedelta(days=20), time(9), PARIS))
            day_members = await members.active_members(session, "copil", past_day)
            statuses = ["present", "present", "excuse", "present", "represente", "absent"]
            await minutes.record_attendance(session, SECRETARIAT, past.id, AttendanceIn(lines=[
                AttendanceLine(person_id=p.id, status=statuses[i % len(statuses)],  # type: ignore[arg-type]
                               represented_by="Un collègue (démo)" if statuses[i % len(statuses)] == "represente"
                               else None) for i, (_, p) in enumerate(day_members)]))
            plan = [
                ("Organiser un forum emploi dans chaque QPV avant l'été", [17], "pole-emploi", -20, None),
                ("Présenter au prochain COPIL le bilan des patrouilles à pied", [9], "etat-ddsp", -5, "en_cours"),
                ("Transmettre les ordres du jour des COPIL quinze jours à l'avance", [47], "nantes-metropole", -30,
                 "fait"),
                ("Associer les conseils citoyens à l'évaluation du contrat", [48], "nantes-metropole", 60, None),
                ("Élargir l'inter-associatif à de nouvelles associations", [47, 49], "ville-nantes", 90, "en_cours"),
            ]
            for text, engagements, org, due, status in plan:
                d = await decisions.record_decision(session, outbox, SECRETARIAT, past.id, DecisionIn(
                    text=text, engagements=engagements, responsible_organisation_id=org,
                    due_on=today + timedelta(days=due)))
                if status:
                    actor = Identity(user_id="demo-" + org, email="", name="Référent (démo)", organisation_id=org,
                                     roles=["referent"])
                    await decisions.update_follow_up(session, outbox, actor, d.id, FollowUpIn(
                        status=status, comment="Point d'étape (donnée de démonstration).", version=d.version))
            await minutes.write_minutes(session, outbox, settings, SECRETARIAT, past.id, MinutesIn(
                text="Le COPIL a fait le bilan annuel des engagements.\n\nLes bailleurs ont présenté leur "
                     "retour sur la tranquillité publique ; Pôle emploi a présenté l'action en faveur de l'emploi "
                     "des jeunes.\n\n(Compte rendu de démonstration.)", publish=True))

            # A GTC in twelve days, its agenda published now (on time): notifications circulates it.
            gtc_day = today + timedelta(days=12)
            gtc = await meetings.schedule_meeting(session, outbox, settings, SECRETARIAT, MeetingIn(
                body_id="gtc", title="GTC — préparation du COPIL de printemps", starts_at=_local(gtc_day, 14),
                ends_at=_local(gtc_day, 16, 30), place="Nantes Métropole, salle 3",
                video_url="https://visio.exemple.invalid/gtc"))
            await _item(session, gtc.id, "Suivi des décisions du dernier COPIL", engagements=[47], duration_minutes=30)
            await _item(session, gtc.id, "Avancement des engagements de l'axe 2", engagements=[17, 18, 21],
                        duration_minutes=45, presenter_organisation_id="nantes-metropole")
            await _item(session, gtc.id, "Ordre du jour du COPIL de printemps", duration_minutes=20)
            await _publish(session, outbox, settings, gtc.id, datetime.now(UTC))

            # A COPIL three weeks ahead, its draft agenda ready to publish.
            copil_day = today + timedelta(days=21)
            copil = await meetings.schedule_meeting(session, outbox, settings, SECRETARIAT, MeetingIn(
                body_id="copil", title="COPIL de printemps", starts_at=_local(copil_day, 9, 30),
                ends_at=_local(copil_day, 12), place="Nantes Métropole, 2 cours du Champ de Mars",
                proposals_until=today + timedelta(days=4)))
            await _item(session, copil.id, "Suivi des décisions et des engagements en retard", engagements=[47],
                        duration_minutes=30)
            await _item(session, copil.id, "Emploi et formation : point d'étape", engagements=[17, 18],
                        presenter_organisation_id="pole-emploi", duration_minutes=30)
            await _item(session, copil.id, "Contribution de l'interbailleurs", duration_minutes=20,
                        presenter_organisation_id="inter-bailleurs")
            await _item(session, copil.id, "Évaluation du contrat de ville", engagements=[48], duration_minutes=30)
    finally:
        await db.dispose()
    return (f"Démo de la gouvernance chargée : {seats} mandats, un COPIL passé avec compte rendu et 5 décisions, "
            "un GTC à l'ordre du jour publié, un COPIL dans trois semaines en préparation.")


def main() -> int:
    print(asyncio.run(seed(Settings())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
